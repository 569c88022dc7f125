#include "crypto/ed25519.h"

#include "crypto/internal/key_file.h"

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
  // The shared private-key file reader: mode 0600 checked on what is read, size bounded.
  LCB_ASSIGN_OR_RETURN(internal::EvpPkeyPtr pkey, internal::ReadPrivateKeyFile(path));
  if (!EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    return Status::InvalidArgument(
        Field(""), "key file " + path + " holds a " + TypeName(pkey.get()) + " key, not Ed25519");
  }
  return Ed25519Key(std::unique_ptr<evp_pkey_st, PkeyDeleter>(pkey.release()));
}

Status Ed25519Key::SavePem(const std::string& path) const {
  return internal::WritePrivateKeyFile(path, pkey_.get());
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

StatusOr<std::string> PublicKeyToPem(std::string_view public_key_raw32) {
  if (public_key_raw32.size() != kEd25519PublicKeySize) {
    return Status::InvalidArgument(Field(""), "an Ed25519 public key is 32 bytes");
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
                                                 Bytes(public_key_raw32), public_key_raw32.size()));
  if (!pkey) {
    return Status::InvalidArgument(
        Field(""), "not an Ed25519 public key (" + internal::DrainOpenSslErrors() + ")");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
    internal::FatalOpenSsl("PEM_write_bio_PUBKEY");
  }
  return BioContents(bio.get());
}

}  // namespace lcb
