// GET /v1/stats on a real server against a brute-force oracle: random learners (with and
// without regions), records (some revoked) and applied conversions are posted over HTTP; the
// oracle recomputes every cell from what the test posted, by the definitions of
// service/stats.h, for many group_by / region / region_level combinations, as admin and as a
// regulator. Also: k-suppression, the regulator's boundary, CSV, and bad inputs named.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "common/encoding.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

constexpr int kK = 3;

struct PostedRecord {
  std::string kind, issuer;
  int level = 0, year = 0;
  int credits_centi = 0;
  bool revoked = false;
};
struct PostedLearner {
  std::string id, region;  // region may be empty
  std::vector<PostedRecord> records;
  int conversions = 0;
};

struct UnitSpec {
  std::string id, kind;
  int level;
  int credits_centi;
};

// Whether a question groups by region at a level coarser than its region prefix (refused).
bool FinerThanLevel(const std::vector<std::string>& group_by, const std::string& prefix,
                    const std::string& level) {
  const size_t digits = level == "province" ? 2 : level == "city" ? 4 : 6;
  return std::find(group_by.begin(), group_by.end(), "region") != group_by.end() &&
         prefix.size() > digits;
}

class StatsTest : public ::testing::Test {
 protected:
  // The pointer of the 400 an admin's GET of `target` answers.
  std::string ProblemPointer(const std::string& target) {
    return server_.CallJson("GET", target, server_.admin_token(), nullptr, 400)
        .value("pointer", "");
  }
  void SetUp() override { Build(); }
  void Build();
  // `coarser`: the answers already computed for one question, by their group_by, prefix and
  // level (a question's coarser answers share theirs).
  json Oracle(const std::vector<std::string>& group_by, const std::string& prefix,
              const std::string& level_name, std::map<std::string, json>* coarser = nullptr) const;

  TempDir dir_;
  TestServer server_{dir_.sub("data"), {{"stats_k", std::to_string(kK)}}};
  std::vector<PostedLearner> learners_;
};

const std::vector<UnitSpec>& Units() {
  static const std::vector<UnitSpec> units = {
      {"fudan:C1", "degree_course", 6, 400}, {"fudan:C2", "degree_course", 7, 250},
      {"fudan:M1", "mooc", 5, 100},          {"sjtu:V1", "vocational_certificate", 4, 300},
      {"sjtu:T1", "training", 4, 150},       {"sjtu:C3", "degree_course", 6, 350}};
  return units;
}

void StatsTest::Build() {
  const std::string& admin = server_.admin_token();
  server_.CallJson("PUT", "/v1/institutions/fudan", admin,
                   {{"name", "复旦大学"}, {"kind", "university"}, {"region", "310110"}}, 200);
  server_.CallJson("PUT", "/v1/institutions/sjtu", admin,
                   {{"name", "上海交通大学"}, {"kind", "university"}}, 200);
  for (const UnitSpec& u : Units()) {
    server_.CallJson("PUT", "/v1/units/" + u.id, admin,
                     {{"title", u.id},
                      {"kind", u.kind},
                      {"credits", u.credits_centi / 100.0},
                      {"level", u.level},
                      {"field", "0613"}},
                     200);
  }
  std::map<std::string, std::string> tokens = {{"fudan", server_.NewToken("institution:fudan")},
                                               {"sjtu", server_.NewToken("institution:sjtu")}};
  server_.CallJson("PUT", "/v1/programs/fudan:BSC", tokens["fudan"],
                   {{"title", "BSC"},
                    {"kind", "bachelor"},
                    {"total_credits", 120},
                    {"requirements", {{{"id", "pool"}, {"kind", "pool"}, {"credits", 30}}}}},
                   200);
  server_.CallJson("PUT", "/v1/programs/fudan:BSC/ruleset", tokens["fudan"],
                   {{"rules",
                     {{{"id", "any"},
                       {"target", "pool"},
                       {"grant", 1},
                       {"sources", {{{"kind", "degree_course"}}}}}}}},
                   201);
  const std::vector<std::string> regions = {"310101", "310101", "310104", "310115",
                                            "320102", "110101", ""};
  std::mt19937 rng(20261202);
  for (int i = 0; i < 48; ++i) {
    PostedLearner l;
    l.region = regions[rng() % regions.size()];
    json body = {{"display_name", "L" + std::to_string(i)}};
    if (!l.region.empty()) body["region"] = l.region;
    l.id = server_.CallJson("POST", "/v1/learners", admin, body, 201).value("id", "");
    const int n = static_cast<int>(rng() % 6);
    for (int j = 0; j < n; ++j) {
      const UnitSpec& u = Units()[rng() % Units().size()];
      const std::string issuer = u.id.substr(0, u.id.find(':'));
      PostedRecord r{u.kind, issuer, u.level, 2019 + static_cast<int>(rng() % 6), u.credits_centi};
      json posted = server_.CallJson("POST", "/v1/records", tokens[issuer],
                                     {{"learner", l.id},
                                      {"unit", u.id},
                                      {"external_ref", l.id + "-" + std::to_string(j)},
                                      {"grade", {{"scale", "percent"}, {"value", "80"}}},
                                      {"completed_on", std::to_string(r.year) + "-06-30"}},
                                     201);
      if (rng() % 8 == 0) {
        server_.CallJson("POST", "/v1/records/" + posted["records"][0].value("id", "") + "/revoke",
                         tokens[issuer], {{"reason", "test"}}, 200);
        r.revoked = true;
      }
      l.records.push_back(r);
    }
    if (i % 5 == 0) {  // some learners have a conversion applied by fudan
      std::string lt = server_.NewToken("learner:" + l.id);
      server_.CallJson("POST", "/v1/learners/" + l.id + "/grants", lt, {{"institution", "fudan"}},
                       201);
      server_.CallJson("POST", "/v1/conversions", tokens["fudan"],
                       {{"learner", l.id}, {"program", "fudan:BSC"}}, 201);
      l.conversions = 1;
    }
    learners_.push_back(std::move(l));
  }
}

