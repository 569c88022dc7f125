// Upload a term's grades: choose a CSV or XLSX file (or paste CSV), check it with the server
// without storing anything (POST /v1/records?dry_run=true, batch by batch), see every bad line
// with its line and column, fix the file, and commit it in batches with a progress bar. Nothing
// is stored from a file while any line has an error. A workbook is read once by the server's
// own XLSX reader (POST /v1/records/table: rows with their workbook row numbers and column
// letters) and then goes the CSV way, so its report names the workbook's rows and columns.
import * as api from './api.js';
import {batches, columnLetter, csvLine, decode, splitCsv} from './csv.js';
import {button, clear, field, h, heading, notice, progressBar, showErrors, table} from './dom.js';
import {num, t} from './i18n.js';
import {reason} from './reasons.js';
import {posted} from './store.js';

const BATCH = 500;  // records per request (the server's limit is 1000 by default)
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const L = {
  title: ['上传成绩', 'Upload grades'],
  intro: ['上传教务系统导出的 CSV 或 Excel（XLSX）文件。先检查整个文件，没有错误后再登记；有任何错误时不会登记任何记录。',
    'Upload the CSV or Excel (XLSX) file your registrar system exports. The whole file is checked first and stored only when no line has an error.'],
  columns: ['列名行（其上方的标题行会被跳过）：learner, unit, external_ref, credits, hours, level, grade_scale, grade_value, completed_on, attendance, evidence_sha256（空白单元格表示未设置）。',
    'The header row (title rows above it are skipped) names the columns: learner, unit, external_ref, credits, hours, level, grade_scale, grade_value, completed_on, attendance, evidence_sha256 (an empty cell is unset).'],
  file: ['CSV 或 XLSX 文件', 'CSV or XLSX file'],
  fileHint: ['CSV 为 UTF-8 或 GB18030（中文 Windows 版 Excel）编码；XLSX 读取第一个工作表，或下面填写的工作表',
    'CSV in UTF-8, or GB18030 as Excel writes it on Chinese Windows; XLSX: the first sheet, or the sheet named below'],
  layout: ['文件的列', 'The file\'s columns'],
  layoutBank: ['学分银行的列名（learner, unit, …）', 'The bank\'s columns (learner, unit, …)'],
  layoutCn: ['教务系统学分银行导出（学号、姓名、身份证号、课程名称、成绩、获得时间…）',
    'A Chinese registrar export (学号, 姓名, 身份证号, 课程名称, 成绩, 获得时间, …)'],
  layoutHint: ['按教务导出读取时，按身份证号查找学习者，没有账户的学习者在文件检查无误后创建账户。',
    'Read as a registrar export, learners are found by national ID; those without an account get one once the file has no problem.'],
  accounts: ['为文件中的新学习者创建了 {n} 个账户。', 'Created {n} accounts for new learners in the file.'],
  sheet: ['工作表名称（可选）', 'Sheet name (optional)'],
  sheetHint: ['仅用于 XLSX；留空则读取第一个工作表', 'XLSX only; empty reads the first sheet'],
  reading: ['正在读取工作簿…', 'Reading the workbook…'],
  xlsx: ['工作簿按 Excel 显示的内容读取（日期序列号转换为日期）；行号为工作表中的行号。',
    'The workbook was read as Excel shows it (date serials as dates); line numbers are the sheet\'s row numbers.'],
  paste: ['或者粘贴 CSV 内容', 'Or paste the CSV text'],
  pasteLabel: ['CSV 内容', 'CSV text'],
  check: ['检查文件', 'Check the file'],
  noFile: ['请选择 CSV 或 XLSX 文件，或粘贴 CSV 内容', 'Choose a CSV or XLSX file, or paste CSV text'],
  checking: ['正在检查第 {i} 批，共 {n} 批…', 'Checking batch {i} of {n}…'],
  report: ['检查结果', 'Check report'],
  bad: ['文件中有 {n} 处错误，未登记任何记录。请修改文件后重新检查。', 'The file has {n} problems. Nothing was stored. Fix the file and check it again.'],
  good: ['全部 {n} 条记录均有效，可以登记。', 'All {n} records are valid and ready to store.'],
  gb: ['文件按 GB18030 编码读取。', 'The file was read as GB18030.'],
  line: ['行', 'Line'],
  column: ['列', 'Column'],
  problem: ['问题', 'Problem'],
  columnText: ['{name}（{letter} 列）', '{name} (column {letter})'],
  commit: ['登记 {n} 条记录', 'Store {n} records'],
  committing: ['正在登记第 {i} 批，共 {n} 批', 'Storing batch {i} of {n}'],
  progress: ['登记进度', 'Storing'],
  done: ['已登记 {created} 条新记录；{existing} 条此前已登记。', 'Stored {created} new records; {existing} were already stored.'],
  failed: ['第 {i} 批登记失败：{detail}。之前的批次已登记，重新提交同一文件是安全的（按外部编号去重）。',
    'Batch {i} failed: {detail}. Earlier batches were stored; sending the same file again is safe (records are matched by external reference).'],
  seePosted: ['查看已登记记录', 'See the posted records'],
  repeated: ['外部编号“{ref}”也出现在第 {line} 行（每个外部编号只能对应一条记录）',
    '\'{ref}\' is also on line {line} (one record per external_ref)'],
  empty: ['文件中没有记录（只有列名行）。', 'The file has no records (only its header).'],
};

