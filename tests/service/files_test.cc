// The data directory's lock and the node name it gives a server in a shared database
// (service/files.h).
#include "service/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

std::string NewDir() {
  auto p = std::filesystem::temp_directory_path() / ("creditbank_files_" + HexEncode(RandomBytes(6)));
  std::filesystem::create_directories(p);
  return p.string();
}

TEST(DirLockTest, OneHolderAtATimeAndFreedWhenDropped) {
  std::string dir = NewDir();
  auto first = DirLock::Take(dir);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = DirLock::Take(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("another creditbank server"), std::string::npos)
      << second.status().ToString();
  first->reset();
  EXPECT_TRUE(DirLock::Take(dir).ok());
  std::filesystem::remove_all(dir);
}

TEST(NodeNameTest, StableOnOneDirectoryDistinctOtherwise) {
  std::string a = NewDir(), b = NewDir();
  auto name_a = NodeName(a);
  ASSERT_TRUE(name_a.ok()) << name_a.status().ToString();
  EXPECT_EQ(*NodeName(a), *name_a);  // a restart finds its own lease
  EXPECT_NE(*NodeName(b), *name_a);
  EXPECT_NE(name_a->find(a + "#"), std::string::npos) << *name_a;
  struct stat st;
  ASSERT_EQ(::stat((a + "/node_id").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Another machine with the same path has its own node_id, so another name: here, the same
  // directory with its node_id made again.
  std::filesystem::remove(a + "/node_id");
  EXPECT_NE(*NodeName(a), *name_a);
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

}  // namespace
}  // namespace lcb
