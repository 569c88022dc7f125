// Sharing: the institutions the learner lets read their records (needed for a conversion),
// and a form to add or withdraw one.
import * as api from './api.js';
import {institutionName, listAll, names} from './catalog.js';
import {button, field, h, heading, notice, showErrors, table} from './dom.js';
import {date, S, t} from './i18n.js';

const L = {
  title: ['授权共享', 'Sharing your records'],
  intro: ['被授权的院校可以查看您的学习成果，并为您办理学分转换。您可以随时撤回。',
    'An institution you share with can read your records and convert them into its programs. You can withdraw at any time.'],
  current: ['已授权的院校', 'Institutions you share with'],
  none: ['您还没有授权任何院校。', 'You do not share your records with any institution.'],
  inst: ['院校', 'Institution'],
  since: ['授权时间', 'Since'],
  until: ['有效期至', 'Until'],
  forever: ['长期', 'No end date'],
  withdraw: ['撤回', 'Withdraw'],
  withdrawn: ['已撤回对 {name} 的授权。', 'You no longer share with {name}.'],
  add: ['授权新的院校', 'Share with an institution'],
  choose: ['选择院校', 'Choose an institution'],
  expires: ['有效期至（可选，YYYY-MM-DD）', 'Until (optional, YYYY-MM-DD)'],
  share: ['授权', 'Share'],
  shared: ['已授权 {name}。', 'You now share with {name}.'],
  badDate: ['请按 YYYY-MM-DD 填写将来的日期', 'Enter a future date as YYYY-MM-DD'],
  noneLeft: ['您已向所有院校授权。', 'You share your records with every institution already.'],
};

// A grant this page made ends at the end of the day the learner typed (UTC), which is that
// day, not a time of the next morning in a time zone east of UTC.
function untilDay(at) {
  return /^\d{4}-\d{2}-\d{2}T23:59:59Z$/.test(at) ? date(at.slice(0, 10)) : date(at);
}

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  const learner = app.session.learner;
  const base = `/v1/learners/${api.enc(learner)}/grants`;
  const [r, institutions] = await Promise.all([api.get(base), listAll('institutions')]);
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)), h('h2', {class: 'heading-m'}, t(L.current)));
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  const grants = r.data.grants;
  const known = await names(institutionName, grants.map((g) => g.institution));
  if (!grants.length) view.append(h('p', null, t(L.none)));
  else {
    view.append(table(null, [t(L.inst), t(L.since), t(L.until), ''], grants.map((g) => [
      known.get(g.institution), date(g.granted_at), g.expires_at ? untilDay(g.expires_at) : t(L.forever),
      button(t(L.withdraw), {secondary: true, onclick: async () => {
        const d = await api.del(`${base}/${api.enc(g.institution)}`);
        if (!d.ok) return view.prepend(notice(t(S.requestFailed, {detail: api.detail(d)}), 'error'));
        app.flash = t(L.withdrawn, {name: known.get(g.institution)});
        app.refresh();
      }})]), {class: 'table-responsive'}));
  }
  const errors = h('div');
  const shared = new Set(grants.map((g) => g.institution));
  const left = institutions.filter((i) => !shared.has(i.id));
  // Every institution already shared with: nothing left to choose, so no form.
  if (!left.length) return view.append(h('h2', {class: 'heading-m'}, t(L.add)), h('p', {class: 'hint'}, t(L.noneLeft)));
  const choice = field({id: 'grant-institution', label: t(L.choose),
    options: left.map((i) => [i.id, `${i.name} (${i.id})`])});
  const until = field({id: 'grant-until', label: t(L.expires), width: 'width-10', inputmode: 'numeric'});
  view.append(h('h2', {class: 'heading-m'}, t(L.add)), errors, h('form', {novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    until.setError(null);
    const body = {institution: choice.input.value};
    const day = until.input.value.trim();
    if (day) {
      // A real calendar day (2030-02-30 is not: Date would roll it over) in the future.
      const when = new Date(`${day}T23:59:59Z`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(when.getTime()) ||
          when.toISOString().slice(0, 10) !== day || when <= new Date()) {
        until.setError(t(L.badDate));
        return showErrors(errors, [{id: until.id, text: t(L.badDate)}]);
      }
      body.expires_at = `${day}T23:59:59Z`;
    }
    const p = await api.post(base, body);
    if (!p.ok) {
      // A refusal of the date is the date field's; any other, the institution's.
      const at = p.problem && p.problem.pointer === '/expires_at' ? until : choice;
      at.setError(api.detail(p));
      return showErrors(errors, [{id: at.id, text: api.detail(p)}]);
    }
    app.flash = t(L.shared, {name: await institutionName(body.institution)});
    app.refresh();
  }}, choice.group, until.group, button(t(L.share), {type: 'submit'})));
}
