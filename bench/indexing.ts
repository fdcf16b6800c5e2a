// Indexing throughput through the service with the grid method, and the share of wall time spent inside model
// inference versus everything else (download/decode, region proposal, crop+resize, Postgres, FAISS), for two client
// shapes: batches of 10 documents and one call with every document.
//   npm run bench:indexing          (LOUPE_BENCH_IMAGES=60 to change the image count)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createLoupe } from '../src/services/loupe.js';
import { renderScene } from '../src/demo/scenes.js';
import { inferenceStats } from '../src/models/clip-model.js';

const IMAGES = Number(process.env.LOUPE_BENCH_IMAGES ?? 60);
const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-'));
const log = createLogger({ bench: 'indexing' }, 'warn');
const loupe = await createLoupe(loadConfig({ dataDir: dir, databaseUrl: process.env.DATABASE_URL ?? null }), log);
try {
  const scenes = await Promise.all(Array.from({ length: IMAGES }, (_, i) => renderScene(1000 + i, 640, 480)));
  await loupe.indexes.create({ name: 'bench', regionMethod: 'simple?hn=3&wn=3' });
  // warm-up: first inference builds ONNX Runtime's kernels
  await loupe.documents.add('bench', [{ id: 'warm', fields: {}, uploads: { image: { name: 'w.png', bytes: scenes[0]!.png } } }]);
  // Two client shapes, same images: batches of 10 (what the first measurements used) and one call with all of them.
  for (const [label, batchSize] of [
    ['batches of 10', 10],
    [`one call of ${IMAGES}`, IMAGES],
  ] as const) {
    const before = inferenceStats();
    const t0 = performance.now();
    for (let i = 0; i < scenes.length; i += batchSize) {
      const batch = scenes
        .slice(i, i + batchSize)
        .map((s) => ({ id: `${batchSize}-${s.id}`, fields: { caption: s.caption }, uploads: { image: { name: `${s.id}.png`, bytes: s.png } } }));
      const res = await loupe.documents.add('bench', batch);
      const bad = res.filter((r) => !r.ok);
      if (bad.length) throw new Error(`indexing failed: ${JSON.stringify(bad[0])}`);
    }
    const wall = performance.now() - t0;
    const after = inferenceStats();
    const inferMs = after.totalMs - before.totalMs;
    console.log(`\nindexing ${IMAGES} images of 640×480 in ${label}, grid simple 3×3 (10 image chunks + 1 text chunk each)`);
    console.log(`wall ${wall.toFixed(0)} ms  → ${(IMAGES / (wall / 1000)).toFixed(1)} images/s, ${(wall / IMAGES).toFixed(1)} ms/image`);
    console.log(
      `model inference ${inferMs.toFixed(0)} ms (${after.runs - before.runs} runs) = ${((100 * inferMs) / wall).toFixed(1)}% of wall time; everything else ${(wall - inferMs).toFixed(0)} ms = ${((100 * (wall - inferMs)) / wall).toFixed(1)}%`,
    );
  }
  console.log('goal: inference ≥ 60% of wall time (issue 13; see bench/README.md)');
} finally {
  await loupe.close();
  rmSync(dir, { recursive: true, force: true });
}