// The definitions of service/stats.h, computed the slow and obvious way.
json StatsTest::Oracle(const std::vector<std::string>& asked_group_by, const std::string& asked,
                       const std::string& level_name, std::map<std::string, json>* coarser) const {
  std::map<std::string, json> own;
  if (coarser == nullptr) coarser = &own;
  const int asked_digits = level_name == "province" ? 2 : level_name == "city" ? 4 : 6;
  const bool region_asked = std::count(asked_group_by.begin(), asked_group_by.end(), "region");
  // The answer the cells are left out within (service/stats_suppress.h, ScopeOf): for a prefix
  // finer than a province, the answer of its siblings: region at the finer of the prefix and
  // the asked level (added when not asked), the prefix cut by two digits (by more when the
  // level is finer), never above a province; then the cells under the asked prefix.
  std::vector<std::string> group_by = asked_group_by;
  std::string prefix = asked;
  int digits = asked_digits;
  const int fine = std::max<int>(asked.size(), region_asked ? asked_digits : 0);
  const size_t cut = std::max(2, std::min<int>(asked.size(), fine - 2));
  const bool scoped = asked.size() > 2 && cut < asked.size();
  if (scoped) {
    prefix = asked.substr(0, cut);
    digits = fine;
    if (!region_asked) group_by.insert(group_by.begin(), "region");
  }
  // The answers one step coarser over each key (ParentQueries): over region, a level up (at
  // province level, without region); over any other key, without it. Their shown cells' keys,
  // per key: a cell whose parent over a key is not among them has that parent left out.
  const int up = digits == 6 ? 4 : 2;
  std::map<std::string, std::set<json>> parents_shown;  // by the key the parent is coarser in
  for (const std::string& g : group_by) {
    std::vector<std::string> parent_by = group_by;
    std::string parent_level = digits == 6 ? "county" : digits == 4 ? "city" : "province";
    if (g == "region" && digits > 2) {
      parent_level = digits == 6 ? "city" : "province";
    } else {
      if (group_by.size() == 1) continue;                 // no key left
      if (g == "region" && prefix.size() == 2) continue;  // one province: the same cells
      parent_by.erase(std::find(parent_by.begin(), parent_by.end(), g));
      if (g == "region") parent_level = "county";  // (unused without region)
    }
    std::string id;
    for (const std::string& p : parent_by) id += p + ",";
    id += "|" + prefix + "|" + parent_level;
    if (!coarser->count(id)) (*coarser)[id] = Oracle(parent_by, prefix, parent_level, coarser);
    std::set<json>& shown = parents_shown[g];
    for (const json& c : (*coarser)[id]["cells"]) {
      json k = json::object();
      for (const std::string& p : parent_by) k[p] = c[p];
      shown.insert(k);
    }
  }
  // A cell's parent over key g, keyed as the parent's cells are.
  auto parent_of = [&](const json& k, const std::string& g) {
    json parent = k;
    if (g == "region" && digits > 2) {
      parent["region"] = k["region"].get<std::string>().substr(0, up) + std::string(6 - up, '0');
    } else {
      parent.erase(g);
    }
    return parent;
  };
  bool uses_region = !prefix.empty(), by_record = false;
  for (const std::string& g : group_by) {
    uses_region = uses_region || g == "region";
    by_record = by_record || g != "region";
  }
  struct Tally {
    std::set<std::string> learners;
    int with_records = 0;  // of the learners, those with an active record in the cell
    int records = 0, credits = 0, conversions = 0;
  };
  std::map<json, Tally> cells;
  for (const PostedLearner& l : learners_) {
    if (uses_region && (l.region.empty() || l.region.rfind(prefix, 0) != 0)) continue;
    auto key_of = [&](const PostedRecord* r) {
      json k = json::object();
      for (const std::string& g : group_by) {
        if (g == "region") k[g] = l.region.substr(0, digits) + std::string(6 - digits, '0');
        if (g == "kind") k[g] = r->kind;
        if (g == "level") k[g] = r->level;
        if (g == "year") k[g] = r->year;
        if (g == "issuer") k[g] = r->issuer;
      }
      return k;
    };
    std::set<json> touched, with_records;
    if (!by_record) touched.insert(key_of(nullptr));
    for (const PostedRecord& r : l.records) {
      if (r.revoked) continue;
      json k = by_record ? key_of(&r) : key_of(nullptr);
      cells[k].records++;
      cells[k].credits += r.credits_centi;
      touched.insert(k);
      with_records.insert(k);
    }
    for (const json& k : touched) {
      cells[k].learners.insert(l.id);
      cells[k].with_records += static_cast<int>(with_records.count(k));
      cells[k].conversions += l.conversions;
    }
  }
  // Complementary suppression (service/stats_suppress.h), the slow way: the keys read in one
  // order (region, kind, level, year, issuer) whatever group_by's, cells in the order of their
  // key texts read so; pass after pass, for each key in turn, each group of cells differing
  // only in that key (a region only within its parent) that hides fewer than k learners (but
  // some) hides its smallest shown cells until it hides k: for region the sum of the hidden
  // cells' learners, for any other key (a learner may sit in several of its cells) the largest
  // hidden cell's. A cell is left out for itself with fewer than k learners, or with 1 to k-1
  // learners with records (a region counts its learners without records too); and a group's
  // hidden learners with records must be 0 or k as well (only cells with records help then),
  // and a group never leaves out exactly one cell, nor exactly one cell with records.
  const std::vector<std::string> order = {"region", "kind", "level", "year", "issuer"};
  std::vector<std::string> read;  // group_by in that order
  for (const std::string& g : order) {
    if (std::count(group_by.begin(), group_by.end(), g)) read.push_back(g);
  }
  struct Entry {
    std::vector<std::string> text;
    const json* key;
    int learners, with_records;
    bool hidden;
    const std::set<std::string>* ids;
    std::set<std::string> parent_hidden;  // the keys over which its parent is left out
  };
  std::vector<Entry> entries;
  for (auto& [k, t] : cells) {
    const int n = static_cast<int>(t.learners.size());
    Entry e{
        {},         &k, n, t.with_records, n < kK || (t.with_records > 0 && t.with_records < kK),
        &t.learners};
    for (const auto& [g, shown] : parents_shown) {
      if (!shown.count(parent_of(k, g))) e.parent_hidden.insert(g);
    }
    for (const std::string& g : read) {
      e.text.push_back(k[g].is_string() ? k[g].get<std::string>() : k[g].dump());
    }
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& x, const Entry& y) { return x.text < y.text; });
  const size_t parent_digits = digits == 6 ? 4 : digits == 4 ? 2 : 0;
  auto group_of = [&](const Entry& e, size_t d) {
    std::vector<std::string> g = e.text;
    g[d] = read[d] == "region" ? g[d].substr(0, parent_digits) : "";
    return g;
  };
  // A cell alone in its group over a key whose parent answer was read and shows its parent is
  // known (it is that parent): it counts as shown while another cell can be left out instead.
  std::vector<bool> known(entries.size());
  for (size_t d = 0; d < read.size(); ++d) {
    if (!parents_shown.count(read[d])) continue;
    std::map<std::vector<std::string>, std::vector<size_t>> groups;
    for (size_t i = 0; i < entries.size(); ++i) groups[group_of(entries[i], d)].push_back(i);
    for (const auto& [g, members] : groups) {
      if (members.size() == 1 && !entries[members[0]].parent_hidden.count(read[d])) {
        known[members[0]] = true;
      }
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t d = 0; d < read.size(); ++d) {
      std::map<std::vector<std::string>, std::vector<size_t>> groups;
      for (size_t i = 0; i < entries.size(); ++i) groups[group_of(entries[i], d)].push_back(i);
      for (auto& [g, members] : groups) {
        std::stable_sort(members.begin(), members.end(), [&](size_t x, size_t y) {
          return entries[x].learners < entries[y].learners;
        });
        const bool sum = read[d] == "region";
        auto add = [&](int hidden, int n) { return sum ? hidden + n : std::max(hidden, n); };
        auto safe = [](int hidden) { return hidden == 0 || hidden >= kK; };
        // What the group leaves out: every cell (all) or those not known (unknown).
        struct Left {
          int hidden = 0, hidden_with = 0, cells_hidden = 0, cells_with = 0;
        } all, unknown;
        auto leave_out = [&](Left& l, const Entry& e) {
          l.hidden = add(l.hidden, e.learners);
          l.hidden_with = add(l.hidden_with, e.with_records);
          ++l.cells_hidden;
          l.cells_with += e.with_records > 0;
        };
        bool must = false;  // their parent left out one step coarser, so one of these is too
        for (size_t i : members) {
          must = must || entries[i].parent_hidden.count(read[d]);
          if (!entries[i].hidden) continue;
          leave_out(all, entries[i]);
          if (!known[i]) leave_out(unknown, entries[i]);
        }
        // ... and never one cell left out alone (of all, or of those with records).
        auto learners_ok = [&](const Left& l) {
          return safe(l.hidden) && l.cells_hidden != 1 && !(must && l.cells_hidden == 0);
        };
        auto ok = [&](const Left& l) {
          return learners_ok(l) && safe(l.hidden_with) && l.cells_with != 1;
        };
        // First the cells not known elsewhere; the known ones only when that is not enough.
        for (const bool of_known : {false, true}) {
          Left& counted = of_known ? all : unknown;
          if (ok(unknown) || (of_known && ok(all))) break;
          for (size_t i : members) {
            if (ok(counted)) break;
            if (entries[i].hidden || known[i] != of_known) continue;
            if (learners_ok(counted) && entries[i].with_records == 0) continue;
            entries[i].hidden = true;
            leave_out(all, entries[i]);
            if (!known[i]) leave_out(unknown, entries[i]);
            changed = true;
          }
        }
      }
    }
  }
  // What the rule is for, with the learners themselves: in every group that shows a cell, the
  // cells left out hold no learner or at least k distinct ones.
  for (size_t d = 0; d < read.size(); ++d) {
    std::map<std::vector<std::string>, std::pair<std::set<std::string>, bool>> groups;
    for (const Entry& e : entries) {
      auto& [ids, any_shown] = groups[group_of(e, d)];
      if (e.hidden) {
        ids.insert(e.ids->begin(), e.ids->end());
      } else {
        any_shown = true;
      }
    }
    for (const auto& [g, h] : groups) {
      EXPECT_TRUE(h.first.empty() || h.first.size() >= static_cast<size_t>(kK) || !h.second)
          << "key " << read[d] << ": " << h.first.size() << " distinct learners left out";
    }
  }
  std::set<json> hidden_keys;
  for (const Entry& e : entries) {
    if (e.hidden) hidden_keys.insert(*e.key);
  }
  json out = json::array();
  int suppressed = 0;
  for (auto& [k, t] : cells) {
    // The asked answer: the cells under the asked prefix, keyed as asked.
    if (scoped && !k["region"].get<std::string>().starts_with(asked)) continue;
    if (hidden_keys.count(k)) {
      ++suppressed;
      continue;
    }
    json cell = k;
    if (scoped && !region_asked) cell.erase("region");
    if (scoped && region_asked && asked_digits < static_cast<int>(asked.size())) {
      cell["region"] = asked.substr(0, asked_digits) + std::string(6 - asked_digits, '0');
    }
    cell["learners"] = t.learners.size();
    cell["records"] = t.records;
    cell["credits"] = json::parse(json(t.credits / 100.0).dump());
    cell["conversions"] = t.conversions;
    out.push_back(cell);
  }
  std::sort(out.begin(), out.end());
  return {{"cells", out}, {"k", kK}, {"suppressed", suppressed}};
}

