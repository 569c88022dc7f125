// CompiledRuleset: the immutable, shared index of one published ruleset version, built once
// (Compile) and then read concurrently by any number of Evaluate calls without locking.
//
// Layout (compact arrays, no node per rule; roughly 60-120 bytes per single-source rule):
//   rules    struct-of-arrays indexed by rule number (ruleset order): grant, target
//            requirement, rule-level filters, [source_begin, source_end), id (in one arena)
//   sources  struct-of-arrays indexed by source number: owning rule and the pattern fields
//   exact    unit id (interned) -> CSR range of the sources whose pattern is {unit}
//   patterns bucket key (kind | ANY, field prefix | NONE, issuer | ANY) -> CSR range of the
//            other sources, sorted by min_level so that a record of level L scans a prefix;
//            a 16-bit mask records which key shapes exist, so a record probes only shapes
//            that can hit (usually 1-3 of the 16)
//   caps     the policy caps resolved to per-key limits
// Rules that would fail ValidateRuleset in a way the solver cannot represent (unknown
// target, no sources or more than kMaxRuleSources, grant <= 0) are skipped and counted in
// skipped_rules(); callers validate before publishing, so this is a guard, not a feature.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model.h"
#include "engine/regimes.h"
#include "engine/ruleset_validate.h"

