// One program for the learner: the explained, optimal conversion of their records into it.
import * as api from './api.js';
import {program as loadProgram} from './catalog.js';
import {explanation, recordLabels} from './conversion_view.js';
import {h, heading, notice} from './dom.js';
import {S, t} from './i18n.js';

const L = {
  title: ['专业进度明细', 'Progress in detail'],
  back: ['返回专业进度', 'Back to all programs'],
};

export async function render({view, app, args, setTitle}) {
  const id = args[0] || '';
  const learner = app.session.learner;
  const [program, r, labels] = await Promise.all([loadProgram(id),
    api.post('/v1/conversions/evaluate', {learner, program: id}), recordLabels(learner)]);
  const title = program ? program.title : id;
  setTitle(title);
  view.append(h('p', null, h('a', {href: '#/programs'}, t(L.back))), heading(title));
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  view.append(...explanation(r.data, program, {labels, recordLink: true}));
}
