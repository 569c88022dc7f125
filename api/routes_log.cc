// The transparency log: checkpoints, keys, proofs, entries. Read-only and public except raw
// entries, which hold learners' records (auditors only).
#include <charconv>

#include "api/handler_util.h"
#include "api/routes.h"
#include "api/views.h"

namespace lcb {
namespace {

json Hexes(const std::vector<Hash>& hashes) { return HashesJson(hashes); }

}  // namespace

void AddLogRoutes(Router& router, LogService& log) {
  LogService* b = &log;
  router.Add("GET", "/v1/log/checkpoint", kAnyone,
             "The latest signed checkpoint (C2SP tlog-checkpoint signed note, text)",
             [b](RouteContext& ctx, Respond respond) {
               respond(TextResponse(200, b->ServedCheckpoint()));
             });
  router.Add(
      "GET", "/v1/log/checkpoints/{size}", kAnyone,
      "The checkpoint signed when the log reached {size}, if one was",
      [b](RouteContext& ctx, Respond respond) {
        const std::string& text = ctx.params["size"];
        uint64_t size = 0;
        if (!ParseCanonicalUint(text, &size)) {
          return respond(ProblemResponse(
              Status::InvalidArgument(Field("/size"),
                                      CanonicalUintProblem(text, UINT64_MAX) + " (a tree size)"),
              ctx.request.request_id));
        }
        auto note = b->CheckpointAt(size);
        if (!note.ok()) return respond(ProblemResponse(note.status(), ctx.request.request_id));
        respond(TextResponse(200, *note));
      });
  router.Add("GET", "/v1/log/key", kAnyone,
             "The log's verifier key (signed-note form and PEM) and every key it ever used",
             [b](RouteContext& ctx, Respond respond) {
               respond(JsonResponse(200, LogKeysJson(b->Keys())));
             });
  router
      .Add("GET", "/v1/log/proof/inclusion", kAnyone,
           "Inclusion proof of leaf ?index= in the tree of ?size= (RFC 9162)",
           [b](RouteContext& ctx, Respond respond) {
             uint64_t index = 0, size = 0;
             if (!QueryUint(ctx, respond, "index", 0, UINT64_MAX, &index, true)) return;
             if (!QueryUint(ctx, respond, "size", 0, UINT64_MAX, &size, true)) return;
             auto proof = b->InclusionProof(index, size);
             if (!proof.ok())
               return respond(ProblemResponse(proof.status(), ctx.request.request_id));
             respond(JsonResponse(
                 200, json{{"leaf_index", index}, {"tree_size", size}, {"proof", Hexes(*proof)}}));
           })
      .Takes({Required(IntegerParam("index", "the leaf's index, below size")),
              Required(IntegerParam("size", "the tree size the proof is for"))});
  router
      .Add("GET", "/v1/log/proof/consistency", kAnyone,
           "Consistency proof between tree sizes ?first= and ?second= (RFC 9162)",
           [b](RouteContext& ctx, Respond respond) {
             uint64_t first = 0, second = 0;
             if (!QueryUint(ctx, respond, "first", 0, UINT64_MAX, &first, true)) return;
             if (!QueryUint(ctx, respond, "second", 0, UINT64_MAX, &second, true)) return;
             auto proof = b->ConsistencyProof(first, second);
             if (!proof.ok())
               return respond(ProblemResponse(proof.status(), ctx.request.request_id));
             respond(JsonResponse(
                 200, json{{"first", first}, {"second", second}, {"proof", Hexes(*proof)}}));
           })
      .Takes({Required(IntegerParam("first", "the older tree size")),
              Required(IntegerParam("second", "the newer tree size, at least first"))});
  router
      .Add("GET", "/v1/log/entries", kAnyone,
           "Entries [?start, ?end) (at most 1000): leaf hashes for anyone, entry bytes "
           "(base64) for auditors",
           [b](RouteContext& ctx, Respond respond) {
             uint64_t start = 0, end = 0;
             if (!QueryUint(ctx, respond, "start", 0, UINT64_MAX, &start, true)) return;
             if (!QueryUint(ctx, respond, "end", 0, UINT64_MAX, &end, true)) return;
             bool with_entries = ctx.principal.is_auditor();
             RespondWith(ctx, respond, b->Entries(start, end, with_entries), 200, LogEntriesJson);
           })
      .Takes({Required(IntegerParam("start", "the first entry's index")),
              Required(IntegerParam("end",
                                    "the index after the last entry (exclusive; at most "
                                    "1000 entries, clamped to the tree size)"))});
}

void AddAdminRoutes(Router& router, TokenService& tokens, AdminLog& admin_log, BackupFn backup) {
  TokenService* t = &tokens;
  AdminLog* a = &admin_log;
  router.Add(
      "POST", "/v1/tokens", kAdmin, "Create a token (shown once)",
      [t, a](RouteContext& ctx, Respond respond) {
        json body;
        if (!ParseJsonRequest(ctx, respond, &body)) return;
        Status s = RejectUnknown(body, "", {"role", "expires_at"});
        auto role = RequiredString(body, "role", "", 200);
        auto expires = OptionalString(body, "expires_at", "", 40);
        if (s.ok() && !role.ok()) s = role.status();
        if (s.ok() && !expires.ok()) s = expires.status();
        if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
        auto created = t->Create(*role, expires->value_or(""));
        if (!created.ok())
          return respond(ProblemResponse(created.status(), ctx.request.request_id));
        a->Record(ctx.principal, "create_token", created->id + " " + created->role);
        json out = {{"id", created->id}, {"token", created->token}, {"role", created->role}};
        if (!created->expires_at.empty()) out["expires_at"] = created->expires_at;
        respond(JsonResponse(201, out));
      },
      RunOn::kBlockingPool);
  // Who a token acts as: a client (creditbank import) checks its token before a long job,
  // instead of learning at its first write that the token is another institution's.
  router.Add("GET", "/v1/tokens/current", kAnyAuthenticated | kRegulatorRole,
             "The caller's token: its id and role (404 when signed in by a portal session)",
             [](RouteContext& ctx, Respond respond) {
               if (!ctx.principal.session_id.empty() || ctx.principal.token_id.empty()) {
                 return respond(ProblemResponse(
                     Status::NotFound("this request was not made with an API token"),
                     ctx.request.request_id));
               }
               respond(JsonResponse(
                   200, json{{"id", ctx.principal.token_id}, {"role", ctx.principal.role()}}));
             });
  router.Add("GET", "/v1/tokens", kAdmin, "List tokens (ids and roles, never the secrets)",
             [t](RouteContext& ctx, Respond respond) {
               RespondWith(ctx, respond, t->List(10000), 200,
                           [](const std::vector<TokenInfo>& list) {
                             json items = json::array();
                             for (const auto& info : list) {
                               json item = {{"id", info.id},
                                            {"role", info.role},
                                            {"created_at", info.created_at},
                                            {"revoked", info.revoked}};
                               if (!info.expires_at.empty()) item["expires_at"] = info.expires_at;
                               items.push_back(item);
                             }
                             return json{{"tokens", items}};
                           });
             });
  router.Add(
      "DELETE", "/v1/tokens/{id}", kAdmin, "Revoke a token",
      [t, a](RouteContext& ctx, Respond respond) {
        Status s = t->Revoke(ctx.params["id"]);
        if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
        a->Record(ctx.principal, "revoke_token", ctx.params["id"]);
        respond(JsonResponse(200, json{{"id", ctx.params["id"]}, {"revoked", true}}));
      },
      RunOn::kBlockingPool);
  router.Add(
      "POST", "/v1/admin/backup", kAdmin,
      "Online backup into {\"to\": absolute path on the server}: RocksDB checkpoint + keys, "
      "checked against the signed log",
      [a, backup](RouteContext& ctx, Respond respond) {
        json body;
        if (!ParseJsonRequest(ctx, respond, &body)) return;
        Status s = RejectUnknown(body, "", {"to"});
        auto to = RequiredString(body, "to", "", 4096);
        if (s.ok() && !to.ok()) s = to.status();
        if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
        auto manifest = backup(*to);
        if (manifest.ok()) a->Record(ctx.principal, "backup", *to);
        RespondWith(ctx, respond, std::move(manifest), 201, BackupManifestJson);
      },
      RunOn::kBlockingPool);
  router
      .Add("GET", "/v1/admin/actions", kAdmin,
           "The admin action log: who created, revoked or changed what (?after=, ?limit=)",
           [a](RouteContext& ctx, Respond respond) {
             uint64_t after = 0, limit = 0;
             if (!QueryUint(ctx, respond, "after", 0, UINT64_MAX, &after)) return;
             if (!QueryLimit(ctx, respond, 100, 1000, &limit)) return;
             RespondWith(ctx, respond, a->List(after, limit == 0 ? 100 : limit), 200,
                         [](const std::vector<AdminActionRow>& rows) {
                           json items = json::array();
                           for (const auto& r : rows) items.push_back(AdminActionJson(r));
                           return json{{"actions", items}};
                         });
           })
      .Takes({IntegerParam("after", "only actions with a sequence number above this (default 0)"),
              LimitParam(100, 1000)});
}

}  // namespace lcb
