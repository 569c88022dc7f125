// The portal's number and day formats (web/src/i18n.js) against their oracle, Intl (which the
// portal no longer calls for them, to spare the learner home the locale data's load): every
// number the API can send (credits with up to two decimals, counts) and every day of four
// years, in both languages.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {date, num, setLang} from '../../web/src/i18n.js';

// setLang remembers the choice and sets <html lang>; node has neither, so give it both.
globalThis.localStorage = {getItem: () => null, setItem: () => {}};
globalThis.document = {documentElement: {}};

const LOCALES = {zh: 'zh-CN', en: 'en-GB'};

function numbers() {
  const out = [0, 0.01, 0.005, 0.994, 0.995, 1, 9.99, 10, 999.995, 1000, 1234.5, 99999.99, 1e6,
    123456789.12, -0.5, -3, -1234.56];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 5000; i++) out.push(Math.round(rand() * 10 ** (1 + (i % 9))) / 100);
  return out;
}

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`num matches Intl.NumberFormat(${locale}) with at most two decimals`, () => {
    setLang(lang);
    const oracle = new Intl.NumberFormat(locale, {maximumFractionDigits: 2});
    for (const n of numbers()) assert.equal(num(n), oracle.format(n), `num(${n})`);
  });

  test(`a day is written as Intl.DateTimeFormat(${locale}) writes it`, () => {
    setLang(lang);
    const oracle = new Intl.DateTimeFormat(locale,
      {year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC'});
    for (let t = Date.UTC(2023, 0, 1); t < Date.UTC(2027, 0, 1); t += 86400000) {
      const iso = new Date(t).toISOString().slice(0, 10);
      assert.equal(date(iso), oracle.format(new Date(t)), iso);
    }
  });
}

test('what is not a number or a date is shown as it came', () => {
  assert.equal(num('abc'), 'abc');
  assert.equal(date('not a date'), 'not a date');
  assert.equal(date(''), '');
});
