// Rulesets: the institution publishes a new version of a program's conversion rules, written
// as JSON. The text is checked as JSON first; the API's validation errors (problem+json with a
// JSON pointer per error) are shown next to the text, each with its line.
import * as api from './api.js';
import {listAll} from './catalog.js';
import {button, clear, field, h, heading, notice, showErrors, table} from './dom.js';
import {num, t} from './i18n.js';
import {lineOf, parseWithLines} from './jsonpos.js';
import {reason} from './reasons.js';

const L = {
  title: ['转换规则', 'Rulesets'],
  intro: ['每次发布都会生成一个新的、不可更改的版本，并写入透明日志。', 'Each publication is a new, immutable version, written to the transparency log.'],
  program: ['专业', 'Program'],
  noPrograms: ['本机构还没有登记专业。', 'Your institution has no programs yet.'],
  rules: ['规则（JSON）', 'Rules (JSON)'],
  rulesHint: ['格式：{"rules": [{"id", "target", "grant", "sources": [...]}]}。已载入当前版本。',
    'Shape: {"rules": [{"id", "target", "grant", "sources": [...]}]}. The current version is loaded.'],
  load: ['载入当前版本', 'Load the current version'],
  publish: ['发布新版本', 'Publish a new version'],
  published: ['已发布第 {v} 版（SHA-256 {sha}）。', 'Published version {v} (SHA-256 {sha}).'],
  current: ['当前为第 {v} 版。', 'The current version is {v}.'],
  noneYet: ['此专业还没有规则。', 'This program has no rules yet.'],
  atLine: ['第 {line} 行（{ptr}）：{msg}', 'Line {line} ({ptr}): {msg}'],
  problems: ['规则有误，未发布', 'The rules have problems and were not published'],
  line: ['行', 'Line'],
  where: ['位置', 'Where'],
  problem: ['问题', 'Problem'],
};

const EMPTY = '{\n  "rules": [\n  ]\n}\n';

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const programs = await listAll('programs', app.subject());
  if (!programs.length) return view.append(h('p', null, t(L.noPrograms)));
  const errors = h('div');
  const choice = field({id: 'ruleset-program', label: t(L.program), options: programs.map((p) => [p.id, `${p.title} (${p.id})`])});
  const rules = field({id: 'ruleset-json', label: t(L.rules), hint: t(L.rulesHint), rows: 18});
  const info = h('p', {class: 'hint', 'aria-live': 'polite'});
  const details = h('div', {'data-testid': 'ruleset-errors'});
  const result = h('div', {'aria-live': 'polite'});

  async function load() {
    const r = await api.get(`/v1/programs/${api.enc(choice.input.value)}/ruleset`);
    rules.input.value = r.ok ? `${JSON.stringify(r.data.ruleset, null, 2)}\n` : EMPTY;
    info.textContent = r.ok ? t(L.current, {v: r.data.version}) : t(L.noneYet);
  }

  function report(list) {
    rules.setError(list.map((e) => e.text).join(' · '));
    showErrors(errors, list.map((e) => ({id: rules.id, text: e.text})));
    clear(details).append(table(t(L.problems), [t(L.line), t(L.where), t(L.problem)],
      list.map((e) => ({attrs: {'data-line': e.line, 'data-pointer': e.ptr}, cells: [num(e.line), h('code', null, e.ptr || '/'), e.msg]}))));
  }

  async function publish(e) {
    e.preventDefault();
    rules.setError(null);
    clear(errors);
    clear(details);
    clear(result);
    let parsed;
    try {
      parsed = parseWithLines(rules.input.value);
    } catch (err) {
      return report([{line: err.line, ptr: '', msg: err.message, text: t(L.atLine, {line: err.line, ptr: '/', msg: err.message})}]);
    }
    const r = await api.put(`/v1/programs/${api.enc(choice.input.value)}/ruleset`, parsed.value);
    if (r.ok) {
      info.textContent = t(L.current, {v: r.data.version});
      return result.append(notice(t(L.published, {v: r.data.version, sha: String(r.data.sha256).slice(0, 16)}), 'success'));
    }
    const p = r.problem || {detail: api.detail(r)};
    const list = p.errors && p.errors.length ? p.errors : [{pointer: p.pointer || '', detail: p.detail}];
    report(list.map((x) => {
      const line = lineOf(parsed.lines, x.pointer);
      const msg = reason(x.detail);
      return {line, ptr: x.pointer, msg, text: t(L.atLine, {line, ptr: x.pointer || '/', msg})};
    }));
  }

  choice.input.addEventListener('change', load);
  view.append(errors, h('form', {novalidate: true, onsubmit: publish}, choice.group, info,
    button(t(L.load), {secondary: true, onclick: load}), rules.group, details,
    button(t(L.publish), {type: 'submit', testid: 'ruleset-publish'})), result);
  await load();
}
