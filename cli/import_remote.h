// `creditbank import`'s side of the HTTP API: several keep-alive connections (RemotePool), the
// server's catalog documents read back into engine types, and the registrar mapping's look-ups
// (HttpResolver). Every request goes through RestClient and its one retry policy.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cli/import_options.h"
#include "cli/import_progress.h"
#include "cli/rest_client.h"
#include "codec/json_util.h"
#include "engine/model.h"
#include "formats/mapping_apply.h"

namespace lcb::import_cli {

// Several keep-alive connections to the server, one RestClient each, and a way to spread work
// over them: ParallelFor hands out items by an atomic counter, one thread per connection.
class RemotePool {
 public:
  static StatusOr<std::unique_ptr<RemotePool>> Connect(const ImportOptions& o);

  RestClient& first() { return *remotes_.front(); }
  size_t size() const { return remotes_.size(); }
  // The bearer token of every request of the import.
  const std::string& token() const { return options_.token; }
  int retries() const;

  // Opens connections until there are `n`.
  Status Widen(size_t n);

  // Calls fn(remote, i) for every i in [0, n) over the first `workers` connections (all when
  // there are fewer); fn returns false to stop every worker (after the items already started).
  void ParallelFor(size_t n, const std::function<bool(RestClient&, size_t)>& fn,
                   size_t workers = SIZE_MAX);

 private:
  explicit RemotePool(const ImportOptions& o) : options_(o) {}
  ImportOptions options_;  // server, TLS settings and the token of every connection
  std::vector<std::unique_ptr<RestClient>> remotes_;
};

// The server's documents (tolerant: DESIGN.md lets fields be added).
StatusOr<Unit> UnitFromServer(const json& doc);
StatusOr<Institution> InstitutionFromServer(const json& doc);

// RegistrarResolver for the CLI: the institution's units are listed once (GET
// /v1/units?institution=, paginated) and matched locally; national IDs are looked up 1,000 at a
// time (POST /v1/learners/lookup) and accounts created (POST /v1/learners), over every
// connection.
class HttpResolver : public formats::RegistrarResolver {
 public:
  HttpResolver(RemotePool& pool, std::string institution)
      : pool_(pool), institution_(std::move(institution)) {}

  // Lists the institution's units; each one is also kept as a Unit for the recognition check.
  Status LoadUnits();
  const std::unordered_map<std::string, Unit>& units() const { return units_; }

  StatusOr<std::optional<std::string>> UnitByCode(std::string_view code) override;
  StatusOr<std::vector<std::string>> UnitsByTitle(std::string_view title) override;
  StatusOr<std::vector<std::optional<std::string>>> FindLearners(
      const std::vector<std::string>& ids) override;
  StatusOr<std::vector<std::string>> CreateLearners(
      const std::vector<formats::NewLearner>& learners) override;

 private:
  // Runs step(remote, c) for every chunk c of the n items (items [c * chunk, (c + 1) * chunk),
  // the last chunk shorter) over the pool, counting items in `progress`; the first failure is
  // returned.
  Status ForEachId(size_t n, Progress* progress,
                   const std::function<Status(RestClient&, size_t)>& step, size_t chunk = 1);

  RemotePool& pool_;
  std::string institution_;
  std::unordered_map<std::string, Unit> units_;
  std::unordered_map<std::string, std::vector<std::string>> by_title_;
};

}  // namespace lcb::import_cli
