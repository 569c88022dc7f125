// GB/T 2260 region codes as the statistics and accounts read them (engine/regions.h).
#include "engine/regions.h"

#include <gtest/gtest.h>

namespace lcb {
namespace {

TEST(Regions, LevelsReadTheirOwnNames) {
  for (RegionLevel level : {RegionLevel::kProvince, RegionLevel::kCity, RegionLevel::kCounty}) {
    RegionLevel back =
        level == RegionLevel::kCounty ? RegionLevel::kProvince : RegionLevel::kCounty;
    ASSERT_TRUE(ParseRegionLevel(RegionLevelName(level), &back)) << RegionLevelName(level);
    EXPECT_EQ(back, level);
  }
  EXPECT_EQ(RegionLevelName(RegionLevel::kCity), "city");
  RegionLevel out;
  EXPECT_FALSE(ParseRegionLevel("town", &out));
  EXPECT_FALSE(ParseRegionLevel("", &out));
}

TEST(Regions, CodesAtEachLevel) {
  EXPECT_EQ(RegionDigits(RegionLevel::kProvince), 2);
  EXPECT_EQ(RegionDigits(RegionLevel::kCity), 4);
  EXPECT_EQ(RegionDigits(RegionLevel::kCounty), 6);
  EXPECT_EQ(RegionAt("310101", RegionLevel::kCity), "310100");
  EXPECT_EQ(RegionAt("310101", RegionLevel::kProvince), "310000");
  EXPECT_EQ(RegionAt("310101", RegionLevel::kCounty), "310101");
  EXPECT_TRUE(IsRegionPrefix("31"));
  EXPECT_TRUE(IsRegionPrefix("3101"));
  EXPECT_TRUE(IsRegionPrefix("310101"));
  EXPECT_FALSE(IsRegionPrefix("3"));
  EXPECT_FALSE(IsRegionPrefix("31a"));
  EXPECT_FALSE(IsRegionPrefix("99"));  // no province 99
  EXPECT_TRUE(IsRegionCode("440106"));
  EXPECT_FALSE(IsRegionCode("4401"));
  EXPECT_FALSE(IsRegionCode("990101"));
}

}  // namespace
}  // namespace lcb
