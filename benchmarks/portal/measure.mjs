// Loads pages in headless Chromium with an empty cache and reports, from the Performance API,
// what was transferred (bytes and requests) and when the first contentful paint happened.
//   node measure.mjs portal BASE COOKIE    the learner home (/portal/#/passbook), signed in
//   node measure.mjs static URL             any page (the nginx twin)
// One JSON line per load on stdout.
import {chromium} from '../../tests/browser/node_modules/playwright-core/index.mjs';

const [kind, url, cookie] = process.argv.slice(2);
const runs = Number(process.env.RUNS || 1);
const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/bin/chromium'});
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({viewport: {width: 360, height: 740}});
  const page = await context.newPage();
  if (kind === 'portal') {
    await context.addCookies([{name: 'cb_session', value: cookie, url, httpOnly: true, sameSite: 'Strict'}]);
    await page.goto(`${url}/portal/#/passbook`);
    await page.getByTestId('total-credits').waitFor();
  } else {
    await page.goto(url);
  }
  await page.waitForLoadState('networkidle');
  const m = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const all = [nav, ...performance.getEntriesByType('resource')];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const rendered = performance.getEntriesByName('cb:rendered')[0];
    return {requests: all.length, transfer: all.reduce((n, e) => n + e.transferSize, 0),
      body: all.reduce((n, e) => n + e.decodedBodySize, 0),
      fcp_ms: fcp ? Math.round(fcp.startTime) : null,
      content_ms: rendered ? Math.round(rendered.startTime) : Math.round(nav.loadEventEnd),
      sizes: all.map((e) => [e.name.replace(/^https?:\/\/[^/]+/, ''), e.decodedBodySize])};
  });
  console.log(JSON.stringify({kind, ...m}));
  await context.close();
}
await browser.close();
