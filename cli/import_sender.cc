#include "cli/import_sender.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <string>

#include "codec/json_util.h"
#include "codec/mapping.h"

namespace lcb::import_cli {
namespace {

using formats::CellProblem;
using formats::MappedTable;

enum class BatchResult { kDone, kRejected, kTooLarge, kFatal };

class Sender {
 public:
  Sender(RemotePool& pool, const ImportOptions& options, const MappedTable& table,
         const std::vector<Row>& rows, Progress& progress, Tally& tally, BatchBodies* bodies)
      : pool_(pool),
        options_(options),
        table_(table),
        rows_(rows),
        progress_(progress),
        tally_(tally),
        bodies_(bodies),
        batch_(options.batch) {}

  // Sends every row; returns false when it had to stop early (the rest counted as failed).
  bool Run() {
    auto post = [&](RestClient& remote, std::vector<size_t>& part) {
      BatchResult result = Post(remote, part);
      if (result == BatchResult::kRejected) {
        std::lock_guard<std::mutex> lock(tally_.mu);
        tally_.failed += part.size();
      }
      return result;
    };
    return ForEachBatch(static_cast<size_t>(options_.connections), post);
  }

  // Rows handled so far: stored, dropped by the server's verdict, or failed.
  size_t processed() const { return processed_; }
  size_t unhandled() const { return rows_.size() - processed_; }

  // Asks the server to validate every batch without storing it (POST ?dry_run=true), which
  // catches what the file and catalog cannot show, such as unknown learner accounts, before
  // anything is stored. Problems are appended to `problems`; false when the check itself
  // could not be made (a message was printed).
  bool Check(std::vector<CellProblem>* problems) {
    std::mutex mu;
    return ForEachBatch(pool_.size(), [&](RestClient& remote, std::vector<size_t>& part) {
      std::string body = Body(part);
      auto r = remote.Send("POST", "/v1/records?dry_run=true", options_.token, body);
      if (r.ok() && r->status == 200 && bodies_ != nullptr) {
        bodies_->Keep(part.front(), part.size(), std::move(body));
      }
      if (!r.ok()) {
        Say("creditbank import: cannot check " + Lines(part) +
            " with the server: " + r.status().message());
        return BatchResult::kFatal;
      }
      if (r->status == 200) return BatchResult::kDone;
      if (r->status == 413 && part.size() > 1) return BatchResult::kTooLarge;
      RowProblemMap found = (r->status == 400 || r->status == 403 || r->status == 409)
                                ? RowProblems(*r, part)
                                : RowProblemMap();
      if (found.empty()) {
        Say("creditbank import: cannot check " + Lines(part) + " with the server: it answered " +
            std::to_string(r->status) + ": " + ProblemDetail(*r));
        return BatchResult::kFatal;
      }
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [idx, row_problems] : found) {
        for (CellProblem& p : row_problems) problems->push_back(std::move(p));
      }
      return BatchResult::kRejected;
    });
  }

 private:
  void Say(const std::string& message) {
    progress_.Clear();
    std::lock_guard<std::mutex> lock(PrintMutex());
    std::fprintf(stderr, "%s\n", message.c_str());
  }

  // The request body for rows_[part...]: {"records": [...]}.
  std::string Body(const std::vector<size_t>& part) const {
    json records = json::array();
    for (size_t idx : part) records.push_back(RecordInputToJson(rows_[idx].input));
    return Dump(json{{"records", std::move(records)}});
  }

  // Walks the rows in batches over `workers` of the pool's connections, calling step(remote, part)
  // with the row indexes of each. A kTooLarge answer (413) halves the batch size for the rest and
  // retries this batch in halves; kFatal, or kTooLarge at size 1, stops every connection:
  // false.
  template <class Step>
  bool ForEachBatch(size_t workers, Step step) {
    const size_t batches = (rows_.size() + batch_ - 1) / batch_;
    const size_t first_batch = batch_;
    std::atomic<bool> ok{true};
    pool_.ParallelFor(
        batches,
        [&](RestClient& remote, size_t b) {
          const size_t begin = b * first_batch;
          const size_t end = std::min(rows_.size(), begin + first_batch);
          if (!Range(remote, begin, end, step)) {
            ok.store(false);
            return false;
          }
          return true;
        },
        workers);
    return ok.load();
  }

