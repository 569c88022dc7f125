// Sign-in codes and portal sessions (DESIGN.md "Web portal and sessions"; api/sessions.h).
#include "api/handler_util.h"
#include "api/portal_routes.h"

namespace lcb {
namespace {

constexpr size_t kMaxSessionsListed = 10000;

// Admin; the learner itself (for another device); the institution that created the learner's
// account (the registrar who enrols a learner hands over the first code), or one the learner
// granted access. Anyone else does not learn that the learner exists. Posting a record for a
// learner is not enough: any institution can post for any account it can name (a national ID
// finds it), and a code is the learner's whole file, with the power to grant access.
Status MayCreateCode(Services& bank, const Principal& p, const std::string& learner) {
  Status unknown = Status::NotFound("no learner '" + learner + "'");
  bool allowed = p.is_admin() || p.is_learner(learner);
  if (!allowed && p.kind == RoleKind::kInstitution) {
    allowed = bank.learners().HasGrant(learner, p.subject);
    if (!allowed) {
      auto row = bank.learners().Get(learner);
      if (!row.ok() && row.status().code() != StatusCode::kNotFound) return row.status();
      allowed = row.ok() && row->created_by == p.role();
    }
  }
  if (!allowed || !bank.learners().Exists(learner)) return unknown;
  return Status::Ok();
}

bool HostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':' || c == '[' || c == ']';
}

// Where the portal is: the configured public URL (what learners reach behind a proxy), else
// as the caller reached it: the Host header when it is a plain host[:port], else the listen
// address. The URL carries the code in the fragment, which browsers never send to a server or
// put in a Referer.
std::string SignInUrl(const Services& bank, const HttpRequest& req, const std::string& code) {
  if (!bank.config().public_url.empty()) {
    return bank.config().public_url + "/portal/#/sign-in?code=" + code;
  }
  const std::string* host = req.Header("host");
  std::string authority = bank.config().listen;
  if (host && !host->empty() && host->size() <= 255 &&
      std::all_of(host->begin(), host->end(), HostChar)) {
    authority = *host;
  }
  std::string scheme = bank.config().tls_cert.empty() ? "http" : "https";
  return scheme + "://" + authority + "/portal/#/sign-in?code=" + code;
}

json SessionJson(const SessionInfo& info) {
  json out = {{"id", info.id},
              {"role", info.principal.role()},
              {"via", info.via},
              {"created_at", FormatRfc3339Millis(info.created_ms)},
              {"expires_at", FormatRfc3339Millis(info.expires_ms)},
              {"idle_expires_at", FormatRfc3339Millis(info.idle_expires_ms)},
              {"last_seen_at", FormatRfc3339Millis(info.last_seen_ms)}};
  if (info.principal.kind == RoleKind::kLearner) out["learner"] = info.principal.subject;
  if (!info.created_by.empty()) out["created_by"] = info.created_by;
  return out;
}

HttpResponse SignedIn(const Sessions& sessions, const NewSession& s) {
  json out = SessionJson(s.info);
  out["csrf_token"] = s.csrf_token;
  HttpResponse r = JsonResponse(201, out);
  r.headers.emplace_back("Set-Cookie", sessions.SetCookie(s.secret));
  return r;
}

void CreateSignInCode(Services& bank, Sessions& sessions, RouteContext& ctx, Respond respond) {
  json body;
  if (!ParseJsonRequest(ctx, respond, &body)) return;
  Status s = RejectUnknown(body, "", {"learner"});
  auto learner = RequiredString(body, "learner", "", 128);
  if (s.ok() && !learner.ok()) s = learner.status();
  if (s.ok()) s = MayCreateCode(bank, ctx.principal, *learner);
  if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
  auto code = sessions.CreateCode(*learner, ctx.principal);
  if (!code.ok()) return respond(ProblemResponse(code.status(), ctx.request.request_id));
  bank.admin_log().Record(ctx.principal, "create_sign_in_code", *learner);
  respond(JsonResponse(201, json{{"code", code->code},
                                 {"learner", code->learner},
                                 {"expires_at", FormatRfc3339Millis(code->expires_ms)},
                                 {"url", SignInUrl(bank, ctx.request, code->code)}}));
}

void CreateSession(Services& bank, Sessions& sessions, RouteContext& ctx, Respond respond) {
  const std::string& rid = ctx.request.request_id;
  json body;
  if (!ParseJsonRequest(ctx, respond, &body)) return;
  Status s = RejectUnknown(body, "", {"code", "token"});
  if (s.ok() && body.contains("code") == body.contains("token")) {
    s = Status::InvalidArgument(Field(""), "send either {\"code\"} or {\"token\"}");
  }
  auto code = OptionalString(body, "code", "", 64);
  auto token = OptionalString(body, "token", "", 256);
  if (s.ok() && !code.ok()) s = code.status();
  if (s.ok() && !token.ok()) s = token.status();
  if (!s.ok()) return respond(ProblemResponse(s, rid));
  if (*code) {
    int retry_after = 0;
    auto session = sessions.SignInWithCode(**code, ctx.request.remote, &retry_after);
    if (retry_after > 0) {
      HttpResponse r = ProblemResponse(429, session.status().message(), rid);
      r.headers.emplace_back("Retry-After", std::to_string(retry_after));
      return respond(std::move(r));
    }
    if (!session.ok()) return respond(ProblemResponse(session.status(), rid));
    return respond(SignedIn(sessions, *session));
  }
  auto principal = bank.tokens().Authenticate("Bearer " + **token);
  if (!principal.ok()) return respond(ProblemResponse(principal.status(), rid));
  auto session = sessions.SignInWithToken(*principal);
  if (!session.ok()) return respond(ProblemResponse(session.status(), rid));
  respond(SignedIn(sessions, *session));
}

}  // namespace

