// verify (offline record bundles) and audit (append-only checks against a running log).
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/bundle_check.h"
#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/rest_client.h"
#include "crypto/checkpoint.h"
#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/ijson.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "service/files.h"

namespace lcb {
namespace {

using json = nlohmann::json;

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string NoteOrigin(const std::string& note) { return note.substr(0, note.find('\n')); }

// Each KEY is a PEM public key file, a file of verifier keys (one per line: the bank's current
// and retired keys of GET /v1/log/key, to check checkpoints from both sides of a rotation), or
// verifier keys given as text (several separated by commas). A PEM key gets its name from the
// checkpoint's origin line.
StatusOr<std::vector<NoteVerifier>> LoadVerifiers(const std::vector<std::string>& key_args,
                                                  const std::string& origin) {
  std::vector<NoteVerifier> out;
  for (const std::string& key_arg : key_args) {
    std::string text = key_arg;
    auto file = ReadFile(key_arg);
    if (file.ok()) text = *file;
    if (text.find("-----BEGIN PUBLIC KEY-----") != std::string::npos) {
      LCB_ASSIGN_OR_RETURN(std::string raw, PublicKeyFromPem(text));
      LCB_ASSIGN_OR_RETURN(NoteVerifier v, ParseVerifierKey(VerifierKeyString(origin, raw)));
      out.push_back(std::move(v));
      continue;
    }
    for (char& c : text) {
      if (c == ',' || c == '\r') c = '\n';
    }
    std::stringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.erase(0, 1);
      if (line.empty()) continue;
      LCB_ASSIGN_OR_RETURN(NoteVerifier v, ParseVerifierKey(line));
      out.push_back(std::move(v));
    }
  }
  if (out.empty()) return Status::InvalidArgument(Field(""), "no key given");
  return out;
}

// Verifies a signed checkpoint note with any of `verifiers` whose name is its origin; returns
// the parsed checkpoint and, in *signer, the verifier that signed it.
StatusOr<Checkpoint> OpenCheckpoint(const std::string& note,
                                    const std::vector<NoteVerifier>& verifiers,
                                    const NoteVerifier** signer = nullptr) {
  Status last = Status::DataLoss("no key given");
  for (const NoteVerifier& v : verifiers) {
    auto opened = OpenNote(note, {v});
    if (!opened.ok()) {
      last = opened.status();
      continue;
    }
    LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(opened->text));
    if (cp.origin != v.name) {
      return Status::DataLoss("checkpoint origin '" + cp.origin + "' is not the key's name '" +
                              v.name + "'");
    }
    if (signer) *signer = &v;
    return cp;
  }
  return Status::DataLoss(std::string("checkpoint signature does not verify with the given ") +
                          (verifiers.size() == 1 ? "key: " : "keys: ") + last.message());
}

// --witness-vkey V (repeatable, or comma-separated) and --quorum K.
struct WitnessFlags {
  std::vector<std::string> vkeys;
  std::string quorum;
  const CLI::Option* quorum_option = nullptr;  // given when its count() > 0
};

void AddWitnessFlags(CLI::App* cmd, WitnessFlags* w) {
  cmd->add_option("--witness-vkey", w->vkeys,
                  "a witness's C2SP cosigner key; repeat or separate with commas")
      ->type_name("V")
      ->delimiter(',');
  w->quorum_option = cmd->add_option("--quorum", w->quorum,
                                     "how many of the witnesses must have cosigned (default: all)")
                         ->type_name("K");
}

struct VerifyOptions {
  std::string bundle;
  std::vector<std::string> keys;
  WitnessFlags witnesses;
};

struct AuditOptions : ServerFlags {
  std::string from;
  std::vector<std::string> keys;
  std::string save;
  WitnessFlags witnesses;
};

int Fail(const char* cmd, const std::string& why) {
  std::fprintf(stderr, "creditbank %s: FAILED: %s\n", cmd, why.c_str());
  return kExitFailure;
}

