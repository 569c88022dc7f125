// creditbank demo: loads the demo data set (cli/demo/demo.json, embedded in the binary, or
// --data FILE of the same shape) into a running bank through its HTTP API, so that everything
// is validated and logged exactly as real clients' data is.
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
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/demo_data.h"
#include "cli/demo_requests.h"
#include "cli/rest_client.h"
#include "codec/json_util.h"
#include "common/date.h"
#include "service/files.h"

namespace lcb {
namespace {

using demo::DemoData;
using demo::DemoLearner;
using demo::DemoRecord;
using demo::InstitutionOf;
using demo::IssuerOf;

constexpr const char* kDefaultOut = "creditbank-demo";
constexpr size_t kFeaturedLearner = 0;  // the learner of the "try this" commands

struct DemoOptions : ServerFlags {
  std::string out = kDefaultOut;
  std::string data;  // empty = the embedded data set
};

constexpr const char* kDemoFooter =
    "Loads a small, realistic demo through the HTTP API: six institutions (a university, the\n"
    "open university, a vocational college, a MOOC platform, a certification body, a\n"
    "community school), their units, five programs with conversion rulesets, and twenty\n"
    "learners with records, grants and tokens. Safe to re-run. Writes DIR/tokens.json (mode\n"
    "0600) with the institution, learner and auditor tokens and the learner ids.\n"
    "--data FILE loads another data set instead: a JSON file of the same shape as the\n"
    "embedded one (cli/demo/demo.json in the source tree; format in cli/demo/README.md).";

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
  Loader(const DemoData& data, RestClient& api, TokenBook& tokens, std::string admin)
      : data_(data), api_(api), tokens_(tokens), admin_(std::move(admin)) {}

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
    const auto& table = data_.learners;
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
    for (const auto& inst : data_.institutions) {
      LCB_RETURN_IF_ERROR(api_.Call("PUT", "/v1/institutions/" + inst.id, admin_,
                                    demo::InstitutionBody(inst), {200})
                              .status());
      LCB_ASSIGN_OR_RETURN(institution_tokens_[inst.id], tokens_.For("institution:" + inst.id));
    }
    for (const auto& unit : data_.units) {
      LCB_RETURN_IF_ERROR(api_.Call("PUT", "/v1/units/" + unit.id,
                                    InstitutionToken(InstitutionOf(unit.id)), demo::UnitBody(unit),
                                    {200})
                              .status());
      ++summary_.units;
    }
    for (const auto& program : data_.programs) {
      LCB_RETURN_IF_ERROR(api_.Call("PUT", "/v1/programs/" + program.id,
                                    InstitutionToken(InstitutionOf(program.id)),
                                    demo::ProgramBody(program), {200})
                              .status());
    }
    return Status::Ok();
  }

  Status Rulesets() {
    for (const auto& program : data_.programs) {
      std::string path = "/v1/programs/" + program.id + "/ruleset";
      int status = 0;
      LCB_RETURN_IF_ERROR(api_.Call("GET", path, "", nullptr, {200, 404}, &status).status());
      if (status == 200) continue;
      LCB_RETURN_IF_ERROR(api_.Call("PUT", path, InstitutionToken(InstitutionOf(program.id)),
                                    demo::RulesetBody(program), {201})
                              .status());
      ++summary_.rulesets_published;
    }
    return Status::Ok();
  }

