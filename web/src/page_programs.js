// Programs: how far the learner's credits go in each program (what-if, ranked by credits
// granted), with a progress bar per program and a link to the explanation.
import * as api from './api.js';
import {progress} from './conversion_view.js';
import {h, heading, notice} from './dom.js';
import {S, t} from './i18n.js';

const L = {
  title: ['专业进度', 'Your progress toward programs'],
  intro: ['按照各专业公布的转换规则，您现有的学分最多可以认定多少。', 'How many of your credits each program would recognise under its published rules.'],
  none: ['目前没有可比较的专业。', 'There are no programs to compare yet.'],
  why: ['查看明细：哪些记录计入、哪些未计入及原因', 'See the details: which records count, which do not, and why'],
};

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const r = await api.get(`/v1/learners/${api.enc(app.session.learner)}/what-if?programs=all&limit=100`);
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  if (!r.data.results.length) return view.append(h('p', null, t(L.none)));
  for (const p of r.data.results) {
    view.append(h('section', {class: 'card', 'data-program': p.program},
      h('h2', {class: 'heading-m'}, p.title || p.program),
      progress(p, p.title || p.program),
      h('a', {href: `#/program/${api.enc(p.program)}`}, t(L.why))));
  }
}
