// Horizontal bar charts as inline SVG. Widths are percentages of the chart, so the chart fits
// any screen without scaling its text; each row is a label line above its bar and value. The
// same figures are in a table under the chart, for screen readers and for copying.
import {h, svg, table} from './dom.js';
import {num, t} from './i18n.js';

const ROW = 40;  // px per row: label (16) + bar (14) + gap
const LABEL_WIDTH = 36;  // in Latin-letter widths (a CJK character counts 2): fits 320 px

// SVG text does not wrap: a long label is cut with an ellipsis (the table keeps it whole).
function fit(label) {
  let width = 0;
  const chars = Array.from(String(label));
  for (let i = 0; i < chars.length; i++) {
    width += chars[i].codePointAt(0) >= 0x1100 ? 2 : 1;
    if (width > LABEL_WIDTH) return `${chars.slice(0, i).join('')}…`;
  }
  return String(label);
}

// entries: [[label, value]], largest first unless `keepOrder`.
export function barChart({id, title, entries, valueLabel, keepOrder}) {
  const rows = keepOrder ? entries : [...entries].sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map(([, v]) => v));
  const captionId = `${id}-caption`;
  const graphic = svg('svg', {class: 'chart', width: '100%', height: rows.length * ROW + 4,
    role: 'img', 'aria-labelledby': captionId, focusable: 'false'},
  rows.map(([label, value], i) => {
    const y = i * ROW;
    const pct = (value / max) * 78;
    return svg('g', null,
      svg('text', {x: 0, y: y + 14, class: 'chart-label'}, fit(label), svg('title', null, label)),
      svg('rect', {x: 0, y: y + 20, width: `${Math.max(pct, 0.5)}%`, height: 14, class: 'chart-bar'}),
      svg('text', {x: `${pct + 1.5}%`, y: y + 32, class: 'chart-value'}, num(value)));
  }));
  return h('figure', {class: 'chart-figure', id},
    h('figcaption', {class: 'heading-s', id: captionId}, title),
    rows.length ? graphic : h('p', {class: 'hint'}, t(['暂无数据', 'Nothing yet'])),
    rows.length ? h('details', {class: 'details'},
      h('summary', null, t(['以表格显示', 'Show as a table'])),
      table(null, [t(['类别', 'Category']), valueLabel], rows.map(([l, v]) => [l, num(v)]), {rowHeaders: true}))
      : null);
}
