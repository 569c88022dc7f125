// The packing solver on its own: exhaustive enumeration of count vectors on random small
// problems with interchangeable records (class sizes > 1), multiplicities, pools, cap groups
// and a transfer cap. Checks the optimum and the documented tie order (lexicographically
// greatest optimal count vector), and the budget's bound.
#include "engine/solver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace lcb::solver {
namespace {

Problem RandomProblem(std::mt19937_64& rng, int max_cands) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Problem p;
  int nreq = 1 + pick(4), ncls = 1 + pick(5), ngrp = pick(4);
  for (int q = 0; q < nreq; ++q) {
    p.req_is_course.push_back(pick(2));
    p.req_capacity.push_back(100 * (2 + pick(8)));
  }
  for (int c = 0; c < ncls; ++c) p.class_size.push_back(1 + pick(3));
  for (int g = 0; g < ngrp; ++g) {
    p.group_limit.push_back(pick(3) ? 100 * (1 + pick(8)) : kUnlimited);
    p.group_count.push_back(pick(2) ? 1 + pick(3) : kUnlimitedCount);
    if (p.group_limit.back() == kUnlimited && p.group_count.back() == kUnlimitedCount) {
      p.group_count.back() = 2;
    }
    p.group_family.push_back(static_cast<uint8_t>(pick(3)));
  }
  p.transfer_cap = pick(3) ? 100 * (3 + pick(15)) : kUnlimited;
  int ncand = 1 + pick(max_cands);
  for (int j = 0; j < ncand; ++j) {
    Candidate c;
    c.grant = 50 * (1 + pick(8));
    c.req = static_cast<uint32_t>(pick(nreq));
    c.class_begin = static_cast<uint32_t>(p.cand_class.size());
    int k = 1 + pick(std::min(ncls, 3));
    std::vector<int> cls(ncls);
    for (int i = 0; i < ncls; ++i) cls[i] = i;
    std::shuffle(cls.begin(), cls.end(), rng);
    std::sort(cls.begin(), cls.begin() + k);
    for (int i = 0; i < k; ++i) {
      p.cand_class.push_back(static_cast<uint32_t>(cls[i]));
      p.cand_mult.push_back(pick(4) == 0 ? 2 : 1);
    }
    c.class_end = static_cast<uint32_t>(p.cand_class.size());
    c.group_begin = static_cast<uint32_t>(p.cand_group.size());
    for (int g = 0; g < ngrp; ++g) {
      if (pick(2)) p.cand_group.push_back(static_cast<uint32_t>(g));
    }
    c.group_end = static_cast<uint32_t>(p.cand_group.size());
    p.cands.push_back(c);
  }
  // Tie order: grant descending (the solver's contract assumes candidates arrive sorted).
  std::vector<size_t> idx(p.cands.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return p.cands[a].grant > p.cands[b].grant; });
  std::vector<Candidate> sorted;
  for (size_t i : idx) sorted.push_back(p.cands[i]);
  p.cands = sorted;
  p.Finish();
  return p;
}

bool Feasible(const Problem& p, const std::vector<int32_t>& x) {
  std::vector<int64_t> cls(p.class_size.size()), req(p.req_is_course.size()),
      gsum(p.group_limit.size()), gcnt(p.group_limit.size());
  int64_t total = 0;
  for (size_t j = 0; j < x.size(); ++j) {
    if (x[j] < 0) return false;
    const Candidate& c = p.cands[j];
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      cls[p.cand_class[i]] += static_cast<int64_t>(p.cand_mult[i]) * x[j];
    }
    req[c.req] += p.req_is_course[c.req] ? x[j] : c.grant * x[j];
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      gsum[p.cand_group[i]] += c.grant * x[j];
      gcnt[p.cand_group[i]] += x[j];
    }
    total += c.grant * x[j];
  }
  for (size_t c = 0; c < cls.size(); ++c) {
    if (cls[c] > p.class_size[c]) return false;
  }
  for (size_t q = 0; q < req.size(); ++q) {
    if (req[q] > (p.req_is_course[q] ? 1 : p.req_capacity[q])) return false;
  }
  for (size_t g = 0; g < gsum.size(); ++g) {
    if (gsum[g] > p.group_limit[g] || gcnt[g] > p.group_count[g]) return false;
  }
  return total <= p.transfer_cap;
}

