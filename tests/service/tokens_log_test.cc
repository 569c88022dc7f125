#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "crypto/tiles.h"
#include "storage/keys.h"
#include "tests/service/fixture.h"

namespace lcb::testing {
namespace {

using TokenLogTest = ServiceTest;

TEST_F(TokenLogTest, TokensAuthenticateUntilRevokedOrExpired) {
  EXPECT_FALSE(admin_token_.empty());  // the first start wrote one
  auto admin = s().tokens().Authenticate("Bearer " + admin_token_);
  ASSERT_TRUE(admin.ok());
  EXPECT_TRUE(admin->is_admin());
  // A token only for an institution that is registered.
  EXPECT_EQ(s().tokens().Create("institution:uni", "").status().code(),
            StatusCode::kFailedPrecondition);
  LoadCatalog();
  auto t = s().tokens().Create("institution:uni", "");
  ASSERT_TRUE(t.ok());
  auto p = s().tokens().Authenticate("bearer " + t->token);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->is_institution("uni"));
  EXPECT_EQ(p->token_id, t->id);
  ASSERT_TRUE(s().tokens().Revoke(t->id).ok());
  EXPECT_EQ(s().tokens().Authenticate("Bearer " + t->token).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(s().tokens().Create("root", "").status().pointer(), "/role");
  EXPECT_EQ(s().tokens().Create("auditor", "2000-01-01T00:00:00Z").status().pointer(),
            "/expires_at");
  auto list = s().tokens().List(100);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  // The store keeps only the token's hash.
  Open();
  EXPECT_TRUE(s().tokens().Authenticate("Bearer " + admin_token_).ok());
}

TEST_F(TokenLogTest, AdminActionsAreNumberedAcrossRestarts) {
  s().admin_log().Record(Admin(), "a", "x");
  s().admin_log().Record(Admin(), "b", "y");
  Open();
  s().admin_log().Record(Admin(), "c", "z");
  auto all = s().admin_log().List(0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].seq, 3u);
  EXPECT_EQ((*all)[2].action, "c");
  EXPECT_EQ(s().admin_log().List(2, 10)->size(), 1u);
}

TEST_F(TokenLogTest, TheLastActionIsFoundAcrossGapsAndAccountsAreActionsOthersCatchUpOn) {
  for (int i = 0; i < 37; ++i) s().admin_log().Record(Admin(), "a", std::to_string(i));
  // Numbers 38-999 unused (writes that failed after taking a number), then one far action.
  WriteBatch batch;
  batch.Put(Table::kAdminLog, keys::AdminAction(1000),
            EncodeAdminActionRow({1000, "2026-01-01T00:00:00Z", "admin", "", "x", "far"}));
  ASSERT_TRUE(s().kv().Write(batch, true).ok());
  Open();
  s().admin_log().Record(Admin(), "b", "next");
  auto last = s().admin_log().List(999, 10);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[1].seq, 1001u);
  EXPECT_EQ((*last)[1].object, "next");

  // Another node on the same store learns of an account created here from the admin log.
  auto other = AdminLog::Open(&s().kv());
  ASSERT_TRUE(other.ok());
  auto none = (*other)->CatchUp();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto account = s().learners().Create(NewLearner{}, Admin());
  ASSERT_TRUE(account.ok());
  auto seen = (*other)->CatchUp();
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].seq, 1002u);
  EXPECT_EQ((*seen)[0].action, "create_learner");
  EXPECT_EQ((*seen)[0].object, account->id);
  EXPECT_EQ((*seen)[0].by, "admin");
}

