// The search path's own logic — pagination, filters, fusion, rerank ordering — over fakes of its ports
// (test/unit/fakes.ts): no Postgres, no ONNX Runtime, no FAISS. The integration suites run the same paths for real.
import { describe, expect, it } from 'vitest';
import type { SearchRequest } from '../../src/domain/search.js';
import { fuse } from '../../src/services/search-candidates.js';
import { SearchService } from '../../src/services/search-service.js';
import { checkFilters, decodeCursor, encodeCursor } from '../../src/services/search-request.js';
import { fakeSearchDeps, type FakeDocument } from './fakes.js';

/** n documents, first-stage order pk 1, 2, ..., n (scores falling); the reranker prefers higher pks when `ascending`. */
function corpus(n: number, rerank: (pk: number) => number | undefined = (pk) => 0.01 + 0.98 * (pk / (n + 1))): FakeDocument[] {
  return Array.from({ length: n }, (_, i) => {
    const pk = i + 1;
    const angle = (pk / (n + 1)) * (Math.PI / 2);
    return {
      pk: BigInt(pk),
      id: `d${pk}`,
      fields: { n: pk, parity: pk % 2 === 0 ? 'even' : 'odd' },
      vector: [Math.cos(angle), Math.sin(angle)],
      rerankScore: rerank(pk),
    };
  });
}

/** Every page of a search, following nextCursor. */
async function allPages(search: SearchService, req: SearchRequest): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (let i = 0; i < 50; i++) {
    const res = await search.search('fake', { ...req, after });
    pages.push(res.hits.map((h) => h.id));
    if (!res.nextCursor) return pages;
    after = res.nextCursor;
  }
  throw new Error('more than 50 pages');
}

const ids = (...pks: number[]) => pks.map((pk) => `d${pk}`);
const range = (from: number, to: number) => Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => (from <= to ? from + i : from - i));

describe('pagination', () => {
  it('pages through the first-stage order with the cursor, each hit once', async () => {
    const search = new SearchService(fakeSearchDeps(corpus(25)).deps);
    expect(await allPages(search, { q: 'x', limit: 10 })).toEqual([ids(...range(1, 10)), ids(...range(11, 20)), ids(...range(21, 25))]);
  });

  it('answers offset as the cursor does, and refuses a cursor it did not make', async () => {
    const search = new SearchService(fakeSearchDeps(corpus(12)).deps);
    const byOffset = await search.search('fake', { q: 'x', limit: 5, offset: 5 });
    expect(byOffset.hits.map((h) => h.id)).toEqual(ids(...range(6, 10)));
    expect(byOffset.nextCursor).toBe(encodeCursor(10));
    expect(decodeCursor(encodeCursor(10))).toBe(10);
    await expect(search.search('fake', { q: 'x', after: 'not-a-cursor' })).rejects.toThrow(/Expected a cursor returned by a previous search for after/);
  });

  it('takes its defaults from one place (method TENSOR, limit 10, offset 0)', async () => {
    const res = await new SearchService(fakeSearchDeps(corpus(30)).deps).search('fake', { q: 'x' });
    expect(res).toMatchObject({ method: 'TENSOR', limit: 10, offset: 0 });
    expect(res.hits).toHaveLength(10);
  });
});

