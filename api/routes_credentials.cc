// Portable credentials over HTTP (DESIGN.md, "Portable credentials"): the issuer's keys and
// DID documents, a record's credential in three forms, status lists, verification (the bank's
// own endpoint and the W3C VC-API one) and the CLR transcript.
#include <algorithm>

#include "api/handler_util.h"
#include "api/routes.h"
#include "api/views.h"
#include "vc/safe_mode.h"

namespace lcb {
namespace {

// Status lists change only on a revocation; a short max-age bounds how long a cache may hide
// one (DESIGN.md: "reflected as soon as its log entry is committed" at the origin).
constexpr char kStatusListCacheControl[] = "public, max-age=60";
constexpr size_t kMaxVerifyBytes = 1 << 20;

// Whether the body is within what any credential needs (1 MiB); else it has responded 413.
// Checked before the body is parsed.
bool CredentialBodyFits(const RouteContext& ctx, const Respond& respond) {
  if (ctx.request.body.size() <= kMaxVerifyBytes) return true;
  respond(
      ProblemResponse(Status::ResourceExhausted(Field("/body"), "a credential is at most 1 MiB"),
                      ctx.request.request_id));
  return false;
}

HttpResponse Typed(int status, std::string body, std::string_view type) {
  return TextResponse(status, std::move(body), std::string(type));
}

// ?format= of a credential route; answers 400 itself and returns nullopt on a bad value.
std::optional<vc::CredentialFormat> FormatParam(const RouteContext& ctx, const Respond& respond) {
  const std::string* f = ctx.request.Query("format");
  if (f == nullptr) return vc::CredentialFormat::kDataIntegrity;
  auto format = vc::ParseFormat(*f);
  if (!format) {
    respond(ProblemResponse(
        Status::InvalidArgument(Field("/format"), "must be one of di, jwt, ob3-jwt"),
        ctx.request.request_id));
  }
  return format;
}

// ?holder=DID binds the credential to a wallet: the bank then signs that the DID's controller is
// the learner. Only the learner may say so; anyone else who may read the record (its issuer, a
// granted institution, an auditor) gets it unbound. 403 at /holder otherwise.
StatusOr<std::string> HolderParam(const RouteContext& ctx, const std::string& learner) {
  const std::string* h = ctx.request.Query("holder");
  if (h == nullptr) return std::string();
  if (!ctx.principal.is_learner(learner)) {
    return Status::PermissionDenied(Field("/holder"),
                                    "only the learner may bind a credential to a holder DID");
  }
  return *h;
}

void GetRecordCredential(CredentialService& creds, RecordService& records, LearnerService& learners,
                         RouteContext& ctx, Respond respond) {
  const std::string& rid = ctx.request.request_id;
  auto format = FormatParam(ctx, respond);
  if (!format) return;
  auto rec = records.Read(ctx.params["id"]);
  if (!rec.ok()) return respond(ProblemResponse(rec.status(), rid));
  if (!CanReadRecord(learners, ctx.principal, *rec)) {
    return respond(ProblemResponse(Status::NotFound("no record '" + ctx.params["id"] + "'"), rid));
  }
  auto holder = HolderParam(ctx, rec->record.learner);
  if (!holder.ok()) return respond(ProblemResponse(holder.status(), rid));
  auto issued = creds.RecordCredential(*rec, *format, *holder);
  if (!issued.ok()) return respond(ProblemResponse(issued.status(), rid));
  HttpResponse r = Typed(200, std::move(issued->body), issued->media_type);
  r.headers.emplace_back("Cache-Control", "private, no-store");
  respond(std::move(r));
}

void GetStatusList(CredentialService& creds, RouteContext& ctx, Respond respond) {
  auto list = creds.StatusList(ctx.params["list"]);
  if (!list.ok()) return respond(ProblemResponse(list.status(), ctx.request.request_id));
  HttpResponse r;
  r.headers.emplace_back("Cache-Control", kStatusListCacheControl);
  r.headers.emplace_back("ETag", (*list)->etag);
  const std::string* match = ctx.request.Header("if-none-match");
  if (match != nullptr && *match == (*list)->etag) {
    r.status = 304;
    r.content_type.clear();
    return respond(std::move(r));
  }
  r.content_type = std::string(vc::MediaType(vc::CredentialFormat::kDataIntegrity));
  r.body = (*list)->body;
  respond(std::move(r));
}

// POST /v1/credentials/verify: the body is the credential (JSON) or a compact JWS (text).
void PostVerify(CredentialService& creds, RouteContext& ctx, Respond respond) {
  const std::string& body = ctx.request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return respond(ProblemResponse(
        Status::InvalidArgument(Field("/body"), "a credential (JSON) or a compact JWS is required"),
        ctx.request.request_id));
  }
  if (!CredentialBodyFits(ctx, respond)) return;
  respond(JsonResponse(200, creds.Verify(body).ToJson()));
}

// The VC-API verify request: {"verifiableCredential": object | compact JWS, "options"?:
// {"checks"?: [string]}}.
Status CheckVcApiVerifyRequest(const json& body) {
  LCB_RETURN_IF_ERROR(RejectUnknown(body, "", {"verifiableCredential", "options"}));
  auto vc = body.find("verifiableCredential");
  if (vc == body.end() || !(vc->is_object() || vc->is_string())) {
    return Status::InvalidArgument(Field("/verifiableCredential"),
                                   "is required: a credential object or a compact JWS string");
  }
  if (auto options = body.find("options"); options != body.end()) {
    if (!options->is_object())
      return Status::InvalidArgument(Field("/options"), "must be an object");
    if (auto checks = options->find("checks"); checks != options->end()) {
      if (!checks->is_array()) {
        return Status::InvalidArgument(Field("/options/checks"), "must be an array of strings");
      }
      for (size_t i = 0; i < checks->size(); ++i) {
        if (!(*checks)[i].is_string()) {
          return Status::InvalidArgument(Field("/options/checks/" + std::to_string(i)),
                                         "must be a string");
        }
      }
    }
  }
  return Status::Ok();
}

void PostVcApiVerify(CredentialService& creds, RouteContext& ctx, Respond respond) {
  json body;
  if (!ParseJsonRequest(ctx, respond, &body)) return;
  Status s = CheckVcApiVerifyRequest(body);
  if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
  const json& credential = body["verifiableCredential"];
  vc::VerificationResult result = credential.is_string()
                                      ? creds.Verify(credential.get<std::string>())
                                      : creds.VerifyJson(credential);
  if (credential.is_object()) {
    // What a JSON-LD processor in safe mode would reject does not verify (DESIGN.md, VC-API).
    Status safe = vc::CheckJsonLdSafeMode(credential);
    if (!safe.ok()) {
      result.errors.push_back(
          {std::string(vc::reason::kMalformed), safe.message(), safe.pointer()});
      result.verified = false;
    }
  }
  json errors = json::array();
  for (const vc::VerifyError& e : result.errors) {
    json err = {{"reason", e.reason}, {"message", e.message}};
    if (!e.pointer.empty()) err["pointer"] = e.pointer;
    errors.push_back(std::move(err));
  }
  respond(JsonResponse(result.verified ? 200 : 400, json{{"verified", result.verified},
                                                         {"checks", result.checks},
                                                         {"warnings", json::array()},
                                                         {"errors", std::move(errors)}}));
}

// POST /vc-api/credentials/issue {"credential", "options"?: object}: admin, and only when the
// configuration enables vc_api.issue (404 otherwise: the endpoint does not exist for clients).
void PostVcApiIssue(CredentialService& creds, RouteContext& ctx, Respond respond) {
  const std::string& rid = ctx.request.request_id;
  if (!creds.vc_api_issue_enabled()) {
    return respond(ProblemResponse(
        Status::NotFound("VC-API issuing is not enabled (configuration key vc_api.issue)"), rid));
  }
  json body;
  if (!ParseJsonRequest(ctx, respond, &body)) return;
  Status s = RejectUnknown(body, "", {"credential", "options"});
  if (s.ok() && !body.contains("credential")) {
    s = Status::InvalidArgument(Field("/credential"), "is required");
  }
  if (s.ok() && body.contains("options") && !body["options"].is_object()) {
    s = Status::InvalidArgument(Field("/options"), "must be an object");
  }
  if (!s.ok()) return respond(ProblemResponse(s, rid));
  auto issued = creds.IssueVcApi(body["credential"]);
  if (!issued.ok()) {
    if (issued.status().code() == StatusCode::kPermissionDenied) {  // another issuer: 422
      return respond(
          ProblemResponse(422, issued.status().message(), rid, issued.status().pointer()));
    }
    return respond(ProblemResponse(issued.status(), rid));
  }
  respond(JsonResponse(201, json{{"verifiableCredential", std::move(issued).value()}}));
}

// The learner itself, or an institution the learner granted; everyone else learns nothing
// (404, as for the learner's other data).
bool CanPresentFor(LearnerService& learners, const Principal& p, const std::string& learner) {
  if (p.is_learner(learner)) return true;
  return p.kind == RoleKind::kInstitution && learners.HasGrant(learner, p.subject);
}

// 422 problem+json with the rejection's reason code (DESIGN.md, "Credentials as input").
HttpResponse RejectionProblem(const CredentialRejection& rejection, const std::string& rid) {
  HttpResponse r = ProblemResponse(422, rejection.message, rid, rejection.pointer);
  json problem = json::parse(r.body);
  problem["reason"] = rejection.reason;
  r.body = Dump(problem);
  return r;
}

// 201 (200 when the same credential was presented before): the posted record's
// {"id", "leaf_index", "status", "receipt"} plus "issuer", "unit", "source", "format",
// "evidence_sha256".
HttpResponse PresentedResponse(const PresentedCredential& p) {
  json body = json::parse(PostOutcomeBody(p.outcome));
  json record = body["records"].at(0);
  record["issuer"] = p.institution;
  record["unit"] = p.input.unit;
  record["source"] = RecordSourceName(RecordSource::kCredential);
  record["format"] = p.format;
  record["evidence_sha256"] = p.input.evidence_sha256.value_or("");
  return JsonResponse(p.outcome.any_new() ? 201 : 200, record);
}

// A credential, or a status list, as a member of the envelope: an object (its JSON text) or a
// compact JWS (a string).
StatusOr<std::string> CredentialMember(const json& value, const std::string& at) {
  if (value.is_object()) return value.dump();
  if (value.is_string() && !value.get_ref<const std::string&>().empty()) return value.get<std::string>();
  return Status::InvalidArgument(Field(at), "must be a credential (an object) or a compact JWS");
}

constexpr size_t kMaxStatusLists = 16;

// The body of POST /v1/learners/{id}/credentials: the credential's exact bytes (JSON or a
// compact JWS as text), or the envelope {"credential", "status_lists"?} that brings the
// issuer's signed status lists along. Fills *credential and *lists; false after a 400.
bool ReadPresentation(const RouteContext& ctx, const Respond& respond, std::string* credential,
                      std::vector<std::string>* lists) {
  const std::string& body = ctx.request.body;
  const size_t first = body.find_first_not_of(" \t\r\n");
  json doc = first != std::string::npos && body[first] == '{'
                 ? json::parse(body, nullptr, /*allow_exceptions=*/false)
                 : json();
  if (!doc.is_object() || !doc.contains("credential") || doc.contains("@context")) {
    *credential = body;  // the credential itself, as presented
    return true;
  }
  Status s = RejectUnknown(doc, "", {"credential", "status_lists"});
  StatusOr<std::string> bytes = CredentialMember(doc["credential"], "/credential");
  if (s.ok() && !bytes.ok()) s = bytes.status();
  const json lists_member = doc.value("status_lists", json::array());
  if (s.ok() && (!lists_member.is_array() || lists_member.size() > kMaxStatusLists)) {
    s = Status::InvalidArgument(Field("/status_lists"),
                                "must be an array of at most " + std::to_string(kMaxStatusLists) +
                                    " status list credentials");
  }
  for (size_t i = 0; s.ok() && i < lists_member.size(); ++i) {
    StatusOr<std::string> list =
        CredentialMember(lists_member[i], "/status_lists/" + std::to_string(i));
    if (!list.ok()) s = list.status();
    else lists->push_back(std::move(list).value());
  }
  if (!s.ok()) {
    respond(ProblemResponse(s, ctx.request.request_id));
    return false;
  }
  *credential = std::move(bytes).value();
  return true;
}

// POST /v1/learners/{id}/credentials (ReadPresentation).
void PostLearnerCredential(CredentialInputService& input, LearnerService& learners,
                           RouteContext& ctx, Respond respond) {
  const std::string& learner = ctx.params["id"];
  const std::string rid = ctx.request.request_id;
  if (!learners.Exists(learner) || !CanPresentFor(learners, ctx.principal, learner)) {
    return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"), rid));
  }
  if (!CredentialBodyFits(ctx, respond)) return;
  std::string credential;
  std::vector<std::string> lists;
  if (!ReadPresentation(ctx, respond, &credential, &lists)) return;
  input.Present(learner, credential, lists,
                [respond, rid](StatusOr<PresentedCredential> presented,
                               std::optional<CredentialRejection> rejection) {
                  if (rejection) return respond(RejectionProblem(*rejection, rid));
                  if (!presented.ok()) return respond(ProblemResponse(presented.status(), rid));
                  respond(PresentedResponse(*presented));
                });
}

}  // namespace

