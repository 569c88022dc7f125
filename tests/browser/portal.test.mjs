// The portal in a real browser (Debian's Chromium through playwright-core) against a real
// `creditbank serve` with the demo loaded (run.sh starts both). What a learner, a registrar
// and an auditor do, on a phone and on a desktop, in Chinese and English; axe-core on every
// page; every request recorded (none may leave the origin); no CSP complaint; the learner
// home's page weight within its budget.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {api, ADMIN, BASE, checkA11y, close, cspViolations, DESKTOP, launch, newPage, pageErrors, PHONE,
  requests, shot, signInCode, TOKENS, verifyState} from './lib.mjs';
import {xlsx} from './xlsx.mjs';

const learner = TOKENS.learners[0];
const LEARNER_PAGES = ['passbook', 'records', 'programs', 'conversions', 'credentials', 'sharing', 'device', 'my-sessions',
  'account'];
const CJK = /[\u3400-\u9fff]/;

before(launch);
after(async () => {
  await close();
  // Nothing outside the origin was ever asked for (data: and blob: are the page's own; the
  // other site's page is the one a test opened to follow a link from).
  const otherSite = `${BASE.replace('127.0.0.1', 'localhost')}/healthz`;
  const foreign = requests.filter((u) => !u.startsWith(`${BASE}/`) && !/^(data|blob):/.test(u) && u !== otherSite);
  assert.deepEqual(foreign, [], 'requests to another origin');
  assert.deepEqual(cspViolations, [], 'Content-Security-Policy violations');
  assert.deepEqual(pageErrors, [], 'uncaught errors in pages');
  assert.ok(requests.length > 50, `only ${requests.length} requests were recorded`);
});

// Opens a page of the portal and waits until it has rendered (main.js marks #main).
async function openPage(page, name) {
  await page.goto(`${BASE}/portal/#/${name}`);
  await page.locator(`#main[data-ready="${name.split(/[/?]/)[0]}"]`).waitFor();
}

// Runs `action` (which changes the page) and waits for the next render.
async function rerender(page, action) {
  const before = Number(await page.locator('#main').getAttribute('data-renders')) || 0;
  await action();
  await page.waitForFunction((n) => Number(document.getElementById('main').dataset.renders) > n &&
    document.getElementById('main').hasAttribute('data-ready'), before);
}

test('a learner signs in with a code on a phone and reads the passbook', async () => {
  const {context, page} = await newPage(PHONE);
  const code = await signInCode(learner.id);
  const response = await page.goto(code.url.replace(/^https?:\/\/[^/]+/, BASE));
  // The portal's answer carries its security headers.
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /^default-src 'self';.*frame-ancestors 'none'/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  const total = page.getByTestId('total-credits');
  await total.waitFor();
  const pb = await api('GET', `/v1/learners/${learner.id}/passbook`, learner.token);
  assert.equal(Number(await total.getAttribute('data-value')), pb.body.total_credits);
  assert.equal(await total.textContent(), String(pb.body.total_credits));
  assert.ok(!page.url().includes(code.code), 'the code is not left in the address bar');
  // What expires soon is named by its unit's title, not by a record id.
  assert.ok(pb.body.expiring.length > 0, 'the demo learner has a certificate that expires within a year');
  const unitDoc = await api('GET', `/v1/units/${encodeURIComponent(pb.body.expiring[0].unit)}`, '');
  assert.equal(await page.getByTestId('expiring-record').first().textContent(), unitDoc.body.title);
  // The session is an HttpOnly cookie: scripts cannot see it, and nothing is stored for them.
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'cb_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));
  assert.equal(await page.evaluate(() => document.cookie), '');
  // Only the language and whether this browser is signed in ("1", no secret).
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k !== 'cb_lang')), ['cb_signed_in']);
  assert.equal(await page.evaluate(() => localStorage.getItem('cb_signed_in')), '1');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  // The code was used up.
  assert.equal((await api('POST', '/v1/sessions', '', {code: code.code})).status, 401);
  await checkA11y(page, 'passbook (phone)');
  await context.close();
});

