// Was the log only appended to? A checkpoint saved earlier and the current one are both
// checked against the log's key, and the consistency proof between them is recomputed in the
// browser (RFC 9162 §2.1.4.2).
import * as api from './api.js';
import {button, clear, field, h, heading, notice, showErrors, summaryList} from './dom.js';
import {num, S, t} from './i18n.js';
import {SAVED_KEY} from './page_checkpoint.js';
import {hexToBytes, verifyCheckpoint, verifyConsistency} from './verify.js';
import {badge, ed25519Supported, getLogKey, settle, unsupported} from './verify_badge.js';

const L = {
  title: ['一致性检查', 'Consistency with a saved checkpoint'],
  intro: ['确认从保存的检查点到现在，日志只追加了新条目，没有删除或改写任何条目。', 'Check that since a checkpoint you saved, the log only had entries added: none removed or rewritten.'],
  saved: ['保存的检查点', 'The saved checkpoint'],
  savedHint: ['粘贴签名文本，或选择下载的检查点文件。', 'Paste its signed text, or choose a downloaded checkpoint file.'],
  file: ['检查点文件', 'Checkpoint file'],
  check: ['检查', 'Check'],
  empty: ['请粘贴或选择一个检查点', 'Paste or choose a checkpoint'],
  sizes: ['保存时 {a} 条，现在 {b} 条。', '{a} entries then, {b} now.'],
  then: ['保存的检查点', 'Saved'],
  now: ['当前检查点', 'Current'],
};

export async function render({view, setTitle}) {
  setTitle(t(L.title));
  let remembered = '';
  try { remembered = localStorage.getItem(SAVED_KEY) || ''; } catch (e) { /* storage disabled */ }
  const errors = h('div');
  const text = field({id: 'consistency-note', label: t(L.saved), hint: t(L.savedHint), rows: 6, value: remembered});
  const file = field({id: 'consistency-file', label: t(L.file), type: 'file', accept: '.txt,text/plain'});
  const out = h('div', {'aria-live': 'polite'});
  view.append(errors, heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)), h('form', {novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      text.setError(null);
      clear(errors);
      clear(out);
      let note = text.input.value;
      if (file.input.files.length) note = await file.input.files[0].text();
      note = note.replace(/\r\n/g, '\n');
      if (!note.trim()) {
        text.setError(t(L.empty));
        return showErrors(errors, [{id: text.id, text: t(L.empty)}]);
      }
      await check(note.endsWith('\n') ? note : `${note}\n`, out);
    }}, text.group, file.group, button(t(L.check), {type: 'submit'})), out);
}

async function check(savedNote, out) {
  const status = badge();
  out.append(status);
  if (!ed25519Supported()) return unsupported(status);
  const [key, current] = await Promise.all([getLogKey(), api.get('/v1/log/checkpoint')]);
  if (!current.ok) return out.append(notice(t(S.requestFailed, {detail: api.detail(current)}), 'error'));
  const a = await verifyCheckpoint(savedNote, key);
  const b = await verifyCheckpoint(current.data, key);
  let consistent = false;
  if (a.ok && b.ok && a.size <= b.size) {
    const r = await api.get(`/v1/log/proof/consistency?first=${a.size}&second=${b.size}`);
    if (r.ok) {
      try {
        consistent = await verifyConsistency(a.size, b.size, a.root, b.root, r.data.proof.map(hexToBytes));
      } catch (e) {
        consistent = false;
      }
    }
  }
  settle(status, a.ok && b.ok && consistent,
    [{id: 'saved', ok: a.ok}, {id: 'current', ok: b.ok}, {id: 'consistency', ok: consistent}]);
  if (a.size !== undefined && b.size !== undefined) {
    out.append(summaryList([[t(L.then), num(a.size)], [t(L.now), num(b.size)]]));
  }
}
