// Programs: how far the learner's credits go in each program (what-if, ranked by credits
// granted), with a progress bar per program and a link to the explanation; where a program's
// institution has already recognised credits, a link to its latest decision.
import * as api from './api.js';
import {progress} from './conversion_view.js';
import {h, heading, notice} from './dom.js';
import {date, num, S, t} from './i18n.js';

const L = {
  title: ['专业进度', 'Your progress toward programs'],
  intro: ['按照各专业公布的转换规则，您现有的学分最多可以认定多少。', 'How many of your credits each program would recognise under its published rules.'],
  none: ['目前没有可比较的专业。', 'There are no programs to compare yet.'],
  why: ['查看明细：哪些记录计入、哪些未计入及原因', 'See the details: which records count, which do not, and why'],
  decided: ['院校已于 {d} 认定 {n} 学分：查看认定及核验', 'Its institution recognised {n} credits on {d}: see the decision and check it'],
  all: ['查看院校已为您认定的学分', 'See the credits programs have recognised for you'],
};

// Applied conversions are read 1,000 at a time; past this many pages a program's latest
// decision may be missing from its card (the list page still has every one).
const MAX_PAGES = 10;

// Program id -> its latest applied conversion (the API lists them oldest first); empty when
// they cannot be read.
async function latestDecisions(learner) {
  const latest = new Map();
  let cursor = '';
  for (let i = 0; i < MAX_PAGES; i++) {
    const q = new URLSearchParams({limit: '1000'});
    if (cursor) q.set('cursor', cursor);
    const r = await api.get(`/v1/learners/${api.enc(learner)}/conversions?${q}`);
    if (!r.ok) break;
    for (const c of r.data.conversions) latest.set(c.program, c);
    if (!r.data.next_cursor) break;
    cursor = r.data.next_cursor;
  }
  return latest;
}

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const learner = app.session.learner;
  const [r, decisions] = await Promise.all([
    api.get(`/v1/learners/${api.enc(learner)}/what-if?programs=all&limit=100`), latestDecisions(learner)]);
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  if (!r.data.results.length) return view.append(h('p', null, t(L.none)));
  for (const p of r.data.results) {
    const decided = decisions.get(p.program);
    view.append(h('section', {class: 'card', 'data-program': p.program},
      h('h2', {class: 'heading-m'}, p.title || p.program),
      progress(p, p.title || p.program),
      h('p', null, h('a', {href: `#/program/${api.enc(p.program)}`}, t(L.why))),
      decided ? h('p', null, h('a', {href: `#/conversion/${api.enc(decided.id)}`, 'data-testid': 'program-decision'},
        t(L.decided, {n: num(decided.result.granted), d: date(decided.decided_at)}))) : null));
  }
  if (decisions.size) view.append(h('p', null, h('a', {href: '#/conversions'}, t(L.all))));
}
