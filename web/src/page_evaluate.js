// Evaluate an applicant: the optimal conversion of a learner's records into one of the
// institution's programs, explained (a dry run; nothing is logged). The learner must have
// shared their records with the institution.
import * as api from './api.js';
import {listAll} from './catalog.js';
import {explanation, recordLabels} from './conversion_view.js';
import {button, clear, field, h, heading, notice, showErrors} from './dom.js';
import {S, t} from './i18n.js';
import {reason} from './reasons.js';

const L = {
  title: ['申请评估', 'Evaluate an applicant'],
  intro: ['试算申请人的学分可在本机构专业中认定多少（不写入日志）。申请人需先向本机构授权共享记录。',
    'See how many of an applicant\'s credits one of your programs would recognise (nothing is logged). The applicant must share their records with you first.'],
  learner: ['申请人的学习者编号', 'The applicant\'s learner ID'],
  program: ['专业', 'Program'],
  asOf: ['评估日期（可选，YYYY-MM-DD）', 'As of (optional, YYYY-MM-DD)'],
  go: ['评估', 'Evaluate'],
  learnerEmpty: ['请输入学习者编号', 'Enter the learner ID'],
  noGrant: ['找不到该学习者，或其尚未向本机构授权共享记录。', 'There is no such learner, or they have not shared their records with you.'],
  noPrograms: ['本机构还没有登记专业。', 'Your institution has no programs yet.'],
};

const POINTERS = {'/learner': 'learner', '/program': 'program', '/as_of': 'asOf'};

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const programs = await listAll('programs', app.subject());
  if (!programs.length) return view.append(h('p', null, t(L.noPrograms)));
  const errors = h('div');
  const f = {
    learner: field({id: 'evaluate-learner', label: t(L.learner)}),
    program: field({id: 'evaluate-program', label: t(L.program), options: programs.map((p) => [p.id, `${p.title} (${p.id})`])}),
    asOf: field({id: 'evaluate-as-of', label: t(L.asOf), width: 'width-10', inputmode: 'numeric'}),
  };
  const out = h('div', {'aria-live': 'polite'});
  view.append(errors, h('form', {novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    Object.values(f).forEach((x) => x.setError(null));
    clear(errors);
    clear(out);
    const body = {learner: f.learner.input.value.trim(), program: f.program.input.value};
    if (f.asOf.input.value.trim()) body.as_of = f.asOf.input.value.trim();
    if (!body.learner) {
      f.learner.setError(t(L.learnerEmpty));
      return showErrors(errors, [{id: f.learner.id, text: t(L.learnerEmpty)}]);
    }
    const r = await api.post('/v1/conversions/evaluate', body);
    if (r.status === 404) {
      f.learner.setError(t(L.noGrant));
      return showErrors(errors, [{id: f.learner.id, text: t(L.noGrant)}]);
    }
    if (!r.ok) {
      const p = r.problem || {};
      const name = POINTERS[p.pointer];
      if (name) {
        f[name].setError(reason(p.detail));
        return showErrors(errors, [{id: f[name].id, text: reason(p.detail)}]);
      }
      return out.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
    }
    const program = programs.find((p) => p.id === body.program);
    const labels = await recordLabels(body.learner);
    out.append(h('h2', {class: 'heading-m'}, program.title), ...explanation(r.data, program, {labels}));
  }}, Object.values(f).map((x) => x.group), button(t(L.go), {type: 'submit'})), out);
}
