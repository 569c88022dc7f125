// The transparency log end to end: offline bundle verification, audits between checkpoints,
// a rewritten history caught by audit, and a tampered store caught on read.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "cli/cmd_log.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/rest_client.h"
#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/jcs.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "crypto/tiles.h"
#include "storage/kv.h"
#include "storage/ledger.h"
#include "tests/integration/scripted_server.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(dir_.sub("bank"));
    cat_.Load(*server_);
  }
  std::string PostOne(const std::string& ref, const std::string& grade = "90") {
    json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                               cat_.Record(cat_.learner_a, "tsinghua:CS101", ref, grade), 201);
    return r["records"][0]["id"];
  }
  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

TEST_F(LogTest, BundleVerifiesOfflineAndTamperingIsCaught) {
  std::string id = PostOne("L-1");
  PostOne("L-2");
  json bundle = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  std::string bundle_path = dir_.sub("record.json"), pem_path = dir_.sub("pub.pem");
  WriteFile(bundle_path, bundle.dump(2));
  WriteFile(pem_path, key["public_key_pem"]);
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", pem_path}), 0);
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", key["verifier_key"]}), 0);

  json altered = bundle;
  altered["record"]["credits"] = 40;
  WriteFile(bundle_path, altered.dump());
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", pem_path}), 1);

  json wrong_proof = bundle;
  wrong_proof["receipt"]["leaf_index"] = bundle["receipt"]["leaf_index"].get<uint64_t>() + 1;
  WriteFile(bundle_path, wrong_proof.dump());
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", pem_path}), 1);

  // A key that did not sign the checkpoint.
  Ed25519Key other = Ed25519Key::Generate();
  WriteFile(bundle_path, bundle.dump());
  WriteFile(pem_path, other.PublicKeyPem());
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", pem_path}), 1);
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path}), 2);
}

// A receipt's tree_size and leaf_index are what a reader of the bundle sees: numbers that the
// signed checkpoint does not back are a failure, even when the proof checks.
TEST_F(LogTest, BundleWhoseReceiptDisagreesWithItsCheckpointFails) {
  std::string id = PostOne("T-1");
  PostOne("T-2");
  json bundle = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  const std::string vkey = key["verifier_key"];
  const std::string bundle_path = dir_.sub("record.json");
  WriteFile(bundle_path, bundle.dump());
  ASSERT_EQ(CmdVerify({"--bundle", bundle_path, "--key", vkey}), 0);
  const uint64_t size = bundle["receipt"]["tree_size"];

  json bigger = bundle;
  bigger["receipt"]["tree_size"] = size + 1;
  WriteFile(bundle_path, bigger.dump());
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", vkey}), 1);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("tree_size"), std::string::npos);

  json smaller = bundle;
  smaller["receipt"]["tree_size"] = size - 1;
  WriteFile(bundle_path, smaller.dump());
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", vkey}), 1);

  json missing = bundle;
  missing["receipt"].erase("tree_size");
  WriteFile(bundle_path, missing.dump());
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", vkey}), 1);

  json past_end = bundle;
  past_end["receipt"]["leaf_index"] = size;
  WriteFile(bundle_path, past_end.dump());
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(CmdVerify({"--bundle", bundle_path, "--key", vkey}), 1);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("leaf_index"), std::string::npos);
}

