// One applied conversion (GET /v1/conversions/{id}): the decision exactly as the log holds it,
// what it granted each requirement from which records under which rule, and a verification
// badge computed in the browser (the checkpoint's signature, and the inclusion proof recomputed
// from the entry's bytes), as for a record.
import * as api from './api.js';
import {institutionName, program as loadProgram} from './catalog.js';
import {recordLabels, requirementsTable, unusedList} from './conversion_view.js';
import {h, heading, notice, progressBar, summaryList} from './dom.js';
import {date, num, S, t} from './i18n.js';
import {verifyEntry} from './verify.js';
import {badge, runChecks} from './verify_badge.js';

const L = {
  title: ['学分认定', 'Credit transfer'],
  back: ['返回学分认定记录', 'Back to your credit transfers'],
  id: ['认定编号', 'Decision ID'],
  program: ['专业', 'Program'],
  granted: ['认定学分', 'Credits recognised'],
  grantedText: ['{granted} 学分（共需 {total} 学分，还差 {remaining} 学分）',
    '{granted} credits ({total} needed, {remaining} remain)'],
  progress: ['{program} 已认定的学分', 'Credits recognised toward {program}'],
  cap: ['可转换学分上限', 'Transfer cap'],
  ruleset: ['转换规则', 'Ruleset'],
  rulesetText: ['第 {v} 版（SHA-256 {sha}…）', 'Version {v} (SHA-256 {sha}…)'],
  programSha: ['专业定义的 SHA-256', 'SHA-256 of the program as evaluated'],
  asOf: ['评估日期', 'Evaluated as of'],
  decided: ['认定时间', 'Decided at'],
  decidedBy: ['认定机构', 'Decided by'],
  optimal: ['结果', 'Result'],
  optimalYes: ['最优', 'Optimal'],
  optimalNo: ['计算在时限内未完成，可能不是最优（上界 {bound} 学分）', 'The search ran out of time; it may not be optimal (upper bound {bound} credits)'],
  unusedCount: ['未使用的记录', 'Records not used'],
  unusedN: ['{n} 条', '{n}'],
  leaf: ['日志位置', 'Log position'],
  verifyTitle: ['核验', 'Verification'],
  requirements: ['各项要求认定的学分', 'What each requirement received'],
  unusedTitle: ['未计入的记录及原因', 'Records that did not count, and why'],
  unusedHint: ['认定记录只保存未使用记录的数量。各记录现在是否计入及原因，请看专业进度明细。',
    'The decision keeps only how many records it did not use. See whether each record counts now, and why, in the program\'s details.'],
  details: ['查看 {program} 的专业进度明细', 'See your progress in {program} in detail'],
  notFound: ['找不到此认定，或您无权查看。', 'There is no such decision, or you may not see it.'],
  inclusion: ['此认定包含在签名的日志树中（按 RFC 9162 重新计算包含证明）',
    'The decision is in the signed log tree (inclusion proof recomputed per RFC 9162)'],
  shape: ['内容是认定决定及其收据', 'The content is a decision with its receipt'],
};

// The bundle's leaf index must be the receipt's: the page shows the one, the proof uses the other.
function verifyDecision(bundle, key) {
  if (!bundle.receipt || bundle.leaf_index !== bundle.receipt.leaf_index) {
    return {ok: false, checks: [{id: 'shape', ok: false}]};
  }
  return verifyEntry(bundle.conversion, bundle.receipt, key);
}

function fields(c, bundle, title, decidedBy) {
  const r = c.result;
  return summaryList([
    [t(L.id), h('code', null, c.id)],
    [t(L.program), `${title} (${c.program})`],
    [t(L.granted), h('span', {'data-testid': 'conversion-granted', 'data-value': String(r.granted)},
      t(L.grantedText, {granted: num(r.granted), total: num(r.total_credits), remaining: num(r.remaining)}))],
    [t(L.cap), t(S.credits, {n: num(r.transfer_cap)})],
    [t(L.ruleset), t(L.rulesetText, {v: num(r.ruleset_version), sha: String(r.ruleset_sha256).slice(0, 16)})],
    c.program_sha256 ? [t(L.programSha), h('code', null, c.program_sha256)] : null,
    [t(L.asOf), date(r.as_of)],
    [t(L.decided), date(c.decided_at)],
    [t(L.decidedBy), decidedBy],
    [t(L.optimal), r.optimal === false ? t(L.optimalNo, {bound: num(r.upper_bound)}) : t(L.optimalYes)],
    [t(L.unusedCount), t(L.unusedN, {n: num(r.unused ? r.unused.length : r.unused_count ?? 0)})],
    [t(L.leaf), h('span', {'data-testid': 'conversion-leaf'}, String(bundle.leaf_index))],
  ]);
}

export async function render({view, app, args, setTitle}) {
  const id = args[0] || '';
  setTitle(t(L.title));
  const back = h('p', null, h('a', {href: '#/conversions'}, t(L.back)));
  const r = await api.get(`/v1/conversions/${api.enc(id)}`);
  if (!r.ok) {
    view.append(back, heading(t(L.title)),
      notice(r.status === 404 ? t(L.notFound) : t(S.requestFailed, {detail: api.detail(r)}), 'error'));
    return;
  }
  const bundle = r.data;
  const c = bundle.conversion;
  const result = c.result;
  // Requirement titles as the decision saw them: the snapshot it holds, else today's catalog.
  const decider = String(c.decided_by || '').replace(/^institution:/, '');
  const [catalogProgram, decidedBy, labels] = await Promise.all([
    c.program_snapshot ? null : loadProgram(c.program), institutionName(decider),
    recordLabels(app.session.learner)]);
  const program = c.program_snapshot || catalogProgram;
  const title = (program && program.title) || c.program;
  setTitle(title);
  const status = badge();
  view.append(back, heading(title),
    progressBar({value: result.granted, max: result.total_credits,
      label: t(L.progress, {program: title}), testid: 'conversion-progress'}),
    h('h2', {class: 'heading-m'}, t(L.verifyTitle)), status,
    fields(c, bundle, title, decidedBy),
    h('h2', {class: 'heading-m'}, t(L.requirements)),
    requirementsTable(result, program, {labels, recordLink: true}));
  // Entries written before 2026-12-07 kept every unused record with its reason; later ones
  // keep the count (docs/formats.md "Conversion").
  if (result.unused) {
    view.append(h('h2', {class: 'heading-m'}, t(L.unusedTitle)), unusedList(result, {labels, recordLink: true}));
  } else if (result.unused_count) {
    view.append(h('p', {class: 'hint'}, t(L.unusedHint)));
  }
  view.append(h('p', null, h('a', {href: `#/program/${api.enc(c.program)}`}, t(L.details, {program: title}))));
  await runChecks(status, (key) => verifyDecision(bundle, key), {inclusion: L.inclusion, shape: L.shape});
}
