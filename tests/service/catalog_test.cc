#include "tests/service/fixture.h"

namespace lcb::testing {
namespace {

using CatalogServiceTest = ServiceTest;

TEST_F(CatalogServiceTest, PutGetListAndReopen) {
  LoadCatalog();
  auto item = s().catalog().UnitItem("uni:CS101");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->value.credits, 400);
  EXPECT_FALSE(item->updated_at.empty());
  EXPECT_EQ(s().catalog().GetUnit("uni:NOPE").status().code(), StatusCode::kNotFound);

  auto page = s().catalog().ListUnits("uni:", "", 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].value.id, "uni:CS101");
  EXPECT_EQ(page->next_cursor, "uni:CS101");
  auto next = s().catalog().ListUnits("uni:", page->next_cursor, 10);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->items.size(), 1u);
  EXPECT_EQ(next->items[0].value.id, "uni:MA101");
  EXPECT_TRUE(next->next_cursor.empty());

  Open();  // everything is read back from the store
  auto unit = s().catalog().GetUnit("ou:ENG1");
  ASSERT_TRUE(unit.ok());
  EXPECT_EQ(unit->validity_years, 5);
  EXPECT_EQ(s().catalog().ListInstitutions("", "", 10)->items.size(), 2u);
}

TEST_F(CatalogServiceTest, RefusesWhatTheCatalogCannotHold) {
  LoadCatalog();
  Institution bad{"Not A Slug", "x", "university"};
  EXPECT_EQ(s().catalog().PutInstitution(bad, Admin()).status().pointer(), "/id");
  // A unit of an institution nobody registered.
  EXPECT_EQ(s().catalog().PutUnit(MakeUnit("nobody:X1", 100, 5, "06"), Admin()).status().code(),
            StatusCode::kFailedPrecondition);
  Unit no_level = MakeUnit("uni:X2", 100, 0, "06");
  EXPECT_EQ(s().catalog().PutUnit(no_level, Admin()).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CatalogServiceTest, GradeScalesAreCreateOnlyAndPersist) {
  GradeScale scale;
  scale.id = "ten_point";
  scale.kind = NumericScale{0, 1000, 1000, 1};  // 0..10, x10
  scale.pass_value = 60;
  auto registered = s().catalog().RegisterGradeScale(scale, Admin());
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  EXPECT_EQ(s().catalog().RegisterGradeScale(scale, Admin()).status().code(),
            StatusCode::kAlreadyExists);
  auto snapshot = s().catalog().Scales();
  Open();
  EXPECT_TRUE(s().catalog().GetGradeScale("ten_point").ok());
  EXPECT_TRUE(snapshot->Find("ten_point") != nullptr);  // a snapshot stays usable
  EXPECT_EQ(s().catalog().GetGradeScale("percent").value().id, "percent");
}

}  // namespace
}  // namespace lcb::testing
