// Statistics for a regulator (role regulator:<region prefix>) or an admin: GET /v1/stats as a
// table, a page of cells at a time, and the whole answer as CSV. The server leaves out every
// cell of fewer than k learners and the cells that would let one be worked out; the page only
// shows what it answers. The question lives in the URL (#/stats?group_by=region,kind&region=31
// &region_level=county&page=2); the cursor of each page is remembered per question, so "next"
// and "previous" read the same answer (the server keeps it: the cursor names it). The API gives
// no count of cells, but every page it says more follow after is full, so the last page knows
// the total; a page past the last says so and links to the last one.
import * as api from './api.js';
import {institutionName, names} from './catalog.js';
import {button, field, h, heading, notice, pageNumber, saveFile, showErrors, table} from './dom.js';
import {kindLabel, num, S, t} from './i18n.js';

const PAGE_SIZE = 50;
const KEYS = ['region', 'kind', 'level', 'year', 'issuer'];

const L = {
  title: ['区域统计', 'Statistics'],
  intro: ['按地区、成果类型、层次、年份或发证机构汇总的学习者、记录、学分和学分转换。少于 k 名学习者的格子不显示，可据以推算出这种格子的格子也不显示；页面上没有任何个人的数据。',
    'Learners, records, credits and conversions by region, kind, level, year or issuer. Cells of fewer than k learners are left out, and so are the cells that would let one be worked out; no one\'s own data is shown.'],
  question: ['统计口径', 'Question'],
  groupBy: ['分组（可多选）', 'Group by (one or more)'],
  region: ['地区', 'Region'],
  kind: ['成果类型', 'Kind'],
  level: ['层次', 'Level'],
  year: ['年份', 'Year'],
  issuer: ['发证机构', 'Issuer'],
  prefix: ['地区代码', 'Region code'],
  prefixHint: ['GB/T 2260 代码的前 2、4 或 6 位，如 31 或 3101；留空为您可查看的全部地区。',
    'The first 2, 4 or 6 digits of a GB/T 2260 code, e.g. 31 or 3101; empty for every region you may see.'],
  regionLevel: ['地区层级', 'Region level'],
  county: ['区县', 'County'],
  city: ['地市', 'City'],
  province: ['省级', 'Province'],
  show: ['查看统计', 'Show'],
  csv: ['下载 CSV（全部格子）', 'Download CSV (every cell)'],
  saved: ['已保存 {name}。', 'Saved {name}.'],
  learners: ['学习者', 'Learners'],
  records: ['记录', 'Records'],
  credits: ['学分', 'Credits'],
  conversions: ['学分转换', 'Conversions'],
  suppressed: ['另有 {n} 个格子未显示：少于 {k} 名学习者，或可据以推算出这样的格子。',
    '{n} more cells are left out: fewer than {k} learners, or they would let such a cell be worked out.'],
  none: ['没有可以显示的格子。', 'There is no cell to show.'],
  asOf: ['统计截至日志第 {n} 条。', 'Complete to log entry {n}.'],
  shownMore: ['第 {page} 页，{n} 个格子，后面还有', 'Page {page}: {n} cells; more follow'],
  shownLast: ['第 {page} 页（最后一页），{n} 个格子，共 {total} 个', 'Page {page} (the last): {n} of {total} cells'],
  shownAll: ['共 {total} 个格子', '{total} cells'],
  noPage: ['没有第 {page} 页：共 {total} 个格子，只有 {pages} 页。', 'There is no page {page}: the {total} cells fill {pages} pages.'],
  noPageOne: ['没有第 {page} 页：共 {total} 个格子，只有 1 页。', 'There is no page {page}: the {total} cells fill 1 page.'],
  toLast: ['前往第 {pages} 页（最后一页）', 'Go to page {pages}, the last'],
  noKey: ['请至少选择一项分组。', 'Choose at least one key to group by.'],
  badPrefix: ['地区代码应为 2、4 或 6 位数字。', 'A region code has 2, 4 or 6 digits.'],
};

// Cursor of each page, per question: "group_by=..&region=..&region_level=.." -> [page 1's, ...].
const starts = new Map();

// The question in the URL, with defaults: region, the regulator's own prefix, county.
function question(params, app) {
  const asked = (params.get('group_by') || 'region').split(',').filter((k) => KEYS.includes(k));
  const own = app.kind() === 'regulator' ? app.subject() : '';
  return {
    groupBy: KEYS.filter((k) => asked.includes(k)),
    region: params.has('region') ? params.get('region') : own,
    level: ['county', 'city', 'province'].includes(params.get('region_level')) ? params.get('region_level') : 'county',
  };
}

function apiQuery(q) {
  const out = new URLSearchParams({group_by: (q.groupBy.length ? q.groupBy : ['region']).join(',')});
  if (q.region) out.set('region', q.region);
  if (q.groupBy.includes('region')) out.set('region_level', q.level);
  return out;
}

