// Verify a record bundle (what GET /v1/records/{id} returns, or the portal's download) or a
// credential. A bundle is checked entirely in the browser: the checkpoint's signature, the
// record's inclusion, and that the checkpoint is consistent with the log as it is now. A
// credential is sent to POST /v1/credentials/verify, where this server offers it.
import * as api from './api.js';
import {button, clear, credits, field, h, heading, notice, showErrors, summaryList, tag} from './dom.js';
import {date, kindLabel, S, t} from './i18n.js';
import {hexToBytes, verifyBundle, verifyCheckpoint, verifyConsistency} from './verify.js';
import {badge, ed25519Supported, getLogKey, settle, unsupported} from './verify_badge.js';

const L = {
  title: ['核验记录或凭证', 'Verify a record or credential'],
  intro: ['粘贴或选择记录包（JSON）或凭证。记录包完全在浏览器中核验，不依赖服务器的结论。', 'Paste or choose a record bundle (JSON) or a credential. A bundle is checked entirely in your browser, without relying on the server\'s word.'],
  text: ['记录包或凭证', 'Record bundle or credential'],
  file: ['或选择文件', 'Or choose a file'],
  check: ['核验', 'Verify'],
  empty: ['请粘贴内容或选择文件', 'Paste the content or choose a file'],
  notJson: ['这不是 JSON，也不是 JWT，因此既不是记录包，也不是凭证。请粘贴记录包或凭证的 JSON，或 JWT 形式的凭证（以两个点分隔的三段文字）。',
    'This is not JSON, nor a JWT, so it is neither a record bundle nor a credential. Paste a record bundle or a credential as JSON, or a credential as a JWT (three parts separated by two dots).'],
  neither: ['这是有效的 JSON，但既不是记录包，也不是凭证，因此没有进行核验。应为记录包（含 record、status 和 receipt 的 JSON 对象，即 GET /v1/records/{id} 的返回内容或记录页面下载的记录包），或凭证（含 @context 和 credentialSubject 的 W3C 可验证凭证 JSON 对象，或 JWT）。',
    'This is valid JSON, but neither a record bundle nor a credential, so nothing was checked. Expected a record bundle (a JSON object with "record", "status" and "receipt": what GET /v1/records/{id} returns, or the bundle a record\'s page downloads) or a credential (a W3C verifiable credential: a JSON object with "@context" and "credentialSubject", or a JWT).'],
  partial: ['这像是记录包，但缺少“{field}”，因此没有进行核验。记录包是含 record、status 和 receipt 的 JSON 对象（GET /v1/records/{id} 的返回内容或记录页面下载的记录包）。',
    'This looks like a record bundle but has no "{field}", so nothing was checked. A record bundle is a JSON object with "record", "status" and "receipt" (what GET /v1/records/{id} returns, or the bundle a record\'s page downloads).'],
  record: ['记录内容（由签名日志证明）', 'The record (as the signed log proves it)'],
  learner: ['学习者', 'Learner'],
  unit: ['课程或成果', 'Unit'],
  issuer: ['发证机构', 'Issuer'],
  kind: ['类型', 'Kind'],
  completed: ['取得日期', 'Completed on'],
  claimed: ['记录包声称的状态', 'Status the bundle claims'],
  credential: ['凭证核验结果（服务器）', 'Credential check (by the server)'],
  credentialMissing: ['此服务器暂不提供凭证核验（POST /v1/credentials/verify）。', 'This server does not verify credentials yet (POST /v1/credentials/verify).'],
  credentialOk: ['凭证有效', 'The credential verifies'],
  credentialBad: ['凭证无效', 'The credential does not verify'],
};

async function checkBundle(bundle, out) {
  const status = badge();
  out.append(status);
  if (!ed25519Supported()) return unsupported(status);
  const key = await getLogKey();
  const result = await verifyBundle(bundle, key);
  // The bundle's checkpoint must also be on the log as it is now (not a fork shown only to you).
  // Not checked (null) when the bundle itself failed: its checkpoint then proves nothing either
  // way, and "failed" would read as the log having been rewritten.
  let consistent = result.ok ? false : null;
  const current = await api.get('/v1/log/checkpoint');
  if (result.ok && current.ok) {
    const now = await verifyCheckpoint(current.data, key);
    const then = await verifyCheckpoint(bundle.receipt.checkpoint, key);
    if (now.ok && then.ok && then.size <= now.size) {
      const r = await api.get(`/v1/log/proof/consistency?first=${then.size}&second=${now.size}`);
      try {
        consistent = r.ok && await verifyConsistency(then.size, now.size, then.root, now.root, r.data.proof.map(hexToBytes));
      } catch (e) {
        consistent = false;
      }
    }
  }
  const checks = [...result.checks, {id: 'consistency', ok: consistent}];
  settle(status, result.ok && consistent === true, checks);
  const rec = bundle.record;
  out.append(h('h2', {class: 'heading-m'}, t(L.record)), summaryList([
    [t(L.learner), h('code', null, rec.learner)], [t(L.unit), rec.unit], [t(L.issuer), rec.issuer],
    [t(L.kind), kindLabel(rec.kind)], [t(S.creditsUnit), credits(rec.credits)], [t(L.completed), date(rec.completed_on)],
    [t(L.claimed), bundle.status === 'active' ? tag(t(S.active), 'green') : tag(t(S.revoked), 'red')],
  ]));
}