// Both receipts of a bundle, checked here with the log's verifier key and nothing from the
// bank's code path: the record's and (when present) the revocation's inclusion in the one
// checkpoint they carry. Returns that checkpoint's size.
uint64_t ExpectReceiptsVerify(const json& bundle, const std::string& vkey) {
  auto verifier = ParseVerifierKey(vkey);
  EXPECT_TRUE(verifier.ok());
  const std::string note = bundle["receipt"]["checkpoint"];
  auto opened = OpenNote(note, {*verifier});
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return 0;
  auto cp = ParseCheckpointBody(opened->text);
  EXPECT_TRUE(cp.ok());
  auto included = [&](const json& entry, const json& receipt) {
    std::vector<Hash> proof;
    for (const auto& h : receipt["inclusion_proof"]) {
      proof.push_back(HashFromHex(h.get<std::string>()).value());
    }
    EXPECT_EQ(receipt["tree_size"], cp->size);
    return VerifyInclusion(receipt["leaf_index"].get<uint64_t>(), cp->size,
                           LeafHash(CanonicalJson(entry).value()), proof, cp->root);
  };
  EXPECT_TRUE(included(bundle["record"], bundle["receipt"]).ok());
  if (bundle.contains("revocation")) {
    EXPECT_EQ(bundle["revocation"]["receipt"]["checkpoint"], note);
    Status s = included(bundle["revocation"]["entry"], bundle["revocation"]["receipt"]);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return cp->size;
}

// A revoked record's bundle carries its revocation entry with a receipt against the same
// checkpoint as the record's: one signed checkpoint proves that the issuer revoked it, when
// and why. verify checks and prints it, and refuses a revocation that is altered, of another
// record, or missing while the status says revoked.
TEST_F(LogTest, RevokedBundleProvesItsRevocation) {
  const std::string id = PostOne("V-1"), other = PostOne("V-2"), active = PostOne("V-3");
  json revoked = server_->CallJson("POST", "/v1/records/" + id + "/revoke", cat_.tsinghua_token,
                                   {{"reason", "grade entered twice"}}, 200);
  server_->CallJson("POST", "/v1/records/" + other + "/revoke", cat_.tsinghua_token,
                    {{"reason", "wrong learner"}}, 200);
  PostOne("V-4");  // the log moves on: the bundle's checkpoint is a later one
  json bundle = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  json other_bundle =
      server_->CallJson("GET", "/v1/records/" + other, cat_.learner_a_token, nullptr, 200);
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  const std::string vkey = key["verifier_key"];

  ASSERT_EQ(bundle["status"], "revoked");
  ASSERT_TRUE(bundle.contains("revocation")) << bundle.dump();
  const json& rev = bundle["revocation"];
  EXPECT_EQ(bundle["revoked_by"], revoked["id"]);
  EXPECT_EQ(rev["entry"]["type"], "revocation");
  EXPECT_EQ(rev["entry"]["id"], revoked["id"]);
  EXPECT_EQ(rev["entry"]["record"], id);
  EXPECT_EQ(rev["entry"]["issuer"], "tsinghua");
  EXPECT_EQ(rev["entry"]["reason"], "grade entered twice");
  EXPECT_EQ(rev["leaf_index"], revoked["leaf_index"]);
  EXPECT_EQ(rev["receipt"]["leaf_index"], revoked["leaf_index"]);
  EXPECT_GT(rev["leaf_index"].get<uint64_t>(), bundle["receipt"]["leaf_index"].get<uint64_t>());
  EXPECT_EQ(rev["receipt"]["checkpoint"], bundle["receipt"]["checkpoint"]);
  EXPECT_EQ(ExpectReceiptsVerify(bundle, vkey), server_->ledger().Size());
  // The entry shown is the one the log holds at that index (its leaf hash, public).
  const uint64_t rev_leaf = rev["leaf_index"];
  json leaves = server_->CallJson(
      "GET",
      "/v1/log/entries?start=" + std::to_string(rev_leaf) + "&end=" + std::to_string(rev_leaf + 1),
      "", nullptr, 200);
  EXPECT_EQ(leaves["entries"][0]["leaf_hash"],
            HashHex(LeafHash(CanonicalJson(rev["entry"]).value())));
  // An active record's bundle has none.
  json active_bundle =
      server_->CallJson("GET", "/v1/records/" + active, cat_.learner_a_token, nullptr, 200);
  EXPECT_FALSE(active_bundle.contains("revocation"));
  EXPECT_FALSE(active_bundle.contains("revoked_by"));

  const std::string path = dir_.sub("revoked.json");
  auto verify = [&](const json& b, std::string* out, std::string* err) {
    WriteFile(path, b.dump(2));
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = CmdVerify({"--bundle", path, "--key", vkey});
    *out = ::testing::internal::GetCapturedStdout();
    *err = ::testing::internal::GetCapturedStderr();
    return code;
  };
  std::string out, err;
  ASSERT_EQ(verify(bundle, &out, &err), 0) << err;
  EXPECT_NE(out.find("REVOKED"), std::string::npos) << out;
  EXPECT_NE(out.find(revoked["id"].get<std::string>()), std::string::npos) << out;
  EXPECT_NE(out.find(rev["entry"]["recorded_at"].get<std::string>()), std::string::npos) << out;
  EXPECT_NE(out.find("\"grade entered twice\""), std::string::npos) << out;
  EXPECT_NE(out.find("tsinghua"), std::string::npos) << out;
  ASSERT_EQ(verify(active_bundle, &out, &err), 0) << err;
  EXPECT_EQ(out.find("REVOKED"), std::string::npos) << out;

  json altered = bundle;
  altered["revocation"]["entry"]["reason"] = "revoked by mistake";
  EXPECT_EQ(verify(altered, &out, &err), kExitInvalid);
  EXPECT_NE(err.find("revocation is not in the signed log"), std::string::npos) << err;

  json later = bundle;  // the revocation's time altered
  later["revocation"]["entry"]["recorded_at"] = "2020-01-01T00:00:00.000Z";
  EXPECT_EQ(verify(later, &out, &err), kExitInvalid);

  json bad_proof = bundle;
  json& proof = bad_proof["revocation"]["receipt"]["inclusion_proof"];
  ASSERT_FALSE(proof.empty());
  std::string h = proof[0];
  h[0] = h[0] == '0' ? '1' : '0';
  proof[0] = h;
  EXPECT_EQ(verify(bad_proof, &out, &err), kExitInvalid);
  EXPECT_NE(err.find("revocation"), std::string::npos) << err;

  // Another record's genuine revocation, under the same checkpoint, swapped in (with and
  // without revoked_by following it).
  ASSERT_EQ(other_bundle["receipt"]["checkpoint"], bundle["receipt"]["checkpoint"]);
  json swapped = bundle;
  swapped["revocation"] = other_bundle["revocation"];
  EXPECT_EQ(verify(swapped, &out, &err), kExitInvalid);
  EXPECT_NE(err.find("not this record"), std::string::npos) << err;
  swapped["revoked_by"] = other_bundle["revoked_by"];
  EXPECT_EQ(verify(swapped, &out, &err), kExitInvalid);
  EXPECT_NE(err.find("not this record"), std::string::npos) << err;

  json removed = bundle;
  removed.erase("revocation");
  EXPECT_EQ(verify(removed, &out, &err), kExitInvalid);
  EXPECT_NE(err.find("no revocation entry"), std::string::npos) << err;

  json wrong_id = bundle;
  wrong_id["revoked_by"] = other_bundle["revoked_by"];
  EXPECT_EQ(verify(wrong_id, &out, &err), kExitInvalid);
  EXPECT_NE(err.find("revoked_by"), std::string::npos) << err;

  json said_active = bundle;
  said_active["status"] = "active";
  EXPECT_EQ(verify(said_active, &out, &err), kExitInvalid);

  json active_with_rev = active_bundle;  // a revocation grafted onto an active record's bundle
  active_with_rev["status"] = "revoked";
  active_with_rev["revoked_by"] = bundle["revoked_by"];
  active_with_rev["revocation"] = bundle["revocation"];
  EXPECT_EQ(verify(active_with_rev, &out, &err), kExitInvalid);
  EXPECT_NE(err.find("not this record"), std::string::npos) << err;

  // The record receipt from another (earlier) checkpoint than the revocation's.
  json mixed = bundle;
  mixed["receipt"] = revoked["receipt"];
  mixed["receipt"]["leaf_index"] = bundle["receipt"]["leaf_index"];
  mixed["receipt"]["inclusion_proof"] =
      server_->CallJson("GET",
                        "/v1/log/proof/inclusion?index=" + bundle["receipt"]["leaf_index"].dump() +
                            "&size=" + revoked["receipt"]["tree_size"].dump(),
                        "", nullptr, 200)["proof"];
  ASSERT_EQ(verify(mixed, &out, &err), kExitInvalid) << out;  // the record alone would verify
  EXPECT_NE(err.find("another checkpoint"), std::string::npos) << err;
}

// A correction's revocation names the replacement; verify says so.
TEST_F(LogTest, CorrectedBundleNamesItsReplacement) {
  const std::string id = PostOne("C-1", "70");
  json corrected = server_->CallJson(
      "POST", "/v1/records/" + id + "/correct", cat_.tsinghua_token,
      {{"record", cat_.Record(cat_.learner_a, "tsinghua:CS101", "C-1b", "75")}}, 201);
  const std::string replacement = corrected["record"]["id"];
  json bundle = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  ASSERT_TRUE(bundle.contains("revocation")) << bundle.dump();
  EXPECT_EQ(bundle["revocation"]["entry"]["superseded_by"], replacement);
  EXPECT_EQ(bundle["revocation"]["leaf_index"], corrected["revocation"]["leaf_index"]);
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  ExpectReceiptsVerify(bundle, key["verifier_key"]);
  const std::string path = dir_.sub("corrected.json");
  WriteFile(path, bundle.dump());
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(CmdVerify({"--bundle", path, "--key", key["verifier_key"]}), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("superseded by record " + replacement), std::string::npos) << out;
  EXPECT_NE(out.find("\"corrected by issuer\""), std::string::npos) << out;
}

// The saved checkpoint is where the next audit starts: an audit that could not save it must
// not exit 0, and must say where and why.
TEST_F(LogTest, AuditThatCannotSaveFails) {
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  const std::string vkey = key["verifier_key"];
  PostOne("S-1");
  const std::string cp_path = dir_.sub("checkpoint.txt");
  for (const std::string& save : {dir_.sub("no/such/dir/cp.txt"), std::string("/proc/version")}) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(
        CmdAudit({"--server", server_->url(), "--from", cp_path, "--key", vkey, "--save", save}), 1)
        << save;
    const std::string out = ::testing::internal::GetCapturedStdout();
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(out.find("saved"), std::string::npos) << out;
    EXPECT_NE(err.find("not saved to " + save), std::string::npos) << err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.sub("no/such/dir/cp.txt")));

  // A missing --from whose directory does not exist: the save to it fails too.
  const std::string nowhere = dir_.sub("missing/cp.txt");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(CmdAudit({"--server", server_->url(), "--from", nowhere, "--key", vkey}), 1);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("not saved to " + nowhere),
            std::string::npos);

  // A good save replaces the file whole and leaves no temporary file behind.
  ASSERT_EQ(CmdAudit({"--server", server_->url(), "--from", cp_path, "--key", vkey}), 0);
  EXPECT_EQ(ReadAll(cp_path), server_->ledger().LatestCheckpoint());
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    if (e.path().filename().string().rfind("checkpoint.txt", 0) == 0) ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(LogTest, AuditFollowsTheLogAndSavesCheckpoints) {
  std::string cp_path = dir_.sub("checkpoint.txt");
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  std::string vkey = key["verifier_key"];
  PostOne("A-1");
  // From nothing: the empty proof from size 0.
  ASSERT_EQ(CmdAudit({"--server", server_->url(), "--from", cp_path, "--key", vkey}), 0);
  std::string first = ReadAll(cp_path);
  EXPECT_EQ(first, server_->ledger().LatestCheckpoint());
  for (int i = 0; i < 37; ++i) PostOne("A-more-" + std::to_string(i));
  ASSERT_EQ(CmdAudit({"--server", server_->url(), "--from", cp_path, "--key", vkey}), 0);
  EXPECT_NE(ReadAll(cp_path), first);
  // Nothing new: still consistent.
  EXPECT_EQ(CmdAudit({"--server", server_->url(), "--from", cp_path, "--key", vkey}), 0);
}