// Where a record field lives in the file: its column name.
const COLUMN_OF = {'grade/value': 'grade_value', 'grade/scale': 'grade_scale', grade: 'grade_value'};

// One error of the server's answer as {line, column, message} in terms of the whole file.
function locate(err, batch, csv) {
  const m = /^\/records\/(\d+)(?:\/(.*))?$/.exec(err.pointer || '');
  if (m) {
    const rec = csv.records[batch.start + Number(m[1])];
    const name = COLUMN_OF[m[2]] || (m[2] || '').split('/')[0];
    const idx = csv.header.indexOf(name);
    const letter = csv.letters ? csv.letters[idx] : columnLetter(idx);
    const label = csv.columns && csv.columns[idx] ? csv.columns[idx] : name;
    return {line: rec ? rec.line : null, column: name ? (idx >= 0 ? {name, label, letter} : {name, label}) : null,
      message: err.detail};
  }
  const lm = /^line (\d+): (.*)$/s.exec(err.detail || '');
  if (lm) {
    // A line of the batch text: find the record it falls in and count on from its start.
    const n = Number(lm[1]);
    let k = batch.lines.length - 1;
    while (k > 0 && batch.lines[k] > n) k--;
    const line = n < 2 ? csv.headerLine : csv.records[batch.start + k].line + (n - batch.lines[k]);
    return {line, column: null, message: lm[2]};
  }
  if ((err.pointer || '').startsWith('/header')) return {line: csv.headerLine, column: null, message: err.detail};
  return {line: null, column: null, message: err.detail};
}

function reportTable(problems) {
  return table(null, [t(L.line), t(L.column), t(L.problem)], problems.map((p) => ({
    attrs: {'data-line': p.line ?? '', 'data-column': p.column ? p.column.name : ''},
    cells: [p.line ? num(p.line) : '—',
      p.column ? (p.column.letter ? t(L.columnText, {name: p.column.label || p.column.name, letter: p.column.letter})
        : p.column.label || p.column.name) : '—',
      reason(p.message)],
  })), {class: 'table-responsive'});
}

// The `errors` of a refusal, or the refusal itself as the one error: as the server wrote them
// (locate reads "line N: ..." from them; the report translates them when it shows them).
function errorsOf(r) {
  return r.problem && r.problem.errors && r.problem.errors.length ? r.problem.errors
    : [{pointer: r.problem ? r.problem.pointer : '', detail: r.problem && r.problem.detail ? r.problem.detail : `HTTP ${r.status}`}];
}

