// creditbank demo: loads the demo data set (cli/demo_data.cc) into a running bank through its
// HTTP API, so that everything is validated and logged exactly as real clients' data is.
//
// Re-runnable: catalog PUTs replace; learners come back by national ID; records are
// idempotent by external_ref; a ruleset is published only when the program has none (a
// ruleset is an immutable, logged version, so re-publishing would add one per run);
// revocations repeat with the same reason (idempotent) and a correction is made only while
// its record is still active. Tokens saved in DIR/tokens.json by an earlier run are reused
// while the server still lists them as live, so re-runs do not pile up credentials.
//
// Order matters: the admin registers institutions and tokens; each institution registers
// its own units and programs and publishes its rulesets (only the owner may); learners are
// created by the admin and share their records with the institutions of the programs they
// look at; each issuer posts its records in one batch.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/demo_data.h"
#include "cli/rest_client.h"
#include "codec/json_util.h"
#include "common/date.h"
#include "service/files.h"

namespace lcb {
namespace {

using demo::DemoLearner;
using demo::DemoProgram;
using demo::DemoRecord;
using demo::InstitutionOf;

constexpr const char* kDefaultOut = "creditbank-demo";
constexpr size_t kFeaturedLearner = 0;  // the learner of the "try this" commands

struct DemoOptions : ServerFlags {
  std::string out = kDefaultOut;
};

constexpr const char* kDemoFooter =
    "Loads a small, realistic demo through the HTTP API: six institutions (a university, the\n"
    "open university, a vocational college, a MOOC platform, a certification body, a\n"
    "community school), their units, five programs with conversion rulesets, and twenty\n"
    "learners with records, grants and tokens. Safe to re-run. Writes DIR/tokens.json (mode\n"
    "0600) with the institution, learner and auditor tokens and the learner ids.";

// ---- Tables -> API documents -----------------------------------------------------------------

json InstitutionJson(const demo::DemoInstitution& inst) {
  json doc = {{"name", inst.name}, {"kind", inst.kind}};
  if (inst.hours_per_credit > 0) doc["hours_per_credit"] = inst.hours_per_credit;
  if (!inst.certifies.empty()) doc["certifies"] = inst.certifies;
  return doc;
}

json UnitJson(const demo::DemoUnit& u) {
  json doc = {{"title", u.title},
              {"kind", u.kind},
              {"credits", u.credits},
              {"level", u.level},
              {"field", u.field}};
  if (u.hours > 0) doc["hours"] = u.hours;
  if (u.validity_years > 0) doc["validity_years"] = u.validity_years;
  return doc;
}

json ProgramJson(const DemoProgram& p) {
  json reqs = json::array();
  for (const auto& r : p.requirements) {
    reqs.push_back({{"id", r.id}, {"title", r.title}, {"kind", r.kind}, {"credits", r.credits}});
  }
  json policy = json::object();
  const demo::DemoPolicy& pol = p.policy;
  if (pol.max_transfer_credits >= 0) policy["max_transfer_credits"] = pol.max_transfer_credits;
  if (pol.max_transfer_ratio >= 0) policy["max_transfer_ratio"] = pol.max_transfer_ratio;
  if (pol.min_grade >= 0) policy["min_grade"] = pol.min_grade;
  if (pol.max_age_years > 0) policy["max_age_years"] = pol.max_age_years;
  json caps = json::array();
  for (const auto& c : pol.caps) {
    json cap = {{"by", c.by}};
    if (!c.limits.empty()) {
      json limits = json::object();
      for (const auto& [key, credits] : c.limits) limits[key] = credits;
      cap["limits"] = limits;
    }
    if (c.default_limit >= 0) cap["default_limit"] = c.default_limit;
    if (!c.max_count.empty()) {
      json counts = json::object();
      for (const auto& [key, n] : c.max_count) counts[key] = n;
      cap["max_count"] = counts;
    }
    caps.push_back(cap);
  }
  if (!caps.empty()) policy["caps"] = caps;
  return {{"title", p.title},
          {"kind", p.kind},
          {"total_credits", p.total_credits},
          {"requirements", reqs},
          {"policy", policy}};
}

json RulesetJson(const DemoProgram& p) {
  json rules = json::array();
  for (const auto& r : p.rules) {
    json sources = json::array();
    for (const auto& s : r.sources) {
      json src = json::object();
      if (s.unit) src["unit"] = s.unit;
      if (s.kind) src["kind"] = s.kind;
      if (s.field) src["field"] = s.field;
      if (s.min_level > 0) src["min_level"] = s.min_level;
      if (s.min_credits > 0) src["min_credits"] = s.min_credits;
      if (s.issuer) src["issuer"] = s.issuer;
      sources.push_back(src);
    }
    json rule = {{"id", r.id}, {"target", r.target}, {"grant", r.grant}, {"sources", sources}};
    if (r.min_grade > 0) rule["min_grade"] = r.min_grade;
    if (r.max_age_years > 0) rule["max_age_years"] = r.max_age_years;
    rules.push_back(rule);
  }
  return {{"program", p.id}, {"rules", rules}};
}

std::string IssuerOf(const DemoRecord& r) {
  return r.issuer ? std::string(r.issuer) : InstitutionOf(r.unit);
}

json RecordJson(const DemoRecord& r, const std::string& learner_id, const std::string& ref,
                const char* grade_value) {
  json doc = {{"learner", learner_id},
              {"unit", r.unit},
              {"external_ref", ref},
              {"grade", {{"scale", r.scale}, {"value", grade_value}}},
              {"completed_on", r.completed_on}};
  if (r.attendance) doc["attendance"] = r.attendance;
  if (r.hours > 0) doc["hours"] = r.hours;
  return doc;
}

// ---- Tokens ----------------------------------------------------------------------------------

struct TokenInfo {
  std::string id;
  std::string token;
  std::string role;
};

json TokenJson(const TokenInfo& t) {
  return {{"role", t.role}, {"token_id", t.id}, {"token", t.token}};
}

// Hands out one token per role: the one saved by an earlier run while the server still lists
// it as live, else a new one.
class TokenBook {
 public:
  TokenBook(RestClient& api, std::string admin) : api_(api), admin_(std::move(admin)) {}

