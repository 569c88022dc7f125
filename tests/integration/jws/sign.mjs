// An institution's signer, independent of the C++ code: makes Ed25519 keys and signs request
// bodies as a compact JWS with a detached payload (RFC 7515 Appendix F: "header..signature"),
// alg EdDSA, with the kid the bank knows the key by. Used by tests/integration/security_test.cc.
//
//   node sign.mjs keygen --out KEY.jwk --kid KID   writes the private JWK (0600) to KEY.jwk and
//                                                  prints the public JWK {kty, crv, x, kid, alg}
//   node sign.mjs sign --key KEY.jwk --body FILE   prints the detached JWS over FILE's exact bytes
//   node sign.mjs check                            exits 0 if jose loads (used to skip tests)
//
// Exit codes: 0 ok, 1 failure, 2 bad arguments.
import { readFileSync, writeFileSync } from 'node:fs';

function usage(message) {
  process.stderr.write(`sign.mjs: ${message}\n` +
    'usage: node sign.mjs keygen --out KEY.jwk --kid KID | sign --key KEY.jwk --body FILE | check\n');
  process.exit(2);
}

function flags(args) {
  const out = {};
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith('--') || i + 1 >= args.length) usage(`bad argument ${args[i]}`);
    out[args[i].slice(2)] = args[i + 1];
  }
  return out;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  // Imported here so that a missing module is reported as such (exit 1), not as a crash.
  let jose;
  try {
    jose = await import('jose');
  } catch (e) {
    process.stderr.write(`sign.mjs: cannot load the jose module (run npm ci here): ${e.message}\n`);
    process.exit(1);
  }
  if (command === 'check') return;
  const f = flags(rest);
  if (command === 'keygen') {
    if (!f.out || !f.kid) usage('keygen needs --out and --kid');
    const { publicKey, privateKey } =
        await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const priv = { ...(await jose.exportJWK(privateKey)), kid: f.kid, alg: 'EdDSA' };
    writeFileSync(f.out, JSON.stringify(priv), { mode: 0o600 });
    const pub = { ...(await jose.exportJWK(publicKey)), kid: f.kid, alg: 'EdDSA' };
    process.stdout.write(JSON.stringify(pub) + '\n');
    return;
  }
  if (command === 'sign') {
    if (!f.key || !f.body) usage('sign needs --key and --body');
    const jwk = JSON.parse(readFileSync(f.key, 'utf8'));
    const key = await jose.importJWK(jwk, 'EdDSA');
    const body = readFileSync(f.body);  // the exact bytes, no re-encoding
    const jws = await new jose.FlattenedSign(new Uint8Array(body))
        .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid })
        .sign(key);
    // Detached: the payload part is left empty; the verifier supplies the body itself.
    process.stdout.write(`${jws.protected}..${jws.signature}\n`);
    return;
  }
  usage(`unknown command ${command ?? '(none)'}`);
}

main().catch((e) => {
  process.stderr.write(`sign.mjs: ${e.stack ?? e}\n`);
  process.exit(1);
});
