// Records, learners, grants and the passbook.
#include <regex>

#include "api/handler_util.h"
#include "api/mapping.h"
#include "api/routes.h"
#include "common/csv.h"
#include "common/encoding.h"
#include "crypto/jws.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

StatusOr<json> RecordView(Bank& bank, const StoredRecord& r) {
  LCB_ASSIGN_OR_RETURN(json receipt, bank.VerifiedReceipt(r.leaf_index, r.bytes));
  json out = {{"record", r.entry}, {"status", r.status}, {"receipt", receipt}};
  if (!r.revoked_by.empty()) out["revoked_by"] = r.revoked_by;
  return out;
}

// Turns "/records/<i>/field" into the CSV line of row i, for registrars fixing their file.
void AddCsvLines(HttpResponse* r, const std::vector<int>& lines) {
  json doc = json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("errors")) return;
  for (auto& e : doc["errors"]) {
    std::string ptr = e.value("pointer", "");
    if (!ptr.starts_with("/records/")) continue;
    size_t idx = std::strtoul(ptr.c_str() + 9, nullptr, 10);
    if (idx < lines.size()) {
      e["line"] = lines[idx];
      auto slash = ptr.find('/', 9);
      e["field"] = slash == std::string::npos ? "" : ptr.substr(slash + 1);
    }
  }
  r->body = Dump(doc);
}

// Verifies an X-JWS-Signature over the exact body bytes with the institution's keys.
Status VerifySubmission(Bank& bank, const std::string& issuer, const HttpRequest& req,
                        std::string* jws_out) {
  const std::string* jws = req.Header("x-jws-signature");
  auto inst = bank.GetInstitutionJson(issuer);
  bool required = inst.ok() && inst->value("require_signatures", false);
  if (!jws) {
    if (required) {
      return Status::Unauthenticated(
          "institution '" + issuer + "' requires signed submissions: send X-JWS-Signature");
    }
    return Status::Ok();
  }
  if (!inst.ok()) return inst.status();
  json keys = inst->value("public_keys", json::array());
  auto lookup = [&keys](std::string_view kid) -> std::optional<std::string> {
    for (const auto& k : keys) {
      if (k.value("kid", "") == kid) {
        auto x = Base64UrlDecode(k.value("x", ""));
        if (x) return *x;
      }
    }
    return std::nullopt;
  };
  auto verified = VerifyDetachedJws(*jws, req.body, lookup);
  if (!verified.ok()) {
    return Status::Unauthenticated("X-JWS-Signature does not verify: " +
                                   verified.status().message());
  }
  *jws_out = *jws;
  return Status::Ok();
}

