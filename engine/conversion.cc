#include "engine/conversion.h"

#include <algorithm>

#include "engine/conversion_eval.h"
#include "engine/solver.h"

namespace lcb {

EvalScratch::EvalScratch() : impl_(std::make_unique<Impl>()) {}
EvalScratch::~EvalScratch() = default;

namespace {

using conversion_internal::Evaluation;
using Impl = EvalScratch::Impl;

void FillHeader(const CompiledRuleset& rs, Days as_of, ConversionResult* out) {
  const Program& prog = rs.program();
  out->program = prog.id;
  out->ruleset_version = rs.version();
  out->ruleset_sha256 = rs.sha256_hex();
  out->as_of = as_of;
  out->total_credits = prog.total_credits;
  out->transfer_cap = rs.transfer_cap();
  out->requirements.clear();
  out->unused.clear();
}

// granted, remaining, optimal and upper_bound from the solver; `complete` = every
// candidate was enumerated (otherwise only rule-level bounds are claimed).
void FillTotals(const CompiledRuleset& rs, const solver::Solver& sv, bool greedy, bool complete,
                const Evaluation& ev, ConversionResult* out) {
  out->granted = sv.value();
  out->remaining = std::max<Centi>(0, rs.program().total_credits - out->granted);
  out->optimal = !greedy && sv.optimal() && complete;
  out->upper_bound = greedy ? std::max(sv.value(), rs.transfer_cap()) : sv.upper_bound();
  if (!complete && !greedy) {
    out->upper_bound = std::max(out->granted, ev.RuleLevelBound());
    out->optimal = out->granted >= out->upper_bound;
  }
  out->nodes = sv.stats().nodes;
}

// Evaluates m.sorted (records by id) against `rs`: the steps of engine/conversion_eval.h.
// `summary` leaves requirements and unused empty (what-if needs the totals only).
void EvaluateSorted(const CompiledRuleset& rs, Days as_of, const EvalOptions& options, bool greedy,
                    bool summary, Impl& m, ConversionResult* out) {
  FillHeader(rs, as_of, out);
  Evaluation ev(rs, as_of, m);
  ev.ClassifyRecords();
  ev.MatchRecords();
  ev.AssignCapGroups();
  ev.FormClasses();
  ev.MapSourcesToClasses();
  const bool complete = ev.EnumerateCandidates();
  ev.OrderCandidates();
  ev.BuildProblem();
  out->candidates = static_cast<uint32_t>(m.problem.cands.size());

  solver::Options so;
  so.max_nodes = options.max_nodes;
  so.greedy_only = greedy;
  m.solver.Solve(m.problem, so);

  if (!summary) ev.HandOutRecords(out);
  FillTotals(rs, m.solver, greedy, complete, ev, out);
  if (!summary) ev.ExplainUnused(out);
}

void SortRecords(std::span<const Record> records, std::vector<const Record*>* sorted) {
  sorted->resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) (*sorted)[i] = &records[i];
  // Storage hands records over in id order; check before sorting.
  bool in_order = true;
  for (size_t i = 1; i < records.size() && in_order; ++i) {
    in_order = records[i - 1].id < records[i].id;
  }
  if (in_order) return;
  // Record ids are unique (the bank assigns them); ties, if any, fall back to input order.
  std::sort(sorted->begin(), sorted->end(), [](const Record* a, const Record* b) {
    const int c = a->id.compare(b->id);
    return c != 0 ? c < 0 : a < b;
  });
}

ConversionResult Run(const CompiledRuleset& ruleset, std::span<const Record> records, Days as_of,
                     const EvalOptions& options, EvalScratch* scratch, bool greedy) {
  std::unique_ptr<EvalScratch> local;
  if (scratch == nullptr) {
    local = std::make_unique<EvalScratch>();
    scratch = local.get();
  }
  Impl& m = scratch->impl();
  SortRecords(records, &m.sorted);
  ConversionResult out;
  EvaluateSorted(ruleset, as_of, options, greedy, false, m, &out);
  return out;
}

}  // namespace

ConversionResult Evaluate(const CompiledRuleset& ruleset, std::span<const Record> records,
                          Days as_of, const EvalOptions& options, EvalScratch* scratch) {
  return Run(ruleset, records, as_of, options, scratch, false);
}

ConversionResult EvaluateGreedy(const CompiledRuleset& ruleset, std::span<const Record> records,
                                Days as_of, const EvalOptions& options, EvalScratch* scratch) {
  return Run(ruleset, records, as_of, options, scratch, true);
}

std::vector<WhatIfEntry> WhatIf(std::span<const std::shared_ptr<const CompiledRuleset>> rulesets,
                                std::span<const Record> records, Days as_of, size_t limit,
                                const EvalOptions& options, EvalScratch* scratch) {
  std::unique_ptr<EvalScratch> local;
  if (scratch == nullptr) {
    local = std::make_unique<EvalScratch>();
    scratch = local.get();
  }
  Impl& m = scratch->impl();
  std::vector<WhatIfEntry> entries;
  entries.reserve(rulesets.size());
  ConversionResult result;
  SortRecords(records, &m.sorted);  // EvaluateSorted only reads m.sorted
  for (const auto& rs : rulesets) {
    if (!rs) continue;
    EvaluateSorted(*rs, as_of, options, false, true, m, &result);
    WhatIfEntry& e = entries.emplace_back();
    e.program = rs->program().id;
    e.ruleset_version = rs->version();
    e.total_credits = result.total_credits;
    e.transfer_cap = result.transfer_cap;
    e.granted = result.granted;
    e.remaining = result.remaining;
    e.optimal = result.optimal;
  }
  std::sort(entries.begin(), entries.end(), [](const WhatIfEntry& a, const WhatIfEntry& b) {
    if (a.granted != b.granted) return a.granted > b.granted;
    return a.program < b.program;
  });
  if (entries.size() > limit) entries.resize(limit);
  return entries;
}

std::string CanonicalString(const ConversionResult& r) {
  std::string s;
  s.reserve(256);
  s += "program=" + r.program + " version=" + std::to_string(r.ruleset_version) +
       " sha=" + r.ruleset_sha256 + " as_of=" + FormatDate(r.as_of) +
       " total=" + CentiToString(r.total_credits) + " cap=" + CentiToString(r.transfer_cap) +
       " granted=" + CentiToString(r.granted) + " remaining=" + CentiToString(r.remaining) +
       " optimal=" + (r.optimal ? "true" : "false") +
       " upper_bound=" + CentiToString(r.upper_bound) + "\n";
  for (const RequirementConversion& q : r.requirements) {
    s += "req " + q.id + " " + CentiToString(q.granted) + "\n";
    for (const ConversionApplication& a : q.applications) {
      s += "  app " + a.rule + " " + CentiToString(a.credits) + " [";
      for (size_t i = 0; i < a.records.size(); ++i) {
        if (i) s += ",";
        s += a.records[i];
      }
      s += "]\n";
    }
  }
  for (const UnusedRecord& u : r.unused) s += "unused " + u.record + " " + u.reason + "\n";
  return s;
}

}  // namespace lcb
