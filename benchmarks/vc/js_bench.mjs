// The digitalbazaar stack (@digitalbazaar/vc + eddsa-jcs-2022-cryptosuite) issuing and verifying
// the same OpenBadgeCredential as BM_IssueDi / BM_VerifyDi, on one core: prints
// {"issue_per_s", "verify_per_s"} as JSON. Usage: node js_bench.mjs UNSIGNED.json [SECONDS]
// (tests/credentials must have its npm packages: npm ci there).
import {readFileSync} from 'node:fs';
import {vc, Ed25519Multikey, DataIntegrityProof, createSignCryptosuite, createVerifyCryptosuite,
  documentLoader} from '../../tests/credentials/stack.mjs';

const credential = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const seconds = Number(process.argv[3] ?? 3);
const key = await Ed25519Multikey.generate({seed: new Uint8Array(32).fill(3)});
const did = 'did:key:' + key.publicKeyMultibase;
key.id = `${did}#${key.publicKeyMultibase}`;
key.controller = did;
credential.issuer.id = did;  // the JS key signs as the issuer, as the bank's key does in C++

const signSuite = new DataIntegrityProof({signer: key.signer(), cryptosuite: createSignCryptosuite()});
const verifySuite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
const issue = () => vc.issue({credential: structuredClone(credential), suite: signSuite, documentLoader});
// The C++ benchmark verifies without a status list (status "unknown"): no list here either.
const checkStatus = async () => ({verified: true});
const signed = await issue();
const verify = async () => {
  const r = await vc.verifyCredential({credential: signed, suite: verifySuite, documentLoader, checkStatus});
  if (!r.verified) throw new Error('did not verify: ' + JSON.stringify(r.error));
};

async function rate(fn) {
  for (let i = 0; i < 50; ++i) await fn();  // warm up (JIT, caches)
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end) {
    await fn();
    ++n;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}
const issuePerS = await rate(issue);
const verifyPerS = await rate(verify);
console.log(JSON.stringify({issue_per_s: Math.round(issuePerS), verify_per_s: Math.round(verifyPerS)}));
