// The learner's records, filtered and paged. The API pages by a cursor in leaf order
// (GET /v1/learners/{id}/records?cursor=&limit=) and gives no total; a filtered page is filled
// by reading API pages from where the previous filtered page stopped, and the cursor each page
// starts at is remembered, so "previous" and "next" never read a record twice. A page is only
// said to have a next one when a further record matches, so every page but the last holds
// PAGE_SIZE records: on the last page the total is known, and on the others only that more
// follow. A page past the last (a stale bookmark, an edited address) says so and links to the
// last one, instead of showing the last one's records under the asked number.
import * as api from './api.js';
import {institutionName, names, unitTitle} from './catalog.js';
import {button, credits, field, h, heading, notice, pageNumber, table, tag} from './dom.js';
import {date, KIND, kindLabel, num, S, t} from './i18n.js';

const PAGE_SIZE = 20;
const API_PAGE = 100;

const L = {
  failing: ['未及格（不计学分）', 'Not passed (no credit)'],
  title: ['我的学习成果', 'Your records'],
  filters: ['筛选', 'Filter'],
  kind: ['成果类型', 'Kind'],
  status: ['状态', 'Status'],
  year: ['取得年份', 'Year completed'],
  any: ['全部', 'All'],
  apply: ['应用筛选', 'Apply filters'],
  unit: ['课程或成果', 'Course or outcome'],
  issuer: ['发证机构', 'Issuer'],
  completed: ['取得日期', 'Completed on'],
  none: ['没有符合条件的记录。', 'No records match.'],
  shownMore: ['第 {page} 页：{n} 条记录，后面还有', 'Page {page}: {n} records; more follow'],
  shownLast: ['第 {page} 页（最后一页）：{n} 条记录，共 {total} 条', 'Page {page} (the last): {n} of {total} records'],
  shownAll: ['共 {total} 条记录', '{total} records'],
  noPage: ['没有第 {page} 页：符合条件的记录共 {total} 条，只有 {pages} 页。',
    'There is no page {page}: the {total} records that match fill {pages} pages.'],
  noPageOne: ['没有第 {page} 页：符合条件的记录共 {total} 条，只有 1 页。',
    'There is no page {page}: the {total} records that match fill 1 page.'],
  toLast: ['前往第 {pages} 页（最后一页）', 'Go to page {pages}, the last'],
};

// Start cursors of filtered pages, per filter: "kind=..&status=.." -> [cursor of page 1, ...].
const starts = new Map();

async function readPage(learner, filter, startCursor) {
  const rows = [];
  let cursor = startCursor;
  for (;;) {
    const q = new URLSearchParams({limit: String(API_PAGE)});
    if (cursor) q.set('cursor', cursor);
    const r = await api.get(`/v1/learners/${api.enc(learner)}/records?${q}`);
    if (!r.ok) throw Object.assign(new Error('read'), {response: r});
    for (const rec of r.data.records) {
      if (!filter(rec)) continue;
      // A record that matches beyond a full page: there is a next page, and it starts after
      // this page's last record (its leaf index is the API's cursor form).
      if (rows.length === PAGE_SIZE) return {rows, next: cursorAfter(rows[PAGE_SIZE - 1])};
      rows.push(rec);
    }
    if (!r.data.next_cursor) return {rows, next: null};
    cursor = r.data.next_cursor;
  }
}

// The API's cursor is the 16-hex-digit leaf index of the last record returned.
function cursorAfter(rec) { return rec.leaf_index.toString(16).padStart(16, '0'); }

