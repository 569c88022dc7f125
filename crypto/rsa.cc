#include "crypto/rsa.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/internal/key_file.h"
#include "crypto/internal/openssl_util.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

using internal::BioPtr;
using internal::EvpMdCtxPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;
using Json = nlohmann::json;

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string BnBytes(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) internal::FatalOpenSsl("EVP_PKEY_get_bn_param");
  BnPtr bn(raw);
  std::string out(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// A public-only EVP_PKEY from big-endian n and e; nullptr when OpenSSL refuses them.
EvpPkeyPtr PublicPkey(std::string_view n, std::string_view e) {
  BnPtr bn_n(BN_bin2bn(Bytes(n), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(Bytes(e), static_cast<int>(e.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    internal::FatalOpenSsl("OSSL_PARAM_BLD (RSA)");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return EvpPkeyPtr(pkey);
}

Status CheckSize(int bits) {
  if (bits < kRsaMinBits || bits > kRsaMaxBits) {
    return Status::InvalidArgument(
        Field("/n"), "RSA modulus has " + std::to_string(bits) + " bits; accepted: " +
                         std::to_string(kRsaMinBits) + " to " + std::to_string(kRsaMaxBits));
  }
  return Status::Ok();
}

StatusOr<std::string> JwkBytes(const Json& jwk, const char* member) {
  const auto it = jwk.find(member);
  std::optional<std::string> raw;
  if (it != jwk.end() && it->is_string()) raw = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!raw || raw->empty() || (*raw)[0] == '\0') {
    return Status::InvalidArgument(Field(std::string("/") + member),
                                   "must be base64url (unpadded) of a big-endian unsigned "
                                   "integer without leading zero bytes");
  }
  return *raw;
}

// A public key PEM is well under this; anything larger is not one.
constexpr size_t kMaxPublicPemSize = 64 * 1024;

// Never prompt on a terminal for a passphrase.
int NoPassphrase(char*, int, int, void*) { return 0; }

}  // namespace

void RsaPublicKey::PkeyDeleter::operator()(evp_pkey_st* p) const { EVP_PKEY_free(p); }

RsaPublicKey::RsaPublicKey(std::unique_ptr<evp_pkey_st, PkeyDeleter> pkey)
    : pkey_(std::move(pkey)),
      n_(BnBytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_N)),
      e_(BnBytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_E)) {}

RsaPublicKey::RsaPublicKey(const RsaPublicKey& other) : n_(other.n_), e_(other.e_) {
  EVP_PKEY_up_ref(other.pkey_.get());
  pkey_.reset(other.pkey_.get());
}
RsaPublicKey& RsaPublicKey::operator=(const RsaPublicKey& other) {
  if (this != &other) *this = RsaPublicKey(other);
  return *this;
}
RsaPublicKey::RsaPublicKey(RsaPublicKey&&) noexcept = default;
RsaPublicKey& RsaPublicKey::operator=(RsaPublicKey&&) noexcept = default;
RsaPublicKey::~RsaPublicKey() = default;

StatusOr<RsaPublicKey> RsaPublicKey::FromComponents(std::string_view modulus,
                                                    std::string_view exponent) {
  if (modulus.size() * 8 > static_cast<size_t>(kRsaMaxBits) + 8) {
    return Status::InvalidArgument(Field("/n"), "RSA modulus is too large");
  }
  if (exponent.empty() || exponent.size() > 8) {
    return Status::InvalidArgument(Field("/e"), "RSA public exponent must be 1 to 8 bytes");
  }
  EvpPkeyPtr pkey = PublicPkey(modulus, exponent);
  if (!pkey) return Status::InvalidArgument(Field("/n"), "not a valid RSA public key");
  LCB_RETURN_IF_ERROR(CheckSize(EVP_PKEY_get_bits(pkey.get())));
  RsaPublicKey key(std::unique_ptr<evp_pkey_st, PkeyDeleter>(pkey.release()));
  if (key.e_.size() == 1 && static_cast<uint8_t>(key.e_[0]) < 3) {
    return Status::InvalidArgument(Field("/e"), "RSA public exponent must be at least 3");
  }
  return key;
}

StatusOr<RsaPublicKey> RsaPublicKey::FromJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return Status::InvalidArgument(Field(""), "JWK must be a JSON object");
  if (const auto kty = jwk.find("kty"); kty == jwk.end() || *kty != "RSA") {
    return Status::InvalidArgument(Field("/kty"), "must be \"RSA\"");
  }
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    if (jwk.contains(secret)) {
      return Status::InvalidArgument(Field(std::string("/") + secret),
                                     "JWK holds a private key; give the public key only");
    }
  }
  LCB_ASSIGN_OR_RETURN(std::string n, JwkBytes(jwk, "n"));
  LCB_ASSIGN_OR_RETURN(std::string e, JwkBytes(jwk, "e"));
  return FromComponents(n, e);
}

