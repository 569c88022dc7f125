#include "crypto/ed25519.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/encoding.h"
#include "crypto/internal/openssl_util.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

using internal::BioPtr;
using internal::EvpMdCtxPtr;
using internal::EvpPkeyPtr;

// A private key file is a few hundred bytes; anything much larger is not one.
constexpr size_t kMaxPemFileSize = 64 * 1024;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string ErrnoText(int err) { return std::strerror(err); }

std::string ModeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string TypeName(EVP_PKEY* pkey) {
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return name != nullptr ? name : "unknown";
}

// Never prompt on a terminal for a passphrase: encrypted keys are simply not supported.
int NoPassphrase(char*, int, int, void*) { return 0; }

std::string RawPublicKey(EVP_PKEY* pkey) {
  std::string out(kEd25519PublicKeySize, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kEd25519PublicKeySize) {
    internal::FatalOpenSsl("EVP_PKEY_get_raw_public_key");
  }
  return out;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int): OpenSSL's type
  return std::string(data, static_cast<size_t>(len));
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
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

}  // namespace

void Ed25519Key::PkeyDeleter::operator()(evp_pkey_st* p) const { EVP_PKEY_free(p); }

Ed25519Key::Ed25519Key(std::unique_ptr<evp_pkey_st, PkeyDeleter> pkey)
    : pkey_(std::move(pkey)), public_key_(RawPublicKey(pkey_.get())) {}

Ed25519Key::Ed25519Key(Ed25519Key&&) noexcept = default;
Ed25519Key& Ed25519Key::operator=(Ed25519Key&&) noexcept = default;
Ed25519Key::~Ed25519Key() = default;

Ed25519Key Ed25519Key::Generate() {
  std::string seed = RandomBytes(kEd25519SeedSize);
  StatusOr<Ed25519Key> key = FromSeed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!key.ok()) internal::FatalOpenSsl("Ed25519 key generation");
  return std::move(key).value();
}

StatusOr<Ed25519Key> Ed25519Key::FromSeed(std::string_view seed) {
  if (seed.size() != kEd25519SeedSize) {
    return Status::InvalidArgument(
        Field(""), "an Ed25519 seed has 32 bytes, got " + std::to_string(seed.size()));
  }
  EVP_PKEY* pkey =
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, Bytes(seed), seed.size());
  if (pkey == nullptr) internal::FatalOpenSsl("EVP_PKEY_new_raw_private_key_ex(ED25519)");
  return Ed25519Key(std::unique_ptr<evp_pkey_st, PkeyDeleter>(pkey));
}

