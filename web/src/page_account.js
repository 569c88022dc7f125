// The learner's account: the name and region the bank holds, and a form to move or clear the
// region (PATCH /v1/learners/{id}). Regulators count learners by region; they never see who.
import * as api from './api.js';
import {institutionName} from './catalog.js';
import {button, field, h, heading, notice, showErrors, summaryList} from './dom.js';
import {date, S, t} from './i18n.js';
import {isRegionCode, regionLabel} from './regions.js';

const L = {
  title: ['我的账户', 'Your account'],
  intro: ['学分银行为您保存的账户信息。您的身份证号只以加密摘要保存，不会显示。',
    'What the credit bank holds about your account. Your national ID is kept only as a keyed hash and is never shown.'],
  id: ['学习者编号', 'Learner ID'],
  name: ['姓名', 'Name'],
  region: ['所在地区', 'Region'],
  noRegion: ['未填写', 'Not given'],
  created: ['开户时间', 'Opened'],
  createdBy: ['开户机构', 'Opened by'],
  admin: ['学分银行管理员', 'The bank\'s administrator'],
  change: ['修改所在地区', 'Change your region'],
  changeIntro: ['监管部门按地区统计学习者人数和学分，只看到汇总数字，看不到任何个人信息。',
    'Regulators count learners and credits by region; they see totals only, never a person.'],
  code: ['行政区划代码', 'Region code'],
  codeHint: ['六位数字（GB/T 2260），例如 310101（上海市黄浦区）', 'Six digits (GB/T 2260), for example 310101 (Huangpu, Shanghai)'],
  badCode: ['请输入六位行政区划代码，前两位须为省级代码（例如 310101）', 'Enter a six-digit region code whose first two digits name a province (e.g. 310101)'],
  save: ['保存', 'Save'],
  clearRegion: ['清除所在地区', 'Clear your region'],
  saved: ['所在地区已改为 {region}。', 'Your region is now {region}.'],
  cleared: ['已清除所在地区。', 'Your region was cleared.'],
};

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  const self = `/v1/learners/${api.enc(app.session.learner)}`;
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)));
  const r = await api.get(self);
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  const me = r.data;
  // created_by is the role that opened the account: "admin" or "institution:<id>".
  const opener = me.created_by === 'admin' ? t(L.admin)
    : await institutionName(String(me.created_by || '').replace(/^institution:/, ''));
  view.append(summaryList([
    [t(L.id), h('code', null, me.id)],
    [t(L.name), me.display_name || '—'],
    [t(L.region), h('span', {'data-testid': 'learner-region', 'data-value': me.region || ''},
      me.region ? regionLabel(me.region) : t(L.noRegion))],
    [t(L.created), date(me.created_at)],
    [t(L.createdBy), opener],
  ]));

  const errors = h('div');
  const code = field({id: 'account-region', label: t(L.code), hint: t(L.codeHint), width: 'width-10',
    inputmode: 'numeric', value: me.region || ''});
  const send = async (region) => {
    const p = await api.patch(self, {region});
    if (!p.ok) {
      code.setError(api.detail(p));
      return showErrors(errors, [{id: code.id, text: api.detail(p)}]);
    }
    app.flash = region ? t(L.saved, {region: regionLabel(region)}) : t(L.cleared);
    app.refresh();
  };
  view.append(h('h2', {class: 'heading-m'}, t(L.change)), h('p', null, t(L.changeIntro)), errors,
    h('form', {novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      code.setError(null);
      // Full-width digits, as a Chinese input method may type them, are the same code.
      const value = code.input.value.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
      if (!isRegionCode(value)) {
        code.setError(t(L.badCode));
        return showErrors(errors, [{id: code.id, text: t(L.badCode)}]);
      }
      await send(value);
    }}, code.group, button(t(L.save), {type: 'submit', testid: 'save-region'})),
    ...(me.region ? [button(t(L.clearRegion), {secondary: true, testid: 'clear-region', onclick: () => send(null)})] : []));
}
