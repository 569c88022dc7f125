#include "cli/cmd_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "crypto/merkle.h"
#include "tests/crypto/test_util.h"

namespace lcb {
namespace {


struct CmdResult {
  int code;
  std::string out;
  std::string err;
};

template <typename Cmd>
CmdResult Call(Cmd cmd, const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = cmd(args);
  CmdResult r{code, ::testing::internal::GetCapturedStdout(),
              ::testing::internal::GetCapturedStderr()};
  return r;
}

std::string Join(const nlohmann::json& hashes) {
  std::string out;
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) out += ',';
    out += hashes[i].get<std::string>();
  }
  return out;
}

class CmdLog : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lcb-cmdlog-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(CmdLog, RootOfTheReferenceTree) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "merkle_rfc6962.json");
  std::string leaves;
  for (const auto& hex : v["reference_tree"]["leaves_hex"]) leaves += hex.get<std::string>() + "\n";
  ASSERT_EQ(leaves[0], '\n');  // the first reference leaf is empty
  CmdResult r = Call(CmdLogRoot, {"--leaves", Write("leaves.txt", leaves)});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "tree_size 8\nroot " +
                       v["reference_tree"]["roots_by_size_hex"][8].get<std::string>() + "\n");

  // Without the final newline, and with CRLF line ends: the same tree.
  std::string crlf;
  for (const auto& hex : v["reference_tree"]["leaves_hex"]) crlf += hex.get<std::string>() + "\r\n";
  EXPECT_EQ(Call(CmdLogRoot, {"--leaves=" + Write("crlf.txt", crlf)}).out, r.out);
  EXPECT_EQ(
      Call(CmdLogRoot, {"--leaves", Write("nofinal.txt", leaves.substr(0, leaves.size() - 1))}).out,
      r.out);

  r = Call(CmdLogRoot, {"--leaves", Write("empty.txt", "")});
  EXPECT_EQ(r.out, "tree_size 0\nroot " + HashHex(EmptyRoot()) + "\n");

  r = Call(CmdLogRoot, {"--leaves", Write("bad.txt", "00\nzz\n")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_EQ(Call(CmdLogRoot, {}).code, 2);
  EXPECT_EQ(Call(CmdLogRoot, {"--leaves", (dir_ / "missing").string()}).code, 2);
  EXPECT_EQ(Call(CmdLogRoot, {"--bogus", "x"}).code, 2);
  r = Call(CmdLogRoot, {"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: creditbank log root"), std::string::npos);
}

TEST_F(CmdLog, VerifyInclusionAgainstVectors) {
  nlohmann::json all;
  LCB_LOAD_VECTORS_OR_SKIP(all, "merkle_rfc6962_derived_all_proofs.json");
  int checked = 0;
  for (const auto& c : all["inclusion"]) {
    std::vector<std::string> args = {"--index",     std::to_string(c["leaf_index"].get<uint64_t>()),
                                     "--size",      std::to_string(c["tree_size"].get<uint64_t>()),
                                     "--leaf-hash", c["leaf_hash_hex"],
                                     "--root",      c["root_hex"],
                                     "--proof",     Join(c["proof_hex"])};
    CmdResult r = Call(CmdLogVerifyInclusion, args);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "valid\n");
    ++checked;
  }
  EXPECT_EQ(checked, 36);

  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "merkle_rfc6962.json");
  const auto& c = v["inclusion_proofs"][1];  // leaf 0 of 8, data ""
  std::vector<std::string> base = {"--index", "0", "--size", "8", "--root", c["root_hex"]};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--leaf", "", "--proof", Join(c["proof_hex"])});
  EXPECT_EQ(Call(CmdLogVerifyInclusion, args).code, 0);

  std::string bent = Join(c["proof_hex"]);
  bent[0] = bent[0] == '0' ? '1' : '0';
  args = base;
  args.insert(args.end(), {"--leaf-hash", c["leaf_hash_hex"], "--proof", bent});
  CmdResult r = Call(CmdLogVerifyInclusion, args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "invalid: root mismatch\n");

  args = base;
  args.insert(args.end(),
              {"--leaf-hash", c["leaf_hash_hex"], "--proof", c["proof_hex"][0].get<std::string>()});
  r = Call(CmdLogVerifyInclusion, args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "invalid: proof has 1 hashes, expected 3\n");

  // Bad arguments.
  EXPECT_EQ(Call(CmdLogVerifyInclusion, base).code, 2);  // no leaf
  args = base;
  args.insert(args.end(), {"--leaf", "", "--leaf-hash", c["leaf_hash_hex"]});
  EXPECT_EQ(Call(CmdLogVerifyInclusion, args).code, 2);  // both
  EXPECT_EQ(Call(CmdLogVerifyInclusion,
                 {"--index", "-1", "--size", "8", "--leaf", "", "--root", c["root_hex"]})
                .code,
            2);
  EXPECT_EQ(
      Call(CmdLogVerifyInclusion, {"--index", "0", "--size", "8", "--leaf", "", "--root", "abc"})
          .code,
      2);
  EXPECT_EQ(Call(CmdLogVerifyInclusion, {"--index", "0", "--index", "0"}).code, 2);
  EXPECT_EQ(Call(CmdLogVerifyInclusion, {"--help"}).code, 0);
}