// The cells in order, without the log size the answer counts (the oracle has none).
json Sorted(json stats) {
  EXPECT_TRUE(stats["tree_size"].is_number_unsigned()) << stats.dump();
  stats.erase("tree_size");
  std::sort(stats["cells"].begin(), stats["cells"].end());
  for (json& c : stats["cells"])
    c["credits"] = json::parse(json(c["credits"].get<double>()).dump());
  return stats;
}

TEST_F(StatsTest, EveryCellMatchesABruteForceOracle) {
  const std::vector<std::vector<std::string>> groupings = {
      {"region"},
      {"kind"},
      {"level"},
      {"year"},
      {"issuer"},
      {"region", "kind"},
      {"kind", "year"},
      {"issuer", "level", "region"},
      {"year", "region", "kind", "level", "issuer"}};
  int compared = 0;
  for (const auto& group_by : groupings) {
    std::string g;
    for (const std::string& k : group_by) g += (g.empty() ? "" : ",") + k;
    for (const std::string level : {"county", "city", "province"}) {
      for (const std::string prefix : {"", "31", "3101", "310101"}) {
        std::string target = "/v1/stats?group_by=" + g + "&region_level=" + level;
        if (!prefix.empty()) target += "&region=" + prefix;
        if (FinerThanLevel(group_by, prefix, level)) {
          EXPECT_EQ(ProblemPointer(target), "/region_level") << target;
          continue;
        }
        json got = server_.CallJson("GET", target, server_.admin_token(), nullptr, 200);
        EXPECT_EQ(got["tree_size"], server_.ledger().Size());  // every record counted
        json want = Oracle(group_by, prefix, level);
        ASSERT_EQ(Sorted(got), want) << target;
        compared += static_cast<int>(want["cells"].size());
      }
    }
  }
  EXPECT_GT(compared, 100);  // the data is rich enough that cells are shown, not all suppressed
}