namespace lcb {

// Interns strings into dense ids 0..size()-1: one character arena, one open-addressing table.
class StringPool {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  uint32_t Intern(std::string_view s);
  uint32_t Find(std::string_view s) const;  // kNone when absent
  std::string_view Get(uint32_t id) const {
    return std::string_view(chars_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  size_t size() const { return offsets_.size() - 1; }
  void ShrinkToFit();
  size_t MemoryBytes() const;

 private:
  void Grow();
  std::string chars_;
  std::vector<uint32_t> offsets_{0};
  std::vector<uint64_t> table_;  // 0 = empty, else (hash high 32 bits << 32) | (id + 1)
};

uint64_t HashBytes(std::string_view s);

class CompiledRuleset {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  static constexpr Centi kUnlimited = INT64_MAX / 4;
  static constexpr int32_t kUnlimitedCount = INT32_MAX / 4;

  // Builds the index. Takes the documents by value so callers can move them in; nothing of
  // them is kept except the program (small) and the ruleset's version and digest.
  static std::shared_ptr<const CompiledRuleset> Compile(Program program, Ruleset ruleset);

  const Program& program() const { return program_; }
  int version() const { return version_; }
  const std::string& sha256_hex() const { return sha256_hex_; }
  // min(max_transfer_credits, floor(ratio * total) rounded down to whole credits), or
  // total_credits when neither is set.
  Centi transfer_cap() const { return transfer_cap_; }

  size_t num_rules() const { return rule_grant_.size(); }
  size_t num_sources() const { return src_rule_.size(); }
  size_t skipped_rules() const { return skipped_rules_; }
  // Bytes held by the index arrays (capacity, not size).
  size_t MemoryBytes() const;

  // ---- Rules and sources (read by the solver) -------------------------------------------
  std::string_view rule_id(uint32_t r) const {
    return std::string_view(rule_id_chars_)
        .substr(rule_id_off_[r], rule_id_off_[r + 1] - rule_id_off_[r]);
  }
  uint32_t rule_target(uint32_t r) const { return rule_target_[r]; }
  Centi rule_grant(uint32_t r) const { return rule_grant_[r]; }
  int rule_min_grade(uint32_t r) const { return rule_min_grade_[r]; }    // -1 = none
  int rule_max_age_years(uint32_t r) const { return rule_max_age_[r]; }  // 0 = none
  uint32_t rule_source_begin(uint32_t r) const { return rule_src_begin_[r]; }
  uint32_t rule_source_end(uint32_t r) const { return rule_src_begin_[r + 1]; }
  uint32_t source_rule(uint32_t s) const { return src_rule_[s]; }

  // Calls f(source) for every source whose pattern matches `rec` (pattern fields only; the
  // rule-level min_grade / max_age_years are the caller's). Sources of one rule may come in
  // any order; each matching source is reported once.
  template <typename F>
  void ForEachMatchingSource(const Record& rec, F&& f) const;

  // ---- Caps ------------------------------------------------------------------------------
  struct CapFamily {
    CapBy by = CapBy::kKind;
    std::array<Centi, kUnitKindCount> kind_limit;
    std::array<int32_t, kUnitKindCount> kind_count;
    std::vector<std::pair<int, Centi>> year_limit;              // sorted by year
    std::vector<std::pair<int, int32_t>> year_count;            // sorted by year
    std::vector<std::pair<std::string, Centi>> issuer_limit;    // sorted by issuer
    std::vector<std::pair<std::string, int32_t>> issuer_count;  // sorted by issuer
    Centi default_limit = kUnlimited;
  };
  const std::vector<CapFamily>& caps() const { return caps_; }
  // Limit and max_count of the group `rec` falls into in family `f` (kUnlimited /
  // kUnlimitedCount when unconstrained). `year` is the record's completion year.
  void CapLimits(size_t f, const Record& rec, int year, Centi* limit, int32_t* count) const;

 private:
  friend class RulesetCompiler;  // ruleset_index.cc: Compile's steps

  CompiledRuleset() = default;
  static uint64_t BucketKey(uint32_t kind, uint32_t prefix, uint32_t issuer1) {
    return (static_cast<uint64_t>(issuer1) << 32) | (static_cast<uint64_t>(prefix) << 4) | kind;
  }
  static int ShapeOf(bool kind_any, int prefix_len, bool issuer_any) {
    int len_code = prefix_len == 0 ? 0 : prefix_len - 1;  // 0, 2->1, 3->2, 4->3
    return (kind_any ? 1 : 0) | (len_code << 1) | (issuer_any ? 8 : 0);
  }
  uint32_t FindBucket(uint64_t key) const;

  Program program_;
  int version_ = 0;
  std::string sha256_hex_;
  Centi transfer_cap_ = 0;
  size_t skipped_rules_ = 0;

  std::vector<Centi> rule_grant_;
  std::vector<uint32_t> rule_target_;
  std::vector<int8_t> rule_min_grade_;
  std::vector<uint8_t> rule_max_age_;
  std::vector<uint32_t> rule_src_begin_;  // num_rules + 1
  std::vector<uint32_t> rule_id_off_;     // num_rules + 1
  std::string rule_id_chars_;

  std::vector<uint32_t> src_rule_;
  std::vector<uint8_t> src_min_level_;    // pattern sources only matter; 0 = none
  std::vector<int32_t> src_min_credits_;  // 0 = none

  StringPool strings_;  // unit ids and issuers named in patterns
  // Exact index: unit string id -> sources (CSR).
  std::vector<uint32_t> unit_begin_;  // strings_.size() + 1
  std::vector<uint32_t> unit_sources_;
  // Pattern index: open-addressing table of bucket keys -> bucket number; CSR of sources.
  std::vector<uint64_t> bucket_keys_;     // table; kEmptyKey = empty
  std::vector<uint32_t> bucket_slot_;     // table -> bucket number
  std::vector<uint32_t> bucket_begin_;    // buckets + 1
  std::vector<uint32_t> bucket_sources_;  // sorted by (min_level, source)
  uint16_t shape_mask_ = 0;
  // Per shape with a specific kind: which kinds have buckets (bit = UnitKind), so a record
  // skips probes that cannot hit.
  std::array<uint16_t, 16> shape_kinds_{};

  std::vector<CapFamily> caps_;
};

// ---- Inline matching (hot path) ------------------------------------------------------------

template <typename F>
void CompiledRuleset::ForEachMatchingSource(const Record& rec, F&& f) const {
  uint32_t unit = strings_.Find(rec.unit);
  if (unit != StringPool::kNone && unit + 1 < unit_begin_.size()) {
    for (uint32_t i = unit_begin_[unit]; i < unit_begin_[unit + 1]; ++i) f(unit_sources_[i]);
  }
  if (shape_mask_ == 0) return;
  // Field prefixes of the record (only digit strings can match a pattern's prefix).
  uint32_t prefixes[4] = {0, 0, 0, 0};  // by length code 1..3; [0] = none
  int max_len = 0;
  {
    uint32_t digits = 0;
    for (size_t i = 0; i < rec.field.size() && i < 4; ++i) {
      char c = rec.field[i];
      if (c < '0' || c > '9') break;
      digits = digits * 16 + static_cast<uint32_t>(c - '0');
      int len = static_cast<int>(i) + 1;
      if (len >= 2) prefixes[len - 1] = (static_cast<uint32_t>(len) << 16) | digits;
      max_len = len;
    }
  }
  uint32_t issuer1 = 0;
  bool need_issuer = (shape_mask_ & 0x00FF) != 0;  // shapes 0..7 name an issuer
  if (need_issuer) {
    uint32_t id = strings_.Find(rec.issuer);
    issuer1 = id == StringPool::kNone ? 0 : id + 1;
  }
  const uint32_t kind = static_cast<uint32_t>(rec.kind);
  for (int shape = 0; shape < 16; ++shape) {
    if (!(shape_mask_ & (1u << shape))) continue;
    bool kind_any = shape & 1;
    if (!kind_any && !(shape_kinds_[shape] & (1u << kind))) continue;
    int len_code = (shape >> 1) & 3;
    bool issuer_any = shape & 8;
    if (!issuer_any && issuer1 == 0) continue;
    int len = len_code == 0 ? 0 : len_code + 1;
    if (len > max_len) continue;
    uint32_t prefix = len == 0 ? 0 : prefixes[len - 1];
    uint64_t key = BucketKey(kind_any ? 15u : kind, prefix, issuer_any ? 0u : issuer1);
    uint32_t b = FindBucket(key);
    if (b == kNone) continue;
    for (uint32_t i = bucket_begin_[b]; i < bucket_begin_[b + 1]; ++i) {
      uint32_t s = bucket_sources_[i];
      // regimes hook: min_level compares against the common (EQF) level, not the posted one.
      if (src_min_level_[s] > RecordMatchLevel(rec)) break;
      if (rec.credits < src_min_credits_[s]) continue;
      f(s);
    }
  }
}

}  // namespace lcb
