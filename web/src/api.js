// Calls to the bank's API on the same origin. The session is an HttpOnly cookie the browser
// sends by itself; scripts never see it. The CSRF token that every state-changing request
// must carry lives only in this module's memory (GET /v1/sessions/current gives it again
// after a reload).

import {reason} from './reasons.js';

let csrfToken = null;
let onSessionEnded = () => {};

export function setCsrf(token) { csrfToken = token || null; }
export function whenSessionEnds(fn) { onSessionEnded = fn; }

// The answer of one call: {status, ok, data, problem, headers}. `data` is parsed JSON when the
// answer is JSON, else text; `problem` is the RFC 9457 body of an error. Rejects only when the
// server cannot be reached.
export async function call(method, path, opts = {}) {
  const headers = {Accept: opts.accept || 'application/json, application/problem+json;q=0.9, */*;q=0.8'};
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = opts.type || 'text/plain; charset=utf-8';
    body = opts.body;
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, {method, headers, body, credentials: 'same-origin', cache: 'no-store',
    redirect: 'error'});
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (opts.binary && res.ok) data = await res.arrayBuffer();
  else if (type.includes('json')) data = await res.json().catch(() => null);
  else data = await res.text();
  const out = {status: res.status, ok: res.ok, data, headers: res.headers,
    problem: !res.ok && data && typeof data === 'object' ? data : null};
  if (res.status === 401 && csrfToken && !opts.signingIn) {
    csrfToken = null;
    onSessionEnded();
  }
  return out;
}

export const get = (path, opts) => call('GET', path, opts);
export const post = (path, json, opts = {}) => call('POST', path, {...opts, json});
export const put = (path, json, opts = {}) => call('PUT', path, {...opts, json});
export const patch = (path, json, opts = {}) => call('PATCH', path, {...opts, json});
export const del = (path, opts) => call('DELETE', path, opts);

// The problem's detail in the portal's language (reasons.js), or a generic line.
export function detail(r) {
  if (r.problem && r.problem.detail) return reason(r.problem.detail);
  return `HTTP ${r.status}`;
}

export const enc = encodeURIComponent;
