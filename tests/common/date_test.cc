#include "common/date.h"

#include <gtest/gtest.h>

namespace lcb {
namespace {

TEST(DateTest, ParseAndFormat) {
  EXPECT_EQ(*ParseDate("1970-01-01", "/d"), 0);
  EXPECT_EQ(*ParseDate("2000-03-01", "/d"), 11017);
  EXPECT_EQ(FormatDate(*ParseDate("2024-02-29", "/d")), "2024-02-29");
  EXPECT_FALSE(ParseDate("2023-02-29", "/d").ok());
  EXPECT_FALSE(ParseDate("2023-13-01", "/d").ok());
  EXPECT_FALSE(ParseDate("2023-1-01", "/d").ok());
  EXPECT_FALSE(ParseDate("20230101", "/d").ok());
  EXPECT_FALSE(ParseDate("2023-01-0x", "/d").ok());
}

TEST(DateTest, RoundTripAllDays) {
  // Every day from 1900 to 2999 round-trips and consecutive days differ by one.
  Days first = *ParseDate("1900-01-01", "/d");
  Days last = *ParseDate("2999-12-31", "/d");
  for (Days d = first; d <= last; ++d) {
    std::string s = FormatDate(d);
    ASSERT_EQ(*ParseDate(s, "/d"), d) << s;
  }
}

TEST(DateTest, AddYearsClampsLeapDay) {
  EXPECT_EQ(FormatDate(AddYears(*ParseDate("2024-02-29", "/d"), 1)), "2025-02-28");
  EXPECT_EQ(FormatDate(AddYears(*ParseDate("2020-06-15", "/d"), 5)), "2025-06-15");
}

TEST(DateTest, NowIsSane) {
  EXPECT_GT(TodayUtc(), *ParseDate("2024-01-01", "/d"));
  std::string now = NowRfc3339();
  EXPECT_EQ(now.size(), 24u);
  EXPECT_EQ(now.back(), 'Z');
}

}  // namespace
}  // namespace lcb
