// The boolean filter tree in Postgres (repositories/filter-sql.ts) against its reference meaning (filterMatches in
// domain/filter-tree.ts) on random trees over documents with missing fields, nulls and mixed types — on both search
// strategies (exact subset scoring, post-filtered FAISS) and for LEXICAL search.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterMatches, type FilterNode } from '../../src/domain/filter-tree.js';
import type { FieldFilter } from '../../src/domain/search.js';
import type { DocumentFields } from '../../src/domain/types.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

const COLOURS = ['red', 'blue', 'green', 'yellow'];

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function documents(): { id: string; fields: DocumentFields }[] {
  const rnd = random(7);
  return Array.from({ length: 60 }, (_, i) => {
    const fields: DocumentFields = { colour: COLOURS[i % 4]!, label: `note ${i}` };
    const r = rnd();
    if (r < 0.6) fields.size = Math.floor(rnd() * 10);
    else if (r < 0.75)
      fields.size = String(Math.floor(rnd() * 10)); // text that looks like a number
    else if (r < 0.85) fields.size = null;
    if (rnd() < 0.7) fields.flag = rnd() < 0.5;
    return { id: `d${i}`, fields };
  });
}

function randomLeaf(rnd: () => number): FieldFilter {
  const k = Math.floor(rnd() * 6);
  if (k === 0) return { field: 'colour', eq: COLOURS[Math.floor(rnd() * 4)]! };
  if (k === 1) return { field: 'colour', in: [COLOURS[Math.floor(rnd() * 4)]!, COLOURS[Math.floor(rnd() * 4)]!] };
  if (k === 2) return { field: 'size', gte: Math.floor(rnd() * 10), lt: Math.floor(rnd() * 10) + 3 };
  if (k === 3) return { field: 'size', in: [3, '3', null] };
  if (k === 4) return { field: 'flag', eq: rnd() < 0.5 };
  return { field: 'missing', eq: 'x' };
}

function randomTree(rnd: () => number, depth: number): FilterNode {
  const k = rnd();
  if (depth === 0 || k < 0.35) return randomLeaf(rnd);
  if (k < 0.55) return { not: randomTree(rnd, depth - 1) };
  const children = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => randomTree(rnd, depth - 1));
  return k < 0.8 ? { and: children } : { or: children };
}

describe.each([
  ['exact subset scoring', 50_000],
  ['post-filtered FAISS with growing k', 1],
])('the filter tree with %s', (_name, filterExactMax) => {
  let t: TestLoupe;
  const docs = documents();
  beforeAll(async () => {
    t = await createTestLoupe({ filterExactMax });
    await t.loupe.indexes.create({ name: 'notes', regionMethod: 'none' });
    const res = await t.loupe.documents.add('notes', docs);
    expect(res.every((r) => r.ok)).toBe(true);
  }, 120_000);
  afterAll(() => t?.close());

  it('selects exactly the documents the reference semantics select, on 40 random trees', async () => {
    const rnd = random(filterExactMax);
    let nonTrivial = 0;
    for (let i = 0; i < 40; i++) {
      const where = randomTree(rnd, 3);
      const expected = docs
        .filter((d) => filterMatches(where, d.fields))
        .map((d) => d.id)
        .sort();
      if (expected.length > 0 && expected.length < docs.length) nonTrivial++;
      const res = await t.loupe.search.search('notes', { q: 'note', where, limit: 100 });
      expect(res.hits.map((h) => h.id).sort(), JSON.stringify(where)).toEqual(expected);
    }
    expect(nonTrivial).toBeGreaterThan(15); // the trees do select something, and not everything
  }, 120_000);

  it('filters LEXICAL search with the same tree, and ANDs the filter list with it', async () => {
    const where: FilterNode = { or: [{ field: 'colour', eq: 'red' }, { not: { field: 'flag', eq: true } }] };
    const expected = docs.filter((d) => filterMatches(where, d.fields) && d.fields.size === 3);
    const res = await t.loupe.search.search('notes', { q: 'note', method: 'LEXICAL', where, filters: [{ field: 'size', eq: 3 }], limit: 100 });
    expect(res.hits.map((h) => h.id).sort()).toEqual(expected.map((d) => d.id).sort());
    expect(expected.length).toBeGreaterThan(0);
  });
});
