// Multikey and did:key for Ed25519 public keys (W3C Controlled Identifiers §2.2.2, did:key).
//
//   multikey       = "z" base58btc(0xED 0x01 || public-key-32)      ; "z6Mk..." (48 chars)
//   did:key        = "did:key:" multikey
//   verification   = did:key "#" multikey                          ; the key's method id
//
// 0xED 0x01 is the unsigned-varint multicodec of "ed25519-pub". A did:key identifier is its
// own key: resolving it needs no network, only this decoding.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb {

inline constexpr std::string_view kDidKeyPrefix = "did:key:";

// "z6Mk..." for a 32-byte Ed25519 public key.
std::string Ed25519Multikey(std::string_view public_key32);
// The 32-byte key of a Multikey value; InvalidArgument (pointer "") for any other multibase
// prefix, alphabet, multicodec or length.
StatusOr<std::string> Ed25519FromMultikey(std::string_view multikey);

// "did:key:z6Mk..." and "did:key:z6Mk...#z6Mk...".
std::string DidKeyFromEd25519(std::string_view public_key32);
std::string DidKeyVerificationMethod(std::string_view public_key32);

// Resolves "did:key:<mk>" or "did:key:<mk>#<mk>" (the fragment, when present, must repeat the
// identifier, as did:key defines the only method of the DID) to the 32-byte Ed25519 key.
// InvalidArgument for anything else, including did:key identifiers of other key types.
StatusOr<std::string> Ed25519FromDidKey(std::string_view did_or_method);

}  // namespace lcb
