#include "crypto/internal/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb::internal {
namespace {

// A private key file is a few KiB at most (a 4096-bit RSA key is ~3.3 KiB of PEM).
constexpr size_t kMaxPemFileSize = 64 * 1024;

std::string ErrnoText(int err) { return std::strerror(err); }

std::string ModeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

int NoPassphrase(char*, int, int, void*) { return 0; }

// Closes the descriptor on every path out of ReadPrivateKeyFile.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

StatusOr<std::string> ReadSmallPrivateFile(const std::string& path) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("key file " + path + " does not exist");
    return Status::FailedPrecondition("cannot open key file " + path + ": " + ErrnoText(err));
  }
  // fstat() on the descriptor: the mode checked is the mode of what is read.
  struct stat st;
  if (::fstat(file.fd, &st) != 0) {
    return Status::FailedPrecondition("cannot stat key file " + path + ": " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(Field(""), "key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return Status::FailedPrecondition("key file " + path + " has mode " + ModeText(st.st_mode) +
                                      "; a private key must not be accessible by group or "
                                      "others (chmod 600 " +
                                      path + ")");
  }
  if (static_cast<size_t>(st.st_size) > kMaxPemFileSize) {
    return Status::InvalidArgument(Field(""), "key file " + path + " is too large to be a key");
  }
  std::string pem(kMaxPemFileSize, '\0');
  size_t used = 0;
  while (used < pem.size()) {
    const ssize_t n = ::read(file.fd, pem.data() + used, pem.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      OPENSSL_cleanse(pem.data(), pem.size());
      return Status::FailedPrecondition("cannot read key file " + path + ": " + ErrnoText(err));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  pem.resize(used);
  return pem;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable("write failed: " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// link() is a rename() that refuses to replace an existing file, atomically; filesystems
// without hard links fall back to check-then-rename.
Status LinkIntoPlace(const std::string& tmp, const std::string& path) {
  if (::link(tmp.c_str(), path.c_str()) == 0) return Status::Ok();
  int err = errno;
  if (err == EPERM || err == EOPNOTSUPP || err == ENOSYS) {
    if (::access(path.c_str(), F_OK) == 0) {
      err = EEXIST;
    } else if (::rename(tmp.c_str(), path.c_str()) == 0) {
      return Status::Ok();
    } else {
      err = errno;
    }
  }
  if (err == EEXIST) {
    return Status::AlreadyExists("key file " + path + " already exists; not overwriting it");
  }
  return Status::FailedPrecondition("cannot create " + path + ": " + ErrnoText(err));
}

}  // namespace

StatusOr<EvpPkeyPtr> ReadPrivateKeyFile(const std::string& path) {
  StatusOr<std::string> pem = ReadSmallPrivateFile(path);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (!bio) FatalOpenSsl("BIO_new_mem_buf");
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!pkey) {
    const std::string why = DrainOpenSslErrors();
    return Status::InvalidArgument(
        Field(""), "key file " + path + " is not an unencrypted PEM private key (" + why + ")");
  }
  return pkey;
}

Status WritePrivateKeyFile(const std::string& path, EVP_PKEY* pkey) {
  // A secure-memory BIO is cleared when freed: the PEM never lingers on the heap.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    FatalOpenSsl("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL's type
  std::string_view pem(data, static_cast<size_t>(len));

  const std::string tmp = path + ".tmp-" + HexEncode(RandomBytes(6));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FailedPrecondition("cannot create " + tmp + ": " + ErrnoText(errno));
  Status status = WriteAll(fd, pem);
  if (status.ok() && ::fsync(fd) != 0) {
    status = Status::Unavailable("fsync " + tmp + " failed: " + ErrnoText(errno));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = Status::Unavailable("close " + tmp + " failed: " + ErrnoText(errno));
  }
  if (status.ok()) status = LinkIntoPlace(tmp, path);
  ::unlink(tmp.c_str());
  if (!status.ok()) return status;

  // Make the new directory entry durable too.
  const std::string dir = DirectoryOf(path);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    const int rc = ::fsync(dir_fd);
    const int err = errno;
    ::close(dir_fd);
    if (rc != 0) return Status::Unavailable("fsync " + dir + " failed: " + ErrnoText(err));
  }
  return Status::Ok();
}

}  // namespace lcb::internal