StatusOr<Ed25519Key> Ed25519Key::LoadPem(const std::string& path) {
  // open() then fstat() on the descriptor: the mode checked is the mode of what is read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("key file " + path + " does not exist");
    return Status::FailedPrecondition("cannot open key file " + path + ": " + ErrnoText(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FailedPrecondition("cannot stat key file " + path + ": " + ErrnoText(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(Field(""), "key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::FailedPrecondition("key file " + path + " has mode " + ModeText(st.st_mode) +
                                      "; a private key must not be accessible by group or "
                                      "others (chmod 600 " +
                                      path + ")");
  }
  if (static_cast<size_t>(st.st_size) > kMaxPemFileSize) {
    ::close(fd);
    return Status::InvalidArgument(Field(""), "key file " + path + " is too large to be a key");
  }
  std::string pem(kMaxPemFileSize, '\0');
  size_t used = 0;
  while (used < pem.size()) {
    ssize_t n = ::read(fd, pem.data() + used, pem.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      OPENSSL_cleanse(pem.data(), pem.size());
      return Status::FailedPrecondition("cannot read key file " + path + ": " + ErrnoText(err));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);

  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(used)));
  if (!bio) internal::FatalOpenSsl("BIO_new_mem_buf");
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!pkey) {
    const std::string why = internal::DrainOpenSslErrors();
    return Status::InvalidArgument(
        Field(""), "key file " + path + " is not an unencrypted PEM private key (" + why + ")");
  }
  if (!EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    return Status::InvalidArgument(
        Field(""), "key file " + path + " holds a " + TypeName(pkey.get()) + " key, not Ed25519");
  }
  return Ed25519Key(std::unique_ptr<evp_pkey_st, PkeyDeleter>(pkey.release()));
}

Status Ed25519Key::SavePem(const std::string& path) const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    internal::FatalOpenSsl("PEM_write_bio_PrivateKey");
  }
  std::string pem = BioContents(bio.get());

  const std::string tmp = path + ".tmp-" + HexEncode(RandomBytes(6));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    OPENSSL_cleanse(pem.data(), pem.size());
    return Status::FailedPrecondition("cannot create " + tmp + ": " + ErrnoText(err));
  }
  Status status = WriteAll(fd, pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (status.ok() && ::fsync(fd) != 0) {
    status = Status::Unavailable("fsync " + tmp + " failed: " + ErrnoText(errno));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = Status::Unavailable("close " + tmp + " failed: " + ErrnoText(errno));
  }
  // link() is rename() that refuses to replace an existing file, atomically.
  if (status.ok() && ::link(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    if (err == EPERM || err == EOPNOTSUPP || err == ENOSYS) {
      // A filesystem without hard links: check, then rename. Not atomic against a
      // concurrent creator, which only a second keygen racing this one could be.
      if (::access(path.c_str(), F_OK) == 0) {
        err = EEXIST;
      } else if (::rename(tmp.c_str(), path.c_str()) == 0) {
        err = 0;
      } else {
        err = errno;
      }
    }
    if (err == EEXIST) {
      status = Status::AlreadyExists("key file " + path + " already exists; not overwriting it");
    } else if (err != 0) {
      status = Status::FailedPrecondition("cannot create " + path + ": " + ErrnoText(err));
    }
  }
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

std::string Ed25519Key::PublicKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
    internal::FatalOpenSsl("PEM_write_bio_PUBKEY");
  }
  return BioContents(bio.get());
}

std::string Ed25519Key::Sign(std::string_view msg) const {
  // A context per call keeps Sign() safe to call concurrently on a shared key; its cost is
  // small next to the scalar multiplication.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, pkey_.get(), nullptr) !=
          1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(msg),
                     msg.size()) != 1 ||
      len != kEd25519SignatureSize) {
    internal::FatalOpenSsl("Ed25519 sign");
  }
  return sig;
}

bool Ed25519Verify(std::string_view public_key_raw32, std::string_view msg,
                   std::string_view sig64) {
  if (public_key_raw32.size() != kEd25519PublicKeySize || sig64.size() != kEd25519SignatureSize) {
    return false;
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
                                                 Bytes(public_key_raw32), public_key_raw32.size()));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      pkey && ctx &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, pkey.get(), nullptr) ==
          1 &&
      EVP_DigestVerify(ctx.get(), Bytes(sig64), sig64.size(), Bytes(msg), msg.size()) == 1;
  // A rejected signature leaves reasons on the thread's error queue; they are not errors of
  // this call's caller, so do not let them pile up or surface in an unrelated message.
  if (!ok) ERR_clear_error();
  return ok;
}

StatusOr<std::string> PublicKeyFromPem(std::string_view pem) {
  if (pem.size() > kMaxPemFileSize) {
    return Status::InvalidArgument(Field(""), "public key PEM is too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) internal::FatalOpenSsl("BIO_new_mem_buf");
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) {
    const std::string why = internal::DrainOpenSslErrors();
    return Status::InvalidArgument(Field(""), "not a PEM public key (" + why + ")");
  }
  if (!EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    return Status::InvalidArgument(Field(""),
                                   "the PEM holds a " + TypeName(pkey.get()) + " key, not Ed25519");
  }
  return RawPublicKey(pkey.get());
}

}  // namespace lcb
