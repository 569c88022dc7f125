// Where each value of a JSON text starts, by JSON pointer (RFC 6901), so that an error the API
// reports at "/rules/0/grant" can be shown at its line in the text the person typed.

// Returns {value, lines: Map pointer -> 1-based line} or throws {line, message}.
export function parseWithLines(text) {
  let i = 0;
  const lines = new Map();
  const lineAt = (pos) => text.slice(0, pos).split('\n').length;
  const fail = (message) => { throw {line: lineAt(i), message}; };
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

  function value(ptr) {
    ws();
    lines.set(ptr, lineAt(i));
    const c = text[i];
    if (c === '{') return object(ptr);
    if (c === '[') return array(ptr);
    if (c === '"') return string();
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail(i >= text.length ? 'the text ends too soon' : `unexpected "${c}"`);
    i += m[0].length;
    return JSON.parse(m[0]);
  }
  function string() {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(text.slice(i));
    if (!m) fail('a string is not closed or has a bad escape');
    i += m[0].length;
    return JSON.parse(m[0]);
  }
  function object(ptr) {
    const out = {};
    i++;
    ws();
    if (text[i] === '}') { i++; return out; }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a member name in double quotes');
      const key = string();
      if (Object.prototype.hasOwnProperty.call(out, key)) fail(`"${key}" appears twice`);
      ws();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      out[key] = value(`${ptr}/${esc(key)}`);
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; return out; }
      fail('expected "," or "}"');
    }
  }
  function array(ptr) {
    const out = [];
    i++;
    ws();
    if (text[i] === ']') { i++; return out; }
    for (;;) {
      out.push(value(`${ptr}/${out.length}`));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; return out; }
      fail('expected "," or "]"');
    }
  }

  const result = value('');
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return {value: result, lines};
}

// The line of `pointer`, or of its nearest ancestor that the text has.
export function lineOf(lines, pointer) {
  let p = pointer || '';
  for (;;) {
    if (lines.has(p)) return lines.get(p);
    if (!p) return 1;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
