#include "service/rulesets.h"

#include <charconv>
#include <set>

#include "codec/entries.h"
#include "common/date.h"
#include "common/encoding.h"
#include "crypto/sha256.h"
#include "engine/ruleset_index.h"
#include "engine/ruleset_validate.h"
#include "storage/keys.h"

namespace lcb {
namespace {

StatusOr<PublishedRuleset> Published(const std::string& program, uint64_t leaf,
                                     std::string_view bytes) {
  LCB_ASSIGN_OR_RETURN(RulesetEntry entry, ParseRulesetEntry(bytes, program));
  PublishedRuleset out;
  out.program = program;
  out.version = entry.version;
  out.sha256 = HashHex(Sha256(bytes));
  out.published_at = std::move(entry.published_at);
  out.published_by = std::move(entry.published_by);
  out.leaf_index = leaf;
  out.ruleset = std::move(entry.ruleset);
  out.ruleset.sha256_hex = out.sha256;
  out.program_snapshot = std::move(entry.program_snapshot);
  return out;
}

}  // namespace

StatusOr<uint32_t> RulesetService::LatestVersion(const std::string& program) {
  uint32_t latest = 0;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kRulesets, keys::OwnerBegin(program),
                                keys::OwnerEnd(program), SIZE_MAX,
                                [&](std::string_view key, std::string_view) {
                                  latest = keys::VersionOfRulesetKey(key);
                                  return true;
                                }));
  return latest;
}

void RulesetService::Publish(const std::string& program_id, Ruleset rs, const Principal& by,
                             std::function<void(StatusOr<RulesetPublication>)> done) {
  auto program = catalog_->GetProgram(program_id);
  if (!program.ok()) return done(program.status());
  Status valid = ValidateRuleset(*program, rs);
  if (valid.ok()) valid = CheckReferences(rs);
  if (!valid.ok()) return done(valid);
  {
    std::lock_guard<std::mutex> lock(publishing_mu_);
    if (!publishing_.insert(program_id).second) {
      return done(
          Status::Unavailable("another ruleset of " + program_id + " is being published; retry"));
    }
  }
  auto release = [this, program_id]() {
    std::lock_guard<std::mutex> lock(publishing_mu_);
    publishing_.erase(program_id);
  };
  auto latest = LatestVersion(program_id);
  if (!latest.ok()) {
    release();
    return done(latest.status());
  }
  const uint32_t version = *latest + 1;
  rs.version = static_cast<int>(version);
  auto bytes = RulesetEntryBytes(
      RulesetEntry{static_cast<int>(version), by.role(), NowRfc3339(), *program, rs});
  if (!bytes.ok()) {
    release();
    return done(bytes.status());
  }
  LogEntry e;
  e.id = RulesetEntryId(program_id, static_cast<int>(version));
  e.bytes = *bytes;
  e.unique_key = keys::RulesetUnique(program_id, version);
  e.fingerprint = std::string(HashBytes(Sha256(*bytes)));
  e.index_rows = [key = keys::Ruleset(program_id, version)](uint64_t leaf, WriteBatch* batch) {
    batch->Put(Table::kRulesets, key, BigEndian64(leaf));
  };
  log_->ledger().Append({std::move(e)}, [this, program_id, bytes = *bytes, by, release,
                                         done = std::move(done)](StatusOr<AppendResult> r) mutable {
    post_([this, program_id, bytes = std::move(bytes), by, release, done = std::move(done),
           r = std::move(r)]() mutable {
      StatusOr<PublishedRuleset> published =
          r.ok() ? Published(program_id, r->entries.front().leaf_index, bytes)
                 : StatusOr<PublishedRuleset>(r.status());
      auto outcome = FinishPublication(program_id, std::move(published), by);
      release();  // before answering: the caller may change the program right away
      done(std::move(outcome));
    });
  });
}

StatusOr<RulesetPublication> RulesetService::FinishPublication(const std::string& program,
                                                               StatusOr<PublishedRuleset> published,
                                                               const Principal& by) {
  if (!published.ok()) return published.status();
  LCB_ASSIGN_OR_RETURN(Receipt receipt, log_->ReceiptFor(published->leaf_index));
  RulesetPublication out{program, published->version, published->sha256,
                         published->ruleset.rules.size(), std::move(receipt)};
  // Compiled against the program as it is now (which the publication was validated against).
  auto current = catalog_->GetProgram(program);
  if (current.ok()) {
    CacheCompiled(program, CompiledRuleset::Compile(*current, std::move(published->ruleset)));
  }
  blocking_([admin_log = admin_log_, by, what = program + " v" + std::to_string(out.version)] {
    admin_log->Record(by, "publish_ruleset", what);
  });
  return out;
}

void RulesetService::CacheCompiled(const std::string& program,
                                   std::shared_ptr<const CompiledRuleset> compiled) {
  std::unique_lock lock(cache_mu_);
  auto& slot = compiled_[program];
  if (!slot || slot->version() <= compiled->version()) slot = std::move(compiled);
}