// A left-out cell that another answer shows under another name protects nothing: county 310202's
// learners all hold moocs, so its mooc cell is its total, shown among the counties. In the mooc
// column of 3102's counties by kind, 310201's one mooc learner is then left out beside 310203's
// moocs, not beside 310202's (which would leave 3102's moocs less 310202's total = 310201's plus
// nothing unknown). The server and the oracle leave out the same cells.
TEST_F(StatsTest, AComplementKnownElsewhereIsNotTheOneLeftOut) {
  const std::string& admin = server_.admin_token();
  std::map<std::string, std::string> tokens = {{"fudan", server_.NewToken("institution:fudan")},
                                               {"sjtu", server_.NewToken("institution:sjtu")}};
  int posted = 0;
  auto learners = [&](const std::string& region, int n, const UnitSpec& u) {
    for (int i = 0; i < n; ++i) {
      PostedLearner l;
      l.region = region;
      l.id =
          server_
              .CallJson("POST", "/v1/learners", admin,
                        {{"display_name", "K" + std::to_string(posted)}, {"region", region}}, 201)
              .value("id", "");
      const std::string issuer = u.id.substr(0, u.id.find(':'));
      server_.CallJson("POST", "/v1/records", tokens[issuer],
                       {{"learner", l.id},
                        {"unit", u.id},
                        {"external_ref", "known-" + std::to_string(posted++)},
                        {"grade", {{"scale", "percent"}, {"value", "80"}}},
                        {"completed_on", "2024-06-30"}},
                       201);
      l.records.push_back({u.kind, issuer, u.level, 2024, u.credits_centi});
      learners_.push_back(std::move(l));
    }
  };
  const UnitSpec& degree = Units()[0];
  const UnitSpec& mooc = Units()[2];
  const UnitSpec& training = Units()[4];
  learners("310201", 1, mooc);
  learners("310201", 4, degree);
  learners("310202", 4, mooc);
  learners("310203", 6, mooc);
  learners("310203", 5, degree);
  learners("310203", 4, training);
  learners("310204", 5, degree);
  learners("310204", 4, training);
  json got =
      server_.CallJson("GET", "/v1/stats?group_by=region,kind&region=3102", admin, nullptr, 200);
  EXPECT_EQ(Sorted(got), Oracle({"region", "kind"}, "3102", "county"));
  std::set<std::pair<std::string, std::string>> shown;
  for (const json& c : got["cells"]) shown.emplace(c["region"], c["kind"]);
  EXPECT_TRUE(shown.count({"310202", "mooc"})) << got.dump();
  EXPECT_FALSE(shown.count({"310201", "mooc"}));
  EXPECT_FALSE(shown.count({"310203", "mooc"})) << got.dump();
  // And every question over those counties as the oracle has it.
  for (const std::vector<std::string>& group_by : std::vector<std::vector<std::string>>{
           {"region"}, {"kind"}, {"region", "kind"}, {"kind", "issuer"}, {"region", "issuer"}}) {
    std::string g;
    for (const std::string& k : group_by) g += (g.empty() ? "" : ",") + k;
    for (const std::string prefix : {"31", "3102", "310202"}) {
      for (const std::string level : {"county", "city"}) {
        const std::string target =
            "/v1/stats?group_by=" + g + "&region_level=" + level + "&region=" + prefix;
        if (FinerThanLevel(group_by, prefix, level)) continue;
        EXPECT_EQ(Sorted(server_.CallJson("GET", target, admin, nullptr, 200)),
                  Oracle(group_by, prefix, level))
            << target;
      }
    }
  }
}