  // Reads the server's token list (which also proves `admin` is an admin token) and the
  // tokens saved in `saved` (tokens.json of an earlier run; may be null).
  Status Load(const json& saved) {
    LCB_ASSIGN_OR_RETURN(json list, api_.Call("GET", "/v1/tokens", admin_, nullptr, {200}));
    std::map<std::string, std::string> live;  // id -> role
    for (const auto& t : list.value("tokens", json::array())) {
      if (!t.value("revoked", false) && !t.contains("expires_at")) {
        live[t.value("id", "")] = t.value("role", "");
      }
    }
    auto consider = [&](const json& t) {
      if (!t.is_object() || !t.contains("token_id") || !t.contains("token")) return;
      TokenInfo info{t.value("token_id", ""), t.value("token", ""), t.value("role", "")};
      auto it = live.find(info.id);
      if (it != live.end() && it->second == info.role) saved_[info.role] = info;
    };
    if (saved.is_object()) {
      const json institutions = saved.value("institutions", json::object());
      for (const auto& [name, t] : institutions.items()) consider(t);
      const json learners = saved.value("learners", json::array());
      for (const auto& t : learners) consider(t);
      consider(saved.value("auditor", json()));
    }
    return Status::Ok();
  }

  StatusOr<TokenInfo> For(const std::string& role) {
    if (auto it = saved_.find(role); it != saved_.end()) {
      ++reused_;
      return it->second;
    }
    LCB_ASSIGN_OR_RETURN(json t, api_.Call("POST", "/v1/tokens", admin_, {{"role", role}}, {201}));
    ++created_;
    return TokenInfo{t.value("id", ""), t.value("token", ""), t.value("role", role)};
  }

  int created() const { return created_; }
  int reused() const { return reused_; }

 private:
  RestClient& api_;
  std::string admin_;
  std::map<std::string, TokenInfo> saved_;
  int created_ = 0;
  int reused_ = 0;
};

// ---- The load --------------------------------------------------------------------------------

struct LoadedLearner {
  std::string id;
  TokenInfo token;
  std::vector<std::string> record_ids;  // by record index in the table
};

struct Summary {
  size_t units = 0;
  size_t rulesets_published = 0;
  size_t records_created = 0;
  size_t records_existing = 0;
  size_t revoked = 0;
  size_t corrected = 0;
};

class Loader {
 public:
  Loader(RestClient& api, TokenBook& tokens, std::string admin)
      : api_(api), tokens_(tokens), admin_(std::move(admin)) {}

