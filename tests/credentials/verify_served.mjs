// Outside verifiers on credentials fetched from a real running server (ctest
// "credentials_served_interop"): starts `creditbank serve` on a free loopback port in a temp
// data dir, loads a small catalog over the API, posts two records and revokes one, then fetches
// the issuer documents, the record credentials in every form, the CLR and the status list, and
// checks them with libraries nobody on the project wrote: digitalbazaar's VC library
// (eddsa-jcs-2022) and vc-bitstring-status-list, jose for the JWTs (VC-JOSE through the did:key
// kid, OB 3.0 RS256 through the served JWK Set). A copy with one value changed must fail.
// Then credentials as input: an institution outside the bank issues Open Badges with the same
// libraries (digitalbazaar eddsa-jcs-2022, jose VC-JOSE EdDSA) and the learner presents them to
// POST /v1/learners/{id}/credentials: good ones become records once, bad ones are 422.
// Usage: node verify_served.mjs CREDITBANK_BINARY WORK_DIR. Exits 1 when any check fails.
import * as vc from '@digitalbazaar/vc';
import * as jose from 'jose';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createSignCryptosuite, createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus, createCredential, createList} from '@digitalbazaar/vc-bitstring-status-list';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';
import {documentLoader, addDocument} from './loader.mjs';

const [bin, dir] = process.argv.slice(2);
let failures = 0;
const check = (name, ok, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ' (' + detail + ')' : ''}`);
  if (!ok) failures++;
};
const why = r => r.error?.errors?.[0]?.message ?? r.error?.message ?? JSON.stringify(r.error ?? '');

const server = spawn(bin, ['serve', '--data', `${dir}/bank`, '--listen', '127.0.0.1:0',
  '--port-file', `${dir}/port`, '--log-level', 'error'], {stdio: ['ignore', 'inherit', 'inherit']});
const stop = () => { if (server.exitCode === null) server.kill('SIGTERM'); };
process.on('exit', stop);

async function waitForPort() {
  for (let i = 0; i < 200; i++) {
    if (existsSync(`${dir}/port`)) {
      const text = readFileSync(`${dir}/port`, 'utf8').trim();
      if (text) return Number(text);
    }
    if (server.exitCode !== null) throw new Error(`creditbank serve exited with ${server.exitCode}`);
    await sleep(50);
  }
  throw new Error('creditbank serve did not write its port file in 10 s');
}

const base = `http://127.0.0.1:${await waitForPort()}`;
const admin = readFileSync(`${dir}/bank/admin.token`, 'utf8').trim();
async function call(method, path, token, body, expect) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, {method, headers,
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body))});
  const text = await r.text();
  if (expect && r.status !== expect) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return {status: r.status, type: r.headers.get('content-type'), text};
}
const callJson = async (...args) => JSON.parse((await call(...args)).text);

