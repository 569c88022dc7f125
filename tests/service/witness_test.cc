// service/witness.h against the C2SP tlog-witness rules, with real state files in a temp dir
// and an in-memory log (MemoryTree) as the oracle for roots and proofs.
#include "service/witness.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/encoding.h"
#include "crypto/cosignature.h"
#include "crypto/merkle.h"
#include "service/cosignatures.h"

namespace lcb {
namespace {

constexpr char kOrigin[] = "bank.example/log";

class Log {
 public:
  explicit Log(const Ed25519Key& key) : key_(key) {}
  void Grow(int n, const std::string& tag = "") {
    for (int i = 0; i < n; ++i) tree_.Append(LeafHash(tag + std::to_string(tree_.size())));
  }
  uint64_t size() const { return tree_.size(); }
  std::string Body() const {
    return FormatCheckpointBody(Checkpoint{kOrigin, tree_.size(), tree_.Root(), {}});
  }
  std::string Note() const { return SignNote(Body(), kOrigin, key_); }
  std::string Request(uint64_t old, std::vector<Hash> proof = {}, bool compute = true) {
    if (compute && old > 0 && old < tree_.size())
      proof = ConsistencyProof(old, tree_.size(), tree_).value();
    std::string r = "old " + std::to_string(old) + "\n";
    for (const Hash& h : proof) r += Base64Encode(HashBytes(h)) + "\n";
    return r + "\n" + Note();
  }

 private:
  const Ed25519Key& key_;
  MemoryTree tree_;
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lcb_witness_" + HexEncode(RandomBytes(6)));
    Reopen();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Reopen() {
    witness_.reset();
    auto w =
        Witness::Open("witness.example/w1", Ed25519Key::FromSeed(std::string(32, '\7')).value(),
                      {*ParseVerifierKey(VerifierKeyString(kOrigin, log_key_.PublicKey()))},
                      dir_.string(), [] { return uint64_t{1700000000}; });
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    witness_ = std::move(w).value();
  }
  StatusOr<std::string> Add(const std::string& request) {
    known_ = 12345;
    return witness_->AddCheckpoint(request, &known_);
  }

  Ed25519Key log_key_ = Ed25519Key::Generate();
  std::filesystem::path dir_;
  std::unique_ptr<Witness> witness_;
  uint64_t known_ = 0;
};

TEST_F(WitnessTest, CosignsFromZeroAndThenOnlyExtensions) {
  Log log(log_key_);
  log.Grow(5);
  auto cosig = Add(log.Request(0));
  ASSERT_TRUE(cosig.ok()) << cosig.status().ToString();
  const Cosigner me = *ParseCosignerKey(witness_->vkey());
  auto t = VerifyCosignatureLine(*cosig, log.Body(), me);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, 1700000000u);
  EXPECT_EQ(VerifyCosignatures(log.Note() + *cosig, {me})->size(), 1u);

  log.Grow(300);  // across a tile boundary
  ASSERT_TRUE(Add(log.Request(5)).ok());
  EXPECT_EQ(witness_->KnownSize(kOrigin).value(), 305u);
  // The same checkpoint again is cosigned again (old = size, same root, empty proof).
  ASSERT_TRUE(Add(log.Request(305)).ok());
}

TEST_F(WitnessTest, OldSizeMismatchIs409WithTheKnownSizeAndStateSurvivesRestart) {
  Log log(log_key_);
  log.Grow(10);
  ASSERT_TRUE(Add(log.Request(0)).ok());
  log.Grow(7);
  auto stale = Add(log.Request(0));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(known_, 10u);
  Reopen();
  EXPECT_EQ(witness_->KnownSize(kOrigin).value(), 10u);
  auto again = Add(log.Request(3));
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(known_, 10u);
  EXPECT_TRUE(Add(log.Request(10)).ok());
}

TEST_F(WitnessTest, RefusesRollbackForksAndBadProofs) {
  Log log(log_key_);
  log.Grow(20);
  ASSERT_TRUE(Add(log.Request(0)).ok());
  // Rollback: a smaller checkpoint with old = the size cosigned.
  Log small(log_key_);
  small.Grow(12);
  EXPECT_EQ(Add(small.Request(20, {}, false)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Add(small.Request(0)).status().code(), StatusCode::kFailedPrecondition);
  // A fork at the same size: another root.
  Log fork(log_key_);
  fork.Grow(20, "fork");
  EXPECT_EQ(Add(fork.Request(20)).status().code(), StatusCode::kFailedPrecondition);
  // A fork that grew: its proof from 20 does not lead from the root the witness holds.
  fork.Grow(5, "fork");
  EXPECT_EQ(Add(fork.Request(20)).status().code(), StatusCode::kDataLoss);
  // A proof of the wrong length or garbage.
  log.Grow(5);
  EXPECT_EQ(Add(log.Request(20, {Hash{}}, false)).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(witness_->KnownSize(kOrigin).value(), 20u);
  EXPECT_TRUE(Add(log.Request(20)).ok());
}

TEST_F(WitnessTest, UnknownLogBadSignatureAndMalformedRequests) {
  Ed25519Key other = Ed25519Key::Generate();
  Log forged(other);
  forged.Grow(3);
  EXPECT_EQ(Add(forged.Request(0)).status().code(), StatusCode::kPermissionDenied);
  const std::string unknown =
      "old 0\n\n" +
      SignNote(FormatCheckpointBody(Checkpoint{"other.example/log", 1, LeafHash("x"), {}}),
               "other.example/log", other);
  EXPECT_EQ(Add(unknown).status().code(), StatusCode::kNotFound);
  for (const std::string bad :
       {"", "old 01\n\n", "old x\n\n", "new 0\n\n", "old 0\nnot-b64\n\n", "old 0\n"}) {
    EXPECT_EQ(Add(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  std::string many = "old 0\n";
  for (int i = 0; i < 64; ++i) many += Base64Encode(std::string(32, 'a')) + "\n";
  EXPECT_EQ(Add(many + "\n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(witness_->KnownSize(kOrigin).value(), 0u);
}

TEST(CosignedCheckpoints, UnderQuorumIsServedWithoutCosignatures) {
  CosignedCheckpoints c;
  c.Configure({Cosigner{"a"}, Cosigner{"b"}}, 2);
  EXPECT_EQ(c.Served("note5\n\nsig\n", 5), "note5\n\nsig\n");
  ASSERT_TRUE(c.Add("note5\n\nsig\n", 5, "a", "— a x\n").ok());
  EXPECT_EQ(c.Served("note5\n\nsig\n", 5), "note5\n\nsig\n");
  EXPECT_EQ(c.Target("b", 0), "note5\n\nsig\n");
  EXPECT_EQ(c.Target("a", 0), "");
  ASSERT_TRUE(c.Add("note5\n\nsig\n", 5, "b", "— b y\n").ok());
  EXPECT_EQ(c.Served("note9\n\nsig\n", 9), "note5\n\nsig\n— a x\n— b y\n");
  c.Configure({Cosigner{"a"}, Cosigner{"b"}}, 0);
  EXPECT_EQ(c.Served("note9\n\nsig\n", 9), "note9\n\nsig\n");
}

}  // namespace
}  // namespace lcb
