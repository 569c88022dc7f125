// The learner's applied conversions: what programs have recognised of their credits, decision by
// decision, oldest first (GET /v1/learners/{id}/conversions?cursor=&limit=). The API gives no
// total, so the list grows by "show more" from its cursor; focus moves to the first row added,
// where a keyboard or screen-reader user was about to read on.
import * as api from './api.js';
import {names, program as loadProgram} from './catalog.js';
import {button, clear, h, heading, notice, table} from './dom.js';
import {date, num, S, t} from './i18n.js';

const PAGE_SIZE = 20;

const L = {
  title: ['学分认定记录', 'Your credit transfers'],
  intro: ['院校按其公布的转换规则为您认定的学分，按时间先后排列。每一项认定都记在公开日志中，可在浏览器中核验。',
    'The credits programs have recognised for you under their published rules, oldest first. Each decision is in the public log and can be checked in your browser.'],
  none: ['还没有院校为您认定学分。', 'No program has recognised your credits yet.'],
  noneHint: ['院校在您授权共享记录后，可以按专业的转换规则为您认定学分。', 'A program\'s institution can recognise your credits under its rules once you share your records with it.'],
  programs: ['查看您的学分可转换到哪些专业', 'See how far your credits go in programs'],
  program: ['专业', 'Program'],
  version: ['规则版本', 'Ruleset version'],
  versionN: ['第 {v} 版', 'Version {v}'],
  granted: ['认定学分', 'Credits recognised'],
  grantedOf: ['{granted} / {total} 学分', '{granted} of {total} credits'],
  decided: ['认定时间', 'Decided on'],
  leaf: ['日志位置', 'Log position'],
  shownMore: ['已显示 {n} 项认定，后面还有', '{n} decisions shown; more follow'],
  shownAll: ['共 {n} 项认定', '{n} decisions'],
  more: ['显示更多', 'Show more'],
};

const HEADERS = () => [t(L.program), t(L.version), t(L.granted), t(L.decided), t(L.leaf)];

async function readPage(learner, cursor) {
  const q = new URLSearchParams({limit: String(PAGE_SIZE)});
  if (cursor) q.set('cursor', cursor);
  return api.get(`/v1/learners/${api.enc(learner)}/conversions?${q}`);
}

async function rows(conversions) {
  const programs = await names((id) => loadProgram(id).then((p) => (p && p.title) || id),
    conversions.map((c) => c.program));
  return conversions.map((c) => ({
    attrs: {'data-testid': 'conversion-row', 'data-conversion': c.id, 'data-granted': String(c.result.granted),
      'data-leaf': String(c.leaf_index)},
    cells: [h('a', {href: `#/conversion/${api.enc(c.id)}`}, programs.get(c.program)),
      c.result.ruleset_version !== undefined ? t(L.versionN, {v: num(c.result.ruleset_version)}) : '—',
      t(L.grantedOf, {granted: num(c.result.granted), total: num(c.result.total_credits)}),
      date(c.decided_at), num(c.leaf_index)],
  }));
}

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  const learner = app.session.learner;
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const first = await readPage(learner, '');
  if (!first.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(first)}), 'error'));
  if (!first.data.conversions.length) {
    return view.append(h('p', {'data-testid': 'conversions-none'}, t(L.none)), h('p', {class: 'hint'}, t(L.noneHint)),
      h('p', null, h('a', {href: '#/programs'}, t(L.programs))));
  }
  let cursor = first.data.next_cursor;
  const captionText = (n) => (cursor ? t(L.shownMore, {n: num(n)}) : t(L.shownAll, {n: num(n)}));
  const list = table(captionText(first.data.conversions.length), HEADERS(), await rows(first.data.conversions),
    {class: 'table-responsive'});
  const caption = list.querySelector('caption');
  caption.setAttribute('tabindex', '-1');
  const body = list.querySelector('tbody');
  const errors = h('div');
  const more = button(t(L.more), {secondary: true, testid: 'conversions-more', onclick: async () => {
    more.disabled = true;
    clear(errors);
    const r = await readPage(learner, cursor).catch(() => null);
    more.disabled = false;
    if (!r || !r.ok) {
      return errors.append(notice(r ? t(S.requestFailed, {detail: api.detail(r)}) : t(S.networkError), 'error'));
    }
    // The new rows, made by the same table() as the first ones, move into the list.
    const added = [...table(null, HEADERS(), await rows(r.data.conversions)).querySelectorAll('tbody tr')];
    body.append(...added);
    cursor = r.data.next_cursor;
    caption.textContent = captionText(body.children.length);
    more.hidden = !cursor;
    (added.length ? added[0].querySelector('a') : caption).focus();
  }});
  more.hidden = !cursor;
  view.append(list, errors, more, h('p', null, h('a', {href: '#/programs'}, t(L.programs))));
}
