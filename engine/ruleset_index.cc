#include "engine/ruleset_index.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace lcb {
namespace {

constexpr uint64_t kEmptyKey = UINT64_MAX;

inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

size_t TableSizeFor(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  return cap;
}

// Packs a digit string of length 2..4 the way ForEachMatchingSource does; 0 on bad input.
uint32_t PackPrefix(std::string_view s) {
  if (s.size() < 2 || s.size() > 4) return 0;
  uint32_t digits = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    digits = digits * 16 + static_cast<uint32_t>(c - '0');
  }
  return (static_cast<uint32_t>(s.size()) << 16) | digits;
}

template <typename V>
size_t Bytes(const std::vector<V>& v) {
  return v.capacity() * sizeof(V);
}

}  // namespace

uint64_t HashBytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0x100000001b3ull);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  std::memcpy(&w, p + i, n - i);
  return Mix64(h ^ w);
}

// ---- StringPool ------------------------------------------------------------------------------

void StringPool::Grow() {
  std::vector<uint64_t> table(TableSizeFor(size() + 1), 0);
  size_t mask = table.size() - 1;
  for (uint32_t id = 0; id < size(); ++id) {
    uint64_t h = HashBytes(Get(id));
    size_t pos = h & mask;
    while (table[pos] != 0) pos = (pos + 1) & mask;
    table[pos] = ((h >> 32) << 32) | (id + 1);
  }
  table_.swap(table);
}

uint32_t StringPool::Find(std::string_view s) const {
  if (table_.empty()) return kNone;
  uint64_t h = HashBytes(s);
  uint64_t tag = h >> 32;
  size_t mask = table_.size() - 1;
  for (size_t pos = h & mask;; pos = (pos + 1) & mask) {
    uint64_t e = table_[pos];
    if (e == 0) return kNone;
    if ((e >> 32) == tag) {
      uint32_t id = static_cast<uint32_t>(e) - 1;
      if (Get(id) == s) return id;
    }
  }
}

uint32_t StringPool::Intern(std::string_view s) {
  uint32_t found = Find(s);
  if (found != kNone) return found;
  if ((size() + 1) * 2 > table_.size()) Grow();
  uint32_t id = static_cast<uint32_t>(size());
  chars_.append(s);
  offsets_.push_back(static_cast<uint32_t>(chars_.size()));
  uint64_t h = HashBytes(s);
  size_t mask = table_.size() - 1;
  size_t pos = h & mask;
  while (table_[pos] != 0) pos = (pos + 1) & mask;
  table_[pos] = ((h >> 32) << 32) | (id + 1);
  return id;
}

void StringPool::ShrinkToFit() {
  chars_.shrink_to_fit();
  offsets_.shrink_to_fit();
}

size_t StringPool::MemoryBytes() const {
  return chars_.capacity() + Bytes(offsets_) + Bytes(table_);
}

// ---- CompiledRuleset -------------------------------------------------------------------------

uint32_t CompiledRuleset::FindBucket(uint64_t key) const {
  size_t mask = bucket_keys_.size() - 1;
  for (size_t pos = Mix64(key) & mask;; pos = (pos + 1) & mask) {
    uint64_t k = bucket_keys_[pos];
    if (k == key) return bucket_slot_[pos];
    if (k == kEmptyKey) return kNone;
  }
}

// ---- Compile -------------------------------------------------------------------------------

// Fills a CompiledRuleset's arrays from the documents, one index at a time (a friend of
// CompiledRuleset; only Compile uses it). Call the steps in the order declared.
class RulesetCompiler {
 public:
  explicit RulesetCompiler(CompiledRuleset* c) : c_(*c) {}

  // min(max_transfer_credits, floor(ratio * total) rounded down to whole credits), or
  // total_credits when neither is set.
  static Centi TransferCap(const Program& prog);
  // Rule and source arrays in ruleset order; collects the exact and pattern sources.
  // Releases each rule's heap parts once copied, so peak memory stays near one copy.
  void AddRules(std::vector<Rule>* rules);
  void BuildExactIndex();
  void BuildPatternIndex();
  void BuildCaps(const Policy& policy);
  void ShrinkToFit();

 private:
  struct PatternEntry {
    uint64_t key;  // CompiledRuleset::BucketKey
    uint32_t min_level;
    uint32_t source;
  };

  void Reserve(size_t rules);
  uint32_t TargetOf(const Rule& rule,
                    const std::unordered_map<std::string_view, uint32_t>& req_index) const;
  void AddRule(const Rule& rule, uint32_t target);
  void AddPatternSource(const Pattern& p, uint32_t s);

  CompiledRuleset& c_;
  std::vector<std::pair<uint32_t, uint32_t>> exact_;  // (unit string id, source)
  std::vector<PatternEntry> patterns_;
};

