#!/usr/bin/env bash
# Registrar import rate (issue 17): `creditbank import` of a GB18030 CSV and of the same rows as
# XLSX, beside the same number of records posted as JSON over HTTP, in one run, interleaved
# (JSON, GB18030, XLSX, then JSON again to show drift). Every phase posts ROWS new records in
# batches of 500 over one keep-alive connection (import's defaults; the JSON client is given the
# same), to the same 200 learners, one institution, with durable acknowledgements.
#   benchmarks/load/import.sh [ROWS, default 100000]
#   CREDITBANK_BIN=/path/to/creditbank benchmarks/load/import.sh   (another build)
#   IMPORT_WRAP='perf record -g -o /tmp/import.perf --' benchmarks/load/import.sh   (a command
#   put before each `creditbank import`, to profile or time it)
# The import time includes everything a registrar waits for: reading and decoding the file,
# checking every line (against the catalog too), the server's dry run, then the posting.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows="${1:-100000}"
bin=${CREDITBANK_BIN:-build/cli/creditbank}
[ -x "$bin" ] || scripts/build.sh default
work=$(mktemp -d /tmp/cb-import.XXXXXX)
trap 'kill $server_pid 2>/dev/null && wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT

. benchmarks/load/lib.sh
start_server "$bin" "$work"
institution_with_unit loaduni "Load University" 高等数学 0541
for _ in $(seq 1 200); do
  curl -sf -X POST "$B/v1/learners" -H "Authorization: Bearer $INST" -d '{}' | j '["id"]'
done > "$work/learners.txt"

# The files: the bank's CSV header, Chinese text in external_ref (so the decoder has work), the
# same rows as GB18030 CSV and as an XLSX workbook (inline strings, one sheet).
python3 - "$work" "$rows" <<'PY'
import sys, zipfile
work, rows = sys.argv[1], int(sys.argv[2])
learners = open(f"{work}/learners.txt").read().split()
header = ["learner", "unit", "external_ref", "grade_scale", "grade_value", "completed_on"]
def row(prefix, i):
    return [learners[i % len(learners)], "loaduni:C1", f"{prefix}-期末-{i}", "percent",
            str(60 + i % 40), f"20{15 + i % 10}-0{1 + i % 9}-15"]
def csv(prefix):
    return "\n".join(",".join(r) for r in [header] + [row(prefix, i) for i in range(rows)]) + "\n"
open(f"{work}/rows-gb18030.csv", "wb").write(csv("g").encode("gb18030"))
def cell(col, r, text):
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{col}{r}" t="inlineStr"><is><t>{text}</t></is></c>'
cols = "ABCDEF"
sheet = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
for r, values in enumerate([header] + [row("x", i) for i in range(rows)], start=1):
    sheet.append(f'<row r="{r}">' + "".join(cell(cols[c], r, v) for c, v in enumerate(values)) + "</row>")
sheet.append("</sheetData></worksheet>")
parts = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="成绩" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/worksheets/sheet1.xml": "\n".join(sheet),
}
with zipfile.ZipFile(f"{work}/rows.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)
PY
ls -l "$work"/rows-gb18030.csv "$work"/rows.xlsx | awk '{print "== file " $NF ": " $5 " bytes"}'

# JSON: the same rows as {"records":[...]} bodies of 500, serialized before the clock starts,
# posted one after another on one keep-alive connection.
post_json() {
  python3 - "$B" "$INST" "$work/learners.txt" "$rows" "$1" <<'PY'
import http.client, json, sys, time, urllib.parse
base, token, learners_file, rows, prefix = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
learners = open(learners_file).read().split()
bodies = []
for start in range(0, rows, 500):
    recs = [{"learner": learners[i % len(learners)], "unit": "loaduni:C1",
             "external_ref": f"{prefix}-期末-{i}", "grade": {"scale": "percent", "value": str(60 + i % 40)},
             "completed_on": f"20{15 + i % 10}-0{1 + i % 9}-15"} for i in range(start, min(rows, start + 500))]
    bodies.append(json.dumps({"records": recs}, ensure_ascii=False).encode())
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
t0 = time.monotonic()
for b in bodies:
    conn.request("POST", "/v1/records", body=b, headers=headers)
    r = conn.getresponse()
    r.read()
    if r.status not in (200, 201):
        sys.exit(f"POST /v1/records: {r.status}")
dt = time.monotonic() - t0
print(f"{rows / dt:.0f} {dt:.2f}")
PY
}
import_file() {  # FILE -> "records/s seconds"
  local t0 t1
  t0=$(date +%s.%N)
  ${IMPORT_WRAP:-} "$bin" import --file "$1" --institution loaduni --server "$B" --token "$INST" >"$work/import.out" 2>&1 ||
    { cat "$work/import.out" >&2; exit 1; }
  t1=$(date +%s.%N)
  grep -E '^(import /|client:)' "$work/import.out" >&2 || true
  python3 -c "d=$t1-$t0; print(f'{$rows/d:.0f} {d:.2f}')"
}

echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $rows rows per phase"
read -r j1 j1s <<<"$(post_json j1)"; echo "JSON over HTTP (1):   $j1 records/s ($j1s s)"
read -r g g_s <<<"$(import_file "$work/rows-gb18030.csv")"; echo "import GB18030 CSV:   $g records/s ($g_s s)"
read -r x x_s <<<"$(import_file "$work/rows.xlsx")"; echo "import XLSX:          $x records/s ($x_s s)"
read -r j2 j2s <<<"$(post_json j2)"; echo "JSON over HTTP (2):   $j2 records/s ($j2s s)"
python3 -c "
j = ($j1 + $j2) / 2
print(f'ratio to the mean JSON rate ({j:.0f}/s): GB18030 CSV {$g / j:.2f}x, XLSX {$x / j:.2f}x (limit >= 0.5x)')"
