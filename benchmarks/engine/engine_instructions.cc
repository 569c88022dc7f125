// Load-independent engine figures: one pass of an engine_bench workload inside a function
// of its own, so that callgrind can count its instructions alone (timings on the shared
// machine move by 10 % from one minute to the next; instruction counts do not). Uses the
// public engine API only, so the same file builds against older engines for comparisons.
//
//   valgrind --tool=callgrind --callgrind-out-file=cg.out
//            --toggle-collect='lcb::instr::Measure*' engine_instructions typical
//   grep totals cg.out      (instructions of the measured pass)
//
// Workloads (benchmarks/README.md, "Engine (issue 4)"): typical and greedy = the 64
// learners of TypicalSpec(1) evaluated once each (after one warm-up pass, so scratch
// buffers are grown); whatif = one WhatIf over WhatIfSpec(1); adversarial = one Evaluate of
// SynthesizeAdversarial(1); compile = Compile of CompileSpec(1) cut to 200,000 rules.
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "engine/conversion.h"
#include "engine/ruleset_index.h"
#include "engine/synth.h"

namespace lcb::instr {

[[gnu::noinline]] int64_t MeasureEvaluate(const CompiledRuleset& c, const SynthWorld& w,
                                          bool greedy, EvalScratch* scratch) {
  int64_t granted = 0;
  for (const std::vector<Record>& recs : w.learners) {
    granted += greedy ? EvaluateGreedy(c, recs, w.as_of, {}, scratch).granted
                      : Evaluate(c, recs, w.as_of, {}, scratch).granted;
  }
  return granted;
}

[[gnu::noinline]] int64_t MeasureWhatIf(
    const std::vector<std::shared_ptr<const CompiledRuleset>>& rulesets, const SynthWorld& w,
    EvalScratch* scratch) {
  return WhatIf(rulesets, w.learners[0], w.as_of, 10, {}, scratch).front().granted;
}

[[gnu::noinline]] size_t MeasureCompile(Program program, Ruleset ruleset) {
  return CompiledRuleset::Compile(std::move(program), std::move(ruleset))->num_rules();
}

int Run(const char* workload) {
  int64_t result = 0;
  EvalScratch scratch;
  if (!std::strcmp(workload, "typical") || !std::strcmp(workload, "greedy")) {
    SynthSpec spec = TypicalSpec(1);
    spec.learners = 64;
    const SynthWorld w = Synthesize(spec);
    const auto c = CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
    const bool greedy = workload[0] == 'g';
    MeasureEvaluate(*c, w, greedy, &scratch);  // warm-up
    result = MeasureEvaluate(*c, w, greedy, &scratch);
  } else if (!std::strcmp(workload, "adversarial")) {
    const SynthWorld w = SynthesizeAdversarial(1);
    const auto c = CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
    MeasureEvaluate(*c, w, false, &scratch);
    result = MeasureEvaluate(*c, w, false, &scratch);
  } else if (!std::strcmp(workload, "whatif")) {
    const SynthWorld w = Synthesize(WhatIfSpec(1));
    std::vector<std::shared_ptr<const CompiledRuleset>> rulesets;
    for (size_t p = 0; p < w.programs.size(); ++p) {
      rulesets.push_back(CompiledRuleset::Compile(w.programs[p], w.rulesets[p]));
    }
    MeasureWhatIf(rulesets, w, &scratch);
    result = MeasureWhatIf(rulesets, w, &scratch);
  } else if (!std::strcmp(workload, "compile")) {
    SynthSpec spec = CompileSpec(1);
    spec.rules_per_program = 200000;
    SynthWorld w = Synthesize(spec);
    result =
        static_cast<int64_t>(MeasureCompile(std::move(w.programs[0]), std::move(w.rulesets[0])));
  } else {
    std::fprintf(stderr, "usage: engine_instructions typical|greedy|whatif|adversarial|compile\n");
    return 2;
  }
  std::printf("%s %lld\n", workload, static_cast<long long>(result));
  return 0;
}

}  // namespace lcb::instr

int main(int argc, char** argv) { return lcb::instr::Run(argc > 1 ? argv[1] : ""); }