export async function render({view, app, params, setTitle}) {
  setTitle(t(L.title));
  const q = question(params, app);
  const page = pageNumber(params);
  const errors = h('div');

  const boxes = KEYS.map((k) => {
    const input = h('input', {type: 'checkbox', id: `stats-by-${k}`, name: 'group_by', value: k});
    input.checked = q.groupBy.includes(k);
    return {k, input, row: h('div', {class: 'radio'}, input, h('label', {for: input.id}, t(L[k])))};
  });
  const keys = h('fieldset', {class: 'fieldset', id: 'stats-group-by'}, h('legend', null, t(L.groupBy)),
    boxes.map((b) => b.row));
  const prefix = field({id: 'stats-region', label: t(L.prefix), hint: t(L.prefixHint), value: q.region,
    inputmode: 'numeric', width: 'width-10'});
  const level = field({id: 'stats-level', label: t(L.regionLevel), value: q.level,
    options: [['county', t(L.county)], ['city', t(L.city)], ['province', t(L.province)]]});
  const form = h('form', {novalidate: true, 'aria-label': t(L.question), onsubmit: (e) => {
    e.preventDefault();
    prefix.setError(null);
    const chosen = boxes.filter((b) => b.input.checked).map((b) => b.k);
    const code = prefix.input.value.trim();
    if (!chosen.length) {
      return showErrors(errors, [{id: boxes[0].input.id, text: t(L.noKey)}]);
    }
    if (code && !/^(\d{2}|\d{4}|\d{6})$/.test(code)) {
      prefix.setError(t(L.badPrefix));
      return showErrors(errors, [{id: prefix.id, text: t(L.badPrefix)}]);
    }
    const next = new URLSearchParams({group_by: chosen.join(','), region: code, region_level: level.input.value});
    app.go(`#/stats?${next}`);
  }}, keys, prefix.group, level.group, button(t(L.show), {type: 'submit'}));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)), errors, form);

  // The requested page: from the cursor remembered for it, else by walking from the last known.
  const base = apiQuery(q);
  const key = base.toString();
  const known = starts.get(key) || [''];
  starts.set(key, known);
  // `shownPage` is where the walk stopped: below `page` when the answer ends before it.
  let r = null;
  let shownPage = Math.min(page, known.length);
  for (;; shownPage++) {
    const one = new URLSearchParams(base);
    one.set('limit', String(PAGE_SIZE));
    if (known[shownPage - 1]) one.set('cursor', known[shownPage - 1]);
    r = await api.get(`/v1/stats?${one}`);
    if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
    if (r.data.next && known.length === shownPage) known.push(r.data.next);
    if (shownPage >= page || !r.data.next) break;
  }
  const answer = r.data;
  const cells = answer.cells || [];
  // Every page before the last holds PAGE_SIZE cells.
  const total = answer.next ? null : (shownPage - 1) * PAGE_SIZE + cells.length;
  const cols = q.groupBy.length ? q.groupBy : ['region'];
  const issuers = cols.includes('issuer') ? await names(institutionName, cells.map((c) => c.issuer)) : new Map();
  const value = (k, c) => (k === 'kind' ? kindLabel(c.kind) : k === 'issuer' ? issuers.get(c.issuer) : String(c[k]));
  const csv = button(t(L.csv), {secondary: true, testid: 'stats-csv', onclick: async () => {
    const all = await api.call('GET', `/v1/stats?${base}`, {accept: 'text/csv'});
    if (!all.ok) return showErrors(errors, [{id: null, text: t(S.requestFailed, {detail: api.detail(all)})}]);
    const name = `stats-${q.region || 'all'}-${cols.join('-')}.csv`;
    // With a byte order mark, so that Excel on a Chinese Windows reads the file as UTF-8.
    saveFile(name, `\ufeff${all.data}`, 'text/csv;charset=utf-8');
    view.querySelector('[data-testid="stats-saved"]')?.remove();
    csv.after(h('p', {class: 'hint', role: 'status', 'data-testid': 'stats-saved'}, t(L.saved, {name})));
  }});
  view.append(h('p', {class: 'hint'}, t(L.asOf, {n: num(answer.tree_size)})));
  const link = (p) => {
    const next = new URLSearchParams(params);
    next.set('page', String(p));
    return `#/stats?${next}`;
  };
  if (shownPage < page && cells.length) {
    const pages = num(shownPage);
    view.append(h('div', {class: 'notice notice-warning', role: 'status', 'data-testid': 'no-such-page',
      'data-last-page': String(shownPage), 'data-total': String(total)},
    h('p', null, t(shownPage === 1 ? L.noPageOne : L.noPage, {page: num(page), total: num(total), pages})),
    h('p', null, h('a', {href: link(shownPage)}, t(L.toLast, {pages})))), csv);
    return;
  }
  if (!cells.length) {
    view.append(h('p', {'data-testid': 'stats-none'}, t(L.none)));
  } else {
    const caption = total === null ? t(L.shownMore, {page: num(page), n: num(cells.length)})
      : page === 1 ? t(L.shownAll, {total: num(total)})
        : t(L.shownLast, {page: num(page), n: num(cells.length), total: num(total)});
    view.append(table(caption,
      [...cols.map((k) => t(L[k])), t(L.learners), t(L.records), t(L.credits), t(L.conversions)],
      cells.map((c) => ({
        attrs: {'data-testid': 'stats-row'},
        cells: [...cols.map((k) => value(k, c)), num(c.learners), num(c.records), num(c.credits), num(c.conversions)],
      })), {class: 'table-responsive'}));
  }
  if (answer.suppressed > 0) {
    view.append(h('p', {'data-testid': 'stats-suppressed', 'data-n': String(answer.suppressed)},
      t(L.suppressed, {n: num(answer.suppressed), k: answer.k})));
  }
  if (shownPage > 1 || answer.next) {
    view.append(h('nav', {class: 'pager', 'aria-label': t(S.page, {n: shownPage})},
      shownPage > 1 ? h('a', {href: link(shownPage - 1), rel: 'prev'}, t(S.prev)) : h('span'),
      answer.next ? h('a', {href: link(shownPage + 1), rel: 'next'}, t(S.next)) : h('span')));
  }
  view.append(csv);
}