  template <class Step>
  bool Range(RestClient& remote, size_t begin, size_t end, Step& step) {
    while (begin < end) {
      const size_t n = std::min(batch_.load(), end - begin);
      std::vector<size_t> part(n);
      for (size_t i = 0; i < n; ++i) part[i] = begin + i;
      BatchResult result = step(remote, part);
      if (result == BatchResult::kTooLarge && n > 1) {
        const size_t smaller = std::max<size_t>(1, n / 2);
        size_t expected = batch_.load();
        while (expected > smaller && !batch_.compare_exchange_weak(expected, smaller)) {
        }
        if (expected > smaller) {
          Say("import: the server refused " + std::to_string(n) +
              " records in one request; using batches of " + std::to_string(smaller));
        }
        continue;
      }
      if (result == BatchResult::kTooLarge || result == BatchResult::kFatal) return false;
      begin += n;
      progress_.Update(processed_ += n);
    }
    return true;
  }

  std::string Lines(const std::vector<size_t>& part) const {
    return "lines " + std::to_string(rows_[part.front()].line) + "-" +
           std::to_string(rows_[part.back()].line);
  }

  // Row problems named by a rejection: errors[].pointer and the top-level pointer
  // ("/records/<i>/<field>", i indexing `part`), every one of a row in the answer's order (the
  // top-level pointer repeats the first error). Keyed by index into `part`.
  using RowProblemMap = std::map<size_t, std::vector<CellProblem>>;
  RowProblemMap RowProblems(const ClientResponse& r, const std::vector<size_t>& part) const {
    RowProblemMap out;
    json doc = json::parse(r.body, nullptr, false);
    if (!doc.is_object()) return out;
    auto add = [&](const json& pointer, const json& detail) {
      if (!pointer.is_string()) return;
      const std::string& p = pointer.get_ref<const std::string&>();
      if (!p.starts_with("/records/")) return;
      size_t slash = p.find('/', 9);
      std::string digits = p.substr(9, slash == std::string::npos ? std::string::npos : slash - 9);
      if (digits.empty() || digits.size() > 9 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return;
      }
      size_t idx = std::stoul(digits);
      if (idx >= part.size()) return;
      std::string field = slash == std::string::npos ? "" : p.substr(slash);
      const Row& row = rows_[part[idx]];
      out[idx].push_back(formats::ProblemForField(
          table_, row.line, field, detail.is_string() ? detail.get<std::string>() : "rejected"));
    };
    if (doc.contains("errors") && doc["errors"].is_array()) {
      for (const auto& e : doc["errors"]) {
        if (e.is_object()) add(e.value("pointer", json()), e.value("detail", json()));
      }
    }
    if (out.empty() && doc.contains("pointer")) add(doc["pointer"], doc.value("detail", json()));
    return out;
  }

  // Posts rows_[part...]; with --skip-invalid, rows the server rejects are dropped from `part`
  // (and counted as skipped) until the rest is stored.
  BatchResult Post(RestClient& remote, std::vector<size_t>& part) {
    while (!part.empty()) {
      std::string body;
      if (bodies_ != nullptr && part.back() - part.front() + 1 == part.size()) {
        body = bodies_->Take(part.front(), part.size());
      }
      if (body.empty()) body = Body(part);
      auto r = remote.Send("POST", "/v1/records", options_.token, body);
      if (!r.ok()) {
        Say("creditbank import: " + Lines(part) + " not stored: " + r.status().message());
        return BatchResult::kFatal;
      }
      if (r->status == 200 || r->status == 201) return Count(*r, part);
      if (r->status == 413) return BatchResult::kTooLarge;
      RowProblemMap problems = (r->status == 400 || r->status == 403 || r->status == 409)
                                   ? RowProblems(*r, part)
                                   : RowProblemMap();
      progress_.Clear();
      if (problems.empty()) {
        Say("creditbank import: " + Lines(part) + " not stored: the server answered " +
            std::to_string(r->status) + ": " + ProblemDetail(*r));
        return BatchResult::kFatal;
      }
      if (!options_.skip_invalid) {
        for (const auto& [idx, row_problems] : problems) {
          for (const CellProblem& p : row_problems) PrintProblem(p);
        }
        Say("import: the server rejected the batch of " + Lines(part) + " (" +
            std::to_string(part.size()) + " records); none of them was stored");
        return BatchResult::kRejected;
      }
      std::vector<size_t> keep;
      keep.reserve(part.size());
      for (size_t i = 0; i < part.size(); ++i) {
        auto it = problems.find(i);
        if (it == problems.end()) {
          keep.push_back(part[i]);
        } else {
          for (const CellProblem& p : it->second) PrintProblem(p, " (skipped)");
          std::lock_guard<std::mutex> lock(tally_.mu);
          ++tally_.skipped;
        }
      }
      part = std::move(keep);
    }
    return BatchResult::kDone;
  }