StatusOr<RsaPublicKey> RsaPublicKey::FromPem(std::string_view pem) {
  if (pem.size() > kMaxPublicPemSize) {
    return Status::InvalidArgument(Field(""), "public key PEM is too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) internal::FatalOpenSsl("BIO_new_mem_buf");
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) {
    return Status::InvalidArgument(Field(""),
                                   "not a PEM public key (" + internal::DrainOpenSslErrors() + ")");
  }
  if (!EVP_PKEY_is_a(pkey.get(), "RSA")) {
    const char* name = EVP_PKEY_get0_type_name(pkey.get());
    return Status::InvalidArgument(
        Field(""),
        std::string("the PEM holds a ") + (name != nullptr ? name : "unknown") + " key, not RSA");
  }
  // Rebuilt from n and e so that a PEM key passes the same size and exponent checks as a JWK.
  return FromComponents(BnBytes(pkey.get(), OSSL_PKEY_PARAM_RSA_N),
                        BnBytes(pkey.get(), OSSL_PKEY_PARAM_RSA_E));
}

std::string RsaPublicKey::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
    internal::FatalOpenSsl("PEM_write_bio_PUBKEY");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL's type
  return std::string(data, static_cast<size_t>(len));
}

int RsaPublicKey::bits() const { return EVP_PKEY_get_bits(pkey_.get()); }

nlohmann::json RsaPublicKey::Jwk(std::string_view kid) const {
  Json jwk = {{"kty", "RSA"}, {"n", Base64UrlEncode(n_)}, {"e", Base64UrlEncode(e_)}};
  if (!kid.empty()) jwk["kid"] = std::string(kid);
  return jwk;
}

std::string RsaPublicKey::Thumbprint() const {
  // RFC 7638 §3.2: required members only, sorted, no whitespace; base64url needs no escaping.
  const std::string canonical =
      R"({"e":")" + Base64UrlEncode(e_) + R"(","kty":"RSA","n":")" + Base64UrlEncode(n_) + R"("})";
  return Base64UrlEncode(HashBytes(Sha256(canonical)));
}

bool RsaPublicKey::VerifyRs256(std::string_view msg, std::string_view signature) const {
  if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()))) return false;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pkey_.get(),
                              nullptr) == 1 &&
      EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(msg), msg.size()) == 1;
  if (!ok) ERR_clear_error();  // a bad signature is an answer, not an error to carry around
  return ok;
}

RsaKey::RsaKey(std::unique_ptr<evp_pkey_st, RsaPublicKey::PkeyDeleter> pkey,
               RsaPublicKey public_key)
    : pkey_(std::move(pkey)), public_key_(std::move(public_key)) {}
RsaKey::RsaKey(RsaKey&&) noexcept = default;
RsaKey& RsaKey::operator=(RsaKey&&) noexcept = default;
RsaKey::~RsaKey() = default;

RsaKey RsaKey::Generate(int bits) {
  if (bits < kRsaMinBits || bits > kRsaMaxBits) internal::FatalOpenSsl("RsaKey::Generate size");
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    internal::FatalOpenSsl("RSA key generation");
  }
  std::unique_ptr<evp_pkey_st, RsaPublicKey::PkeyDeleter> pkey(raw);
  EvpPkeyPtr pub =
      PublicPkey(BnBytes(raw, OSSL_PKEY_PARAM_RSA_N), BnBytes(raw, OSSL_PKEY_PARAM_RSA_E));
  if (!pub) internal::FatalOpenSsl("RSA public key");
  RsaPublicKey public_key(std::unique_ptr<evp_pkey_st, RsaPublicKey::PkeyDeleter>(pub.release()));
  return RsaKey(std::move(pkey), std::move(public_key));
}

StatusOr<RsaKey> RsaKey::LoadPem(const std::string& path) {
  LCB_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, internal::ReadPrivateKeyFile(path));
  if (!EVP_PKEY_is_a(pkey.get(), "RSA")) {
    const char* name = EVP_PKEY_get0_type_name(pkey.get());
    return Status::InvalidArgument(
        Field(""),
        "key file " + path + " holds a " + (name != nullptr ? name : "unknown") + " key, not RSA");
  }
  Status size = CheckSize(EVP_PKEY_get_bits(pkey.get()));
  if (!size.ok())
    return Status::InvalidArgument(Field(""), "key file " + path + ": " + size.message());
  EvpPkeyPtr pub = PublicPkey(BnBytes(pkey.get(), OSSL_PKEY_PARAM_RSA_N),
                              BnBytes(pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  if (!pub) return Status::InvalidArgument(Field(""), "key file " + path + ": bad RSA key");
  RsaPublicKey public_key(std::unique_ptr<evp_pkey_st, RsaPublicKey::PkeyDeleter>(pub.release()));
  return RsaKey(std::unique_ptr<evp_pkey_st, RsaPublicKey::PkeyDeleter>(pkey.release()),
                std::move(public_key));
}

Status RsaKey::SavePem(const std::string& path) const {
  return internal::WritePrivateKeyFile(path, pkey_.get());
}

std::string RsaKey::SignRs256(std::string_view msg) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(static_cast<size_t>(EVP_PKEY_get_size(pkey_.get())), '\0');
  size_t len = sig.size();
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pkey_.get(), nullptr) !=
          1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(msg),
                     msg.size()) != 1) {
    internal::FatalOpenSsl("RS256 sign");
  }
  sig.resize(len);
  return sig;
}

}  // namespace lcb