// `credential` is a JSON object or the text of a JWT.
async function checkCredential(credential, out) {
  const r = typeof credential === 'object' ? await api.post('/v1/credentials/verify', credential)
    : await api.call('POST', '/v1/credentials/verify', {body: credential, type: 'text/plain'});
  if (r.status === 404 || r.status === 405) return out.append(notice(t(L.credentialMissing), 'warning'));
  const data = r.data && typeof r.data === 'object' ? r.data : {};
  // No verdict (the server refused the request, or failed): nothing was checked.
  if (typeof data.verified !== 'boolean') {
    return out.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  }
  const status = badge();
  out.append(h('h2', {class: 'heading-m'}, t(L.credential)), status);
  const ok = r.ok && data.verified === true;
  const checks = (data.checks || []).map((c) => ({id: typeof c === 'string' ? c : JSON.stringify(c), ok: true}))
    .concat((data.errors || []).map((e) => ({id: typeof e === 'string' ? e : (e.message || JSON.stringify(e)), ok: false})));
  settle(status, ok, checks.length ? checks : [{id: ok ? t(L.credentialOk) : t(L.credentialBad), ok}]);
}

const JWT = /^[\w-]+\.[\w-]*\.[\w-]+$/;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// What the pasted text is: {bundle} (a record bundle), {credential} (a credential object or a
// JWT's text, a VC-API request's verifiableCredential taken out), or {problem} (why it is
// neither, with what was expected).
function classify(content) {
  const trimmed = content.trim();
  let parsed;
  try {
    parsed = JSON.parse(trimmed);
  } catch (err) {
    return JWT.test(trimmed) ? {credential: trimmed} : {problem: t(L.notJson)};
  }
  if (isObject(parsed) && (isObject(parsed.verifiableCredential) || typeof parsed.verifiableCredential === 'string')) {
    parsed = parsed.verifiableCredential;
  }
  if (typeof parsed === 'string' && JWT.test(parsed.trim())) return {credential: parsed.trim()};
  if (!isObject(parsed)) return {problem: t(L.neither)};
  if (parsed.record && parsed.receipt) return {bundle: parsed};
  if ('@context' in parsed || 'credentialSubject' in parsed) return {credential: parsed};
  // Half a bundle, or a record on its own (what a bundle's "record" holds).
  if (parsed.record) return {problem: t(L.partial, {field: 'receipt'})};
  if (parsed.receipt) return {problem: t(L.partial, {field: 'record'})};
  if (parsed.type === 'record' && parsed.learner) return {problem: t(L.partial, {field: 'receipt'})};
  return {problem: t(L.neither)};
}

export async function render({view, setTitle}) {
  setTitle(t(L.title));
  const errors = h('div');
  const text = field({id: 'verify-text', label: t(L.text), rows: 8});
  const file = field({id: 'verify-file', label: t(L.file), type: 'file', accept: '.json,.jwt,.txt,application/json'});
  const out = h('div', {'aria-live': 'polite'});
  view.append(errors, heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)), h('form', {novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      text.setError(null);
      clear(errors);
      clear(out);
      let content = text.input.value;
      if (file.input.files.length) content = await file.input.files[0].text();
      if (!content.trim()) {
        text.setError(t(L.empty));
        return showErrors(errors, [{id: text.id, text: t(L.empty)}]);
      }
      const what = classify(content);
      if (what.bundle) return checkBundle(what.bundle, out);
      if (what.credential) return checkCredential(what.credential, out);
      // Nothing to check: said beside the field, and no verification badge (which would read
      // as something checked and failed).
      text.setError(what.problem);
      showErrors(errors, [{id: text.id, text: what.problem}]);
    }}, text.group, file.group, button(t(L.check), {type: 'submit'})), out);
}