void PostRecords(Bank& bank, RouteContext& ctx, Respond respond) {
  const HttpRequest& req = ctx.request;
  const std::string issuer = ctx.principal.subject;
  std::string jws;
  Status sig = VerifySubmission(bank, issuer, req, &jws);
  if (!sig.ok()) return respond(ProblemResponse(sig, req.request_id));
  std::vector<RecordInput> inputs;
  std::vector<int> csv_lines;
  bool batch = true;
  const std::string* type = req.Header("content-type");
  const int max_batch = bank.config().max_batch;
  if (type && type->find("text/csv") != std::string::npos) {
    auto table = ParseCsv(req.body);
    if (!table.ok()) return respond(ProblemResponse(table.status(), req.request_id));
    Status header = ValidateRecordCsvHeader(table->header);
    if (!header.ok()) {
      return respond(ProblemResponse(
          Status::InvalidArgument(
              Field("/header" + header.pointer()),
              "CSV header (line " + std::to_string(table->header_line) + "): " + header.message()),
          req.request_id));
    }
    if (table->rows.size() > static_cast<size_t>(max_batch)) {
      return respond(ProblemResponse(
          Status::ResourceExhausted(Field("/records"),
                                    "a request holds at most " + std::to_string(max_batch) +
                                        " records; split the file (creditbank import does)"),
          req.request_id));
    }
    BatchErrors errors;
    for (size_t i = 0; i < table->rows.size(); ++i) {
      auto in = RecordInputFromCsvRow(table->header, table->rows[i].fields);
      csv_lines.push_back(table->rows[i].line);
      if (!in.ok()) {
        errors.errors.push_back(in.status().WithPointerPrefix("/records/" + std::to_string(i)));
        inputs.emplace_back();
        continue;
      }
      inputs.push_back(std::move(in).value());
    }
    if (!errors.empty()) {
      HttpResponse r = BatchProblem(errors.errors.front(), errors, req.request_id);
      AddCsvLines(&r, csv_lines);
      return respond(std::move(r));
    }
  } else if (auto fast = JsonBodyType(req) ? ParseRecordBatchFast(req.body, max_batch)
                                             : std::nullopt) {
    inputs = std::move(*fast);  // a valid batch, read without building a JSON tree
  } else {
    json body;
    if (!ParseJsonRequest(ctx, respond, &body)) return;
    if (body.contains("records")) {
      const json& arr = body["records"];
      if (!arr.is_array()) {
        return respond(ProblemResponse(
            Status::InvalidArgument(Field("/records"), "must be an array"), req.request_id));
      }
      if (body.size() != 1) {
        return respond(ProblemResponse(
            Status::InvalidArgument(Field(""), "a batch is {\"records\": [...]} and nothing else"),
            req.request_id));
      }
      if (arr.size() > static_cast<size_t>(max_batch)) {
        return respond(ProblemResponse(
            Status::ResourceExhausted(Field("/records"),
                                      "a batch holds at most " + std::to_string(max_batch) +
                                          " records, this one has " + std::to_string(arr.size())),
            req.request_id));
      }
      BatchErrors errors;
      for (size_t i = 0; i < arr.size(); ++i) {
        auto in = RecordInputFromJson(arr[i], "/records/" + std::to_string(i));
        if (!in.ok()) {
          if (errors.errors.size() < 1000) errors.errors.push_back(in.status());
          continue;
        }
        inputs.push_back(std::move(in).value());
      }
      if (!errors.empty()) {
        return respond(BatchProblem(errors.errors.front(), errors, req.request_id));
      }
    } else {
      batch = false;
      auto in = RecordInputFromJson(body, "");
      if (!in.ok()) return respond(ProblemResponse(in.status(), req.request_id));
      inputs.push_back(std::move(in).value());
    }
  }
  std::string body_sha = jws.empty() ? "" : HashHex(Sha256(req.body));
  std::string request_id = req.request_id;
  if (const std::string* dry = req.Query("dry_run"); dry && (*dry == "true" || *dry == "1")) {
    // Validation only: every check except idempotency conflicts, nothing stored.
    BatchErrors errors;
    auto entries = bank.ValidateRecords(issuer, inputs, batch, jws, body_sha, &errors);
    if (!entries.ok()) {
      HttpResponse r = BatchProblem(entries.status(), errors, request_id);
      if (!csv_lines.empty()) AddCsvLines(&r, csv_lines);
      return respond(std::move(r));
    }
    json ids = json::array();
    for (const auto& e : *entries) ids.push_back(e.id);
    return respond(JsonResponse(200, json{{"dry_run", true}, {"valid", entries->size()}, {"ids", ids}}));
  }
  bank.PostRecords(issuer, std::move(inputs), batch, jws, body_sha,
                   [respond, request_id, csv_lines](StatusOr<Bank::PostResult> result,
                                                    BatchErrors errors) {
                     if (!result.ok()) {
                       HttpResponse r = BatchProblem(result.status(), errors, request_id);
                       if (!csv_lines.empty()) AddCsvLines(&r, csv_lines);
                       return respond(std::move(r));
                     }
                     HttpResponse r;
                     r.status = result->http_status;
                     r.body = std::move(result->body_text);
                     respond(std::move(r));
                   });
}

}  // namespace