StatusOr<PublishedRuleset> RulesetService::Get(const std::string& program,
                                               std::optional<int> version) {
  std::string leaf_bytes;
  if (version) {
    Status s = kv_->Get(Table::kRulesets, keys::Ruleset(program, static_cast<uint32_t>(*version)),
                        &leaf_bytes);
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("program '" + program + "' has no ruleset version " +
                              std::to_string(*version));
    }
    LCB_RETURN_IF_ERROR(s);
  } else {
    LCB_RETURN_IF_ERROR(kv_->Scan(Table::kRulesets, keys::OwnerBegin(program),
                                  keys::OwnerEnd(program), SIZE_MAX,
                                  [&](std::string_view, std::string_view value) {
                                    leaf_bytes = std::string(value);
                                    return true;
                                  }));
    if (leaf_bytes.empty()) {
      return Status::NotFound("program '" + program + "' has no published ruleset");
    }
  }
  if (leaf_bytes.size() != 8) return Status::DataLoss("ruleset index row is corrupt");
  const uint64_t leaf = GetBigEndian64(leaf_bytes);
  LCB_ASSIGN_OR_RETURN(std::string bytes, log_->ledger().Entry(leaf));
  return Published(program, leaf, bytes);
}

StatusOr<std::shared_ptr<const CompiledRuleset>> RulesetService::Compiled(
    const std::string& program_id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = compiled_.find(program_id); it != compiled_.end()) return it->second;
  }
  LCB_ASSIGN_OR_RETURN(Program program, catalog_->GetProgram(program_id));
  LCB_ASSIGN_OR_RETURN(PublishedRuleset published, Get(program_id, std::nullopt));
  auto compiled = CompiledRuleset::Compile(std::move(program), std::move(published.ruleset));
  CacheCompiled(program_id, compiled);
  return compiled;
}

StatusOr<std::vector<std::string>> RulesetService::PublishedPrograms() {
  std::vector<std::string> ids;
  LCB_RETURN_IF_ERROR(
      kv_->Scan(Table::kRulesets, "", "", SIZE_MAX, [&](std::string_view key, std::string_view) {
        std::string_view program = keys::ProgramOfRulesetKey(key);
        if (ids.empty() || ids.back() != program) ids.emplace_back(program);
        return true;
      }));
  return ids;
}

// A source naming a unit or an issuer the catalog does not hold matches nothing, ever: a typo
// that would leave a rule silently dead. 400 at the pattern's member.
Status RulesetService::CheckReferences(const Ruleset& rs) {
  std::set<std::string> seen;  // one catalog read per name ("u:" units, "i:" issuers)
  // NotFound from `read` is 400 at `at`; another failure is returned as it is.
  auto known = [&](char kind, const std::string& name, const std::string& at, auto read,
                   const char* noun) -> Status {
    if (!seen.insert(std::string(1, kind) + ":" + name).second) return Status::Ok();
    Status s = read(name);
    if (s.code() != StatusCode::kNotFound) return s;
    return Status::InvalidArgument(Field(at),
                                   "no " + std::string(noun) + " '" + name + "' in the catalog");
  };
  for (size_t r = 0; r < rs.rules.size(); ++r) {
    for (size_t k = 0; k < rs.rules[r].sources.size(); ++k) {
      const Pattern& p = rs.rules[r].sources[k];
      const std::string at = "/rules/" + std::to_string(r) + "/sources/" + std::to_string(k);
      if (p.unit) {
        LCB_RETURN_IF_ERROR(known(
            'u', *p.unit, at + "/unit",
            [&](const std::string& id) { return catalog_->GetUnit(id).status(); }, "unit"));
      }
      if (p.issuer) {
        LCB_RETURN_IF_ERROR(known(
            'i', *p.issuer, at + "/issuer",
            [&](const std::string& id) { return catalog_->GetInstitution(id).status(); },
            "institution"));
      }
    }
  }
  return Status::Ok();
}

Status RulesetService::GuardProgramChange(const Program& program,
                                          const std::function<Status()>& write) {
  {
    std::lock_guard<std::mutex> lock(publishing_mu_);
    if (!publishing_.insert(program.id).second) {
      return Status::Unavailable("a ruleset of " + program.id + " is being published; retry");
    }
  }
  Status s = [&]() -> Status {
    // A published ruleset must stay valid against the program it converts into.
    auto current = Get(program.id, std::nullopt);
    if (current.ok()) {
      Status still = ValidateRuleset(program, current->ruleset);
      if (!still.ok()) {
        // Named at the program's member the rule no longer fits: a rule's grant above its
        // requirement's credits is that requirement's /credits; a target gone is /requirements.
        std::string at = "/requirements";
        const std::string& rp = still.pointer();
        const std::string rule = rp.substr(0, rp.find('/', std::string("/rules/").size()));
        size_t index = 0;
        if (rp.starts_with("/rules/") && rp.ends_with("/grant") &&
            std::from_chars(rule.data() + 7, rule.data() + rule.size(), index).ec == std::errc() &&
            index < current->ruleset.rules.size()) {
          const std::string& target = current->ruleset.rules[index].target;
          for (size_t q = 0; q < program.requirements.size(); ++q) {
            if (program.requirements[q].id == target) {
              at = "/requirements/" + std::to_string(q) + "/credits";
            }
          }
        }
        return Status(StatusCode::kFailedPrecondition, Field(at),
                      "this change would invalidate the published ruleset version " +
                          std::to_string(current->ruleset.version) + " (its " + rp + ": " +
                          still.message() +
                          "); publish a ruleset that fits the new requirements first");
      }
    } else if (current.status().code() != StatusCode::kNotFound) {
      return current.status();
    }
    LCB_RETURN_IF_ERROR(write());
    std::unique_lock cache(cache_mu_);
    compiled_.erase(program.id);
    return Status::Ok();
  }();
  std::lock_guard<std::mutex> lock(publishing_mu_);
  publishing_.erase(program.id);
  return s;
}

}  // namespace lcb