  Status Run() {
    LCB_RETURN_IF_ERROR(Catalog());
    LCB_RETURN_IF_ERROR(Rulesets());
    LCB_RETURN_IF_ERROR(LearnerAccounts());
    LCB_RETURN_IF_ERROR(Records());
    LCB_RETURN_IF_ERROR(Revocations());
    LCB_RETURN_IF_ERROR(Corrections());
    LCB_ASSIGN_OR_RETURN(auditor_, tokens_.For("auditor"));
    return Status::Ok();
  }

  json TokensFile(const std::string& server) const {
    json institutions = json::object();
    for (const auto& [id, t] : institution_tokens_) institutions[id] = TokenJson(t);
    json learners = json::array();
    const auto table = demo::Learners();
    for (size_t i = 0; i < table.size(); ++i) {
      json l = TokenJson(learners_[i].token);
      l["name"] = table[i].name;
      l["national_id"] = table[i].national_id;
      l["id"] = learners_[i].id;
      l["programs"] = table[i].programs;
      learners.push_back(l);
    }
    return {{"server", server},
            {"written_at", NowRfc3339()},
            {"note", "creditbank demo tokens: bearer secrets, keep this file private"},
            {"institutions", institutions},
            {"auditor", TokenJson(auditor_)},
            {"learners", learners}};
  }

  const Summary& summary() const { return summary_; }
  const LoadedLearner& learner(size_t i) const { return learners_[i]; }

 private:
  const std::string& InstitutionToken(const std::string& institution) const {
    return institution_tokens_.at(institution).token;
  }

  Status Catalog() {
    for (const auto& inst : demo::Institutions()) {
      LCB_RETURN_IF_ERROR(api_.Call("PUT", std::string("/v1/institutions/") + inst.id, admin_,
                                    InstitutionJson(inst), {200})
                              .status());
      LCB_ASSIGN_OR_RETURN(institution_tokens_[inst.id],
                           tokens_.For(std::string("institution:") + inst.id));
    }
    for (const auto& unit : demo::Units()) {
      LCB_RETURN_IF_ERROR(api_.Call("PUT", std::string("/v1/units/") + unit.id,
                                    InstitutionToken(InstitutionOf(unit.id)), UnitJson(unit), {200})
                              .status());
      ++summary_.units;
    }
    for (const auto& program : demo::Programs()) {
      LCB_RETURN_IF_ERROR(api_.Call("PUT", std::string("/v1/programs/") + program.id,
                                    InstitutionToken(InstitutionOf(program.id)),
                                    ProgramJson(program), {200})
                              .status());
    }
    return Status::Ok();
  }

  Status Rulesets() {
    for (const auto& program : demo::Programs()) {
      std::string path = std::string("/v1/programs/") + program.id + "/ruleset";
      int status = 0;
      LCB_RETURN_IF_ERROR(api_.Call("GET", path, "", nullptr, {200, 404}, &status).status());
      if (status == 200) continue;
      LCB_RETURN_IF_ERROR(api_.Call("PUT", path, InstitutionToken(InstitutionOf(program.id)),
                                    RulesetJson(program), {201})
                              .status());
      ++summary_.rulesets_published;
    }
    return Status::Ok();
  }

  Status LearnerAccounts() {
    for (const DemoLearner& l : demo::Learners()) {
      LoadedLearner loaded;
      LCB_ASSIGN_OR_RETURN(
          json created,
          api_.Call("POST", "/v1/learners", admin_,
                    {{"national_id", l.national_id}, {"display_name", l.name}}, {200, 201}));
      loaded.id = created.value("id", "");
      if (loaded.id.empty()) return Status::Internal("POST /v1/learners returned no id");
      LCB_ASSIGN_OR_RETURN(loaded.token, tokens_.For("learner:" + loaded.id));
      std::set<std::string> granted;
      for (const char* program : l.programs) {
        std::string inst = InstitutionOf(program);
        if (!granted.insert(inst).second) continue;
        LCB_RETURN_IF_ERROR(api_.Call("POST", "/v1/learners/" + loaded.id + "/grants",
                                      loaded.token.token, {{"institution", inst}}, {200, 201})
                                .status());
      }
      loaded.record_ids.resize(l.records.size());
      learners_.push_back(std::move(loaded));
    }
    return Status::Ok();
  }

