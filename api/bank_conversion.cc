// Bank: rulesets (publication, versions, the compiled cache) and conversions.
#include "api/bank.h"
#include "api/mapping.h"
#include "common/encoding.h"
#include "crypto/jcs.h"
#include "crypto/sha256.h"
#include "engine/conversion.h"
#include "engine/ruleset_index.h"
#include "engine/ruleset_validate.h"

namespace lcb {
namespace {

std::string RulesetKey(const std::string& program, uint32_t version) {
  std::string k = program;
  k.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>((version >> shift) & 0xff));
  return k;
}

uint32_t VersionOf(std::string_view key) {
  uint32_t v = 0;
  for (size_t i = key.size() - 4; i < key.size(); ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

}  // namespace

void Bank::PublishRuleset(const std::string& program_id, const json& doc, const Principal& by,
                          std::function<void(StatusOr<json>)> done) {
  auto program = GetProgram(program_id);
  if (!program.ok()) return done(program.status());
  auto rs = RulesetFromJson(doc, program_id);
  if (!rs.ok()) return done(rs.status());
  Status valid = ValidateRuleset(*program, *rs);
  if (!valid.ok()) return done(valid);

  // Versions are numbered under a lock held until the publication is durable, so two
  // concurrent publications get consecutive versions. Publications are rare.
  std::lock_guard<std::mutex> lock(ruleset_mu_);
  uint32_t latest = 0;
  std::string prefix = program_id + std::string(1, '\0');
  std::string end = program_id + std::string(1, '\1');
  Status scan = kv_->Scan(Table::kRulesets, prefix, end, SIZE_MAX,
                          [&](std::string_view key, std::string_view) {
                            latest = VersionOf(key);
                            return true;
                          });
  if (!scan.ok()) return done(scan);
  uint32_t version = latest + 1;
  json entry = {{"type", "ruleset"},
                {"id", "ruleset:" + program_id + ":" + std::to_string(version)},
                {"program", program_id},
                {"version", version},
                {"published_by", by.role()},
                {"published_at", NowRfc3339()},
                {"program_snapshot", ProgramToJson(*program)},
                {"rules", RulesetToJson(*rs)["rules"]}};
  auto bytes = CanonicalJson(entry);
  if (!bytes.ok()) return done(bytes.status());
  std::string sha = HashHex(Sha256(*bytes));
  LogEntry e;
  e.id = entry["id"];
  e.bytes = *bytes;
  e.unique_key = "ruleset/" + program_id + "/" + std::to_string(version);
  e.fingerprint = std::string(HashBytes(Sha256(*bytes)));
  e.index_rows = [key = RulesetKey(program_id, version)](uint64_t leaf, WriteBatch* batch) {
    std::string v;
    PutBigEndian64(&v, leaf);
    batch->Put(Table::kRulesets, key, v);
  };
  auto result = ledger_->AppendSync({std::move(e)});
  if (!result.ok()) return done(result.status());
  rs->version = static_cast<int>(version);
  rs->sha256_hex = sha;
  size_t rules = rs->rules.size();
  auto compiled = CompiledRuleset::Compile(*program, std::move(rs).value());
  {
    std::unique_lock cache(cache_mu_);
    compiled_[program_id] = compiled;
  }
  AdminLog(by, "publish_ruleset", program_id + " v" + std::to_string(version));
  const EntryOutcome& o = result->entries.front();
  done(json{{"program", program_id},
            {"version", version},
            {"sha256", sha},
            {"rules", rules},
            {"leaf_index", o.leaf_index},
            {"receipt", ReceiptFor(o.leaf_index)}});
}

StatusOr<json> Bank::GetRulesetJson(const std::string& program, std::optional<int> version) {
  std::string leaf_bytes;
  if (version) {
    Status s = kv_->Get(Table::kRulesets, RulesetKey(program, static_cast<uint32_t>(*version)),
                        &leaf_bytes);
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("program '" + program + "' has no ruleset version " +
                              std::to_string(*version));
    }
    LCB_RETURN_IF_ERROR(s);
  } else {
    std::string prefix = program + std::string(1, '\0');
    std::string end = program + std::string(1, '\1');
    LCB_RETURN_IF_ERROR(kv_->Scan(Table::kRulesets, prefix, end, SIZE_MAX,
                                  [&](std::string_view, std::string_view value) {
                                    leaf_bytes = std::string(value);
                                    return true;
                                  }));
    if (leaf_bytes.empty()) {
      return Status::NotFound("program '" + program + "' has no published ruleset");
    }
  }
  if (leaf_bytes.size() != 8) return Status::DataLoss("ruleset index row is corrupt");
  uint64_t leaf = GetBigEndian64(leaf_bytes);
  LCB_ASSIGN_OR_RETURN(std::string bytes, ledger_->Entry(leaf));
  json entry = json::parse(bytes, nullptr, false);
  if (entry.is_discarded() || entry.value("type", "") != "ruleset") {
    return Status::DataLoss("log entry " + std::to_string(leaf) + " is not a ruleset");
  }
  return json{{"program", program},
              {"version", entry["version"]},
              {"sha256", HashHex(Sha256(bytes))},
              {"published_at", entry["published_at"]},
              {"published_by", entry["published_by"]},
              {"leaf_index", leaf},
              {"ruleset", {{"program", program}, {"rules", entry["rules"]}}},
              {"program_snapshot", entry["program_snapshot"]}};
}

StatusOr<std::shared_ptr<const CompiledRuleset>> Bank::GetCompiled(const std::string& program_id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = compiled_.find(program_id); it != compiled_.end()) return it->second;
  }
  LCB_ASSIGN_OR_RETURN(Program program, GetProgram(program_id));
  LCB_ASSIGN_OR_RETURN(json published, GetRulesetJson(program_id, std::nullopt));
  LCB_ASSIGN_OR_RETURN(Ruleset rs, RulesetFromJson(published["ruleset"], program_id));
  rs.version = published["version"].get<int>();
  rs.sha256_hex = published["sha256"].get<std::string>();
  auto compiled = CompiledRuleset::Compile(std::move(program), std::move(rs));
  std::unique_lock lock(cache_mu_);
  compiled_[program_id] = compiled;
  return compiled;
}

}  // namespace lcb

