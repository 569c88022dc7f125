// jsonld.js in safe mode on every document of a folder: prints {file: "accept" | "reject: <code>"}
// as JSON. Used by run_interop.sh to compare with the C++ checker (credential_tool safe-mode).
import jsonld from 'jsonld';
import {readdirSync, readFileSync} from 'node:fs';
import {documentLoader} from './loader.mjs';

const dir = process.argv[2];
const out = {};
for (const file of readdirSync(dir).filter(f => f.endsWith('.json')).sort()) {
  const doc = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
  try {
    await jsonld.expand(doc, {documentLoader, safe: true, base: null});
    out[file] = 'accept';
  } catch (e) {
    out[file] = 'reject: ' + (e.details?.event?.code ?? e.details?.code ?? e.name ?? e.message);
  }
}
console.log(JSON.stringify(out, null, 1));
