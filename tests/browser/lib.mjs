// Shared by the browser tests: the server under test (started by run.sh), calls to its API,
// browser contexts that record every request and every CSP complaint, axe-core checks, and
// screenshots.
import {readFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import assert from 'node:assert/strict';
import {chromium} from 'playwright-core';
import {AxeBuilder} from '@axe-core/playwright';

export const BASE = process.env.CB_BASE;            // http://127.0.0.1:PORT
export const DATA = process.env.CB_DATA;            // the server's data dir
export const DEMO = process.env.CB_DEMO;            // creditbank demo --out
export const SHOTS = process.env.CB_SCREENSHOTS || '';  // where to write screenshots ('' = not)
if (!BASE || !DATA || !DEMO) throw new Error('run the browser tests through tests/browser/run.sh');

export const ADMIN = readFileSync(join(DATA, 'admin.token'), 'utf8').trim();
export const TOKENS = JSON.parse(readFileSync(join(DEMO, 'tokens.json'), 'utf8'));
export const PHONE = {width: 360, height: 740};
export const DESKTOP = {width: 1280, height: 800};

// One API call with a bearer token: {status, body (parsed JSON or text), headers}.
export async function api(method, path, token, body, headers = {}) {
  const h = {...headers};
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined && typeof body !== 'string') h['Content-Type'] = 'application/json';
  const r = await fetch(BASE + path, {method, headers: h, body: body === undefined ? undefined
    : typeof body === 'string' ? body : JSON.stringify(body)});
  const text = await r.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch (e) { /* text */ }
  return {status: r.status, body: parsed, headers: r.headers};
}

export async function signInCode(learner) {
  const r = await api('POST', '/v1/sign-in-codes', ADMIN, {learner});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// Every request any page makes, and every console complaint about the CSP.
export const requests = [];
export const cspViolations = [];
export const pageErrors = [];

let browser = null;
export async function launch() {
  browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true});
  return browser;
}

export async function newPage(viewport, opts = {}) {
  const context = await browser.newContext({viewport, locale: opts.locale || 'zh-CN', acceptDownloads: true});
  context.on('request', (req) => requests.push(req.url()));
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  return {context, page};
}

// axe-core (WCAG 2.0/2.1 A and AA): no serious or critical violation on the page as it is.
export async function checkA11y(page, what) {
  const result = await new AxeBuilder({page}).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`), [],
    `axe-core on ${what}`);
  return result.violations.length;
}

export async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, {recursive: true});
  await page.screenshot({path: join(SHOTS, `${name}.png`), fullPage: false});
}

// Waits for the verification badge to leave "pending" and returns its state.
export async function verifyState(page) {
  const settled = page.locator('[data-testid="verify-status"]:not([data-state="pending"])');
  await settled.first().waitFor({timeout: 15000});
  return settled.first().getAttribute('data-state');
}

export async function close() {
  if (browser) await browser.close();
}