  // Counts created and existing records in a 200/201 answer. The server writes each record's
  // "status" as a fixed token (api/bank.cc), so counting the tokens avoids parsing the receipts
  // (about 1.3 KB of proof per record); a count that does not add up falls back to parsing.
  BatchResult Count(const ClientResponse& r, const std::vector<size_t>& part) {
    size_t created = Occurrences(r.body, "\"status\":\"created\"");
    size_t existing = Occurrences(r.body, "\"status\":\"existing\"");
    if (created + existing != part.size()) {
      json doc = json::parse(r.body, nullptr, false);
      if (!doc.is_object() || !doc.contains("records") || !doc["records"].is_array() ||
          doc["records"].size() != part.size()) {
        Say("creditbank import: " + Lines(part) + ": unexpected answer from the server");
        return BatchResult::kFatal;
      }
      created = existing = 0;
      for (const auto& rec : doc["records"]) {
        ++(rec.value("status", "") == "existing" ? existing : created);
      }
    }
    std::lock_guard<std::mutex> lock(tally_.mu);
    tally_.created += created;
    tally_.existing += existing;
    return BatchResult::kDone;
  }

  static size_t Occurrences(std::string_view text, std::string_view token) {
    size_t n = 0;
    for (size_t at = text.find(token); at != std::string_view::npos;
         at = text.find(token, at + token.size())) {
      ++n;
    }
    return n;
  }

  RemotePool& pool_;
  const ImportOptions& options_;
  const MappedTable& table_;
  const std::vector<Row>& rows_;
  Progress& progress_;
  Tally& tally_;
  BatchBodies* bodies_;  // may be null
  std::atomic<size_t> batch_;
  std::atomic<size_t> processed_{0};
};

}  // namespace

std::string BatchBodies::Take(size_t first, size_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bodies_.find(first);
  if (it == bodies_.end() || it->second.first != count) return "";
  std::string body = std::move(it->second.second);
  bodies_.erase(it);
  bytes_ -= body.size();
  return body;
}

void BatchBodies::Keep(size_t first, size_t count, std::string body) {
  std::lock_guard<std::mutex> lock(mu_);
  if (bytes_ + body.size() > kMaxBytes) return;
  auto [it, inserted] = bodies_.try_emplace(first, count, std::string());
  if (!inserted) bytes_ -= it->second.second.size();
  bytes_ += body.size();
  it->second = {count, std::move(body)};
}

bool CheckBatches(RemotePool& pool, const ImportOptions& options, const MappedTable& table,
                  const std::vector<Row>& rows, Progress& progress,
                  std::vector<CellProblem>* problems, BatchBodies* bodies) {
  Tally unused;
  Sender checker(pool, options, table, rows, progress, unused, bodies);
  return checker.Check(problems);
}

SendOutcome SendBatches(RemotePool& pool, const ImportOptions& options, const MappedTable& table,
                        const std::vector<Row>& rows, Progress& progress, Tally& tally,
                        BatchBodies* bodies) {
  Sender sender(pool, options, table, rows, progress, tally, bodies);
  SendOutcome out;
  out.completed = sender.Run();
  out.processed = sender.processed();
  out.unhandled = sender.unhandled();
  return out;
}

}  // namespace lcb::import_cli