  // One batch per issuer, in table order; record ids come back in the order posted.
  Status Records() {
    struct Slot {
      size_t learner;
      size_t record;
    };
    std::map<std::string, std::pair<json, std::vector<Slot>>> by_issuer;
    const auto table = demo::Learners();
    for (size_t li = 0; li < table.size(); ++li) {
      for (size_t ri = 0; ri < table[li].records.size(); ++ri) {
        const DemoRecord& r = table[li].records[ri];
        auto& [records, slots] = by_issuer[IssuerOf(r)];
        records.push_back(RecordJson(r, learners_[li].id, demo::DemoExternalRef(li, ri), r.value));
        slots.push_back({li, ri});
      }
    }
    for (auto& [issuer, batch] : by_issuer) {
      auto& [records, slots] = batch;
      LCB_ASSIGN_OR_RETURN(json posted, api_.Call("POST", "/v1/records", InstitutionToken(issuer),
                                                  {{"records", records}}, {200, 201}));
      const json& receipts = posted.value("records", json::array());
      if (receipts.size() != slots.size()) {
        return Status::Internal("POST /v1/records returned " + std::to_string(receipts.size()) +
                                " receipts for " + std::to_string(slots.size()) + " records");
      }
      for (size_t i = 0; i < slots.size(); ++i) {
        learners_[slots[i].learner].record_ids[slots[i].record] = receipts[i].value("id", "");
        if (receipts[i].value("status", "") == "existing") {
          ++summary_.records_existing;
        } else {
          ++summary_.records_created;
        }
      }
    }
    return Status::Ok();
  }

  Status Revocations() {
    for (const auto& rev : demo::Revocations()) {
      const DemoRecord& r = demo::Learners()[rev.learner].records[rev.record];
      const std::string& id = learners_[rev.learner].record_ids[rev.record];
      LCB_RETURN_IF_ERROR(api_.Call("POST", "/v1/records/" + id + "/revoke",
                                    InstitutionToken(IssuerOf(r)), {{"reason", rev.reason}},
                                    {200, 201})
                              .status());
      ++summary_.revoked;
    }
    return Status::Ok();
  }

  Status Corrections() {
    for (const auto& fix : demo::Corrections()) {
      const DemoRecord& r = demo::Learners()[fix.learner].records[fix.record];
      const std::string& id = learners_[fix.learner].record_ids[fix.record];
      const std::string& token = InstitutionToken(IssuerOf(r));
      LCB_ASSIGN_OR_RETURN(json current,
                           api_.Call("GET", "/v1/records/" + id, token, nullptr, {200}));
      ++summary_.corrected;
      if (current.value("status", "") != "active") continue;  // corrected by an earlier run
      json replacement =
          RecordJson(r, learners_[fix.learner].id,
                     demo::DemoExternalRef(fix.learner, fix.record) + "-C1", fix.value);
      LCB_RETURN_IF_ERROR(api_.Call("POST", "/v1/records/" + id + "/correct", token,
                                    {{"record", replacement}, {"reason", fix.reason}}, {200, 201})
                              .status());
    }
    return Status::Ok();
  }