TEST_F(StatsTest, ARegulatorSeesOnlyItsRegion) {
  const std::string sh = server_.NewToken("regulator:31");
  json own = server_.CallJson("GET", "/v1/stats?group_by=region,kind", sh, nullptr, 200);
  EXPECT_EQ(Sorted(own), Oracle({"region", "kind"}, "31", "county"));
  for (const json& c : own["cells"]) EXPECT_TRUE(c["region"].get<std::string>().starts_with("31"));
  // A finer region inside its own is fine; a coarser one is its own; another is refused.
  json finer = server_.CallJson("GET", "/v1/stats?group_by=year&region=3101", sh, nullptr, 200);
  EXPECT_EQ(Sorted(finer), Oracle({"year"}, "3101", "county"));
  EXPECT_EQ(server_.CallJson("GET", "/v1/stats?group_by=year&region=32", sh, nullptr, 403)
                .value("pointer", ""),
            "/region");
  // Regulators read statistics, never a learner's data.
  server_.CallJson("GET", "/v1/learners/" + learners_[0].id + "/passbook", sh, nullptr, 403);
  server_.CallJson("GET", "/v1/learners/" + learners_[0].id + "/records", sh, nullptr, 403);
  // Other roles may not read statistics.
  server_.CallJson("GET", "/v1/stats", server_.NewToken("auditor"), nullptr, 403);
  server_.CallJson("GET", "/v1/stats", "", nullptr, 401);
}

