#include <map>

#include "common/date.h"
#include "crypto/merkle.h"
#include "engine/passbook.h"
#include "tests/service/fixture.h"

namespace lcb::testing {
namespace {

using RecordServiceTest = ServiceTest;

TEST_F(RecordServiceTest, PostReadRetryAndConflict) {
  LoadCatalog();
  auto posted =
      Post("uni", {Input(learner_, "uni:CS101", "R-1"), Input(learner_, "uni:MA101", "R-2")});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  ASSERT_EQ(posted->records.size(), 2u);
  EXPECT_TRUE(posted->any_new());
  EXPECT_EQ(posted->tree_size, 2u);
  // Each receipt proves the entry bytes under the checkpoint's tree.
  for (const PostedRecord& p : posted->records) {
    auto stored = s().records().Read(p.id);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(stored->leaf_index, p.leaf_index);
    EXPECT_STREQ(stored->status(), "active");
    auto root = s().log().ledger().RootAt(posted->tree_size);
    ASSERT_TRUE(root.ok());
    EXPECT_TRUE(VerifyInclusion(p.leaf_index, posted->tree_size, LeafHash(stored->entry_bytes),
                                p.inclusion_proof, *root)
                    .ok());
  }
  // A retry names the same records and writes nothing.
  auto retry =
      Post("uni", {Input(learner_, "uni:CS101", "R-1"), Input(learner_, "uni:MA101", "R-2")});
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->any_new());
  EXPECT_EQ(retry->records[1].id, posted->records[1].id);
  EXPECT_EQ(s().log().Size(), 2u);
  // Other content under a used external_ref is a conflict naming the field.
  auto conflict = Post("uni", {Input(learner_, "uni:CS101", "R-1", "70")});
  EXPECT_EQ(conflict.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(conflict.status().pointer(), "/records/0/external_ref");
}

// Rows a record adds to the store: its idempotency row and learner row, plus a few per commit
// group (the run of its log entries, checkpoint, head) and per 256 leaves (bundle, tiles). The institution's
// posted mark goes with its first batch only: it was once rewritten with every record, one
// more version of one key per record (memtables of millions of versions of it in the soak).
TEST_F(RecordServiceTest, ARecordAddsTwoRowsAndThePostedMarkIsWrittenOnce) {
  LoadCatalog();
  auto posted = s().catalog().HasPosted("uni");
  ASSERT_TRUE(posted.ok());
  EXPECT_FALSE(*posted);
  auto entries = [&] {
    std::map<std::string, double> stats = s().kv().Stats();
    return stats["rocksdb_memtable_entries"] + stats["rocksdb_imm_memtable_entries"];
  };
  const double before = entries();
  constexpr int kBatches = 20, kPerBatch = 50;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<RecordInput> batch;
    for (int i = 0; i < kPerBatch; ++i) {
      batch.push_back(Input(learner_, "uni:CS101", "M-" + std::to_string(b * kPerBatch + i)));
    }
    auto r = Post("uni", std::move(batch));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  posted = s().catalog().HasPosted("uni");
  ASSERT_TRUE(posted.ok());
  EXPECT_TRUE(*posted);
  const double added = entries() - before;
  EXPECT_GE(added, 2.0 * kBatches * kPerBatch);
  EXPECT_LE(added, 2.0 * kBatches * kPerBatch + 10.0 * kBatches) << added << " rows";
  // Another institution has not posted; the mark survives a reopen.
  EXPECT_FALSE(*s().catalog().HasPosted("ou"));
  Open();
  EXPECT_TRUE(*s().catalog().HasPosted("uni"));
}

TEST_F(RecordServiceTest, ABadRecordRejectsTheBatchWithEveryError) {
  LoadCatalog();
  BatchErrors errors;
  auto r = Post("uni",
                {Input(learner_, "uni:CS101", "B-1"), Input(learner_, "uni:CS101", "B-2", "abc"),
                 Input("lrn_nobody", "uni:CS101", "B-3"), Input(learner_, "ou:ENG1", "B-4")},
                &errors);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(errors.errors.size(), 3u);
  EXPECT_EQ(errors.errors[0].pointer(), "/records/1/grade/value");
  EXPECT_EQ(errors.errors[1].pointer(), "/records/2/learner");
  EXPECT_EQ(errors.errors[2].pointer(), "/records/3/unit");  // another institution's unit
  EXPECT_EQ(s().log().Size(), 0u);
  EXPECT_EQ(s().counters().records_rejected.load(), 4u);
}

TEST_F(RecordServiceTest, RevokeCorrectAndList) {
  LoadCatalog();
  auto posted = Post("uni", {Input(learner_, "uni:CS101", "C-1")});
  ASSERT_TRUE(posted.ok());
  const std::string id = posted->records[0].id;
  // Only the issuer revokes.
  auto foreign = Await<Revocation>([&](auto done) { s().records().Revoke(id, "ou", "x", done); });
  EXPECT_EQ(foreign.status().code(), StatusCode::kNotFound);
  std::promise<StatusOr<Correction>> corrected;
  s().records().Correct(
      id, "uni", Input(learner_, "uni:CS101", "C-1b", "95"), "typo",
      [&](StatusOr<Correction> c, BatchErrors) { corrected.set_value(std::move(c)); });
  auto c = corrected.get_future().get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_STREQ(s().records().Read(id)->status(), "revoked");
  EXPECT_EQ(s().records().Read(id)->revoked_by, c->revocation.id);
  auto replacement = s().records().Read(c->record.id);
  ASSERT_TRUE(replacement.ok());
  EXPECT_NE(replacement->entry_bytes.find("\"supersedes\":\"" + id + "\""), std::string::npos);
  // Revoking again with another reason is a conflict; the list shows both records in order.
  auto again =
      Await<Revocation>([&](auto done) { s().records().Revoke(id, "uni", "other", done); });
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  auto page = s().records().List(learner_, "", 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].record.id, id);
  auto rest = s().records().List(learner_, page->next_cursor, 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->records.size(), 1u);
  EXPECT_EQ(rest->records[0].record.id, c->record.id);
  EXPECT_TRUE(rest->next_cursor.empty());
  EXPECT_EQ(s().records().List(learner_, "zz", 1).status().pointer(), "/cursor");
}

// AllRecords reads every record, however many (it pages internally), and sees changes at once.
TEST_F(RecordServiceTest, AllRecordsIsNeverTruncated) {
  LoadCatalog();
  constexpr int kRecords = 9000;  // more than two internal pages
  for (int batch = 0; batch < kRecords / 1000; ++batch) {
    std::vector<RecordInput> inputs;
    for (int i = 0; i < 1000; ++i) {
      inputs.push_back(Input(learner_, i % 2 ? "uni:CS101" : "uni:MA101",
                             "N-" + std::to_string(batch * 1000 + i)));
    }
    ASSERT_TRUE(Post("uni", std::move(inputs)).ok());
  }
  auto all = s().records().AllRecords(learner_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)->size(), static_cast<size_t>(kRecords));
  Passbook p = ComputePassbook(**all, TodayUtc());
  EXPECT_EQ(p.total_credits, 4500 * 400 + 4500 * 500);
  ASSERT_TRUE(Post("uni", {Input(learner_, "uni:CS101", "N-last")}).ok());
  EXPECT_EQ((*s().records().AllRecords(learner_))->size(), static_cast<size_t>(kRecords + 1));
}

}  // namespace
}  // namespace lcb::testing
