// Regimes: presets of how a credit system counts and levels learning (China's credit banks,
// Korea's Academic Credit Bank System, ECTS/EQF, Hong Kong's QF). Every value in the table
// names the public source it was taken from (docs/regimes.md gives each in full).
//
// Levels and the common scale. Each regime has a framework whose levels an institution of
// that regime posts records at (Record::level, kept exactly as posted). Each framework level
// carries its published correspondence to the EQF (1..8) and ISCED 2011 (0..8). The EQF level
// is the common scale: Record::common_level, which conversion compares a pattern's
// `min_level` against, so one ruleset can count records from institutions of any regime.
//
//   issuer has no regime    common_level = level (the bank's 1..10 levels, taken as already
//                           common: the behaviour before regimes existed)
//   issuer has a regime     common_level = the EQF level of `level` in its framework; 0 when
//                           no correspondence was published (such a record matches no
//                           pattern that has a `min_level`); a level that is not in the
//                           framework is rejected at "/level"
//   not resolved (-1)       records read back from storage before the service resolves them;
//                           matching then falls back to `level` (RecordMatchLevel)
//
// Thread-safe: the table is immutable static data.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "common/credits.h"
#include "common/status.h"
#include "engine/model.h"

namespace lcb {

// A published source. `section` says where in it the value is.
struct RegimeSource {
  std::string_view title;
  std::string_view publisher;
  std::string_view url;
  std::string_view section;
};

// One level of a framework. eqf 0 = no published EQF correspondence; isced -1 = none.
struct RegimeLevel {
  int level = 0;
  std::string_view name_zh;
  std::string_view name_en;
  int eqf = 0;
  int isced = -1;
  int source = 0;  // index into Regime::sources of the mapping's basis
};

struct RegimeGradeScale {
  std::string_view scale;  // a built-in GradeScales id
  int source = 0;
};

// A default cap of programs whose institution has this regime: the group limit `limit` for
// every key of `by` (a Cap with only default_limit).
struct RegimeCap {
  CapBy by = CapBy::kYear;
  Centi limit = 0;
  std::string_view note;  // how the published rule maps onto the bank's cap
  int source = 0;
};

struct Regime {
  std::string_view id;  // "cn", "kr-acbs", "ects", "hk-qf"
  std::string_view name_zh;
  std::string_view name_en;
  // Hours (in hundredths) per credit: the default an institution of this regime gets, and the
  // published range.
  Centi hours_per_credit = 0;
  Centi hours_per_credit_min = 0;
  Centi hours_per_credit_max = 0;
  int hours_source = 0;
  std::string_view framework_zh;
  std::string_view framework_en;
  int framework_source = 0;
  std::span<const RegimeLevel> levels;  // ascending by level
  std::span<const RegimeGradeScale> grade_scales;
  std::optional<int> max_transfer_ratio_bp;  // default program policy, basis points
  int ratio_source = 0;
  std::span<const RegimeCap> caps;
  std::span<const RegimeSource> sources;

  const RegimeLevel* FindLevel(int level) const;
  // The default policy fragment for a program of this regime (ratio and caps only).
  Policy DefaultPolicy() const;
};

// The presets, in a fixed order (cn, kr-acbs, ects, hk-qf).
std::span<const Regime> Regimes();
// nullptr when `id` names no preset.
const Regime* FindRegime(std::string_view id);

// The highest level of the common scale (EQF).
constexpr int kCommonLevelMax = 8;
// Record::common_level before it is resolved.
constexpr int kCommonLevelUnresolved = -1;

// Checks that `regime` is empty or a preset id; kInvalidArgument at "/regime" otherwise.
Status ValidateRegimeId(std::string_view regime);

// The common (EQF) level of `level` in the issuer's regime (rules above; the level itself
// without a regime). Errors: kInvalidArgument at "/level" for a level outside the regime's
// framework (the message lists the framework's levels); kFailedPrecondition for an unknown
// regime id.
StatusOr<int> CommonLevelOf(const Institution& issuer, int level);
// Sets record->common_level = CommonLevelOf(issuer, record->level).
Status ResolveCommonLevel(const Institution& issuer, Record* record);

// The level conversion compares a pattern's min_level against.
inline int RecordMatchLevel(const Record& rec) {
  return rec.common_level == kCommonLevelUnresolved ? rec.level : rec.common_level;
}

}  // namespace lcb