void AddCredentialInputRoutes(Router& router, CredentialInputService& input,
                              LearnerService& learners) {
  CredentialInputService* in = &input;
  LearnerService* l = &learners;
  router.Add(
      "POST", "/v1/learners/{id}/credentials", kInstitutionRole | kLearnerRole,
      "Present an Open Badges 3.0 credential a registered institution issued (JSON with an "
      "eddsa-jcs-2022 proof, or a compact JWS): verified, it becomes that institution's record "
      "with source \"credential\" (the learner, granted institutions); 422 with a reason "
      "otherwise",
      [in, l](RouteContext& ctx, Respond respond) {
        PostLearnerCredential(*in, *l, ctx, std::move(respond));
      },
      RunOn::kBlockingPool);
}

void HandleClrTranscript(CredentialService& creds, LearnerService& learners, RouteContext& ctx,
                         Respond respond) {
  const std::string& learner = ctx.params["id"];
  const std::string& rid = ctx.request.request_id;
  if (!learners.Exists(learner) || !CanReadLearner(learners, ctx.principal, learner)) {
    return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"), rid));
  }
  auto holder = HolderParam(ctx, learner);
  if (!holder.ok()) return respond(ProblemResponse(holder.status(), rid));
  auto clr = creds.TranscriptClr(learner, *holder);
  if (!clr.ok()) return respond(ProblemResponse(clr.status(), rid));
  HttpResponse r = Typed(200, clr->dump(), vc::MediaType(vc::CredentialFormat::kDataIntegrity));
  r.headers.emplace_back("Cache-Control", "private, no-store");
  respond(std::move(r));
}

