#include "engine/model.h"

#include <array>

namespace lcb {
namespace {
constexpr std::array<std::string_view, kUnitKindCount> kKindNames = {
    "degree_course", "non_degree_course", "vocational_certificate", "skill_certificate", "mooc",
    "training",      "work_experience",   "exam",                   "award"};
}  // namespace

std::string_view UnitKindName(UnitKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<UnitKind> ParseUnitKind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<UnitKind>(i);
  }
  return std::nullopt;
}

std::string_view RecordSourceName(RecordSource source) {
  return source == RecordSource::kCredential ? "credential" : "post";
}

std::string_view CapByName(CapBy by) {
  switch (by) {
    case CapBy::kKind: return "kind";
    case CapBy::kIssuer: return "issuer";
    case CapBy::kYear: return "year";
  }
  return "kind";
}

}  // namespace lcb