try {
  // A catalog, a learner and two records, one revoked, through the API.
  await call('PUT', '/v1/institutions/tsinghua', admin, {name: '清华大学', kind: 'university'}, 200);
  await call('PUT', '/v1/units/tsinghua:CS101', admin,
    {title: '程序设计基础', kind: 'degree_course', credits: 4, level: 6, field: '0613'}, 200);
  const inst = (await callJson('POST', '/v1/tokens', admin, {role: 'institution:tsinghua'}, 201)).token;
  const learner = (await callJson('POST', '/v1/learners', inst, {display_name: '张三'}, 201)).id;
  const me = (await callJson('POST', '/v1/tokens', admin, {role: `learner:${learner}`}, 201)).token;
  const post = async ref => (await callJson('POST', '/v1/records', inst, {learner, unit: 'tsinghua:CS101',
    external_ref: ref, grade: {scale: 'percent', value: '91'}, completed_on: '2024-06-30'}, 201)).records[0].id;
  const active = await post('SERVED-1');
  const revoked = await post('SERVED-2');
  await call('POST', `/v1/records/${revoked}/revoke`, inst, {reason: 'interop'}, 200);

  const issuer = await callJson('GET', '/v1/credentials/issuer', '', undefined, 200);
  const jwks = await callJson('GET', '/.well-known/jwks.json', '', undefined, 200);
  const get = (id, format) => call('GET', `/v1/records/${id}/credential?format=${format}`, me, undefined, 200);
  const di = JSON.parse((await get(active, 'di')).text);
  const revokedDi = JSON.parse((await get(revoked, 'di')).text);
  const listUrl = di.credentialStatus.statusListCredential;
  const list = await callJson('GET', new URL(listUrl).pathname, '', undefined, 200);
  addDocument(listUrl, list);

  const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
  const statusOf = o => checkStatus({...o, suite, verifyStatusListCredential: true});
  const listCheck = await vc.verifyCredential({credential: list, suite, documentLoader});
  check('digitalbazaar verifies the served status list', listCheck.verified, why(listCheck));
  check('the served credential names the bank as issuer', di.issuer.id === issuer.id);
  for (const [name, credential] of [['the served di credential', di], ['the served revoked credential', revokedDi]]) {
    const r = await vc.verifyCredential({credential, suite, documentLoader, checkStatus: statusOf});
    check(`digitalbazaar verifies ${name}`, r.verified, r.verified ? '' : why(r));
  }
  for (const [name, credential, expect] of [['active', di, false], ['revoked', revokedDi, true]]) {
    const s = await checkStatus({credential, documentLoader, suite, verifyStatusListCredential: true});
    check(`vc-bitstring-status-list: the served ${name} record is ${name}`,
      s.verified && s.results?.[0]?.status === expect, JSON.stringify({verified: s.verified, error: s.error?.message}));
  }
  const tampered = structuredClone(di);
  tampered.credentialSubject.creditsEarned = 40;
  const t = await vc.verifyCredential({credential: tampered, suite, documentLoader, checkStatus: statusOf});
  check('digitalbazaar rejects a changed copy of the served credential', !t.verified);
  const served = await callJson('POST', '/v1/credentials/verify', '', tampered, 200);
  check('the bank rejects the same changed copy', served.verified === false);

  const clrResponse = await call('GET', `/v1/learners/${learner}/transcript?format=clr`, me, undefined, 200);
  const clr = JSON.parse(clrResponse.text);
  const c = await vc.verifyCredential({credential: clr, suite, documentLoader, checkStatus: statusOf});
  check('digitalbazaar verifies the served CLR transcript', c.verified &&
    clr.credentialSubject.verifiableCredential.length === 1, c.verified ? '' : why(c));

  const didKeyJwk = async header => {
    const key = await Ed25519Multikey.from({publicKeyMultibase: header.kid.split('#')[1]});
    return jose.importJWK(await Ed25519Multikey.toJwk({keyPair: key}), 'EdDSA');
  };
  const jwt = await get(active, 'jwt');
  const v = await jose.jwtVerify(jwt.text, didKeyJwk, {typ: 'vc+jwt', algorithms: ['EdDSA']}).catch(() => null);
  check('jose verifies the served jwt (vc+jwt, EdDSA, did:key kid)', jwt.type === 'application/vc+jwt' &&
    v?.protectedHeader.cty === 'vc' && v?.payload.issuer.id === issuer.id);
  const ob3 = await get(active, 'ob3-jwt');
  const o = await jose.jwtVerify(ob3.text, jose.createLocalJWKSet(jwks), {typ: 'JWT', algorithms: ['RS256']})
    .catch(e => ({error: e.message}));
  check('jose verifies the served ob3-jwt (RS256, kid in the served JWK Set)', ob3.type === 'application/jwt' &&
    o.payload?.iss === issuer.id && o.payload?.jti === di.id, o.error ?? '');
  // Credentials as input. The institution registers the public key of its badge signer.
  const BADGES = 'https://badges.tsinghua.example/issuer';
  const ACHIEVEMENT = 'https://badges.tsinghua.example/achievements/python';
  const badgeKey = async (kid) => {
    const seed = crypto.randomBytes(32);
    const multikey = await Ed25519Multikey.generate({seed, id: `${BADGES}#${kid}`, controller: BADGES});
    const privateKey = crypto.createPrivateKey({format: 'der', type: 'pkcs8',
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed])});
    return {kid, multikey, privateKey, jwk: crypto.createPublicKey(privateKey).export({format: 'jwk'})};
  };
  const registered = await badgeKey('b1');
  const unregistered = await badgeKey('b9');
  await call('PUT', '/v1/institutions/tsinghua', admin, {name: '清华大学', kind: 'university',
    public_keys: [{...registered.jwk, kid: 'b1'}]}, 200);
  await call('PUT', '/v1/units/tsinghua:PY1', admin, {title: 'Python', kind: 'skill_certificate',
    credits: 2, level: 5, field: '0613', aligned_achievements: [ACHIEVEMENT]}, 200);
  const iso = t => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
  const badge = ({subject = `urn:creditbank:learner:${learner}`, validUntil} = {}) => ({
    '@context': ['https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: BADGES, type: ['Profile'], name: '清华大学'},
    name: 'Python', validFrom: iso(Date.now() - 30 * 86400e3), ...(validUntil ? {validUntil} : {}),
    credentialSubject: {id: subject, type: ['AchievementSubject'],
      achievement: {id: ACHIEVEMENT, type: ['Achievement'], name: 'Python',
        description: 'Python programming.', criteria: {narrative: 'Passed the exam.'}}}});
  const signDi = (cred, key = registered) => vc.issue({credential: cred, documentLoader,
    suite: new DataIntegrityProof({signer: key.multikey.signer(), cryptosuite: createSignCryptosuite()})});
  const signJwt = (cred, key = registered) => new jose.CompactSign(new TextEncoder().encode(JSON.stringify(cred)))
    .setProtectedHeader({alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: key.kid}).sign(key.privateKey);
  const present = body => call('POST', `/v1/learners/${learner}/credentials`, me,
    typeof body === 'string' ? body : JSON.stringify(body));
  const records = async () => (await callJson('GET', `/v1/learners/${learner}/records`, me, undefined, 200)).records;
  const before = (await records()).length;
  const diBadge = JSON.stringify(await signDi(badge()));
  const first = await present(diBadge);
  const firstBody = JSON.parse(first.text);
  check('the bank accepts a digitalbazaar eddsa-jcs-2022 Open Badge as a record', first.status === 201 &&
    firstBody.source === 'credential' && firstBody.issuer === 'tsinghua' && firstBody.unit === 'tsinghua:PY1',
    first.text);
  const again = await present(diBadge);
  check('presenting it again stores no second record', again.status === 200 &&
    JSON.parse(again.text).id === firstBody.id && (await records()).length === before + 1, again.text);
  const jwtBadge = await present(await signJwt(badge()));
  check('the bank accepts a jose VC-JOSE (EdDSA) Open Badge', jwtBadge.status === 201 &&
    JSON.parse(jwtBadge.text).format === 'jwt', jwtBadge.text);
  const stored = (await records()).length;
  const tamperedBadge = await signDi(badge());
  tamperedBadge.name = 'Python (changed)';
  for (const [name, body, reason] of [
    ['a changed copy', tamperedBadge, 'bad_signature'],
    ['an unregistered key', await signDi(badge(), unregistered), 'unknown_issuer'],
    ['an expired badge', await signDi(badge({validUntil: iso(Date.now() - 86400e3)})), 'expired'],
    ['another subject', await signDi(badge({subject: 'did:example:someone-else'})), 'subject_mismatch'],
    ['an expired jose badge', await signJwt(badge({validUntil: iso(Date.now() - 86400e3)})), 'expired']]) {
    const r = await present(body);
    check(`the bank refuses ${name} with ${reason}`, r.status === 422 &&
      JSON.parse(r.text).reason === reason, r.text);
  }
  check('refused badges store nothing', (await records()).length === stored);
  // The institution's own status list (vc-bitstring-status-list, bit 13 set), signed with its
  // key, brought along in the envelope {credential, status_lists}.
  const LIST = 'https://badges.tsinghua.example/status/1';
  const bits = await createList({length: 131072});
  bits.setStatus(13, true);
  const listCredential = await createCredential({id: LIST, list: bits, statusPurpose: 'revocation'});
  Object.assign(listCredential, {issuer: BADGES, validFrom: iso(Date.now() - 60 * 86400e3)});
  const signedList = await signDi(listCredential);
  const listed = index => ({...badge(), credentialStatus: {id: `${LIST}#${index}`,
    type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(index),
    statusListCredential: LIST}});
  const refusedDi = await present({credential: await signDi(listed(13)), status_lists: [signedList]});
  check('the bank refuses a badge its issuer revoked in its status list', refusedDi.status === 422 &&
    JSON.parse(refusedDi.text).reason === 'revoked', refusedDi.text);
  const refusedJwt = await present({credential: await signJwt(listed(13)), status_lists: [signedList]});
  check('the bank refuses a jose badge its issuer revoked', refusedJwt.status === 422 &&
    JSON.parse(refusedJwt.text).reason === 'revoked', refusedJwt.text);
  check('revoked badges store nothing', (await records()).length === stored);
  const clearBit = await present({credential: await signDi(listed(12)), status_lists: [signedList]});
  check('the bank accepts a badge whose bit is clear in the list brought along', clearBit.status === 201,
    clearBit.text);
} catch (e) {
  check('the served-credential run', false, e.message);
} finally {
  stop();
  // Wait for the server to finish shutting down: the caller removes its data dir next.
  if (server.exitCode === null && server.signalCode === null) {
    await Promise.race([new Promise(r => server.once('exit', r)), sleep(10000)]);
  }
}
console.log(failures === 0 ? 'verify_served: all checks passed' : `verify_served: ${failures} checks FAILED`);
process.exit(failures === 0 ? 0 : 1);
