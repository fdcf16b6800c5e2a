// One index kind at one size, alone in its process so its memory is its own (run by bench/capacity/index.ts):
// builds n × 256-d clustered unit vectors in pages (as a replay does), measures build time, RSS growth and the
// snapshot size (what FAISS itself holds), then searches the same queries with each tuning. Prints one JSON line.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorIndex, type SearchTuning, type VectorIndexKind, type VectorIndexOptions } from '../../src/native/vector-index.js';
import { mulberry32 } from '../../src/demo/scenes.js';
import { clusteredUnitVectors, percentile, randomUnitVectors } from '../search/stats.js';

export interface KindJob {
  n: number;
  kind: VectorIndexKind;
  options: VectorIndexOptions;
  tunings: SearchTuning[];
  queries: number;
}

export interface KindResult {
  buildS: number;
  rssMiB: number;
  faissMiB: number;
  factory: string;
  /** False when n stayed below trainSize: the index is still the exact flat staging index. */
  trained: boolean;
  tunings: { tuning: SearchTuning; p50: number; p99: number; ids: string[][] }[];
}

const DIM = 256;
const PAGE = 50_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const rss = () => {
  gc();
  gc();
  return process.memoryUsage().rss;
};

const job = JSON.parse(process.argv[2]!) as KindJob;
// The same seed for every kind: the same vectors in the same order, then the same queries.
const rnd = mulberry32(7);
const centers = randomUnitVectors(Math.max(16, Math.round(job.n / 1000)), DIM, rnd);
const before = rss();
const index = VectorIndex.create(DIM, job.kind, job.options);
let buildMs = 0;
for (let at = 0; at < job.n; at += PAGE) {
  const m = Math.min(PAGE, job.n - at);
  const vectors = clusteredUnitVectors(m, DIM, rnd, centers);
  const ids = BigInt64Array.from({ length: m }, (_, i) => BigInt(at + i));
  const t0 = performance.now();
  await index.add(vectors, ids);
  buildMs += performance.now() - t0;
  if ((at / PAGE) % 4 === 3) process.stderr.write(`  ${job.kind}: ${at + m} added, ${(buildMs / 1000).toFixed(0)} s\n`);
}
const rssMiB = (rss() - before) / 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'loupe-capacity-'));
await index.save(join(dir, 'i.faiss'));
const faissMiB = statSync(join(dir, 'i.faiss')).size / 2 ** 20;
rmSync(dir, { recursive: true, force: true });

const queries = clusteredUnitVectors(job.queries, DIM, rnd, centers);
const out: KindResult = { buildS: buildMs / 1000, rssMiB, faissMiB, factory: index.factory, trained: index.trained, tunings: [] };
for (const tuning of job.tunings) {
  for (let q = 0; q < 10; q++) await index.search(queries.subarray(q * DIM, (q + 1) * DIM), 10, tuning); // warm-up
  const times: number[] = [];
  const ids: string[][] = [];
  for (let q = 0; q < job.queries; q++) {
    const t0 = performance.now();
    const hits = await index.search(queries.subarray(q * DIM, (q + 1) * DIM), 10, tuning);
    times.push(performance.now() - t0);
    ids.push(Array.from(hits.ids, String));
  }
  out.tunings.push({ tuning, p50: percentile(times, 50), p99: percentile(times, 99), ids });
}
process.stdout.write(JSON.stringify(out) + '\n');