TEST_F(CmdLog, VerifyConsistencyAgainstVectors) {
  nlohmann::json all;
  LCB_LOAD_VECTORS_OR_SKIP(all, "merkle_rfc6962_derived_all_proofs.json");
  int checked = 0;
  for (const auto& c : all["consistency"]) {
    CmdResult r = Call(CmdLogVerifyConsistency,
                       {"--first", std::to_string(c["size1"].get<uint64_t>()), "--second",
                        std::to_string(c["size2"].get<uint64_t>()), "--first-root", c["root1_hex"],
                        "--second-root", c["root2_hex"], "--proof", Join(c["proof_hex"])});
    ASSERT_EQ(r.code, 0) << r.err;
    ++checked;
  }
  EXPECT_EQ(checked, 36);

  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "merkle_rfc6962.json");
  const std::string root8 = v["reference_tree"]["roots_by_size_hex"][8];
  EXPECT_EQ(
      Call(CmdLogVerifyConsistency, {"--first", "0", "--second", "8", "--second-root", root8}).code,
      0);
  CmdResult r = Call(CmdLogVerifyConsistency, {"--first", "3", "--second", "8", "--first-root",
                                               root8, "--second-root", root8});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("invalid: proof has 0 hashes, expected", 0), 0u) << r.err;
  EXPECT_EQ(
      Call(CmdLogVerifyConsistency, {"--first", "3", "--second", "8", "--second-root", root8}).code,
      2);  // --first-root required when first > 0
  EXPECT_EQ(Call(CmdLogVerifyConsistency, {"--help"}).code, 0);
}

// Every upstream probe through the command line: valid ones exit 0, the rest do not (those
// whose hashes are not 32 bytes are rejected as bad arguments).
TEST_F(CmdLog, ProbesThroughTheCommandLine) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "merkle_rfc6962.json");
  int processed = 0;
  int unspellable = 0;
  for (const auto& p : v["probes"]["inclusion"]) {
    // A proof of one empty "hash" spells "--proof ''", which is the empty proof: that
    // corruption cannot be written on a command line (the library test covers it).
    if (p["proof_hex"] == nlohmann::json::array({""})) {
      ++unspellable;
      continue;
    }
    CmdResult r =
        Call(CmdLogVerifyInclusion,
             {"--index", std::to_string(p["leaf_index"].get<uint64_t>()), "--size",
              std::to_string(p["tree_size"].get<uint64_t>()), "--leaf-hash", p["leaf_hash_hex"],
              "--root", p["root_hex"], "--proof", Join(p["proof_hex"])});
    EXPECT_EQ(r.code == 0, p["expect_valid"].get<bool>()) << p["file"] << r.err;
    ++processed;
  }
  for (const auto& p : v["probes"]["consistency"]) {
    CmdResult r = Call(CmdLogVerifyConsistency,
                       {"--first", std::to_string(p["size1"].get<uint64_t>()), "--second",
                        std::to_string(p["size2"].get<uint64_t>()), "--first-root", p["root1_hex"],
                        "--second-root", p["root2_hex"], "--proof", Join(p["proof_hex"])});
    // See MerkleProbes.Consistency: 12-byte "roots" are not hashes here.
    const bool upstream_only =
        p["file"] == "testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";
    EXPECT_EQ(r.code == 0, p["expect_valid"].get<bool>() && !upstream_only) << p["file"] << r.err;
    if (upstream_only) {
      EXPECT_EQ(r.code, 2);
    }
    ++processed;
  }
  EXPECT_EQ(unspellable, 2);
  EXPECT_EQ(processed + unspellable, 196);
}

TEST_F(CmdLog, NoteVerify) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "signed_note_ed25519.json");
  int checked = 0;
  for (const auto& c : v["cases"]) {
    const std::string path = Write("note" + std::to_string(checked) + ".txt", c["note_utf8"]);
    CmdResult r = Call(CmdNoteVerify, {"--key", c["vkey"], "--note", path});
    if (c["expect"] == "valid") {
      EXPECT_EQ(r.code, 0) << r.err;
      EXPECT_EQ(r.out, c["signed_text_utf8"].get<std::string>());
    } else {
      EXPECT_EQ(r.code, 1);
      EXPECT_NE(r.err.find("does not verify"), std::string::npos) << r.err;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 3);

  const std::string good = Write("good.txt", v["cases"][0]["note_utf8"]);
  const std::string key0 = v["cases"][0]["vkey"];
  const std::string key1 = v["cases"][1]["vkey"];
  // Only an unrelated key known: invalid. Both known: valid.
  EXPECT_EQ(Call(CmdNoteVerify, {"--key", key1, "--note", good}).code, 1);
  EXPECT_EQ(Call(CmdNoteVerify, {"--key", key1, "--key", key0, "--note", good}).code, 0);
  EXPECT_EQ(Call(CmdNoteVerify, {"--key", "garbage", "--note", good}).code, 2);
  EXPECT_EQ(Call(CmdNoteVerify, {"--key", key0}).code, 2);
  EXPECT_EQ(Call(CmdNoteVerify, {"--key", key0, "--note", (dir_ / "none").string()}).code, 2);
  CmdResult r = Call(CmdNoteVerify, {"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: creditbank note verify"), std::string::npos);
}

}  // namespace
}  // namespace lcb
