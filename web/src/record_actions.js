// The issuer's actions on a record it posted: revoke it with a reason, or correct it (the old
// record is revoked and a new one, pointing at it, is posted). Errors from the API name a
// field by JSON pointer and are shown next to that field.
import * as api from './api.js';
import {button, field, h, notice, showErrors} from './dom.js';
import {S, t} from './i18n.js';
import {reason as inLanguage} from './reasons.js';

const L = {
  revokeTitle: ['撤销此记录', 'Revoke this record'],
  revokeHint: ['撤销会写入日志，记录仍可查询但不再计入学分。', 'A revocation is logged; the record stays readable but no longer counts.'],
  reason: ['原因', 'Reason'],
  reasonEmpty: ['请填写原因', 'Enter a reason'],
  revokeButton: ['撤销记录', 'Revoke the record'],
  revoked: ['记录已撤销。', 'The record was revoked.'],
  correctTitle: ['更正此记录', 'Correct this record'],
  correctHint: ['更正会撤销原记录并登记一条新记录，新记录需要新的外部编号。', 'A correction revokes this record and posts a new one, which needs a new external reference.'],
  externalRef: ['新的外部编号', 'New external reference'],
  unit: ['课程或成果编号', 'Unit'],
  scale: ['成绩制', 'Grade scale'],
  value: ['成绩', 'Grade'],
  creditsField: ['学分（可选）', 'Credits (optional)'],
  hours: ['学时（可选）', 'Hours (optional)'],
  completed: ['取得日期（YYYY-MM-DD）', 'Completed on (YYYY-MM-DD)'],
  correctButton: ['提交更正', 'Submit the correction'],
  corrected: ['已更正。新记录：', 'Corrected. The new record: '],
};

const POINTERS = {
  '/record/external_ref': 'externalRef', '/record/unit': 'unit', '/record/grade/scale': 'scale',
  '/record/grade/value': 'value', '/record/grade': 'value', '/record/credits': 'credits',
  '/record/hours': 'hours', '/record/completed_on': 'completed', '/reason': 'reason',
};

// Puts each problem+json error next to its field; returns the summary entries.
export function placeErrors(problem, fields, pointers, fallbackField) {
  const list = problem.errors && problem.errors.length ? problem.errors
    : [{pointer: problem.pointer || '', detail: problem.detail}];
  return list.map((e) => {
    const name = pointers[e.pointer] || pointers[(e.pointer || '').split('/').slice(0, 3).join('/')] || fallbackField;
    const f = fields[name];
    const text = inLanguage(e.detail);
    if (f) f.setError(text);
    return {id: f ? f.id : null, text};
  });
}

function revokeForm(bundle, app) {
  const errors = h('div');
  const reason = field({id: 'revoke-reason', label: t(L.reason), rows: 3});
  const result = h('div', {'aria-live': 'polite'});
  return h('section', null, h('h2', {class: 'heading-m'}, t(L.revokeTitle)), h('p', {class: 'hint'}, t(L.revokeHint)),
    errors, h('form', {novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      reason.setError(null);
      const text = reason.input.value.trim();
      if (!text) {
        reason.setError(t(L.reasonEmpty));
        return showErrors(errors, [{id: reason.id, text: t(L.reasonEmpty)}]);
      }
      const r = await api.post(`/v1/records/${api.enc(bundle.record.id)}/revoke`, {reason: text});
      if (!r.ok) return showErrors(errors, placeErrors(r.problem || {detail: api.detail(r)}, {reason}, POINTERS, 'reason'));
      app.flash = t(L.revoked);
      app.refresh();
    }}, reason.group, button(t(L.revokeButton), {type: 'submit', warning: true})), result);
}

function correctForm(bundle, app) {
  const rec = bundle.record;
  const errors = h('div');
  const f = {
    externalRef: field({id: 'correct-ref', label: t(L.externalRef), value: `${rec.external_ref}-c`}),
    unit: field({id: 'correct-unit', label: t(L.unit), value: rec.unit}),
    scale: field({id: 'correct-scale', label: t(L.scale), value: rec.grade.scale, width: 'width-10'}),
    value: field({id: 'correct-value', label: t(L.value), value: rec.grade.value, width: 'width-10'}),
    credits: field({id: 'correct-credits', label: t(L.creditsField), value: String(rec.credits), inputmode: 'decimal', width: 'width-10'}),
    hours: field({id: 'correct-hours', label: t(L.hours), value: rec.hours !== undefined ? String(rec.hours) : '', inputmode: 'decimal', width: 'width-10'}),
    completed: field({id: 'correct-completed', label: t(L.completed), value: rec.completed_on, width: 'width-10'}),
    reason: field({id: 'correct-reason', label: t(L.reason), rows: 2}),
  };
  const result = h('div', {'aria-live': 'polite'});
  const number = (s) => (s.trim() === '' ? undefined : Number(s.trim()));
  return h('section', null, h('h2', {class: 'heading-m'}, t(L.correctTitle)), h('p', {class: 'hint'}, t(L.correctHint)),
    errors, h('form', {novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      Object.values(f).forEach((x) => x.setError(null));
      const record = {learner: rec.learner, unit: f.unit.input.value.trim(), external_ref: f.externalRef.input.value.trim(),
        grade: {scale: f.scale.input.value.trim(), value: f.value.input.value.trim()},
        completed_on: f.completed.input.value.trim()};
      const c = number(f.credits.input.value);
      const hrs = number(f.hours.input.value);
      if (c !== undefined) record.credits = Number.isNaN(c) ? f.credits.input.value : c;
      if (hrs !== undefined) record.hours = Number.isNaN(hrs) ? f.hours.input.value : hrs;
      const body = {record};
      if (f.reason.input.value.trim()) body.reason = f.reason.input.value.trim();
      const r = await api.post(`/v1/records/${api.enc(rec.id)}/correct`, body);
      if (!r.ok) return showErrors(errors, placeErrors(r.problem || {detail: api.detail(r)}, f, POINTERS, 'externalRef'));
      const id = r.data.record.id;
      result.append(notice(h('span', null, t(L.corrected), h('a', {href: `#/record/${api.enc(id)}`}, id)), 'success'));
      e.target.querySelector('button').disabled = true;
    }}, Object.values(f).map((x) => x.group), button(t(L.correctButton), {type: 'submit'})), result);
}

export function issuerActions(bundle, app) {
  return h('div', null, revokeForm(bundle, app), correctForm(bundle, app), h('p', null, h('a', {href: '#/posted'}, t(S.back))));
}