test('records, a verified record, a tampered proof, programs and credentials', async () => {
  const {context, page} = await newPage(PHONE);
  await page.goto((await signInCode(learner.id)).url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();

  await openPage(page, 'records');
  const rows = page.getByTestId('record-row');
  const list = await api('GET', `/v1/learners/${learner.id}/records?limit=1000`, learner.token);
  assert.equal(await rows.count(), Math.min(20, list.body.records.length));
  await checkA11y(page, 'records');
  // A filter narrows the list to that kind.
  const kind = list.body.records[0].kind;
  await page.selectOption('#filter-kind', kind);
  await rerender(page, () => page.getByRole('button', {name: '应用筛选'}).click());
  const want = list.body.records.filter((r) => r.kind === kind).length;
  assert.equal(await rows.count(), Math.min(20, want));
  // A page past the last (an edited address, an old bookmark) says there is no such page and
  // links to the last one, instead of showing the last one's records under its number; the
  // last page shows the total.
  const all = list.body.records.length;
  const pages = Math.max(1, Math.ceil(all / 20));
  await rerender(page, () => page.goto(`${BASE}/portal/#/records?page=${pages + 3}`));
  const none = page.getByTestId('no-such-page');
  assert.equal(await none.count(), 1, 'a "no such page" notice');
  assert.equal(await rows.count(), 0, 'no rows under a page number past the last');
  assert.equal(await none.getAttribute('data-last-page'), String(pages));
  assert.equal(await none.getAttribute('data-total'), String(all));
  assert.match(await none.textContent(), new RegExp(`没有第 ${pages + 3} 页：符合条件的记录共 ${all} 条`));
  await rerender(page, () => none.getByRole('link').click());
  assert.match(page.url(), new RegExp(`page=${pages}$`));
  assert.equal(await rows.count(), all - (pages - 1) * 20);
  assert.match(await page.locator('caption').textContent(), new RegExp(`共 ${all} 条`));

  // A record verifies in the browser.
  const id = list.body.records[0].id;
  await openPage(page, `record/${id}`);
  assert.equal(await verifyState(page), 'verified');
  assert.equal(await page.locator('[data-check="inclusion"]').getAttribute('data-ok'), 'true');
  await checkA11y(page, 'record (verified)');

  // The same record with one proof hash changed on its way to the browser fails.
  await page.route(`**/v1/records/${id}`, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const p = body.receipt.inclusion_proof;
    p[0] = (p[0][0] === '0' ? '1' : '0') + p[0].slice(1);
    await route.fulfill({response: res, json: body});
  });
  await page.goto(`${BASE}/portal/#/passbook`);
  await page.getByTestId('total-credits').waitFor();
  await openPage(page, `record/${id}`);
  assert.equal(await verifyState(page), 'failed');
  assert.equal(await page.locator('[data-check="inclusion"]').getAttribute('data-ok'), 'false');
  assert.equal(await page.locator('[data-check="signature"]').getAttribute('data-ok'), 'true');
  await page.unroute(`**/v1/records/${id}`);

  // Programs: one progress bar per program, at what what-if grants.
  await openPage(page, 'programs');
  const whatIf = await api('GET', `/v1/learners/${learner.id}/what-if?programs=all&limit=100`, learner.token);
  const bars = page.getByTestId('program-progress');
  assert.equal(await bars.count(), whatIf.body.results.length);
  assert.equal(Number(await bars.first().getAttribute('aria-valuenow')), whatIf.body.results[0].granted);
  await checkA11y(page, 'programs');
  await page.getByRole('link', {name: /查看明细/}).first().click();
  await page.locator('#main[data-ready="program"]').waitFor();
  await page.getByRole('heading', {name: '各项要求'}).waitFor();
  await checkA11y(page, 'program detail');

  // Credentials: a record's Data Integrity credential and the PDF transcript really download,
  // and what lands on disk is what it says it is.
  await openPage(page, 'credentials');
  const downloads = [
    ['credential-di', (bytes) => {
      const vc = JSON.parse(bytes.toString('utf8'));
      assert.equal(vc.proof?.cryptosuite, 'eddsa-jcs-2022', 'a Data Integrity proof');
      assert.equal(vc.credentialStatus?.statusPurpose, 'revocation', 'a status list entry');
    }],
    ['transcript-pdf', (bytes) => assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-')],
  ];
  for (const [testid, check] of downloads) {
    const [download] = await Promise.all([page.waitForEvent('download', {timeout: 20000}),
      page.getByTestId(testid).click()]);
    check(readFileSync(await download.path()));
  }
  assert.equal(await page.locator('.notice-success').count(), 2, 'both downloads reported saved');
  await checkA11y(page, 'credentials');

  for (const name of ['sharing', 'device']) {
    await openPage(page, name);
    await checkA11y(page, name);
    if (name !== 'sharing') continue;
    // A day that is not on the calendar is refused at the date field, before anything is sent.
    await page.fill('#grant-until', '2030-02-30');
    await page.getByRole('button', {name: '授权', exact: true}).click();
    await page.locator('#grant-until[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#main').textContent(), /请按 YYYY-MM-DD 填写将来的日期/);
  }
  // Sign-in code for another device, with a QR code of its link.
  await page.getByRole('button', {name: '获取登录码'}).click();
  await page.getByTestId('sign-in-code').waitFor();
  const qrText = await page.locator('svg.qr').getAttribute('data-qr-text');
  assert.match(qrText, /\/portal\/#\/sign-in\?code=[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

  // Sign out: back to the sign-in page, and the old cookie no longer works.
  const cookie = (await context.cookies()).find((c) => c.name === 'cb_session').value;
  await page.getByTestId('sign-out').click();
  await page.getByRole('heading', {name: '登录'}).waitFor();
  assert.equal((await api('GET', `/v1/learners/${learner.id}/passbook`, '', undefined,
    {Cookie: `cb_session=${cookie}`})).status, 401);
  await checkA11y(page, 'sign-in');
  await context.close();
});

test('a learner with failing grades sees them kept but not counted', async () => {
  // The demo's 何雪 has four records below their scales' pass marks (不及格 twice, 55, fail).
  const failing = TOKENS.learners.find((l) => l.name === '何雪');
  assert.ok(failing, 'the demo learner with failing grades');
  const {context, page} = await newPage(PHONE);
  await page.goto((await signInCode(failing.id)).url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();
  const pb = await api('GET', `/v1/learners/${failing.id}/passbook`, failing.token);
  assert.equal(pb.body.failed_count, 4, JSON.stringify(pb.body));
  assert.match(await page.getByTestId('failed-count').textContent(), /未及格（不计学分）：4/);
  const list = await api('GET', `/v1/learners/${failing.id}/records?limit=1000`, failing.token);
  const failed = list.body.records.find((r) => r.passing === false);
  assert.ok(failed, 'a record with passing: false');
  await openPage(page, `record/${failed.id}`);
  assert.match(await page.getByTestId('failing').textContent(), /未及格：不计学分/);
  // The list marks them too (all of this learner's records fit on its first page).
  assert.ok(list.body.records.length <= 20, `${list.body.records.length} records`);
  await openPage(page, 'records');
  assert.equal(await page.getByTestId('failing').count(),
    list.body.records.filter((r) => r.passing === false && r.status === 'active').length);
  const passed = list.body.records.find((r) => r.passing === true);
  await openPage(page, `record/${passed.id}`);
  assert.equal(await page.getByTestId('failing').count(), 0);
  await checkA11y(page, 'record (passing)');
  await context.close();
});

// Applies a conversion of `who` into `program` as the program's institution (the demo's
// learners share their records with the institutions of the programs they look at).
async function applyConversion(who, program) {
  const inst = program.split(':')[0];
  const r = await api('POST', '/v1/conversions', TOKENS.institutions[inst].token, {learner: who.id, program});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('a learner lists the conversions programs applied, shows more, and verifies one', async () => {
  // The demo applies none: 刘洋 (two programs, records shared with both institutions) gets 21,
  // one more than a page, alternating between the programs.
  const who = TOKENS.learners.find((l) => l.name === '刘洋');
  assert.deepEqual(who.programs, ['ouchn:BSC-CS', 'xuetangx:MICRO-AI']);
  const listed = (token) => api('GET', `/v1/learners/${who.id}/conversions?limit=1000`, token);
  assert.deepEqual((await listed(who.token)).body.conversions, [], 'the demo applies no conversion');
  for (let i = 0; i < 21; i++) await applyConversion(who, who.programs[i % 2]);
  const all = (await listed(who.token)).body.conversions;
  assert.equal(all.length, 21);
  const titles = new Map();
  for (const p of who.programs) titles.set(p, (await api('GET', `/v1/programs/${encodeURIComponent(p)}`, '')).body.title);

  const {context, page} = await newPage(PHONE);
  await page.goto((await signInCode(who.id)).url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();
  // The learner's navigation leads to the list.
  await rerender(page, () => page.locator('#nav').getByRole('link', {name: '学分认定'}).click());
  assert.equal(await page.locator('#main').getAttribute('data-ready'), 'conversions');
  const rows = page.getByTestId('conversion-row');
  // The first page: the oldest 20, in log order, each with what it granted and where it is logged.
  assert.equal(await rows.count(), 20);
  const shown = () => rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.conversion, Number(tr.dataset.granted),
    Number(tr.dataset.leaf)]));
  assert.deepEqual(await shown(), all.slice(0, 20).map((c) => [c.id, c.result.granted, c.leaf_index]));
  const first = (await rows.first().locator('td').allTextContents()).map((x) => x.trim());
  assert.deepEqual(first, [titles.get(all[0].program), `第 ${all[0].result.ruleset_version} 版`,
    `${all[0].result.granted} / ${all[0].result.total_credits} 学分`, first[3], String(all[0].leaf_index)]);
  assert.match(first[3], /^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/);
  assert.equal(await page.locator('caption').textContent(), '已显示 20 项认定，后面还有');
  await checkA11y(page, 'conversions');
  // "Show more" by keyboard: the 21st is added below, focus lands on it, and the button goes.
  await page.getByTestId('conversions-more').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="conversion-row"]').length === 21);
  assert.deepEqual(await shown(), all.map((c) => [c.id, c.result.granted, c.leaf_index]));
  assert.equal(await page.evaluate(() => document.activeElement.closest('tr').dataset.conversion), all[20].id);
  assert.equal(await page.getByTestId('conversions-more').isVisible(), false);
  assert.equal(await page.locator('caption').textContent(), '共 21 项认定');

  // The latest one, opened from the list: what the log holds, verified in the browser.
  const latest = all[20];
  await rerender(page, () => page.keyboard.press('Enter'));
  assert.equal(await page.locator('#main').getAttribute('data-ready'), 'conversion');
  assert.match(page.url(), new RegExp(`#/conversion/${latest.id}$`));
  assert.equal(await verifyState(page), 'verified');
  assert.equal(await page.locator('[data-check="signature"]').getAttribute('data-ok'), 'true');
  assert.equal(await page.locator('[data-check="inclusion"]').getAttribute('data-ok'), 'true');
  const bundle = (await api('GET', `/v1/conversions/${latest.id}`, who.token)).body;
  const result = bundle.conversion.result;
  assert.equal(await page.getByRole('heading', {level: 1}).textContent(), bundle.conversion.program_snapshot.title);
  assert.equal(Number(await page.getByTestId('conversion-granted').getAttribute('data-value')), result.granted);
  assert.equal(await page.getByTestId('conversion-granted').textContent(),
    `${result.granted} 学分（共需 ${result.total_credits} 学分，还差 ${result.remaining} 学分）`);
  assert.equal(await page.getByTestId('conversion-leaf').textContent(), String(latest.leaf_index));
  // Every requirement with what it received, and every application with its rule, credits and
  // records, as the entry holds them.
  const reqs = await page.getByTestId('requirement-row').evaluateAll((trs) => trs.map((tr) => ({
    id: tr.dataset.requirement, granted: Number(tr.dataset.granted),
    applications: [...tr.querySelectorAll('[data-testid="application"]')].map((li) => ({
      rule: li.dataset.rule, credits: Number(li.dataset.credits), records: li.dataset.records.split(' '),
      links: [...li.querySelectorAll('a')].map((a) => a.getAttribute('href'))}))})));
  assert.deepEqual(reqs, result.requirements.map((r) => ({id: r.id, granted: r.granted,
    applications: r.applications.map((a) => ({rule: a.rule, credits: a.credits, records: a.records,
      links: a.records.map((id) => `#/record/${id}`)}))})));
  assert.ok(reqs.some((r) => r.applications.length > 0), 'the decision granted something');
  await checkA11y(page, 'conversion (verified)');

  // The same decision with one granted credit more on its way to the browser: its bytes no
  // longer hash to the logged leaf, and the badge says so.
  await page.route(`**/v1/conversions/${latest.id}`, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.conversion.result.granted += 1;
    await route.fulfill({response: res, json: body});
  });
  await page.reload();
  await page.locator('#main[data-ready="conversion"]').waitFor();
  assert.equal(await verifyState(page), 'failed');
  assert.equal(await page.locator('[data-check="signature"]').getAttribute('data-ok'), 'true');
  assert.equal(await page.locator('[data-check="inclusion"]').getAttribute('data-ok'), 'false');
  await page.unroute(`**/v1/conversions/${latest.id}`);

  // In English: labels, headings and buttons speak it (the program's title is the catalog's).
  await page.getByRole('button', {name: 'English'}).click();
  await page.getByRole('heading', {name: 'What each requirement received'}).waitFor();
  assert.equal(await verifyState(page), 'verified');
  const chrome = await page.locator('h2, dt, thead th, button, nav a, [data-check]').allTextContents();
  assert.deepEqual(chrome.filter((x) => CJK.test(x) && !x.includes('中文')), []);
  await checkA11y(page, 'conversion (en)');
  await page.getByRole('button', {name: '中文'}).click();
  await page.getByRole('heading', {name: '各项要求认定的学分'}).waitFor();

  // Programs: each program with a decision links to its latest one.
  await openPage(page, 'programs');
  for (const p of who.programs) {
    const last = all.filter((c) => c.program === p).at(-1);
    const link = page.locator(`[data-program="${p}"] [data-testid="program-decision"]`);
    assert.equal(await link.getAttribute('href'), `#/conversion/${last.id}`);
    assert.match(await link.textContent(), new RegExp(`认定 ${last.result.granted} 学分`));
  }
  await checkA11y(page, 'programs (with decisions)');
  await context.close();
});

