// `creditbank credential verify`, run as the built binary against what a real server on a
// loopback port serves: a record's credential in each format, the issuer keys as a verifier
// gets them (GET /v1/credentials/issuer, /.well-known/jwks.json, written as PEM files) and the
// status list of GET /v1/status/0. Exit 0 valid, 1 invalid, 2 bad arguments.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cli/credential_check.h"
#include "crypto/ed25519.h"
#include "crypto/multikey.h"
#include "crypto/rsa.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
  json Json() const { return json::parse(out, nullptr, false); }
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Runs the creditbank binary with `args`, stdout and stderr into files under `dir`, standard
// input from `stdin_path`.
CliRun RunCli(const std::vector<std::string>& args, const std::string& dir,
              const std::string& stdin_path = "/dev/null") {
  std::vector<std::string> all = {CREDITBANK_BIN};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out_path = dir + "/cli.out", err_path = dir + "/cli.err";
  // Everything the child needs is ready before fork: the server's threads keep running here.
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = open(stdin_path.c_str(), O_RDONLY);
    if (out < 0 || err < 0 || in < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(CREDITBANK_BIN, argv.data());
    _exit(127);
  }
  CliRun run;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    run.code = WEXITSTATUS(status);
  }
  run.out = Slurp(out_path);
  run.err = Slurp(err_path);
  return run;
}

class CredentialCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(dir_.sub("data"));
    cat_.Load(*server_);
    SaveIssuerKeys();
  }

  // What a verifier saves from the bank's public documents: the Ed25519 key (from the
  // issuer's multibase) and the RSA key (from the JWK Set) as PEM, the JWK Set, the DID.
  void SaveIssuerKeys() {
    json issuer = server_->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200);
    did_ = issuer["id"];
    auto ed = Ed25519FromMultikey(issuer["public_key_multibase"].get<std::string>());
    ASSERT_TRUE(ed.ok()) << ed.status().ToString();
    auto ed_pem = PublicKeyToPem(*ed);
    ASSERT_TRUE(ed_pem.ok());
    WriteFile(Path("ed25519.pem"), *ed_pem);
    const std::string jwks = server_->Call("GET", "/.well-known/jwks.json").body;
    WriteFile(Path("jwks.json"), jwks);
    const json set = json::parse(jwks);
    for (const json& jwk : set["keys"]) {
      if (jwk["kty"] != "RSA") continue;
      auto rsa = RsaPublicKey::FromJwk(jwk);
      ASSERT_TRUE(rsa.ok()) << rsa.status().ToString();
      WriteFile(Path("rsa.pem"), rsa->Pem());
    }
    ASSERT_TRUE(std::filesystem::exists(Path("rsa.pem"))) << jwks;
  }

  std::string Path(const std::string& name) const { return dir_.sub(name); }

  std::string PostRecord(const std::string& ref) {
    json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                               cat_.Record(cat_.learner_a, "tsinghua:CS101", ref), 201);
    return r["records"][0].value("id", "");
  }

  // The record's credential in `format`, saved to a file named after it; returns the path.
  std::string SaveCredential(const std::string& id, const std::string& format) {
    ClientResponse r = server_->Call("GET", "/v1/records/" + id + "/credential?format=" + format,
                                     cat_.learner_a_token);
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string path = Path(id + "." + format);
    WriteFile(path, r.body);
    return path;
  }

  std::string SaveStatusList(const std::string& name) {
    ClientResponse r = server_->Call("GET", "/v1/status/0");
    EXPECT_EQ(r.status, 200) << r.body;
    WriteFile(Path(name), r.body);
    return Path(name);
  }

  CliRun Verify(const std::string& file, std::vector<std::string> more) {
    std::vector<std::string> args = {"credential", "verify", "--file", file};
    args.insert(args.end(), more.begin(), more.end());
    return RunCli(args, dir_.path());
  }

  // The key file a verifier would use for `format`.
  std::string KeyFor(const std::string& format) const {
    return Path(format == "ob3-jwt" ? "rsa.pem" : "ed25519.pem");
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
  std::string did_;
};

const std::vector<std::string> kFormats = {"di", "jwt", "ob3-jwt"};

