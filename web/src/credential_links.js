// Downloads of credentials: a record as a W3C Verifiable Credential (Data Integrity or
// VC-JWT) or an Open Badges 3.0 JWT, and the whole transcript as a CLR 2.0 credential or a
// PDF. Each download is fetched first, so that an endpoint this server does not offer (404)
// gives a message instead of a broken file.
import * as api from './api.js';
import {button, clear, h, notice, saveFile} from './dom.js';
import {S, t} from './i18n.js';
import {qrSvg} from './qr.js';

export const FORMATS = [
  {id: 'di', label: ['可验证凭证（VC 2.0，Data Integrity）', 'Verifiable Credential (VC 2.0, Data Integrity)'], ext: 'json'},
  {id: 'jwt', label: ['可验证凭证（VC-JWT）', 'Verifiable Credential (VC-JWT)'], ext: 'jwt'},
  {id: 'ob3-jwt', label: ['开放徽章 3.0（JWT）', 'Open Badges 3.0 (JWT)'], ext: 'jwt'},
];

export const TRANSCRIPTS = [
  {id: 'clr', label: ['完整成绩单（CLR 2.0）', 'Whole transcript (CLR 2.0)'], ext: 'json'},
  {id: 'pdf', label: ['学分证明（PDF）', 'Transcript (PDF)'], ext: 'pdf'},
];

const L = {
  missing: ['此服务器暂不提供这种格式的下载。', 'This server does not offer this download yet.'],
  saved: ['已下载 {name}。', 'Downloaded {name}.'],
  qr: ['此链接的二维码（打开链接的设备需已登录）', 'A QR code of this link (the device that opens it must be signed in)'],
};

export const recordCredentialUrl = (id, format) => `/v1/records/${api.enc(id)}/credential?format=${format}`;
export const transcriptUrl = (learner, format) => `/v1/learners/${api.enc(learner)}/transcript?format=${format}`;

// Fetches `url` and saves it as `name`; writes the outcome into `status`.
export async function download(url, name, status) {
  clear(status);
  let r;
  try {
    r = await api.get(url, {binary: true});
  } catch (e) {
    return status.append(notice(t(S.networkError), 'error'));
  }
  if (r.status === 404 || r.status === 405 || r.status === 501) return status.append(notice(t(L.missing), 'warning'));
  if (!r.ok) return status.append(notice(t(S.requestFailed, {detail: api.detail(r)}), 'error'));
  saveFile(name, r.data, r.headers.get('Content-Type') || 'application/octet-stream');
  status.append(notice(t(L.saved, {name}), 'success'));
}

// A download button with its status line, and optionally the link's QR code.
export function downloadButton(label, url, name, opts = {}) {
  const status = h('div', {'aria-live': 'polite'});
  const wrap = h('div', {class: 'credential-download'},
    button(label, {secondary: true, testid: opts.testid, onclick: () => download(url, name, status)}), status);
  if (opts.qr) {
    const absolute = new URL(url, location.origin).href;
    wrap.append(h('details', {class: 'details'}, h('summary', null, t(L.qr)),
      qrSvg(absolute, t(L.qr)), h('p', null, h('code', null, absolute))));
  }
  return wrap;
}
