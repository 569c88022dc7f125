// The learner's signed-in sessions: every portal session opened in the learner's name
// (GET /v1/sessions answers a learner with its own), how each signed in and who asked for its
// sign-in code, when, and when it was last used; any but this browser's can be ended
// (DELETE /v1/sessions/{id}), this one signs out. A code an institution or an admin asked for
// opens the learner's whole file, so the learner must be able to see such a session and end it.
import * as api from './api.js';
import {institutionName, names} from './catalog.js';
import {button, h, heading, notice, table, tag} from './dom.js';
import {date, S, t} from './i18n.js';

const L = {
  title: ['登录设备', 'Signed-in sessions'],
  intro: ['以下是以您的身份登录学分银行门户的会话。如有您不认识的会话，请结束它，那台设备将被退出登录。',
    'These are the portal sessions signed in as you. If you do not recognise one, end it: that device is signed out.'],
  how: ['登录方式', 'How it signed in'],
  created: ['登录时间', 'Signed in'],
  seen: ['最近使用', 'Last used'],
  action: ['操作', 'Action'],
  bySelf: ['登录码，由您本人申请', 'a sign-in code you asked for'],
  byAdmin: ['登录码，由学分银行管理员申请', 'a sign-in code asked for by the bank\'s administrator'],
  byOther: ['登录码，由 {who} 申请', 'a sign-in code asked for by {who}'],
  token: ['您的接口令牌', 'your API token'],
  current: ['当前浏览器', 'This browser'],
  end: ['结束', 'End'],
  endWhich: ['会话：{how}，{when}', 'session: {how}, {when}'],
  signOut: ['退出登录', 'Sign out'],
  ended: ['已结束该会话，那台设备需要重新登录。', 'The session was ended; that device must sign in again.'],
  none: ['没有以您的身份登录的会话。', 'No session is signed in as you.'],
};

// How a session signed in, in words: a code and who asked for it (created_by is the role that
// asked: "learner:<id>", "institution:<id>" or "admin"), or the learner's own token.
function howLabel(s, self, institutions) {
  if (s.via !== 'code') return t(L.token);
  const by = String(s.created_by || '');
  if (by === `learner:${self}`) return t(L.bySelf);
  if (by === 'admin') return t(L.byAdmin);
  const m = /^institution:(.*)$/s.exec(by);
  return t(L.byOther, {who: m ? institutions.get(m[1]) || m[1] : by});
}

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const r = await api.get('/v1/sessions');
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  // This browser's first, then the newest.
  const list = r.data.sessions.slice().sort((a, b) => (b.current === true) - (a.current === true) ||
    String(b.created_at).localeCompare(String(a.created_at)));
  if (!list.length) return view.append(h('p', null, t(L.none)));
  const institutions = await names(institutionName, list.map((s) => /^institution:(.*)$/s.exec(s.created_by || ''))
    .filter(Boolean).map((m) => m[1]));
  const self = app.session.learner;
  const end = async (s) => {
    const d = await api.del(`/v1/sessions/${api.enc(s.id)}`);
    if (!d.ok) return view.prepend(notice(t(S.requestFailed, {detail: api.detail(d)}), 'error'));
    app.flash = t(L.ended);
    await app.refresh();
    // The button pressed is gone with the old page: the reader goes on from the heading.
    document.querySelector('#main h1')?.focus();
  };
  view.append(table(null, [t(L.how), t(L.created), t(L.seen), t(L.action)], list.map((s) => {
    const how = howLabel(s, self, institutions);
    const action = s.current
      ? [tag(t(L.current), 'green'), ' ', button(t(L.signOut), {secondary: true, testid: 'my-session-sign-out',
        onclick: () => app.signOut()})]
      : h('button', {type: 'button', class: 'button button-warning', 'data-testid': 'end-session',
        onclick: () => end(s)}, t(L.end),
      h('span', {class: 'visually-hidden'}, ` ${t(L.endWhich, {how, when: date(s.created_at)})}`));
    return {attrs: {'data-testid': 'my-session-row', 'data-session': s.id, 'data-via': s.via,
      'data-created-by': s.created_by || '', 'data-current': s.current ? 'true' : 'false'},
    cells: [how, date(s.created_at), date(s.last_seen_at), action]};
  }), {class: 'table-responsive'}));
}
