// Portal sessions (admin): who is signed in, how (for a code: who asked for it), and until
// when; end any of them.
import * as api from './api.js';
import {button, h, heading, notice, table} from './dom.js';
import {date, S, t} from './i18n.js';

const L = {
  title: ['登录会话', 'Portal sessions'],
  intro: ['会话只以哈希形式保存。结束会话后，该浏览器需要重新登录。', 'Sessions are stored only as hashes. Ending one signs that browser out.'],
  id: ['会话', 'Session'],
  role: ['角色', 'Role'],
  via: ['登录方式', 'Signed in with'],
  code: ['登录码', 'a sign-in code'],
  codeBy: ['登录码，由 {by} 申请', 'a sign-in code asked for by {by}'],
  token: ['接口令牌', 'an API token'],
  created: ['登录时间', 'Signed in'],
  ends: ['最迟结束', 'Ends at the latest'],
  end: ['结束', 'End'],
  ended: ['会话 {id} 已结束。', 'Session {id} was ended.'],
  none: ['没有活动的会话。', 'No one is signed in.'],
  you: ['（您）', '(you)'],
};

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const r = await api.get('/v1/sessions');
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  const list = r.data.sessions;
  if (!list.length) return view.append(h('p', null, t(L.none)));
  // A code session names the role that asked for the code (an institution may have asked for a
  // learner's code and used it itself: the learner sees that too, on its own sessions page).
  const via = (s) => s.via !== 'code' ? t(L.token) : s.created_by ? t(L.codeBy, {by: s.created_by}) : t(L.code);
  view.append(table(null, [t(L.id), t(L.role), t(L.via), t(L.created), t(L.ends), ''], list.map((s) => [
    h('code', null, s.id), s.role + (s.current || s.id === app.session.id ? ` ${t(L.you)}` : ''), via(s),
    date(s.created_at), date(s.idle_expires_at),
    button(t(L.end), {secondary: true, onclick: async () => {
      const d = await api.del(`/v1/sessions/${api.enc(s.id)}`);
      if (!d.ok) return view.prepend(notice(t(S.requestFailed, {detail: api.detail(d)}), 'error'));
      app.flash = t(L.ended, {id: s.id});
      app.refresh();
    }})]), {class: 'table-responsive'}));
}
