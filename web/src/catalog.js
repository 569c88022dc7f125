// Names of catalog objects (institutions, units, programs) for display, read once per page
// load from the public catalog API. A failed read shows the id instead.
import * as api from './api.js';

const cache = new Map();

function lookup(kind, id, pick) {
  const key = `${kind}/${id}`;
  if (!cache.has(key)) {
    cache.set(key, api.get(`/v1/${kind}/${api.enc(id)}`)
      .then((r) => (r.ok && r.data ? r.data : null))
      .catch(() => null));
  }
  return cache.get(key).then((doc) => (doc ? pick(doc) || id : id));
}

export const institutionName = (id) => lookup('institutions', id, (d) => d.name);
export const unitTitle = (id) => lookup('units', id, (d) => d.title);
export const program = (id) => lookup('programs', id, (d) => d).then((d) => (typeof d === 'object' ? d : null));

// Names for many ids at once: Map id -> name.
export async function names(fn, ids) {
  const list = [...new Set(ids)];
  const values = await Promise.all(list.map(fn));
  return new Map(list.map((id, i) => [id, values[i]]));
}

// Every page of a catalog list (GET /v1/<kind>?institution=), up to `max` items.
export async function listAll(kind, institution, max = 1000) {
  const items = [];
  let cursor = '';
  while (items.length < max) {
    const q = new URLSearchParams({limit: '200'});
    if (institution) q.set('institution', institution);
    if (cursor) q.set('cursor', cursor);
    const r = await api.get(`/v1/${kind}?${q}`);
    if (!r.ok) break;
    items.push(...r.data.items);
    if (!r.data.next_cursor) break;
    cursor = r.data.next_cursor;
  }
  return items;
}
