// The log's current checkpoint, its signature checked in the browser against the log's
// verifier key; save it to check later that the log was only ever appended to.
import * as api from './api.js';
import {button, h, heading, notice, saveFile, summaryList} from './dom.js';
import {num, S, t} from './i18n.js';
import {bytesToHex, verifyCheckpoint} from './verify.js';
import {badge, ed25519Supported, getLogKey, settle, unsupported} from './verify_badge.js';

export const SAVED_KEY = 'cb_checkpoint';

const L = {
  title: ['日志检查点', 'The log\'s checkpoint'],
  intro: ['检查点是学分银行对整个日志的签名承诺：日志名称、条目数和默克尔树根。', 'A checkpoint is the bank\'s signed commitment to the whole log: its name, its number of entries and its Merkle tree root.'],
  origin: ['日志名称', 'Log'],
  size: ['条目数', 'Entries'],
  root: ['树根（SHA-256）', 'Root hash (SHA-256)'],
  key: ['验证公钥', 'Verifier key'],
  note: ['签名文本', 'The signed note'],
  save: ['下载此检查点', 'Download this checkpoint'],
  remember: ['在此浏览器中保存', 'Remember it in this browser'],
  remembered: ['已保存。以后可在“一致性检查”页面确认日志只追加、未被改写。', 'Saved. Later, the Consistency page checks that the log was only appended to since.'],
  empty: ['日志还是空的。', 'The log is empty.'],
  consistency: ['检查与已保存检查点的一致性', 'Check consistency with a saved checkpoint'],
};

export async function render({view, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const [r, key] = await Promise.all([api.get('/v1/log/checkpoint'), getLogKey().catch(() => null)]);
  if (r.status === 404) return view.append(h('p', null, t(L.empty)));
  if (!r.ok || !key) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  const note = r.data;
  const status = badge();
  const saved = h('div', {'aria-live': 'polite'});
  view.append(status);
  if (!ed25519Supported()) return unsupported(status);
  const cp = await verifyCheckpoint(note, key);
  settle(status, cp.ok, [{id: 'signature', ok: cp.ok}]);
  view.append(summaryList([
    [t(L.origin), cp.origin || '—'],
    [t(L.size), cp.size !== undefined ? num(cp.size) : '—'],
    [t(L.root), h('code', {'data-testid': 'checkpoint-root'}, cp.root ? bytesToHex(cp.root) : '—')],
    [t(L.key), h('code', null, key.verifier_key)],
  ]), h('h2', {class: 'heading-m'}, t(L.note)), h('pre', {class: 'mono', tabindex: '0'}, note),
  h('div', {class: 'button-group'},
    button(t(L.save), {secondary: true, onclick: () => saveFile(`checkpoint-${cp.size}.txt`, note, 'text/plain')}),
    button(t(L.remember), {secondary: true, onclick: () => {
      try { localStorage.setItem(SAVED_KEY, note); } catch (e) { /* storage disabled */ }
      saved.replaceChildren(notice(t(L.remembered), 'success'));
    }})), saved,
  h('p', null, h('a', {href: '#/consistency'}, t(L.consistency))));
}
