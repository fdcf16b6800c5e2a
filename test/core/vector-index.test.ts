// The FAISS binding: ID-mapped inner product, exact, HNSW and the compressed kinds, add/remove/search/subset/save/load, errors as JS errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VectorIndex } from '../../src/native/vector-index.js';
import { mulberry32 } from '../../src/demo/scenes.js';

const dir = mkdtempSync(join(tmpdir(), 'loupe-vi-'));

function randomUnit(n: number, dim: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (out[i * dim + j] = rnd() * 2 - 1) ** 2;
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= Math.sqrt(norm);
  }
  return out;
}

function bruteForce(vectors: Float32Array, ids: bigint[], q: Float32Array, k: number, dim: number): bigint[] {
  return ids
    .map((id, i) => ({ id, s: q.reduce((acc, x, j) => acc + x * vectors[i * dim + j]!, 0) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.id);
}

describe.each(['flat', 'hnsw'] as const)('%s index', (kind) => {
  const dim = 16;
  const n = 500;
  const vectors = randomUnit(n, dim, 1);
  const ids = Array.from({ length: n }, (_, i) => BigInt(1000 + i * 7));

  it('finds the same top-k as brute force, skips duplicate ids, removes ids', async () => {
    const index = VectorIndex.create(dim, kind, 16);
    expect(await index.add(vectors, BigInt64Array.from(ids))).toBe(n);
    expect(await index.add(vectors.subarray(0, dim), BigInt64Array.from([ids[0]!]))).toBe(0);
    expect(index.size).toBe(n);
    const queries = randomUnit(5, dim, 2);
    const hits = await index.search(queries, 10, 256);
    for (let q = 0; q < 5; q++) {
      const expected = bruteForce(vectors, ids, queries.subarray(q * dim, (q + 1) * dim), 10, dim);
      const got = Array.from(hits.ids.subarray(q * 10, (q + 1) * 10));
      const overlap = got.filter((id) => expected.includes(id)).length;
      expect(overlap).toBeGreaterThanOrEqual(kind === 'flat' ? 10 : 9);
      if (kind === 'flat') expect(got).toEqual(expected);
    }
    const top = hits.ids[0]!;
    expect(await index.remove(BigInt64Array.from([top, 424242n]))).toBe(1);
    expect(index.contains(top)).toBe(false);
    const again = await index.search(queries.subarray(0, dim), 10, 256);
    expect(Array.from(again.ids)).not.toContain(top);
    expect(index.size).toBe(n - 1);
  });

  it('searches exactly within a subset of ids', async () => {
    const index = VectorIndex.create(dim, kind, 16);
    await index.add(vectors, BigInt64Array.from(ids));
    const subset = BigInt64Array.from([ids[3]!, ids[40]!, ids[77]!, 999n]);
    const q = vectors.subarray(40 * dim, 41 * dim);
    const hits = await index.searchSubset(q, subset, 5);
    expect(hits.ids[0]).toBe(ids[40]);
    expect(hits.scores[0]).toBeCloseTo(1, 5);
    expect(Array.from(hits.ids.subarray(3))).toEqual([-1n, -1n]);
    expect(hits.scores[4]).toBe(-Infinity);
  });

  it('saves and loads a snapshot with removals intact', async () => {
    const index = VectorIndex.create(dim, kind, 16);
    await index.add(vectors, BigInt64Array.from(ids));
    await index.remove(BigInt64Array.from(ids.slice(0, 10)));
    const path = join(dir, `${kind}.faiss`);
    await index.save(path);
    const loaded = await VectorIndex.load(path);
    expect(loaded.kind).toBe(kind);
    expect(loaded.dim).toBe(dim);
    expect(loaded.size).toBe(n - 10);
    const q = randomUnit(1, dim, 3);
    expect(Array.from((await loaded.search(q, 5, 256)).ids)).toEqual(Array.from((await index.search(q, 5, 256)).ids));
  });
});

/** Unit vectors around `clusters` random directions: what embeddings look like (PQ on uniform noise measures nothing). */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const centers = randomUnit(clusters, dim, seed + 1);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rnd() * clusters);
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (out[i * dim + j] = centers[c * dim + j]! + (rnd() - 0.5) * 0.25) ** 2;
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= Math.sqrt(norm);
  }
  return out;
}