TEST_F(StatsTest, CsvOnRequest) {
  ClientResponse r = server_.Call("GET", "/v1/stats?group_by=region&region_level=city",
                                  server_.admin_token(), "", {{"Accept", "text/csv"}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.headers.count("x-stats-tree-size"), 1u);
  EXPECT_EQ(r.headers.find("x-stats-tree-size")->second, std::to_string(server_.ledger().Size()));
  json want = Oracle({"region"}, "", "city");
  std::map<std::string, std::string> rows;  // the server sorts cells by their keys
  for (const json& c : want["cells"]) {
    const double credits = c["credits"].get<double>();
    const std::string credits_text = credits == static_cast<double>(static_cast<int64_t>(credits))
                                         ? std::to_string(static_cast<int64_t>(credits))
                                         : json(credits).dump();
    rows[c["region"].get<std::string>()] = c["learners"].dump() + "," + c["records"].dump() + "," +
                                           credits_text + "," + c["conversions"].dump();
  }
  std::string expected = "region,learners,records,credits,conversions\r\n";
  for (const auto& [region, rest] : rows) expected += region + "," + rest + "\r\n";
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(r.body, expected);
  // By the Accept header's q-values: CSV only where it is preferred.
  for (const auto& [accept, csv] :
       std::vector<std::pair<std::string, bool>>{{"text/csv;q=0.1, application/json", false},
                                                 {"application/json;q=0.5, text/csv", true},
                                                 {"application/json;q=0, */*", true},
                                                 {"*/*", false}}) {
    ClientResponse a = server_.Call("GET", "/v1/stats?group_by=region&region_level=city",
                                    server_.admin_token(), "", {{"Accept", accept}});
    ASSERT_EQ(a.status, 200) << accept << a.body;
    EXPECT_EQ(a.body == expected, csv) << accept << a.body;
    EXPECT_EQ(a.headers["content-type"].starts_with("text/csv"), csv) << accept;
  }
}

// A long answer read in pages: `next` leads from each page to the following one, the pages
// together are the whole answer, the last has no `next`; CSV pages carry it in a header.
TEST_F(StatsTest, PagesWithLimitAndCursor) {
  const std::string& admin = server_.admin_token();
  const std::string base = "/v1/stats?group_by=kind,issuer";
  const json whole = server_.CallJson("GET", base, admin, nullptr, 200);
  ASSERT_GE(whole["cells"].size(), 3u);
  json cells = json::array();
  std::string target = base + "&limit=2";
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 100);
    const json page = server_.CallJson("GET", target, admin, nullptr, 200);
    EXPECT_EQ(page["suppressed"], whole["suppressed"]);
    for (const json& c : page["cells"]) cells.push_back(c);
    if (!page.contains("next")) break;
    EXPECT_EQ(page["cells"].size(), 2u);
    target = base + "&limit=2&cursor=" + page["next"].get<std::string>();
  }
  EXPECT_EQ(cells, whole["cells"]);

  ClientResponse csv = server_.Call("GET", base + "&limit=2", admin, "", {{"Accept", "text/csv"}});
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 3);  // header and 2 cells
  EXPECT_EQ(csv.headers.count("x-stats-next"), 1u);

  auto pointer = [&](const std::string& query) {
    return server_.CallJson("GET", base + query, admin, nullptr, 400).value("pointer", "");
  };
  EXPECT_EQ(pointer("&limit=0"), "/limit");
  EXPECT_EQ(pointer("&limit=100001"), "/limit");
  EXPECT_EQ(pointer("&limit=ten"), "/limit");
  EXPECT_EQ(pointer("&cursor=not*base64"), "/cursor");
  EXPECT_EQ(pointer("&cursor=WyJhIl0"), "/cursor");  // ["a"]: one key, the query has two
  auto cursor = [](const json& j) { return "&cursor=" + Base64UrlEncode(j.dump()); };
  EXPECT_EQ(pointer(cursor({{"after", {"a", "b"}}, {"as_of", "x"}})), "/cursor");
  EXPECT_EQ(pointer(cursor({{"after", {"a", "b"}}, {"as_of", -1}})), "/cursor");
  EXPECT_EQ(pointer(cursor({{"after", {"a", "b"}}})), "/cursor");
  // A cursor belongs to its question: read with another one's keys it would skip cells (a
  // cursor of the counties after 310101, read for cities, would leave out 310100) or show none.
  const json first = server_.CallJson("GET", base + "&limit=1", admin, nullptr, 200);
  const std::string next = "&cursor=" + first["next"].get<std::string>();
  EXPECT_EQ(server_.CallJson("GET", base + next, admin, nullptr, 200)["cells"][0],
            whole["cells"][1]);
  EXPECT_EQ(server_.CallJson("GET", "/v1/stats?group_by=issuer,kind" + next, admin, nullptr, 400)
                .value("pointer", ""),
            "/cursor");
  EXPECT_EQ(pointer("&region=31" + next), "/cursor");
  const json by_county =
      server_.CallJson("GET", "/v1/stats?group_by=region&limit=1", admin, nullptr, 200);
  ASSERT_TRUE(by_county.contains("next"));
  const std::string county_next = "&cursor=" + by_county["next"].get<std::string>();
  EXPECT_EQ(server_
                .CallJson("GET", "/v1/stats?group_by=region&region_level=city" + county_next, admin,
                          nullptr, 400)
                .value("pointer", ""),
            "/cursor");
  // Cursors without their question (before it was in them) are refused the same way.
  const json& c0 = whole["cells"][0];
  EXPECT_EQ(pointer(cursor({c0["kind"].get<std::string>(), c0["issuer"].get<std::string>()})),
            "/cursor");
  EXPECT_EQ(pointer(cursor({{"after", {c0["kind"], c0["issuer"]}}, {"as_of", 1}})), "/cursor");
}

