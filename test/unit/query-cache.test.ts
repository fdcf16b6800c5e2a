// QueryEmbeddingCache: the text tower runs once per (model, text) while the entry is among the most recent.
import { describe, expect, it } from 'vitest';
import type { EmbeddingModel } from '../../src/services/ports.js';
import { QueryEmbeddingCache } from '../../src/services/query-cache.js';
import { SearchService } from '../../src/services/search-service.js';
import { fakeSearchDeps } from './fakes.js';

function countingModel(id: string): EmbeddingModel & { runs: string[] } {
  const runs: string[] = [];
  return {
    id,
    dimension: 2,
    preprocessing: { size: 1, mode: 'squash', mean: [0, 0, 0], std: [1, 1, 1] },
    embedImages: async () => new Float32Array([1, 0]),
    embedTexts: async (texts: string[]) => (runs.push(...texts), Float32Array.from([texts[0]!.length, 1])),
    runs,
  };
}

describe('QueryEmbeddingCache', () => {
  it('embeds a repeated text once, per model, and returns the same vector', async () => {
    const cache = new QueryEmbeddingCache(8);
    const a = countingModel('a');
    const b = countingModel('b');
    const first = await cache.embed(a, 'red duck');
    expect(await cache.embed(a, 'red duck')).toBe(first);
    await cache.embed(b, 'red duck');
    expect(a.runs).toEqual(['red duck']);
    expect(b.runs).toEqual(['red duck']);
  });

  it('drops the least recently used text past its capacity', async () => {
    const cache = new QueryEmbeddingCache(2);
    const m = countingModel('m');
    await cache.embed(m, 'one');
    await cache.embed(m, 'two');
    await cache.embed(m, 'one'); // "two" is now the oldest
    await cache.embed(m, 'three');
    await cache.embed(m, 'one');
    await cache.embed(m, 'two');
    expect(m.runs).toEqual(['one', 'two', 'three', 'two']);
  });

  it('is off at capacity 0, and refuses a bad capacity', async () => {
    const m = countingModel('m');
    const cache = new QueryEmbeddingCache(0);
    await cache.embed(m, 'x');
    await cache.embed(m, 'x');
    expect(m.runs).toEqual(['x', 'x']);
    expect(() => new QueryEmbeddingCache(-1)).toThrow(/non-negative integer/);
  });

  it('serves the next page of a search without running the text tower again', async () => {
    const fake = fakeSearchDeps(Array.from({ length: 30 }, (_, i) => ({ pk: BigInt(i + 1), id: `d${i + 1}`, vector: [1 - i / 40, i / 40], fields: {} })));
    const model = countingModel('fake-clip');
    const search = new SearchService({ ...fake.deps, indexes: { ...fake.deps.indexes, modelFor: async () => model } });
    const page1 = await search.search('fake', { q: 'duck', limit: 10 });
    const page2 = await search.search('fake', { q: 'duck', after: page1.nextCursor! });
    expect(page2.hits.map((h) => h.id)).not.toContain(page1.hits[0]!.id);
    expect(model.runs).toEqual(['duck']);
  });
});
