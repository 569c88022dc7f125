// Witnesses and monitors on real servers (loopback, ephemeral ports): the bank's witness
// client against `creditbank witness`'s server, audit and verify requiring a quorum, a witness
// refusing a forked log, and a monitor catching a history rewritten under it.
#include "service/witness.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "api/server.h"
#include "api/witness_server.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/monitor.h"
#include "cli/rest_client.h"
#include "crypto/cosignature.h"
#include "tests/integration/scripted_server.h"
#include "tests/integration/test_server.h"
#include "tests/integration/witness_helpers.h"

namespace lcb::testing {
namespace {

// Witness a is up; witness b starts only later (lagging). With quorum 1 the bank serves a's
// cosignature; audit with quorum 2 fails until b has caught up (via its 409 from size 0),
// then audit and verify of a record bundle pass with both.
TEST(WitnessIntegration, TwoWitnessesOneLagging) {
  TempDir dir;
  const uint16_t b_port = FreePort();
  const std::string b_url = "http://127.0.0.1:" + std::to_string(b_port);
  // The bank's key is fixed first so that the witnesses can be configured with it.
  const std::string key_file = dir.sub("log_key.pem");
  const std::string log_vkey = NewLogKey(key_file);
  ASSERT_FALSE(log_vkey.empty());
  RunningWitness a("witness.a.example/w", dir.sub("wa"), log_vkey);
  TestServer bank(
      dir.sub("bank"),
      {{"key_file", key_file},
       {"witnesses",
        WitnessesJson({{"witness.a.example/w", a.url()}, {"witness.b.example/w", b_url}}).dump()},
       {"witness_quorum", "1"}});
  ASSERT_EQ(LogVkey(bank), log_vkey);
  Catalog cat;
  cat.Load(bank);
  const std::string record = PostRecords(bank, cat, 40, "lag-");
  const std::string va = a.vkey(), vb = RunningWitness::VkeyOf("witness.b.example/w");
  std::string note = WaitForCheckpoint(bank, [&](const std::string& n) {
    return CosignaturesOn(n, {va}) == 1 && CheckpointSize(n) == bank.services().log().Size();
  });
  ASSERT_EQ(CosignaturesOn(note, {va}), 1u) << note;
  EXPECT_EQ(CosignaturesOn(note, {vb}), 0u);
  EXPECT_EQ(bank.Call("GET", "/v1/log/checkpoint").body, note);

  const std::string saved = dir.sub("audit.checkpoint");
  auto audit = [&](const std::string& quorum) {
    return CmdAudit({"--server", bank.url(), "--from", saved, "--key", log_vkey, "--witness-vkey",
                     va, "--witness-vkey", vb, "--quorum", quorum});
  };
  EXPECT_EQ(audit("1"), 0);
  EXPECT_EQ(audit("2"), 1);

  RunningWitness b("witness.b.example/w", dir.sub("wb"), log_vkey, b_port);
  note = WaitForCheckpoint(bank, [&](const std::string& n) {
    return CosignaturesOn(n, {va, vb}) == 2;
  });
  ASSERT_EQ(CosignaturesOn(note, {va, vb}), 2u) << note;
  EXPECT_EQ(audit("2"), 0);
  EXPECT_EQ(b.witness().KnownSize("creditbank.localhost/log").value(), CheckpointSize(note));

  // A record bundle now carries the cosigned checkpoint in its receipt.
  ClientResponse bundle = bank.Call("GET", "/v1/records/" + record, cat.learner_a_token);
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  const std::string bundle_file = dir.sub("bundle.json");
  std::ofstream(bundle_file) << bundle.body;
  EXPECT_EQ(CmdVerify({"--bundle", bundle_file, "--key", log_vkey, "--witness-vkey", va + "," + vb,
                       "--quorum", "2"}),
            0);
  EXPECT_EQ(CmdVerify({"--bundle", bundle_file, "--key", log_vkey, "--witness-vkey",
                       RunningWitness::VkeyOf("witness.c.example/w"), "--quorum", "1"}),
            1);

  // Once revoked, its bundle proves the revocation under the one cosigned checkpoint.
  bank.CallJson("POST", "/v1/records/" + record + "/revoke", cat.tsinghua_token,
                {{"reason", "entered twice"}}, 200);
  note = WaitForCheckpoint(bank, [&](const std::string& n) {
    return CosignaturesOn(n, {va, vb}) == 2 && CheckpointSize(n) == bank.services().log().Size();
  });
  json revoked = bank.CallJson("GET", "/v1/records/" + record, cat.learner_a_token, nullptr, 200);
  ASSERT_TRUE(revoked.contains("revocation")) << revoked.dump();
  EXPECT_EQ(revoked["receipt"]["checkpoint"], note);
  EXPECT_EQ(revoked["revocation"]["receipt"]["checkpoint"], note);
  std::ofstream(bundle_file, std::ios::trunc) << revoked.dump();
  EXPECT_EQ(CmdVerify({"--bundle", bundle_file, "--key", log_vkey, "--witness-vkey", va + "," + vb,
                       "--quorum", "2"}),
            0);
}

// The bank is restarted on another history signed with the same key (a fork). The witness,
// which cosigned the first history, refuses every checkpoint of the fork, and the forked bank
// (quorum 1) never serves a checkpoint as cosigned.
TEST(WitnessIntegration, ForkedLogIsRefusedAndNeverServedAsCosigned) {
  TempDir dir;
  const std::string key_file = dir.sub("log_key.pem");
  const std::string log_vkey = NewLogKey(key_file);
  ASSERT_FALSE(log_vkey.empty());
  RunningWitness w("witness.example/w", dir.sub("w"), log_vkey);
  const std::map<std::string, std::string> flags = {
      {"key_file", key_file},
      {"witnesses", WitnessesJson({{"witness.example/w", w.url()}}).dump()},
      {"witness_quorum", "1"}};
  uint64_t honest_size = 0;
  {
    TestServer bank(dir.sub("bank"), flags);
    Catalog cat;
    cat.Load(bank);
    PostRecords(bank, cat, 30, "honest-");
    std::string note = WaitForCheckpoint(bank, [&](const std::string& n) {
      return CosignaturesOn(n, {w.vkey()}) == 1 &&
             CheckpointSize(n) == bank.services().log().Size();
    });
    ASSERT_EQ(CosignaturesOn(note, {w.vkey()}), 1u);
    honest_size = CheckpointSize(note);
  }
  TestServer fork(dir.sub("fork"), flags);
  Catalog cat;
  cat.Load(fork);
  PostRecords(fork, cat, 45, "forked-");
  ASSERT_GT(fork.services().log().Size(), honest_size);
  // Give the witness client time to try (it retries with backoff).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string note = fork.Call("GET", "/log/checkpoint").body;
    ASSERT_EQ(CosignaturesOn(note, {w.vkey()}), 0u) << note;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(w.witness().KnownSize("creditbank.localhost/log").value(), honest_size);
  // And over HTTP directly: the fork's checkpoint with a proof from the honest size is 422,
  // from 0 is 409 naming the honest size.
  auto client = HttpClient::Connect(w.url()).value();
  const uint64_t size = fork.services().log().Size();
  const std::string latest = fork.services().log().LatestCheckpoint();
  std::string body = "old " + std::to_string(honest_size) + "\n";
  // The proof is held in a variable: a range-for over value() of a temporary StatusOr would
  // read the vector after the StatusOr is gone.
  const std::vector<Hash> proof =
      fork.services().log().ConsistencyProof(honest_size, CheckpointSize(latest)).value();
  for (const Hash& h : proof) {
    body += Base64Encode(HashBytes(h)) + "\n";
  }
  auto r = client->Request("POST", "/add-checkpoint", body + "\n" + latest);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 422) << r->body;
  r = client->Request("POST", "/add-checkpoint", "old 0\n\n" + latest);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(r->body, std::to_string(honest_size) + "\n");
  EXPECT_EQ(r->headers["content-type"], "text/x.tlog.size");
  EXPECT_GT(size, honest_size);
  auto statuses = fork.services().log().cosigned().CountAt(size);
  EXPECT_EQ(statuses, 0u);
}

// GET /readyz's witness entry named `name` (null if absent).
json ReadyWitness(TestServer& s, const std::string& name) {
  json ready = s.CallJson("GET", "/readyz", "", nullptr, 200);
  for (const json& w : ready["witnesses"]["list"]) {
    if (w["name"] == name) return w;
  }
  return nullptr;
}

// Polls GET /readyz until `pred` holds for its "witnesses" section or kWait passes.
template <typename Pred>
json WaitForWitnesses(TestServer& s, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  json w;
  while (std::chrono::steady_clock::now() < deadline) {
    w = s.CallJson("GET", "/readyz", "", nullptr, 200)["witnesses"];
    if (pred(w)) return w;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return w;
}

// A line of /metrics that starts with `series` ("" if none).
std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string MetricLine(TestServer& s, const std::string& series) {
  const std::string text = s.Call("GET", "/metrics").body;
  const size_t at = text.find("\n" + series + " ");
  return at == std::string::npos ? "" : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

// Both witnesses cosign (quorum 2); the bank restarts with both unreachable and serves the
// same cosigned checkpoint at once, from the store: audit --quorum 2 passes, and /readyz and
// /metrics show the quorum met, the witnesses' sizes and the failures of the new attempts.
TEST(WitnessIntegration, CosignaturesSurviveARestartWithWitnessesDown) {
  TempDir dir;
  const std::string key_file = dir.sub("log_key.pem");
  const std::string log_vkey = NewLogKey(key_file);
  ASSERT_FALSE(log_vkey.empty());
  const std::string na = "witness.a.example/w", nb = "witness.b.example/w";
  const std::string va = RunningWitness::VkeyOf(na), vb = RunningWitness::VkeyOf(nb);
  const uint16_t pa = FreePort(), pb = FreePort();
  const std::string url_a = "http://127.0.0.1:" + std::to_string(pa);
  const std::string url_b = "http://127.0.0.1:" + std::to_string(pb);
  const std::map<std::string, std::string> flags = {
      {"key_file", key_file},
      {"witnesses", WitnessesJson({{na, url_a}, {nb, url_b}}).dump()},
      {"witness_quorum", "2"}};
  std::string cosigned;
  Catalog cat;
  {
    RunningWitness a(na, dir.sub("wa"), log_vkey, pa), b(nb, dir.sub("wb"), log_vkey, pb);
    TestServer bank(dir.sub("bank"), flags);
    cat.Load(bank);
    PostRecords(bank, cat, 25, "before-");
    cosigned = WaitForCheckpoint(bank, [&](const std::string& n) {
      return CosignaturesOn(n, {va, vb}) == 2 && CheckpointSize(n) == bank.services().log().Size();
    });
    ASSERT_EQ(CosignaturesOn(cosigned, {va, vb}), 2u) << cosigned;
    json w = WaitForWitnesses(bank, [](const json& w) { return w["quorum_met"] == true; });
    EXPECT_EQ(w["quorum"], 2);
    EXPECT_EQ(w["cosigned_size"], CheckpointSize(cosigned));
    EXPECT_EQ(MetricLine(bank, "creditbank_witness_quorum_met"), "creditbank_witness_quorum_met 1");
  }
  TestServer bank(dir.sub("bank"), flags);  // the witnesses are gone
  const uint64_t size = CheckpointSize(cosigned);
  EXPECT_EQ(bank.Call("GET", "/log/checkpoint").body, cosigned);
  EXPECT_EQ(bank.Call("GET", "/v1/log/checkpoint").body, cosigned);
  EXPECT_EQ(CmdAudit({"--server", bank.url(), "--from", dir.sub("audit.checkpoint"), "--key",
                      log_vkey, "--witness-vkey", va, "--witness-vkey", vb, "--quorum", "2"}),
            0);
  // New entries: the witnesses cannot be reached, the cosigned checkpoint is still served.
  PostRecords(bank, cat, 3, "after-");
  json w = WaitForWitnesses(bank, [](const json& w) {
    return w["list"][0]["failures"] > 0 && w["list"][1]["failures"] > 0;
  });
  EXPECT_EQ(w["quorum_met"], true);
  EXPECT_EQ(w["cosigned_size"], size);
  for (const json& one : w["list"]) {
    EXPECT_EQ(one["cosigned_size"], size) << one;
    EXPECT_TRUE(one["last_success"].is_string()) << one;
    EXPECT_TRUE(one["last_error"].is_string()) << one;
    EXPECT_TRUE(one["last_error_at"].is_string()) << one;
  }
  EXPECT_EQ(bank.Call("GET", "/log/checkpoint").body, cosigned);
  EXPECT_EQ(MetricLine(bank, "creditbank_witness_cosigned_size{witness=\"" + na + "\"}"),
            "creditbank_witness_cosigned_size{witness=\"" + na + "\"} " + std::to_string(size));
  EXPECT_NE(MetricLine(bank, "creditbank_witness_failures_total{witness=\"" + nb + "\"}"),
            "creditbank_witness_failures_total{witness=\"" + nb + "\"} 0");
}

// Witness a cosigns, b is unreachable (quorum 2): /readyz and /metrics say the quorum is not
// met and which witness lags and why; once b starts, both say it is met.
TEST(WitnessIntegration, HealthShowsALaggingWitnessAndTheQuorum) {
  TempDir dir;
  const std::string key_file = dir.sub("log_key.pem");
  const std::string log_vkey = NewLogKey(key_file);
  ASSERT_FALSE(log_vkey.empty());
  const std::string na = "witness.a.example/w", nb = "witness.b.example/w";
  const uint16_t pb = FreePort();
  RunningWitness a(na, dir.sub("wa"), log_vkey);
  TestServer bank(
      dir.sub("bank"),
      {{"key_file", key_file},
       {"witnesses",
        WitnessesJson({{na, a.url()}, {nb, "http://127.0.0.1:" + std::to_string(pb)}}).dump()},
       {"witness_quorum", "2"}});
  Catalog cat;
  cat.Load(bank);
  PostRecords(bank, cat, 10, "lag-");
  const uint64_t size = bank.services().log().Size();
  json w = WaitForWitnesses(bank, [&](const json& w) {
    return w["list"][0]["cosigned_size"] == size && w["list"][1]["failures"] > 0;
  });
  EXPECT_EQ(w["quorum_met"], false);
  EXPECT_EQ(w["cosigned_size"], 0);
  EXPECT_EQ(w["list"][0]["name"], na);
  EXPECT_EQ(w["list"][0]["cosigned_size"], size);
  EXPECT_TRUE(w["list"][0]["last_error"].is_null());
  EXPECT_EQ(w["list"][1]["name"], nb);
  EXPECT_EQ(w["list"][1]["cosigned_size"], 0);
  EXPECT_TRUE(w["list"][1]["last_success"].is_null());
  EXPECT_NE(w["list"][1]["last_error"].get<std::string>().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(MetricLine(bank, "creditbank_witness_quorum_met"), "creditbank_witness_quorum_met 0");
  EXPECT_EQ(MetricLine(bank, "creditbank_witness_served_cosigned_size"),
            "creditbank_witness_served_cosigned_size 0");
  EXPECT_EQ(MetricLine(bank, "creditbank_witness_cosigned_size{witness=\"" + nb + "\"}"),
            "creditbank_witness_cosigned_size{witness=\"" + nb + "\"} 0");
  EXPECT_EQ(
      MetricLine(bank, "creditbank_witness_last_success_timestamp_seconds{witness=\"" + nb + "\"}"),
      "creditbank_witness_last_success_timestamp_seconds{witness=\"" + nb + "\"} 0");
  EXPECT_EQ(ReadyWitness(bank, nb)["cosigned_size"], 0);

  RunningWitness b(nb, dir.sub("wb"), log_vkey, pb);
  w = WaitForWitnesses(bank, [](const json& w) { return w["quorum_met"] == true; });
  EXPECT_EQ(w["quorum_met"], true);
  EXPECT_EQ(w["cosigned_size"], size);
  EXPECT_EQ(ReadyWitness(bank, nb)["cosigned_size"], size);
  EXPECT_EQ(MetricLine(bank, "creditbank_witness_quorum_met"), "creditbank_witness_quorum_met 1");
}

// A witness whose clock runs a day ahead returns cosignatures dated in the future: the bank
// refuses them (they never count toward the quorum nor reach a served checkpoint) and says why
// in the witness's last_error; a witness on time beside it still cosigns.
TEST(WitnessIntegration, ACosignatureDatedInTheFutureIsRefused) {
  TempDir dir;
  const std::string key_file = dir.sub("log_key.pem");
  const std::string log_vkey = NewLogKey(key_file);
  ASSERT_FALSE(log_vkey.empty());
  const std::string na = "witness.a.example/w", nb = "witness.b.example/w";
  RunningWitness a(na, dir.sub("wa"), log_vkey);
  RunningWitness ahead(nb, dir.sub("wb"), log_vkey, 0, [] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()) +
           86400;
  });
  TestServer bank(dir.sub("bank"),
                  {{"key_file", key_file},
                   {"witnesses", WitnessesJson({{na, a.url()}, {nb, ahead.url()}}).dump()},
                   {"witness_quorum", "1"}});
  Catalog cat;
  cat.Load(bank);
  const std::string record = PostRecords(bank, cat, 5, "future-");
  const uint64_t size = bank.services().log().Size();
  json w = WaitForWitnesses(bank, [&](const json& w) {
    return w["list"][0]["cosigned_size"] == size && w["list"][1]["failures"] > 0;
  });
  EXPECT_EQ(w["list"][0]["cosigned_size"], size);
  EXPECT_EQ(w["list"][1]["name"], nb);
  EXPECT_EQ(w["list"][1]["cosigned_size"], 0);
  const std::string error = w["list"][1].value("last_error", "");
  EXPECT_NE(error.find("after this verifier's clock"), std::string::npos) << w.dump();
  const std::string served = bank.Call("GET", "/v1/log/checkpoint").body;
  EXPECT_EQ(CosignaturesOn(served, {a.vkey()}), 1u) << served;
  EXPECT_EQ(served.find("\xE2\x80\x94 " + nb + " "), std::string::npos) << served;

  // An offline verifier refuses it too: a record's bundle with the future line added to the
  // receipt's checkpoint.
  ClientResponse got = bank.Call("GET", "/v1/records/" + record, cat.learner_a_token);
  ASSERT_EQ(got.status, 200) << got.body;
  json bundle = json::parse(got.body);
  const std::string cp = bundle["receipt"]["checkpoint"];
  ASSERT_EQ(CosignaturesOn(cp, {a.vkey()}), 1u) << cp;
  const std::string future_line = CosignatureLine(
      cp.substr(0, cp.find("\n\n") + 1), nb,
      Ed25519Key::FromSeed(RunningWitness::Sha256Seed(nb)).value(), CosignatureClockNow() + 86400);
  bundle["receipt"]["checkpoint"] = cp + future_line;
  const std::string file = dir.sub("bundle.json");
  std::ofstream(file) << bundle.dump();
  const std::string both = a.vkey() + "," + RunningWitness::VkeyOf(nb);
  // Known, it is not counted (a quorum of both fails, saying why), but it does not veto the
  // other witness's cosignature (a quorum of one passes).
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(
      CmdVerify({"--bundle", file, "--key", log_vkey, "--witness-vkey", both, "--quorum", "2"}),
      kExitInvalid);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("not counted: cosignature by " + nb), std::string::npos) << err;
  EXPECT_EQ(
      CmdVerify({"--bundle", file, "--key", log_vkey, "--witness-vkey", both, "--quorum", "1"}), 0);
  EXPECT_EQ(
      CmdVerify({"--bundle", file, "--key", log_vkey, "--witness-vkey", a.vkey(), "--quorum", "1"}),
      0);  // the future line is of a witness this verifier does not know: ignored
}

// A monitor follows the log by tiles; the bank is then replaced, on the same port and with
// the same key, by one whose history differs: the running monitor reports a rewrite.
TEST(MonitorIntegration, RewrittenHistoryUnderARunningMonitorIsReported) {
  TempDir dir;
  const std::string key_file = dir.sub("log_key.pem");
  ASSERT_TRUE(Ed25519Key::Generate().SavePem(key_file).ok());
  const uint16_t port = FreePort();
  const std::map<std::string, std::string> flags = {
      {"key_file", key_file}, {"listen", "127.0.0.1:" + std::to_string(port)}};
  std::unique_ptr<Monitor> monitor;
  uint64_t seen = 0;
  {
    TestServer bank(dir.sub("bank"), flags);
    Catalog cat;
    cat.Load(bank);
    PostRecords(bank, cat, 300, "m-");
    auto m = Monitor::Open({bank.url(), dir.sub("monitor"), cat.auditor_token, "", "", false});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    monitor = std::move(m).value();
    // A key given wrong (the log's name, another key) never verified anything: it is named as
    // a bad key, not reported as history rewritten.
    {
      const std::string other = NewLogKey(dir.sub("other_key.pem"));
      auto wrong =
          Monitor::Open({bank.url(), dir.sub("wrong"), cat.auditor_token, other, "", false});
      ASSERT_TRUE(wrong.ok()) << wrong.status().ToString();
      auto poll = (*wrong)->Poll();
      ASSERT_FALSE(poll.ok());
      EXPECT_EQ(poll.status().code(), StatusCode::kFailedPrecondition) << poll.status().ToString();
      EXPECT_NE(poll.status().message().find("--log-vkey"), std::string::npos);
      EXPECT_EQ((*wrong)->rewrite_json(), "");
    }
    auto first = monitor->Poll();
    ASSERT_TRUE(first.ok()) << first.status().ToString() << monitor->rewrite_json();
    EXPECT_EQ(first->size, bank.services().log().Size());
    EXPECT_EQ(monitor->counts().at("tsinghua"), 300u);
    PostRecords(bank, cat, 20, "m2-");
    auto second = monitor->Poll();
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    EXPECT_EQ(second->new_entries, 20u);
    EXPECT_EQ(monitor->counts().at("tsinghua"), 320u);
    seen = second->size;
  }
  // The same operations again: same size, other entries (fresh salts), same signing key.
  TestServer rewritten(dir.sub("rewritten"), flags);
  Catalog cat;
  cat.Load(rewritten);
  PostRecords(rewritten, cat, 300, "m-");
  PostRecords(rewritten, cat, 20, "m2-");
  ASSERT_EQ(rewritten.services().log().Size(), seen);
  auto poll = monitor->Poll();
  ASSERT_FALSE(poll.ok());
  EXPECT_EQ(poll.status().code(), StatusCode::kDataLoss);
  json report = json::parse(monitor->rewrite_json());
  EXPECT_EQ(report["event"], "rewrite");
  EXPECT_EQ(report["known_size"], seen);
  EXPECT_EQ(report["size"], seen);
  // The evidence: both signed checkpoints, same size, other roots, each verifying with the key.
  EXPECT_EQ(report["checkpoint"], rewritten.services().log().ledger().LatestCheckpoint());
  ASSERT_TRUE(report["known_checkpoint"].is_string());
  EXPECT_NE(report["known_checkpoint"], report["checkpoint"]);
  EXPECT_EQ(CheckpointSize(report["known_checkpoint"].get<std::string>()), seen);

  // A monitor restarted on the same state, after the rewritten log grew, reports it too.
  PostRecords(rewritten, cat, 5, "m3-");
  auto restarted =
      Monitor::Open({rewritten.url(), dir.sub("monitor"), cat.auditor_token, "", "", false});
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  EXPECT_EQ((*restarted)->size(), seen);
  auto again = (*restarted)->Poll();
  ASSERT_FALSE(again.ok());
  EXPECT_NE((*restarted)->rewrite_json().find("not an extension"), std::string::npos)
      << (*restarted)->rewrite_json();
  // `creditbank monitor --once` on that state: the rewrite is a problem found, exit 1.
  restarted->reset();
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(CmdMonitor({"--server", rewritten.url(), "--state", dir.sub("monitor"), "--token",
                        cat.auditor_token, "--once"}),
            kExitInvalid);
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("\"rewrite\""), std::string::npos);
}

