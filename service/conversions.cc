#include "service/conversions.h"

#include "codec/entries.h"
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
