#include "common/status.h"

#include <gtest/gtest.h>

namespace lcb {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument(Field("/x"), "odd");
  return x / 2;
}

Status Quarter(int x, int* out) {
  LCB_ASSIGN_OR_RETURN(int h, Half(x));
  LCB_ASSIGN_OR_RETURN(*out, Half(h));
  return Status::Ok();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status().ok());
  Status s = Status::InvalidArgument(Field("/grade"), "bad");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.pointer(), "/grade");
  EXPECT_EQ(s.WithPointerPrefix("/records/3").pointer(), "/records/3/grade");
  EXPECT_EQ(s.ToString(), "INVALID_ARGUMENT: /grade: bad");
}

TEST(StatusTest, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lcb
