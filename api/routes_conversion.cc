// Conversions: evaluate (dry run), apply (logged), what-if, and the applied ones read back.
#include "api/handler_util.h"
#include "api/routes.h"
#include "api/views.h"
#include "codec/mapping.h"

namespace lcb {
namespace {

struct ConversionRequest {
  std::string learner;
  std::string program;
  Days as_of = 0;
};

StatusOr<ConversionRequest> ParseConversionRequest(const json& body) {
  LCB_RETURN_IF_ERROR(RejectUnknown(body, "", {"learner", "program", "as_of"}));
  ConversionRequest r;
  LCB_ASSIGN_OR_RETURN(r.learner, RequiredString(body, "learner", "", 128));
  LCB_ASSIGN_OR_RETURN(r.program, RequiredString(body, "program", "", 200));
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> as_of, OptionalString(body, "as_of", "", 10));
  r.as_of = TodayUtc();
  if (as_of) {
    LCB_ASSIGN_OR_RETURN(r.as_of, ParseDate(*as_of, "/as_of"));
  }
  return r;
}

// The program's institution acting for a learner needs the learner's grant.
Status MayConvert(LearnerService& learners, const Principal& p, const ConversionRequest& r,
                  bool apply) {
  auto colon = r.program.find(':');
  std::string owner = colon == std::string::npos ? "" : r.program.substr(0, colon);
  if (!apply && p.is_learner(r.learner)) return Status::Ok();
  if (p.is_institution(owner)) {
    if (learners.HasGrant(r.learner, owner)) return Status::Ok();
    return Status::NotFound("no learner '" + r.learner + "' has shared records with " + owner);
  }
  if (p.kind == RoleKind::kLearner) {
    return Status::PermissionDenied("a learner may evaluate only its own conversions");
  }
  return Status::PermissionDenied(apply ? "only the program's institution may apply a conversion"
                                        : "only the learner or the program's institution may "
                                          "evaluate this conversion");
}

}  // namespace