// A bank with no entries serves a signed checkpoint of size 0 (C2SP tlog-checkpoint clients
// expect one): the empty tree's root, the log's origin and key, the same bytes after a restart,
// and an audit from nothing starts there.
TEST(EmptyLogTest, ServesASignedCheckpointOfSizeZero) {
  TempDir dir;
  auto server = std::make_unique<TestServer>(dir.sub("bank"));
  ASSERT_EQ(server->ledger().Size(), 0u);
  ClientResponse latest = server->Call("GET", "/v1/log/checkpoint");
  ASSERT_EQ(latest.status, 200) << latest.body;
  const std::string note = latest.body;
  EXPECT_EQ(server->Call("GET", "/log/checkpoint").body, note);
  EXPECT_EQ(server->Call("GET", "/v1/log/checkpoints/0").body, note);
  json key = server->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  const std::string vkey = key["verifier_key"];
  StatusOr<NoteVerifier> verifier = ParseVerifierKey(vkey);
  ASSERT_TRUE(verifier.ok());
  StatusOr<VerifiedNote> opened = OpenNote(note, {*verifier});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StatusOr<Checkpoint> cp = ParseCheckpointBody(opened->text);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, verifier->name);
  EXPECT_EQ(cp->size, 0u);
  EXPECT_EQ(cp->root, EmptyRoot());
  EXPECT_EQ(HashHex(cp->root), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string note_path = dir.sub("cp0.txt");
  WriteFile(note_path, note);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(CmdNoteVerify({"--key", vkey, "--note", note_path}), 0);
  ::testing::internal::GetCapturedStdout();
  json proof =
      server->CallJson("GET", "/v1/log/proof/consistency?first=0&second=0", "", nullptr, 200);
  EXPECT_EQ(proof["proof"], json::array());

  // An audit from nothing to the empty log, then on to a log with entries.
  const std::string saved = dir.sub("audit.txt");
  ASSERT_EQ(CmdAudit({"--server", server->url(), "--from", saved, "--key", vkey}), 0);
  EXPECT_EQ(ReadAll(saved), note);
  ASSERT_EQ(CmdAudit({"--server", server->url(), "--from", saved, "--key", vkey}), 0);

  // A restart signs the same bytes (Ed25519 is deterministic); nothing was stored for it.
  server.reset();
  server = std::make_unique<TestServer>(dir.sub("bank"));
  EXPECT_EQ(server->Call("GET", "/v1/log/checkpoint").body, note);
  Catalog cat;
  cat.Load(*server);
  server->CallJson("POST", "/v1/records", cat.tsinghua_token,
                   cat.Record(cat.learner_a, "tsinghua:CS101", "E-1"), 201);
  ASSERT_GT(server->ledger().Size(), 0u);
  EXPECT_NE(server->Call("GET", "/v1/log/checkpoint").body, note);
  EXPECT_EQ(server->Call("GET", "/v1/log/checkpoints/0").body, note);
  ASSERT_EQ(CmdAudit({"--server", server->url(), "--from", saved, "--key", vkey}), 0);
  EXPECT_EQ(ReadAll(saved), server->ledger().LatestCheckpoint());
}