namespace lcb {
namespace {

json ConversionJson(const ConversionResult& r, const std::string& learner) {
  json reqs = json::array();
  for (const auto& q : r.requirements) {
    json apps = json::array();
    for (const auto& a : q.applications) {
      apps.push_back({{"rule", a.rule}, {"records", a.records}, {"credits", CreditsJson(a.credits)}});
    }
    reqs.push_back({{"id", q.id}, {"granted", CreditsJson(q.granted)}, {"applications", apps}});
  }
  json unused = json::array();
  for (const auto& u : r.unused) unused.push_back({{"record", u.record}, {"reason", u.reason}});
  json out = {{"learner", learner},
              {"program", r.program},
              {"as_of", FormatDate(r.as_of)},
              {"ruleset_version", r.ruleset_version},
              {"ruleset_sha256", r.ruleset_sha256},
              {"total_credits", CreditsJson(r.total_credits)},
              {"transfer_cap", CreditsJson(r.transfer_cap)},
              {"granted", CreditsJson(r.granted)},
              {"remaining", CreditsJson(r.remaining)},
              {"optimal", r.optimal},
              {"requirements", reqs},
              {"unused", unused}};
  if (!r.optimal) out["upper_bound"] = CreditsJson(r.upper_bound);
  return out;
}

}  // namespace

StatusOr<json> Bank::Evaluate(const std::string& learner, const std::string& program, Days as_of) {
  if (!LearnerExists(learner)) return Status::NotFound("no learner '" + learner + "'");
  LCB_ASSIGN_OR_RETURN(auto compiled, GetCompiled(program));
  LCB_ASSIGN_OR_RETURN(auto records, ActiveView(learner));
  thread_local EvalScratch scratch;  // the solver's buffers, reused per thread
  ConversionResult result = ::lcb::Evaluate(*compiled, *records, as_of, {}, &scratch);
  counters_.conversions_evaluated++;
  return ConversionJson(result, learner);
}

void Bank::ApplyConversion(const std::string& learner, const std::string& program, Days as_of,
                           const Principal& by, std::function<void(StatusOr<json>)> done) {
  auto result = Evaluate(learner, program, as_of);
  if (!result.ok()) return done(result.status());
  std::string id = "conv_" + HexEncode(RandomBytes(12));
  json entry = {{"type", "conversion"},
                {"id", id},
                {"learner", learner},
                {"program", program},
                {"decided_by", by.role()},
                {"decided_at", NowRfc3339()},
                {"result", *result}};
  auto bytes = CanonicalJson(entry);
  if (!bytes.ok()) return done(bytes.status());
  LogEntry e;
  e.id = id;
  e.bytes = std::move(bytes).value();
  e.index_rows = [learner, id](uint64_t leaf, WriteBatch* batch) {
    std::string key = learner;
    key.push_back('\0');
    PutBigEndian64(&key, leaf);
    batch->Put(Table::kConversions, key, id);
  };
  json decided = std::move(result).value();
  ledger_->Append({std::move(e)}, [this, id, decided = std::move(decided),
                                   done = std::move(done)](StatusOr<AppendResult> r) mutable {
    post_([this, id, decided = std::move(decided), done = std::move(done), r = std::move(r)]() {
      if (!r.ok()) return done(r.status());
      counters_.conversions_applied++;
      uint64_t leaf = r->entries.front().leaf_index;
      done(json{{"id", id}, {"leaf_index", leaf}, {"receipt", ReceiptFor(leaf)}, {"result", decided}});
    });
  });
}

StatusOr<json> Bank::WhatIf(const std::string& learner, const std::vector<std::string>& programs,
                            Days as_of, size_t limit) {
  if (!LearnerExists(learner)) return Status::NotFound("no learner '" + learner + "'");
  std::vector<std::string> ids = programs;
  if (ids.empty()) {
    // Every program with a published ruleset.
    std::string last;
    LCB_RETURN_IF_ERROR(kv_->Scan(Table::kRulesets, "", "", SIZE_MAX,
                                  [&](std::string_view key, std::string_view) {
                                    std::string program(key.substr(0, key.find('\0')));
                                    if (program != last) ids.push_back(program);
                                    last = program;
                                    return true;
                                  }));
  }
  std::vector<std::shared_ptr<const CompiledRuleset>> compiled;
  compiled.reserve(ids.size());
  for (const auto& id : ids) {
    auto c = GetCompiled(id);
    if (!c.ok()) {
      if (c.status().code() == StatusCode::kNotFound && !programs.empty()) {
        return Status::InvalidArgument(Field("/programs"),
                                       "program '" + id + "' has no published ruleset");
      }
      if (c.status().code() == StatusCode::kNotFound) continue;
      return c.status();
    }
    compiled.push_back(*c);
  }
  LCB_ASSIGN_OR_RETURN(auto records, ActiveView(learner));
  thread_local EvalScratch scratch;
  std::vector<WhatIfEntry> ranked = ::lcb::WhatIf(compiled, *records, as_of, limit, {}, &scratch);
  counters_.conversions_evaluated += compiled.size();
  json items = json::array();
  for (const auto& w : ranked) {
    json item = {{"program", w.program},
                 {"ruleset_version", w.ruleset_version},
                 {"total_credits", CreditsJson(w.total_credits)},
                 {"transfer_cap", CreditsJson(w.transfer_cap)},
                 {"granted", CreditsJson(w.granted)},
                 {"remaining", CreditsJson(w.remaining)},
                 {"optimal", w.optimal}};
    auto p = GetProgram(w.program);
    if (p.ok()) item["title"] = p->title;
    items.push_back(std::move(item));
  }
  return json{{"learner", learner},
              {"as_of", FormatDate(as_of)},
              {"programs_evaluated", compiled.size()},
              {"results", items}};
}

}  // namespace lcb