struct Brute {
  const Problem& p;
  std::vector<int32_t> x, best_x;
  int64_t best = -1;
  void Run(size_t j) {
    if (j == p.cands.size()) {
      if (!Feasible(p, x)) return;
      int64_t v = 0;
      for (size_t i = 0; i < x.size(); ++i) v += p.cands[i].grant * x[i];
      if (v > best) {  // first found at a value = lexicographically greatest (high counts first)
        best = v;
        best_x = x;
      }
      return;
    }
    const int32_t hi = std::min<int32_t>(p.cands[j].static_max, 4);
    for (int32_t k = hi; k >= 0; --k) {
      x[j] = k;
      Run(j + 1);
    }
    x[j] = 0;
  }
};

TEST(SolverTest, MatchesExhaustiveEnumeration) {
  std::mt19937_64 rng(42);
  Solver solver;
  int nontrivial = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    Problem p = RandomProblem(rng, 9);
    Brute brute{p, std::vector<int32_t>(p.cands.size(), 0), {}, -1};
    brute.Run(0);
    solver.Solve(p, Options{1000000, false});
    SCOPED_TRACE(iter);
    ASSERT_EQ(solver.value(), brute.best);
    EXPECT_TRUE(solver.optimal());
    EXPECT_EQ(solver.upper_bound(), solver.value());
    EXPECT_TRUE(Feasible(p, solver.count()));
    EXPECT_EQ(solver.count(), brute.best_x) << "tie order";
    if (brute.best > 0) ++nontrivial;
    Solver greedy;
    greedy.Solve(p, Options{0, true});
    EXPECT_LE(greedy.value(), solver.value());
    EXPECT_TRUE(Feasible(p, greedy.count()));
  }
  EXPECT_GT(nontrivial, 2000);
}

TEST(SolverTest, BudgetGivesFeasibleSelectionAndValidBound) {
  std::mt19937_64 rng(7);
  Solver solver, exact;
  int stopped = 0;
  for (int iter = 0; iter < 400; ++iter) {
    Problem p = RandomProblem(rng, 9);
    exact.Solve(p, Options{1000000, false});
    solver.Solve(p, Options{static_cast<uint64_t>(iter % 4), false});
    EXPECT_TRUE(Feasible(p, solver.count()));
    EXPECT_LE(solver.value(), exact.value());
    EXPECT_GE(solver.upper_bound(), exact.value());
    if (!solver.optimal()) ++stopped;
    if (solver.optimal()) {
      EXPECT_EQ(solver.value(), exact.value());
    }
  }
  EXPECT_GT(stopped, 0);
}

TEST(SolverTest, IndependentComponents) {
  // Ten disjoint conflicts (two candidates sharing a record, different requirements): the
  // search splits them and finds each best pair.
  Problem p;
  p.transfer_cap = kUnlimited;
  for (int i = 0; i < 10; ++i) {
    for (int k = 0; k < 3; ++k) {
      p.req_is_course.push_back(1);
      p.req_capacity.push_back(500);
    }
    p.class_size.push_back(1);
    p.class_size.push_back(1);
  }
  // For block i: A (grant 500) uses c0 -> r0; B (400) uses c0 -> r1; C (300) uses c1 -> r0.
  // Greedy takes A (500); optimum is B + C (700).
  auto add = [&](Centi grant, uint32_t req, uint32_t cls) {
    Candidate c;
    c.grant = grant;
    c.req = req;
    c.class_begin = static_cast<uint32_t>(p.cand_class.size());
    p.cand_class.push_back(cls);
    p.cand_mult.push_back(1);
    c.class_end = c.class_begin + 1;
    c.group_begin = c.group_end = 0;
    p.cands.push_back(c);
  };
  for (uint32_t i = 0; i < 10; ++i) add(500, 3 * i, 2 * i);
  for (uint32_t i = 0; i < 10; ++i) add(400, 3 * i + 1, 2 * i);
  for (uint32_t i = 0; i < 10; ++i) add(300, 3 * i, 2 * i + 1);
  p.Finish();
  Solver s;
  s.Solve(p, Options{100000, false});
  EXPECT_EQ(s.value(), 7000);
  EXPECT_TRUE(s.optimal());
  Solver g;
  g.Solve(p, Options{0, true});
  EXPECT_EQ(g.value(), 5000);
}

}  // namespace
}  // namespace lcb::solver
