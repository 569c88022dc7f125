// C2SP transparency-log checkpoints (https://c2sp.org/tlog-checkpoint): the body of the
// signed note the log publishes as its signed tree head.
//
// Grammar (every line ends with LF; no empty lines):
//   body      = origin LF size LF root LF *( extension LF )
//   origin    = 1*char                 ; the log's name, also its note key name
//   size      = "0" / %x31-39 *DIGIT   ; decimal, no leading zeros, fits in uint64
//   root      = base64(32-byte RFC 6962 root hash)   ; standard alphabet, padded
//   extension = 1*char                 ; opaque, optional
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/sha256.h"

namespace lcb {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;
};

// Precondition: origin and extensions are non-empty and contain no LF.
std::string FormatCheckpointBody(const Checkpoint& checkpoint);
// Strict parse of a body (the text of an opened note); InvalidArgument naming the line.
StatusOr<Checkpoint> ParseCheckpointBody(std::string_view body);

}  // namespace lcb
