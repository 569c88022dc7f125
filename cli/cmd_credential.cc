// credential verify: a portable credential checked offline (cli/credential_check.h), answered
// as POST /v1/credentials/verify answers.
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/credential_check.h"

namespace lcb {
namespace {

constexpr char kUsage[] =
    "usage: creditbank credential verify --file F [--issuer-key KEY | --did DID]\n"
    "                                    [--status-list FILE]\n"
    "Verifies a credential the bank issued (GET /v1/records/{id}/credential), fully offline:\n"
    "F holds it as JSON (format di: a Data Integrity eddsa-jcs-2022 proof) or as a compact JWS\n"
    "(format jwt: VC-JOSE EdDSA; ob3-jwt: the Open Badges 3.0 JWT profile, RS256); \"-\" reads\n"
    "standard input. Checks the signature, the issuer's key, the validity dates and, with a\n"
    "status list, revocation.\n"
    "  --issuer-key KEY   the issuer's public key: a PEM file (Ed25519 or RSA), a JWK, or the\n"
    "                     JWK Set of GET /.well-known/jwks.json (both keys: every format)\n"
    "  --did DID          the issuer's did:key (\"id\" of GET /v1/credentials/issuer); di and jwt\n"
    "                     only. A did:web is on the network: pass its key with --issuer-key.\n"
    "                     Without either, any did:key issuer is trusted as itself.\n"
    "  --status-list FILE the BitstringStatusListCredential of GET /v1/status/{list} (the\n"
    "                     credential's credentialStatus.statusListCredential); its proof is\n"
    "                     checked with the same key. Without it the status is \"unknown\".\n"
    "Prints {\"verified\", \"format\", \"issuer\", \"status\", \"checks\", \"errors\"} on stdout.\n"
    "Exit 0 verified (and not revoked), 1 invalid, revoked, expired or tampered, 2 bad\n"
    "arguments or unreadable files.\n";

int Verify(const CommandArgs& argv) {
  Args args;
  std::string error;
  const bool parsed =
      ParseArgs(argv, {"file", "issuer-key", "did", "status-list"}, {"help"}, &args, &error);
  if (parsed && args.Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (parsed && !args.positional.empty()) error = "unexpected argument " + args.positional[0];
  if (parsed && error.empty() && !args.Has("file")) error = "--file is required";
  if (!error.empty()) {
    std::fprintf(stderr, "creditbank credential verify: %s\n\n%s", error.c_str(), kUsage);
    return 2;
  }
  OfflineVerifyRequest request;
  request.credential_path = args.Get("file");
  request.issuer_key_path = args.Get("issuer-key");
  request.did = args.Get("did");
  request.status_list_path = args.Get("status-list");
  request.now = vc::NowSeconds();
  StatusOr<OfflineVerifyOutcome> outcome = VerifyCredentialOffline(request);
  if (!outcome.ok()) {
    std::fprintf(stderr, "creditbank credential verify: %s\n", outcome.status().message().c_str());
    return 2;
  }
  for (const std::string& note : outcome->notes) {
    std::fprintf(stderr, "creditbank credential verify: note: %s\n", note.c_str());
  }
  std::printf("%s\n", outcome->result.ToJson().dump(2).c_str());
  return outcome->result.verified ? 0 : 1;
}

}  // namespace

int CmdCredential(const CommandArgs& args) {
  if (!args.empty() && args[0] == "verify")
    return Verify(CommandArgs(args.begin() + 1, args.end()));
  const bool help = !args.empty() && (args[0] == "--help" || args[0] == "-h");
  if (!help && !args.empty()) {
    std::fprintf(stderr, "creditbank credential: unknown command '%s'\n", args[0].c_str());
  }
  std::fputs(kUsage, help ? stdout : stderr);
  return help ? 0 : 2;
}

}  // namespace lcb