// The log could not be reached or read (exit 3): nothing was judged, unlike Fail.
int Unavailable(const char* cmd, const std::string& why) {
  std::fprintf(stderr, "creditbank %s: UNAVAILABLE (nothing was checked): %s\n", cmd, why.c_str());
  return kExitUnavailable;
}

// A request that got no answer: the RestClient's retries ran out on connection errors,
// timeouts or 503s (Unavailable), or the URL or CA file is wrong (a failure, as before).
int RequestFailed(const char* cmd, const Status& s) {
  return s.code() == StatusCode::kUnavailable ? Unavailable(cmd, s.message())
                                              : Fail(cmd, s.message());
}

// An answer that is not 200: a 5xx is the server failing to answer (exit 3); any other status
// is an answer, and not the one a log gives.
int BadAnswer(const char* cmd, const std::string& what, const ClientResponse& r) {
  const std::string why =
      "server answered " + std::to_string(r.status) + " for " + what + ": " + r.body.substr(0, 200);
  return r.status >= 500 ? Unavailable(cmd, why) : Fail(cmd, why);
}

// --witness-vkey V (repeatable, or comma-separated) and --quorum K: parsed cosigners, or a
// usage error. Without --quorum, every given witness must have cosigned.
bool WitnessPolicy(const char* cmd, const WitnessFlags& w, std::vector<Cosigner>* cosigners,
                   size_t* quorum) {
  for (const std::string& v : w.vkeys) {
    auto c = ParseCosignerKey(v);
    if (!c.ok()) {
      std::fprintf(stderr, "creditbank %s: bad --witness-vkey %s: %s\n", cmd, v.c_str(),
                   c.status().message().c_str());
      return false;
    }
    cosigners->push_back(std::move(c).value());
  }
  *quorum = cosigners->size();
  if (w.quorum_option && w.quorum_option->count() > 0) {
    char* end = nullptr;
    const unsigned long k = std::strtoul(w.quorum.c_str(), &end, 10);
    if (w.quorum.empty() || *end != '\0' || k > cosigners->size()) {
      std::fprintf(stderr, "creditbank %s: --quorum must be 0..%zu (the witnesses given)\n", cmd,
                   cosigners->size());
      return false;
    }
    *quorum = k;
  }
  return true;
}

// OK when at least `quorum` of `cosigners` cosigned `note`; the reason otherwise.
Status RequireCosignatures(const std::string& note, const std::vector<Cosigner>& cosigners,
                           size_t quorum) {
  if (quorum == 0) return Status::Ok();
  std::vector<std::string> skipped;  // dated too far ahead: not counted
  auto found = VerifyCosignatures(note, cosigners, CosignatureClockNow(), &skipped);
  if (!found.ok()) return found.status();
  if (found->size() < quorum) {
    std::string names, why;
    for (const Cosignature& c : *found) names += (names.empty() ? "" : ", ") + c.name;
    for (const std::string& s : skipped) why += "; not counted: " + s;
    return Status::DataLoss("the checkpoint has " + std::to_string(found->size()) +
                            " valid cosignatures of the witnesses given (" +
                            (names.empty() ? std::string("none") : names) + "), " +
                            std::to_string(quorum) + " required" + why);
  }
  return Status::Ok();
}

