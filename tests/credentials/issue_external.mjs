// An institution outside the bank issues Open Badges 3.0 credentials with the JS libraries
// (eddsa-jcs-2022 with digitalbazaar's VC library, VC-JOSE EdDSA and the OB 3.0 RS256 JWT with
// jose), good ones and bad ones, into DIR, with DIR/cases.json saying what the bank's verifier
// must answer for each (`credential_tool check DIR/cases.json`).
import * as vc from '@digitalbazaar/vc';
import * as jose from 'jose';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createSignCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {createList, createCredential} from '@digitalbazaar/vc-bitstring-status-list';
import crypto from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {documentLoader} from './loader.mjs';

const dir = process.argv[2];
const write = (name, data) => writeFileSync(`${dir}/${name}`,
  typeof data === 'string' ? data : JSON.stringify(data, null, 2));

const ISSUER = 'https://www.tsinghua.edu.cn/issuers/1';
const SUBJECT = 'did:example:learner-1';
const ACHIEVEMENT = 'https://www.tsinghua.edu.cn/achievements/cs101';
const LIST = 'https://www.tsinghua.edu.cn/status/1';
const day = 86400 * 1000;
const iso = t => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
const now = Date.now();

// An Ed25519 key as both a Multikey signer (digitalbazaar) and a KeyObject (jose).
async function ed25519Key(id) {
  const seed = crypto.randomBytes(32);
  const multikey = await Ed25519Multikey.generate({seed, id, controller: ISSUER});
  const privateKey = crypto.createPrivateKey({format: 'der', type: 'pkcs8',
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed])});
  const jwk = crypto.createPublicKey(privateKey).export({format: 'jwk'});
  return {multikey, privateKey, jwk};
}
const ed = await ed25519Key(`${ISSUER}#e1`);
const stranger = await ed25519Key(`${ISSUER}#e9`);       // a key nobody registered
const rsa = await jose.generateKeyPair('RS256', {extractable: true});
const rsaJwk = {...await jose.exportJWK(rsa.publicKey), kid: 'r1'};
const strangerRsa = await jose.generateKeyPair('RS256', {extractable: true});

function credential({index = 12, subject = SUBJECT, achievement = ACHIEVEMENT,
  validFrom = iso(now - 30 * day), validUntil = iso(now + 365 * day)} = {}) {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: ISSUER, type: ['Profile'], name: '清华大学'},
    name: 'Programming Fundamentals', validFrom, validUntil,
    credentialSubject: {id: subject, type: ['AchievementSubject'],
      achievement: {id: achievement, type: ['Achievement'], name: 'Programming Fundamentals',
        description: 'Four credits of programming.', criteria: {narrative: 'Passed the exam.'},
        achievementType: 'Course', creditsAvailable: 4},
      creditsEarned: 4},
    credentialStatus: {id: `${LIST}#${index}`, type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation', statusListIndex: String(index), statusListCredential: LIST}
  };
}

// vc.issue adds the proof to the object it is given: sign a copy.
const signDi = (cred, key = ed) => vc.issue({credential: structuredClone(cred), documentLoader,
  suite: new DataIntegrityProof({signer: key.multikey.signer(), cryptosuite: createSignCryptosuite()})});
const signVcJwt = (cred, key = ed) => new jose.CompactSign(new TextEncoder().encode(JSON.stringify(cred)))
  .setProtectedHeader({alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: key.multikey.id}).sign(key.privateKey);
function signOb3(cred, {key = rsa.privateKey, header = {kid: 'r1'}} = {}) {
  const claims = {iss: cred.issuer.id, jti: cred.id, sub: cred.credentialSubject.id,
    nbf: Math.floor(Date.parse(cred.validFrom) / 1000)};
  if (cred.validUntil) claims.exp = Math.floor(Date.parse(cred.validUntil) / 1000);
  return new jose.SignJWT({...cred, ...claims}).setProtectedHeader({alg: 'RS256', typ: 'JWT', ...header})
    .sign(key);
}
const tamperJson = signed => {
  const t = structuredClone(signed);
  t.credentialSubject.creditsEarned = 40;
  return t;
};
const tamperJws = jws => {
  const [h, p, s] = jws.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  payload.credentialSubject.creditsEarned = 40;
  return [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
};

// The institution's status list: index 13 revoked.
const list = await createList({length: 131072});
list.setStatus(13, true);
const listCredential = await createCredential({id: LIST, list, statusPurpose: 'revocation'});
Object.assign(listCredential, {issuer: ISSUER, validFrom: iso(now - 60 * day)});
write('institution-status-list.json', await signDi(listCredential));

const cases = [];
const add = async (file, expect, make) => {
  write(file, await make());
  cases.push({file, expect});
};
const good = credential();
await add('ext-di.json', 'verified', () => signDi(good));
await add('ext-jwt.txt', 'verified', () => signVcJwt(good));
await add('ext-ob3-kid.txt', 'verified', () => signOb3(good));
await add('ext-ob3-jwk.txt', 'verified', async () =>
  signOb3(good, {header: {jwk: await jose.exportJWK(rsa.publicKey)}}));
await add('ext-di-tampered.json', 'bad_signature', async () => tamperJson(await signDi(good)));
await add('ext-jwt-tampered.txt', 'bad_signature', async () => tamperJws(await signVcJwt(good)));
await add('ext-ob3-tampered.txt', 'bad_signature', async () => tamperJws(await signOb3(good)));
await add('ext-di-revoked.json', 'revoked', () => signDi(credential({index: 13})));
await add('ext-jwt-revoked.txt', 'revoked', () => signVcJwt(credential({index: 13})));
await add('ext-ob3-revoked.txt', 'revoked', () => signOb3(credential({index: 13})));
const expired = {validFrom: iso(now - 400 * day), validUntil: iso(now - 10 * day)};
await add('ext-di-expired.json', 'expired', () => signDi(credential(expired)));
await add('ext-ob3-expired.txt', 'expired', () => signOb3(credential(expired)));
await add('ext-jwt-not-yet-valid.txt', 'not_yet_valid',
  () => signVcJwt(credential({validFrom: iso(now + 10 * day)})));
await add('ext-di-foreign-subject.json', 'subject_mismatch',
  () => signDi(credential({subject: 'did:example:someone-else'})));
await add('ext-ob3-foreign-subject.txt', 'subject_mismatch',
  () => signOb3(credential({subject: 'did:example:someone-else'})));
await add('ext-di-unknown-achievement.json', 'unknown_achievement',
  () => signDi(credential({achievement: 'https://www.tsinghua.edu.cn/achievements/unknown'})));
await add('ext-di-unknown-issuer.json', 'unknown_issuer', () => signDi(good, stranger));
await add('ext-jwt-unknown-issuer.txt', 'unknown_issuer', () => signVcJwt(good, stranger));
await add('ext-ob3-unknown-issuer.txt', 'unknown_issuer', async () =>
  signOb3(good, {key: strangerRsa.privateKey, header: {jwk: await jose.exportJWK(strangerRsa.publicKey)}}));

write('cases.json', {
  institution: {jwks: [{...ed.jwk, kid: 'e1'}, rsaJwk]},
  status_list: 'institution-status-list.json',
  subject: SUBJECT,
  achievements: [ACHIEVEMENT],
  cases
});
console.log(`issue_external: wrote ${cases.length} credentials to ${dir}`);
