// npm run bench:realsize — indexing throughput with a real-size model, Loupe against transformers.js in one run.
// A CLIP ViT-B/32-shaped vision tower with random weights is built here by Debian's torch (make_vit_b32.py; same ONNX
// graph shape, input/output names and preprocessing config as Xenova/clip-vit-base-patch32; nothing downloaded or
// committed). Both sides embed the same 640×480 images as 10 crops each (whole image + 3×3 grid):
//  - Loupe: DocumentService.add (upload → decode → grid → native crop+resize → ONNX batch → Postgres → FAISS);
//  - transformers.js 4.3.2: RawImage decode → crop → CLIPImageProcessor → CLIPVisionModelWithProjection.
// Prints images/s for both, the ratio, Loupe's share of wall time inside model inference, and the mean cosine
// between the two sides' whole-image embeddings (same model, same pixels: should be close to 1).
//   LOUPE_BENCH_IMAGES=8 (images per side), LOUPE_BENCH_VIT_DIR (model folder, reused when present)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, repoRoot } from '../../src/config.js';
import { renderScene } from '../../src/demo/scenes.js';
import { proposeGridRegions } from '../../src/localize/grid.js';
import { parseAnyRegionMethod } from '../../src/localize/region-method.js';
import { createLogger } from '../../src/log.js';
import { inferenceStats } from '../../src/models/clip-model.js';
import { createLoupe } from '../../src/services/loupe.js';

const IMAGES = Number(process.env.LOUPE_BENCH_IMAGES ?? 8);
const MODEL = 'vit-b32-random';
const vitDir = resolve(process.env.LOUPE_BENCH_VIT_DIR ?? join(tmpdir(), 'loupe-bench-vit-b32-random'));

if (!existsSync(join(vitDir, 'onnx', 'vision_model.onnx')) || !existsSync(join(vitDir, 'onnx', 'text_model.onnx'))) {
  process.stderr.write(`building the random-weight ViT-B/32 folder in ${vitDir} with torch...\n`);
  execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'make_vit_b32.py'), vitDir, join(repoRoot, 'models', 'color-clip')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
// A models folder with the shipped models (server defaults) plus this one.
const modelsDir = mkdtempSync(join(tmpdir(), 'loupe-bench-models-'));
for (const m of readdirSync(join(repoRoot, 'models'))) if (m !== 'train') symlinkSync(join(repoRoot, 'models', m), join(modelsDir, m));
symlinkSync(vitDir, join(modelsDir, MODEL));

const scenes = await Promise.all(Array.from({ length: IMAGES + 1 }, (_, i) => renderScene(3000 + i, 640, 480)));
const method = parseAnyRegionMethod('simple?hn=3&wn=3', () => {
  throw new Error('no detector here');
});
const boxes = proposeGridRegions(method, 640, 480);

// Loupe.
const dataDir = mkdtempSync(join(tmpdir(), 'loupe-bench-'));
const loupe = await createLoupe(loadConfig({ dataDir, modelsDir, databaseUrl: process.env.DATABASE_URL ?? null }), createLogger({ bench: 'realsize' }, 'warn'));
let loupeWall = 0;
let loupeInfer = 0;
const loupeWhole: Float32Array[] = [];
try {
  await loupe.indexes.create({ name: 'real', model: MODEL, regionMethod: 'simple?hn=3&wn=3' });
  const doc = (s: (typeof scenes)[number]) => ({ id: s.id, fields: {}, uploads: { image: { name: `${s.id}.png`, bytes: s.png } } });
  await loupe.documents.add('real', [doc(scenes[IMAGES]!)]); // warm-up: ONNX Runtime builds its kernels
  const before = inferenceStats();
  const t0 = performance.now();
  for (const s of scenes.slice(0, IMAGES)) {
    const res = await loupe.documents.add('real', [doc(s)]);
    if (!res[0]!.ok) throw new Error(`Loupe failed on ${s.id}: ${JSON.stringify(res[0])}`);
  }
  loupeWall = performance.now() - t0;
  loupeInfer = inferenceStats().totalMs - before.totalMs;
  const chunks = await loupe.database.prisma.chunk.findMany({
    where: { position: 0, document: { externalId: { in: scenes.slice(0, IMAGES).map((s) => s.id) } } },
    select: { vector: true, document: { select: { externalId: true } } },
  });
  const byId = new Map(chunks.map((c) => [c.document.externalId, new Float32Array(new Uint8Array(c.vector).buffer)]));
  for (const s of scenes.slice(0, IMAGES)) loupeWhole.push(byId.get(s.id)!);
} finally {
  await loupe.close();
  rmSync(dataDir, { recursive: true, force: true });
}

// transformers.js on the same folder, same images, same crops.
const tf = await import('@huggingface/transformers');
tf.env.allowRemoteModels = false;
tf.env.localModelPath = modelsDir;
const processor = await tf.AutoProcessor.from_pretrained(MODEL);
const vision = await tf.CLIPVisionModelWithProjection.from_pretrained(MODEL, { dtype: 'fp32' });
const embed = async (png: Buffer) => {
  const image = await tf.RawImage.fromBlob(new Blob([new Uint8Array(png)]));
  const crops = await Promise.all(boxes.map((b) => image.crop([b.x1, b.y1, b.x2 - 1, b.y2 - 1]))); // inclusive corners
  const { pixel_values } = await processor(crops);
  const { image_embeds } = await vision({ pixel_values });
  return image_embeds.data as Float32Array;
};
await embed(scenes[IMAGES]!.png); // warm-up
const t1 = performance.now();
const tfWhole: Float32Array[] = [];
for (const s of scenes.slice(0, IMAGES)) tfWhole.push((await embed(s.png)).slice(0, 512));
const tfWall = performance.now() - t1;
await vision.dispose();
rmSync(modelsDir, { recursive: true, force: true });

const cos = (a: Float32Array, b: Float32Array) => {
  let d = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return d / Math.sqrt(na * nb);
};
const meanCos = loupeWhole.reduce((s, v, i) => s + cos(v, tfWhole[i]!), 0) / IMAGES;
const loupeRate = IMAGES / (loupeWall / 1000);
const tfRate = IMAGES / (tfWall / 1000);
console.log(`\nreal-size indexing: ${IMAGES} images of 640×480, 10 crops each (whole + 3×3), ViT-B/32-shaped tower (87.8M parameters, random weights)`);
console.log(
  `Loupe           ${loupeRate.toFixed(3)} images/s (${(loupeWall / IMAGES).toFixed(0)} ms/image); model inference ${((100 * loupeInfer) / loupeWall).toFixed(1)}% of wall time`,
);
console.log(`transformers.js ${tfRate.toFixed(3)} images/s (${(tfWall / IMAGES).toFixed(0)} ms/image)`);
console.log(`whole-image embeddings, Loupe vs transformers.js: mean cosine ${meanCos.toFixed(4)}`);
console.log(`Loupe / transformers.js: ${(loupeRate / tfRate).toFixed(2)}×`);