// An external_ref given to two lines of the file. The server finds a repeat only within one
// batch ("posted twice in one request"), so a repeat across batches is found here, before
// anything is stored: otherwise the batches before the repeat's would be stored, and the
// file would fail at it every time it is sent again.
function repeatedRefs(csv, parts) {
  const col = csv.header.indexOf('external_ref');
  if (col < 0) return [];
  const batchOf = [];
  parts.forEach((p, b) => { for (let k = 0; k < p.count; k++) batchOf[p.start + k] = b; });
  const first = new Map();
  const out = [];
  csv.records.forEach((rec, i) => {
    const ref = rec.fields[col];
    if (!ref) return;
    const seen = first.get(ref);
    if (seen === undefined) return void first.set(ref, i);
    if (batchOf[seen] === batchOf[i]) return;  // the server names this one
    out.push({line: rec.line,
      column: {name: 'external_ref', label: csv.columns && csv.columns[col] ? csv.columns[col] : 'external_ref',
        letter: csv.letters ? csv.letters[col] : columnLetter(col)},
      message: t(L.repeated, {ref, line: csv.records[seen].line})});
  });
  return out;
}

async function dryRun(csv, parts, status) {
  const problems = [];
  for (let i = 0; i < parts.length; i++) {
    status.textContent = t(L.checking, {i: i + 1, n: parts.length});
    const r = await api.call('POST', '/v1/records?dry_run=true', {body: parts[i].text, type: 'text/csv; charset=utf-8'});
    if (r.ok) continue;
    problems.push(...errorsOf(r).map((e) => locate(e, parts[i], csv)));
  }
  status.textContent = '';
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

// A file read by the server (POST /v1/records/table) as the object splitCsv returns, with the
// file's column letters and header texts; or {problems} naming its bad cells. With the Chinese
// registrar mapping the server finds learners by national ID and creates the missing accounts.
async function readTable(bytes, type, sheet, mapping) {
  const q = [];
  if (sheet) q.push('sheet=' + api.enc(sheet));
  if (mapping) q.push('mapping=' + api.enc(mapping), 'create_learners=true');
  const r = await api.call('POST', '/v1/records/table' + (q.length ? '?' + q.join('&') : ''), {body: bytes, type});
  if (!r.ok) {
    return {problems: errorsOf(r).map((e) => ({line: e.line || null,
      column: e.column || e.letter ? {name: e.field || e.column || '', label: e.column, letter: e.letter} : null,
      message: e.detail}))};
  }
  const t = r.data;
  return {header: t.header, headerLine: t.header_line, headerText: csvLine(t.header), letters: t.letters,
    columns: t.columns, created: t.created_learners || 0,
    records: t.rows.map((row) => ({line: row.line, fields: row.fields, text: csvLine(row.fields)}))};
}

async function commit(parts, slot) {
  const bar = h('div');
  const line = h('p', {role: 'status'});
  clear(slot).append(h('h2', {class: 'heading-m'}, t(L.progress)), bar, line);
  let created = 0, existing = 0;
  for (let i = 0; i < parts.length; i++) {
    const done = parts.slice(0, i).reduce((n, p) => n + p.count, 0);
    const total = parts.reduce((n, p) => n + p.count, 0);
    bar.replaceChildren(progressBar({value: done, max: total, label: t(L.progress), testid: 'upload-progress'}));
    line.textContent = t(L.committing, {i: i + 1, n: parts.length});
    const r = await api.call('POST', '/v1/records', {body: parts[i].text, type: 'text/csv; charset=utf-8'});
    if (!r.ok) return slot.append(notice(t(L.failed, {i: i + 1, detail: api.detail(r)}), 'error'));
    for (const x of r.data.records) {
      if (x.status === 'existing') existing++;
      else created++;
      posted.push({id: x.id, leaf_index: x.leaf_index});
    }
  }
  const total = parts.reduce((n, p) => n + p.count, 0);
  bar.replaceChildren(progressBar({value: total, max: total, label: t(L.progress), testid: 'upload-progress'}));
  line.textContent = '';
  slot.append(h('div', {class: 'notice notice-success', role: 'status', 'data-testid': 'upload-done'},
    t(L.done, {created: num(created), existing: num(existing)})), h('p', null, h('a', {href: '#/posted'}, t(L.seePosted))));
}

export async function render({view, setTitle}) {
  setTitle(t(L.title));
  const errors = h('div');
  const file = field({id: 'upload-file', label: t(L.file), hint: t(L.fileHint), type: 'file', accept: `.csv,text/csv,.xlsx,${XLSX},.xls`});
  const sheet = field({id: 'upload-sheet', label: t(L.sheet), hint: t(L.sheetHint)});
  const layout = field({id: 'upload-layout', label: t(L.layout), hint: t(L.layoutHint),
    options: [['', t(L.layoutBank)], ['cn-registrar', t(L.layoutCn)]]});
  const pasted = field({id: 'upload-text', label: t(L.pasteLabel), rows: 8});
  const status = h('p', {class: 'hint', role: 'status'});
  const report = h('div', {'data-testid': 'upload-report', 'aria-live': 'polite'});

  async function check(e) {
    e.preventDefault();
    file.setError(null);
    clear(errors);
    clear(report);
    let text = pasted.input.value, encoding = 'utf-8', csv;
    const mapping = layout.input.value;
    let bytes = null, type = null;
    if (file.input.files.length) {
      bytes = await file.input.files[0].arrayBuffer();
      const head = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
      const zip = head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
      // An OLE2 compound file (an .xls, or a password-protected workbook): the server tells
      // which, and what to do with it (formats/ole2.h), instead of reading it as text.
      const ole2 = head.length === 4 && head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0;
      if (zip || ole2) {
        type = XLSX;  // a ZIP package: an XLSX workbook
        encoding = 'xlsx';
      } else {
        ({text, encoding} = decode(bytes));
        type = `text/csv; charset=${encoding}`;
      }
    } else if (mapping && text.trim()) {
      bytes = text;
      type = 'text/csv; charset=utf-8';
    }
    if (type === XLSX || (mapping && bytes)) {
      // Read by the server: a workbook, or a file with the registrar's own columns.
      status.textContent = t(L.reading);
      const table = await readTable(bytes, type, sheet.input.value.trim(), mapping);
      status.textContent = '';
      if (table.problems) return showReport(table.problems, 0, encoding);
      csv = table;
    }
    if (!csv && !text.trim()) {
      file.setError(t(L.noFile));
      return showErrors(errors, [{id: file.id, text: t(L.noFile)}]);
    }
    if (!csv) {
      try {
        csv = splitCsv(text);
      } catch (err) {
        return showReport([{line: err.line, column: null, message: err.message}], 0, encoding);
      }
    }
    const parts = batches(csv, BATCH);
    const problems = (await dryRun(csv, parts, status)).concat(repeatedRefs(csv, parts))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    showReport(problems, csv.records.length, encoding, parts, csv);
  }

  function showReport(problems, count, encoding, parts, csv) {
    report.setAttribute('data-state', problems.length ? 'errors' : 'valid');
    report.append(h('h2', {class: 'heading-m'}, t(L.report)));
    if (encoding === 'gb18030') report.append(h('p', {class: 'hint'}, t(L.gb)));
    if (encoding === 'xlsx') report.append(h('p', {class: 'hint'}, t(L.xlsx)));
    if (csv && csv.created) report.append(h('p', {class: 'hint', 'data-testid': 'upload-accounts'}, t(L.accounts, {n: num(csv.created)})));
    if (problems.length) {
      report.append(notice(t(L.bad, {n: problems.length}), 'error'), reportTable(problems));
      return;
    }
    if (!count) {
      report.setAttribute('data-state', 'errors');
      return report.append(notice(t(L.empty), 'error'));
    }
    const slot = h('div');
    report.append(notice(t(L.good, {n: num(count)}), 'success'),
      button(t(L.commit, {n: num(count)}), {testid: 'upload-commit', onclick: (ev) => {
        ev.target.disabled = true;
        commit(parts, slot);
      }}), slot);
  }

  view.append(errors, heading(t(L.title)), h('p', {class: 'lead'}, t(L.intro)), h('p', {class: 'hint'}, t(L.columns)),
    h('form', {novalidate: true, onsubmit: check}, file.group, layout.group, sheet.group,
      h('details', {class: 'details'}, h('summary', null, t(L.paste)), pasted.group),
      button(t(L.check), {type: 'submit', testid: 'upload-check'})),
    status, report);
}
