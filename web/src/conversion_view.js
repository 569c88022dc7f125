// An explained conversion (POST /v1/conversions/evaluate): how many credits a program would
// recognise, up to which cap, which records fill which requirement, and why each other record
// did not count. Used by the learner's program page and the registrar's evaluation.
import * as api from './api.js';
import {unitTitle} from './catalog.js';
import {credits, h, progressBar, table} from './dom.js';
import {date, num, reasonLabel, t} from './i18n.js';

const L = {
  summary: ['可认定 {granted} 学分，共需 {total} 学分，还差 {remaining} 学分。', '{granted} of {total} credits could be recognised; {remaining} remain.'],
  cap: ['可转换学分上限：{cap} 学分（图中竖线）', 'At most {cap} credits can be transferred (the line on the bar)'],
  progress: ['{program} 的进度', 'Progress toward {program}'],
  requirements: ['各项要求', 'Requirements'],
  requirement: ['要求', 'Requirement'],
  granted: ['已认定', 'Recognised'],
  records: ['使用的记录', 'Records used'],
  rule: ['规则 {rule}', 'rule {rule}'],
  unusedTitle: ['未计入的记录及原因', 'Records that did not count, and why'],
  record: ['记录', 'Record'],
  reason: ['原因', 'Reason'],
  allUsed: ['所有有效记录都已计入。', 'Every active record counted.'],
  notOptimal: ['计算在时限内未完成，结果可能不是最优（上界 {bound} 学分）。', 'The search ran out of time; the result may not be optimal (upper bound {bound} credits).'],
  basis: ['依据规则版本 {v}（SHA-256 {sha}），截至 {asOf}。', 'Under ruleset version {v} (SHA-256 {sha}), as of {asOf}.'],
};

export function progress(result, title) {
  return h('div', null,
    progressBar({value: result.granted, max: result.total_credits, marker: result.transfer_cap,
      label: t(L.progress, {program: title}), testid: 'program-progress'}),
    h('p', null, t(L.summary, {granted: num(result.granted), total: num(result.total_credits),
      remaining: num(result.remaining)})),
    h('p', {class: 'hint'}, t(L.cap, {cap: num(result.transfer_cap)})));
}

// The whole explanation; `program` is the program's catalog document (for requirement titles),
// `labels` names records by id.
export function explanation(result, program, {labels, recordLink}) {
  const out = [progress(result, program ? program.title : result.program)];
  if (result.optimal === false) out.push(h('p', {class: 'notice notice-warning'}, t(L.notOptimal, {bound: num(result.upper_bound)})));
  out.push(h('h2', {class: 'heading-m'}, t(L.requirements)), requirementsTable(result, program, {labels, recordLink}),
    h('h2', {class: 'heading-m'}, t(L.unusedTitle)), unusedList(result, {labels, recordLink}));
  out.push(h('p', {class: 'hint'}, t(L.basis, {v: result.ruleset_version, sha: String(result.ruleset_sha256).slice(0, 16),
    asOf: date(result.as_of)})));
  return out;
}

function recordNamer({labels, recordLink}) {
  const label = (id) => (labels && labels.get(id)) || id;
  return (id) => (recordLink ? h('a', {href: `#/record/${api.enc(id)}`}, label(id)) : label(id));
}

// What each requirement received, in program order: its credits, and which records under which
// rule (an evaluation's or an applied conversion's `requirements`). `program` gives the titles.
export function requirementsTable(result, program, opts) {
  const titles = new Map((program && program.requirements || []).map((r) => [r.id, r]));
  const link = recordNamer(opts);
  return table(null, [t(L.requirement), t(L.granted), t(L.records)], result.requirements.map((req) => {
    const def = titles.get(req.id);
    return {
      attrs: {'data-testid': 'requirement-row', 'data-requirement': req.id, 'data-granted': String(req.granted)},
      cells: [def && def.title ? `${def.title} (${req.id})` : req.id,
        `${num(req.granted)} / ${num(def ? def.credits : req.granted)}`,
        req.applications.length ? h('ul', null, req.applications.map((a) => h('li', {'data-testid': 'application',
          'data-rule': a.rule, 'data-credits': String(a.credits), 'data-records': a.records.join(' ')},
        a.records.flatMap((id, i) => [i ? ', ' : '', link(id)]), ` — ${credits(a.credits)}, ${t(L.rule, {rule: a.rule})}`)))
          : '—'],
    };
  }), {class: 'table-responsive'});
}

// The records no application used, each with its reason (`result.unused`).
export function unusedList(result, opts) {
  if (!result.unused.length) return h('p', null, t(L.allUsed));
  const link = recordNamer(opts);
  return table(null, [t(L.record), t(L.reason)], result.unused.map((u) => [link(u.record), reasonLabel(u.reason)]),
    {class: 'table-responsive'});
}

// Record id -> "unit title (credits)" for the records of `learner` the caller may read (the
// learner, or an institution the learner granted); empty when it may not.
export async function recordLabels(learner) {
  const labels = new Map();
  const r = await api.get(`/v1/learners/${api.enc(learner)}/records?limit=1000`);
  if (!r.ok) return labels;
  const recs = r.data.records;
  const titles = await Promise.all(recs.map((x) => unitTitle(x.unit)));
  recs.forEach((x, i) => labels.set(x.id, `${titles[i]} (${credits(x.credits)})`));
  return labels;
}
