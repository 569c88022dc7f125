// One record: its fields, a verification badge computed in the browser (signature of the
// checkpoint in its receipt, and its inclusion proof recomputed from the record's bytes; for a
// revoked record, its revocation entry's too), the bundle to save for offline checks,
// credentials to download (the learner), and revoke or correct (the issuing institution).
import * as api from './api.js';
import {institutionName, unitTitle} from './catalog.js';
import {downloadButton, FORMATS, recordCredentialUrl} from './credential_links.js';
import {button, credits, h, heading, notice, saveFile, summaryList, tag} from './dom.js';
import {date, fieldLabel, kindLabel, num, S, t} from './i18n.js';
import {verifyBundle} from './verify.js';
import {badge, runChecks} from './verify_badge.js';

const L = {
  title: ['学习成果记录', 'Record'],
  id: ['记录编号', 'Record ID'],
  unit: ['课程或成果', 'Course or outcome'],
  issuer: ['发证机构', 'Issuer'],
  kind: ['成果类型', 'Kind'],
  hours: ['学时', 'Hours'],
  level: ['等级', 'Level'],
  field: ['学科领域', 'Field of study'],
  grade: ['成绩', 'Grade'],
  gradeText: ['{value}（{scale}，折合 {n} 分）', '{value} ({scale}, {n} out of 100)'],
  failing: ['未及格：不计学分', 'Not a pass: earns no credit'],
  completed: ['取得日期', 'Completed on'],
  expires: ['有效期至', 'Valid until'],
  recorded: ['登记时间', 'Recorded at'],
  status: ['状态', 'Status'],
  leaf: ['日志位置', 'Log position'],
  supersedes: ['更正自', 'Corrects'],
  revokedBy: ['撤销记录', 'Revoked by'],
  revokedAt: ['撤销时间', 'Revoked on'],
  revokedReason: ['撤销原因', 'Reason for revocation'],
  verifyTitle: ['核验', 'Verification'],
  bundle: ['下载记录包（JSON，可离线核验）', 'Download the record bundle (JSON, for offline checks)'],
  bundleHint: ['可用 creditbank verify --bundle 文件 --key 公钥 离线核验，或在“核验记录”页面核验。',
    'Check it offline with creditbank verify --bundle FILE --key KEY, or on the "Verify a record" page.'],
  credentials: ['下载凭证', 'Download as a credential'],
  notFound: ['找不到此记录，或您无权查看。', 'There is no such record, or you may not see it.'],
};

function fields(rec, view, unitName, issuerName) {
  const g = rec.grade || {};
  return summaryList([
    [t(L.id), h('code', null, rec.id)],
    [t(L.unit), `${unitName} (${rec.unit})`],
    [t(L.issuer), issuerName],
    [t(L.kind), kindLabel(rec.kind)],
    [t(S.creditsUnit), credits(rec.credits)],
    rec.hours !== undefined ? [t(L.hours), num(rec.hours)] : null,
    rec.level !== undefined ? [t(L.level), String(rec.level)] : null,
    rec.field ? [t(L.field), fieldLabel(rec.field)] : null,
    [t(L.grade), view.passing === false
      ? h('span', null, t(L.gradeText, {value: g.value, scale: g.scale, n: g.normalized}), ' ',
        h('span', {'data-testid': 'failing'}, tag(t(L.failing), 'grey')))
      : t(L.gradeText, {value: g.value, scale: g.scale, n: g.normalized})],
    [t(L.completed), date(rec.completed_on)],
    rec.expires_on ? [t(L.expires), date(rec.expires_on)] : null,
    [t(L.recorded), date(rec.recorded_at)],
    [t(L.status), view.status === 'active' ? tag(t(S.active), 'green') : tag(t(S.revoked), 'red')],
    view.revoked_by ? [t(L.revokedBy), h('code', null, view.revoked_by)] : null,
    view.revocation ? [t(L.revokedAt), date(view.revocation.entry.recorded_at)] : null,
    view.revocation ? [t(L.revokedReason), String(view.revocation.entry.reason || '')] : null,
    rec.supersedes ? [t(L.supersedes), h('a', {href: `#/record/${api.enc(rec.supersedes)}`}, rec.supersedes)] : null,
    [t(L.leaf), String(view.receipt.leaf_index)],
  ]);
}

export async function render({view, app, args, setTitle}) {
  const id = args[0] || '';
  setTitle(t(L.title));
  const r = await api.get(`/v1/records/${api.enc(id)}`);
  if (!r.ok) {
    view.append(heading(t(L.title)), notice(r.status === 404 ? t(L.notFound) : t(S.requestFailed, {detail: api.detail(r)}), 'error'));
    return;
  }
  const bundle = r.data;
  const rec = bundle.record;
  const [unitName, issuerName] = await Promise.all([unitTitle(rec.unit), institutionName(rec.issuer)]);
  setTitle(unitName);
  const status = badge();
  view.append(heading(unitName),
    h('h2', {class: 'heading-m'}, t(L.verifyTitle)), status,
    fields(rec, bundle, unitName, issuerName),
    button(t(L.bundle), {secondary: true, onclick: () =>
      saveFile(`${rec.id}.json`, JSON.stringify(bundle, null, 2), 'application/json')}),
    h('p', {class: 'hint'}, t(L.bundleHint)));
  const kind = app.kind();
  if (kind === 'learner' && bundle.status === 'active') {
    view.append(h('h2', {class: 'heading-m'}, t(L.credentials)),
      ...FORMATS.map((f) => downloadButton(t(f.label), recordCredentialUrl(rec.id, f.id), `${rec.id}-${f.id}.${f.ext}`,
        {qr: f.id === 'di'})));
  }
  if (kind === 'institution' && rec.issuer === app.subject() && bundle.status === 'active') {
    const actions = await import('./record_actions.js');
    view.append(actions.issuerActions(bundle, app));
  }
  await runChecks(status, (key) => verifyBundle(bundle, key));
}