// A log the monitor cannot reach or read (nothing listening, 503 after the CLI's retries, a
// 500 on a tile) is exit 3 for `monitor --once`: nothing was judged, nothing reported as a
// rewrite, the state kept; the same monitor goes on once the log is back.
TEST(MonitorIntegration, UnreachableLogIsUnavailableNotARewrite) {
  TempDir dir;
  const std::string key_file = dir.sub("log_key.pem");
  ASSERT_TRUE(Ed25519Key::Generate().SavePem(key_file).ok());
  const uint16_t port = FreePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string state = dir.sub("monitor");
  auto monitor = [&](const std::string& server, const std::string& token) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = CmdMonitor({"--server", server, "--state", state, "--token", token, "--once"});
    const std::string out = ::testing::internal::GetCapturedStdout();
    ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(out.find("rewrite"), std::string::npos) << out;
    return code;
  };
  EXPECT_EQ(monitor(url, ""), kExitUnavailable) << "nothing listening";
  const std::string problem = R"({"type":"about:blank","status":503,"detail":"down"})";
  {
    ScriptedServer down(std::vector<std::string>(RestClient::kMaxTries, Answer(503, problem)));
    EXPECT_EQ(monitor(down.url(), ""), kExitUnavailable) << "503";
  }
  std::string token, saved;
  {
    TestServer bank(dir.sub("bank"), {{"key_file", key_file}, {"listen", url.substr(7)}});
    Catalog cat;
    cat.Load(bank);
    PostRecords(bank, cat, 3, "u-");
    token = cat.auditor_token;
    EXPECT_EQ(monitor(url, token), kExitOk);
    saved = ReadFileText(state + "/monitor.json");
    ASSERT_FALSE(saved.empty());
    PostRecords(bank, cat, 2, "u2-");
    // The checkpoint is read, an entry bundle answers 500: still nothing judged.
    ClientResponse cp = bank.Call("GET", "/log/checkpoint");
    ScriptedServer half({Answer(200, cp.body), Answer(500, problem)});
    EXPECT_EQ(monitor(half.url(), token), kExitUnavailable) << "500 on a tile";
  }
  // The bank is stopped: its port refuses connections.
  EXPECT_EQ(monitor(url, token), kExitUnavailable) << "the bank stopped";
  EXPECT_EQ(ReadFileText(state + "/monitor.json"), saved) << "the state changed";
  TestServer bank(dir.sub("bank"), {{"key_file", key_file}, {"listen", url.substr(7)}});
  EXPECT_EQ(monitor(url, token), kExitOk);
  EXPECT_NE(ReadFileText(state + "/monitor.json"), saved);
}

