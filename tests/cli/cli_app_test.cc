// The creditbank command line as a whole (cli/cli_app.h): help generated from the flag
// declarations, CLI11's errors as exit 2 naming the flag, the exit codes of commands.
#include "cli/cli_app.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/import_progress.h"
#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"

namespace lcb {
namespace {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

Outcome RunCli(const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Outcome r;
  r.code = RunCreditbank(args);
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

::testing::AssertionResult Has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text;
}

TEST(CliAppTest, HelpListsEveryCommand) {
  Outcome r = RunCli({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  for (const char* command : {"serve", "keygen", "token", "import", "demo", "verify", "audit",
                              "log", "backup", "restore", "witness", "monitor", "note"}) {
    EXPECT_TRUE(Has(r.out, std::string("  ") + command + " ")) << command;
  }
  EXPECT_EQ(RunCli({"help"}).code, kExitOk);
  EXPECT_TRUE(Has(RunCli({"--version"}).out, "creditbank 0.1.0"));
}

TEST(CliAppTest, NoCommandIsAUsageError) {
  Outcome r = RunCli({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "import"));
  EXPECT_EQ(RunCli({"frobnicate"}).code, kExitUsage);
}

TEST(CliAppTest, ImportHelpListsItsFlags) {
  Outcome r = RunCli({"import", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Has(r.out, "usage: creditbank import"));
  for (const char* flag :
       {"--file", "--institution", "--server", "--token", "--mapping", "--encoding", "--sheet",
        "--batch", "--connections", "--skip-invalid", "--dry-run", "--ca", "--insecure"}) {
    EXPECT_TRUE(Has(r.out, flag)) << flag;
  }
  EXPECT_TRUE(Has(r.out, "CREDITBANK_TOKEN"));  // the env var that may stand in for --token
  EXPECT_TRUE(Has(r.out, "REQUIRED"));
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(CliAppTest, EveryCommandHasHelp) {
  for (const char* command : {"serve", "keygen", "import", "demo", "verify", "audit", "backup",
                              "restore", "witness", "monitor", "log", "note", "credential"}) {
    Outcome r = RunCli({command, "--help"});
    EXPECT_EQ(r.code, kExitOk) << command;
    EXPECT_TRUE(Has(r.out, std::string("usage: creditbank ") + command)) << command;
  }
  EXPECT_TRUE(Has(RunCli({"token", "create", "--help"}).out, "--role"));
  EXPECT_TRUE(Has(RunCli({"serve", "--help"}).out, "--max-batch"));  // from the config keys
}

TEST(CliAppTest, AnUnknownFlagExitsTwoNamingIt) {
  Outcome r = RunCli({"import", "--file", "x.csv", "--institution", "tsinghua", "--server",
                      "http://127.0.0.1:1", "--bogus-flag", "1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--bogus-flag"));
  EXPECT_TRUE(r.out.empty()) << r.out;
  Outcome d = RunCli({"demo", "--server", "http://127.0.0.1:1", "--token", "t", "--frob"});
  EXPECT_EQ(d.code, kExitUsage);
  EXPECT_TRUE(Has(d.err, "--frob"));
}

TEST(CliAppTest, ABadValueExitsTwoNamingTheFlag) {
  const std::vector<std::string> base = {
      "import",  "--file", "x.csv", "--institution", "tsinghua", "--server", "http://127.0.0.1:1",
      "--token", "t"};
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--batch", "0"}, {"--batch", "1001"}, {"--batch", "ten"}, {"--connections", "17"}}) {
    std::vector<std::string> args = base;
    args.push_back(flag);
    args.push_back(value);
    Outcome r = RunCli(args);
    EXPECT_EQ(r.code, kExitUsage) << flag << " " << value;
    EXPECT_TRUE(Has(r.err, flag)) << value;
  }
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--encoding", "latin-1"});
  Outcome r = RunCli(args);
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--encoding"));
  EXPECT_EQ(
      RunCli({"monitor", "--server", "http://x:1", "--state", "s", "--interval-ms", "0"}).code,
      kExitUsage);
}

TEST(CliAppTest, AMissingRequiredFlagExitsTwoNamingIt) {
  Outcome r = RunCli({"import", "--file", "x.csv"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--institution"));
  EXPECT_TRUE(Has(RunCli({"token", "create"}).err, "--role"));
  EXPECT_TRUE(Has(RunCli({"token", "revoke"}).err, "--id"));
  EXPECT_EQ(RunCli({"token"}).code, kExitUsage);
  EXPECT_EQ(RunCli({"witness", "--listen", "127.0.0.1:0"}).code, kExitUsage);
}

// `keygen` alone writes ./var/log_key.pem (0600), the key `serve` signs with under its default
// --data, and never overwrites it.
TEST(CliAppTest, KeygenWithoutOutWritesTheKeyServeUses) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cli_keygen_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto here = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  Outcome first = RunCli({"keygen"});
  Outcome again = RunCli({"keygen"});
  std::filesystem::current_path(here);
  EXPECT_EQ(first.code, kExitOk) << first.err;
  EXPECT_TRUE(Has(first.err, "wrote var/log_key.pem (mode 0600)")) << first.err;
  EXPECT_TRUE(Has(first.out, "verifier_key: ")) << first.out;
  const auto perms = std::filesystem::status(dir / "var" / "log_key.pem").permissions();
  std::filesystem::remove_all(dir);
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(again.code, 1) << "refuses to overwrite";
}

TEST(CliAppTest, EqualsFormAndTheCmdEntryPointsParseTheSameWay) {
  // "--flag=value" as the old parser took it; CmdX(args) is `creditbank X args...`.
  EXPECT_EQ(CmdImport({"--file=x.csv", "--batch=0"}), kExitUsage);
  EXPECT_EQ(CmdRestore({"--help"}), kExitOk);
  EXPECT_EQ(CmdBackup({"--to", "x"}), kExitUsage);  // no --server
}

TEST(CliAppTest, AnUnknownFlagIsNamedBeforeAMissingRequiredOne) {
  // --sever leaves --server missing too; the misspelt word is the one to name.
  Outcome r = RunCli({"backup", "--sever", "http://127.0.0.1:1", "--to", "x"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "not expected: --sever http://127.0.0.1:1")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  // Several words are listed in the order given (CLI11 2.1 alone reverses them).
  r = RunCli({"backup", "--server", "http://127.0.0.1:1", "--to", "x", "--colour", "red"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "not expected: --colour red")) << r.err;
  // An unknown subcommand is named, not reported as a missing one.
  r = RunCli({"log", "frob"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "frob")) << r.err;
}

TEST(CliAppTest, CredentialVerify) {
  Outcome help = RunCli({"credential", "verify", "--help"});
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_TRUE(Has(help.out, "usage: creditbank credential verify"));
  for (const char* flag : {"--file F", "--issuer-key KEY", "--did DID", "--status-list FILE"}) {
    EXPECT_TRUE(Has(help.out, flag)) << flag;
  }
  EXPECT_TRUE(Has(help.out, "Exit 0 verified"));  // the footer
  EXPECT_TRUE(Has(RunCli({"credential", "--help"}).out, "verify"));
  Outcome missing = RunCli({"credential", "verify", "--did", "did:key:z6Mk"});
  EXPECT_EQ(missing.code, kExitUsage);
  EXPECT_TRUE(Has(missing.err, "--file is required"));
  EXPECT_TRUE(missing.out.empty()) << missing.out;
  Outcome unknown = RunCli({"credential", "verify", "--file", "c.json", "--colour", "red"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_TRUE(Has(unknown.err, "--colour"));
  EXPECT_EQ(RunCli({"credential"}).code, kExitUsage);
  EXPECT_TRUE(Has(RunCli({"credential", "check"}).err, "check"));
  // An unreadable file is a bad argument too (exit 2), reported by the command itself.
  Outcome absent = RunCli({"credential", "verify", "--file=/nonexistent/c.json"});
  EXPECT_EQ(absent.code, kExitUsage);
  EXPECT_TRUE(Has(absent.err, "cannot read"));
  EXPECT_EQ(CmdCredential({"verify", "--help"}), kExitOk);
}

TEST(CliAppTest, LogAndNoteRequiredAndUnknownFlags) {
  Outcome r = RunCli({"log", "root"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--leaves is required"));
  r = RunCli({"note", "verify", "--key", "k"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--note is required"));
  r = RunCli({"log", "root", "--leaves", "-", "--bogus", "x"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--bogus"));
  r = RunCli({"note", "verify", "--bogus", "x"});  // named, though --key and --note are missing
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--bogus"));
  // A repeatable --key takes one value per occurrence: the second word is left over.
  r = RunCli({"note", "verify", "--key", "a", "b", "--note", "n"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "not expected: b")) << r.err;
  for (const char* sub : {"root", "verify-inclusion", "verify-consistency"}) {
    Outcome help = RunCli({"log", sub, "--help"});
    EXPECT_EQ(help.code, kExitOk) << sub;
    EXPECT_TRUE(Has(help.out, std::string("usage: creditbank log ") + sub));
    EXPECT_TRUE(Has(help.out, "Exit 0 valid") || std::string(sub) == "root") << help.out;
  }
  Outcome note = RunCli({"note", "verify", "--help"});
  EXPECT_EQ(note.code, kExitOk);
  EXPECT_TRUE(Has(note.out, "--key VKEY"));
}

// `note verify --key` takes a verifier key or a file of them (one a line), as the key is
// usually kept: the file GET /v1/log/key's verifier_key was saved to.
TEST(CliAppTest, NoteVerifyReadsAKeyFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("creditbank_note_key_test_" + HexEncode(RandomBytes(6)));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  };
  const Ed25519Key key = Ed25519Key::Generate();
  const Ed25519Key other = Ed25519Key::Generate();
  const std::string vkey = VerifierKeyString("example.org/log", key.PublicKey());
  const std::string other_vkey = VerifierKeyString("example.org/log", other.PublicKey());
  const std::string note =
      write("note.txt", SignNote("example.org/log\n0\nabc=\n", "example.org/log", key));
  const std::string key_file = write("log.vkey", vkey + "\r\n");
  const std::string both_file = write("keys.txt", other_vkey + "\n\n  " + vkey + "\n");
  const std::string other_file = write("other.vkey", other_vkey + "\n");
  const std::string empty_file = write("empty.vkey", "\n");
  const std::string bad_file = write("bad.vkey", "not a key\n");

  Outcome r = RunCli({"note", "verify", "--key", vkey, "--note", note});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  r = RunCli({"note", "verify", "--key", key_file, "--note", note});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(Has(r.out, "example.org/log\n0\n"));
  r = RunCli({"note", "verify", "--key", both_file, "--note", note});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  r = RunCli({"note", "verify", "--key", other_file, "--note", note});
  EXPECT_EQ(r.code, 1) << r.err;
  r = RunCli({"note", "verify", "--key", empty_file, "--note", note});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--key " + empty_file + ": the file holds no key"));
  r = RunCli({"note", "verify", "--key", bad_file, "--note", note});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Has(r.err, "--key " + bad_file + " (not a key)"));
  EXPECT_TRUE(Has(RunCli({"note", "verify", "--help"}).out, "names an existing file"));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(CliAppTest, LogAndNoteSubcommands) {
  Outcome r = RunCli({"log", "root", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Has(r.out, "usage: creditbank log root"));
  EXPECT_EQ(RunCli({"log"}).code, kExitUsage);
  EXPECT_EQ(RunCli({"log", "root", "--bogus", "x"}).code, kExitUsage);
  EXPECT_EQ(RunCli({"note", "--help"}).code, kExitOk);
  EXPECT_EQ(RunCli({"note", "verify"}).code, kExitUsage);
  Outcome twice = RunCli({"log", "verify-inclusion", "--index", "0", "--index", "1"});
  EXPECT_EQ(twice.code, kExitUsage);
  EXPECT_TRUE(Has(twice.err, "--index"));
  EXPECT_TRUE(Has(RunCli({"log", "verify-consistency", "--help"}).out, "--second-root"));
}

}  // namespace
}  // namespace lcb

namespace lcb::import_cli {
namespace {

// In a log (stderr not a terminal) a phase shorter than the line interval prints one line, its
// final figures, however often it is updated and however many times its end is reported.
TEST(ImportProgress, AShortPhaseInALogPrintsItsFinalLineOnce) {
  ::testing::internal::CaptureStderr();
  {
    Progress p("accounts", 3, /*tty=*/false);
    p.Update(1);
    p.Update(2);
    p.Update(3);
    p.Update(3, /*final=*/true);
    p.Update(3, /*final=*/true);
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("import: accounts 3/3 rows (100%)"), std::string::npos) << out;
}

}  // namespace
}  // namespace lcb::import_cli
