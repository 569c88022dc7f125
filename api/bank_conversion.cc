// Bank: rulesets (publication, versions, the compiled cache) and conversions.
#include "api/bank.h"
#include "api/mapping.h"
#include "common/encoding.h"
#include "crypto/jcs.h"
#include "crypto/sha256.h"
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