  Status LearnerAccounts() {
    for (const DemoLearner& l : data_.learners) {
      LoadedLearner loaded;
      LCB_ASSIGN_OR_RETURN(json created, api_.Call("POST", "/v1/learners", admin_,
                                                   demo::LearnerBody(l), {200, 201}));
      loaded.id = created.value("id", "");
      if (loaded.id.empty()) return Status::Internal("POST /v1/learners returned no id");
      LCB_ASSIGN_OR_RETURN(loaded.token, tokens_.For("learner:" + loaded.id));
      for (const std::string& inst : demo::GrantedInstitutions(l)) {
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
    const auto& table = data_.learners;
    for (size_t li = 0; li < table.size(); ++li) {
      for (size_t ri = 0; ri < table[li].records.size(); ++ri) {
        const DemoRecord& r = table[li].records[ri];
        auto& [records, slots] = by_issuer[IssuerOf(r)];
        records.push_back(
            demo::RecordBody(r, learners_[li].id, demo::DemoExternalRef(table[li], ri), r.value));
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
    for (const auto& rev : data_.revocations) {
      const DemoRecord& r = data_.learners[rev.learner].records[rev.record];
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
    for (const auto& fix : data_.corrections) {
      const DemoLearner& learner = data_.learners[fix.learner];
      const DemoRecord& r = learner.records[fix.record];
      const std::string& id = learners_[fix.learner].record_ids[fix.record];
      const std::string& token = InstitutionToken(IssuerOf(r));
      LCB_ASSIGN_OR_RETURN(json current,
                           api_.Call("GET", "/v1/records/" + id, token, nullptr, {200}));
      ++summary_.corrected;
      if (current.value("status", "") != "active") continue;  // corrected by an earlier run
      json replacement =
          demo::RecordBody(r, learners_[fix.learner].id,
                           demo::DemoExternalRef(learner, fix.record) + "-C1", fix.value);
      LCB_RETURN_IF_ERROR(api_.Call("POST", "/v1/records/" + id + "/correct", token,
                                    {{"record", replacement}, {"reason", fix.reason}}, {200, 201})
                              .status());
    }
    return Status::Ok();
  }

  const DemoData& data_;
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

// tokens.json of an earlier run, or null (a file that is not there or unreadable is not an
// error: new tokens are made).
json ReadSavedTokens(const std::string& tokens_path) {
  auto text = ReadSecretFile(tokens_path);
  if (text.ok()) return json::parse(*text, nullptr, false);
  if (text.status().code() != StatusCode::kNotFound) {
    std::fprintf(stderr, "creditbank demo: not reusing saved tokens: %s\n",
                 text.status().message().c_str());
  }
  return json();
}

void PrintSummary(const DemoOptions& options, const DemoData& data, const Loader& loader,
                  const TokenBook& tokens, int requests, double seconds,
                  const std::string& tokens_path) {
  const Summary& sum = loader.summary();
  std::printf(
      "Demo loaded into %s in %.1f s (%d requests):\n"
      "  %zu institutions, %zu units, %zu programs (%zu rulesets published now, the others "
      "kept)\n"
      "  %zu learners; %zu records (%zu new, %zu already there), %zu revoked, %zu corrected\n"
      "  tokens: %d created, %d reused; saved with the learner ids in %s (mode 0600)\n",
      options.server.c_str(), seconds, requests, data.institutions.size(), sum.units,
      data.programs.size(), sum.rulesets_published, data.learners.size(),
      sum.records_created + sum.records_existing, sum.records_created, sum.records_existing,
      sum.revoked, sum.corrected, tokens.created(), tokens.reused(), tokens_path.c_str());
  if (data.learners.size() <= kFeaturedLearner) return;
  const DemoLearner& featured = data.learners[kFeaturedLearner];
  if (featured.programs.empty()) return;
  PrintTryThis(options.server, featured.name, loader.learner(kFeaturedLearner),
               featured.programs.front());
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "creditbank demo: %s\n", message.c_str());
  return 1;
}

int RunDemo(DemoOptions options) {
  while (options.server.size() > 1 && options.server.back() == '/') options.server.pop_back();
  const auto started = std::chrono::steady_clock::now();

  // The data first: a malformed --data file is reported before anything is sent.
  StatusOr<DemoData> data = demo::LoadDemoData(options.data);
  if (!data.ok()) return Fail(data.status().message());
  if (Status s = MakeDirs(options.out); !s.ok()) return Fail(s.message());
  const std::string tokens_path = options.out + "/tokens.json";
  json saved = ReadSavedTokens(tokens_path);

  auto client = RestClient::Connect(options.server, options.ca, options.insecure);
  if (!client.ok()) return Fail(client.status().message());
  RestClient& api = **client;
  TokenBook tokens(api, options.token);
  if (Status s = tokens.Load(saved); !s.ok()) {
    return Fail(s.message() + "\n(--token must be an admin token)");
  }
  Loader loader(*data, api, tokens, options.token);
  if (Status s = loader.Run(); !s.ok()) return Fail(s.message());
  if (Status s = WriteSecretFile(tokens_path, loader.TokensFile(options.server).dump(2) + "\n",
                                 /*overwrite=*/true);
      !s.ok()) {
    return Fail(s.message());
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  PrintSummary(options, *data, loader, tokens, api.requests(), seconds, tokens_path);
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
  cmd->add_option("--data", o->data, "load this data set instead of the embedded one")
      ->type_name("FILE");
  cmd->callback([o, exit_code] { *exit_code = RunDemo(*o); });
}

int CmdDemo(const CommandArgs& args) { return RunCommand(AddDemoCommand, args); }

}  // namespace lcb
