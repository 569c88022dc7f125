// DOM helpers. Every element is made with h(); text always goes in as text nodes, never as
// HTML, so data from the server cannot become markup. Components follow the GOV.UK Design
// System's patterns: labels above fields, hints, an error message next to the field it is
// about and an error summary at the top that links to each field.
import {S, num, t} from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

// h('a', {href: '#/x', class: 'link'}, 'text', child, [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let uid = 0;
export function newId(prefix) { return `${prefix}-${++uid}`; }

export function credits(n) { return t(S.credits, {n: num(n)}); }

export function button(text, opts = {}) {
  return h('button', {
    type: opts.type || 'button',
    class: ['button', opts.secondary && 'button-secondary', opts.warning && 'button-warning'],
    onclick: opts.onclick, 'data-testid': opts.testid, disabled: opts.disabled,
  }, text);
}

// A labelled field. Returns {group, input, setError(text|null)}.
export function field(opts) {
  const id = opts.id || newId('f');
  const hintId = opts.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const error = h('p', {class: 'error-message', id: errorId, hidden: true});
  let input;
  if (opts.options) {
    input = h('select', {id, name: opts.name || id, class: 'select'},
      opts.options.map(([value, label]) => h('option', {value}, label)));
    if (opts.value !== undefined) input.value = opts.value;
  } else if (opts.rows) {
    input = h('textarea', {id, name: opts.name || id, rows: opts.rows, class: 'textarea', spellcheck: 'false',
      autocomplete: 'off'});
    input.value = opts.value || '';
  } else {
    input = h('input', {id, name: opts.name || id, type: opts.type || 'text', class: ['input', opts.width],
      autocomplete: opts.autocomplete || 'off', inputmode: opts.inputmode, spellcheck: 'false',
      accept: opts.accept, value: opts.value});
  }
  const group = h('div', {class: 'form-group'},
    h('label', {class: 'label', for: id}, opts.label),
    opts.hint ? h('div', {class: 'hint', id: hintId}, opts.hint) : null,
    error, input);
  const describe = () => input.setAttribute('aria-describedby',
    [hintId, error.hidden ? null : errorId].filter(Boolean).join(' ') || null);
  if (hintId) input.setAttribute('aria-describedby', hintId);
  function setError(text) {
    error.hidden = !text;
    clear(error);
    if (text) error.append(h('span', {class: 'visually-hidden'}, t(['错误：', 'Error: '])), text);
    group.classList.toggle('form-group-error', !!text);
    input.classList.toggle('input-error', !!text);
    if (text) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    describe();
  }
  return {group, input, setError, id};
}

// The GOV.UK error summary: a list of links to the fields in error. Focused when shown.
export function errorSummary(errors) {
  const box = h('div', {class: 'error-summary', role: 'alert', tabindex: '-1'},
    h('h2', {class: 'error-summary-title'}, t(S.errorSummary)),
    h('ul', {class: 'error-summary-list'}, errors.map((e) => h('li', null,
      e.id ? h('a', {href: `#${e.id}`, onclick: (ev) => { ev.preventDefault(); document.getElementById(e.id)?.focus(); }}, e.text)
           : e.text))));
  return box;
}

export function showErrors(slot, errors) {
  clear(slot);
  if (!errors.length) return;
  const box = errorSummary(errors);
  slot.append(box);
  box.focus();
}

export function notice(text, kind) {
  return h('div', {class: ['notice', kind && `notice-${kind}`], role: kind === 'error' ? 'alert' : 'status'}, text);
}

export function tag(text, kind) { return h('strong', {class: ['tag', kind && `tag-${kind}`]}, text); }

// A definition list of [label, value] rows.
export function summaryList(rows) {
  return h('dl', {class: 'summary-list'}, rows.filter(Boolean).map(([k, v]) =>
    h('div', {class: 'summary-row'}, h('dt', null, k), h('dd', null, v))));
}

// A table whose cells carry their column label for the narrow layout (app.css).
export function table(caption, headers, rows, opts = {}) {
  return h('table', {class: ['table', opts.class]},
    caption ? h('caption', {class: 'table-caption'}, caption) : null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', {scope: 'col'}, x)))),
    h('tbody', null, rows.map((r) => h('tr', r.attrs || null,
      (r.cells || r).map((c, i) => (i === 0 && opts.rowHeaders
        ? h('th', {scope: 'row', 'data-label': headers[i]}, c)
        : h('td', {'data-label': headers[i]}, c)))))));
}

// A progress bar with its figures in text (the bar itself is decoration for the text).
export function progressBar({value, max, label, marker, testid}) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  const fill = h('span', {class: 'progress-fill'});
  fill.style.width = `${pct}%`;  // CSSOM: allowed under the CSP, unlike a style attribute
  const bar = h('span', {class: 'progress', role: 'progressbar', 'aria-valuemin': '0',
    'aria-valuemax': String(max), 'aria-valuenow': String(value), 'aria-label': label,
    'data-testid': testid}, fill);
  if (marker !== undefined && max > 0 && marker < max) {
    const m = h('span', {class: 'progress-marker'});
    m.style.left = `${(marker / max) * 100}%`;
    bar.append(m);
  }
  return bar;
}

// Saves bytes as a file through a temporary object URL.
export function saveFile(name, bytes, type) {
  const url = URL.createObjectURL(new Blob([bytes], {type}));
  const a = h('a', {href: url, download: name, hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// The page number a paged list is asked for (?page=N in the address): a whole number from 1;
// anything else is page 1.
export function pageNumber(params) {
  const text = params.get('page') || '';
  return /^[1-9]\d{0,8}$/.test(text) ? Number(text) : 1;
}

export function heading(text) { return h('h1', {class: 'heading-l', tabindex: '-1'}, text); }
