// Search latency through the service (SearchService → FAISS exact → Postgres grouping) at 10k and 100k chunks.
// Chunks are synthetic unit vectors written straight into Postgres (10 per document), so the benchmark measures
// search, not indexing. Prints p50/p99 per size and the 100k/10k ratio measured in this run.
//   npm run bench:search            (LOUPE_BENCH_QUERIES=200 to change the query count)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createLoupe } from '../src/services/loupe.js';
import { mulberry32 } from '../src/demo/scenes.js';

const QUERIES = Number(process.env.LOUPE_BENCH_QUERIES ?? 200);
const WORDS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'cyan', 'brown', 'black'];

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-'));
const log = createLogger({ bench: 'search' }, 'warn');
const loupe = await createLoupe(loadConfig({ dataDir: dir, databaseUrl: process.env.DATABASE_URL ?? null }), log);
const rnd = mulberry32(42);
const rows: { size: number; p50: number; p99: number; mean: number }[] = [];
try {
  for (const size of [10_000, 100_000]) {
    const name = `bench-${size}`;
    const record = await loupe.indexes.create({ name, regionMethod: 'none' });
    const dim = record.dimension;
    const prisma = loupe.database.prisma;
    process.stderr.write(`writing ${size} chunks into ${name}...\n`);
    const perDoc = 10;
    for (let d = 0; d < size / perDoc; d += 500) {
      const docs = Array.from({ length: Math.min(500, size / perDoc - d) }, (_, i) => ({ indexId: record.id, externalId: `doc-${d + i}`, fields: { n: d + i } }));
      await prisma.document.createMany({ data: docs });
      const ids = await prisma.document.findMany({ where: { indexId: record.id, externalId: { in: docs.map((x) => x.externalId) } }, select: { id: true } });
      const seqs = await prisma.$queryRaw<{ seq: bigint }[]>`SELECT nextval('loupe_seq') AS seq FROM generate_series(1, ${ids.length * perDoc}::int)`;
      const chunks = ids.flatMap((doc, i) =>
        Array.from({ length: perDoc }, (_, j) => {
          const v = new Float32Array(dim).map(() => rnd() * 2 - 1);
          const norm = Math.hypot(...v);
          v.forEach((x, k) => (v[k] = x / norm));
          return { seq: seqs[i * perDoc + j]!.seq, indexId: record.id, documentId: doc.id, field: 'image', kind: 'image', position: j, x1: 0, y1: 0, x2: 10, y2: 10, vector: new Uint8Array(v.buffer) };
        }),
      );
      await prisma.chunk.createMany({ data: chunks });
      const max = seqs.reduce((m, s) => (s.seq > m ? s.seq : m), 0n);
      await prisma.index.update({ where: { id: record.id }, data: { lastSeq: max } });
    }
    await loupe.search.search(name, { q: 'warm up' }); // loads the vector index from Postgres
    const times: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t0 = performance.now();
      await loupe.search.search(name, { q: WORDS[i % WORDS.length]!, limit: 10 });
      times.push(performance.now() - t0);
    }
    rows.push({ size, p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length });
  }
} finally {
  await loupe.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nsearch latency through the service, exact (flat) index, ${QUERIES} text queries, limit 10`);
console.log('chunks    p50 ms   p99 ms   mean ms');
for (const r of rows) console.log(`${String(r.size).padEnd(8)}  ${r.p50.toFixed(2).padStart(6)}   ${r.p99.toFixed(2).padStart(6)}   ${r.mean.toFixed(2).padStart(6)}`);
const [a, b] = rows;
if (a && b) console.log(`ratio 100k/10k: p50 ×${(b.p50 / a.p50).toFixed(2)}, p99 ×${(b.p99 / a.p99).toFixed(2)} (10× the data)`);