TEST_F(CredentialCliTest, EveryFormVerifiesAndSaysWhatTheEndpointSays) {
  const std::string id = PostRecord("CLI-1");
  const std::string list = SaveStatusList("status.json");
  for (const std::string& format : kFormats) {
    SCOPED_TRACE(format);
    const std::string file = SaveCredential(id, format);
    CliRun run = Verify(file, {"--issuer-key", KeyFor(format), "--status-list", list});
    ASSERT_EQ(run.code, 0) << run.out << run.err;
    json got = run.Json();
    EXPECT_EQ(got["verified"], true);
    EXPECT_EQ(got["format"], format);
    EXPECT_EQ(got["issuer"], did_);
    EXPECT_EQ(got["status"], "active");
    // The same answer as POST /v1/credentials/verify on the same bytes.
    ClientResponse served = server_->Call("POST", "/v1/credentials/verify", "", Slurp(file));
    ASSERT_EQ(served.status, 200) << served.body;
    EXPECT_EQ(got, json::parse(served.body));

    // The JWK Set as served verifies every format; the did:key only the Ed25519 ones.
    EXPECT_EQ(Verify(file, {"--issuer-key", Path("jwks.json"), "--status-list", list}).code, 0);
    CliRun by_did = Verify(file, {"--did", did_, "--status-list", list});
    EXPECT_EQ(by_did.code, format == "ob3-jwt" ? 1 : 0) << by_did.out << by_did.err;
    // Without a list: verified, status unknown, and a note saying why.
    CliRun no_list = Verify(file, {"--issuer-key", KeyFor(format)});
    EXPECT_EQ(no_list.code, 0) << no_list.out << no_list.err;
    EXPECT_EQ(no_list.Json()["status"], "unknown");
    EXPECT_NE(no_list.err.find("no --status-list"), std::string::npos) << no_list.err;
  }
  // "--file -" reads standard input.
  CliRun piped = RunCli({"credential", "verify", "--file", "-", "--did", did_}, dir_.path(),
                        SaveCredential(id, "jwt"));
  EXPECT_EQ(piped.code, 0) << piped.out << piped.err;
  EXPECT_EQ(piped.Json()["format"], "jwt");
  CliRun help = RunCli({"credential", "verify", "--help"}, dir_.path());
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--status-list FILE"), std::string::npos) << help.out;
}

TEST_F(CredentialCliTest, AnyChangedByteFails) {
  const std::string id = PostRecord("CLI-TAMPER");
  const std::string list = SaveStatusList("status.json");
  for (const std::string& format : kFormats) {
    const std::string original = Slurp(SaveCredential(id, format));
    for (int eighth = 1; eighth < 8; ++eighth) {
      size_t at = original.size() * eighth / 8;
      // In a JWS, the last character of a part may carry only padding bits: not that one.
      while (format != "di" && (original[at + 1] == '.' || at + 1 == original.size())) --at;
      std::string changed = original;
      changed[at] = changed[at] == 'A' ? 'B' : (changed[at] == '"' ? '\'' : 'A');
      if (changed[at] == original[at]) continue;
      const std::string file = Path("tampered." + format);
      WriteFile(file, changed);
      CliRun run = Verify(file, {"--issuer-key", KeyFor(format), "--status-list", list});
      EXPECT_EQ(run.code, 1) << format << " byte " << at << ": " << run.out << run.err;
      EXPECT_EQ(run.Json()["verified"], false) << format << " byte " << at;
    }
  }
}

TEST_F(CredentialCliTest, RevokedRecordFailsWithTheNewStatusList) {
  const std::string id = PostRecord("CLI-REV");
  const std::string before = SaveStatusList("before.json");
  std::map<std::string, std::string> files;
  for (const std::string& format : kFormats) files[format] = SaveCredential(id, format);
  server_->CallJson("POST", "/v1/records/" + id + "/revoke", cat_.tsinghua_token,
                    {{"reason", "issued in error"}}, 200);
  const std::string after = SaveStatusList("after.json");
  for (const std::string& format : kFormats) {
    SCOPED_TRACE(format);
    CliRun run = Verify(files[format], {"--issuer-key", KeyFor(format), "--status-list", after});
    EXPECT_EQ(run.code, 1) << run.out << run.err;
    json got = run.Json();
    EXPECT_EQ(got["status"], "revoked");
    EXPECT_EQ(got["errors"][0]["reason"], "revoked");
    // The list from before the revocation still says active: the list decides.
    EXPECT_EQ(Verify(files[format], {"--issuer-key", KeyFor(format), "--status-list", before}).code,
              0);
  }
}