// GET /v1/log/entries reads a bundle per tile: across full tiles and the partial one, it gives
// each entry exactly as Ledger::Entry reads it alone, and the leaf hash that covers it.
TEST_F(TokenLogTest, EntriesAcrossFullAndPartialTilesAreTheEntriesOneByOne) {
  LoadCatalog();
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<RecordInput> inputs;
    for (int i = 0; i < 200; ++i) {
      inputs.push_back(Input(learner_, "uni:CS101", "E-" + std::to_string(batch * 200 + i)));
    }
    ASSERT_TRUE(Post("uni", std::move(inputs)).ok());
  }
  const uint64_t size = s().log().ledger().Size();
  ASSERT_GT(size, 2 * kTileWidth);  // two full tiles and a partial one
  for (auto [start, end] : {std::pair<uint64_t, uint64_t>{0, size}, {250, 515}, {size - 3, size}}) {
    auto entries = s().log().Entries(start, end, true);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    ASSERT_EQ(entries->entries.size(), std::min<uint64_t>(end - start, 1000));
    for (const LogEntryView& view : entries->entries) {
      auto alone = s().log().ledger().Entry(view.index);
      ASSERT_TRUE(alone.ok()) << alone.status().ToString();
      ASSERT_TRUE(view.bytes.has_value());
      EXPECT_EQ(*view.bytes, *alone) << view.index;
      EXPECT_EQ(view.leaf_hash, LeafHash(*alone)) << view.index;
    }
  }
}

TEST_F(TokenLogTest, ReceiptsVerifyAndKeysKeepTheirHistory) {
  LoadCatalog();
  auto posted = Post("uni", {Input(learner_, "uni:CS101", "L-1")});
  ASSERT_TRUE(posted.ok());
  auto stored = s().records().Read(posted->records[0].id);
  ASSERT_TRUE(stored.ok());
  auto receipt = s().log().VerifiedReceipt(stored->leaf_index, stored->entry_bytes);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  auto verifier = ParseVerifierKey(s().log().Keys().verifier_key);
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE(OpenNote(receipt->checkpoint, {*verifier}).ok());
  EXPECT_EQ(
      s().log().VerifiedReceipt(stored->leaf_index, stored->entry_bytes + " ").status().code(),
      StatusCode::kDataLoss);
  auto entries = s().log().Entries(0, 10, true);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->entries.size(), 1u);
  EXPECT_EQ(*entries->entries[0].bytes, stored->entry_bytes);
  EXPECT_FALSE(s().log().Entries(0, 10, false)->entries[0].bytes.has_value());
  // A lost key file is not made anew (that would retire the bank's key unasked), nor is a key
  // the bank never published taken: both need rotate_log_key.
  services_.reset();
  const std::filesystem::path key_file = dir_ / "log_key.pem";
  const std::filesystem::path kept = dir_ / "kept_key.pem";
  std::filesystem::rename(key_file, kept);
  auto refused = TryOpen();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("is missing"), std::string::npos)
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("rotate_log_key"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(key_file)) << "a refused start makes no key";
  ASSERT_TRUE(Ed25519Key::Generate().SavePem(key_file.string()).ok());
  refused = TryOpen();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("never published"), std::string::npos)
      << refused.status().ToString();
  std::filesystem::remove(key_file);
  // A new key (rotation) on purpose: the old one stays listed with its validity closed.
  Open({{"rotate_log_key", "true"}});
  LogKeys keys = s().log().Keys();
  ASSERT_EQ(keys.keys.size(), 2u);
  EXPECT_FALSE(keys.keys[0].valid_until.empty());
  EXPECT_TRUE(keys.keys[1].valid_until.empty());
  EXPECT_NE(keys.keys[0].verifier_key, keys.verifier_key);
  // The retired key is refused from then on, rotate_log_key or not: it may have leaked, and
  // checkpoints it signed would fail every auditor trusting the bank's current key.
  services_.reset();
  const std::filesystem::path current = dir_ / "current_key.pem";
  std::filesystem::rename(key_file, current);
  std::filesystem::rename(kept, key_file);
  for (const char* rotate : {"false", "true"}) {
    refused = TryOpen({{"rotate_log_key", rotate}});
    ASSERT_FALSE(refused.ok()) << rotate;
    EXPECT_NE(refused.status().message().find("retired at"), std::string::npos)
        << refused.status().ToString();
  }
  std::filesystem::remove(key_file);
  std::filesystem::rename(current, key_file);
  Open();
  EXPECT_EQ(s().log().Keys().verifier_key, keys.verifier_key);
}

}  // namespace
}  // namespace lcb::testing