TEST(MonitorLabels, ScansTopLevelTypeAndIssuer) {
  EntryLabels l = ScanEntryLabels(
      R"({"grade":{"issuer":"nested","scale":"x"},"issuer":"tsinghua","note":"\"issuer\":\"fake\"","type":"record"})");
  EXPECT_EQ(l.issuer, "tsinghua");
  EXPECT_EQ(l.type, "record");
  EXPECT_EQ(ScanEntryLabels(R"({"type":"ruleset"})").issuer, "");
  EXPECT_EQ(ScanEntryLabels("not json").type, "");
  EXPECT_EQ(ScanEntryLabels(R"({"a":"x\\","type":"t"})").type, "t");  // "x\\" ends at its quote
  EXPECT_EQ(ScanEntryLabels(R"({"type":"unterminated)").type, "unterminated");
}

// Against a full JSON parse (the oracle): random objects with nested objects and arrays,
// strings with escapes and quotes, "type" and "issuer" at any depth and in any order.
TEST(MonitorLabels, AgreeWithAFullParse) {
  std::mt19937 rng(19);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::vector<std::string> words = {"type", "issuer", "a", "x\"y", "back\\slash", "{[", "é",
                                          "\"issuer\":\"z\""};
  std::function<json(int)> value = [&](int depth) -> json {
    switch (depth > 2 ? pick(3) : pick(5)) {
      case 0: return words[pick(words.size())];
      case 1: return pick(1000);
      case 2: return nullptr;
      case 3: {
        json o = json::object();
        for (int k = pick(4); k > 0; --k) o[words[pick(words.size())]] = value(depth + 1);
        return o;
      }
      default: {
        json a = json::array();
        for (int k = pick(4); k > 0; --k) a.push_back(value(depth + 1));
        return a;
      }
    }
  };
  for (int n = 0; n < 2000; ++n) {
    json entry = json::object();
    for (int k = pick(6); k > 0; --k) entry[words[pick(words.size())]] = value(1);
    if (pick(2)) entry["type"] = "record" + std::to_string(pick(9));
    if (pick(2)) entry["issuer"] = "inst-" + std::to_string(pick(9));
    const std::string text = entry.dump();
    const EntryLabels l = ScanEntryLabels(text);
    auto top = [&](const char* k) {
      return entry.contains(k) && entry[k].is_string() ? entry[k].get<std::string>() : "";
    };
    // Raw (still escaped) text is what the scan returns; compare where no escape is involved.
    if (top("type").find_first_of("\\\"") == std::string::npos) EXPECT_EQ(l.type, top("type")) << text;
    if (top("issuer").find_first_of("\\\"") == std::string::npos)
      EXPECT_EQ(l.issuer, top("issuer")) << text;
  }
}

}  // namespace
}  // namespace lcb::testing
