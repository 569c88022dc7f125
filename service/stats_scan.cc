#include "service/stats_scan.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "engine/regimes.h"
#include "service/stats_suppress.h"
#include "storage/keys.h"

namespace lcb {
namespace {

struct Tally {
  std::set<std::string> learners;
  int64_t with_records = 0;  // of the learners, those with an active record in the cell
  int64_t records = 0;
  Centi credits = 0;
  int64_t conversions = 0;
};
using Cells = std::map<std::vector<std::string>, Tally>;

// The cell keys of one of a learner's records (or of the learner alone: rec == nullptr).
std::vector<std::string> KeysOf(const StatsQuery& q, const std::string& region, const Record* rec) {
  std::vector<std::string> keys;
  keys.reserve(q.group_by.size());
  for (StatsKey key : q.group_by) {
    switch (key) {
      case StatsKey::kRegion:
        keys.push_back(RegionAt(region, q.region_level));
        break;
      case StatsKey::kKind:
        keys.emplace_back(UnitKindName(rec->kind));
        break;
      case StatsKey::kLevel:
        keys.push_back(std::to_string(RecordMatchLevel(*rec)));
        break;
      case StatsKey::kYear:
        keys.push_back(std::to_string(CivilFromDays(rec->completed_on).year));
        break;
      case StatsKey::kIssuer:
        keys.push_back(rec->issuer);
        break;
    }
  }
  return keys;
}

bool NeedsRecords(const StatsQuery& q) {
  for (StatsKey key : q.group_by) {
    if (key != StatsKey::kRegion) return true;
  }
  return false;
}

bool UsesRegion(const StatsQuery& q) {
  if (!q.region_prefix.empty()) return true;
  for (StatsKey key : q.group_by) {
    if (key == StatsKey::kRegion) return true;
  }
  return false;
}

StatusOr<std::vector<ScannedLearner>> ReadLearners(RecordService& records, Kv& kv) {
  LCB_ASSIGN_OR_RETURN(std::vector<LearnerRow> rows, ReadLearnerRows(kv));
  std::vector<ScannedLearner> out;
  out.reserve(rows.size());
  for (LearnerRow& row : rows) {
    ScannedLearner l;
    LCB_ASSIGN_OR_RETURN(l.records, records.AllRecords(row.id));
    LCB_ASSIGN_OR_RETURN(l.conversions, CountConversions(kv, row.id));
    l.row = std::move(row);
    out.push_back(std::move(l));
  }
  return out;
}

// Adds one learner to the cells it falls in.
void AddLearner(const StatsQuery& query, const ScannedLearner& learner, Cells& cells) {
  const LearnerRow& l = learner.row;
  const bool by_record = NeedsRecords(query);
  const std::string region = l.region.value_or("");
  std::set<std::vector<std::string>> touched, with_records;
  if (!by_record) touched.insert(KeysOf(query, region, nullptr));
  for (const Record& r : *learner.records) {
    if (!StatsCounts(r)) continue;
    std::vector<std::string> keys =
        by_record ? KeysOf(query, region, &r) : KeysOf(query, region, nullptr);
    Tally& t = cells[keys];
    t.records++;
    t.credits += r.credits;
    touched.insert(keys);
    with_records.insert(std::move(keys));
  }
  for (const auto& keys : touched) {
    Tally& t = cells[keys];
    t.learners.insert(l.id);
    t.with_records += static_cast<int64_t>(with_records.count(keys));
    t.conversions += learner.conversions;
  }
}

}  // namespace

StatusOr<std::vector<LearnerRow>> ReadLearnerRows(Kv& kv) {
  // Rows first: the scan callback must not call back into the store's readers.
  std::vector<LearnerRow> rows;
  const std::string begin = keys::Learner("");
  std::string end = begin;
  end.back() = static_cast<char>(end.back() + 1);
  Status bad = Status::Ok();
  LCB_RETURN_IF_ERROR(kv.Scan(Table::kLearners, begin, end, SIZE_MAX,
                              [&](std::string_view, std::string_view value) {
                                auto row = DecodeLearnerRow(value);
                                if (!row.ok()) {
                                  bad = row.status();
                                  return false;
                                }
                                rows.push_back(std::move(row).value());
                                return true;
                              }));
  LCB_RETURN_IF_ERROR(bad);
  return rows;
}

StatusOr<int64_t> CountConversions(Kv& kv, const std::string& learner) {
  int64_t n = 0;
  LCB_RETURN_IF_ERROR(kv.Scan(Table::kConversions, keys::OwnerBegin(learner),
                              keys::OwnerEnd(learner), SIZE_MAX,
                              [&n](std::string_view, std::string_view) {
                                ++n;
                                return true;
                              }));
  return n;
}

bool StatsCounts(const Record& r) { return !r.revoked && r.passing; }

StatsRecordFacts StatsFactsOf(const Record& r) {
  return StatsRecordFacts{r.kind, RecordMatchLevel(r), CivilFromDays(r.completed_on).year, r.issuer,
                          r.credits};
}

namespace {

// A learner's active records as the statistics count them, from a replay from the start.
class FactsSink : public LearnerEvents {
 public:
  Status OnRecord(Record r) override {
    if (StatsCounts(r)) {
      records.push_back(StatsFactsOf(r));
    }
    return Status::Ok();
  }
  Status OnRevocation(const std::string&) override {
    return Status::Internal("a replay from the start has no revocation events");
  }
  std::vector<StatsRecordFacts> records;
};

}  // namespace

StatusOr<StatsLearnerFacts> LoadStatsFacts(RecordService& records, Kv& kv, const LearnerRow& row) {
  StatsLearnerFacts facts;
  facts.region = row.region.value_or("");
  LCB_ASSIGN_OR_RETURN(facts.conversions, CountConversions(kv, row.id));
  // Everything up to the log's last leaf now; later records are read from there (read_to).
  const std::optional<uint64_t> last = records.LastLeaf();
  facts.read_to = last ? *last + 1 : 0;
  if (last) {
    FactsSink sink;
    LCB_RETURN_IF_ERROR(records.Replay(row.id, std::nullopt, *last, sink));
    facts.records = std::move(sink.records);
  }
  return facts;
}

namespace {

using ShownKeys = std::map<std::string, std::set<std::vector<std::string>>>;

StatsResult Scan(const std::vector<ScannedLearner>& learners, const StatsQuery& asked,
                 ShownKeys* coarser) {
  // The answer the cells are left out within (stats_suppress.h): the cells of `query`, of
  // which those under scope.keep are the answer to `asked`.
  const SuppressionScope scope = ScopeOf(asked);
  const StatsQuery& query = scope.query;
  // The cells one step coarser over each key that are shown (ParentQueries): the others are
  // left out.
  const std::vector<std::optional<ParentOver>> parent_queries = ParentQueries(query);
  std::vector<const std::set<std::vector<std::string>>*> parents_shown(parent_queries.size());
  for (size_t d = 0; d < parent_queries.size(); ++d) {
    if (!parent_queries[d]) continue;
    const std::string id = AnswerId(parent_queries[d]->query);
    auto it = coarser->find(id);
    if (it == coarser->end()) {
      StatsResult parent = Scan(learners, parent_queries[d]->query, coarser);
      std::set<std::vector<std::string>> shown;
      for (StatsCell& c : parent.cells) shown.insert(std::move(c.keys));
      it = coarser->emplace(id, std::move(shown)).first;
    }
    parents_shown[d] = &it->second;
  }
  Cells cells;
  for (const ScannedLearner& l : learners) {
    const std::string region = l.row.region.value_or("");
    if (UsesRegion(query) && (region.empty() || !region.starts_with(query.region_prefix))) continue;
    AddLearner(query, l, cells);
  }
  // Every cell in key order, each key's value as its rank among the values present.
  const size_t n_keys = query.group_by.size();
  std::vector<std::vector<std::string>> names(n_keys);
  for (const auto& [keys, t] : cells) {
    for (size_t d = 0; d < n_keys; ++d) names[d].push_back(keys[d]);
  }
  for (size_t d = 0; d < n_keys; ++d) {
    std::sort(names[d].begin(), names[d].end());
    names[d].erase(std::unique(names[d].begin(), names[d].end()), names[d].end());
  }
  std::vector<SuppressionCell> marks;
  marks.reserve(cells.size());
  for (const auto& [keys, t] : cells) {
    SuppressionCell m;
    for (size_t d = 0; d < n_keys; ++d) {
      m.key[d] = static_cast<uint32_t>(
          std::lower_bound(names[d].begin(), names[d].end(), keys[d]) - names[d].begin());
    }
    m.learners = static_cast<int64_t>(t.learners.size());
    m.with_records = t.with_records;
    m.hidden = TooFew(m.learners, m.with_records, query.k);
    for (size_t d = 0; d < parent_queries.size(); ++d) {
      if (parents_shown[d] != nullptr &&
          !parents_shown[d]->contains(ParentKeys(query, *parent_queries[d], d, keys))) {
        m.parent_hidden |= static_cast<uint8_t>(1u << d);
      }
    }
    marks.push_back(m);
  }
  uint8_t parent_read = 0;
  for (size_t d = 0; d < parents_shown.size(); ++d) {
    if (parents_shown[d] != nullptr) parent_read |= static_cast<uint8_t>(1u << d);
  }
  SuppressAnswer(&marks, query, names, parent_read);
  StatsResult out;
  out.k = query.k;
  size_t i = 0;
  for (auto& [keys, t] : cells) {
    const bool hidden = marks[i++].hidden;
    if (!keys[scope.region_key].starts_with(scope.keep)) continue;
    if (hidden) {
      out.suppressed++;
      continue;
    }
    std::vector<std::string> shown = keys;
    if (scope.region_added) shown.erase(shown.begin());
    if (!scope.region_label.empty()) shown[scope.region_key] = scope.region_label;
    out.cells.push_back(StatsCell{std::move(shown), static_cast<int64_t>(t.learners.size()),
                                  t.records, t.credits, t.conversions});
  }
  return out;
}

}  // namespace

StatusOr<StatsResult> ComputeStatsByScan(RecordService& records, Kv& kv, const StatsQuery& query) {
  LCB_ASSIGN_OR_RETURN(StatsScanner scanner, StatsScanner::Read(records, kv));
  return scanner.Compute(query);
}

StatusOr<StatsScanner> StatsScanner::Read(RecordService& records, Kv& kv) {
  StatsScanner scanner;
  LCB_ASSIGN_OR_RETURN(scanner.learners_, ReadLearners(records, kv));
  return scanner;
}

StatsResult StatsScanner::Compute(const StatsQuery& query) {
  return Scan(learners_, query, &coarser_);
}

}  // namespace lcb