  RestClient& api_;
  TokenBook& tokens_;
  std::string admin_;
  std::map<std::string, TokenInfo> institution_tokens_;
  std::vector<LoadedLearner> learners_;
  TokenInfo auditor_;
  Summary summary_;
};

void PrintTryThis(const std::string& server, const std::string& name, const LoadedLearner& l,
                  const std::string& program) {
  std::printf(
      "\nTry it as %s (learner %s):\n\n"
      "  T=%s\n"
      "  # the passbook (学分存折): totals by kind, level, field, issuer, year; what expires\n"
      "  curl -s -H \"Authorization: Bearer $T\" %s/v1/learners/%s/passbook\n"
      "  # what-if: how far these credits go in every program, ranked\n"
      "  curl -s -H \"Authorization: Bearer $T\" '%s/v1/learners/%s/what-if?programs=all'\n"
      "  # the explained, optimal conversion into %s\n"
      "  curl -s -H \"Authorization: Bearer $T\" -H 'Content-Type: application/json' \\\n"
      "       -d '{\"learner\":\"%s\",\"program\":\"%s\"}' %s/v1/conversions/evaluate\n"
      "  # the log's signed checkpoint (anyone may fetch it)\n"
      "  curl -s %s/v1/log/checkpoint\n",
      name.c_str(), l.id.c_str(), l.token.token.c_str(), server.c_str(), l.id.c_str(),
      server.c_str(), l.id.c_str(), program.c_str(), l.id.c_str(), program.c_str(), server.c_str(),
      server.c_str());
}

int RunDemo(DemoOptions options) {
  while (options.server.size() > 1 && options.server.back() == '/') options.server.pop_back();
  const auto started = std::chrono::steady_clock::now();

  if (Status s = MakeDirs(options.out); !s.ok()) {
    std::fprintf(stderr, "creditbank demo: %s\n", s.message().c_str());
    return 1;
  }
  const std::string tokens_path = options.out + "/tokens.json";
  json saved;
  if (auto text = ReadSecretFile(tokens_path); text.ok()) {
    saved = json::parse(*text, nullptr, false);
  } else if (text.status().code() != StatusCode::kNotFound) {
    std::fprintf(stderr, "creditbank demo: not reusing saved tokens: %s\n",
                 text.status().message().c_str());
  }

  auto client = RestClient::Connect(options.server, options.ca, options.insecure);
  if (!client.ok()) {
    std::fprintf(stderr, "creditbank demo: %s\n", client.status().message().c_str());
    return 1;
  }
  RestClient& api = **client;
  TokenBook tokens(api, options.token);
  if (Status s = tokens.Load(saved); !s.ok()) {
    std::fprintf(stderr, "creditbank demo: %s\n(--token must be an admin token)\n",
                 s.message().c_str());
    return 1;
  }
  Loader loader(api, tokens, options.token);
  if (Status s = loader.Run(); !s.ok()) {
    std::fprintf(stderr, "creditbank demo: %s\n", s.message().c_str());
    return 1;
  }
  if (Status s = WriteSecretFile(tokens_path, loader.TokensFile(options.server).dump(2) + "\n",
                                 /*overwrite=*/true);
      !s.ok()) {
    std::fprintf(stderr, "creditbank demo: %s\n", s.message().c_str());
    return 1;
  }

  const Summary& sum = loader.summary();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "Demo loaded into %s in %.1f s (%d requests):\n"
      "  %zu institutions, %zu units, %zu programs (%zu rulesets published now, the others "
      "kept)\n"
      "  %zu learners; %zu records (%zu new, %zu already there), %zu revoked, %zu corrected\n"
      "  tokens: %d created, %d reused; saved with the learner ids in %s (mode 0600)\n",
      options.server.c_str(), seconds, api.requests(), demo::Institutions().size(), sum.units,
      demo::Programs().size(), sum.rulesets_published, demo::Learners().size(),
      sum.records_created + sum.records_existing, sum.records_created, sum.records_existing,
      sum.revoked, sum.corrected, tokens.created(), tokens.reused(), tokens_path.c_str());
  const DemoLearner& featured = demo::Learners()[kFeaturedLearner];
  PrintTryThis(options.server, featured.name, loader.learner(kFeaturedLearner),
               featured.programs.front());
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "demo", "load a realistic demo catalog, programs and learners via the API");
  cmd->footer(kDemoFooter);
  AddServerFlags(cmd, o.get(), /*server_required=*/true, "an admin token; never printed");
  cmd->get_option("--token")->required();
  cmd->add_option("--out", o->out, "where tokens.json is written")
      ->type_name("DIR")
      ->capture_default_str()
      ->check([](const std::string& v) { return v.empty() ? "must not be empty" : ""; });
  cmd->callback([o, exit_code] { *exit_code = RunDemo(*o); });
}

int CmdDemo(const CommandArgs& args) { return RunCommand(AddDemoCommand, args); }

}  // namespace lcb
