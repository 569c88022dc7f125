#include <fstream>
#include <iterator>

#include "common/date.h"
#include "tests/service/fixture.h"

namespace lcb::testing {
namespace {

using LearnerServiceTest = ServiceTest;

TEST_F(LearnerServiceTest, OneAccountPerNationalIdKeptOnlyAsHmac) {
  auto first = s().learners().Create(NewLearner{"11010119900307001X", "王五"}, Admin());
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  // The same person, written differently, finds the same account.
  auto again = s().learners().Create(NewLearner{"110101 19900307 001x", std::nullopt}, Admin());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(s().learners().Lookup("11010119900307001x").value(), first->id);
  EXPECT_EQ(s().learners().Lookup("999").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s().learners().Create(NewLearner{"!!", std::nullopt}, Admin()).status().pointer(),
            "/national_id");
  EXPECT_TRUE(s().learners().Exists(first->id));
  EXPECT_FALSE(s().learners().Exists("lrn_nobody"));
  // The national ID is nowhere in the store's files in clear.
  Open();
  EXPECT_EQ(s().learners().Lookup("11010119900307001X").value(), first->id);
  services_.reset();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("11010119900307001"), std::string::npos) << entry.path();
  }
  Open();
}

TEST_F(LearnerServiceTest, GrantsExpireAndCanBeWithdrawn) {
  LoadCatalog();
  EXPECT_FALSE(s().learners().HasGrant(learner_, "ou"));
  ASSERT_TRUE(s().learners().PutGrant(learner_, "ou", "").ok());
  EXPECT_TRUE(s().learners().HasGrant(learner_, "ou"));
  EXPECT_EQ(s().learners().PutGrant(learner_, "nobody", "").status().pointer(), "/institution");
  EXPECT_EQ(s().learners().PutGrant(learner_, "uni", "2001-01-01T00:00:00Z").status().pointer(),
            "/expires_at");
  ASSERT_TRUE(s().learners().PutGrant(learner_, "uni", "2999-01-01T00:00:00Z").ok());
  auto grants = s().learners().ListGrants(learner_);
  ASSERT_TRUE(grants.ok());
  ASSERT_EQ(grants->size(), 2u);
  EXPECT_EQ((*grants)[0].institution, "ou");
  EXPECT_EQ((*grants)[1].expires_at, "2999-01-01T00:00:00Z");
  ASSERT_TRUE(s().learners().DeleteGrant(learner_, "ou").ok());
  EXPECT_FALSE(s().learners().HasGrant(learner_, "ou"));
  EXPECT_EQ(s().learners().DeleteGrant(learner_, "ou").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lcb::testing