void AddConversionRoutes(Router& router, ConversionService& conversions, LearnerService& learners,
                         LogService& log) {
  ConversionService* b = &conversions;
  LearnerService* l = &learners;
  LogService* lg = &log;
  router.Add("POST", "/v1/conversions/evaluate", kLearnerRole | kInstitutionRole,
             "Dry run: the optimal conversion of a learner's records into a program, explained",
             [b, l](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               auto req = ParseConversionRequest(body);
               if (!req.ok()) return respond(ProblemResponse(req.status(), ctx.request.request_id));
               Status may = MayConvert(*l, ctx.principal, *req, false);
               if (!may.ok()) return respond(ProblemResponse(may, ctx.request.request_id));
               RespondWith(
                   ctx, respond, b->Evaluate(req->learner, req->program, req->as_of), 200,
                   [&](const ConversionResult& r) { return ConversionToJson(r, req->learner); });
             });
  router.Add("POST", "/v1/conversions", kInstitutionRole,
             "Apply: evaluate and append the decision to the log (the program's institution)",
             [b, l](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               auto req = ParseConversionRequest(body);
               if (!req.ok()) return respond(ProblemResponse(req.status(), ctx.request.request_id));
               Status may = MayConvert(*l, ctx.principal, *req, true);
               if (!may.ok()) return respond(ProblemResponse(may, ctx.request.request_id));
               std::string rid = ctx.request.request_id;
               b->Apply(req->learner, req->program, req->as_of, ctx.principal,
                        [respond, rid, learner = req->learner](StatusOr<AppliedConversion> r) {
                          if (!r.ok()) return respond(ProblemResponse(r.status(), rid));
                          respond(JsonResponse(201, AppliedConversionJson(*r, learner)));
                        });
             });
  router
      .Add("GET", "/v1/learners/{id}/what-if", kLearnerRole,
           "How far the learner's credits go in every program (?programs=all|a,b&limit=&as_of=)",
           [b](RouteContext& ctx, Respond respond) {
             const std::string learner = ctx.params["id"];
             if (!ctx.principal.is_learner(learner)) {
               return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                              ctx.request.request_id));
             }
             uint64_t limit = 0;
             if (!QueryLimit(ctx, respond, 20, 10000, &limit)) return;
             std::vector<std::string> programs;
             if (const std::string* p = ctx.request.Query("programs"); p && *p != "all") {
               size_t start = 0;
               while (start <= p->size()) {
                 size_t comma = p->find(',', start);
                 if (comma == std::string::npos) comma = p->size();
                 if (comma > start) programs.push_back(p->substr(start, comma - start));
                 start = comma + 1;
               }
               if (programs.size() > 10000) {
                 return respond(ProblemResponse(
                     Status::InvalidArgument(Field("/programs"), "at most 10000 programs"),
                     ctx.request.request_id));
               }
             }
             Days as_of = TodayUtc();
             if (const std::string* a = ctx.request.Query("as_of")) {
               auto d = ParseDate(*a, "/as_of");
               if (!d.ok()) return respond(ProblemResponse(d.status(), ctx.request.request_id));
               as_of = *d;
             }
             RespondWith(ctx, respond, b->WhatIf(learner, programs, as_of, limit == 0 ? 20 : limit),
                         200, [&](const WhatIfReport& r) { return WhatIfJson(r, learner, as_of); });
           })
      .Takes({StringParam("programs", "all (default), or program ids, comma separated"),
              LimitParam(20, 10000),
              StringParam("as_of", "the date to evaluate at, YYYY-MM-DD (default today, UTC)")});

  // Applied conversions read back: whoever may read the learner's data (an id of another
  // learner's conversion is 404, as an unknown one).
  router.Add("GET", "/v1/conversions/{id}", kLearnerDataReaders,
             "An applied conversion as logged, with its receipt (the learner, auditors, granted "
             "institutions)",
             [b, l, lg](RouteContext& ctx, Respond respond) {
               const std::string& id = ctx.params["id"];
               auto c = b->Read(id);
               if (!c.ok()) return respond(ProblemResponse(c.status(), ctx.request.request_id));
               if (!CanReadLearner(*l, ctx.principal, c->learner)) {
                 return respond(ProblemResponse(Status::NotFound("no conversion '" + id + "'"),
                                                ctx.request.request_id));
               }
               auto receipt = lg->VerifiedReceipt(c->leaf_index, c->entry_bytes);
               if (!receipt.ok())
                 return respond(ProblemResponse(receipt.status(), ctx.request.request_id));
               auto view = StoredConversionJson(*c, &*receipt);
               if (!view.ok())
                 return respond(ProblemResponse(view.status(), ctx.request.request_id));
               respond(JsonResponse(200, *view));
             });
  router
      .Add("GET", "/v1/learners/{id}/conversions", kLearnerDataReaders,
           "A learner's applied conversions, oldest first, paginated with a stable cursor",
           [b, l](RouteContext& ctx, Respond respond) {
             const std::string& learner = ctx.params["id"];
             if (!CanReadLearner(*l, ctx.principal, learner) || !l->Exists(learner)) {
               return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                              ctx.request.request_id));
             }
             uint64_t limit = 0;
             if (!QueryLimit(ctx, respond, 50, 1000, &limit)) return;
             const std::string* cursor = ctx.request.Query("cursor");
             auto page = b->List(learner, cursor ? *cursor : "", limit);
             if (!page.ok()) return respond(ProblemResponse(page.status(), ctx.request.request_id));
             json items = json::array();
             for (const StoredConversion& c : page->conversions) {
               auto item = StoredConversionJson(c, nullptr);
               if (!item.ok())
                 return respond(ProblemResponse(item.status(), ctx.request.request_id));
               items.push_back(std::move(item).value());
             }
             respond(JsonResponse(
                 200, json{{"conversions", std::move(items)},
                           {"next_cursor",
                            page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}}));
           })
      .Takes({CursorParam(), LimitParam(50, 1000)});
}

}  // namespace lcb