TEST_F(LogTest, AuditDetectsRewrittenHistory) {
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  std::string vkey = key["verifier_key"];
  for (int i = 0; i < 5; ++i) PostOne("H-" + std::to_string(i));
  std::string cp_path = dir_.sub("checkpoint.txt");
  ASSERT_EQ(CmdAudit({"--server", server_->url(), "--from", cp_path, "--key", vkey}), 0);

  // A second bank with the same signing key but a different history (a rewritten log).
  std::string forged = dir_.sub("forged");
  std::filesystem::create_directories(forged);
  std::filesystem::copy_file(dir_.sub("bank") + "/log_key.pem", forged + "/log_key.pem");
  std::filesystem::permissions(forged + "/log_key.pem", std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  TestServer other(forged);
  Catalog cat2;
  cat2.Load(other);
  for (int i = 0; i < 9; ++i) {
    other.CallJson("POST", "/v1/records", cat2.tsinghua_token,
                   cat2.Record(cat2.learner_a, "tsinghua:CS101", "F-" + std::to_string(i)), 201);
  }
  std::string before = ReadAll(cp_path);
  EXPECT_EQ(CmdAudit({"--server", other.url(), "--from", cp_path, "--key", vkey}), kExitInvalid);
  EXPECT_EQ(ReadAll(cp_path), before) << "a failed audit must not replace the saved checkpoint";
}

// A loopback port with nothing listening on it (bound, then released).
uint16_t ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// An auditor's cron must tell "could not check" from "found a problem": a log that cannot be
// reached or read (nothing listening, 503 after the CLI's retries, a 500) is exit 3 and says
// nothing was checked; the saved checkpoint stays as it was. A rewritten log is still 1
// (AuditDetectsRewrittenHistory), and so is an answer that is not a log's.
TEST_F(LogTest, AuditThatCannotReadTheLogIsUnavailableNotInvalid) {
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  const std::string vkey = key["verifier_key"];
  PostOne("U-1");
  const std::string cp_path = dir_.sub("checkpoint.txt");
  ASSERT_EQ(CmdAudit({"--server", server_->url(), "--from", cp_path, "--key", vkey}), 0);
  const std::string saved = ReadAll(cp_path);
  PostOne("U-2");
  const std::string note = server_->ledger().LatestCheckpoint();
  auto audit = [&](const std::string& url, bool with_key = true) {
    CommandArgs args = {"--server", url, "--from", cp_path};
    if (with_key) args.insert(args.end(), {"--key", vkey});
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = CmdAudit(args);
    ::testing::internal::GetCapturedStdout();
    return std::make_pair(code, ::testing::internal::GetCapturedStderr());
  };
  const std::string problem = R"({"type":"about:blank","status":503,"detail":"down"})";
  const std::vector<std::string> five_503(RestClient::kMaxTries, Answer(503, problem));

  auto [code, err] = audit("http://127.0.0.1:" + std::to_string(ClosedPort()));
  EXPECT_EQ(code, kExitUnavailable) << err;
  EXPECT_NE(err.find("UNAVAILABLE"), std::string::npos) << err;
  EXPECT_EQ(err.find("FAILED"), std::string::npos) << err;
  {
    ScriptedServer down(five_503);
    std::tie(code, err) = audit(down.url());
    EXPECT_EQ(code, kExitUnavailable) << err;
    EXPECT_EQ(down.requests().size(), static_cast<size_t>(RestClient::kMaxTries));
  }
  {
    ScriptedServer down(five_503);  // the key, fetched first without --key
    std::tie(code, err) = audit(down.url(), /*with_key=*/false);
    EXPECT_EQ(code, kExitUnavailable) << err;
  }
  {
    ScriptedServer broken({Answer(500, problem)});  // not retried: the answer is final
    std::tie(code, err) = audit(broken.url());
    EXPECT_EQ(code, kExitUnavailable) << err;
  }
  {
    // The checkpoint is read, the consistency proof is not: nothing was judged.
    std::vector<std::string> script = {Answer(200, note)};
    script.insert(script.end(), five_503.begin(), five_503.end());
    ScriptedServer half(script);
    std::tie(code, err) = audit(half.url());
    EXPECT_EQ(code, kExitUnavailable) << err;
    EXPECT_NE(err.find("consistency"), std::string::npos) << err;
  }
  EXPECT_EQ(ReadAll(cp_path), saved) << "an audit that checked nothing replaced the checkpoint";
  {
    // An answer, but not a log's: a failure, as before (a wrong --server, not an outage).
    ScriptedServer elsewhere({Answer(404, "{}")});
    std::tie(code, err) = audit(elsewhere.url());
    EXPECT_EQ(code, kExitFailure) << err;
  }
  {
    // A checkpoint that does not verify with the key is a problem found, whatever follows.
    std::string forged = note;
    forged[forged.find('\n') + 1] ^= 1;  // the tree size line
    ScriptedServer liar({Answer(200, forged)});
    std::tie(code, err) = audit(liar.url());
    EXPECT_EQ(code, kExitInvalid) << err;
  }
  EXPECT_EQ(ReadAll(cp_path), saved);
  // Reachable again: the audit goes on from the saved checkpoint.
  EXPECT_EQ(audit(server_->url()).first, kExitOk);
  EXPECT_EQ(ReadAll(cp_path), note);
}

// A start refused for another origin changes nothing: before, the bank's key under the other
// origin was taken for a new key and published, retiring the key in use, so that (on a shared
// store) no node could start with the right origin again (an outside review, following the
// restore commands of the docs, which give no --origin).
TEST_F(LogTest, AStartWithAnotherOriginIsRefusedAndChangesNoKey) {
  PostOne("O-1");
  const std::string key = server_->Call("GET", "/v1/log/key").body;
  server_.reset();
  std::map<std::string, std::string> flags = {{"data_dir", dir_.sub("bank")},
                                              {"origin", "another.example/log"}};
  AddBackendFlags(dir_.sub("bank"), flags);
  std::string token;
  auto refused = BankServer::Open(LoadConfig("", {}, flags).value(), &token);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("published for origin 'creditbank.localhost/log'"),
            std::string::npos)
      << refused.status().ToString();
  server_ = std::make_unique<TestServer>(dir_.sub("bank"));
  EXPECT_EQ(server_->Call("GET", "/v1/log/key").body, key);
  PostOne("O-2");
}