describe('reranked pagination (rerank.depth counts from the top of the result)', () => {
  it('shows each hit exactly once across pages when depth > limit: reranked head, then first-stage tail', async () => {
    // The reranker prefers higher pks, so it reverses the first 20 first-stage hits.
    const search = new SearchService(fakeSearchDeps(corpus(30)).deps);
    const pages = await allPages(search, { q: 'x', limit: 10, rerank: { depth: 20 } });
    expect(pages).toEqual([ids(...range(20, 11)), ids(...range(10, 1)), ids(...range(21, 30))]);
    expect(new Set(pages.flat()).size).toBe(30);
  });

  it('is the same ordering whichever page a client starts on (offset inside the head, across its end, past it)', async () => {
    const search = new SearchService(fakeSearchDeps(corpus(30)).deps);
    const full = (await search.search('fake', { q: 'x', limit: 30, rerank: { depth: 20 } })).hits.map((h) => h.id);
    for (const offset of [0, 3, 15, 19, 20, 25]) {
      const page = await search.search('fake', { q: 'x', limit: 7, offset, rerank: { depth: 20 } });
      expect(
        page.hits.map((h) => h.id),
        `offset ${offset}`,
      ).toEqual(full.slice(offset, offset + 7));
      expect(page.nextCursor !== null, `offset ${offset}`).toBe(offset + 7 < 30);
    }
  });

  it('marks reranked hits, keeps their first-stage score, and leaves hits past depth as they were', async () => {
    const search = new SearchService(fakeSearchDeps(corpus(8)).deps);
    const res = await search.search('fake', { q: 'x', limit: 8, rerank: { depth: 4 } });
    expect(res.hits.map((h) => h.id)).toEqual(ids(4, 3, 2, 1, 5, 6, 7, 8));
    expect(res.hits.slice(0, 4).every((h) => h.rerankStatus === 'RERANKED' && h.retrievalScore !== null)).toBe(true);
    expect(res.hits[0]!.score).toBeCloseTo(0.01 + 0.98 * (4 / 9), 5);
    expect(res.hits.slice(4).every((h) => h.rerankStatus === null && h.retrievalScore === null)).toBe(true);
  });

  it('puts unreadable images after the reranked hits of the head, marked, on the page they fall on', async () => {
    const docs = corpus(6, (pk) => (pk === 2 ? undefined : pk / 10));
    const search = new SearchService(fakeSearchDeps(docs).deps);
    const pages = await allPages(search, { q: 'x', limit: 2, rerank: { depth: 4 } });
    expect(pages).toEqual([ids(4, 3), ids(1, 2), ids(5, 6)]);
    const second = await search.search('fake', { q: 'x', limit: 2, offset: 2, rerank: { depth: 4 } });
    expect(second.hits[1]).toMatchObject({ id: 'd2', rerankStatus: 'IMAGE_UNAVAILABLE', rerankMessage: 'image 2 is gone' });
  });

  it('with a rerank minScore, pages only the hits the detector vouches for (none past depth)', async () => {
    // Scores 0.1 .. 0.9 by pk; minScore 0.45 keeps pks 5..9 of the head (depth 9), best first.
    const search = new SearchService(fakeSearchDeps(corpus(12, (pk) => Math.min(0.99, pk / 10))).deps);
    const pages = await allPages(search, { q: 'x', limit: 2, rerank: { depth: 9, minScore: 0.45 } });
    expect(pages).toEqual([ids(9, 8), ids(7, 6), ids(5)]);
    const past = await search.search('fake', { q: 'x', limit: 2, offset: 10, rerank: { depth: 9, minScore: 0.45 } });
    expect(past.hits).toEqual([]);
    expect(past.nextCursor).toBeNull();
  });

  it('reranks the head only: the reranker sees depth images, not the page', async () => {
    const fake = fakeSearchDeps(corpus(30));
    await new SearchService(fake.deps).search('fake', { q: 'x', limit: 5, offset: 25, rerank: { depth: 10 } });
    expect(fake.reranked).toEqual([]); // past the head: first-stage order, nothing to rerank
    await new SearchService(fake.deps).search('fake', { q: 'x', limit: 5, rerank: { depth: 10 } });
    expect(fake.reranked.map(Number).sort((a, b) => a - b)).toEqual(range(1, 10));
  });
});

