#include "vc/time.h"

#include <gtest/gtest.h>

namespace lcb::vc {
namespace {

TEST(DateTime, ParsesDateTimeStamps) {
  EXPECT_EQ(ParseDateTimeStamp("1970-01-01T00:00:00Z", "").value(), 0);
  EXPECT_EQ(ParseDateTimeStamp("2023-02-24T23:36:38Z", "").value(), 1677281798);
  EXPECT_EQ(ParseDateTimeStamp("2023-02-24T23:36:38.123Z", "").value(), 1677281798);
  EXPECT_EQ(ParseDateTimeStamp("2023-02-25T01:36:38+02:00", "").value(), 1677281798);
  EXPECT_EQ(ParseDateTimeStamp("2023-02-24T18:36:38-05:00", "").value(), 1677281798);
  EXPECT_EQ(FormatDateTime(1677281798), "2023-02-24T23:36:38Z");
  EXPECT_EQ(StartOfDay(DaysFromCivil({2024, 2, 29})), "2024-02-29T00:00:00Z");
}

TEST(DateTime, RefusesOtherForms) {
  for (const char* bad :
       {"2023-02-24", "2023-02-24T23:36:38", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z",
        "2023-02-24T24:00:00Z", "2023-02-24T23:60:00Z", "2023-02-24T23:36:60Z",
        "2023-02-24 23:36:38Z", "2023-02-24T23:36:38.Z", "2023-02-24T23:36:38+0200",
        "2023-02-24T23:36:38+15:00", "2023-02-24T23:36:38Zx", "0000-01-01T00:00:00Z",
        "+2023-02-24T23:36:38Z", ""}) {
    Status s = ParseDateTimeStamp(bad, "/validFrom").status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.pointer(), "/validFrom");
  }
}

}  // namespace
}  // namespace lcb::vc