test('a learner without conversions sees none, and not another learner\'s', async () => {
  const who = TOKENS.learners.find((l) => l.name === '陈静');
  assert.deepEqual((await api('GET', `/v1/learners/${who.id}/conversions`, who.token)).body.conversions, []);
  const other = TOKENS.learners.find((l) => l.name === '刘洋');
  const theirs = (await api('GET', `/v1/learners/${other.id}/conversions?limit=1`, other.token)).body.conversions;
  const foreign = theirs.length ? theirs[0] : await applyConversion(other, other.programs[0]);
  const {context, page} = await newPage(PHONE);
  await page.goto((await signInCode(who.id)).url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();
  await openPage(page, 'conversions');
  assert.equal(await page.getByTestId('conversions-none').textContent(), '还没有院校为您认定学分。');
  assert.equal(await page.getByTestId('conversion-row').count(), 0);
  assert.equal(await page.getByTestId('conversions-more').count(), 0);
  await checkA11y(page, 'conversions (none)');
  // Programs: no card links to a decision.
  await openPage(page, 'programs');
  assert.equal(await page.getByTestId('program-decision').count(), 0);
  // Another learner's decision is not this learner's to see (the API answers 404).
  await openPage(page, `conversion/${foreign.id}`);
  assert.match(await page.locator('.notice-error').textContent(), /找不到此认定，或您无权查看。/);
  assert.equal(await page.getByTestId('verify-status').count(), 0);
  await context.close();
});

test('a signed-out visit asks for no session and logs no error', async () => {
  const {context, page} = await newPage(PHONE);
  const errors = [];
  const asked = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.url()}: ${r.status()}`); });
  page.on('request', (r) => asked.push(new URL(r.url()).pathname));
  // The entry page, then again (answered 304 by its ETag), then a public page by its address.
  for (const [load, ready] of [[() => page.goto(`${BASE}/portal/`), 'sign-in'], [() => page.reload(), 'sign-in'],
    [() => page.goto(`${BASE}/portal/#/checkpoint`), 'checkpoint'], [() => page.reload(), 'checkpoint']]) {
    await load();
    await page.locator(`#main[data-ready="${ready}"]`).waitFor();
    await page.waitForLoadState('networkidle');
  }
  assert.equal(await page.locator('#main').getAttribute('data-ready'), 'checkpoint');
  assert.ok(!asked.includes('/v1/sessions/current'), asked.join(' '));
  assert.deepEqual(errors, []);
  await context.close();
});

// The session cookie is SameSite=Strict: a link on another site opens the portal without it,
// so the server answers the page signed out; the page's own request for the session carries
// the cookie, and the learner is still signed in. (localhost and 127.0.0.1 are two sites.)
test('a signed-in learner who follows a link from another site is still signed in', async () => {
  const {context, page} = await newPage(PHONE);
  await page.goto((await signInCode(learner.id)).url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();
  const other = BASE.replace('127.0.0.1', 'localhost');
  await page.goto(`${other}/healthz`);
  let entry = null;
  page.on('request', (r) => { if (r.isNavigationRequest() && r.url().startsWith(`${BASE}/portal/`)) entry = r; });
  await page.evaluate((url) => {
    const a = document.createElement('a');
    a.href = url;
    document.body.append(a);
    a.click();
  }, `${BASE}/portal/`);
  await page.waitForURL(`${BASE}/portal/**`);
  assert.ok(entry, 'the portal was opened by the link');
  assert.equal((await entry.allHeaders()).cookie, undefined, 'the cross-site link carries no cookie');
  await page.getByTestId('total-credits').waitFor();
  // Signed out for real, the hint goes: the next visit asks for nothing.
  await page.getByTestId('sign-out').click();
  await page.locator('#main[data-ready="sign-in"]').waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('cb_signed_in')), null);
  await context.close();
});

test('by keyboard alone, in English, on a desktop', async () => {
  const {context, page} = await newPage(DESKTOP);
  await page.goto(`${BASE}/portal/`);
  await page.getByRole('heading', {name: '登录'}).waitFor();
  // Switch the language with the keyboard: Tab to the button and press Enter.
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.textContent === 'English')) break;
  }
  await page.keyboard.press('Enter');
  await page.getByRole('heading', {name: 'Sign in'}).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  // Focus stays on the language switch (drawn anew, in the other language), not on <body>.
  const focused = () => page.evaluate(() => `${document.activeElement.tagName} ${document.activeElement.textContent}`);
  assert.equal(await focused(), 'BUTTON 中文');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', {name: '登录'}).waitFor();
  assert.equal(await focused(), 'BUTTON English');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', {name: 'Sign in'}).waitFor();
  assert.equal(await focused(), 'BUTTON 中文');
  const code = await signInCode(learner.id);
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.id === 'sign-in-code')) break;
  }
  await page.keyboard.type(code.code);
  await page.keyboard.press('Enter');
  await page.locator('#main[data-ready="passbook"]').waitFor();
  await checkA11y(page, 'passbook (desktop, en)');
  for (const name of LEARNER_PAGES) {
    await openPage(page, name);
    // The interface speaks English: headings, labels, buttons and navigation.
    const chrome = await page.locator('h1, label, button, nav a, thead th, legend, summary').allTextContents();
    const chinese = chrome.filter((s) => CJK.test(s) && !s.includes('中文'));
    assert.deepEqual(chinese, [], `Chinese left on the English ${name} page`);
    // Days and times are written out (i18n.js date()), not left as 2026-12-07T14:31:05.123Z.
    const shown = await page.locator('#main').evaluate((m) => [m.innerText,
      ...[...m.querySelectorAll('option')].map((o) => o.textContent)].join('\n'));
    assert.doesNotMatch(shown, /\b\d{4}-\d{2}-\d{2}\b/, `a raw date on the English ${name} page`);
    await checkA11y(page, `${name} (desktop, en)`);
  }
  const id = (await api('GET', `/v1/learners/${learner.id}/records?limit=1`, learner.token)).body.records[0].id;
  await openPage(page, `record/${id}`);
  assert.equal(await verifyState(page), 'verified');
  // On a fresh load, the skip link is the first stop and lands on the main content.
  await page.reload();
  await page.locator('#main[data-ready="record"]').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'skip-link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await context.close();
});