StatusOr<json> CurrentSessionJson(Sessions& sessions, const HttpRequest& request,
                                  const Principal& principal) {
  const std::string* cookie = request.Header("cookie");
  auto secret = cookie ? SessionCookieValue(*cookie) : std::nullopt;
  if (principal.session_id.empty() || !secret) {
    return Status::NotFound("this request was not made with a portal session");
  }
  LCB_ASSIGN_OR_RETURN(SessionInfo info, sessions.Authenticate(*secret));
  json out = SessionJson(info);
  out["csrf_token"] = Sessions::CsrfToken(*secret);
  return out;
}

void AddSessionRoutes(Router& router, Services& bank, Sessions& sessions) {
  Services* b = &bank;
  Sessions* ss = &sessions;
  router.Add("POST", "/v1/sign-in-codes", kAdmin | kInstitutionRole | kLearnerRole,
             "A one-time portal sign-in code for {learner} (admin, an institution that posted "
             "for or was granted by the learner, or the learner itself)",
             [b, ss](RouteContext& ctx, Respond respond) {
               CreateSignInCode(*b, *ss, ctx, std::move(respond));
             });
  router.Add("POST", "/v1/sessions", kAnyone,
             "Sign in to the portal with {code} or {token}: an HttpOnly session cookie and "
             "the CSRF token its state-changing requests must send",
             [b, ss](RouteContext& ctx, Respond respond) {
               // Anyone may call it: {code} or {token} is a few hundred bytes, so a body past
               // 16 KiB is refused before it is parsed.
               constexpr size_t kMaxSignInBytes = 16 * 1024;
               if (ctx.request.body.size() > kMaxSignInBytes) {
                 return respond(ProblemResponse(
                     Status::ResourceExhausted(Field("/body"),
                                               "a sign-in is {\"code\"} or {\"token\"}: at "
                                               "most 16 KiB"),
                     ctx.request.request_id));
               }
               CreateSession(*b, *ss, ctx, std::move(respond));
             });
  // Registered before /v1/sessions/{id}, which would otherwise take "current".
  // A regulator's portal session asks for itself too (the portal's first call).
  router.Add("GET", "/v1/sessions/current", kAnyAuthenticated | kRegulatorRole,
             "The caller's portal session, with its CSRF token (404 when signed in by token)",
             [ss](RouteContext& ctx, Respond respond) {
               RespondWith(ctx, respond, CurrentSessionJson(*ss, ctx.request, ctx.principal), 200,
                           [](const json& j) { return j; });
             });
  router.Add("DELETE", "/v1/sessions/current", kAnyone,
             "Sign out: ends the caller's portal session (if any) and clears its cookie",
             [ss](RouteContext& ctx, Respond respond) {
               bool ended = false;
               if (!ctx.principal.session_id.empty()) {
                 Status s = ss->End(ctx.principal.session_id);
                 if (!s.ok() && s.code() != StatusCode::kNotFound) {
                   return respond(ProblemResponse(s, ctx.request.request_id));
                 }
                 ended = s.ok();
               }
               HttpResponse r = JsonResponse(200, json{{"signed_out", ended}});
               r.headers.emplace_back("Set-Cookie", ss->ClearCookie());
               respond(std::move(r));
             });
  // A learner sees and ends the sessions opened in its name: a code an institution asked for
  // opens the learner's whole file, so the learner must be able to tell, and to end it.
  router.Add("GET", "/v1/sessions", kAdmin | kLearnerRole,
             "Live portal sessions, never their secrets (admin: all; a learner: those opened in "
             "its name, with who asked for each code); current: true marks the caller's",
             [ss](RouteContext& ctx, Respond respond) {
               const Principal& p = ctx.principal;
               auto list = p.is_admin() ? ss->List(kMaxSessionsListed)
                                        : ss->ListForLearner(p.subject, kMaxSessionsListed);
               if (!list.ok())
                 return respond(ProblemResponse(list.status(), ctx.request.request_id));
               json items = json::array();
               for (const SessionInfo& info : *list) {
                 json item = SessionJson(info);
                 item["current"] = !p.session_id.empty() && info.id == p.session_id;
                 items.push_back(std::move(item));
               }
               respond(JsonResponse(200, json{{"sessions", items}}));
             });
  router.Add("DELETE", "/v1/sessions/{id}", kAdmin | kLearnerRole,
             "End a portal session (a learner: only one opened in its name; another's is 404)",
             [b, ss](RouteContext& ctx, Respond respond) {
               const Principal& p = ctx.principal;
               const std::string& id = ctx.params["id"];
               Status s = p.is_admin() ? ss->End(id) : ss->EndForLearner(id, p.subject);
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               b->admin_log().Record(p, "end_session", id);
               respond(JsonResponse(200, json{{"id", id}, {"ended", true}}));
             });
}

}  // namespace lcb