std::shared_ptr<const CompiledRuleset> CompiledRuleset::Compile(Program program, Ruleset ruleset) {
  std::shared_ptr<CompiledRuleset> out(new CompiledRuleset());
  CompiledRuleset& c = *out;
  c.program_ = std::move(program);
  c.version_ = ruleset.version;
  c.sha256_hex_ = std::move(ruleset.sha256_hex);
  c.transfer_cap_ = RulesetCompiler::TransferCap(c.program_);
  RulesetCompiler compiler(&c);
  compiler.AddRules(&ruleset.rules);
  compiler.BuildExactIndex();
  compiler.BuildPatternIndex();
  compiler.BuildCaps(c.program_.policy);
  compiler.ShrinkToFit();
  return out;
}

Centi RulesetCompiler::TransferCap(const Program& prog) {
  const Policy& policy = prog.policy;
  bool any = false;
  Centi cap = CompiledRuleset::kUnlimited;
  if (policy.max_transfer_credits) {
    cap = std::min(cap, *policy.max_transfer_credits);
    any = true;
  }
  if (policy.max_transfer_ratio_bp) {
    Centi by_ratio = static_cast<Centi>(*policy.max_transfer_ratio_bp) * prog.total_credits / 10000;
    by_ratio -= by_ratio % kCentiPerCredit;
    cap = std::min(cap, by_ratio);
    any = true;
  }
  return any ? std::max<Centi>(cap, 0) : prog.total_credits;
}

void RulesetCompiler::AddRules(std::vector<Rule>* rules) {
  const Program& prog = c_.program_;
  std::unordered_map<std::string_view, uint32_t> req_index;
  req_index.reserve(prog.requirements.size());
  for (uint32_t i = 0; i < prog.requirements.size(); ++i) {
    req_index.emplace(prog.requirements[i].id, i);
  }
  Reserve(rules->size());
  for (Rule& rule : *rules) {
    const uint32_t target = TargetOf(rule, req_index);
    if (target == CompiledRuleset::kNone) {
      ++c_.skipped_rules_;
      continue;
    }
    AddRule(rule, target);
    Rule().sources.swap(rule.sources);
    std::string().swap(rule.id);
    std::string().swap(rule.target);
  }
  rules->clear();
  rules->shrink_to_fit();
}

// Capacity for `rules` rules, most with one source.
void RulesetCompiler::Reserve(size_t n) {
  c_.rule_grant_.reserve(n);
  c_.rule_target_.reserve(n);
  c_.rule_min_grade_.reserve(n);
  c_.rule_max_age_.reserve(n);
  c_.rule_src_begin_.reserve(n + 1);
  c_.rule_id_off_.reserve(n + 1);
  c_.src_rule_.reserve(n + n / 8);
  c_.src_min_level_.reserve(n + n / 8);
  c_.src_min_credits_.reserve(n + n / 8);
  c_.rule_src_begin_.push_back(0);
  c_.rule_id_off_.push_back(0);
  exact_.reserve(n);
}

// The rule's requirement number, or kNone for a rule the index cannot represent (unknown
// target, bad grant, no or too many sources, a field prefix that is not 2-4 digits).
uint32_t RulesetCompiler::TargetOf(
    const Rule& rule, const std::unordered_map<std::string_view, uint32_t>& req_index) const {
  auto it = req_index.find(rule.target);
  const bool ok = it != req_index.end() && rule.grant > 0 && rule.grant <= kMaxCenti &&
                  !rule.sources.empty() && rule.sources.size() <= kMaxRuleSources;
  if (!ok) return CompiledRuleset::kNone;
  for (const Pattern& p : rule.sources) {
    if (!p.unit && p.field_prefix && PackPrefix(*p.field_prefix) == 0) {
      return CompiledRuleset::kNone;
    }
  }
  return it->second;
}

void RulesetCompiler::AddRule(const Rule& rule, uint32_t target) {
  const uint32_t r = static_cast<uint32_t>(c_.rule_grant_.size());
  c_.rule_grant_.push_back(rule.grant);
  c_.rule_target_.push_back(target);
  c_.rule_min_grade_.push_back(
      rule.min_grade ? static_cast<int8_t>(std::clamp(*rule.min_grade, 0, 100)) : int8_t{-1});
  c_.rule_max_age_.push_back(
      rule.max_age_years ? static_cast<uint8_t>(std::clamp(*rule.max_age_years, 1, 200)) : 0);
  for (const Pattern& p : rule.sources) {
    const uint32_t s = static_cast<uint32_t>(c_.src_rule_.size());
    c_.src_rule_.push_back(r);
    if (p.unit) {
      c_.src_min_level_.push_back(0);
      c_.src_min_credits_.push_back(0);
      exact_.emplace_back(c_.strings_.Intern(*p.unit), s);
    } else {
      AddPatternSource(p, s);
    }
  }
  c_.rule_src_begin_.push_back(static_cast<uint32_t>(c_.src_rule_.size()));
  c_.rule_id_chars_.append(rule.id);
  c_.rule_id_off_.push_back(static_cast<uint32_t>(c_.rule_id_chars_.size()));
}

