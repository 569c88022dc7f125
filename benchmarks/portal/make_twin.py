"""Writes the static twin of a measured page: the same number of files of the same sizes.

make_twin.py PROBE.json OUT_DIR: PROBE is one line of measure.mjs output for the portal.
index.html has the size of the portal's index.html, a visible heading and paragraph (so the
browser has something to paint), one style sheet the size of app.css, and one script per
other file the portal loaded (its modules and its API answers), each padded to that size.
"""
import json
import os
import sys

probe = json.loads(open(sys.argv[1]).readline())
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
sizes = probe["sizes"]
page_size = sizes[0][1]
style = next((s for name, s in sizes if name.endswith(".css")), 0)
others = [s for name, s in sizes[1:] if not name.endswith(".css")]


def pad(text, size, comment):
    filler = max(0, size - len(text.encode()) - len(comment[0]) - len(comment[1]))
    return text + comment[0] + "x" * filler + comment[1]


with open(os.path.join(out, "app.css"), "w") as f:
    f.write(pad("body{font-family:system-ui,sans-serif;margin:0 1rem}h1{font-size:2rem}", style, ("/*", "*/")))
scripts = []
for i, size in enumerate(others):
    name = f"s{i}.js"
    scripts.append(f'<script src="{name}" defer></script>')
    with open(os.path.join(out, name), "w") as f:
        f.write(pad(f"window.s{i}=1;", size, ("/*", "*/")))
head = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Static twin</title>'
        '<link rel="stylesheet" href="app.css">' + "".join(scripts) + "</head><body>"
        "<h1>Your passbook</h1><p>37 credits</p>")
with open(os.path.join(out, "index.html"), "w") as f:
    f.write(pad(head, page_size - len("</body></html>"), ("<!--", "-->")) + "</body></html>")