test('a registrar uploads a CSV, sees the bad line, fixes it and commits', async () => {
  const {context, page} = await newPage(PHONE);
  await page.goto(`${BASE}/portal/#/sign-in`);
  await page.getByText('工作人员：使用接口令牌登录').click();
  await page.fill('#sign-in-token', TOKENS.institutions.szpt.token);
  await page.getByRole('button', {name: '使用令牌登录'}).click();
  await page.getByRole('heading', {name: '上传成绩'}).waitFor();
  await checkA11y(page, 'upload');
  const other = TOKENS.learners[1].id;
  const stamp = Date.now();
  const good = (ref, grade) => `${other},szpt:SE101,BT-${stamp}-${ref},percent,${grade},2024-06-30`;
  const lines = ['learner,unit,external_ref,grade_scale,grade_value,completed_on', good(1, 81),
    good(2, 'abc'), good(3, 90)];
  const before = (await api('GET', `/v1/learners/${other}/records?limit=1000`, TOKENS.learners[1].token)).body.records.length;
  await page.setInputFiles('#upload-file', {name: 'grades.csv', mimeType: 'text/csv', buffer: Buffer.from(`${lines.join('\n')}\n`)});
  await page.getByTestId('upload-check').click();
  const report = page.getByTestId('upload-report');
  await page.locator('[data-testid="upload-report"][data-state]').waitFor();
  assert.equal(await report.getAttribute('data-state'), 'errors');
  const bad = report.locator('tr[data-line]');
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.getAttribute('data-line'), '3');
  assert.equal(await bad.getAttribute('data-column'), 'grade_value');
  assert.match(await bad.textContent(), /E/);  // the spreadsheet column letter
  // The server's reason, in the portal's Chinese (web/src/reasons.js), quoting the cell.
  assert.match(await bad.textContent(), /“abc”不是成绩制 percent 的成绩；允许：0 到 100 之间/);
  await checkA11y(page, 'upload report');
  // Nothing was stored.
  assert.equal((await api('GET', `/v1/learners/${other}/records?limit=1000`, TOKENS.learners[1].token)).body.records.length, before);
  // Fix the line, check again, commit: the file as Excel saves a sheet with a title above the
  // header and column A left empty (every row as wide as the used range).
  lines[2] = good(2, 77);
  const saved = ['2024 年秋季学期成绩,,,,,,', ',,,,,,', ...lines.map((l) => `,${l}`)];
  await page.setInputFiles('#upload-file', {name: 'grades.csv', mimeType: 'text/csv', buffer: Buffer.from(`${saved.join('\n')}\n`)});
  await page.getByTestId('upload-check').click();
  await page.locator('[data-testid="upload-report"][data-state="valid"]').waitFor();
  await page.getByTestId('upload-commit').click();
  await page.getByTestId('upload-done').waitFor();
  assert.equal(await page.getByTestId('upload-progress').getAttribute('aria-valuenow'), '3');
  assert.equal((await api('GET', `/v1/learners/${other}/records?limit=1000`, TOKENS.learners[1].token)).body.records.length, before + 3);
  await checkA11y(page, 'upload committed');

  // An external_ref repeated in another batch of 500 (the server sees one batch at a time) is
  // named before anything is stored, not found when the second batch fails after the first
  // was stored.
  const many = ['learner,unit,external_ref,grade_scale,grade_value,completed_on'];
  for (let i = 1; i <= 500; i++) many.push(good(`R${i}`, 70));
  many.push(good('R1', 71));  // line 502, the second batch
  const count = (await api('GET', `/v1/learners/${other}/records?limit=1000`, TOKENS.learners[1].token)).body.records.length;
  await page.setInputFiles('#upload-file', {name: 'repeat.csv', mimeType: 'text/csv', buffer: Buffer.from(`${many.join('\n')}\n`)});
  await page.getByTestId('upload-check').click();
  await page.locator('[data-testid="upload-report"][data-state="errors"]').waitFor();
  const repeat = report.locator('tr[data-line]');
  assert.equal(await repeat.count(), 1);
  assert.equal(await repeat.getAttribute('data-line'), '502');
  assert.equal(await repeat.getAttribute('data-column'), 'external_ref');
  assert.match(await repeat.textContent(), /也出现在第 2 行/);
  assert.equal(await page.getByTestId('upload-commit').count(), 0);
  assert.equal((await api('GET', `/v1/learners/${other}/records?limit=1000`, TOKENS.learners[1].token)).body.records.length, count);

  // The same from an Excel workbook (read by the server's XLSX reader, POST /v1/records/table):
  // numbers and a date serial as Excel shows them; a bad grade named by the sheet's row number
  // and column letter; nothing stored until it is fixed.
  const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const header = ['learner', 'unit', 'external_ref', 'grade_scale', 'grade_value', 'completed_on'];
  const row = (ref, grade) => [other, 'szpt:SE101', `BX-${stamp}-${ref}`, 'percent', grade, {date: 45473}];
  const rows = [header, row(1, {n: 88}), row(2, 'x'), row(3, {n: 92})];
  await openPage(page, 'upload');
  await page.setInputFiles('#upload-file', {name: '成绩.xlsx', mimeType: XLSX, buffer: xlsx('成绩', rows)});
  await page.getByTestId('upload-check').click();
  await page.locator('[data-testid="upload-report"][data-state]').waitFor();
  assert.equal(await report.getAttribute('data-state'), 'errors');
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.getAttribute('data-line'), '3');
  assert.equal(await bad.getAttribute('data-column'), 'grade_value');
  assert.match(await bad.textContent(), /E/);
  assert.equal((await api('GET', `/v1/learners/${other}/records?limit=1000`, TOKENS.learners[1].token)).body.records.length, before + 3);
  // A sheet that is not there is named.
  await page.fill('#upload-sheet', 'marks');
  await page.getByTestId('upload-check').click();
  await page.locator('[data-testid="upload-report"][data-state="errors"]').waitFor();
  assert.match(await report.textContent(), /工作簿中没有名为“marks”的工作表/);
  await page.fill('#upload-sheet', '');
  // An Excel 97-2003 workbook (saved by LibreOffice, tests/formats/data) is not read as text:
  // the report says to save it as .xlsx.
  await page.setInputFiles('#upload-file', {name: '成绩.xls', mimeType: 'application/vnd.ms-excel',
    buffer: readFileSync(new URL('../formats/data/cn_registrar_libreoffice.xls', import.meta.url))});
  await page.getByTestId('upload-check').click();
  await report.getByText(/旧版二进制 Excel 文件（\.xls）/).waitFor();
  assert.equal(await report.getAttribute('data-state'), 'errors');
  rows[2] = row(2, {n: 75});
  await page.setInputFiles('#upload-file', {name: '成绩.xlsx', mimeType: XLSX, buffer: xlsx('成绩', rows)});
  await page.getByTestId('upload-check').click();
  await page.locator('[data-testid="upload-report"][data-state="valid"]').waitFor();
  await page.getByTestId('upload-commit').click();
  await page.getByTestId('upload-done').waitFor();
  assert.equal(await page.getByTestId('upload-progress').getAttribute('aria-valuenow'), '3');
  const stored = (await api('GET', `/v1/learners/${other}/records?limit=1000`, TOKENS.learners[1].token)).body.records;
  assert.equal(stored.length, before + 6);
  const fromBook = stored.filter((r) => r.external_ref.startsWith(`BX-${stamp}-`));
  assert.equal(fromBook.length, 3);
  assert.deepEqual([...new Set(fromBook.map((r) => r.completed_on))], ['2024-06-30']);
  assert.deepEqual(fromBook.map((r) => r.grade.value).sort(), ['75', '88', '92']);
  await checkA11y(page, 'upload from a workbook');
  // Two registrars at once: one record revoked through the API while the page's form is open;
  // the form's revocation with another reason is refused, the reason shown in Chinese.
  await openPage(page, `record/${fromBook[0].id}`);
  await page.locator('#revoke-reason').waitFor();
  assert.equal((await api('POST', `/v1/records/${fromBook[0].id}/revoke`, TOKENS.institutions.szpt.token,
    {reason: '录入错误'})).status, 200);
  await page.fill('#revoke-reason', '重复登记');
  await page.getByRole('button', {name: '撤销记录'}).click();
  await page.getByText('该记录已被撤销（撤销原因与此不同）').first().waitFor();
  // The revoked record's page proves the revocation in the browser (its entry, under the same
  // checkpoint as the record), says when and why, and fails when the reason is altered on its way.
  const revokedId = fromBook[0].id;
  await openPage(page, 'upload');
  await openPage(page, `record/${revokedId}`);
  assert.equal(await verifyState(page), 'verified');
  assert.equal(await page.locator('[data-check="revocation"]').getAttribute('data-ok'), 'true');
  await page.getByText('录入错误').first().waitFor();
  await page.route(`**/v1/records/${revokedId}`, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.revocation.entry.reason = '重复登记';
    await route.fulfill({response: res, json: body});
  });
  await openPage(page, 'upload');
  await openPage(page, `record/${revokedId}`);
  assert.equal(await verifyState(page), 'failed');
  assert.equal(await page.locator('[data-check="revocation"]').getAttribute('data-ok'), 'false');
  assert.equal(await page.locator('[data-check="inclusion"]').getAttribute('data-ok'), 'true');
  await page.unroute(`**/v1/records/${revokedId}`);

  // A registrar's own export (Chinese columns, read through the cn-registrar mapping): the
  // learner is found by national ID, or gets an account once the file has no problem.
  const base = `44010619990101${String(stamp % 1000).padStart(3, '0')}`;  // born 1999-01-01
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...base].reduce((n, d, i) => n + Number(d) * weights[i], 0);
  const nid = base + '10X98765432'[sum % 11];
  const cnRows = (grade) => ['学号,姓名,身份证号,课程代码,课程名称,教育层次代码,教育类别代码,成绩,获得时间',
    `S${stamp},王五,${nid},SE101,Java程序设计,20,31,92,202406`,
    `S${stamp},王五,${nid},MA101,高等数学,20,31,${grade},202401`].join('\r\n') + '\r\n';
  await openPage(page, 'upload');
  await page.selectOption('#upload-layout', 'cn-registrar');
  await page.setInputFiles('#upload-file', {name: '成绩.csv', mimeType: 'text/csv', buffer: Buffer.from('\ufeff' + cnRows('良'))});
  await page.getByTestId('upload-check').click();
  await page.locator('[data-testid="upload-report"][data-state]').waitFor();
  assert.equal(await report.getAttribute('data-state'), 'errors');
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.getAttribute('data-line'), '3');
  assert.match(await bad.textContent(), /成绩（H 列）/);
  assert.match(await bad.textContent(), /“良”不是成绩：应为百分制分数/);
  assert.equal((await api('GET', `/v1/learners/lookup?national_id=${nid}`, TOKENS.institutions.szpt.token)).status, 404);
  // A month in the future is not the mapping's problem but the record's: still reported at its
  // column before any account is made.
  await page.setInputFiles('#upload-file', {name: '成绩.csv', mimeType: 'text/csv',
    buffer: Buffer.from('\ufeff' + cnRows('良好').replace(',202401', ',209901'))});
  await page.getByTestId('upload-check').click();
  await bad.filter({hasText: '获得时间'}).waitFor();  // the report of this check, not the last
  assert.equal(await report.getAttribute('data-state'), 'errors');
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.getAttribute('data-line'), '3');
  assert.match(await bad.textContent(), /获得时间（I 列）/);
  assert.equal((await api('GET', `/v1/learners/lookup?national_id=${nid}`, TOKENS.institutions.szpt.token)).status, 404);
  await page.setInputFiles('#upload-file', {name: '成绩.csv', mimeType: 'text/csv', buffer: Buffer.from('\ufeff' + cnRows('良好'))});
  await page.getByTestId('upload-check').click();
  await page.locator('[data-testid="upload-report"][data-state="valid"]').waitFor();
  assert.match(await page.getByTestId('upload-accounts').textContent(), /1/);
  await page.getByTestId('upload-commit').click();
  await page.getByTestId('upload-done').waitFor();
  const found = await api('GET', `/v1/learners/lookup?national_id=${nid}`, TOKENS.institutions.szpt.token);
  assert.equal(found.status, 200);
  const theirs = (await api('GET', `/v1/learners/${found.body.id}/records?limit=100`, TOKENS.auditor.token)).body.records;
  assert.deepEqual(theirs.map((r) => r.external_ref).sort(), [`S${stamp}-MA101-202401`, `S${stamp}-SE101-202406`]);
  assert.deepEqual(theirs.map((r) => r.unit).sort(), ['szpt:MA101', 'szpt:SE101']);
  await checkA11y(page, 'upload of a registrar export');

  // A ruleset with a wrong value: the error is shown with its line.
  await openPage(page, 'rulesets');
  await page.locator('#ruleset-json').fill('{\n  "rules": [\n    {"id": "r1", "target": "JAVA",\n     "grant": "four",\n     "sources": [{"unit": "szpt:SE101"}]}\n  ]\n}\n');
  await page.getByTestId('ruleset-publish').click();
  const err = page.locator('[data-testid="ruleset-errors"] tr[data-line]').first();
  await err.waitFor();
  assert.equal(await err.getAttribute('data-line'), '4');
  assert.match(await err.getAttribute('data-pointer'), /^\/rules\/0\/grant/);
  await checkA11y(page, 'rulesets with an error');
  for (const name of ['posted', 'evaluate', 'codes']) {
    await openPage(page, name);
    await checkA11y(page, name);
  }
  await context.close();
});