// A pattern source's filters, its bucket key and the key shape it needs probed.
void RulesetCompiler::AddPatternSource(const Pattern& p, uint32_t s) {
  const int min_level = p.min_level ? std::clamp(*p.min_level, 0, 255) : 0;
  c_.src_min_level_.push_back(static_cast<uint8_t>(min_level));
  c_.src_min_credits_.push_back(
      p.min_credits ? static_cast<int32_t>(std::clamp<Centi>(*p.min_credits, 0, kMaxCenti)) : 0);
  const uint32_t kind = p.kind ? static_cast<uint32_t>(*p.kind) : 15u;
  const uint32_t prefix = p.field_prefix ? PackPrefix(*p.field_prefix) : 0;
  const uint32_t issuer1 = p.issuer ? c_.strings_.Intern(*p.issuer) + 1 : 0;
  patterns_.push_back(
      {CompiledRuleset::BucketKey(kind, prefix, issuer1), static_cast<uint32_t>(min_level), s});
  const int len = p.field_prefix ? static_cast<int>(p.field_prefix->size()) : 0;
  const int shape = CompiledRuleset::ShapeOf(!p.kind, len, !p.issuer);
  c_.shape_mask_ |= static_cast<uint16_t>(1u << shape);
  if (p.kind) c_.shape_kinds_[shape] |= static_cast<uint16_t>(1u << kind);
}

// unit string id -> its sources (CSR): a counting sort, stable, so sources stay in rule
// order.
void RulesetCompiler::BuildExactIndex() {
  c_.unit_begin_.assign(c_.strings_.size() + 1, 0);
  for (const auto& [unit, s] : exact_) ++c_.unit_begin_[unit + 1];
  for (size_t i = 1; i < c_.unit_begin_.size(); ++i) c_.unit_begin_[i] += c_.unit_begin_[i - 1];
  c_.unit_sources_.resize(exact_.size());
  std::vector<uint32_t> fill(c_.unit_begin_.begin(), c_.unit_begin_.end() - 1);
  for (const auto& [unit, s] : exact_) c_.unit_sources_[fill[unit]++] = s;
  std::vector<std::pair<uint32_t, uint32_t>>().swap(exact_);
}

// Bucket key -> its sources sorted by (min_level, source) (CSR), found through an
// open-addressing table.
void RulesetCompiler::BuildPatternIndex() {
  std::vector<PatternEntry>& patterns = patterns_;
  std::sort(patterns.begin(), patterns.end(), [](const PatternEntry& a, const PatternEntry& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.min_level != b.min_level) return a.min_level < b.min_level;
    return a.source < b.source;
  });
  size_t buckets = 0;
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (i == 0 || patterns[i].key != patterns[i - 1].key) ++buckets;
  }
  c_.bucket_keys_.assign(TableSizeFor(buckets), kEmptyKey);
  c_.bucket_slot_.assign(c_.bucket_keys_.size(), CompiledRuleset::kNone);
  c_.bucket_begin_.reserve(buckets + 1);
  c_.bucket_sources_.reserve(patterns.size());
  const size_t mask = c_.bucket_keys_.size() - 1;
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (i == 0 || patterns[i].key != patterns[i - 1].key) {
      const uint32_t b = static_cast<uint32_t>(c_.bucket_begin_.size());
      c_.bucket_begin_.push_back(static_cast<uint32_t>(c_.bucket_sources_.size()));
      size_t pos = Mix64(patterns[i].key) & mask;
      while (c_.bucket_keys_[pos] != kEmptyKey) pos = (pos + 1) & mask;
      c_.bucket_keys_[pos] = patterns[i].key;
      c_.bucket_slot_[pos] = b;
    }
    c_.bucket_sources_.push_back(patterns[i].source);
  }
  c_.bucket_begin_.push_back(static_cast<uint32_t>(c_.bucket_sources_.size()));
  std::vector<PatternEntry>().swap(patterns_);
}

