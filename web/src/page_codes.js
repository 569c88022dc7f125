// Sign-in codes. A learner gets one for another device (the phone scans the QR code and is
// signed in); an institution gets one for a learner whose account it created or who shares
// with it, and an admin for anyone, to print or hand over. A code works once, for a limited time.
import * as api from './api.js';
import {button, clear, field, h, heading, notice, showErrors} from './dom.js';
import {date, S, t} from './i18n.js';
import {qrSvg} from './qr.js';

const L = {
  titleDevice: ['在其他设备上登录', 'Sign in on another device'],
  introDevice: ['获取一次性登录码，在手机上扫描二维码即可登录，无需输入密码。', 'Get a one-time sign-in code; scan its QR code with your phone to sign in there.'],
  titleStaff: ['学习者登录码', 'Sign-in codes for learners'],
  introStaff: ['为本机构开立账户或已获授权的学习者生成一次性登录码，可打印交给学习者。', 'Make a one-time sign-in code for a learner whose account you created or who shares with you, to print or hand over.'],
  learner: ['学习者编号', 'Learner ID'],
  learnerHint: ['例如 lrn_37e81b70602b5216', 'For example lrn_37e81b70602b5216'],
  learnerEmpty: ['请输入学习者编号', 'Enter the learner ID'],
  get: ['获取登录码', 'Get a sign-in code'],
  code: ['登录码', 'Sign-in code'],
  expires: ['{time} 前有效，仅可使用一次。', 'Valid until {time}, once.'],
  qr: ['登录二维码', 'QR code to sign in'],
  link: ['登录链接', 'Sign-in link'],
  print: ['打印', 'Print'],
  unknown: ['找不到该学习者，或本机构无权为其生成登录码。', 'There is no such learner, or you may not make codes for them.'],
};

function showCode(slot, data) {
  clear(slot).append(h('div', {class: 'notice notice-success', role: 'status', 'data-testid': 'sign-in-code'},
    h('p', {class: 'heading-s'}, t(L.code)),
    h('p', {class: 'code-display'}, data.code),
    h('p', null, t(L.expires, {time: date(data.expires_at)}))),
  qrSvg(data.url, t(L.qr)),
  h('p', null, t(L.link), ': ', h('code', null, data.url)),
  button(t(L.print), {secondary: true, onclick: () => window.print()}));
}

export async function render({view, app, setTitle}) {
  const self = app.kind() === 'learner';
  setTitle(t(self ? L.titleDevice : L.titleStaff));
  view.append(heading(t(self ? L.titleDevice : L.titleStaff)), h('p', {class: 'lead'}, t(self ? L.introDevice : L.introStaff)));
  const errors = h('div');
  const slot = h('div', {'aria-live': 'polite'});
  const learner = self ? null : field({id: 'code-learner', label: t(L.learner), hint: t(L.learnerHint)});
  const submit = async (e) => {
    e.preventDefault();
    const id = self ? app.session.learner : learner.input.value.trim();
    if (learner) learner.setError(null);
    clear(errors);
    if (!id) {
      learner.setError(t(L.learnerEmpty));
      return showErrors(errors, [{id: learner.id, text: t(L.learnerEmpty)}]);
    }
    const r = await api.post('/v1/sign-in-codes', {learner: id});
    if (r.ok) return showCode(slot, r.data);
    const text = r.status === 404 ? t(L.unknown) : t(S.requestFailed, {detail: api.detail(r)});
    if (learner) {
      learner.setError(text);
      return showErrors(errors, [{id: learner.id, text}]);
    }
    clear(slot).append(notice(text, 'error'));
  };
  view.append(errors, h('form', {novalidate: true, onsubmit: submit}, learner ? learner.group : null,
    button(t(L.get), {type: 'submit'})), slot);
}