TEST_F(LogTest, KeyRotationKeepsOldCheckpointsVerifiable) {
  PostOne("K-1");
  json old_key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  std::string old_note = server_->ledger().LatestCheckpoint();
  // A monitor pins the key in use.
  const std::string state = dir_.sub("monitor");
  auto monitor = [&](std::vector<std::string> more) {
    std::vector<std::string> args = {"--server", server_->url(),     "--state", state,
                                     "--token",  cat_.auditor_token, "--once"};
    args.insert(args.end(), more.begin(), more.end());
    ::testing::internal::CaptureStdout();
    const int code = CmdMonitor(args);
    return std::make_pair(code, ::testing::internal::GetCapturedStdout());
  };
  ASSERT_EQ(monitor({}).first, kExitOk);
  server_.reset();
  // The operator rotates: the old key file is retired, a new one is made on the next start.
  // On a shared store (the postgres/ run) a node never makes a key once the bank has one: the
  // operator puts the new key in place (`creditbank keygen`).
  std::filesystem::rename(dir_.sub("bank") + "/log_key.pem", dir_.sub("old_key.pem"));
  if (TestOnPostgres()) {
    ASSERT_TRUE(Ed25519Key::Generate().SavePem(dir_.sub("bank") + "/log_key.pem").ok());
    // There a key the bank never published is refused unless the operator says it rotates:
    // a node started with a wrong key file must not retire the key the others sign with.
    std::map<std::string, std::string> flags = {{"data_dir", dir_.sub("bank")}};
    AddBackendFlags(dir_.sub("bank"), flags);
    std::string token;
    auto refused = BankServer::Open(LoadConfig("", {}, flags).value(), &token);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("never published"), std::string::npos)
        << refused.status().ToString();
  }
  server_ = std::make_unique<TestServer>(
      dir_.sub("bank"), std::map<std::string, std::string>{{"rotate_log_key", "true"}});
  std::string id = PostOne("K-2");
  json key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  ASSERT_NE(key["verifier_key"], old_key["verifier_key"]);
  ASSERT_EQ(key["keys"].size(), 2u);
  EXPECT_EQ(key["keys"][0]["verifier_key"], old_key["verifier_key"]);
  EXPECT_TRUE(key["keys"][0].contains("valid_until"));
  EXPECT_FALSE(key["keys"][1].contains("valid_until"));
  // Old checkpoints verify with the old (still listed) key, new ones with the new key, and
  // the log stayed append-only across the rotation.
  auto old_verifier = ParseVerifierKey(key["keys"][0]["verifier_key"].get<std::string>());
  ASSERT_TRUE(old_verifier.ok());
  EXPECT_TRUE(OpenNote(old_note, {*old_verifier}).ok());
  EXPECT_FALSE(OpenNote(server_->ledger().LatestCheckpoint(), {*old_verifier}).ok());
  json bundle = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  WriteFile(dir_.sub("b.json"), bundle.dump());
  EXPECT_EQ(CmdVerify({"--bundle", dir_.sub("b.json"), "--key", key["verifier_key"]}), 0);
  EXPECT_EQ(CmdVerify({"--bundle", dir_.sub("b.json"), "--key", old_key["verifier_key"]}), 1);
  // An auditor keeps both keys (an outside review found each command took one): repeated, with
  // commas, or one per line in a file, checkpoints from both sides of the rotation verify.
  const std::string both = old_key["verifier_key"].get<std::string>() + "\n" +
                           key["verifier_key"].get<std::string>() + "\n";
  WriteFile(dir_.sub("keys.txt"), both);
  EXPECT_EQ(CmdVerify({"--bundle", dir_.sub("b.json"), "--key", old_key["verifier_key"], "--key",
                       key["verifier_key"]}),
            0);
  EXPECT_EQ(CmdVerify({"--bundle", dir_.sub("b.json"), "--key", dir_.sub("keys.txt")}), 0);
  EXPECT_EQ(CmdVerify({"--bundle", dir_.sub("b.json"), "--key",
                       old_key["verifier_key"].get<std::string>() + "," +
                           key["verifier_key"].get<std::string>()}),
            0);
  EXPECT_EQ(CmdVerify({"--bundle", dir_.sub("absent.json"), "--key", dir_.sub("keys.txt")}),
            kExitUsage);
  // audit from a checkpoint the old key signed: with both keys, or trusting the server's keys
  // (the retired one too), the log is append-only across the rotation.
  WriteFile(dir_.sub("old_cp.txt"), old_note);
  EXPECT_EQ(CmdAudit({"--server", server_->url(), "--from", dir_.sub("old_cp.txt"), "--key",
                      dir_.sub("keys.txt"), "--save", dir_.sub("cp1.txt")}),
            0);
  EXPECT_EQ(CmdAudit({"--server", server_->url(), "--from", dir_.sub("old_cp.txt"), "--save",
                      dir_.sub("cp2.txt")}),
            0);
  EXPECT_EQ(CmdAudit({"--server", server_->url(), "--from", dir_.sub("old_cp.txt"), "--key",
                      key["verifier_key"], "--save", dir_.sub("cp3.txt")}),
            1)
      << "the new key alone cannot check the saved checkpoint";
  {
    // Trusting the server's keys, only its current key may sign the latest checkpoint: a retired
    // key may have leaked, and could sign a fork that extends the saved checkpoint.
    auto old_signer = Ed25519Key::LoadPem(dir_.sub("old_key.pem"));
    ASSERT_TRUE(old_signer.ok());
    const std::string latest = server_->ledger().LatestCheckpoint();
    const std::string body = latest.substr(0, latest.find("\n\n") + 1);
    const std::string by_old = SignNote(body, "creditbank.localhost/log", *old_signer);
    ScriptedServer leaked({Answer(200, by_old), Answer(200, key.dump())});
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(CmdAudit({"--server", leaked.url(), "--from", dir_.sub("old_cp.txt"), "--save",
                        dir_.sub("cp4.txt")}),
              kExitInvalid);
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("latest checkpoint"), std::string::npos) << err;
  }
  // The monitor: a rotation is "key_changed", not a rewrite; the new key given, it goes on from
  // its state (the tree still has to extend the one it saw).
  auto [code, out] = monitor({});
  EXPECT_EQ(code, kExitInvalid);
  EXPECT_NE(out.find("\"key_changed\""), std::string::npos) << out;
  EXPECT_EQ(out.find("\"rewrite\""), std::string::npos) << out;
  std::tie(code, out) = monitor({"--log-vkey", key["verifier_key"]});
  EXPECT_EQ(code, kExitOk) << out;
  EXPECT_NE(out.find("\"checked\""), std::string::npos) << out;
  auto old_cp = ParseCheckpointBody(old_note.substr(0, old_note.find("\n\n") + 1));
  ASSERT_TRUE(old_cp.ok());
  json proof = server_->CallJson("GET",
                                 "/v1/log/proof/consistency?first=" + std::to_string(old_cp->size) +
                                     "&second=" + std::to_string(server_->ledger().Size()),
                                 "", nullptr, 200);
  std::vector<Hash> hashes;
  for (const auto& h : proof["proof"]) hashes.push_back(*HashFromHex(h.get<std::string>()));
  auto new_root = server_->ledger().RootAt(server_->ledger().Size());
  ASSERT_TRUE(new_root.ok());
  EXPECT_TRUE(
      VerifyConsistency(old_cp->size, server_->ledger().Size(), old_cp->root, *new_root, hashes)
          .ok());
}

