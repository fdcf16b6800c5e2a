// Filters return `limit` hits whenever enough documents match, however selective — on both strategies:
// exact scoring of the matching chunks, and FAISS results post-filtered with a growing k.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

const COLOURS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];

describe.each([
  ['exact subset scoring', 50_000],
  ['post-filtered FAISS with growing k', 1],
])('filters with %s', (_name, filterExactMax) => {
  let t: TestLoupe;
  beforeAll(async () => {
    t = await createTestLoupe({ filterExactMax });
    await t.loupe.indexes.create({ name: 'notes', regionMethod: 'none' });
    // 300 text-only documents; "red" ones are 1 in 6; group g has 3 documents.
    const docs = Array.from({ length: 300 }, (_, i) => ({
      id: `n${i}`,
      fields: { colour: COLOURS[i % 6]!, group: Math.floor(i / 3), even: i % 2 === 0, label: `item ${i}` },
    }));
    const res = await t.loupe.documents.add('notes', docs);
    expect(res.every((r) => r.ok)).toBe(true);
  }, 120_000);
  afterAll(() => t?.close());

  it('returns every match of a very selective filter even when the query prefers other documents', async () => {
    // group 8 = n24, n25, n26: red, blue, green. The query "blue" matches 49 documents outside the group as well.
    const res = await t.loupe.search.search('notes', { q: 'blue', filters: [{ field: 'group', eq: 8 }], limit: 10 });
    expect(res.hits.map((h) => h.id).sort()).toEqual(['n24', 'n25', 'n26']);
    expect(res.hits[0]!.id).toBe('n25'); // the blue one scores best
  });

  it('fills the page when enough documents match', async () => {
    // groups 10-19 are n30-n59; the even ones are red, green or purple (15 documents).
    const res = await t.loupe.search.search('notes', {
      q: 'green',
      filters: [
        { field: 'group', gte: 10, lt: 20 },
        { field: 'even', eq: true },
      ],
      limit: 10,
    });
    expect(res.hits).toHaveLength(10);
    for (const h of res.hits) {
      expect(h.fields.group as number).toBeGreaterThanOrEqual(10);
      expect(h.fields.group as number).toBeLessThan(20);
      expect(h.fields.even).toBe(true);
    }
    // the 5 green documents among them come first
    expect(res.hits.slice(0, 5).map((h) => h.fields.colour)).toEqual(Array(5).fill('green'));
  });

  it('combines IN with searchableAttributes and pages with the cursor without repeats', async () => {
    const ids: string[] = [];
    const colours: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const res = await t.loupe.search.search('notes', {
        q: 'green',
        filters: [{ field: 'colour', in: ['green', 'yellow'] }],
        searchableAttributes: ['colour'],
        limit: 40,
        after,
      });
      ids.push(...res.hits.map((h) => h.id));
      colours.push(...res.hits.map((h) => h.fields.colour as string));
      if (!res.nextCursor) break;
      after = res.nextCursor;
    }
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
    expect(colours.slice(0, 50).every((c) => c === 'green')).toBe(true);
    expect(colours.slice(50).every((c) => c === 'yellow')).toBe(true);
  });

  it('treats injection-looking values as plain values', async () => {
    const res = await t.loupe.search.search('notes', { q: 'red', filters: [{ field: 'colour', eq: "red' OR '1'='1" }] });
    expect(res.hits).toEqual([]);
    await expect(t.loupe.search.search('notes', { q: 'red', filters: [{ field: "colour'); DROP TABLE chunks; --", eq: 'x' }] })).rejects.toThrow(
      /Expected a field name for filters.field/,
    );
  });
});

describe('filters: eq null', () => {
  let t: TestLoupe;
  beforeAll(async () => {
    t = await createTestLoupe();
    await t.loupe.indexes.create({ name: 'tagged', regionMethod: 'none' });
    const res = await t.loupe.documents.add('tagged', [
      { id: 'no-tag', fields: { label: 'red note', tag: null } },
      { id: 'tagged', fields: { label: 'red note', tag: 'x' } },
      { id: 'untagged-field', fields: { label: 'red note' } },
    ]);
    expect(res.every((r) => r.ok)).toBe(true);
  }, 120_000);
  afterAll(() => t?.close());

  it('matches the documents whose field holds null, through GraphQL as documented', async () => {
    const data = await t.gql<{ search: { hits: { id: string }[] } }>(
      `query ($f: [FilterInput!]) { search(index: "tagged", input: { q: "red", filters: $f }) { ... on SearchResponse { hits { id } } ... on LoupeError { code message } } }`,
      { f: [{ field: 'tag', eq: null }] },
    );
    expect(data.search.hits.map((h) => h.id)).toEqual(['no-tag']);
  });

  it('keeps a null for the other operators meaning "not given" (a GraphQL client sends unset fields as null)', async () => {
    const res = await t.loupe.search.search('tagged', { q: 'red', filters: [{ field: 'tag', eq: 'x', gt: null, in: null } as never] });
    expect(res.hits.map((h) => h.id)).toEqual(['tagged']);
    await expect(t.loupe.search.search('tagged', { q: 'red', filters: [{ field: 'tag', gt: null } as never] })).rejects.toThrow(
      /Expected one of eq, in, gt, gte, lt, lte for filters\[tag\]/,
    );
  });
});