// The bundle is what GET /v1/records/{id} returns: {"record", "status", "receipt",
// "revocation"?}. The record's RFC 8785 canonical bytes are exactly the bytes the log hashed,
// so the bundle needs nothing else; a revoked record's bundle proves its revocation the same way.
int RunVerify(const VerifyOptions& o) {
  auto text = ReadFile(o.bundle);
  if (!text.ok()) {  // a file that cannot be read is a bad argument (2), not an invalid bundle
    std::fprintf(stderr, "creditbank verify: bad --bundle: %s\n", text.status().message().c_str());
    return kExitUsage;
  }
  auto parsed = ParseIJson(*text);
  if (!parsed.ok()) return Fail("verify", "the bundle is not I-JSON: " + parsed.status().ToString());
  json bundle = std::move(parsed).value();
  if (!bundle.is_object() || !bundle.contains("record") || !bundle["record"].is_object() ||
      !bundle.contains("receipt")) {
    return Fail("verify", "the bundle is not a {record, receipt} JSON document");
  }
  const json& receipt = bundle["receipt"];
  if (!HasReceiptShape(receipt)) {
    return Fail("verify", "the receipt lacks checkpoint, leaf_index, tree_size or inclusion_proof");
  }
  std::string note = receipt["checkpoint"];
  auto verifiers = LoadVerifiers(o.keys, NoteOrigin(note));
  if (!verifiers.ok()) {
    std::fprintf(stderr, "creditbank verify: bad --key: %s\n",
                 verifiers.status().message().c_str());
    return 2;
  }
  const NoteVerifier* verifier = nullptr;
  auto cp = OpenCheckpoint(note, *verifiers, &verifier);
  if (!cp.ok()) return Fail("verify", cp.status().message());
  std::vector<Cosigner> witnesses;
  size_t quorum = 0;
  if (!WitnessPolicy("verify", o.witnesses, &witnesses, &quorum)) return 2;
  Status cosigned = RequireCosignatures(note, witnesses, quorum);
  if (!cosigned.ok()) return Fail("verify", cosigned.message());
  Status included = CheckInclusion(bundle["record"], receipt, *cp, "record");
  if (!included.ok()) return Fail("verify", included.message());
  auto revocation = CheckRevocation(bundle, *cp);
  if (!revocation.ok()) return Fail("verify", revocation.status().message());
  const uint64_t leaf = receipt["leaf_index"];
  std::printf("OK: record %s is entry %llu of the log %s (tree size %llu), signed by %s\n",
              TextOf(bundle["record"], "id").c_str(), static_cast<unsigned long long>(leaf),
              cp->origin.c_str(), static_cast<unsigned long long>(cp->size),
              VerifierKeyString(verifier->name, verifier->public_key).c_str());
  if (!revocation->is_null()) {
    const json& e = *revocation;
    std::printf(
        "REVOKED: by %s at %s (revocation %s, entry %llu of the same checkpoint); "
        "reason: %s\n",
        TextOf(e, "issuer").c_str(), TextOf(e, "recorded_at").c_str(), TextOf(e, "id").c_str(),
        static_cast<unsigned long long>(bundle["revocation"]["leaf_index"].get<uint64_t>()),
        json(TextOf(e, "reason")).dump().c_str());
    if (!TextOf(e, "superseded_by").empty()) {
      std::printf("REVOKED: corrected, superseded by record %s\n",
                  TextOf(e, "superseded_by").c_str());
    }
  }
  return 0;
}