void AddCredentialRoutes(Router& router, CredentialService& credentials, RecordService& records,
                         LearnerService& learners) {
  CredentialService* c = &credentials;
  RecordService* rs = &records;
  LearnerService* l = &learners;
  router.Add(
      "GET", "/v1/credentials/issuer", kAnyone,
      "The bank as credential issuer: did:key, verification method, keys (JWK Set, "
      "history)",
      [c](RouteContext&, Respond respond) { respond(JsonResponse(200, c->IssuerDocument())); });
  router.Add("GET", "/.well-known/jwks.json", kAnyone,
             "The credential keys as a JWK Set (Ed25519 OKP, RSA of the OB 3.0 JWT profile)",
             [c](RouteContext&, Respond respond) {
               respond(Typed(200, c->Jwks().dump(), "application/jwk-set+json"));
             });
  router.Add("GET", "/.well-known/did.json", kAnyone,
             "The bank's did:web document (404 unless an https public_url is configured)",
             [c](RouteContext& ctx, Respond respond) {
               auto doc = c->DidWebDocument();
               if (!doc.ok()) return respond(ProblemResponse(doc.status(), ctx.request.request_id));
               respond(Typed(200, doc->dump(), "application/did+json"));
             });
  router
      .Add("GET", "/v1/records/{id}/credential", kLearnerDataReaders,
           "The record as an OpenBadgeCredential: ?format=di|jwt|ob3-jwt, ?holder=DID "
           "(issuer, the learner, auditors, granted institutions)",
           [c, rs, l](RouteContext& ctx, Respond respond) {
             GetRecordCredential(*c, *rs, *l, ctx, std::move(respond));
           })
      .Takes({StringParam("format", "the credential's form (default di)", {"di", "jwt", "ob3-jwt"}),
              StringParam("holder", "a DID to bind the credential to")});
  router.Add(
      "GET", "/v1/status/{list}", kAnyone,
      "A signed BitstringStatusListCredential (revocation), with ETag",
      [c](RouteContext& ctx, Respond respond) { GetStatusList(*c, ctx, std::move(respond)); },
      RunOn::kBlockingPool);
  router.Add("POST", "/v1/credentials/verify", kAnyone,
             "Verify a credential (JSON or compact JWS): signature, issuer key, dates, status",
             [c](RouteContext& ctx, Respond respond) { PostVerify(*c, ctx, std::move(respond)); });
  router.Add("POST", "/vc-api/credentials/verify", kAnyone,
             "W3C VC-API: verify {verifiableCredential, options?}; 400 when not verified",
             [c](RouteContext& ctx, Respond respond) {
               if (!CredentialBodyFits(ctx, respond)) return;  // anyone may call it
               PostVcApiVerify(*c, ctx, std::move(respond));
             });
  router.Add(
      "POST", "/vc-api/credentials/issue", kAdmin,
      "W3C VC-API: sign {credential} (issuer = the bank's DID) with eddsa-jcs-2022; only "
      "when vc_api.issue is enabled",
      [c](RouteContext& ctx, Respond respond) { PostVcApiIssue(*c, ctx, std::move(respond)); });
  // GET /v1/learners/{id}/transcript serves format=clr here and format=pdf from the transcript
  // routes; whichever file registers the path first owns the dispatch on ?format=.
  const bool transcript_taken =
      std::any_of(router.routes().begin(), router.routes().end(), [](const Route& r) {
        return r.method == "GET" && r.pattern == "/v1/learners/{id}/transcript";
      });
  if (!transcript_taken) {
    router
        .Add(
            "GET", "/v1/learners/{id}/transcript", kLearnerDataReaders,
            "The learner's transcript: ?format=clr, a CLR 2.0 ClrCredential of every active "
            "record (the learner, auditors, granted institutions)",
            [c, l](RouteContext& ctx, Respond respond) {
              const std::string* f = ctx.request.Query("format");
              if (f != nullptr && *f != "clr") {
                return respond(
                    ProblemResponse(Status::InvalidArgument(Field("/format"), "must be clr"),
                                    ctx.request.request_id));
              }
              HandleClrTranscript(*c, *l, ctx, std::move(respond));
            },
            RunOn::kBlockingPool)
        .Takes({StringParam("format", "clr", {"clr"}),
                StringParam("holder", "the DID of the credential's subject")});
  }
}

}  // namespace lcb
