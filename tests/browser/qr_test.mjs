// The portal's QR encoder (web/src/qr.js) against two oracles: the published byte-mode
// capacities of ISO/IEC 18004 Table 7 (each text that just fits a version gets that version,
// one byte more gets the next), and zbar (Debian's zbarimg), which must read back every code,
// versions 1 to 40, exactly.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {qrMatrix} from '../../web/src/qr.js';

// Byte-mode capacity at error correction level M, versions 1..40 (ISO/IEC 18004:2015 Table 7).
const CAPACITY_M = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504,
  560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809,
  1911, 1989, 2099, 2213, 2331];
const CAPACITY_L_40 = 2953;

// A text of `n` bytes that uses the whole byte range a URL or a JWT would.
function text(n, seed) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&()*+,;=%';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[(i * 7 + seed * 13 + (i >> 3)) % alphabet.length];
  return s;
}

const version = (m) => (m.length - 17) / 4;

function decode(matrix, dir, name) {
  const scale = 4, quiet = 4;
  const size = (matrix.length + 2 * quiet) * scale;
  const pixels = Buffer.alloc(size * size, 255);
  matrix.forEach((row, y) => row.forEach((dark, x) => {
    if (!dark) return;
    for (let dy = 0; dy < scale; dy++) {
      pixels.fill(0, ((y + quiet) * scale + dy) * size + (x + quiet) * scale,
        ((y + quiet) * scale + dy) * size + (x + quiet + 1) * scale);
    }
  }));
  const file = join(dir, `${name}.pgm`);
  writeFileSync(file, Buffer.concat([Buffer.from(`P5 ${size} ${size} 255\n`), pixels]));
  return execFileSync('zbarimg', ['--quiet', '--raw', '-Sbinary', file], {stdio: ['ignore', 'pipe', 'ignore']}).toString('utf8').replace(/\n$/, '');
}

test('the smallest version that holds the text is chosen', () => {
  CAPACITY_M.forEach((cap, i) => {
    assert.equal(version(qrMatrix(text(cap, i))), i + 1, `${cap} bytes`);
    if (i < 39) assert.equal(version(qrMatrix(text(cap + 1, i))), i + 2, `${cap + 1} bytes`);
  });
  // Beyond level M's largest, level L's version 40; beyond that, an error.
  assert.equal(version(qrMatrix(text(CAPACITY_L_40, 1))), 40);
  assert.throws(() => qrMatrix(text(CAPACITY_L_40 + 1, 1)));
});

test('zbar reads every version back', (t) => {
  try {
    execFileSync('zbarimg', ['--version'], {stdio: 'ignore'});
  } catch (e) {
    if (process.env.CI === 'true') throw new Error('zbarimg is missing (scripts/deps.sh installs zbar-tools)');
    t.skip('zbarimg is not installed (apt-get install zbar-tools)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'qr-'));
  try {
    const cases = CAPACITY_M.map((cap, i) => text(cap, i));
    cases.push(text(CAPACITY_L_40, 3), text(1, 0), 'http://127.0.0.1:8080/portal/#/sign-in?code=7KQ2-9MXA-4TRB',
      '学分银行 · 学分证明 https://example.edu.cn/');
    cases.forEach((s, i) => assert.equal(decode(qrMatrix(s), dir, `c${i}`), s, `case ${i} (${s.length} bytes)`));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