// The policy's caps resolved to per-key limits and counts (kind: an array; year and issuer:
// sorted pairs).
void RulesetCompiler::BuildCaps(const Policy& policy) {
  for (const Cap& cap : policy.caps) {
    CompiledRuleset::CapFamily fam;
    fam.by = cap.by;
    fam.default_limit = cap.default_limit ? *cap.default_limit : CompiledRuleset::kUnlimited;
    fam.kind_limit.fill(fam.default_limit);
    fam.kind_count.fill(CompiledRuleset::kUnlimitedCount);
    for (const auto& [key, limit] : cap.limits) {
      if (cap.by == CapBy::kKind) {
        if (auto k = ParseUnitKind(key)) fam.kind_limit[static_cast<size_t>(*k)] = limit;
      } else if (cap.by == CapBy::kYear) {
        fam.year_limit.emplace_back(std::atoi(key.c_str()), limit);
      } else {
        fam.issuer_limit.emplace_back(key, limit);
      }
    }
    for (const auto& [key, count] : cap.max_count) {
      if (cap.by == CapBy::kKind) {
        if (auto k = ParseUnitKind(key)) fam.kind_count[static_cast<size_t>(*k)] = count;
      } else if (cap.by == CapBy::kYear) {
        fam.year_count.emplace_back(std::atoi(key.c_str()), count);
      } else {
        fam.issuer_count.emplace_back(key, count);
      }
    }
    std::sort(fam.year_limit.begin(), fam.year_limit.end());
    std::sort(fam.year_count.begin(), fam.year_count.end());
    // std::map keys arrive sorted already; sort anyway for safety.
    std::sort(fam.issuer_limit.begin(), fam.issuer_limit.end());
    std::sort(fam.issuer_count.begin(), fam.issuer_count.end());
    c_.caps_.push_back(std::move(fam));
  }
}

// The arrays grown by push_back keep only what they hold.
void RulesetCompiler::ShrinkToFit() {
  c_.strings_.ShrinkToFit();
  c_.rule_id_chars_.shrink_to_fit();
  c_.src_rule_.shrink_to_fit();
  c_.src_min_level_.shrink_to_fit();
  c_.src_min_credits_.shrink_to_fit();
  c_.rule_grant_.shrink_to_fit();
  c_.rule_target_.shrink_to_fit();
  c_.rule_min_grade_.shrink_to_fit();
  c_.rule_max_age_.shrink_to_fit();
  c_.rule_src_begin_.shrink_to_fit();
  c_.rule_id_off_.shrink_to_fit();
}

void CompiledRuleset::CapLimits(size_t f, const Record& rec, int year, Centi* limit,
                                int32_t* count) const {
  const CapFamily& fam = caps_[f];
  *limit = fam.default_limit;
  *count = kUnlimitedCount;
  switch (fam.by) {
    case CapBy::kKind:
      *limit = fam.kind_limit[static_cast<size_t>(rec.kind)];
      *count = fam.kind_count[static_cast<size_t>(rec.kind)];
      return;
    case CapBy::kYear: {
      auto it = std::lower_bound(fam.year_limit.begin(), fam.year_limit.end(),
                                 std::pair<int, Centi>(year, INT64_MIN));
      if (it != fam.year_limit.end() && it->first == year) *limit = it->second;
      auto jt = std::lower_bound(fam.year_count.begin(), fam.year_count.end(),
                                 std::pair<int, int32_t>(year, INT32_MIN));
      if (jt != fam.year_count.end() && jt->first == year) *count = jt->second;
      return;
    }
    case CapBy::kIssuer: {
      auto it = std::lower_bound(
          fam.issuer_limit.begin(), fam.issuer_limit.end(), rec.issuer,
          [](const std::pair<std::string, Centi>& e, const std::string& k) { return e.first < k; });
      if (it != fam.issuer_limit.end() && it->first == rec.issuer) *limit = it->second;
      auto jt = std::lower_bound(fam.issuer_count.begin(), fam.issuer_count.end(), rec.issuer,
                                 [](const std::pair<std::string, int32_t>& e,
                                    const std::string& k) { return e.first < k; });
      if (jt != fam.issuer_count.end() && jt->first == rec.issuer) *count = jt->second;
      return;
    }
  }
}

size_t CompiledRuleset::MemoryBytes() const {
  return sizeof(*this) + Bytes(rule_grant_) + Bytes(rule_target_) + Bytes(rule_min_grade_) +
         Bytes(rule_max_age_) + Bytes(rule_src_begin_) + Bytes(rule_id_off_) +
         rule_id_chars_.capacity() + Bytes(src_rule_) + Bytes(src_min_level_) +
         Bytes(src_min_credits_) + strings_.MemoryBytes() + Bytes(unit_begin_) +
         Bytes(unit_sources_) + Bytes(bucket_keys_) + Bytes(bucket_slot_) + Bytes(bucket_begin_) +
         Bytes(bucket_sources_);
}

}  // namespace lcb