int RunAudit(const AuditOptions& o) {
  auto client = RestClient::Connect(o.server, o.ca, o.insecure);
  if (!client.ok()) return RequestFailed("audit", client.status());
  auto latest = (*client)->Send("GET", "/v1/log/checkpoint", "");
  if (!latest.ok()) return RequestFailed("audit", latest.status());
  if (latest->status != 200) return BadAnswer("audit", "the checkpoint", *latest);
  std::string new_note = latest->body;
  std::vector<std::string> key_args = o.keys;
  if (key_args.empty()) {
    // Trust on first use: the server's keys, the retired ones too (a saved checkpoint may be
    // from before a rotation).
    auto key = (*client)->Send("GET", "/v1/log/key", "");
    if (!key.ok()) return RequestFailed("audit", key.status());
    if (key->status != 200) return BadAnswer("audit", "the log key", *key);
    json k = json::parse(key->body, nullptr, false);
    if (k.is_object()) {
      key_args.push_back(k.value("verifier_key", ""));
      if (k.contains("keys") && k["keys"].is_array()) {
        for (const json& row : k["keys"]) {
          if (!row.is_object()) continue;
          const std::string v = row.value("verifier_key", "");
          if (!v.empty() && v != key_args.front()) key_args.push_back(v);
        }
      }
    }
    for (size_t i = 0; i < key_args.size(); ++i) {
      std::fprintf(stderr, "creditbank audit: no --key given; trusting the server's %s key %s\n",
                   i == 0 ? "current" : "retired (for the saved checkpoint only)",
                   key_args[i].c_str());
    }
  }
  auto verifier = LoadVerifiers(key_args, NoteOrigin(new_note));
  if (!verifier.ok()) {
    std::fprintf(stderr, "creditbank audit: bad --key: %s\n", verifier.status().message().c_str());
    return 2;
  }
  // Trusting the server's keys, the latest checkpoint must be signed by its current key: a key
  // is retired because it may have leaked, and a leaked key could sign a fork that extends the
  // saved checkpoint. The retired keys only check the saved checkpoint. Keys given with --key
  // are the auditor's own choice: any of them.
  std::vector<NoteVerifier> for_latest = *verifier;
  if (o.keys.empty()) for_latest.resize(1);
  auto new_cp = OpenCheckpoint(new_note, for_latest);
  if (!new_cp.ok()) return Fail("audit", "latest checkpoint: " + new_cp.status().message());
  std::vector<Cosigner> witnesses;
  size_t quorum = 0;
  if (!WitnessPolicy("audit", o.witnesses, &witnesses, &quorum)) return 2;
  Status cosigned = RequireCosignatures(new_note, witnesses, quorum);
  if (!cosigned.ok()) return Fail("audit", "latest checkpoint: " + cosigned.message());

  Checkpoint old_cp{new_cp->origin, 0, EmptyRoot(), {}};
  auto old_note = ReadFile(o.from);
  if (old_note.ok()) {
    auto parsed = OpenCheckpoint(*old_note, *verifier);
    if (!parsed.ok()) return Fail("audit", "saved checkpoint: " + parsed.status().message());
    old_cp = *parsed;
  } else {
    std::fprintf(stderr, "creditbank audit: %s missing; auditing from size 0\n", o.from.c_str());
  }
  if (new_cp->size < old_cp.size) {
    return Fail("audit", "the log shrank from " + std::to_string(old_cp.size) + " to " +
                             std::to_string(new_cp->size) + " entries: history was rewritten");
  }
  auto proof_resp =
      (*client)->Send("GET",
                      "/v1/log/proof/consistency?first=" + std::to_string(old_cp.size) +
                          "&second=" + std::to_string(new_cp->size),
                      "");
  if (!proof_resp.ok()) return RequestFailed("audit", proof_resp.status());
  if (proof_resp->status >= 500) return BadAnswer("audit", "the consistency proof", *proof_resp);
  if (proof_resp->status != 200) {
    return Fail("audit", "server refused the consistency proof: " + proof_resp->body);
  }
  json pj = json::parse(proof_resp->body, nullptr, false);
  std::vector<Hash> proof;
  if (pj.is_discarded() || !pj.contains("proof")) return Fail("audit", "malformed proof response");
  for (const auto& h : pj["proof"]) {
    auto hash = h.is_string() ? HashFromHex(h.get<std::string>()) : std::nullopt;
    if (!hash) return Fail("audit", "proof holds a value that is not a SHA-256 hex");
    proof.push_back(*hash);
  }
  Status consistent =
      VerifyConsistency(old_cp.size, new_cp->size, old_cp.root, new_cp->root, proof);
  if (!consistent.ok()) {
    return Fail("audit", "the log at size " + std::to_string(new_cp->size) +
                             " is not an extension of the saved checkpoint at size " +
                             std::to_string(old_cp.size) + ": " + consistent.message());
  }
  // The saved checkpoint is where the next audit starts: a script that sees exit 0 relies on
  // it, so a failed save is a failure even though the log itself was consistent. The file is
  // replaced atomically, so that a crash leaves the previous checkpoint, never a torn one.
  const std::string& save = o.save.empty() ? o.from : o.save;
  Status saved = WriteFileReplacing(save, new_note);
  if (!saved.ok()) {
    return Fail("audit", "the log " + new_cp->origin + " grew from " + std::to_string(old_cp.size) +
                             " to " + std::to_string(new_cp->size) +
                             " entries, append-only, but the new checkpoint was not saved to " +
                             save + ": " + saved.message());
  }
  std::printf("OK: log %s grew from %llu to %llu entries, append-only; saved %s\n",
              new_cp->origin.c_str(), static_cast<unsigned long long>(old_cp.size),
              static_cast<unsigned long long>(new_cp->size), save.c_str());
  if (quorum > 0) {
    std::printf("OK: cosigned by at least %zu of the %zu witnesses given\n", quorum,
                witnesses.size());
  }
  return 0;
}

}  // namespace

void AddVerifyCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd =
      parent.add_subcommand("verify", "verify a record bundle offline with the log's public key");
  cmd->footer(
      "Checks a record bundle (the JSON of GET /v1/records/{id}) fully offline: the\n"
      "checkpoint's signature with KEY (a PEM public key or a signed-note verifier key, from\n"
      "GET /v1/log/key), and the record's inclusion in that checkpoint's tree; for a revoked\n"
      "record, that its revocation entry revokes this record, by its issuer, and is in the\n"
      "same checkpoint's tree (printed: who, when, why); with --witness-vkey, K of those\n"
      "witnesses' C2SP cosignatures on the checkpoint (all of them without --quorum).\n"
      "Exit 0 valid (revoked or not), 1 invalid (a revoked status without a verifiable\n"
      "revocation too), 2 bad arguments.");
  cmd->add_option("--bundle", o->bundle, "the record bundle (JSON of GET /v1/records/{id})")
      ->type_name("FILE")
      ->required();
  cmd->add_option("--key", o->keys,
                  "the log's PEM public key or verifier key (file or text); repeat, separate with "
                  "commas or list one per line in a file to accept a rotated key's checkpoints")
      ->type_name("KEY")
      ->required();
  AddWitnessFlags(cmd, &o->witnesses);
  cmd->callback([o, exit_code] { *exit_code = RunVerify(*o); });
}

void AddAuditCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* cmd =
      parent.add_subcommand("audit", "check the log was only appended to since a saved checkpoint");
  cmd->footer(
      "Fetches the latest checkpoint and a consistency proof from the checkpoint in\n"
      "CHECKPOINT_FILE, verifies both signatures and the proof, then saves the new checkpoint\n"
      "(to --save, default CHECKPOINT_FILE). KEY is a PEM public key or a verifier key;\n"
      "without it the server's own key is used (trust on first use). A missing\n"
      "CHECKPOINT_FILE starts from size 0. With --witness-vkey, the new checkpoint must carry\n"
      "K valid C2SP cosignatures of those witnesses (all without --quorum).\n"
      "Exit 0 consistent and saved; 1 a problem found (not consistent, a bad signature or\n"
      "cosignature, a log that shrank) or the new checkpoint not saved; 2 bad arguments;\n"
      "3 the log could not be reached or read (network error, timeout, HTTP 5xx, after\n"
      "retries): nothing was checked, try again later.");
  AddServerFlags(cmd, o.get(), /*server_required=*/true, "not needed: the log is public");
  cmd->add_option("--from", o->from, "the saved checkpoint")
      ->type_name("CHECKPOINT_FILE")
      ->required();
  cmd->add_option("--key", o->keys,
                  "the log's PEM public key or verifier key (file or text); repeat, separate with "
                  "commas or list one per line in a file to accept a rotated key's checkpoints")
      ->type_name("KEY");
  cmd->add_option("--save", o->save, "where the new checkpoint is saved")->type_name("FILE");
  AddWitnessFlags(cmd, &o->witnesses);
  cmd->callback([o, exit_code] { *exit_code = RunAudit(*o); });
}

int CmdVerify(const CommandArgs& args) { return RunCommand(AddVerifyCommand, args); }
int CmdAudit(const CommandArgs& args) { return RunCommand(AddAuditCommand, args); }

}  // namespace lcb
