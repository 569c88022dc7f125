// The portal's Chinese for the server's reasons (web/src/reasons.js) against the server's own
// texts: each sample is a reason as the server writes it (taken from its answers), and the
// fixed part of it must still be in the C++ source that writes it, so a change of wording on
// the server fails here instead of leaving the portal showing English. In Chinese every sample
// comes out rewritten, with no English word left outside what it quotes; in English it comes
// out as it went in.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {setLang} from '../../web/src/i18n.js';
import {reason} from '../../web/src/reasons.js';

globalThis.localStorage = {getItem: () => null, setItem: () => {}};
globalThis.document = {documentElement: {}};

const root = new URL('../../', import.meta.url);
const source = (path) => readFileSync(new URL(path, root), 'utf8');

// [the reason as the server sends it, the source file, the fixed text there (as the C++ string
// literal holds it), the words the Chinese keeps (quoted values, codes, ids)].
const SAMPLES = [
  ['line 4: expected 9 fields as in the header, found 8', 'common/csv.cc', 'fields as in the header', []],
  ['学分: "abc" is not a number (expected e.g. 3 or 2.5)', 'formats/cell_values.cc', 'is not a number (expected e.g. 3 or 2.5)', ['abc']],
  ['学分: "2.555" has more than two decimal places', 'formats/cell_values.cc', 'has more than two decimal places', []],
  ['学分: "-1" is negative (expected 0 or more)', 'formats/cell_values.cc', 'is negative (expected 0 or more)', []],
  ['line 5, column H: a value in a column without a header (the header is line 1)', 'formats/mapping_apply.cc',
    'a value in a column without a header (the header is ', []],
  ['line 3: quoted field is not closed', 'common/csv.cc', '"quoted field is not closed"', []],
  ['line 3: unexpected character after a closing quote', 'common/csv.cc', '"unexpected character after a closing quote"', []],
  ['posted twice in one request', 'service/records.h', '"posted twice in one request"', []],
  ['posted twice in one request: also on line 7', 'api/routes_records.cc', '": also on line "', []],
  ['posted twice in one request: also at /records/3/external_ref', 'service/records.cc', '": also at "', ['records', 'external_ref']],
  ['must be a date YYYY-MM-DD', 'common/date.cc', '"must be a date YYYY-MM-DD"', ['YYYY', 'MM', 'DD']],
  ['must not contain control characters', 'engine/catalog_validation.cc', '"must not contain control characters"', []],
  ['unknown CSV column "extref"; columns are learner, unit, external_ref', 'engine/recognition.cc', '"unknown CSV column "',
    ['extref', 'learner', 'unit', 'external_ref']],
  ['学时: "2.5" is not a whole number', 'formats/cell_values.cc', 'is not a whole number', []],
  ['届别: "twenty" is not a year (expected e.g. 2024)', 'formats/cell_values.cc', 'is not a year (expected e.g. 2024)', ['twenty']],
  ['获得时间: "2024-6" is not a month as YYYYMM (e.g. 202406)', 'formats/cell_values.cc', 'is not a month as YYYYMM (e.g. 202406)', ['YYYYMM']],
  ['"June" is not a date (expected e.g. 2024-06-30)', 'formats/cell_values.cc', 'is not a date (expected e.g. 2024-06-30)', ['June']],
  ['身份证号: is not an 18-character resident identity number', 'formats/cell_values.cc', 'is not an 18-character resident identity number', []],
  ['身份证号: is not an 18-character resident identity number (Excel stored it as a number and lost digits: format the column as text)',
    'formats/cell_values.cc', 'Excel stored it as a number and lost digits: format the', ['Excel']],
  ['身份证号: has no valid birth date in digits 7-14', 'formats/cell_values.cc', 'has no valid birth date in digits 7-14', []],
  ['身份证号: fails its check digit (GB 11643): mistyped?', 'formats/cell_values.cc', 'fails its check digit (GB 11643): mistyped?', ['GB']],
  ['成绩: is empty (the column is required)', 'formats/mapping_apply.cc', 'is empty (the column is required)', []],
  ['教育层次代码: "29" is not one of the codes: 20, 21, 22, 23', 'formats/mapping_apply.cc', 'is not one of the codes: ', []],
  ['学院: unknown column for mapping cn-registrar', 'formats/mapping_header.cc', 'unknown column for mapping ', ['cn', 'registrar']],
  ['the header lacks this required column', 'formats/mapping_header.cc', 'the header lacks this required column', []],
  ['is required', 'codec/json_util.cc', '"is required"', []],
  ['not a decimal number', 'common/credits.cc', 'not a decimal number', []],
  ['must be a level from 1 to 10', 'engine/recognition.cc', 'must be a level from 1 to 10', []],
  ['not a calendar date between 1900 and 2999', 'common/date.cc', 'not a calendar date between', []],
  ['is in the future (today is 2026-12-06)', 'engine/recognition.cc', 'is in the future (today is ', []],
  ["no unit 'szpt:NOPE' in the catalog", 'service/records.cc', "' in the catalog", ['szpt', 'NOPE']],
  ["no learner account 'lrn_nobody'; create it with POST /v1/learners", 'service/records.cc', "'; create it with POST /v1/learners", ['lrn_nobody']],
  ['credits 2 do not match hours 10 at 16 hours per credit (0.63 credits)', 'engine/recognition.cc', ' hours per credit (', []],
  ['"181" is not a grade of scale percent; allowed: a number from 0 to 100 with at most 2 decimals',
    'engine/grades.cc', 'with at most ', ['percent']],
  ['is required for scale percent; allowed: a number from 0 to 100 with at most 2 decimals', 'engine/grades.cc', 'is required for scale ', ['percent']],
  ['"Q" is not a grade of scale five_level; allowed: 优秀, 良好, 中等, 及格, 不及格, excellent, good, medium, pass, fail',
    'engine/grades.cc', 'is not a grade of scale ', ['Q', 'five_level', 'excellent', 'good', 'medium', 'pass', 'fail']],
  ['unknown grade scale "pf"; known scales: ects, five_level, gpa4, letter, pass_fail, percent', 'engine/grades.cc',
    'known scales: ', ['pf', 'ects', 'five_level', 'gpa4', 'letter', 'pass_fail', 'percent']],
  ['7 records were rejected; nothing was stored. First: "181" is not a grade of scale percent; allowed: a number from 0 to 100 with at most 2 decimals',
    'api/handler_util.cc', 'nothing was stored. First: ', ['percent']],
  ['this is an old binary Excel file (.xls); open it in Excel or WPS and save it as "Excel Workbook (*.xlsx)" or as CSV',
    'formats/ole2.cc', 'this is an old binary Excel file (.xls); open it in ', ['xls', 'Excel', 'WPS', 'xlsx', 'CSV']],
  ['this workbook is password-protected (encrypted), so it cannot be read; open it in Excel or WPS, remove the password (Excel: File > Info > Protect Workbook > Encrypt with Password, left empty; WPS: File > Document Encryption) and save it again, or save it as CSV',
    'formats/ole2.cc', 'this workbook is password-protected (encrypted), so it cannot be read; ', ['Excel', 'WPS', 'CSV']],
  ['this is an old binary Office file (a compound file holding no Excel workbook); save the sheet from Excel or WPS as "Excel Workbook (*.xlsx)" or as CSV',
    'formats/ole2.cc', 'this is an old binary Office file (a compound file holding no Excel workbook); ', ['Office', 'Excel', 'WPS', 'xlsx', 'CSV']],
  ['the workbook has no sheet named "marks"; its sheets are "成绩"', 'formats/xlsx_package.cc', 'the workbook has no sheet named ', ['marks']],
  ['the workbook has no sheets', 'formats/xlsx_package.cc', 'the workbook has no sheets', []],
  ['line 2, column H (成绩): "良" is not a grade: a percent score (0-100), 优秀/良好/中等/及格/不及格, or 合格/不合格',
    'formats/mapping_apply.cc', '" is not a grade: a percent score (0-100), ', []],
  ['line 3, column F (教育层次代码): "29" is not one of the codes: 20 本科, 21 专科, 22 专升本, 23 高起本',
    'formats/source_table.cc', 'out += ", column " + p.letter;', []],
  // Signing in, sessions, roles and what is not there (every page, through api.detail).
  ['that is not a sign-in code: it has 12 letters and digits', 'api/sessions.cc', 'that is not a sign-in code: it has 12 letters and digits', []],
  ['the sign-in code is not valid: it may have been used already', 'api/sessions.cc', 'the sign-in code is not valid: it may have been used already', []],
  ['the sign-in code has expired: ask for a new one', 'api/sessions.cc', 'the sign-in code has expired: ask for a new one', []],
  ['too many failed sign-in attempts; retry after 60 s', 'api/sessions.cc', '"too many failed sign-in attempts; retry after "', []],
  ['the token is not valid', 'api/sessions.cc', '"the token is not valid"', []],
  ['not signed in', 'api/sessions.cc', '"not signed in"', []],
  ['the session has ended: sign in again', 'api/sessions.cc', '"the session has ended: sign in again"', []],
  ['this endpoint needs Authorization: Bearer <token> or a portal session', 'api/app.cc',
    '"this endpoint needs Authorization: Bearer <token> or a portal session"', []],
  ['rate limit exceeded; retry after 2 s', 'api/app.cc', '"rate limit exceeded; retry after "', []],
  ['role auditor may not call GET /v1/stats', 'api/app.cc', '" may not call "', ['auditor', 'GET', 'v1', 'stats']],
  ['region 32 is outside this regulator\'s region 31', 'api/routes_stats.cc', ' is outside this regulator\'s region ', []],
  ['region 310101 is a county, finer than a city: group it by region_level=county, or ask a coarser region',
    'api/routes_stats.cc', ": group it by region_level=", []],
  ['region 310101 is a county, finer than a province: group it by region_level=county, or ask a coarser region',
    'api/routes_stats.cc', ", or ask a coarser region", []],
  ['region 3101 is a city, finer than a province: group it by region_level=city or county, or ask a coarser region',
    'api/routes_stats.cc', "city or county", []],
  ['shutting down', 'api/app.cc', '"shutting down"', []],
  ["the database does not answer; try again later (the server's log has the reason)", 'api/problem.cc',
    "the database does not answer; try again", []],
  ["no learner 'lrn_7f3a'", 'service/passbook.cc', `"no learner '"`, ['lrn_7f3a']],
  ["no record 'rec_19c2'", 'service/records.cc', `"no record '"`, ['rec_19c2']],
  ["no session 'ses_0a1b'", 'api/sessions.cc', `"no session '"`, ['ses_0a1b']],
  ["no institution 'pku'", 'service/learners.cc', `"no institution '"`, ['pku']],
  ['record rec_19c2 is already revoked', 'service/records.cc', '" is already revoked"', ['rec_19c2']],
  ['record is already revoked (with another reason)', 'service/records.cc', '"record is already revoked (with another reason)"', []],
  ['only the learner may grant access to its records', 'api/routes_records.cc', '"only the learner may grant access to its records"', []],
  ['only the learner', 'api/routes_records.cc', '"only the learner"', []],
  ['a learner may evaluate only its own conversions', 'api/routes_conversion.cc', '"a learner may evaluate only its own conversions"', []],
];

test('every sample is still what the server writes', () => {
  for (const [text, file, fixed] of SAMPLES) {
    assert.ok(source(file).includes(fixed), `${file} no longer writes "${fixed}" (sample: ${text})`);
  }
});

test('in Chinese every sample is rewritten and keeps only what it quotes', () => {
  setLang('zh');
  for (const [text, , , keeps] of SAMPLES) {
    const out = reason(text);
    assert.notEqual(out, text, `not rewritten: ${text}`);
    assert.match(out, /[\u4e00-\u9fff]/, `no Chinese in: ${out}`);
    let rest = out;
    for (const k of keeps) rest = rest.split(k).join(' ');
    const english = rest.match(/[A-Za-z]{2,}/g);
    assert.equal(english, null, `English left in "${out}" (from "${text}")`);
    for (const k of keeps) assert.ok(out.includes(k), `"${k}" lost from "${out}"`);
  }
});

test('in English, and for reasons the table does not know, the text is as the server wrote it', () => {
  setLang('en');
  for (const [text] of SAMPLES) assert.equal(reason(text), text);
  setLang('zh');
  for (const text of ['something new went wrong', 'x: y', '']) assert.equal(reason(text), text);
});