TEST_F(CredentialCliTest, WrongKeyOrForgedStatusListFails) {
  const std::string id = PostRecord("CLI-WRONG");
  const std::string di = SaveCredential(id, "di");
  const std::string list = SaveStatusList("status.json");
  WriteFile(Path("other.pem"), Ed25519Key::Generate().PublicKeyPem());
  CliRun other = Verify(di, {"--issuer-key", Path("other.pem")});
  EXPECT_EQ(other.code, 1) << other.out << other.err;
  EXPECT_EQ(other.Json()["errors"][0]["reason"], "unknown_issuer");
  // The RSA key cannot have signed an Ed25519 proof.
  EXPECT_EQ(Verify(di, {"--issuer-key", Path("rsa.pem")}).code, 1);
  EXPECT_EQ(Verify(di, {"--did", DidKeyFromEd25519(Ed25519Key::Generate().PublicKey())}).code, 1);

  // A status list changed after it was signed does not verify: no status, not verified.
  json forged = json::parse(Slurp(list));
  forged["validFrom"] = "2020-01-01T00:00:00Z";
  WriteFile(Path("forged.json"), forged.dump());
  CliRun run = Verify(di, {"--issuer-key", KeyFor("di"), "--status-list", Path("forged.json")});
  EXPECT_EQ(run.code, 1) << run.out << run.err;
  json got = run.Json();
  EXPECT_EQ(got["status"], "unknown");
  EXPECT_EQ(got["errors"].back()["pointer"], "/credentialStatus");
}

TEST_F(CredentialCliTest, BadArgumentsExitTwoWithAReason) {
  const std::string di = SaveCredential(PostRecord("CLI-ARGS"), "di");
  WriteFile(Path("junk.pem"), "not a key\n");
  WriteFile(Path("private.pem"),
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----\n");
  WriteFile(Path("notjson.json"), "<html>");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"credential", "verify"}, "--file is required"},
      {{"credential", "verify", "--issuer-key", KeyFor("di")}, "--file is required"},
      {{"credential", "verify", "--file", Path("absent.json")}, "cannot read"},
      {{"credential", "verify", "--file", dir_.path()}, "is a directory"},
      {{"credential", "verify", "--file", di, "--issuer-key", Path("absent.pem")}, "cannot read"},
      {{"credential", "verify", "--file", di, "--issuer-key", Path("junk.pem")},
       "not a PEM public key, a JWK or a JWK Set"},
      {{"credential", "verify", "--file", di, "--issuer-key", Path("private.pem")}, "private key"},
      {{"credential", "verify", "--file", di, "--issuer-key", KeyFor("di"), "--did", did_},
       "not both"},
      {{"credential", "verify", "--file", di, "--did", "did:web:bank.example"}, "--issuer-key"},
      {{"credential", "verify", "--file", di, "--did", "did:example:1"}, "only did:key"},
      {{"credential", "verify", "--file", di, "--status-list", Path("notjson.json")}, "not JSON"},
      {{"credential", "verify", "--file", di, "--status-list", di},
       "not a BitstringStatusListCredential"},
      {{"credential", "verify", "--file", di, "--colour", "red"}, "not expected: --colour red"},
      {{"credential", "verify", di}, "not expected: " + di},
      {{"credential", "check"}, "not expected: check"},
  };
  for (const Case& c : cases) {
    CliRun run = RunCli(c.args, dir_.path());
    EXPECT_EQ(run.code, 2) << c.says << ": " << run.out << run.err;
    EXPECT_NE(run.err.find(c.says), std::string::npos) << c.says << " not in: " << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
  }
}

// In process, at a chosen time: a credential past its validUntil is expired (exit 1).
TEST_F(CredentialCliTest, ExpiredCredentialIsNotVerified) {
  json r = server_->CallJson("POST", "/v1/records", cat_.ouchn_token,
                             cat_.Record(cat_.learner_a, "ouchn:ENG1", "CLI-EXP"), 201);
  const std::string file = SaveCredential(r["records"][0].value("id", ""), "jwt");
  OfflineVerifyRequest request;
  request.credential_path = file;
  request.did = did_;
  request.now = 4102444800;  // 2100-01-01: beyond the unit's 5-year validity
  StatusOr<OfflineVerifyOutcome> outcome = VerifyCredentialOffline(request);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->result.verified);
  EXPECT_TRUE(outcome->result.HasReason("expired")) << outcome->result.ToJson().dump();
  request.now = vc::NowSeconds();
  EXPECT_TRUE(VerifyCredentialOffline(request)->result.verified);
}

}  // namespace
}  // namespace lcb::testing