describe.each([
  ['hnsw_sq8', { hnswM: 16, trainSize: 600 }, { efSearch: 128 }],
  ['ivf_pq', { nlist: 16, pqM: 8, trainSize: 600 }, { nprobe: 8, refineFactor: 8 }],
] as const)('%s index (compressed, trained from the first trainSize vectors)', (kind, options, tuning) => {
  const dim = 32;
  const n = 1500;
  const vectors = clustered(n, dim, 30, 4);
  const ids = Array.from({ length: n }, (_, i) => BigInt(10 + i * 3));
  const queries = clustered(20, dim, 30, 5);

  async function recall(index: VectorIndex, live: bigint[], liveVectors: Float32Array): Promise<number> {
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      const expected = bruteForce(liveVectors, live, query, 10, dim);
      const got = Array.from((await index.search(query, 10, tuning)).ids);
      found += got.filter((id) => expected.includes(id)).length;
    }
    return found / 200;
  }

  it('is exact until trainSize vectors, then trains and stays close to brute force', async () => {
    const index = VectorIndex.create(dim, kind, options);
    expect(index.kind).toBe(kind);
    expect(index.factory).toBe(kind === 'ivf_pq' ? 'IVF16,PQ8x8,Refine(SQ8)' : 'HNSW16,SQ8');
    await index.add(vectors.subarray(0, 500 * dim), BigInt64Array.from(ids.slice(0, 500)));
    expect(index.trained).toBe(false);
    expect(await recall(index, ids.slice(0, 500), vectors.subarray(0, 500 * dim))).toBe(1);
    await index.add(vectors.subarray(500 * dim), BigInt64Array.from(ids.slice(500)));
    expect(index.trained).toBe(true);
    expect(index.size).toBe(n);
    expect(await recall(index, ids, vectors)).toBeGreaterThanOrEqual(0.85);
  });

  it('hides removed ids, and a snapshot keeps its kind, training state and removals', async () => {
    const index = VectorIndex.create(dim, kind, options);
    await index.add(vectors.subarray(0, 400 * dim), BigInt64Array.from(ids.slice(0, 400)));
    const staged = join(dir, `${kind}-staged.faiss`);
    await index.save(staged);
    expect((await VectorIndex.load(staged, { dim, kind, options })).trained).toBe(false);
    expect((await VectorIndex.load(staged)).kind).toBe('flat'); // without the expected kind it is just a flat file
    await index.add(vectors.subarray(400 * dim), BigInt64Array.from(ids.slice(400)));
    const q = queries.subarray(0, dim);
    const top = (await index.search(q, 1, tuning)).ids[0]!;
    expect(await index.remove(BigInt64Array.from([top]))).toBe(1);
    expect(index.contains(top)).toBe(false);
    const after = await index.search(q, 10, tuning);
    expect(Array.from(after.ids)).not.toContain(top);
    const path = join(dir, `${kind}.faiss`);
    await index.save(path);
    const loaded = await VectorIndex.load(path, { dim, kind, options });
    expect([loaded.kind, loaded.trained, loaded.size, loaded.factory]).toEqual([kind, true, n - 1, index.factory]);
    expect(Array.from((await loaded.search(q, 10, tuning)).ids)).toEqual(Array.from(after.ids));
    const other = kind === 'ivf_pq' ? { ...options, nlist: 32 } : { ...options, hnswM: 8 };
    await expect(VectorIndex.load(path, { dim, kind, options: other })).rejects.toThrow(/^native vectorIndex\.load failed: snapshot .* holds/);
  });
});

describe('errors', () => {
  it('turns FAISS exceptions into rejected promises, not crashes', async () => {
    const bad = join(dir, 'garbage.faiss');
    writeFileSync(bad, 'not a faiss index at all');
    await expect(VectorIndex.load(bad)).rejects.toThrow(/./);
    await expect(VectorIndex.load(join(dir, 'missing.faiss'))).rejects.toThrow(/could not open|No such file/);
    const index = VectorIndex.create(4);
    await expect(index.save('/nonexistent-dir/x.faiss')).rejects.toThrow(/could not open/);
  });

  it("names the native call and keeps the caller's stack in a native failure", async () => {
    const failure = await VectorIndex.create(4)
      .save('/nonexistent-dir/x.faiss')
      .catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^native vectorIndex\.save failed: .*could not open/);
    expect((failure as Error).stack).toContain('vector-index.test.ts');
  });

  it('checks arguments with one message template (rejecting, like every asynchronous native wrapper)', async () => {
    const index = VectorIndex.create(4);
    await expect(index.add(new Float32Array(3), new BigInt64Array([1n]))).rejects.toThrow(
      'Expected 4 floats (ids × 4) for vectors.length but received 3 of type number',
    );
    await expect(index.add(new Float32Array([1, 0, 0, Number.NaN]), new BigInt64Array([1n]))).rejects.toThrow(/Expected finite numbers for vectors/);
    await expect(index.add(new Float32Array(4), new BigInt64Array([-5n]))).rejects.toThrow(/Expected non-negative ids for ids but received -5n/);
    await expect(index.search(new Float32Array(4), 0)).rejects.toThrow(/Expected an integer between 1 and 1000000 for k but received 0/);
    expect(() => VectorIndex.create(0)).toThrow(/for dim but received 0/);
    expect(() => VectorIndex.create(4, 'ivf' as never)).toThrow(
      "Expected 'flat', 'hnsw', 'hnsw_sq8', 'ivf_pq' for vectorIndex.kind but received \"ivf\" of type string",
    );
    expect(() => VectorIndex.create(32, 'ivf_pq', { pqM: 7 })).toThrow(
      'Expected a divisor of the embedding dimension 32 for vectorIndex.pqM but received 7 of type number',
    );
    expect(() => VectorIndex.create(32, 'ivf_pq', { nlist: 512, trainSize: 300 })).toThrow(
      /Expected an integer between 512 and 10000000 for vectorIndex.trainSize/,
    );
    expect(() => VectorIndex.create(32, 'hnsw', { nlist: 16 })).toThrow('Vector index kind hnsw takes hnswM, efSearch; "nlist" does not apply to it');
    await expect(index.search(new Float32Array(4), 3, { nprobe: 0 })).rejects.toThrow(
      'Expected an integer between 1 and 65536 for nprobe but received 0 of type number',
    );
    const empty = await index.search(new Float32Array(4), 3);
    expect(Array.from(empty.ids)).toEqual([-1n, -1n, -1n]);
  });
});
