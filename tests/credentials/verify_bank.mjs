// Outside verifiers on the bank's credentials (written by `credential_tool write DIR`):
// digitalbazaar's VC library verifies the Data Integrity (eddsa-jcs-2022) forms, jose the
// VC-JOSE and OB 3.0 RS256 JWTs, @digitalbazaar/vc-bitstring-status-list reads the revoked and
// the active index, jsonld.js expands the credential in safe mode (nothing dropped), and every
// tampered copy fails. Prints one line per check; exits 1 when any check fails.
import * as vc from '@digitalbazaar/vc';
import * as jose from 'jose';
import jsonld from 'jsonld';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {readFileSync} from 'node:fs';
import {documentLoader, addDocument, haveClrContext} from './loader.mjs';

const dir = process.argv[2];
const read = name => readFileSync(`${dir}/${name}`, 'utf8');
const json = name => JSON.parse(read(name));
const bank = json('bank.json');
const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
let failures = 0;
const check = (name, ok, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ' (' + detail + ')' : ''}`);
  if (!ok) failures++;
};
const why = r => r.error?.errors?.[0]?.message ?? r.error?.message ?? JSON.stringify(r.error ?? '');

// Status: the list is handed to the loader (no fetch); read results[0].status (true = set):
// verifyCredential says verified: true for a revoked credential too.
const list = json('status-list.json');
addDocument(bank.status_list_url, list);
const listCheck = await vc.verifyCredential({credential: list, suite, documentLoader});
check('digitalbazaar verifies the status list credential', listCheck.verified, why(listCheck));

// Data Integrity, with digitalbazaar (issuer = controller of the did:key method).
const statusOf = o => checkStatus({...o, suite, verifyStatusListCredential: true});
for (const name of ['di.json', 'revoked-di.json', 'clr.json']) {
  const r = await vc.verifyCredential({credential: json(name), suite, documentLoader, checkStatus: statusOf});
  check(`digitalbazaar verifies ${name}`, r.verified, r.verified ? '' : why(r));
}
for (const name of ['tampered-di.json', 'tampered-clr.json']) {
  const r = await vc.verifyCredential({credential: json(name), suite, documentLoader, checkStatus: statusOf});
  check(`digitalbazaar rejects ${name}`, !r.verified);
}
for (const [name, expect] of [['di.json', false], ['revoked-di.json', true]]) {
  const s = await checkStatus({credential: json(name), documentLoader, suite, verifyStatusListCredential: true});
  const revoked = s.results?.[0]?.status;
  check(`vc-bitstring-status-list: ${name} is ${expect ? 'revoked' : 'active'}`,
    s.verified && revoked === expect, JSON.stringify({verified: s.verified, revoked, error: s.error?.message}));
}

// VC-JOSE: kid is the did:key method, resolved offline from the identifier.
const didKeyJwk = async header => {
  const key = await Ed25519Multikey.from({publicKeyMultibase: header.kid.split('#')[1]});
  return jose.importJWK(await Ed25519Multikey.toJwk({keyPair: key}), 'EdDSA');
};
const jwtOk = async (jws, key, opts) => jose.jwtVerify(jws, key, opts).then(r => r, () => null);
const vcJwt = await jwtOk(read('jwt.txt'), didKeyJwk, {typ: 'vc+jwt', algorithms: ['EdDSA']});
check('jose verifies jwt.txt (vc+jwt, EdDSA, did:key kid)', vcJwt && vcJwt.protectedHeader.cty === 'vc' &&
  vcJwt.payload.issuer.id === bank.did && !('vc' in vcJwt.payload));
check('jose rejects tampered-jwt.txt', !(await jwtOk(read('tampered-jwt.txt'), didKeyJwk, {typ: 'vc+jwt'})));

// OB 3.0 JWT profile: RS256, typ JWT, key embedded as jwk (checked against the bank's JWKS) or
// named by kid in the bank's JWK Set.
const rsaJwk = bank.jwks.keys.find(k => k.kty === 'RSA');
const ob3 = await jwtOk(read('ob3-jwt.txt'), jose.EmbeddedJWK, {typ: 'JWT', algorithms: ['RS256']});
check('jose verifies ob3-jwt.txt (RS256, embedded jwk)', ob3 &&
  await jose.calculateJwkThumbprint(ob3.protectedHeader.jwk) === rsaJwk.kid &&
  ob3.payload.iss === bank.did && ob3.payload.jti === ob3.payload.id &&
  ob3.payload.sub === ob3.payload.credentialSubject.id && typeof ob3.payload.nbf === 'number');
const jwks = jose.createLocalJWKSet(bank.jwks);
const ob3kid = await jwtOk(read('ob3-jwt-kid.txt'), jwks, {typ: 'JWT', algorithms: ['RS256']});
check('jose verifies ob3-jwt-kid.txt (RS256, kid in the bank JWKS)', !!ob3kid);
check('jose rejects tampered-ob3-jwt.txt',
  !(await jwtOk(read('tampered-ob3-jwt.txt'), jose.EmbeddedJWK, {algorithms: ['RS256']})));

// Every property is defined by the contexts: JSON-LD expansion in safe mode drops nothing.
const safe = async (name, doc) => {
  try {
    await jsonld.expand(doc, {documentLoader, safe: true});
    check(`jsonld.js safe mode expands ${name}`, true);
  } catch (e) {
    check(`jsonld.js safe mode expands ${name}`, false, e.details?.event?.code ?? e.message);
  }
};
await safe('the unsigned OpenBadgeCredential', json('unsigned.json'));
await safe('the secured OpenBadgeCredential', json('di.json'));
await safe('the status list credential', list);
if (haveClrContext) {
  await safe('the ClrCredential', json('clr.json'));
} else {
  console.log('skip jsonld.js safe mode on the ClrCredential: the CLR 2.0.1 context is in no ' +
    'npm package (put it at $LCB_VECTORS_DIR/clr/context-2.0.1.json)');
  for (const [i, c] of json('clr.json').credentialSubject.verifiableCredential.entries()) {
    await safe(`embedded credential ${i} of the ClrCredential`, c);
  }
}
console.log(failures === 0 ? 'verify_bank: all checks passed' : `verify_bank: ${failures} checks FAILED`);
process.exit(failures === 0 ? 0 : 1);