// A province's or a city's own code (as answers at those levels name them) asks for every
// county under it; a region finer than the level it is grouped at is refused, as its cells
// would carry the code of the city or province around it with only its part of the figures.
TEST_F(StatsTest, RegionCodesOfCitiesAndProvinces) {
  const std::string& admin = server_.admin_token();
  for (const auto& [code, prefix] :
       std::vector<std::pair<std::string, std::string>>{{"310000", "31"}, {"310100", "3101"}}) {
    for (const std::string g : {"region", "kind", "region,year"}) {
      EXPECT_EQ(server_.CallJson("GET", "/v1/stats?group_by=" + g + "&region=" + code, admin,
                                 nullptr, 200),
                server_.CallJson("GET", "/v1/stats?group_by=" + g + "&region=" + prefix, admin,
                                 nullptr, 200))
          << code << " " << g;
    }
  }
  json cities = server_.CallJson("GET", "/v1/stats?group_by=region&region_level=city&region=310100",
                                 admin, nullptr, 200);
  ASSERT_FALSE(cities["cells"].empty());
  EXPECT_EQ(cities["cells"][0]["region"], "310100");
  for (const std::string target :
       {"/v1/stats?group_by=region&region_level=city&region=310101",
        "/v1/stats?group_by=region,kind&region_level=province&region=3101",
        "/v1/stats?group_by=region&region_level=province&region=310101"}) {
    const json problem = server_.CallJson("GET", target, admin, nullptr, 400);
    EXPECT_EQ(problem.value("pointer", ""), "/region_level") << target;
    EXPECT_NE(problem.value("detail", "").find("finer than a"), std::string::npos) << problem;
  }
  // A regulator made with its province's or city's own code is that province's or city's
  // (its role says the prefix), not a county of that number with nobody in it.
  for (const auto& [code, prefix] :
       std::vector<std::pair<std::string, std::string>>{{"310000", "31"}, {"310100", "3101"}}) {
    const json made =
        server_.CallJson("POST", "/v1/tokens", admin, {{"role", "regulator:" + code}}, 201);
    EXPECT_EQ(made.value("role", ""), "regulator:" + prefix) << made;
    const std::string by_code = made.value("token", "");
    const std::string by_prefix = server_.NewToken("regulator:" + prefix);
    const json answer =
        server_.CallJson("GET", "/v1/stats?group_by=region,kind", by_code, nullptr, 200);
    EXPECT_FALSE(answer["cells"].empty()) << code;
    EXPECT_EQ(answer,
              server_.CallJson("GET", "/v1/stats?group_by=region,kind", by_prefix, nullptr, 200))
        << code;
  }
  // A regulator of one county asks by county, or without region.
  const std::string county = server_.NewToken("regulator:310101");
  server_.CallJson("GET", "/v1/stats?group_by=region&region_level=city", county, nullptr, 400);
  server_.CallJson("GET", "/v1/stats?group_by=region", county, nullptr, 200);
  server_.CallJson("GET", "/v1/stats?group_by=kind&region_level=province", county, nullptr, 200);
}

