// Shared helpers for the libFuzzer targets in tests/fuzz/.
//
// A target checks properties of the code under test with LCB_FUZZ_CHECK: a violated property
// prints what was expected and traps, so libFuzzer saves the input as a crash like any
// sanitizer report. Checks state contracts the headers promise (error codes, round trips,
// "a failure here is a bug"), never behaviour the headers leave open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/status.h"

#define LCB_FUZZ_CHECK(cond, what)                                                              \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: property violated: %s\n  (%s)\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                                  \
      __builtin_trap();                                                                         \
    }                                                                                           \
  } while (0)

namespace lcb::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

inline bool CodeIn(const Status& s, std::initializer_list<StatusCode> codes) {
  for (StatusCode c : codes) {
    if (s.code() == c) return true;
  }
  return false;
}

}  // namespace lcb::fuzz
