// A learner with 150,000 records: the passbook is exact (never truncated), equal to the
// engine's ComputePassbook over every record read back one page at a time, and stays exact
// across a restart (from the stored totals) and after further posts and revocations.
#include "common/date.h"
#include "tests/service/fixture.h"

namespace lcb::testing {
namespace {

class PassbookScaleTest : public ServiceTest {
 protected:
  // Every record of the learner through the paged list (an independent read path).
  std::vector<Record> ReadAll() {
    std::vector<Record> out;
    std::string cursor;
    do {
      auto page = s().records().List(learner_, cursor, 1000);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (auto& r : page->records) out.push_back(std::move(r.record));
      cursor = page->next_cursor;
    } while (!cursor.empty());
    return out;
  }
  void ExpectExact(const std::string& when) {
    const Days today = TodayUtc();
    std::vector<Record> all = ReadAll();
    Passbook oracle = ComputePassbook(all, today);
    auto view = s().passbook().Get(learner_, today);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    const Passbook& got = *view->passbook;
    EXPECT_EQ(got.total_credits, oracle.total_credits) << when;
    EXPECT_EQ(got.by_kind, oracle.by_kind) << when;
    EXPECT_EQ(got.by_level, oracle.by_level) << when;
    EXPECT_EQ(got.by_field, oracle.by_field) << when;
    EXPECT_EQ(got.by_issuer, oracle.by_issuer) << when;
    EXPECT_EQ(got.by_year, oracle.by_year) << when;
    EXPECT_EQ(got.expiring, oracle.expiring) << when;
    EXPECT_EQ(got.revoked_count, oracle.revoked_count) << when;
    EXPECT_EQ(got.active_count + got.expired_count + got.revoked_count,
              static_cast<int>(all.size()))
        << when;
  }
  void Revoke(const std::string& id) {
    auto r = Await<Revocation>([&](auto done) { s().records().Revoke(id, "uni", "test", done); });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
};

TEST_F(PassbookScaleTest, ExactFor150000Records) {
  LoadCatalog();
  // A unit with a validity, so that some records expire and some are in the expiring window.
  Unit cert = MakeUnit("uni:CERT", 150, 4, "0715");
  cert.kind = UnitKind::kSkillCertificate;
  cert.validity_years = 1;
  ASSERT_TRUE(s().catalog().PutUnit(cert, Admin()).ok());
  const Days today = TodayUtc();
  constexpr int kRecords = 150'000;
  std::vector<std::string> ids;
  for (int batch = 0; batch < kRecords / 1000; ++batch) {
    std::vector<RecordInput> inputs;
    for (int i = 0; i < 1000; ++i) {
      const int n = batch * 1000 + i;
      const char* unit = n % 3 == 0 ? "uni:CS101" : n % 3 == 1 ? "uni:MA101" : "uni:CERT";
      // Completion dates over the last three years.
      inputs.push_back(Input(learner_, unit, "S-" + std::to_string(n), std::to_string(60 + n % 40),
                             FormatDate(today - 1 - (n % 1000))));
    }
    auto posted = Post("uni", std::move(inputs));
    ASSERT_TRUE(posted.ok()) << posted.status().ToString();
    if (batch % 10 == 0) ids.push_back(posted->records[7].id);
  }
  // Revocations both before and after the passbook was first computed.
  Revoke(ids[0]);
  ExpectExact("after 150,000 posts");
  Revoke(ids[1]);
  ASSERT_TRUE(Post("uni", {Input(learner_, "uni:CERT", "S-late")}).ok());
  ExpectExact("after one more post and revocation");
  // A restart: the totals come back from the store, then catch up.
  Open();
  ExpectExact("after a restart");
  Revoke(ids[2]);
  ExpectExact("after a restart and a revocation");
}

}  // namespace
}  // namespace lcb::testing
