// RFC 8785 canonicalization (crypto/jcs.h): parse JSON with nlohmann, CanonicalJson, then
// parse the canonical text again and canonicalize it: the two must be byte-identical
// (idempotence, trapped on mismatch), and the canonical text must parse to a value equal to
// the first (numbers compared by value). Every error is InvalidArgument.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/jcs.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using Json = nlohmann::json;

// Equality of parsed values where numbers compare by value (1 and 1.0 are the same JSON number;
// the canonical form prints 1.0 as 1).
bool SameValue(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) {
      return a.get<double>() == b.get<double>();
    }
    return a == b;
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameValue(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameValue(it.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  Json first = Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (first.is_discarded()) return 0;
  auto canonical = CanonicalJson(first);
  if (!canonical.ok()) {
    LCB_FUZZ_CHECK(canonical.status().code() == StatusCode::kInvalidArgument,
                   canonical.status().ToString());
    return 0;
  }
  Json second = Json::parse(*canonical, nullptr, /*allow_exceptions=*/false);
  LCB_FUZZ_CHECK(!second.is_discarded(), "canonical form does not parse: " + *canonical);
  LCB_FUZZ_CHECK(SameValue(first, second), "canonical form changes the value: " + *canonical);
  auto again = CanonicalJson(second);
  LCB_FUZZ_CHECK(again.ok(), again.status().ToString() + " for " + *canonical);
  LCB_FUZZ_CHECK(*again == *canonical, "not idempotent:\n  " + *canonical + "\n  " + *again);
  return 0;
}