// The record's entry sits in a full tile (its entry bundle and hash tile; storage/ledger.h):
// 300 more records fill tile 0.
TEST_F(LogTest, AlteredStoreIsDataLossOnRead) {
  std::string id = PostOne("T-1");
  PostOne("T-2");
  PostOne("T-3");
  json batch = {{"records", json::array()}};
  for (int i = 0; i < 300; ++i) {
    batch["records"].push_back(
        cat_.Record(cat_.learner_b, "tsinghua:CS101", "fill-" + std::to_string(i)));
  }
  server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, batch, 201);
  uint64_t leaf = server_->ledger().ObjectIndex(id).value();
  ASSERT_LT(leaf, 256u);
  server_.reset();
  std::string bundle_key, tile_key(1, '\0');
  PutBigEndian64(&bundle_key, 0);
  PutBigEndian64(&tile_key, 0);
  // Rewrites the record's entry inside bundle 0 (same length); returns the forged entry.
  auto forge_entry = [&](Kv& kv) {
    std::string bundle;
    EXPECT_TRUE(kv.Get(Table::kLogBundles, bundle_key, &bundle).ok());
    std::string_view entry = BundleEntry(bundle, static_cast<uint32_t>(leaf)).value();
    size_t at = static_cast<size_t>(entry.data() - bundle.data());
    std::string forged(entry);
    forged.replace(forged.find("\"credits\":4"), 11, "\"credits\":9");
    bundle.replace(at, forged.size(), forged);
    WriteBatch batch;
    batch.Put(Table::kLogBundles, bundle_key, bundle);
    EXPECT_TRUE(kv.Write(batch, true).ok());
    return forged;
  };
  {
    auto kv = OpenBankStore(dir_.sub("bank"));
    ASSERT_TRUE(kv.ok()) << kv.status().ToString();
    forge_entry(**kv);
  }
  server_ = std::make_unique<TestServer>(dir_.sub("bank"));
  ClientResponse r = server_->Call("GET", "/v1/records/" + id, cat_.learner_a_token);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("altered"), std::string::npos) << r.body;

  // A forger who also rewrites the stored leaf hash (in the level-0 tile) is caught by the
  // signed root.
  server_.reset();
  {
    auto kv = OpenBankStore(dir_.sub("bank"));
    ASSERT_TRUE(kv.ok());
    std::string bundle;
    ASSERT_TRUE((*kv)->Get(Table::kLogBundles, bundle_key, &bundle).ok());
    Hash h = LeafHash(BundleEntry(bundle, static_cast<uint32_t>(leaf)).value());
    std::string tile;
    ASSERT_TRUE((*kv)->Get(Table::kLogTiles, tile_key, &tile).ok());
    tile.replace(32 * leaf, 32, HashBytes(h));
    WriteBatch batch;
    batch.Put(Table::kLogTiles, tile_key, tile);
    ASSERT_TRUE((*kv)->Write(batch, true).ok());
  }
  server_ = std::make_unique<TestServer>(dir_.sub("bank"));
  r = server_->Call("GET", "/v1/records/" + id, cat_.learner_a_token);
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("not in the signed tree"), std::string::npos) << r.body;
  // Untouched records still read fine.
  json others = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/records?limit=1",
                                  cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(others["records"].size(), 1u);
}

