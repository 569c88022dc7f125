// credential verify: a portable credential checked offline (cli/credential_check.h), answered
// as POST /v1/credentials/verify answers.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/credential_check.h"

namespace lcb {
namespace {

constexpr const char* kVerifyFooter =
    "F holds the credential (GET /v1/records/{id}/credential) as JSON (format di: a Data\n"
    "Integrity eddsa-jcs-2022 proof) or as a compact JWS (format jwt: VC-JOSE EdDSA; ob3-jwt:\n"
    "the Open Badges 3.0 JWT profile, RS256); \"-\" reads standard input. Checks the signature,\n"
    "the issuer's key, the validity dates and, with a status list, revocation. Nothing is\n"
    "fetched.\n"
    "  --issuer-key  a PEM file (Ed25519 or RSA), a JWK, or the JWK Set of\n"
    "                GET /.well-known/jwks.json (both keys: every format)\n"
    "  --did         the \"id\" of GET /v1/credentials/issuer; di and jwt only. A did:web is on\n"
    "                the network: pass its key with --issuer-key. Without either, any did:key\n"
    "                issuer is trusted as itself.\n"
    "  --status-list the BitstringStatusListCredential of GET /v1/status/{list} (the\n"
    "                credential's credentialStatus.statusListCredential); its proof is checked\n"
    "                with the same key. Without it the status is \"unknown\".\n"
    "Prints {\"verified\", \"format\", \"issuer\", \"status\", \"checks\", \"errors\"} on stdout.\n"
    "Exit 0 verified (and not revoked), 1 invalid, revoked, expired or tampered, 2 bad\n"
    "arguments or unreadable files.";

// What `credential verify` was given; "" = not given.
struct VerifyOptions {
  std::string file;
  std::string issuer_key;
  std::string did;
  std::string status_list;
};

int Verify(const VerifyOptions& options) {
  OfflineVerifyRequest request;
  request.credential_path = options.file;
  request.issuer_key_path = options.issuer_key;
  request.did = options.did;
  request.status_list_path = options.status_list;
  request.now = vc::NowSeconds();
  StatusOr<OfflineVerifyOutcome> outcome = VerifyCredentialOffline(request);
  if (!outcome.ok()) {
    std::fprintf(stderr, "creditbank credential verify: %s\n", outcome.status().message().c_str());
    return kExitUsage;
  }
  for (const std::string& note : outcome->notes) {
    std::fprintf(stderr, "creditbank credential verify: note: %s\n", note.c_str());
  }
  std::printf("%s\n", outcome->result.ToJson().dump(2).c_str());
  return outcome->result.verified ? kExitValid : kExitInvalid;
}

// A value flag of `verify`; given twice, the last one counts (as the parser before CLI11 did).
void AddValueFlag(CLI::App* cmd, const char* name, std::string* value, const char* type,
                  const char* help) {
  cmd->add_option(name, *value, help)
      ->type_name(type)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void AddVerifySubcommand(CLI::App* credential, int* exit_code) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd = credential->add_subcommand(
      "verify", "verify a credential the bank issued (di, jwt, ob3-jwt), fully offline");
  cmd->footer(kVerifyFooter);
  AddValueFlag(cmd, "--file", &o->file, "F", "the credential file (- reads stdin)");
  cmd->get_option("--file")->required();
  AddValueFlag(cmd, "--issuer-key", &o->issuer_key, "KEY", "the issuer's public key file");
  AddValueFlag(cmd, "--did", &o->did, "DID", "the issuer's did:key");
  AddValueFlag(cmd, "--status-list", &o->status_list, "FILE",
               "the issuer's status list credential (revocation)");
  cmd->callback([o, exit_code] { *exit_code = Verify(*o); });
}

}  // namespace

void AddCredentialCommand(CLI::App& parent, int* exit_code) {
  CLI::App* credential = parent.add_subcommand(
      "credential", "verify a portable credential offline (di, jwt, ob3-jwt)");
  credential->require_subcommand(1);
  AddVerifySubcommand(credential, exit_code);
}

int CmdCredential(const CommandArgs& args) { return RunCommand(AddCredentialCommand, args); }

}  // namespace lcb
