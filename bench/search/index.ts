// npm run bench:search — search latency and what it is made of, measured in one run:
//  1. service vs raw FAISS p50/p99 on exact (flat) indexes of 10k and 100k chunks (same index, same k);
//  2. rerank latency at depth 10 and 50 (LOUPE_BENCH_RERANK=0 skips);
//  3. HNSW at LOUPE_BENCH_HNSW vectors (default 1,000,000; 0 skips): build time, recall@10 vs exact, latency;
//  4. the generic and the AVX2 FAISS builds through the addon (LOUPE_BENCH_BUILDS=0 skips);
// and ends with `search overhead p50: X ms at 10k, Y ms at 100k` (service p50 − FAISS p50).
//   LOUPE_BENCH_QUERIES=200 sets the query count per flat size.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { addonVariant } from '../../src/native/addon.js';
import { createLoupe } from '../../src/services/loupe.js';
import { benchFlat, type FlatRow } from './flat.js';
import { benchHnsw } from './hnsw.js';
import { benchRerank, type RerankRow } from './rerank.js';
import { ms } from './stats.js';

const QUERIES = Number(process.env.LOUPE_BENCH_QUERIES ?? 200);
const SIZES = (process.env.LOUPE_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const HNSW_N = Number(process.env.LOUPE_BENCH_HNSW ?? 1_000_000);
const RERANK = process.env.LOUPE_BENCH_RERANK !== '0';
const BUILDS = process.env.LOUPE_BENCH_BUILDS !== '0';

const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-'));
const log = createLogger({ bench: 'search' }, 'warn');
const loupe = await createLoupe(loadConfig({ dataDir: dir, databaseUrl: process.env.DATABASE_URL ?? null }), log);
const flat: FlatRow[] = [];
let rerank: RerankRow[] = [];
try {
  for (const size of SIZES) flat.push(await benchFlat(loupe, size, QUERIES));
  if (RERANK) rerank = await benchRerank(loupe);
} finally {
  await loupe.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nFAISS build loaded: ${addonVariant}; model ${loupe.config.defaultModel}; ${QUERIES} text queries per size, limit 10`);
console.log('exact (flat) index: service (encode + FAISS + grouping + documents) vs raw FAISS top-k on the same index');
console.log('(new query texts; "repeated" = the same texts again, their embeddings from the query cache)');
console.log('chunks     service p50  p99      FAISS p50  p99      encode p50   overhead p50   repeated p50  p99   overhead p50');
for (const r of flat)
  console.log(
    `${String(r.size).padEnd(9)} ${ms(r.service.p50)} ${ms(r.service.p99)}   ${ms(r.faiss.p50)} ${ms(r.faiss.p99)}   ${ms(r.encode.p50)}      ${ms(r.service.p50 - r.faiss.p50)}     ${ms(r.repeat.p50)} ${ms(r.repeat.p99)}   ${ms(r.repeat.p50 - r.faiss.p50)}`,
  );

if (rerank.length) {
  console.log('\nrerank (OWL second stage), ms p50 unless noted');
  console.log('depth   search   +rerank  (p99)    rerank cost   OWL: page in one run   batches of 4');
  for (const r of rerank)
    console.log(
      `${String(r.depth).padEnd(6)} ${ms(r.plainP50)}  ${ms(r.rerankP50)} (${ms(r.rerankP99).trim()})   ${ms(r.rerankP50 - r.plainP50)}       ${ms(r.pageRunP50)}            ${ms(r.batch4P50)}`,
    );
}

if (HNSW_N > 0) {
  const h = await benchHnsw(HNSW_N);
  console.log(`\nHNSW32 (efConstruction 80) over ${h.n} × 256-d clustered unit vectors, ${addonVariant} FAISS`);
  console.log(`build ${h.buildS.toFixed(1)} s (${(h.buildS / 60).toFixed(1)} min); recall@10 vs exact at efSearch ${h.efSearch}: ${h.recallAt10.toFixed(3)}`);
  console.log(`search p50/p99: HNSW ${ms(h.hnsw.p50).trim()} / ${ms(h.hnsw.p99).trim()} ms, exact flat ${ms(h.flat.p50).trim()} / ${ms(h.flat.p99).trim()} ms`);
}

if (BUILDS) {
  console.log('\nFAISS builds through the addon (child processes, LOUPE_FAISS_SIMD): flat top-176 over 100k, HNSW32 build of 10k');
  for (const simd of ['generic', 'auto']) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'raw-faiss.ts')], {
      env: { ...process.env, LOUPE_FAISS_SIMD: simd },
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { variant: string; flatP50: number; buildS: number };
    console.log(`${r.variant.padEnd(8)} flat p50 ${ms(r.flatP50)} ms   HNSW build ${r.buildS.toFixed(2)} s`);
  }
}

const over = (size: number) => {
  const r = flat.find((x) => x.size === size);
  return r ? (r.service.p50 - r.faiss.p50).toFixed(2) : 'n/a';
};
console.log(`\nsearch overhead p50: ${over(10_000)} ms at 10k, ${over(100_000)} ms at 100k`);
