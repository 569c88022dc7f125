// Verification in the browser, trusting nothing the server says about itself: the checkpoint
// (a C2SP signed note) is checked with WebCrypto Ed25519 against the log's verifier key, and
// proofs are recomputed with WebCrypto SHA-256 by RFC 9162's algorithms. The record's entry
// bytes are its RFC 8785 (JCS) canonical JSON, so the leaf hash is recomputed from the record.

const enc = new TextEncoder();

export function hexToBytes(hex) {
  if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error('bad hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function base64ToBytes(s) {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));

// RFC 8785: ECMAScript serialization of numbers and strings, members sorted by UTF-16 code
// units, no whitespace.
export function canonicalJson(v) {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('not a JSON number');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
}

const half = (n) => Math.floor(n / 2);
const odd = (n) => n % 2 === 1;

// RFC 9162 §2.1.3.2: the root that `proof` gives for leaf `index` of a tree of `size`, or
// null when the proof has the wrong shape.
export async function rootFromInclusionProof(index, size, leaf, proof) {
  if (!(index < size)) return null;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) while (!(odd(fn) || fn === 0)) { fn = half(fn); sn = half(sn); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 ? r : null;
}

// RFC 9162 §2.1.4.2, with the C2SP rule that from size 0 the empty proof is valid.
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  // A first tree that is a complete subtree is itself the first node of the path.
  const path = Number.isInteger(Math.log2(first)) ? [firstRoot, ...proof] : proof;
  let fn = first - 1, sn = second - 1;
  while (odd(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) while (!(odd(fn) || fn === 0)) { fn = half(fn); sn = half(sn); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

// A signed-note verifier key "<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>".
export async function parseVerifierKey(vkey) {
  // The name has no '+'; the base64 key may.
  const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(String(vkey));
  if (!m) throw new Error('bad verifier key');
  const [, name, id, b64] = m;
  const raw = base64ToBytes(b64);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error('not an Ed25519 verifier key');
  const pk = raw.slice(1);
  // C2SP signed-note: the key id is SHA-256(name || "\n" || 0x01 || key)[:4].
  const want = (await sha256(concat(enc.encode(name), Uint8Array.of(0x0a), raw))).slice(0, 4);
  if (bytesToHex(want) !== id) throw new Error('the verifier key id does not match the key');
  const key = await crypto.subtle.importKey('raw', pk, {name: 'Ed25519'}, false, ['verify']);
  return {name, id, key};
}

// Splits a signed note into its text and signature lines.
export function parseNote(note) {
  const cut = note.indexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const text = note.slice(0, cut + 1);
  const signatures = note.slice(cut + 2, -1).split('\n').map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error('bad signature line');
    const blob = base64ToBytes(m[2]);
    return {name: m[1], id: bytesToHex(blob.slice(0, 4)), sig: blob.slice(4)};
  });
  return {text, signatures};
}

// A tlog-checkpoint body: origin, tree size, base64 root hash (extension lines ignored).
export function parseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.length < 4 || !/^\d+$/.test(lines[1])) throw new Error('not a checkpoint');
  const root = base64ToBytes(lines[2]);
  if (root.length !== 32) throw new Error('bad root hash');
  return {origin: lines[0], size: Number(lines[1]), root};
}

// Verifies a checkpoint note against the log's keys (the answer of GET /v1/log/key).
// Returns {ok, origin, size, root, reason}.
export async function verifyCheckpoint(note, logKey) {
  let parsed, cp;
  try {
    parsed = parseNote(note);
    cp = parseCheckpoint(parsed.text);
  } catch (e) {
    return {ok: false, reason: 'format'};
  }
  const vkeys = [logKey.verifier_key, ...(logKey.keys || []).map((k) => k.verifier_key)];
  for (const vk of new Set(vkeys)) {
    let k;
    try { k = await parseVerifierKey(vk); } catch (e) { continue; }
    for (const s of parsed.signatures) {
      if (s.name !== k.name || s.id !== k.id || s.sig.length !== 64) continue;
      const ok = await crypto.subtle.verify({name: 'Ed25519'}, k.key, s.sig, enc.encode(parsed.text));
      if (ok && cp.origin === k.name) return {ok: true, ...cp};
      return {ok: false, reason: ok ? 'origin' : 'signature', ...cp};
    }
  }
  return {ok: false, reason: 'no_key', ...cp};
}

// Whether `entry` (a parsed log entry) is leaf `receipt.leaf_index` of the tree `cp` commits to.
async function included(entry, receipt, cp) {
  try {
    const leaf = await leafHash(enc.encode(canonicalJson(entry)));
    const proof = (receipt.inclusion_proof || []).map(hexToBytes);
    const sizeOk = receipt.tree_size === undefined || receipt.tree_size === cp.size;
    const root = sizeOk && cp.root ? await rootFromInclusionProof(receipt.leaf_index, cp.size, leaf, proof) : null;
    return !!root && equal(root, cp.root);
  } catch (e) {
    return false;
  }
}

// A revoked record's bundle proves its revocation (as creditbank verify does): the entry revokes
// this record, by its issuer, is the bundle's revoked_by, comes later in the log, and is in the
// tree of the same checkpoint as the record. null when the bundle neither is nor says it is
// revoked.
async function revocationProven(bundle, cp) {
  const rev = bundle.revocation;
  if (!rev) return bundle.status === 'revoked' ? false : null;
  const e = rev.entry, r = rev.receipt, rec = bundle.record;
  if (bundle.status !== 'revoked' || !e || !r || r.checkpoint !== bundle.receipt.checkpoint) return false;
  if (e.type !== 'revocation' || e.record !== rec.id || e.issuer !== rec.issuer || e.id !== bundle.revoked_by) return false;
  if (rev.leaf_index !== r.leaf_index || !(r.leaf_index > bundle.receipt.leaf_index)) return false;
  return included(e, r, cp);
}

// Verifies a record bundle (the answer of GET /v1/records/{id}): the checkpoint's signature,
// then the record's inclusion in the tree it commits to and, for a revoked record, its
// revocation's. Returns {ok, checks: [{id, ok}], size}.
export async function verifyBundle(bundle, logKey) {
  if (!bundle || !bundle.record) return {ok: false, checks: [{id: 'shape', ok: false}]};
  const result = await verifyEntry(bundle.record, bundle.receipt, logKey);
  if (!result.cp) return result;
  const revoked = await revocationProven(bundle, result.cp);
  if (revoked !== null) result.checks.push({id: 'revocation', ok: revoked});
  result.ok = result.ok && revoked !== false;
  return result;
}

// Verifies any log entry as the bank shows it (a record, an applied conversion) against its
// receipt: the checkpoint's signature, then the inclusion of leaf-hash(JCS(entry)) at the
// receipt's leaf index in the tree the checkpoint commits to.
// Returns {ok, checks: [{id, ok}], size, origin, leaf, cp}.
export async function verifyEntry(entry, receipt, logKey) {
  const checks = [];
  if (!entry || typeof entry !== 'object' || !receipt || typeof receipt.checkpoint !== 'string') {
    return {ok: false, checks: [{id: 'shape', ok: false}]};
  }
  const cp = await verifyCheckpoint(receipt.checkpoint, logKey);
  checks.push({id: 'signature', ok: cp.ok});
  const inTree = await included(entry, receipt, cp);
  checks.push({id: 'inclusion', ok: inTree});
  return {ok: cp.ok && inTree, checks, size: cp.size, origin: cp.origin, leaf: receipt.leaf_index, cp};
}
