// Credentials to take away: the whole transcript (CLR 2.0 or PDF), or one record as a
// Verifiable Credential or Open Badge, each with a QR code of its link.
import * as api from './api.js';
import {unitTitle} from './catalog.js';
import {downloadButton, FORMATS, recordCredentialUrl, TRANSCRIPTS, transcriptUrl} from './credential_links.js';
import {field, h, heading, notice} from './dom.js';
import {date, S, t} from './i18n.js';

const L = {
  title: ['下载凭证', 'Credentials'],
  intro: ['凭证由学分银行签名，钱包、开放徽章展示平台和核验方无需联系学分银行即可核验。',
    'Credentials are signed by the bank; wallets, Open Badges displayers and verifiers check them without asking the bank.'],
  transcript: ['成绩单', 'Transcript'],
  one: ['单条记录', 'One record'],
  record: ['选择记录', 'Choose a record'],
  none: ['您还没有有效记录。', 'You have no active records yet.'],
};

export async function render({view, app, setTitle}) {
  setTitle(t(L.title));
  const learner = app.session.learner;
  view.append(heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)),
    h('h2', {class: 'heading-m'}, t(L.transcript)),
    ...TRANSCRIPTS.map((f) => downloadButton(t(f.label), transcriptUrl(learner, f.id), `transcript-${learner}.${f.ext}`,
      {qr: f.id === 'pdf', testid: `transcript-${f.id}`})),
    h('h2', {class: 'heading-m'}, t(L.one)));
  const r = await api.get(`/v1/learners/${api.enc(learner)}/records?limit=1000`);
  if (!r.ok) return view.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  const active = r.data.records.filter((x) => x.status === 'active');
  if (!active.length) return view.append(h('p', null, t(L.none)));
  const titles = await Promise.all(active.map((x) => unitTitle(x.unit)));
  const choice = field({id: 'credential-record', label: t(L.record),
    options: active.map((x, i) => [x.id, `${titles[i]} · ${date(x.completed_on)}`])});
  const slot = h('div');
  const show = () => {
    const id = choice.input.value;
    slot.replaceChildren(...FORMATS.map((f) => downloadButton(t(f.label), recordCredentialUrl(id, f.id),
      `${id}-${f.id}.${f.ext}`, {qr: f.id === 'di', testid: `credential-${f.id}`})));
  };
  choice.input.addEventListener('change', show);
  show();
  view.append(choice.group, slot);
}