void AddRecordRoutes(Router& router, Bank& bank) {
  Bank* b = &bank;
  router.Add("POST", "/v1/records", kInstitutionRole,
             "Post one record, a batch {records: [...]} (at most max_batch), or text/csv; atomic; "
             "?dry_run=true validates only",
             [b](RouteContext& ctx, Respond respond) { PostRecords(*b, ctx, std::move(respond)); });

  router.Add("GET", "/v1/records/{id}", kAnyAuthenticated,
             "A record with its status and receipt (issuer, the learner, auditors, granted "
             "institutions)",
             [b](RouteContext& ctx, Respond respond) {
               auto rec = b->ReadRecord(ctx.params["id"]);
               if (!rec.ok()) return respond(ProblemResponse(rec.status(), ctx.request.request_id));
               if (!CanReadRecord(*b, ctx.principal, *rec)) {
                 return respond(ProblemResponse(Status::NotFound("no record '" + ctx.params["id"] + "'"),
                                                ctx.request.request_id));
               }
               auto view = RecordView(*b, *rec);
               if (!view.ok()) return respond(ProblemResponse(view.status(), ctx.request.request_id));
               respond(JsonResponse(200, *view));
             });

  router.Add("POST", "/v1/records/{id}/revoke", kInstitutionRole,
             "Revoke a record (its issuer): a new log entry; the record stays readable",
             [b](RouteContext& ctx, Respond respond) {
               json body = json::object();
               if (!ctx.request.body.empty() && !ParseJsonRequest(ctx, respond, &body)) return;
               Status s = RejectUnknown(body, "", {"reason"});
               auto reason = OptionalString(body, "reason", "", 500);
               if (s.ok() && !reason.ok()) s = reason.status();
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               std::string rid = ctx.request.request_id;
               b->RevokeRecord(ctx.params["id"], ctx.principal.subject,
                               reason->value_or("revoked by issuer"),
                               [respond, rid](StatusOr<json> r) {
                                 if (!r.ok()) return respond(ProblemResponse(r.status(), rid));
                                 respond(JsonResponse(200, *r));
                               });
             });

  router.Add("POST", "/v1/records/{id}/correct", kInstitutionRole,
             "Correct a record (its issuer): revokes it and posts {record} with supersedes",
             [b](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               Status s = RejectUnknown(body, "", {"record", "reason"});
               auto reason = OptionalString(body, "reason", "", 500);
               if (s.ok() && !reason.ok()) s = reason.status();
               if (s.ok() && !body.contains("record")) {
                 s = Status::InvalidArgument(Field("/record"), "is required");
               }
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               auto in = RecordInputFromJson(body["record"], "/record");
               if (!in.ok()) return respond(ProblemResponse(in.status(), ctx.request.request_id));
               std::string rid = ctx.request.request_id;
               b->CorrectRecord(ctx.params["id"], ctx.principal.subject, std::move(in).value(),
                                reason->value_or("corrected by issuer"),
                                [respond, rid](StatusOr<Bank::PostResult> r, BatchErrors errors) {
                                  if (!r.ok()) return respond(BatchProblem(r.status(), errors, rid));
                                  json out = json::parse(r->body_text);
                                  out["revocation"] = out["records"][0];
                                  out["record"] = out["records"][1];
                                  out.erase("records");
                                  respond(JsonResponse(201, out));
                                });
             });

  router.Add("POST", "/v1/learners", kAdmin | kInstitutionRole,
             "Create a learner account; with national_id, one account per person",
             [b](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               auto r = b->CreateLearner(body, ctx.principal);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               int status = (*r)["created"].get<bool>() ? 201 : 200;
               respond(JsonResponse(status, *r));
             });

  router.Add("GET", "/v1/learners/lookup", kAdmin | kInstitutionRole,
             "Find a learner id by national ID (matched by HMAC; never stored in clear)",
             [b](RouteContext& ctx, Respond respond) {
               const std::string* nid = ctx.request.Query("national_id");
               if (!nid || nid->empty()) {
                 return respond(ProblemResponse(
                     Status::InvalidArgument(Field("/national_id"), "query parameter is required"),
                     ctx.request.request_id));
               }
               auto id = b->LookupLearner(*nid);
               if (!id.ok()) return respond(ProblemResponse(id.status(), ctx.request.request_id));
               respond(JsonResponse(200, json{{"id", *id}}));
             });

  router.Add("GET", "/v1/learners/{id}/records", kAnyAuthenticated,
             "A learner's records, oldest first, paginated with a stable cursor",
             [b](RouteContext& ctx, Respond respond) {
               const std::string& learner = ctx.params["id"];
               if (!CanReadLearner(*b, ctx.principal, learner) || !b->LearnerExists(learner)) {
                 return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                                ctx.request.request_id));
               }
               uint64_t limit = 0;
               if (!QueryUint(ctx, respond, "limit", 50, 1000, &limit)) return;
               if (limit == 0) limit = 50;
               const std::string* cursor = ctx.request.Query("cursor");
               std::string next;
               auto recs = b->LearnerRecords(learner, cursor ? *cursor : "", limit, &next);
               if (!recs.ok()) return respond(ProblemResponse(recs.status(), ctx.request.request_id));
               json items = json::array();
               for (const auto& r : *recs) {
                 json item = r.entry;
                 item["status"] = r.status;
                 item["leaf_index"] = r.leaf_index;
                 items.push_back(std::move(item));
               }
               respond(JsonResponse(200, json{{"records", items},
                                              {"next_cursor", next.empty() ? json(nullptr) : json(next)}}));
             });

  router.Add("GET", "/v1/learners/{id}/passbook", kAnyAuthenticated,
             "Totals of active credits by kind, level, field, issuer and year; what expires",
             [b](RouteContext& ctx, Respond respond) {
               const std::string& learner = ctx.params["id"];
               if (!CanReadLearner(*b, ctx.principal, learner)) {
                 return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                                ctx.request.request_id));
               }
               if (!b->LearnerExists(learner)) {
                 return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                                ctx.request.request_id));
               }
               auto p = b->PassbookText(learner, TodayUtc());
               if (!p.ok()) return respond(ProblemResponse(p.status(), ctx.request.request_id));
               HttpResponse r;
               r.body = std::move(p).value();
               respond(std::move(r));
             });

  router.Add("POST", "/v1/learners/{id}/grants", kLearnerRole,
             "The learner shares its records with an institution (needed for conversion)",
             [b](RouteContext& ctx, Respond respond) {
               const std::string& learner = ctx.params["id"];
               if (!ctx.principal.is_learner(learner)) {
                 return respond(ProblemResponse(
                     Status::PermissionDenied("only the learner may grant access to its records"),
                     ctx.request.request_id));
               }
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               auto r = b->PutGrant(learner, body);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(201, *r));
             });

  router.Add("GET", "/v1/learners/{id}/grants", kLearnerRole,
             "The institutions the learner shares its records with",
             [b](RouteContext& ctx, Respond respond) {
               const std::string& learner = ctx.params["id"];
               if (!ctx.principal.is_learner(learner)) {
                 return respond(ProblemResponse(Status::PermissionDenied("only the learner"),
                                                ctx.request.request_id));
               }
               auto r = b->ListGrants(learner);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });

  router.Add("DELETE", "/v1/learners/{id}/grants/{institution}", kLearnerRole,
             "Withdraw a grant", [b](RouteContext& ctx, Respond respond) {
               const std::string& learner = ctx.params["id"];
               if (!ctx.principal.is_learner(learner)) {
                 return respond(ProblemResponse(Status::PermissionDenied("only the learner"),
                                                ctx.request.request_id));
               }
               Status s = b->DeleteGrant(learner, ctx.params["institution"]);
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               respond(JsonResponse(200, json{{"learner", learner},
                                              {"institution", ctx.params["institution"]},
                                              {"status", "withdrawn"}}));
             });
}

}  // namespace lcb
