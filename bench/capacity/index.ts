// npm run bench:capacity — what each vector index kind costs and gives on this machine, for n × 256-d clustered
// synthetic chunks (unit vectors around n/1000 directions, the generator of bench:search): build time, resident
// memory (RSS growth of a process that holds only that index, and the snapshot size: what FAISS itself stores),
// p50/p99 of one-query searches (k = 10) and recall@10 against exact flat search over the same vectors.
// Each kind runs in its own process (bench/capacity/kind.ts). Prints one markdown table per size.
//   LOUPE_BENCH_SIZES=100000,1000000   sizes (default both)
//   LOUPE_BENCH_KINDS=flat,ivf_pq      only these kinds (flat is always run: it is the truth)
//   LOUPE_BENCH_EXPLORE_MAX=100000     the non-default IVF-PQ variants run only up to this size
//   LOUPE_BENCH_QUERIES=200
// The flat (exact) result of a size is cached in the temp folder and reused by the next run of that size.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addon, addonVariant } from '../../src/native/addon.js';
import { VECTOR_INDEX_DEFAULTS } from '../../src/domain/vector-index.js';
import type { KindJob, KindResult } from './kind.js';

const SIZES = (process.env.LOUPE_BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const KINDS = process.env.LOUPE_BENCH_KINDS?.split(',');
const EXPLORE_MAX = Number(process.env.LOUPE_BENCH_EXPLORE_MAX ?? 100_000);
const QUERIES = Number(process.env.LOUPE_BENCH_QUERIES ?? 200);

interface Config {
  label: string;
  job: Omit<KindJob, 'n' | 'queries'>;
  /** A variant explored to choose the defaults, not a default itself. */
  explore?: boolean;
}

const d = VECTOR_INDEX_DEFAULTS;
const ivfTunings = [
  { nprobe: d.nprobe, refineFactor: 4 },
  { nprobe: d.nprobe, refineFactor: 16 },
  { nprobe: 8, refineFactor: 32 },
  { nprobe: d.nprobe, refineFactor: 32 },
  { nprobe: 32, refineFactor: 32 },
  { nprobe: d.nprobe, refineFactor: 64 },
];
const CONFIGS: Config[] = [
  { label: 'flat', job: { kind: 'flat', options: {}, tunings: [{}] } },
  { label: 'ivf_pq (defaults)', job: { kind: 'ivf_pq', options: {}, tunings: ivfTunings } },
  { label: 'ivf_pq refine=none', job: { kind: 'ivf_pq', options: { refine: 'none' }, tunings: [{ nprobe: d.nprobe }, { nprobe: 64 }] }, explore: true },
  {
    label: 'ivf_pq pqM=64 refine=none',
    job: { kind: 'ivf_pq', options: { pqM: 64, refine: 'none' }, tunings: [{ nprobe: d.nprobe }, { nprobe: 64 }] },
    explore: true,
  },
  { label: 'ivf_pq refine=sq4', job: { kind: 'ivf_pq', options: { refine: 'sq4' }, tunings: ivfTunings.slice(1, 4) }, explore: true },
  { label: 'hnsw_sq8', job: { kind: 'hnsw_sq8', options: {}, tunings: [{ efSearch: d.efSearch }, { efSearch: 128 }] } },
  { label: 'hnsw', job: { kind: 'hnsw', options: {}, tunings: [{ efSearch: d.efSearch }, { efSearch: 128 }] } },
];

function runKind(job: KindJob): Promise<KindResult> {
  const script = fileURLToPath(new URL('./kind.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--expose-gc', '--import', 'tsx', script, JSON.stringify(job)], { maxBuffer: 1 << 30 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as KindResult);
    });
    child.stderr?.pipe(process.stderr);
  });
}

const tuningText = (t: object) =>
  Object.entries(t)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ') || '—';

process.stdout.write(`FAISS: ${addonVariant} addon (${addon.faissCompileOptions()}), dim 256, k 10, ${QUERIES} queries, one query per call\n`);
for (const n of SIZES) {
  const configs = CONFIGS.filter((c) => (c.label === 'flat' || !KINDS || KINDS.includes(c.job.kind)) && (!c.explore || n <= EXPLORE_MAX));
  let truth: string[][] | null = null;
  let flatMiB = 0;
  process.stdout.write(`\n### ${n.toLocaleString('en-US')} chunks\n\n`);
  process.stdout.write('| index | FAISS factory | build s | RSS MiB | snapshot MiB | vs flat | search params | p50 ms | p99 ms | recall@10 |\n');
  process.stdout.write('|---|---|---:|---:|---:|---:|---|---:|---:|---:|\n');
  for (const c of configs) {
    process.stderr.write(`capacity: ${c.label} at ${n}...\n`);
    // The exact answers of a size are kept between runs (same seed, same vectors): flat at 1M is minutes of work.
    const cache = join(tmpdir(), `loupe-capacity-flat-${n}-${QUERIES}.json`);
    const cached = c.label === 'flat' && existsSync(cache) ? (JSON.parse(readFileSync(cache, 'utf8')) as KindResult) : null;
    const r = cached ?? (await runKind({ ...c.job, n, queries: QUERIES }));
    if (c.label === 'flat' && !cached) writeFileSync(cache, JSON.stringify(r));
    if (c.label === 'flat') {
      truth = r.tunings[0]!.ids;
      flatMiB = r.faissMiB;
    }
    for (const [i, t] of r.tunings.entries()) {
      let found = 0;
      t.ids.forEach((ids, q) => {
        const exact = new Set(truth![q]);
        found += ids.filter((id) => id !== '-1' && exact.has(id)).length;
      });
      const recall = found / (QUERIES * 10);
      const factory = r.trained ? r.factory : `${r.factory} (untrained: exact)`;
      const head =
        i === 0
          ? [c.label, factory, r.buildS.toFixed(1), r.rssMiB.toFixed(0), r.faissMiB.toFixed(0), `${((100 * r.faissMiB) / flatMiB).toFixed(0)} %`]
          : ['', '', '', '', '', ''];
      const row = `| ${[...head, tuningText(t.tuning), t.p50.toFixed(2), t.p99.toFixed(2), recall.toFixed(3)].join(' | ')} |`;
      process.stdout.write(row + '\n');
    }
  }
}
