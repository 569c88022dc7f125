// Transcripts: GET /v1/learners/{id}/transcript?format=pdf|clr (whoever may read the
// learner's records: CanReadLearner) and GET /v1/transcripts/{code} (anyone holding a code).
// This file owns the transcript route and dispatches on `format`; each format's handler
// plugs in below.
#include <algorithm>
#include <cctype>

#include "api/content_negotiation.h"
#include "api/handler_util.h"
#include "api/routes.h"
#include "codec/mapping.h"

namespace lcb {
namespace {

// Where the printed link and QR code point: the configured public URL, else the scheme and
// Host the request came with (a client that sends a false Host only misleads itself: the code
// is what verifies).
std::string VerificationBase(const TranscriptRouteOptions& options, const HttpRequest& request) {
  std::string base = options.public_url;
  if (base.empty()) {
    const std::string* host = request.Header("host");
    base = std::string(options.tls ? "https://" : "http://") +
           (host && !host->empty() ? *host : std::string("localhost"));
  }
  return base + "/v1/transcripts/";
}

void RespondPdf(TranscriptService& transcripts, const TranscriptRouteOptions& options,
                RouteContext& ctx, const Respond& respond) {
  auto issued = transcripts.IssuePdf(ctx.params["id"], VerificationBase(options, ctx.request));
  if (!issued.ok()) return respond(ProblemResponse(issued.status(), ctx.request.request_id));
  HttpResponse r;
  r.content_type = "application/pdf";
  r.body = std::move(issued->pdf);
  r.headers.emplace_back("Content-Disposition",
                         "inline; filename=\"transcript-" + ctx.params["id"] + ".pdf\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Verification-Code", issued->code);
  respond(std::move(r));
}

json CheckJson(const std::string& code, const TranscriptCheck& c) {
  json records = json::array();
  json revoked = json::array();
  for (const TranscriptEntryStatus& e : c.records) {
    json r = {{"id", e.id},
              {"unit", e.unit},
              {"issuer", e.issuer},
              {"credits", CreditsJson(e.credits)},
              {"status", e.revoked ? "revoked" : "active"}};
    if (e.revoked) {
      r["revoked_by"] = e.revoked_by;
      revoked.push_back(e.id);
    }
    records.push_back(std::move(r));
  }
  json out = {{"code", code},
              {"learner", c.held.learner},
              {"generated_at", c.held.generated_at},
              {"checkpoint",
               {{"origin", c.held.origin},
                {"tree_size", c.held.tree_size},
                {"root_hash", c.held.root_hash_hex}}},
              {"records", std::move(records)},
              {"total_credits", CreditsJson(c.held.total_centi)},
              {"any_revoked", c.any_revoked},
              {"revoked", std::move(revoked)}};
  if (!c.learner_name.empty()) out["learner_name"] = c.learner_name;
  return out;
}

}  // namespace

void AddTranscriptRoutes(Router& router, TranscriptService& transcripts, LearnerService& learners,
                         CredentialService& credentials, TranscriptRouteOptions options) {
  TranscriptService* t = &transcripts;
  LearnerService* l = &learners;
  CredentialService* creds = &credentials;
  router
      .Add(
          "GET", "/v1/learners/{id}/transcript", kLearnerDataReaders,
          "The learner's transcript: ?format=pdf (default; A4, bilingual, with a verification code "
          "and QR code) or clr",
          [t, l, creds, options](RouteContext& ctx, Respond respond) {
            const std::string& learner = ctx.params["id"];
            if (!CanReadLearner(*l, ctx.principal, learner)) {
              return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                             ctx.request.request_id));
            }
            const std::string* format = ctx.request.Query("format");
            if (!format || *format == "pdf") return RespondPdf(*t, options, ctx, respond);
            if (*format == "clr") return HandleClrTranscript(*creds, *l, ctx, std::move(respond));
            respond(ProblemResponse(Status::InvalidArgument(Field("/format"), "must be pdf or clr"),
                                    ctx.request.request_id));
          },
          RunOn::kBlockingPool)
      .Takes({StringParam("format", "pdf (default) or clr", {"pdf", "clr"}),
              StringParam("holder", "format=clr: the DID of the credential's subject")});
  router.Add("GET", "/v1/transcripts/{code}", kAnyone,
             "What the transcript of a verification code held, and whether any of its records "
             "has been revoked since",
             [t](RouteContext& ctx, Respond respond) {
               // Typed from the paper, a code may come in capitals.
               std::string code = ctx.params["code"];
               for (char& ch : code)
                 ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
               // A browser (a phone that scanned the QR code) is sent to the portal's page,
               // which shows the same answer to a person; programs get the JSON.
               const std::string* accept = ctx.request.Header("accept");
               const bool hex =
                   code.size() == 32 && std::all_of(code.begin(), code.end(), [](char ch) {
                     return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
                   });
               if (hex && PreferredMediaType(accept, {"application/json", "text/html"}) == 1) {
                 HttpResponse r = TextResponse(303, "");
                 r.headers.emplace_back("Location", "/portal/#/transcript/" + code);
                 r.headers.emplace_back("Cache-Control", "no-store");
                 return respond(std::move(r));
               }
               RespondWith(ctx, respond, t->Check(code), 200,
                           [&code](const TranscriptCheck& c) { return CheckJson(code, c); });
             });
}

}  // namespace lcb
