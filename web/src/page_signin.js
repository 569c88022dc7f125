// Sign in: with a one-time code (learners; the link in a code's QR opens this page with the
// code filled in and sends it at once), or by pasting an API token once (staff). The answer is
// an HttpOnly cookie; nothing is kept where scripts could read it.
import * as api from './api.js';
import {button, field, h, heading, showErrors} from './dom.js';
import {S, t} from './i18n.js';

const L = {
  title: ['登录', 'Sign in'],
  intro: ['学习者使用登录码登录。登录码由院校或管理员发放，也可以在已登录的其他设备上获取。',
    'Learners sign in with a sign-in code. Your institution or an administrator gives you one, or get one on another device where you are signed in.'],
  codeLabel: ['登录码', 'Sign-in code'],
  codeHint: ['12 位字母和数字，例如 7KQ2-9MXA-4TRB', '12 letters and digits, for example 7KQ2-9MXA-4TRB'],
  codeButton: ['使用登录码登录', 'Sign in with the code'],
  codeEmpty: ['请输入登录码', 'Enter your sign-in code'],
  codeBad: ['登录码无效或已过期，请向发放者重新获取。', 'The code is not valid or has expired. Ask for a new one.'],
  tooMany: ['尝试次数过多，请在 {min} 分钟后重试。', 'Too many attempts. Try again in {min} minutes.'],
  staff: ['工作人员：使用接口令牌登录', 'Staff: sign in with an API token'],
  tokenLabel: ['接口令牌', 'API token'],
  tokenHint: ['粘贴一次即可。门户只保存一个脚本无法读取的会话 Cookie，不保存令牌。',
    'Paste it once. The portal keeps only a session cookie that scripts cannot read, never the token.'],
  tokenButton: ['使用令牌登录', 'Sign in with the token'],
  tokenEmpty: ['请输入接口令牌', 'Enter your API token'],
  tokenBad: ['令牌无效、已过期或已被撤销。', 'The token is not valid, has expired or was revoked.'],
  verifyHint: ['无需登录即可核验记录和日志：', 'You can verify records and the log without signing in: '],
};

export async function render({view, app, params, setTitle}) {
  setTitle(t(L.title));
  const errors = h('div');
  const code = field({id: 'sign-in-code', label: t(L.codeLabel), hint: t(L.codeHint),
    autocomplete: 'one-time-code', width: 'width-10', value: params.get('code') || ''});
  const token = field({id: 'sign-in-token', label: t(L.tokenLabel), hint: t(L.tokenHint), type: 'password'});

  async function submit(kind) {
    const f = kind === 'code' ? code : token;
    const value = f.input.value.trim();
    code.setError(null);
    token.setError(null);
    const fail = (text) => {
      f.setError(text);
      showErrors(errors, [{id: f.id, text}]);
    };
    if (!value) return fail(t(kind === 'code' ? L.codeEmpty : L.tokenEmpty));
    let r;
    try {
      r = await api.post('/v1/sessions', {[kind]: value}, {signingIn: true});
    } catch (e) {
      return fail(t(S.networkError));
    }
    if (r.status === 201) {
      // The code must not stay in the address bar or the history.
      app.signedIn(r.data);
      history.replaceState(null, '', app.home());
      return app.go(app.home());
    }
    if (r.status === 429) {
      const secs = Number(r.headers.get('Retry-After')) || 60;
      return fail(t(L.tooMany, {min: Math.max(1, Math.ceil(secs / 60))}));
    }
    if (r.status === 401) return fail(t(kind === 'code' ? L.codeBad : L.tokenBad));
    return fail(t(S.requestFailed, {detail: api.detail(r)}));
  }

  const codeForm = h('form', {novalidate: true, onsubmit: (e) => { e.preventDefault(); submit('code'); }},
    code.group, button(t(L.codeButton), {type: 'submit'}));
  const tokenForm = h('form', {novalidate: true, onsubmit: (e) => { e.preventDefault(); submit('token'); }},
    token.group, button(t(L.tokenButton), {type: 'submit', secondary: true}));
  view.append(errors, heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)), codeForm,
    h('details', {class: 'details'}, h('summary', null, t(L.staff)), tokenForm),
    h('p', null, t(L.verifyHint), h('a', {href: '#/verify'}, t(S.navVerify)), ' · ',
      h('a', {href: '#/checkpoint'}, t(S.navCheckpoint))));
  if (params.get('code')) await submit('code');
}
