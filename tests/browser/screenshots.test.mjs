// The README's screenshots (docs/screenshots/): the main pages on a phone (360 x 740) and a
// desktop, in Chinese and English. Runs only when CB_SCREENSHOTS names a folder:
//   CB_SCREENSHOTS=docs/screenshots tests/browser/run.sh
import {after, before, test} from 'node:test';
import {api, BASE, close, DESKTOP, launch, newPage, PHONE, SHOTS, shot, signInCode, TOKENS, verifyState} from './lib.mjs';

const learner = TOKENS.learners[0];

before(async () => { if (SHOTS) await launch(); });
after(close);

async function learnerPage(viewport, lang) {
  const {context, page} = await newPage(viewport);
  await page.addInitScript((l) => localStorage.setItem('cb_lang', l), lang);
  await page.goto((await signInCode(learner.id)).url.replace(/^https?:\/\/[^/]+/, BASE));
  await page.getByTestId('total-credits').waitFor();
  return {context, page};
}

async function open(page, name) {
  await page.goto(`${BASE}/portal/#/${name}`);
  await page.locator(`#main[data-ready="${name.split('/')[0]}"]`).waitFor();
}

test('screenshots of the main pages', {skip: !SHOTS && 'CB_SCREENSHOTS is not set'}, async () => {
  const id = (await api('GET', `/v1/learners/${learner.id}/records?limit=1`, learner.token)).body.records[0].id;
  for (const [device, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    for (const lang of ['zh', 'en']) {
      const {context, page} = await learnerPage(viewport, lang);
      await page.locator('#main[data-ready="passbook"]').waitFor();
      await shot(page, `passbook-${device}-${lang}`);
      await open(page, `record/${id}`);
      await verifyState(page);
      await shot(page, `record-${device}-${lang}`);
      await open(page, 'programs');
      await shot(page, `programs-${device}-${lang}`);
      await context.close();

      const staff = await newPage(viewport);
      await staff.page.addInitScript((l) => localStorage.setItem('cb_lang', l), lang);
      const s = await api('POST', '/v1/sessions', '', {token: TOKENS.institutions.szpt.token});
      const cookie = /cb_session=([^;]+)/.exec(s.headers.get('set-cookie'))[1];
      await staff.context.addCookies([{name: 'cb_session', value: cookie, url: BASE, httpOnly: true, sameSite: 'Strict'}]);
      await open(staff.page, 'upload');
      const csv = 'learner,unit,external_ref,grade_scale,grade_value,completed_on\n' +
        `${learner.id},szpt:SE101,SHOT-1,percent,81,2024-06-30\n${learner.id},szpt:SE101,SHOT-2,percent,abc,2024-06-30\n`;
      await staff.page.setInputFiles('#upload-file', {name: 'grades.csv', mimeType: 'text/csv', buffer: Buffer.from(csv)});
      await staff.page.getByTestId('upload-check').click();
      await staff.page.locator('[data-testid="upload-report"][data-state]').waitFor();
      await staff.page.getByTestId('upload-report').scrollIntoViewIfNeeded();
      await shot(staff.page, `upload-${device}-${lang}`);
      await staff.context.close();
    }
  }
});
