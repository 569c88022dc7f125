#include "cli/import_remote.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "codec/json_util.h"
#include "codec/mapping.h"
#include "engine/grades.h"

namespace lcb::import_cli {
namespace {

constexpr size_t kUnitPage = 1000;     // GET /v1/units?limit=
constexpr size_t kLookupBatch = 1000;  // national IDs per POST /v1/learners/lookup (its limit)

Status Refused(const char* what, const ClientResponse& r) {
  return Status::Unavailable(std::string(what) + " answered " + std::to_string(r.status) + ": " +
                             ProblemDetail(r));
}

StatusOr<std::optional<std::string>> IdOf(const ClientResponse& r) {
  json doc = json::parse(r.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string()) {
    return Status::Internal("unexpected learner answer from the server");
  }
  return std::optional<std::string>(doc["id"].get<std::string>());
}

// The {"ids": [...]} of a POST /v1/learners/lookup of `n` national IDs, into out[first, +n).
Status ReadLookupIds(const ClientResponse& r, size_t first, size_t n,
                     std::vector<std::optional<std::string>>* out) {
  json doc = json::parse(r.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("ids") || !doc["ids"].is_array() ||
      doc["ids"].size() != n) {
    return Status::Internal("unexpected answer to POST /v1/learners/lookup from the server");
  }
  for (size_t i = 0; i < n; ++i) {
    const json& id = doc["ids"][i];
    if (id.is_string()) {
      (*out)[first + i] = id.get<std::string>();
    } else if (!id.is_null()) {
      return Status::Internal("unexpected answer to POST /v1/learners/lookup from the server");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<RemotePool>> RemotePool::Connect(const ImportOptions& o) {
  auto pool = std::unique_ptr<RemotePool>(new RemotePool(o));
  LCB_RETURN_IF_ERROR(pool->Widen(static_cast<size_t>(std::max(1, o.connections))));
  return pool;
}

Status RemotePool::Widen(size_t n) {
  while (remotes_.size() < n) {
    LCB_ASSIGN_OR_RETURN(auto client,
                         RestClient::Connect(options_.server, options_.ca, options_.insecure));
    remotes_.push_back(std::move(client));
  }
  return Status::Ok();
}

int RemotePool::retries() const {
  int n = 0;
  for (const auto& r : remotes_) n += r->retries();
  return n;
}

void RemotePool::ParallelFor(size_t n, const std::function<bool(RestClient&, size_t)>& fn,
                             size_t workers) {
  workers = std::min(workers, remotes_.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto work = [&](RestClient& remote) {
    for (;;) {
      if (stop.load()) return;
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      if (!fn(remote, i)) stop.store(true);
    }
  };
  if (workers <= 1 || n <= 1) {
    work(*remotes_.front());
    return;
  }
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(work, std::ref(*remotes_[t]));
  work(*remotes_.front());
  for (auto& t : threads) t.join();
}

StatusOr<Unit> UnitFromServer(const json& doc) {
  try {
    Unit u;
    u.id = doc.at("id").get<std::string>();
    u.institution = doc.value("institution", u.id.substr(0, u.id.find(':')));
    u.title = doc.value("title", "");
    auto kind = ParseUnitKind(doc.at("kind").get<std::string>());
    if (!kind) return Status::Internal("unit " + u.id + " has an unknown kind");
    u.kind = *kind;
    LCB_ASSIGN_OR_RETURN(u.credits, CentiFromDouble(doc.at("credits").get<double>(), "/credits"));
    if (doc.contains("hours") && doc["hours"].is_number()) {
      LCB_ASSIGN_OR_RETURN(u.hours, CentiFromDouble(doc["hours"].get<double>(), "/hours"));
    }
    u.level = doc.at("level").get<int>();
    u.field = doc.at("field").get<std::string>();
    u.validity_years = doc.value("validity_years", 0);
    return u;
  } catch (const json::exception& e) {
    return Status::Internal(std::string("unexpected unit document: ") + e.what());
  }
}

StatusOr<Institution> InstitutionFromServer(const json& doc) {
  try {
    Institution inst;
    inst.id = doc.at("id").get<std::string>();
    inst.name = doc.value("name", "");
    inst.kind = doc.value("kind", "");
    if (doc.contains("hours_per_credit") && doc["hours_per_credit"].is_number()) {
      LCB_ASSIGN_OR_RETURN(
          inst.hours_per_credit,
          CentiFromDouble(doc["hours_per_credit"].get<double>(), "/hours_per_credit"));
    }
    if (doc.contains("certifies") && doc["certifies"].is_array()) {
      for (const auto& p : doc["certifies"]) inst.certifies.push_back(p.get<std::string>());
    }
    inst.require_signatures = doc.value("require_signatures", false);
    return inst;
  } catch (const json::exception& e) {
    return Status::Internal(std::string("unexpected institution document: ") + e.what());
  }
}

Status HttpResolver::LoadUnits() {
  std::string cursor;
  for (;;) {
    std::string target = "/v1/units?institution=" + PathSegment(institution_) +
                         "&limit=" + std::to_string(kUnitPage);
    if (!cursor.empty()) target += "&cursor=" + PathSegment(cursor);
    LCB_ASSIGN_OR_RETURN(ClientResponse r, pool_.first().Send("GET", target, pool_.token()));
    if (r.status != 200) {
      return Status::Unavailable("GET /v1/units answered " + std::to_string(r.status) + ": " +
                                 ProblemDetail(r));
    }
    json page = json::parse(r.body, nullptr, false);
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array()) {
      return Status::Internal("GET /v1/units: unexpected answer");
    }
    for (const json& item : page["items"]) {
      LCB_ASSIGN_OR_RETURN(Unit u, UnitFromServer(item));
      if (!u.id.starts_with(institution_ + ":")) continue;
      by_title_[u.title].push_back(u.id);
      units_.emplace(u.id, std::move(u));
    }
    if (!page.contains("next_cursor") || !page["next_cursor"].is_string()) break;
    cursor = page["next_cursor"].get<std::string>();
  }
  return Status::Ok();
}

StatusOr<std::optional<std::string>> HttpResolver::UnitByCode(std::string_view code) {
  std::string id = institution_ + ":" + std::string(code);
  if (units_.count(id)) return std::optional<std::string>(std::move(id));
  return std::optional<std::string>();
}

StatusOr<std::vector<std::string>> HttpResolver::UnitsByTitle(std::string_view title) {
  auto it = by_title_.find(std::string(title));
  return it == by_title_.end() ? std::vector<std::string>() : it->second;
}

StatusOr<std::vector<std::optional<std::string>>> HttpResolver::FindLearners(
    const std::vector<std::string>& ids) {
  std::vector<std::optional<std::string>> out(ids.size());
  Progress progress("learners", ids.size(), StderrIsTty());
  auto lookup_chunk = [&](RestClient& remote, size_t chunk) -> Status {
    const size_t first = chunk * kLookupBatch;
    const size_t n = std::min(kLookupBatch, ids.size() - first);
    const json body = {
        {"national_ids", std::vector<std::string>(ids.begin() + first, ids.begin() + first + n)}};
    LCB_ASSIGN_OR_RETURN(ClientResponse r,
                         remote.Send("POST", "/v1/learners/lookup", pool_.token(), Dump(body)));
    if (r.status != 200) return Refused("POST /v1/learners/lookup", r);
    return ReadLookupIds(r, first, n, &out);
  };
  LCB_RETURN_IF_ERROR(ForEachId(ids.size(), &progress, lookup_chunk, kLookupBatch));
  return out;
}

StatusOr<std::vector<std::string>> HttpResolver::CreateLearners(
    const std::vector<formats::NewLearner>& learners) {
  std::vector<std::string> out(learners.size());
  Progress progress("accounts", learners.size(), StderrIsTty());
  LCB_RETURN_IF_ERROR(
      ForEachId(learners.size(), &progress, [&](RestClient& remote, size_t i) -> Status {
        json body = {{"national_id", learners[i].national_id}};
        if (!learners[i].display_name.empty()) body["display_name"] = learners[i].display_name;
        if (!learners[i].region.empty()) body["region"] = learners[i].region;
        LCB_ASSIGN_OR_RETURN(ClientResponse r,
                             remote.Send("POST", "/v1/learners", pool_.token(), Dump(body)));
        if (r.status != 200 && r.status != 201) return Refused("POST /v1/learners", r);
        LCB_ASSIGN_OR_RETURN(std::optional<std::string> id, IdOf(r));
        out[i] = std::move(*id);
        return Status::Ok();
      }));
  return out;
}

Status HttpResolver::ForEachId(size_t n, Progress* progress,
                               const std::function<Status(RestClient&, size_t)>& step,
                               size_t chunk) {
  std::mutex mu;
  Status first = Status::Ok();
  std::atomic<size_t> done{0};
  const size_t chunks = (n + chunk - 1) / chunk;
  pool_.ParallelFor(chunks, [&](RestClient& remote, size_t c) {
    Status s = step(remote, c);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (first.ok()) first = s;
      return false;
    }
    progress->Update(done += std::min(chunk, n - c * chunk));
    return true;
  });
  if (first.ok()) {
    progress->Update(done, /*final=*/true);  // the phase's figures, also in a log
  } else {
    progress->Clear();
  }
  return first;
}

}  // namespace lcb::import_cli
