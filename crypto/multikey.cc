#include "crypto/multikey.h"

#include <optional>

#include "crypto/base58.h"
#include "crypto/ed25519.h"

namespace lcb {
namespace {

constexpr char kEd25519PubCodec[] = "\xED\x01";  // multicodec "ed25519-pub" as a varint

}  // namespace

std::string Ed25519Multikey(std::string_view public_key32) {
  std::string bytes(kEd25519PubCodec, 2);
  bytes.append(public_key32);
  return "z" + Base58BtcEncode(bytes);
}

StatusOr<std::string> Ed25519FromMultikey(std::string_view multikey) {
  if (multikey.empty() || multikey[0] != 'z') {
    return Status::InvalidArgument(Field(""), "a Multikey value starts with 'z' (base58btc)");
  }
  std::optional<std::string> bytes = Base58BtcDecode(multikey.substr(1));
  if (!bytes) return Status::InvalidArgument(Field(""), "Multikey value is not base58btc");
  if (bytes->size() < 2 || bytes->compare(0, 2, kEd25519PubCodec, 2) != 0) {
    return Status::InvalidArgument(Field(""),
                                   "Multikey value is not an Ed25519 public key "
                                   "(multicodec 0xed01)");
  }
  if (bytes->size() != 2 + kEd25519PublicKeySize) {
    return Status::InvalidArgument(Field(""), "Ed25519 Multikey must hold 32 key bytes");
  }
  return bytes->substr(2);
}

std::string DidKeyFromEd25519(std::string_view public_key32) {
  return std::string(kDidKeyPrefix) + Ed25519Multikey(public_key32);
}

std::string DidKeyVerificationMethod(std::string_view public_key32) {
  const std::string mk = Ed25519Multikey(public_key32);
  return std::string(kDidKeyPrefix) + mk + "#" + mk;
}

StatusOr<std::string> Ed25519FromDidKey(std::string_view did_or_method) {
  if (did_or_method.substr(0, kDidKeyPrefix.size()) != kDidKeyPrefix) {
    return Status::InvalidArgument(Field(""), "not a did:key identifier");
  }
  std::string_view id = did_or_method.substr(kDidKeyPrefix.size());
  if (const size_t hash = id.find('#'); hash != std::string_view::npos) {
    if (id.substr(hash + 1) != id.substr(0, hash)) {
      return Status::InvalidArgument(Field(""),
                                     "a did:key method's fragment must repeat its identifier");
    }
    id = id.substr(0, hash);
  }
  return Ed25519FromMultikey(id);
}

}  // namespace lcb
