// HNSW at scale through the addon: build time of n × 256-d clustered unit vectors (added in pages, as a replay
// does), recall@10 against the exact flat index over the same vectors at the default efSearch, and latency of both.
import { VECTOR_INDEX_DEFAULTS } from '../../src/domain/vector-index.js';
import { VectorIndex } from '../../src/native/vector-index.js';
import { mulberry32 } from '../../src/demo/scenes.js';
import { clusteredUnitVectors, percentile, randomUnitVectors } from './stats.js';

export interface HnswRow {
  n: number;
  buildS: number;
  efSearch: number;
  recallAt10: number;
  hnsw: { p50: number; p99: number };
  flat: { p50: number; p99: number };
}

export async function benchHnsw(n: number, opts: { dim?: number; queries?: number; efSearch?: number; page?: number } = {}): Promise<HnswRow> {
  const dim = opts.dim ?? 256;
  const nq = opts.queries ?? 200;
  const efSearch = opts.efSearch ?? VECTOR_INDEX_DEFAULTS.efSearch; // the index default
  const page = opts.page ?? 50_000;
  const rnd = mulberry32(7);
  const centers = randomUnitVectors(Math.max(16, Math.round(n / 1000)), dim, rnd);
  const hnsw = VectorIndex.create(dim, 'hnsw', 32);
  const flat = VectorIndex.create(dim, 'flat');
  process.stderr.write(`HNSW: building ${n} × ${dim}...\n`);
  let buildMs = 0;
  for (let at = 0; at < n; at += page) {
    const m = Math.min(page, n - at);
    const vectors = clusteredUnitVectors(m, dim, rnd, centers);
    const ids = BigInt64Array.from({ length: m }, (_, i) => BigInt(at + i));
    const t0 = performance.now();
    await hnsw.add(vectors, ids);
    buildMs += performance.now() - t0;
    await flat.add(vectors, ids);
    if ((at / page) % 4 === 3) process.stderr.write(`  ${at + m} added, ${(buildMs / 1000).toFixed(0)} s\n`);
  }
  const queries = clusteredUnitVectors(nq, dim, rnd, centers);
  let found = 0;
  const th: number[] = [];
  const tf: number[] = [];
  for (let q = 0; q < nq; q++) {
    const v = queries.subarray(q * dim, (q + 1) * dim);
    let t0 = performance.now();
    const approx = await hnsw.search(v, 10, efSearch);
    th.push(performance.now() - t0);
    t0 = performance.now();
    const exact = await flat.search(v, 10);
    tf.push(performance.now() - t0);
    const truth = new Set(exact.ids);
    for (const id of approx.ids) if (truth.has(id)) found++;
  }
  const pair = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });
  return { n, buildS: buildMs / 1000, efSearch, recallAt10: found / (nq * 10), hnsw: pair(th), flat: pair(tf) };
}
