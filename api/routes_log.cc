// The transparency log: checkpoints, keys, proofs, entries. Read-only and public except raw
// entries, which hold learners' records (auditors only).
#include "api/backup.h"
#include "api/handler_util.h"
#include "api/routes.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

json Hexes(const std::vector<Hash>& hashes) {
  json arr = json::array();
  for (const auto& h : hashes) arr.push_back(HashHex(h));
  return arr;
}

}  // namespace

void AddLogRoutes(Router& router, Bank& bank) {
  Bank* b = &bank;
  router.Add("GET", "/v1/log/checkpoint", kAnyone,
             "The latest signed checkpoint (C2SP tlog-checkpoint signed note, text)",
             [b](RouteContext& ctx, Respond respond) {
               std::string note = b->ledger().LatestCheckpoint();
               if (note.empty()) {
                 return respond(ProblemResponse(Status::NotFound("the log is empty"),
                                                ctx.request.request_id));
               }
               respond(TextResponse(200, note));
             });
  router.Add("GET", "/v1/log/checkpoints/{size}", kAnyone,
             "The checkpoint signed when the log reached {size}, if one was",
             [b](RouteContext& ctx, Respond respond) {
               uint64_t size = std::strtoull(ctx.params["size"].c_str(), nullptr, 10);
               auto note = b->ledger().CheckpointAt(size);
               if (!note.ok()) return respond(ProblemResponse(note.status(), ctx.request.request_id));
               respond(TextResponse(200, *note));
             });
  router.Add("GET", "/v1/log/key", kAnyone,
             "The log's verifier key (signed-note form and PEM) and every key it ever used",
             [b](RouteContext& ctx, Respond respond) { respond(JsonResponse(200, b->LogKeyJson())); });
  router.Add("GET", "/v1/log/proof/inclusion", kAnyone,
             "Inclusion proof of leaf ?index= in the tree of ?size= (RFC 9162)",
             [b](RouteContext& ctx, Respond respond) {
               uint64_t index = 0, size = 0;
               if (!QueryUint(ctx, respond, "index", 0, UINT64_MAX, &index, true)) return;
               if (!QueryUint(ctx, respond, "size", 0, UINT64_MAX, &size, true)) return;
               auto proof = b->ledger().InclusionProof(index, size);
               if (!proof.ok()) return respond(ProblemResponse(proof.status(), ctx.request.request_id));
               respond(JsonResponse(200, json{{"leaf_index", index}, {"tree_size", size},
                                              {"proof", Hexes(*proof)}}));
             });
  router.Add("GET", "/v1/log/proof/consistency", kAnyone,
             "Consistency proof between tree sizes ?first= and ?second= (RFC 9162)",
             [b](RouteContext& ctx, Respond respond) {
               uint64_t first = 0, second = 0;
               if (!QueryUint(ctx, respond, "first", 0, UINT64_MAX, &first, true)) return;
               if (!QueryUint(ctx, respond, "second", 0, UINT64_MAX, &second, true)) return;
               auto proof = b->ledger().ConsistencyProof(first, second);
               if (!proof.ok()) return respond(ProblemResponse(proof.status(), ctx.request.request_id));
               respond(JsonResponse(200, json{{"first", first}, {"second", second},
                                              {"proof", Hexes(*proof)}}));
             });
  router.Add("GET", "/v1/log/entries", kAnyone,
             "Entries [?start, ?end) (at most 1000): leaf hashes for anyone, entry bytes "
             "(base64) for auditors",
             [b](RouteContext& ctx, Respond respond) {
               uint64_t start = 0, end = 0;
               if (!QueryUint(ctx, respond, "start", 0, UINT64_MAX, &start, true)) return;
               if (!QueryUint(ctx, respond, "end", 0, UINT64_MAX, &end, true)) return;
               bool with_entries = ctx.principal.is_auditor();
               auto r = b->LogEntries(start, end, with_entries);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });
}

void AddAdminRoutes(Router& router, Bank& bank) {
  Bank* b = &bank;
  router.Add("POST", "/v1/tokens", kAdmin, "Create a token (shown once)",
             [b](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               Status s = RejectUnknown(body, "", {"role", "expires_at"});
               auto role = RequiredString(body, "role", "", 200);
               auto expires = OptionalString(body, "expires_at", "", 40);
               if (s.ok() && !role.ok()) s = role.status();
               if (s.ok() && !expires.ok()) s = expires.status();
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               auto t = b->tokens().Create(*role, expires->value_or(""));
               if (!t.ok()) return respond(ProblemResponse(t.status(), ctx.request.request_id));
               b->AdminLog(ctx.principal, "create_token", t->id + " " + t->role);
               json out = {{"id", t->id}, {"token", t->token}, {"role", t->role}};
               if (!t->expires_at.empty()) out["expires_at"] = t->expires_at;
               respond(JsonResponse(201, out));
             });
  router.Add("GET", "/v1/tokens", kAdmin, "List tokens (ids and roles, never the secrets)",
             [b](RouteContext& ctx, Respond respond) {
               auto list = b->tokens().List(10000);
               if (!list.ok()) return respond(ProblemResponse(list.status(), ctx.request.request_id));
               json items = json::array();
               for (const auto& t : *list) {
                 json item = {{"id", t.id}, {"role", t.role}, {"created_at", t.created_at},
                              {"revoked", t.revoked}};
                 if (!t.expires_at.empty()) item["expires_at"] = t.expires_at;
                 items.push_back(item);
               }
               respond(JsonResponse(200, json{{"tokens", items}}));
             });
  router.Add("DELETE", "/v1/tokens/{id}", kAdmin, "Revoke a token",
             [b](RouteContext& ctx, Respond respond) {
               Status s = b->tokens().Revoke(ctx.params["id"]);
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               b->AdminLog(ctx.principal, "revoke_token", ctx.params["id"]);
               respond(JsonResponse(200, json{{"id", ctx.params["id"]}, {"revoked", true}}));
             });
  router.Add("POST", "/v1/admin/backup", kAdmin,
             "Online backup into {\"to\": absolute path on the server}: RocksDB checkpoint + keys, "
             "checked against the signed log",
             [b](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               Status s = RejectUnknown(body, "", {"to"});
               auto to = RequiredString(body, "to", "", 4096);
               if (s.ok() && !to.ok()) s = to.status();
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               auto manifest = CreateBackup(*b, *to);
               if (!manifest.ok()) {
                 return respond(ProblemResponse(manifest.status(), ctx.request.request_id));
               }
               b->AdminLog(ctx.principal, "backup", *to);
               respond(JsonResponse(201, *manifest));
             });
  router.Add("GET", "/v1/admin/actions", kAdmin,
             "The admin action log: who created, revoked or changed what (?after=, ?limit=)",
             [b](RouteContext& ctx, Respond respond) {
               uint64_t after = 0, limit = 0;
               if (!QueryUint(ctx, respond, "after", 0, UINT64_MAX, &after)) return;
               if (!QueryUint(ctx, respond, "limit", 100, 1000, &limit)) return;
               auto r = b->ListAdminLog(after, limit == 0 ? 100 : limit);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });
}

}  // namespace lcb
