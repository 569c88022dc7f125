#include "service/conversions.h"

#include "codec/entries.h"
#include "codec/json_util.h"
#include "common/date.h"
#include "common/encoding.h"
#include "engine/ruleset_index.h"
#include "storage/keys.h"

namespace lcb {

StatusOr<ConversionResult> ConversionService::Evaluate(const std::string& learner,
                                                       const std::string& program, Days as_of,
                                                       Program* program_used) {
  if (!learners_->Exists(learner)) return Status::NotFound("no learner '" + learner + "'");
  LCB_ASSIGN_OR_RETURN(auto compiled, rulesets_->Compiled(program));
  if (program_used) *program_used = compiled->program();
  LCB_ASSIGN_OR_RETURN(auto records, records_->AllRecords(learner));
  thread_local EvalScratch scratch;
  ConversionResult result = ::lcb::Evaluate(*compiled, *records, as_of, {}, &scratch);
  counters_->conversions_evaluated++;
  return result;
}

void ConversionService::Apply(const std::string& learner, const std::string& program, Days as_of,
                              const Principal& by,
                              std::function<void(StatusOr<AppliedConversion>)> done) {
  Program evaluated;
  auto result = Evaluate(learner, program, as_of, &evaluated);
  if (!result.ok()) return done(result.status());
  const std::string id = "conv_" + HexEncode(RandomBytes(12));
  auto bytes = ConversionEntryBytes(id, learner, evaluated, by.role(), NowRfc3339(), *result);
  if (!bytes.ok()) return done(bytes.status());
  LogEntry e;
  e.id = id;
  e.bytes = std::move(bytes).value();
  e.index_rows = [learner, id](uint64_t leaf, WriteBatch* batch) {
    batch->Put(Table::kConversions, keys::OwnerLeaf(learner, leaf), id);
  };
  log_->ledger().Append({std::move(e)}, [this, id, learner, decided = std::move(result).value(),
                                         done = std::move(done)](StatusOr<AppendResult> r) mutable {
    if (changes_) changes_->Mark(learner);
    post_([this, id, decided = std::move(decided), done = std::move(done),
           r = std::move(r)]() mutable {
      if (!r.ok()) return done(r.status());
      counters_->conversions_applied++;
      auto receipt = log_->ReceiptFor(r->entries.front().leaf_index);
      if (!receipt.ok()) return done(receipt.status());
      done(AppliedConversion{id, std::move(decided), std::move(receipt).value()});
    });
  });
}

StatusOr<StoredConversion> ConversionService::Read(const std::string& id) {
  auto leaf = log_->ledger().ObjectIndex(id);
  if (!leaf.ok()) {
    if (leaf.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no conversion '" + id + "'");
    }
    return leaf.status();
  }
  StoredConversion out;
  out.id = id;
  out.leaf_index = *leaf;
  log_->Reach(*leaf);
  LCB_ASSIGN_OR_RETURN(out.entry_bytes, log_->ledger().Entry(*leaf));
  const json entry = json::parse(out.entry_bytes, nullptr, false);
  if (!entry.is_object() || entry.value("type", "") != "conversion") {
    return Status::NotFound("no conversion '" + id + "'");  // a record's id, a ruleset's...
  }
  if (!entry.contains("learner") || !entry["learner"].is_string()) {
    return Status::DataLoss("conversion entry " + id + " names no learner");
  }
  out.learner = entry["learner"].get<std::string>();
  return out;
}

StatusOr<ConversionPage> ConversionService::List(const std::string& learner,
                                                 const std::string& cursor, size_t limit) {
  std::string start = keys::OwnerBegin(learner);
  if (!cursor.empty()) {
    auto raw = HexDecode(cursor);
    if (!raw || raw->size() != 8) {
      return Status::InvalidArgument(Field("/cursor"), "not a cursor from this API");
    }
    const uint64_t after = GetBigEndian64(*raw);
    if (after == UINT64_MAX) return ConversionPage{};
    start = keys::OwnerLeaf(learner, after + 1);
  }
  std::vector<std::pair<uint64_t, std::string>> found;
  bool more = false;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kConversions, start, keys::OwnerEnd(learner), SIZE_MAX,
                                [&](std::string_view key, std::string_view value) {
                                  if (found.size() == limit) {
                                    more = true;
                                    return false;
                                  }
                                  found.emplace_back(keys::LeafOfOwnerKey(key), value);
                                  return true;
                                }));
  ConversionPage page;
  page.conversions.reserve(found.size());
  for (const auto& [leaf, id] : found) {
    StoredConversion c;
    c.id = id;
    c.learner = learner;
    c.leaf_index = leaf;
    log_->Reach(leaf);
    LCB_ASSIGN_OR_RETURN(c.entry_bytes, log_->ledger().Entry(leaf));
    page.conversions.push_back(std::move(c));
  }
  if (more) page.next_cursor = HexEncode(BigEndian64(found.back().first));
  return page;
}

StatusOr<WhatIfReport> ConversionService::WhatIf(const std::string& learner,
                                                 const std::vector<std::string>& programs,
                                                 Days as_of, size_t limit) {
  if (!learners_->Exists(learner)) return Status::NotFound("no learner '" + learner + "'");
  std::vector<std::string> ids = programs;
  if (ids.empty()) {
    LCB_ASSIGN_OR_RETURN(ids, rulesets_->PublishedPrograms());
  }
  std::vector<std::shared_ptr<const CompiledRuleset>> compiled;
  compiled.reserve(ids.size());
  for (const auto& id : ids) {
    auto c = rulesets_->Compiled(id);
    if (c.ok()) {
      compiled.push_back(*c);
      continue;
    }
    if (c.status().code() != StatusCode::kNotFound) return c.status();
    if (!programs.empty()) {
      return Status::InvalidArgument(Field("/programs"),
                                     "program '" + id + "' has no published ruleset");
    }
  }
  LCB_ASSIGN_OR_RETURN(auto records, records_->AllRecords(learner));
  thread_local EvalScratch scratch;
  std::vector<WhatIfEntry> ranked = ::lcb::WhatIf(compiled, *records, as_of, limit, {}, &scratch);
  counters_->conversions_evaluated += compiled.size();
  WhatIfReport report;
  report.programs_evaluated = compiled.size();
  for (auto& w : ranked) {
    auto p = catalog_->GetProgram(w.program);
    report.results.push_back(WhatIfProgram{std::move(w), p.ok() ? p->title : std::string()});
  }
  return report;
}

}  // namespace lcb