// The server proves a revocation before showing it, as it does the record: a revocation
// entry rewritten in the store (and then its leaf hash too) is a 500, never a bundle.
TEST_F(LogTest, AlteredRevocationIsDataLossOnRead) {
  const std::string id = PostOne("A-1");
  server_->CallJson("POST", "/v1/records/" + id + "/revoke", cat_.tsinghua_token,
                    {{"reason", "typo-1"}}, 200);
  json batch = {{"records", json::array()}};
  for (int i = 0; i < 300; ++i) {
    batch["records"].push_back(
        cat_.Record(cat_.learner_b, "tsinghua:CS101", "fill-" + std::to_string(i)));
  }
  server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, batch, 201);
  const std::string rev_id = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token,
                                               nullptr, 200)["revoked_by"];
  const uint64_t leaf = server_->ledger().ObjectIndex(rev_id).value();
  ASSERT_LT(leaf, 256u);
  server_.reset();
  std::string bundle_key, tile_key(1, '\0');
  PutBigEndian64(&bundle_key, 0);
  PutBigEndian64(&tile_key, 0);
  {
    auto kv = OpenBankStore(dir_.sub("bank"));
    ASSERT_TRUE(kv.ok()) << kv.status().ToString();
    std::string bundle;
    ASSERT_TRUE((*kv)->Get(Table::kLogBundles, bundle_key, &bundle).ok());
    std::string_view entry = BundleEntry(bundle, static_cast<uint32_t>(leaf)).value();
    const size_t at = static_cast<size_t>(entry.data() - bundle.data());
    std::string forged(entry);
    ASSERT_NE(forged.find("\"typo-1\""), std::string::npos) << forged;
    forged.replace(forged.find("\"typo-1\""), 8, "\"typo-2\"");
    bundle.replace(at, forged.size(), forged);
    WriteBatch write;
    write.Put(Table::kLogBundles, bundle_key, bundle);
    ASSERT_TRUE((*kv)->Write(write, true).ok());
  }
  server_ = std::make_unique<TestServer>(dir_.sub("bank"));
  ClientResponse r = server_->Call("GET", "/v1/records/" + id, cat_.learner_a_token);
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("altered"), std::string::npos) << r.body;

  // With the leaf hash rewritten too, the signed root still catches it.
  server_.reset();
  {
    auto kv = OpenBankStore(dir_.sub("bank"));
    ASSERT_TRUE(kv.ok());
    std::string bundle, tile;
    ASSERT_TRUE((*kv)->Get(Table::kLogBundles, bundle_key, &bundle).ok());
    Hash h = LeafHash(BundleEntry(bundle, static_cast<uint32_t>(leaf)).value());
    ASSERT_TRUE((*kv)->Get(Table::kLogTiles, tile_key, &tile).ok());
    tile.replace(32 * leaf, 32, HashBytes(h));
    WriteBatch write;
    write.Put(Table::kLogTiles, tile_key, tile);
    ASSERT_TRUE((*kv)->Write(write, true).ok());
  }
  server_ = std::make_unique<TestServer>(dir_.sub("bank"));
  r = server_->Call("GET", "/v1/records/" + id, cat_.learner_a_token);
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("not in the signed tree"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace lcb::testing