test('an auditor checks the checkpoint, a bundle and consistency without signing in', async () => {
  const {context, page} = await newPage(DESKTOP);
  await openPage(page, 'checkpoint');
  assert.equal(await verifyState(page), 'verified');
  await checkA11y(page, 'checkpoint');
  const saved = (await api('GET', '/v1/log/checkpoint')).body;

  const id = (await api('GET', `/v1/learners/${learner.id}/records?limit=1`, learner.token)).body.records[0].id;
  const bundle = (await api('GET', `/v1/records/${id}`, learner.token)).body;
  await openPage(page, 'verify');
  await page.fill('#verify-text', JSON.stringify(bundle));
  await page.getByRole('button', {name: '核验', exact: true}).click();
  assert.equal(await verifyState(page), 'verified');
  await checkA11y(page, 'verify (verified)');
  // A changed record no longer matches its proof.
  const forged = structuredClone(bundle);
  forged.record.credits += 10;
  await page.fill('#verify-text', JSON.stringify(forged));
  await page.getByRole('button', {name: '核验', exact: true}).click();
  await page.locator('[data-testid="verify-status"][data-state="failed"]').waitFor();
  // Valid JSON that is neither a bundle nor a credential: said plainly, with what was expected,
  // and no verification badge (nothing was checked, so nothing failed).
  for (const [pasted, said] of [['{"a":1}', /这是有效的 JSON，但既不是记录包，也不是凭证，因此没有进行核验。应为记录包/],
    ['[]', /这是有效的 JSON，但既不是记录包，也不是凭证/],
    [JSON.stringify({record: bundle.record}), /这像是记录包，但缺少“receipt”/]]) {
    await page.fill('#verify-text', pasted);
    await page.getByRole('button', {name: '核验', exact: true}).click();
    await page.locator('#verify-text[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('.error-summary').textContent(), said, pasted);
    assert.equal(await page.getByTestId('verify-status').count(), 0, `a badge for ${pasted}`);
  }

  // The log grows; the saved checkpoint is consistent with the new one.
  const inst = TOKENS.institutions.szpt.token;
  const r = await api('POST', '/v1/records', inst, {learner: learner.id, unit: 'szpt:SE102',
    external_ref: `AUDIT-${Date.now()}`, grade: {scale: 'percent', value: '88'}, completed_on: '2024-06-30'});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await openPage(page, 'consistency');
  await page.fill('#consistency-note', saved);
  await page.getByRole('button', {name: '检查', exact: true}).click();
  assert.equal(await verifyState(page), 'verified');
  await checkA11y(page, 'consistency');
  await context.close();
});

test('a regulator reads its region\'s statistics, by more keys, as CSV, and nothing else', async () => {
  // Learners in three counties of 3101, one record each (k = 10, the default): 310101 (12) and
  // 310104 (11) are large enough; 310105 (3) is left out, and 310104 with it (a county left out
  // alone would be 3101's total less the others).
  const szpt = TOKENS.institutions.szpt.token;
  const stamp = Date.now();
  const people = [['310101', 12], ['310104', 11], ['310105', 3]]
    .flatMap(([region, n]) => Array.from({length: n}, (_, i) => ({region, i})));
  await Promise.all(people.map(async ({region, i}) => {
    const l = await api('POST', '/v1/learners', ADMIN, {display_name: `统计${i}`, region});
    assert.equal(l.status, 201, JSON.stringify(l.body));
    const r = await api('POST', '/v1/records', szpt, {learner: l.body.id, unit: 'szpt:SE101',
      external_ref: `ST-${stamp}-${region}-${i}`, grade: {scale: 'percent', value: '80'}, completed_on: '2024-06-30'});
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }));
  const reg = await api('POST', '/v1/tokens', ADMIN, {role: 'regulator:31'});
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const asked = [];
  const {context, page} = await newPage(PHONE);
  context.on('request', (req) => asked.push(new URL(req.url()).pathname));
  await page.goto(`${BASE}/portal/#/sign-in`);
  await page.getByText('工作人员：使用接口令牌登录').click();
  await page.fill('#sign-in-token', reg.body.token);
  await page.getByRole('button', {name: '使用令牌登录'}).click();
  // The regulator's home: its region by county, as the API answers it.
  await page.locator('#main[data-ready="stats"]').waitFor();
  assert.match(await page.locator('.header-who').textContent(), /监管部门（地区 31）/);
  const byCounty = (await api('GET', '/v1/stats?group_by=region&region=31&region_level=county', reg.body.token)).body;
  assert.deepEqual(byCounty.cells.map((c) => [c.region, c.learners]), [['310101', 12]]);
  assert.equal(byCounty.suppressed, 2);
  const rows = page.getByTestId('stats-row');
  assert.equal(await rows.count(), 1);
  const cells = (await rows.first().locator('td').allTextContents()).map((x) => x.trim());
  const c = byCounty.cells[0];
  assert.deepEqual([cells[0], cells[1], cells[2], Number(cells[3].replace(/,/g, '')), cells[4]],
    ['310101', '12', String(c.records), c.credits, String(c.conversions)]);
  assert.equal(await page.getByTestId('stats-suppressed').getAttribute('data-n'), '2');
  assert.match(await page.getByTestId('stats-suppressed').textContent(), /另有 2 个格子未显示：少于 10 名学习者/);
  await checkA11y(page, 'statistics');
  await shot(page, 'stats-phone-zh');
  // By kind as well: the URL holds the question, the table the API's cells.
  await rerender(page, async () => {
    await page.getByLabel('成果类型').check();
    await page.getByRole('button', {name: '查看统计'}).click();
  });
  assert.match(page.url(), /group_by=region%2Ckind/);
  const byKind = (await api('GET', '/v1/stats?group_by=region,kind&region=31&region_level=county', reg.body.token)).body;
  assert.equal(await rows.count(), byKind.cells.length);
  assert.ok(byKind.cells.length >= 1);
  assert.match(await rows.first().textContent(), new RegExp(`^${byKind.cells[0].region}`));
  // A region code that cannot be one is named beside its field; nothing is asked.
  await page.fill('#stats-region', '3');
  await page.getByRole('button', {name: '查看统计'}).click();
  await page.getByText('地区代码应为 2、4 或 6 位数字。').first().waitFor();
  // The whole answer as CSV: the API's, with a byte order mark for Excel.
  const csv = await fetch(`${BASE}/v1/stats?group_by=region%2Ckind&region=31&region_level=county`,
    {headers: {Authorization: `Bearer ${reg.body.token}`, Accept: 'text/csv'}}).then((r) => r.text());
  const [download] = await Promise.all([page.waitForEvent('download', {timeout: 20000}),
    page.getByTestId('stats-csv').click()]);
  assert.equal(download.suggestedFilename(), 'stats-31-region-kind.csv');
  assert.equal(readFileSync(await download.path(), 'utf8'), `\ufeff${csv}`);
  await page.getByTestId('stats-saved').waitFor();
  // Nothing about a learner was asked for; the learner's pages are not the regulator's.
  assert.deepEqual(asked.filter((p) => p.startsWith('/v1/learners') || p.startsWith('/v1/records')), []);
  await page.goto(`${BASE}/portal/#/passbook`);
  await page.locator('#main[data-ready="stats"]').waitFor();
  assert.equal(await page.getByTestId('total-credits').count(), 0);
  await context.close();
});

test('an admin pages through statistics on a desktop, in English', async () => {
  // Ten counties of 32 (Jiangsu, apart from the learners above), ten learners each, every one
  // with a record in each of 2019-2024: 60 cells of 10 learners, none left out, two pages.
  const szpt = TOKENS.institutions.szpt.token;
  const stamp = Date.now();
  const counties = ['320102', '320104', '320105', '320106', '320111', '320113', '320114', '320115',
    '320116', '320117'];
  const learners = await Promise.all(counties.flatMap((region) => Array.from({length: 10}, async (_, i) => {
    const l = await api('POST', '/v1/learners', ADMIN, {display_name: `江苏${i}`, region});
    assert.equal(l.status, 201, JSON.stringify(l.body));
    return l.body.id;
  })));
  const records = learners.flatMap((id, n) => [2019, 2020, 2021, 2022, 2023, 2024].map((year) => ({
    learner: id, unit: 'szpt:SE101', external_ref: `PG-${stamp}-${n}-${year}`,
    grade: {scale: 'percent', value: '75'}, completed_on: `${year}-06-30`})));
  for (let i = 0; i < records.length; i += 100) {
    const r = await api('POST', '/v1/records', szpt, {records: records.slice(i, i + 100)});
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const question = 'group_by=region%2Cyear&region=32&region_level=county';
  // Figures may be up to stats_max_staleness_ms (1 s) behind while regulators are asking.
  let first;
  for (let i = 0; i < 50; i++) {
    first = (await api('GET', `/v1/stats?${question}&limit=50`, ADMIN)).body;
    if (first.cells.length === 50 && first.cells.every((c) => c.learners === 10)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const second = (await api('GET', `/v1/stats?${question}&limit=50&cursor=${encodeURIComponent(first.next)}`, ADMIN)).body;
  assert.equal(first.cells.length, 50);
  assert.equal(second.cells.length, 10);
  assert.equal(second.next, undefined);
  assert.equal(first.suppressed, 0);

  const {context, page} = await newPage(DESKTOP);
  await page.goto(`${BASE}/portal/#/sign-in`);
  await page.getByRole('button', {name: 'English'}).click();
  await page.getByRole('heading', {name: 'Sign in'}).waitFor();
  await page.getByText('Staff: sign in with an API token').click();
  await page.fill('#sign-in-token', ADMIN);
  await page.getByRole('button', {name: 'Sign in with the token'}).click();
  await page.locator('#main[data-ready="sessions"]').waitFor();
  await page.getByRole('link', {name: 'Statistics'}).first().click();
  await page.locator('#main[data-ready="stats"]').waitFor();
  await page.goto(`${BASE}/portal/#/stats?${question}`);
  await page.locator('#main[data-ready="stats"]').waitFor();
  const rows = page.getByTestId('stats-row');
  const table = async () => (await rows.evaluateAll((trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td, th')].slice(0, 3).map((td) => td.textContent.trim()))));
  const expect = (cells) => cells.map((c) => [c.region, String(c.year), String(c.learners)]);
  assert.deepEqual(await table(), expect(first.cells));
  // The interface speaks English.
  const chrome = await page.locator('h1, label, button, nav a, thead th, legend, caption').allTextContents();
  assert.deepEqual(chrome.filter((s) => CJK.test(s) && !s.includes('中文')), []);
  assert.match(await page.locator('caption').first().textContent(), /Page 1: 50 cells/);
  await checkA11y(page, 'statistics (desktop, en)');
  await shot(page, 'stats-desktop-en');
  // The next page is the API's next page; back again, the first.
  await rerender(page, () => page.getByRole('link', {name: 'Next page'}).click());
  assert.deepEqual(await table(), expect(second.cells));
  assert.match(page.url(), /page=2/);
  assert.equal(await page.getByRole('link', {name: 'Next page'}).count(), 0);
  await rerender(page, () => page.getByRole('link', {name: 'Previous page'}).click());
  assert.deepEqual(await table(), expect(first.cells));
  // Page 2 opened by its address, as a bookmark would: read by walking from page 1.
  await page.goto(`${BASE}/portal/#/stats?${question}&page=2`);
  await page.reload();
  await page.locator('#main[data-ready="stats"]').waitFor();
  assert.deepEqual(await table(), expect(second.cells));
  assert.match(await page.locator('caption').first().textContent(), /Page 2 \(the last\): 10 of 60 cells/);
  // A page past the last: no cells under its number, a link to the last page.
  await rerender(page, () => page.goto(`${BASE}/portal/#/stats?${question}&page=9`));
  assert.equal(await rows.count(), 0);
  const none = page.getByTestId('no-such-page');
  assert.match(await none.textContent(), /There is no page 9: the 60 cells fill 2 pages\./);
  await rerender(page, () => none.getByRole('link', {name: 'Go to page 2, the last'}).click());
  assert.deepEqual(await table(), expect(second.cells));
  await context.close();
});

test('an employer scans a transcript\'s QR code on a phone and sees a revocation', async () => {
  // A learner of szpt with two records draws a transcript (学分证明).
  const szpt = TOKENS.institutions.szpt.token;
  const stamp = Date.now();
  const l = await api('POST', '/v1/learners', ADMIN, {display_name: '王五'});
  assert.equal(l.status, 201, JSON.stringify(l.body));
  const posted = await api('POST', '/v1/records', szpt, {records: [1, 2].map((n) => ({
    learner: l.body.id, unit: 'szpt:SE101', external_ref: `TR-${stamp}-${n}`,
    grade: {scale: 'percent', value: '88'}, completed_on: '2024-06-30'}))});
  assert.equal(posted.status, 201, JSON.stringify(posted.body));
  const lt = (await api('POST', '/v1/tokens', ADMIN, {role: `learner:${l.body.id}`})).body.token;
  const pdf = await fetch(`${BASE}/v1/learners/${l.body.id}/transcript?format=pdf`,
    {headers: {Authorization: `Bearer ${lt}`}});
  assert.equal(pdf.status, 200);
  const code = pdf.headers.get('x-verification-code');
  assert.match(code, /^[0-9a-f]{32}$/);

  // The phone opens the QR code's address (typed in capitals here): a page, not JSON.
  const {context, page} = await newPage(PHONE);
  await page.goto(`${BASE}/v1/transcripts/${code.toUpperCase()}`);
  await page.locator('#main[data-ready="transcript"]').waitFor();
  assert.match(page.url(), new RegExp(`/portal/#/transcript/${code}$`));
  const held = (await api('GET', `/v1/transcripts/${code}`, '')).body;
  const verdict = page.getByTestId('transcript-verdict');
  assert.equal(await verdict.getAttribute('data-revoked'), '0');
  assert.match(await verdict.textContent(), /证明中的 2 条记录至今全部有效/);
  assert.equal(await page.getByTestId('transcript-record').count(), held.records.length);
  assert.match(await page.locator('main').textContent(), /王五/);
  // When it was drawn, written out in Chinese, not as an RFC 3339 timestamp; units by title.
  const drawn = await page.locator('time').getAttribute('datetime');
  assert.equal(drawn, held.generated_at);
  assert.match(await page.locator('time').textContent(), /^\d{4}年\d{1,2}月\d{1,2}日/);
  assert.doesNotMatch(await page.locator('main').textContent(), /\d{4}-\d{2}-\d{2}T\d{2}:/);
  const unitTitle = (await api('GET', `/v1/units/${encodeURIComponent('szpt:SE101')}`)).body.title;
  assert.ok((await page.getByTestId('transcript-record').first().textContent()).startsWith(`${unitTitle} (szpt:SE101)`));
  await checkA11y(page, 'transcript verification');

  // One record is revoked after the transcript was drawn: the page says so, and which.
  const revoked = posted.body.records[0].id;
  const r = await api('POST', `/v1/records/${revoked}/revoke`, szpt, {reason: 'grade error'});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await page.reload();
  await page.locator('#main[data-ready="transcript"]').waitFor();
  assert.equal(await verdict.getAttribute('data-revoked'), '1');
  assert.match(await verdict.textContent(), /有 1 条记录在证明生成后已被撤销/);
  assert.equal(await page.locator('[data-testid="transcript-record"][data-status="revoked"]').count(), 1);
  await shot(page, 'transcript-phone-zh');
  // A code typed wrong is named beside its field; nothing is asked.
  await page.fill('#transcript-code', 'not-a-code');
  await page.getByRole('button', {name: '核验'}).click();
  await page.getByText('核验码为 32 位十六进制字符').first().waitFor();
  await context.close();
});

test('a learner sets and clears their region on a phone; a bad code is refused before sending', async () => {
  const {context, page} = await newPage(PHONE);
  const someone = TOKENS.learners[2];
  const read = async () => (await api('GET', `/v1/learners/${someone.id}`, someone.token)).body;
  const start = await read();
  await page.goto((await signInCode(someone.id)).url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();
  await openPage(page, 'account');
  const shown = page.getByTestId('learner-region');
  assert.equal(await shown.getAttribute('data-value'), start.region || '');
  await page.getByText(start.display_name, {exact: true}).waitFor();
  await checkA11y(page, 'account');

  // Not a code: named beside its field, and nothing is sent.
  const patches = [];
  page.on('request', (req) => { if (req.method() === 'PATCH') patches.push(req.url()); });
  await page.fill('#account-region', '999999');
  await page.getByTestId('save-region').click();
  await page.locator('#account-region-error').getByText('请输入六位行政区划代码').waitFor();
  assert.equal(await page.locator('#account-region').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(patches, []);
  assert.equal((await read()).region, start.region);

  // Full-width digits, as a Chinese input method types them, are the same code.
  await rerender(page, async () => {
    await page.fill('#account-region', '４４０１０６');
    await page.getByTestId('save-region').click();
  });
  assert.equal((await read()).region, '440106');
  assert.equal(await shown.getAttribute('data-value'), '440106');
  assert.equal(await shown.textContent(), '440106（广东省）');
  await page.getByText('所在地区已改为 440106（广东省）。').waitFor();
  assert.equal(patches.length, 1);

  // Cleared: the account holds no region again.
  await rerender(page, () => page.getByTestId('clear-region').click());
  assert.equal((await read()).region, null);
  assert.equal(await shown.getAttribute('data-value'), '');
  assert.equal(await page.getByTestId('clear-region').count(), 0);
  await context.close();
});

// The security review's case: an institution the learner granted asks for a sign-in code for
// the learner and signs in with it itself. The learner, signed in on a phone with a code of its
// own, sees that session on "登录设备" (whose code, when), ends it with the keyboard, and the
// institution's cookie is refused from then on.
test('a learner sees a session opened by an institution\'s code and ends it', async () => {
  const someone = TOKENS.learners[5];
  const grants = (await api('GET', `/v1/learners/${someone.id}/grants`, someone.token)).body.grants;
  const inst = grants[0].institution;
  const instName = (await api('GET', `/v1/institutions/${inst}`, '')).body.name;
  const theirCode = await api('POST', '/v1/sign-in-codes', TOKENS.institutions[inst].token, {learner: someone.id});
  assert.equal(theirCode.status, 201, JSON.stringify(theirCode.body));
  const theirs = await api('POST', '/v1/sessions', '', {code: theirCode.body.code});
  assert.equal(theirs.status, 201);
  const intruder = /cb_session=([^;]+)/.exec(theirs.headers.get('set-cookie'))[1];
  const passbook = () => api('GET', `/v1/learners/${someone.id}/passbook`, '', undefined, {Cookie: `cb_session=${intruder}`});
  assert.equal((await passbook()).status, 200);

  const {context, page} = await newPage(PHONE);
  const own = await api('POST', '/v1/sign-in-codes', someone.token, {learner: someone.id});
  await page.goto(own.body.url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();
  await page.getByRole('link', {name: '登录设备'}).click();
  await page.locator('#main[data-ready="my-sessions"]').waitFor();
  const row = page.locator(`[data-testid="my-session-row"][data-session="${theirs.body.id}"]`);
  assert.equal(await row.getAttribute('data-created-by'), `institution:${inst}`);
  assert.equal(await row.getAttribute('data-via'), 'code');
  assert.equal(await row.getAttribute('data-current'), 'false');
  await row.getByText(`登录码，由 ${instName} 申请`, {exact: true}).waitFor();
  const mine = page.locator('[data-testid="my-session-row"][data-current="true"]');
  assert.equal(await mine.count(), 1);
  await mine.getByText('登录码，由您本人申请', {exact: true}).waitFor();
  assert.equal(await mine.getByTestId('end-session').count(), 0, 'this browser signs out instead');
  assert.equal(await mine.getByTestId('my-session-sign-out').count(), 1);
  await checkA11y(page, 'my-sessions (phone)');

  // Ended with the keyboard: focus on its button, Enter.
  await rerender(page, async () => {
    await row.getByTestId('end-session').focus();
    await page.keyboard.press('Enter');
  });
  await page.getByText('已结束该会话，那台设备需要重新登录。').waitFor();
  assert.equal(await page.locator(`[data-session="${theirs.body.id}"]`).count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
  assert.equal((await passbook()).status, 401);
  // The learner's own session goes on.
  const listed = await api('GET', '/v1/sessions', someone.token);
  assert.ok(!listed.body.sessions.some((s) => s.id === theirs.body.id));
  assert.equal(await page.locator('[data-testid="my-session-row"][data-current="true"]').count(), 1);
  await checkA11y(page, 'my-sessions after ending one');
  await context.close();
});

test('an admin lists portal sessions', async () => {
  // A session opened with a code an institution asked for names that institution.
  const someone = TOKENS.learners[5];
  const grants = (await api('GET', `/v1/learners/${someone.id}/grants`, someone.token)).body.grants;
  const inst = grants[0].institution;
  const code = await api('POST', '/v1/sign-in-codes', TOKENS.institutions[inst].token, {learner: someone.id});
  assert.equal(code.status, 201, JSON.stringify(code.body));
  const opened = await api('POST', '/v1/sessions', '', {code: code.body.code});
  assert.equal(opened.status, 201);
  const {context, page} = await newPage(DESKTOP);
  await page.goto(`${BASE}/portal/#/sign-in`);
  await page.getByText('工作人员：使用接口令牌登录').click();
  await page.fill('#sign-in-token', ADMIN);
  await page.getByRole('button', {name: '使用令牌登录'}).click();
  await page.locator('#main[data-ready="sessions"]').waitFor();
  assert.ok(await page.locator('table tbody tr').count() >= 2);
  const row = page.locator('table tbody tr').filter({hasText: opened.body.id});
  assert.equal(await row.count(), 1);
  await row.getByText(`登录码，由 institution:${inst} 申请`, {exact: true}).waitFor();
  assert.ok((await row.textContent()).includes(`learner:${someone.id}`));
  const mine = page.locator('table tbody tr').filter({hasText: '（您）'});
  assert.equal(await mine.count(), 1, 'the admin\'s own session is marked');
  assert.ok((await mine.textContent()).includes('接口令牌'));
  await checkA11y(page, 'sessions');
  await context.close();
});

test('the API reference renders from the binary', async () => {
  const {context, page} = await newPage(DESKTOP);
  const res = await page.goto(`${BASE}/docs/`);
  assert.match(res.headers()['content-security-policy'], /^default-src 'self'/);
  const html = await res.text();
  if (html.includes('redoc.standalone.')) {
    // Redoc draws one menu entry per operation, named by its summary.
    await page.getByText('A one-time portal sign-in code', {exact: false}).first().waitFor({timeout: 20000});
    await page.getByText('API docs by Redocly').waitFor();  // the footer whose logo was remote
  } else {
    await page.getByRole('heading', {name: 'API reference'}).waitFor();
  }
  await context.close();
});

test('the learner home is within its page-weight budget', async () => {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const {context, page} = await newPage(PHONE);
    const code = await signInCode(learner.id);
    const s = await api('POST', '/v1/sessions', '', {code: code.code});
    const cookie = /cb_session=([^;]+)/.exec(s.headers.get('set-cookie'))[1];
    await context.addCookies([{name: 'cb_session', value: cookie, url: BASE, httpOnly: true, sameSite: 'Strict'}]);
    const asked = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto(`${BASE}/portal/#/passbook`);
    await page.getByTestId('total-credits').waitFor();
    await page.waitForLoadState('networkidle');
    // The entry page brought the session: it is not asked for again, and the block that held
    // it (with the CSRF token) is gone from the page once read.
    assert.ok(!asked.includes('/v1/sessions/current'), asked.join(' '));
    assert.equal(await page.evaluate(() => document.getElementById('cb-session')), null);
    // The issuers' names came with the passbook, not one request each.
    assert.ok(!asked.some((p) => p.startsWith('/v1/institutions/')), asked.join(' '));
    runs.push(await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const all = [nav, ...res];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const rendered = performance.getEntriesByName('cb:rendered')[0];
      return {requests: all.length, transfer: all.reduce((n, e) => n + e.transferSize, 0),
        body: all.reduce((n, e) => n + e.decodedBodySize, 0), fcp: fcp ? fcp.startTime : null,
        rendered: rendered ? rendered.startTime : null};
    }));
    await context.close();
  }
  if (process.env.CB_PERF_OUT) writeFileSync(process.env.CB_PERF_OUT, JSON.stringify(runs, null, 2));
  for (const r of runs) {
    assert.ok(r.transfer <= 200 * 1024, `learner home transferred ${r.transfer} bytes (budget 200 KB)`);
    assert.ok(r.body <= 200 * 1024, `learner home bodies ${r.body} bytes (budget 200 KB)`);
    assert.ok(r.fcp !== null && r.rendered !== null, JSON.stringify(r));
  }
});