describe('filters', () => {
  it('passes eq: null through as an operator (the field holds null), and drops null for the others', () => {
    expect(checkFilters([{ field: 'tag', eq: null }])).toEqual([{ field: 'tag', eq: null }]);
    expect(checkFilters([{ field: 'n', eq: 3, gt: null, in: null } as never])).toEqual([{ field: 'n', eq: 3 }]);
    expect(checkFilters([{ field: 'n', gte: 2, lt: 5 }])).toEqual([{ field: 'n', gte: 2, lt: 5 }]);
    expect(checkFilters(undefined)).toEqual([]);
  });

  it('refuses filters without an operator, bad names and bad values with the one message template', () => {
    expect(() => checkFilters([{ field: 'n' }])).toThrow(/^Expected one of eq, in, gt, gte, lt, lte for filters\[n\] but received/);
    expect(() => checkFilters([{ field: 'n', gt: null } as never])).toThrow(/Expected one of eq, in, gt, gte, lt, lte for filters\[n\]/);
    expect(() => checkFilters([{ field: '__proto__', eq: 1 }])).toThrow(/Expected a field name for filters.field/);
    expect(() => checkFilters([{ field: 'n', gt: Number.NaN }])).toThrow(/Expected a finite number for filters\[n\].gt/);
    expect(() => checkFilters([{ field: 'n', eq: 'a\u0000b' }])).toThrow(/without NUL characters/);
    expect(() => checkFilters(Array.from({ length: 33 }, () => ({ field: 'n', eq: 1 })))).toThrow(/Expected at most 32 filters/);
  });

  it('searches only the documents that pass, and hands the documents port the checked filters', async () => {
    const fake = fakeSearchDeps(corpus(20));
    const res = await new SearchService(fake.deps).search('fake', {
      q: 'x',
      limit: 5,
      filters: [{ field: 'parity', eq: 'even' }, { field: 'n', gt: 4, in: null } as never],
    });
    expect(res.hits.map((h) => h.id)).toEqual(ids(6, 8, 10, 12, 14));
    expect(fake.constraints).toEqual([
      {
        where: {
          and: [
            { field: 'parity', eq: 'even' },
            { field: 'n', gt: 4 },
          ],
        },
        fields: undefined,
      },
    ]);
  });

  it('post-filters vector hits with a growing k when the filter is too broad for exact scoring', async () => {
    const fake = fakeSearchDeps(corpus(300));
    const res = await new SearchService({ ...fake.deps, filterExactMax: 1 }).search('fake', { q: 'x', limit: 3, filters: [{ field: 'n', gte: 290 }] });
    expect(res.hits.map((h) => h.id)).toEqual(ids(290, 291, 292));
  });
});

describe('fuse (reciprocal-rank fusion)', () => {
  const c = (pk: number, score: number, kind: 'tensor' | 'lexical') => ({
    documentPk: BigInt(pk),
    score,
    tensorScore: kind === 'tensor' ? score : null,
    lexicalScore: kind === 'lexical' ? score : null,
    highlights: [{ field: kind, box: null, text: kind }],
    all: [
      { field: kind, box: null, text: kind },
      { field: kind, box: null, text: `${kind} 2` },
    ],
  });

  it('ranks a document found by both lists above those found by one, keeping both scores and highlights', () => {
    const fused = fuse([c(1, 0.9, 'tensor'), c(2, 0.8, 'tensor')], [c(2, 5, 'lexical'), c(3, 4, 'lexical')]);
    expect(fused.map((f) => f.documentPk)).toEqual([2n, 1n, 3n]);
    expect(fused[0]).toMatchObject({ tensorScore: 0.8, lexicalScore: 5, highlights: [{ field: 'tensor' }, { field: 'lexical' }] });
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    // Every place it matched, the best of each stage first.
    expect(fused[0]!.all.map((h) => h.text)).toEqual(['tensor', 'lexical', 'tensor 2', 'lexical 2']);
  });

  it('breaks equal fused scores by document, so pages are stable', () => {
    const fused = fuse([c(7, 0.9, 'tensor')], [c(3, 1, 'lexical')]);
    expect(fused.map((f) => f.documentPk)).toEqual([3n, 7n]);
  });

  it('fuses HYBRID search end to end over the fakes', async () => {
    const docs = corpus(5).map((d) => (d.pk === 5n ? { ...d, text: { words: ['x'], rank: 1 } } : d));
    const res = await new SearchService(fakeSearchDeps(docs).deps).search('fake', { q: 'x', method: 'HYBRID', limit: 3 });
    // d1 is first by vectors alone; d5 is last by vectors but the only lexical match: 1/61 + 1/65 beats 1/61.
    expect(res.hits.map((h) => h.id)).toEqual(ids(5, 1, 2));
    expect(res.hits[0]).toMatchObject({ lexicalScore: 1 });
  });
});
