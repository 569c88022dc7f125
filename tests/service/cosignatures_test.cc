// service/cosignatures.h: cosignatures kept in a real store, RocksDB in a temp dir and
// PostgreSQL (tests/storage/kv_backends.h), and read back by a fresh CosignedCheckpoints, as
// after a restart; what Restore refuses; the health it reports. Notes and cosignature lines are
// real (Ed25519 keys, an in-memory tree as the oracle).
#include "service/cosignatures.h"

#include <gtest/gtest.h>

#include "codec/rows.h"
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "storage/keys.h"
#include "tests/storage/kv_backends.h"

namespace lcb {
namespace {

constexpr char kOrigin[] = "bank.example/log";
constexpr uint64_t kTime = 1700000000;

Ed25519Key KeyOf(const std::string& seed) {
  return Ed25519Key::FromSeed(std::string(HashBytes(Sha256(seed)))).value();
}

class CosignaturesStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LCB_STORE_OR_SKIP(store_);
    auto kv = store_.Open();
    ASSERT_TRUE(kv.ok()) << kv.status().ToString();
    kv_ = std::move(kv).value();
    for (int size : {5, 9, 12}) Grow(size);
  }
  // The log signs a checkpoint at `size` (the Ledger's kCheckpoints, here a map).
  void Grow(uint64_t size) {
    while (tree_.size() < size) tree_.Append(LeafHash("entry" + std::to_string(tree_.size())));
    texts_[size] = FormatCheckpointBody(Checkpoint{kOrigin, size, tree_.Root(), {}});
    notes_[size] = SignNote(texts_[size], kOrigin, log_key_);
  }
  std::string Line(const std::string& witness, uint64_t size, const std::string& seed = "") {
    return CosignatureLine(texts_[size], witness, KeyOf(seed.empty() ? witness : seed), kTime);
  }
  static Cosigner CosignerOf(const std::string& name) {
    return ParseCosignerKey(CosignerKeyString(name, KeyOf(name).PublicKey())).value();
  }
  std::unique_ptr<CosignedCheckpoints> Fresh(size_t quorum,
                                             std::vector<std::string> names = {"w.a/1", "w.b/1"}) {
    auto c = std::make_unique<CosignedCheckpoints>();
    std::vector<Cosigner> cs;
    for (const auto& n : names) cs.push_back(CosignerOf(n));
    c->Configure(cs, quorum, kv_.get());
    return c;
  }
  StatusOr<CosignaturesRestored> Restore(CosignedCheckpoints& c) {
    return c.Restore([this](uint64_t size) -> StatusOr<std::string> {
      auto it = notes_.find(size);
      if (it == notes_.end()) return Status::NotFound("no checkpoint at that size");
      return it->second;
    });
  }

  ::lcb::testing::StoreUnderTest store_{GetParam()};
  std::unique_ptr<Kv> kv_;
  Ed25519Key log_key_ = KeyOf("log");
  MemoryTree tree_;
  std::map<uint64_t, std::string> texts_, notes_;
};

// a and b cosign 5, a alone goes on to 9 and 12: after a restart the bank serves 5 with both
// lines at once (quorum 2), knows a is at 12, and the lines still verify.
TEST_P(CosignaturesStoreTest, RestartServesTheQuorumCheckpointWithItsLines) {
  auto before = Fresh(2);
  ASSERT_TRUE(before->Add(notes_[5], 5, "w.a/1", Line("w.a/1", 5)).ok());
  ASSERT_TRUE(before->Add(notes_[5], 5, "w.b/1", Line("w.b/1", 5)).ok());
  ASSERT_TRUE(before->Add(notes_[9], 9, "w.a/1", Line("w.a/1", 9)).ok());
  ASSERT_TRUE(before->Add(notes_[12], 12, "w.a/1", Line("w.a/1", 12)).ok());
  const std::string served = before->Served(notes_[12], 12);
  ASSERT_EQ(served, notes_[5] + Line("w.a/1", 5) + Line("w.b/1", 5));

  auto after = Fresh(2);
  EXPECT_EQ(after->Served(notes_[12], 12), notes_[12]);  // nothing before Restore
  auto restored = Restore(*after);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->lines, 3u);  // 5 by a and b, 12 by a (9 is not kept: neither kind)
  EXPECT_EQ(restored->dropped, 0u);
  EXPECT_EQ(after->Served(notes_[12], 12), served);
  EXPECT_EQ(VerifyCosignatures(served, {CosignerOf("w.a/1"), CosignerOf("w.b/1")})->size(), 2u);
  EXPECT_EQ(after->LastCosigned("w.a/1"), notes_[12]);
  EXPECT_EQ(after->LastCosigned("w.b/1"), notes_[5]);
  EXPECT_EQ(after->Target("w.b/1", 5), notes_[12]);  // b is led to a's newest

  WitnessHealth h = after->Health(12);
  EXPECT_TRUE(h.quorum_met);
  EXPECT_EQ(h.cosigned_size, 5u);
  ASSERT_EQ(h.witnesses.size(), 2u);
  EXPECT_EQ(h.witnesses[0].name, "w.a/1");
  EXPECT_EQ(h.witnesses[0].cosigned_size, 12u);
  EXPECT_EQ(h.witnesses[0].last_success_ms, static_cast<int64_t>(kTime) * 1000);
  EXPECT_EQ(h.witnesses[1].cosigned_size, 5u);
}

