// Splits a registrar's CSV file into its header and records, each with the physical line it
// starts on, by the grammar the server reads (common/csv.h: RFC 4180, a leading BOM dropped,
// blank lines outside quotes skipped, CRLF or LF). The portal posts the file in batches, each
// the header plus some records, and maps the server's errors back to lines of the file.

// Returns {header, headerLine, headerText, records: [{line, text, fields}]}; throws
// {line, message} for a quote in a plain field, an unclosed quote or a wrong field count.
export function splitCsv(input) {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const rows = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const startLine = line;
    const start = i;
    const fields = [];
    let value = '';
    let quoted = false;
    let fieldStart = true;
    for (;;) {
      if (i >= text.length) {
        if (quoted) throw {line: startLine, message: 'a quoted field is not closed'};
        fields.push(value);
        break;
      }
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { value += '"'; i += 2; continue; }
        if (c === '"') { quoted = false; i++; continue; }
        if (c === '\n') line++;
        value += c; i++;
        continue;
      }
      if (c === '"' && fieldStart) { quoted = true; fieldStart = false; i++; continue; }
      if (c === '"') throw {line, message: 'a quote inside an unquoted field'};
      if (c === ',') { fields.push(value); value = ''; fieldStart = true; i++; continue; }
      if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
        fields.push(value);
        i += c === '\r' ? 2 : 1;
        line++;
        break;
      }
      value += c; fieldStart = false; i++;
    }
    const raw = text.slice(start, i).replace(/\r?\n$/, '');
    if (raw === '') continue;  // a blank line
    rows.push({line: startLine, text: raw, fields});
  }
  if (!rows.length) throw {line: 1, message: 'the file is empty'};
  // The header: the first line, or else the first of the next ten that names the bank's columns
  // (an export may put a title line above its header; the server looks for it the same way).
  const names = (r) => r.fields.map((f) => f.trim());
  const isHeader = (r) => names(r).includes('learner') && names(r).includes('unit');
  let at = isHeader(rows[0]) ? 0 : rows.slice(0, 11).findIndex(isHeader);
  if (at < 0) at = 0;
  const head = rows[at];
  const records = rows.slice(at + 1);
  for (const r of records) {
    if (r.fields.length !== head.fields.length) {
      throw {line: r.line, message: `expected ${head.fields.length} fields as in the header (line ${head.line}), found ${r.fields.length}`};
    }
  }
  return {header: head.fields.map((f) => f.trim()), headerLine: head.line, headerText: head.text, records};
}

// Batches of at most `size` records: {start, text, lines} where lines[k] is the line within
// the batch text on which its k-th record starts.
export function batches(csv, size) {
  const out = [];
  for (let start = 0; start < csv.records.length; start += size) {
    const recs = csv.records.slice(start, start + size);
    const lines = [];
    let at = 2;
    for (const r of recs) {
      lines.push(at);
      at += r.text.split('\n').length;
    }
    out.push({start, count: recs.length, lines, text: `${csv.headerText}\n${recs.map((r) => r.text).join('\n')}\n`});
  }
  return out;
}

// One CSV line of `fields` as the server reads it (common/csv.h): a field with a comma, a quote,
// a line break or edge spaces is quoted, its quotes doubled.
export function csvLine(fields) {
  return fields.map((f) => (/[",\r\n]|^\s|\s$/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

// "A", "B", ... "Z", "AA": the spreadsheet name of the column at `index` (0-based).
export function columnLetter(index) {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

// Reads a file's bytes as UTF-8, or else as GB18030 (what Excel writes on Chinese Windows).
export function decode(bytes) {
  try {
    return {text: new TextDecoder('utf-8', {fatal: true}).decode(bytes), encoding: 'utf-8'};
  } catch (e) {
    return {text: new TextDecoder('gb18030').decode(bytes), encoding: 'gb18030'};
  }
}
