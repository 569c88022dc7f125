#include "common/credits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace lcb {
namespace {

TEST(CreditsTest, FromDouble) {
  EXPECT_EQ(*CentiFromDouble(7.5, "/c"), 750);
  EXPECT_EQ(*CentiFromDouble(4, "/c"), 400);
  EXPECT_EQ(*CentiFromDouble(0.01, "/c"), 1);
  EXPECT_EQ(*CentiFromDouble(12.34, "/c"), 1234);
  EXPECT_FALSE(CentiFromDouble(1.234, "/c").ok());
  EXPECT_FALSE(CentiFromDouble(-1, "/c").ok());
  EXPECT_FALSE(CentiFromDouble(NAN, "/c").ok());
  EXPECT_FALSE(CentiFromDouble(1e12, "/c").ok());
  EXPECT_EQ(CentiFromDouble(1.234, "/credits").status().pointer(), "/credits");
}

TEST(CreditsTest, FromString) {
  EXPECT_EQ(*CentiFromString("7.5", "/c"), 750);
  EXPECT_EQ(*CentiFromString("12.25", "/c"), 1225);
  EXPECT_EQ(*CentiFromString("3", "/c"), 300);
  EXPECT_EQ(*CentiFromString("3.500", "/c"), 350);
  EXPECT_FALSE(CentiFromString("3.505", "/c").ok());
  EXPECT_FALSE(CentiFromString("", "/c").ok());
  EXPECT_FALSE(CentiFromString("-1", "/c").ok());
  EXPECT_FALSE(CentiFromString("1e3", "/c").ok());
  EXPECT_FALSE(CentiFromString("3.", "/c").ok());
}

TEST(CreditsTest, RoundTripEveryHundredthUpTo1000) {
  for (Centi c = 0; c <= 100000; ++c) {
    ASSERT_EQ(*CentiFromString(CentiToString(c), "/c"), c);
    ASSERT_EQ(*CentiFromDouble(CentiToDouble(c), "/c"), c);
  }
  EXPECT_EQ(CentiToString(750), "7.5");
  EXPECT_EQ(CentiToString(400), "4");
  EXPECT_EQ(CentiToString(1205), "12.05");
}

}  // namespace
}  // namespace lcb
