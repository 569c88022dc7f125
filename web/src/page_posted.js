// Records the institution posted: the ones stored from this tab (kept in memory only), and
// any record it issued, found by its ID, to view, revoke or correct.
import * as api from './api.js';
import {button, field, h, heading, showErrors, table} from './dom.js';
import {num, t} from './i18n.js';
import {posted} from './store.js';

const L = {
  title: ['已登记记录', 'Posted records'],
  find: ['查找记录', 'Find a record'],
  id: ['记录编号', 'Record ID'],
  idHint: ['以 rec_ 开头，见上传结果或收据', 'Starts with rec_; see the upload result or the receipt'],
  idEmpty: ['请输入记录编号', 'Enter a record ID'],
  open: ['打开', 'Open'],
  recent: ['本次登记的记录', 'Stored from this tab'],
  recentHint: ['只保存在此浏览器标签页中，刷新后清空。', 'Kept in this browser tab only; a reload forgets them.'],
  none: ['本标签页还没有登记记录。', 'Nothing was stored from this tab yet.'],
  leaf: ['日志位置', 'Log position'],
  count: ['共 {n} 条，最新的在前', '{n} records, the latest first'],
  latest: ['共 {n} 条，显示最新的 {shown} 条', 'The latest {shown} of {n} records'],
};

const SHOWN = 200;

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  const errors = h('div');
  const id = field({id: 'posted-id', label: t(L.id), hint: t(L.idHint)});
  view.append(errors, heading(t(L.title)), h('h2', {class: 'heading-m'}, t(L.find)),
    h('form', {novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      const value = id.input.value.trim();
      id.setError(null);
      if (!value) {
        id.setError(t(L.idEmpty));
        return showErrors(errors, [{id: id.id, text: t(L.idEmpty)}]);
      }
      app.go(`#/record/${api.enc(value)}`);
    }}, id.group, button(t(L.open), {type: 'submit', secondary: true})),
    h('h2', {class: 'heading-m'}, t(L.recent)), h('p', {class: 'hint'}, t(L.recentHint)));
  if (!posted.length) return view.append(h('p', null, t(L.none)));
  const caption = posted.length > SHOWN ? t(L.latest, {n: num(posted.length), shown: num(SHOWN)})
    : t(L.count, {n: num(posted.length)});
  view.append(table(caption, [t(L.id), t(L.leaf)], posted.slice(-SHOWN).reverse().map((p) => [
    h('a', {href: `#/record/${api.enc(p.id)}`}, p.id), num(p.leaf_index)]), {class: 'table-responsive'}));
}
