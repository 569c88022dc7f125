// The verification badge: data-testid="verify-status", data-state pending | verified | failed,
// with one line per check so that a reader sees what was checked and what failed.
import * as api from './api.js';
import {clear, h} from './dom.js';
import {t} from './i18n.js';

const L = {
  pending: ['正在浏览器中核验…', 'Checking in your browser…'],
  verified: ['已核验', 'Verified'],
  failed: ['核验失败', 'Verification failed'],
  signature: ['检查点的 Ed25519 签名（日志公钥来自 /v1/log/key）', 'The checkpoint\'s Ed25519 signature (log key from /v1/log/key)'],
  inclusion: ['记录包含在签名的日志树中（按 RFC 9162 重新计算包含证明）', 'The record is in the signed log tree (inclusion proof recomputed per RFC 9162)'],
  revocation: ['撤销记录撤销的是本记录、由发证机构作出，且同样包含在该签名的日志树中', 'The revocation is of this record, by its issuer, and in the same signed log tree'],
  consistency: ['日志只追加、未被改写（按 RFC 9162 重新计算一致性证明）', 'The log was only appended to (consistency proof recomputed per RFC 9162)'],
  current: ['当前检查点的签名', 'The current checkpoint\'s signature'],
  saved: ['保存的检查点的签名', 'The saved checkpoint\'s signature'],
  shape: ['内容是记录包（记录、状态和收据）', 'The content is a record bundle (record, status and receipt)'],
  browser: ['此浏览器不支持 Ed25519 核验，请使用最新版浏览器或命令行 creditbank verify。',
    'This browser cannot check Ed25519 signatures; use a current browser or creditbank verify.'],
  ok: ['通过', 'passed'],
  bad: ['未通过', 'failed'],
  skipped: ['未检查（前面的检查未通过）', 'not checked (an earlier check failed)'],
  how: ['核验在您的浏览器中完成，不依赖服务器的结论。', 'The checks run in your browser; they do not rely on the server\'s word.'],
};

export const CHECK_LABELS = L;

export function badge() {
  const el = h('div', {class: 'verify', 'data-testid': 'verify-status', 'data-state': 'pending', role: 'status',
    'aria-live': 'polite'}, h('p', {class: 'verify-title'}, t(L.pending)));
  return el;
}

// Shows the outcome of `checks` ([{id, ok}]; ok null: not made, since an earlier one failed) on
// a badge; `labels` ({id: [zh, en]}) names checks whose own labels do not fit (an entry that is
// not a record).
export function settle(el, ok, checks, labels = {}) {
  el.setAttribute('data-state', ok ? 'verified' : 'failed');
  clear(el).append(
    h('p', {class: 'verify-title'}, ok ? `✓ ${t(L.verified)}` : `✗ ${t(L.failed)}`),
    h('ul', null, checks.map((c) => {
      const label = labels[c.id] || L[c.id];
      return h('li', {'data-check': c.id, 'data-ok': c.ok === null ? 'skipped' : String(c.ok)},
        `${label ? t(label) : c.id}: ${t(c.ok === null ? L.skipped : c.ok ? L.ok : L.bad)}`);
    })),
    h('p', {class: 'hint'}, t(L.how)));
}

// Runs `check` (the log's keys -> {ok, checks}, verify.js) in the browser and settles `el` with
// its outcome; a browser without Ed25519 in WebCrypto is told so.
export async function runChecks(el, check, labels) {
  if (!ed25519Supported()) return unsupported(el);
  try {
    const result = await check(await getLogKey());
    settle(el, result.ok, result.checks, labels);
  } catch (e) {
    unsupported(el);
  }
}

export function unsupported(el) {
  el.setAttribute('data-state', 'failed');
  clear(el).append(h('p', {class: 'verify-title'}, `✗ ${t(L.failed)}`), h('p', null, t(L.browser)));
}

let logKey = null;
// The log's verifier keys (GET /v1/log/key), read once per page load.
export async function getLogKey() {
  if (!logKey) {
    const r = await api.get('/v1/log/key');
    if (!r.ok) throw new Error('no log key');
    logKey = r.data;
  }
  return logKey;
}

export function ed25519Supported() {
  return !!(window.crypto && crypto.subtle && window.isSecureContext);
}