// Kept lines that no longer hold are not served: a witness whose configured key changed, one
// no longer configured, a note the log did not sign at that size.
TEST_P(CosignaturesStoreTest, RestoreDropsWhatNoLongerVerifies) {
  auto before = Fresh(1, {"w.a/1", "w.b/1", "w.c/1"});
  ASSERT_TRUE(before->Add(notes_[5], 5, "w.a/1", Line("w.a/1", 5)).ok());
  ASSERT_TRUE(before->Add(notes_[9], 9, "w.b/1", Line("w.b/1", 9)).ok());
  ASSERT_TRUE(before->Add(notes_[12], 12, "w.c/1", Line("w.c/1", 12)).ok());
  // Another history at 12 (same key): the stored note is no longer the log's.
  notes_[12] =
      SignNote(FormatCheckpointBody(Checkpoint{kOrigin, 12, Sha256("x"), {}}), kOrigin, log_key_);
  // b now has another key under its name; c is no longer configured.
  auto after = std::make_unique<CosignedCheckpoints>();
  Cosigner b_rotated =
      ParseCosignerKey(CosignerKeyString("w.b/1", KeyOf("rotated").PublicKey())).value();
  after->Configure({CosignerOf("w.a/1"), b_rotated}, 1, kv_.get());
  auto restored = Restore(*after);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->lines, 1u);
  EXPECT_EQ(restored->dropped, 2u);
  EXPECT_EQ(after->Served(notes_[12], 12), notes_[5] + Line("w.a/1", 5));
  EXPECT_EQ(after->LastCosigned("w.b/1"), "");
}

TEST_P(CosignaturesStoreTest, UnreadableRowIsDataLossAndNothingIsRestored) {
  for (const std::string bad :
       {"{", "{}", R"([{"note":"x"}])", R"([{"note":1,"cosignatures":{}}])"}) {
    WriteBatch batch;
    batch.Put(Table::kMeta, keys::kMetaWitnessCosignatures, bad);
    ASSERT_TRUE(kv_->Write(batch, true).ok());
    auto c = Fresh(1);
    auto restored = Restore(*c);
    EXPECT_EQ(restored.status().code(), StatusCode::kDataLoss) << bad;
    EXPECT_EQ(c->Served(notes_[5], 5), notes_[5]);
  }
  // A row that parses but whose note is not a checkpoint: dropped, not an error.
  WriteBatch batch;
  batch.Put(Table::kMeta, keys::kMetaWitnessCosignatures,
            EncodeCosignedNoteRows({{"not a note", {{"w.a/1", Line("w.a/1", 5)}}}}));
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  auto c = Fresh(1);
  auto restored = Restore(*c);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->dropped, 1u);
}

// What operators see: under quorum, failures counted, the last error kept printable and short.
TEST_P(CosignaturesStoreTest, HealthUnderQuorumAndFailures) {
  auto c = Fresh(2);
  ASSERT_TRUE(c->Add(notes_[9], 9, "w.a/1", Line("w.a/1", 9)).ok());
  c->RecordFailure("w.b/1", "cannot connect to 127.0.0.1:1: refused");
  c->RecordFailure("w.b/1", "HTTP 500:\n\xff" + std::string(500, 'x'));
  c->RecordFailure("nobody", "ignored");
  WitnessHealth h = c->Health(12);
  EXPECT_FALSE(h.quorum_met);
  EXPECT_EQ(h.cosigned_size, 0u);
  EXPECT_EQ(h.quorum, 2u);
  ASSERT_EQ(h.witnesses.size(), 2u);
  EXPECT_EQ(h.witnesses[0].cosigned_size, 9u);
  EXPECT_GT(h.witnesses[0].last_success_ms, 0);
  EXPECT_EQ(h.witnesses[0].failures, 0u);
  EXPECT_EQ(h.witnesses[1].cosigned_size, 0u);
  EXPECT_EQ(h.witnesses[1].last_success_ms, 0);
  EXPECT_EQ(h.witnesses[1].failures, 2u);
  EXPECT_GT(h.witnesses[1].last_error_ms, 0);
  EXPECT_EQ(h.witnesses[1].last_error.size(), CosignedCheckpoints::kMaxErrorBytes);
  EXPECT_EQ(h.witnesses[1].last_error.rfind("HTTP 500: ?xxx", 0), 0u) << h.witnesses[1].last_error;
  // Quorum reached at 9: met, and a checkpoint above the log's latest does not count.
  ASSERT_TRUE(c->Add(notes_[9], 9, "w.b/1", Line("w.b/1", 9)).ok());
  EXPECT_TRUE(c->Health(12).quorum_met);
  EXPECT_EQ(c->Health(12).cosigned_size, 9u);
  EXPECT_FALSE(c->Health(5).quorum_met);
}

INSTANTIATE_TEST_SUITE_P(Stores, CosignaturesStoreTest, ::testing::Values("rocksdb", "postgres"),
                         ::lcb::testing::BackendName);

}  // namespace
}  // namespace lcb
