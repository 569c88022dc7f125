// The learner's home: the passbook (学分存折), totals of active credits and how they split by
// kind, level, field, issuer and year, and what expires when.
import * as api from './api.js';
import {names, unitTitle} from './catalog.js';
import {barChart} from './charts.js';
import {credits, h, heading, notice, table} from './dom.js';
import {date, fieldLabel, kindLabel, num, S, t} from './i18n.js';

const L = {
  title: ['我的学分存折', 'Your passbook'],
  total: ['有效学分合计', 'Active credits in total'],
  active: ['有效记录：{n}', 'Active records: {n}'],
  revoked: ['已撤销：{n}', 'Revoked: {n}'],
  expired: ['已过期：{n}', 'Expired: {n}'],
  failed: ['未及格（不计学分）：{n}', 'Not passed (no credit): {n}'],
  asOf: ['统计日期：{d}', 'As of {d}'],
  byKind: ['按成果类型', 'By kind of learning'],
  byLevel: ['按资历框架等级', 'By qualifications level'],
  byField: ['按学科领域（ISCED-F）', 'By field of study (ISCED-F)'],
  byIssuer: ['按发证机构', 'By issuing institution'],
  byYear: ['按取得年份', 'By year completed'],
  level: ['{n} 级', 'Level {n}'],
  expiring: ['即将过期的学分', 'Credits that expire'],
  expiringNone: ['没有即将过期的学分。', 'No credits expire soon.'],
  record: ['课程或成果', 'Course or outcome'],
  expiresOn: ['过期日期', 'Expires on'],
  allRecords: ['查看全部学习成果', 'See all your records'],
  programs: ['查看学分可转换到哪些专业', 'See how far your credits go in programs'],
};

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  const learner = app.session.learner;
  const r = await api.get(`/v1/learners/${api.enc(learner)}/passbook`);
  view.append(heading(t(L.title)));
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  const p = r.data;
  const issuers = p.issuer_names || {};  // the server sends each issuer's name with the totals
  const entries = (obj, label) => Object.entries(obj).map(([k, v]) => [label(k), v]);
  const byYear = Object.entries(p.by_year).sort(([a], [b]) => a.localeCompare(b));
  const unit = t(S.creditsUnit);
  // What expires is named by its unit's title: one catalog read per distinct unit, for the
  // first 100 units (a learner with thousands of expiring records sees ids past them).
  const units = [...new Set(p.expiring.map((e) => e.unit).filter(Boolean))].slice(0, 100);
  const titles = await names(unitTitle, units);
  view.append(
    h('p', {class: 'total'}, t(L.total),
      h('span', {class: 'total-number', 'data-testid': 'total-credits', 'data-value': String(p.total_credits)},
        num(p.total_credits)),
      h('span', {class: 'hint'}, t(L.asOf, {d: date(p.as_of)}))),
    h('ul', {class: 'stat-list'},
      h('li', null, t(L.active, {n: num(p.active_count ?? 0)})),
      h('li', null, t(L.revoked, {n: num(p.revoked_count ?? 0)})),
      p.expired_count !== undefined ? h('li', null, t(L.expired, {n: num(p.expired_count)})) : null,
      p.failed_count ? h('li', {'data-testid': 'failed-count'}, t(L.failed, {n: num(p.failed_count)})) : null),
    h('div', {class: 'chart-grid'},
      barChart({id: 'by-kind', title: t(L.byKind), entries: entries(p.by_kind, kindLabel), valueLabel: unit}),
      barChart({id: 'by-level', title: t(L.byLevel), valueLabel: unit, keepOrder: true,
        entries: Object.entries(p.by_level).sort(([a], [b]) => a - b).map(([k, v]) => [t(L.level, {n: k}), v])}),
      barChart({id: 'by-field', title: t(L.byField), entries: entries(p.by_field, fieldLabel), valueLabel: unit}),
      barChart({id: 'by-issuer', title: t(L.byIssuer), entries: entries(p.by_issuer, (k) => issuers[k] || k), valueLabel: unit}),
      barChart({id: 'by-year', title: t(L.byYear), entries: byYear, valueLabel: unit, keepOrder: true})),
    h('h2', {class: 'heading-m'}, t(L.expiring)),
    p.expiring.length
      ? table(null, [t(L.record), t(S.creditsUnit), t(L.expiresOn)], p.expiring.map((e) => [
        h('a', {href: `#/record/${api.enc(e.record)}`, 'data-testid': 'expiring-record'},
          (e.unit && titles.get(e.unit)) || e.record),
        credits(e.credits), date(e.expires_on)]),
      {class: 'table-responsive'})
      : h('p', null, t(L.expiringNone)),
    h('p', null, h('a', {href: '#/records'}, t(L.allRecords))),
    h('p', null, h('a', {href: '#/programs'}, t(L.programs))));
}
