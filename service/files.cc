#include "service/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p(path);
  if (std::filesystem::exists(p, ec)) return Status::Ok();
  std::filesystem::create_directories(p, ec);
  if (ec) return Status::Unavailable("cannot create directory " + path + ": " + ec.message());
  std::filesystem::permissions(p, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  return Status::Ok();
}

namespace {

// Writes `contents` to `path` through a temporary file created O_EXCL with `mode` in the same
// directory (so that the rename is atomic), fsync and rename. With `exact_mode`, the file gets
// `mode` regardless of the umask.
Status WriteViaTempFile(const std::string& path, const std::string& contents, mode_t mode,
                        bool exact_mode) {
  std::string tmp = path + ".tmp." + HexEncode(RandomBytes(4));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Status::Unavailable("cannot write " + path + ": cannot create " + tmp + ": " +
                               std::strerror(errno));
  }
  if (exact_mode) ::fchmod(fd, mode);
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Unavailable("cannot write " + tmp + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::Unavailable("cannot sync " + tmp + ": " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::Unavailable("cannot rename to " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

Status WriteSecretFile(const std::string& path, const std::string& contents, bool overwrite) {
  if (!overwrite && FileExists(path)) return Status::AlreadyExists(path + " already exists");
  return WriteViaTempFile(path, contents, 0600, /*exact_mode=*/true);
}

Status WriteFileReplacing(const std::string& path, const std::string& contents) {
  LCB_RETURN_IF_ERROR(WriteViaTempFile(path, contents, 0644, /*exact_mode=*/false));
  // The rename is durable once the directory is synced.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Status::Unavailable("cannot open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(dir_fd);
  const int err = errno;
  ::close(dir_fd);
  if (rc != 0) return Status::Unavailable("cannot sync " + dir + ": " + std::strerror(err));
  return Status::Ok();
}

StatusOr<std::unique_ptr<DirLock>> DirLock::Take(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    return Status::Unavailable("cannot lock " + path + ": " +
                               (err == EWOULDBLOCK
                                    ? std::string("another creditbank server uses this data "
                                                  "directory")
                                    : std::string(std::strerror(err))));
  }
  return std::unique_ptr<DirLock>(new DirLock(fd));
}

DirLock::~DirLock() { ::close(fd_); }

StatusOr<std::string> NodeName(const std::string& dir) {
  const std::string path = dir + "/node_id";
  StatusOr<std::string> id = ReadSecretFile(path);
  if (!id.ok() && id.status().code() == StatusCode::kNotFound) {
    LCB_RETURN_IF_ERROR(WriteSecretFile(path, HexEncode(RandomBytes(8)) + "\n"));
    id = ReadSecretFile(path);
  }
  if (!id.ok()) return id.status();
  std::string trimmed = *id;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  if (trimmed.empty()) return Status::FailedPrecondition(path + " is empty (remove it to make a new one)");
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "localhost");
  std::error_code ec;
  std::string abs = std::filesystem::absolute(dir, ec).lexically_normal().string();
  if (ec) abs = dir;
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  return std::string(host) + ":" + abs + "#" + trimmed;
}

StatusOr<std::string> ReadSecretFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::Unavailable("cannot stat " + path);
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition(path + " has mode " + mode +
                                      ": secret files must not be readable by group or others "
                                      "(chmod 600 " +
                                      path + ")");
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace lcb