TEST_F(StatsTest, BadInputsAreNamed) {
  const std::string& admin = server_.admin_token();
  auto pointer = [&](const std::string& target) {
    return server_.CallJson("GET", target, admin, nullptr, 400).value("pointer", "");
  };
  EXPECT_EQ(pointer("/v1/stats?group_by=colour"), "/group_by");
  EXPECT_EQ(pointer("/v1/stats?group_by=kind,kind"), "/group_by");
  EXPECT_EQ(pointer("/v1/stats?group_by=kind,"), "/group_by");
  EXPECT_EQ(pointer("/v1/stats?group_by="), "/group_by");
  EXPECT_EQ(pointer("/v1/stats?region=3"), "/region");
  EXPECT_EQ(pointer("/v1/stats?region=99"), "/region");
  EXPECT_EQ(pointer("/v1/stats?region_level=street"), "/region_level");
  EXPECT_EQ(server_.CallJson("POST", "/v1/learners", admin, {{"region", "3101"}}, 400)["pointer"],
            "/region");
  EXPECT_EQ(server_.CallJson("POST", "/v1/learners", admin, {{"region", "990101"}}, 400)["pointer"],
            "/region");
  EXPECT_EQ(server_.CallJson("PUT", "/v1/institutions/x1", admin,
                             {{"name", "X"}, {"kind", "university"}, {"region", "31010a"}},
                             400)["pointer"],
            "/region");
  EXPECT_EQ(
      server_.CallJson("POST", "/v1/tokens", admin, {{"role", "regulator:3"}}, 400)["pointer"],
      "/role");
}

}  // namespace
}  // namespace lcb::testing