export async function render({view, app, params, setTitle}) {
  setTitle(t(L.title));
  const learner = app.session.learner;
  const kind = params.get('kind') || '';
  const status = params.get('status') || '';
  const year = params.get('year') || '';
  const page = pageNumber(params);
  const key = `${kind}|${status}|${year}`;
  const filter = (r) => (!kind || r.kind === kind) && (!status || r.status === status) &&
    (!year || String(r.completed_on).startsWith(year));

  const kindField = field({id: 'filter-kind', label: t(L.kind), value: kind,
    options: [['', t(L.any)], ...Object.keys(KIND).map((k) => [k, kindLabel(k)])]});
  const statusField = field({id: 'filter-status', label: t(L.status), value: status,
    options: [['', t(L.any)], ['active', t(S.active)], ['revoked', t(S.revoked)]]});
  const yearField = field({id: 'filter-year', label: t(L.year), value: year, inputmode: 'numeric', width: 'width-10'});
  const form = h('form', {class: 'filters', 'aria-label': t(L.filters), onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (kindField.input.value) q.set('kind', kindField.input.value);
    if (statusField.input.value) q.set('status', statusField.input.value);
    if (/^\d{4}$/.test(yearField.input.value.trim())) q.set('year', yearField.input.value.trim());
    app.go(`#/records?${q}`);
  }}, kindField.group, statusField.group, yearField.group, button(t(L.apply), {type: 'submit', secondary: true}));
  view.append(heading(t(L.title)), form);

  // Walk to the requested page from the last page whose start is known; `shown` is where the
  // walk stopped (below `page` when the list ends before it).
  const known = starts.get(key) || [''];
  starts.set(key, known);
  let result = null;
  let shown = Math.min(page, known.length);
  try {
    for (;; shown++) {
      result = await readPage(learner, filter, known[shown - 1]);
      if (result.next && known.length === shown) known.push(result.next);
      if (shown >= page || !result.next) break;
    }
  } catch (e) {
    if (!e.response) throw e;
    return view.append(notice(t(S.requestFailed, {detail: api.detail(e.response)}), 'error'));
  }
  const rows = result.rows;
  if (!rows.length) return view.append(h('p', null, t(L.none)));
  const link = (p) => {
    const q = new URLSearchParams(params);
    q.set('page', String(p));
    return `#/records?${q}`;
  };
  // Every page before the last holds PAGE_SIZE records.
  const total = result.next ? null : (shown - 1) * PAGE_SIZE + rows.length;
  if (shown < page) {
    const pages = num(shown);
    return view.append(h('div', {class: 'notice notice-warning', role: 'status', 'data-testid': 'no-such-page',
      'data-last-page': String(shown), 'data-total': String(total)},
    h('p', null, t(shown === 1 ? L.noPageOne : L.noPage, {page: num(page), total: num(total), pages})),
    h('p', null, h('a', {href: link(shown)}, t(L.toLast, {pages})))));
  }
  const [units, issuers] = await Promise.all([
    names(unitTitle, rows.map((r) => r.unit)), names(institutionName, rows.map((r) => r.issuer))]);
  const caption = total === null ? t(L.shownMore, {page: num(page), n: num(rows.length)})
    : page === 1 ? t(L.shownAll, {total: num(total)})
      : t(L.shownLast, {page: num(page), n: num(rows.length), total: num(total)});
  view.append(table(caption,
    [t(L.unit), t(L.issuer), t(L.kind), t(S.creditsUnit), t(L.completed), t(L.status)],
    rows.map((r) => ({
      attrs: {'data-testid': 'record-row', 'data-record': r.id},
      cells: [h('a', {href: `#/record/${api.enc(r.id)}`}, units.get(r.unit)), issuers.get(r.issuer), kindLabel(r.kind),
        credits(r.credits), date(r.completed_on),
        r.status !== 'active' ? tag(t(S.revoked), 'red')
          : r.passing === false ? h('span', {'data-testid': 'failing'}, tag(t(L.failing), 'grey'))
            : tag(t(S.active), 'green')],
    })), {class: 'table-responsive'}));
  if (page > 1 || result.next) {
    view.append(h('nav', {class: 'pager', 'aria-label': t(S.page, {n: page})},
      page > 1 ? h('a', {href: link(page - 1), rel: 'prev'}, t(S.prev)) : h('span'),
      result.next ? h('a', {href: link(page + 1), rel: 'next'}, t(S.next)) : h('span')));
  }
}
