// What a transcript (学分证明) held, for whoever holds its verification code: an employer or a
// school that scanned the QR code printed on it (GET /v1/transcripts/{code} sends a browser
// here) or typed the code. No sign-in: the code is the permission. It shows the learner, when
// the transcript was drawn, from which checkpoint of the log, every record it listed with its
// status now, and, first, whether any of them has been revoked since.
import * as api from './api.js';
import {button, field, h, heading, notice, summaryList, table, tag} from './dom.js';
import {institutionName, names, unitTitle} from './catalog.js';
import {date, num, S, t} from './i18n.js';

const L = {
  title: ['学分证明核验', 'Transcript verification'],
  intro: ['输入学分证明上的核验码，或扫描其二维码，查看证明生成时列出的记录以及它们现在的状态。',
    'Enter the verification code printed on a transcript, or scan its QR code, to see the records it listed and their status now.'],
  code: ['核验码', 'Verification code'],
  check: ['核验', 'Verify'],
  badCode: ['核验码为 32 位十六进制字符（0–9、a–f）。', 'A verification code has 32 hexadecimal characters (0-9, a-f).'],
  allActive: ['证明中的 {n} 条记录至今全部有效。', 'All {n} records of this transcript are still valid.'],
  someRevoked: ['注意：证明中有 {n} 条记录在证明生成后已被撤销。', 'Note: {n} records of this transcript have been revoked since it was drawn.'],
  learner: ['学习者', 'Learner'],
  learnerId: ['学习者编号', 'Learner ID'],
  generated: ['生成时间', 'Drawn at'],
  total: ['证明所列学分合计', 'Total credits listed'],
  checkpoint: ['日志检查点', 'Log checkpoint'],
  checkpointText: ['{origin}，第 {size} 条', '{origin}, size {size}'],
  root: ['树根（SHA-256）', 'Root hash (SHA-256)'],
  records: ['证明所列记录', 'Records listed'],
  unit: ['课程或成果', 'Unit'],
  issuer: ['发证机构', 'Issuer'],
  credits: ['学分', 'Credits'],
  status: ['现状', 'Status now'],
  active: ['有效', 'Valid'],
  revoked: ['已撤销', 'Revoked'],
  record: ['记录', 'Record'],
};

const CODE = /^[0-9a-f]{32}$/;

export async function render({view, args, app, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const given = (args[0] || '').trim().toLowerCase();
  const input = field({id: 'transcript-code', label: t(L.code), value: given, width: 'width-20',
    autocomplete: 'off', spellcheck: 'false'});
  const form = h('form', {novalidate: true, 'aria-label': t(L.code), onsubmit: (e) => {
    e.preventDefault();
    const code = input.input.value.trim().toLowerCase();
    if (!CODE.test(code)) return input.setError(t(L.badCode));
    app.go(`#/transcript/${code}`);
  }}, input.group, button(t(L.check), {type: 'submit'}));
  view.append(form);
  if (!given) return;
  if (!CODE.test(given)) return input.setError(t(L.badCode));

  const r = await api.get(`/v1/transcripts/${encodeURIComponent(given)}`);
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  const c = r.data;
  const revoked = c.revoked.length;
  view.append(h('div', {'data-testid': 'transcript-verdict', 'data-revoked': String(revoked)},
    revoked ? notice(t(L.someRevoked, {n: num(revoked)}), 'error')
      : notice(t(L.allActive, {n: num(c.records.length)}), 'success')));
  view.append(summaryList([
    c.learner_name ? [t(L.learner), c.learner_name] : null,
    [t(L.learnerId), h('code', null, c.learner)],
    [t(L.generated), h('time', {datetime: c.generated_at}, date(c.generated_at))],
    [t(L.total), num(c.total_credits)],
    [t(L.checkpoint), t(L.checkpointText, {origin: c.checkpoint.origin, size: num(c.checkpoint.tree_size)})],
    [t(L.root), h('code', {class: 'mono-wrap'}, c.checkpoint.root_hash)],
  ]));
  const [units, issuers] = await Promise.all([names(unitTitle, c.records.map((x) => x.unit)),
    names(institutionName, c.records.map((x) => x.issuer))]);
  view.append(table(t(L.records), [t(L.unit), t(L.issuer), t(L.credits), t(L.status)],
    c.records.map((x) => ({
      attrs: {'data-testid': 'transcript-record', 'data-status': x.status},
      cells: [units.get(x.unit) === x.unit ? x.unit : `${units.get(x.unit)} (${x.unit})`, issuers.get(x.issuer) || x.issuer, num(x.credits),
        x.status === 'revoked' ? tag(t(L.revoked), 'red') : tag(t(L.active), 'green')],
    })), {class: 'table-responsive'}));
}
