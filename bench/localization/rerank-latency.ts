// Rerank latency: one page of 10 hits (640×480 images, decoded) reranked by OWL-ViT-contract folders, interleaved in one
// process so that the ratios hold on a busy machine too. The first folder is the baseline.
//   npm run bench:rerank                       (LOUPE_BENCH_OWL=models/emoji-owl,other/folder  LOUPE_BENCH_ROUNDS=30)
// Prints per folder: p50 / p90 ms of owlRerank (preprocessing + the ONNX run + decoding), and p50 relative to the first.
import { resolve } from 'node:path';
import { owlRerank } from '../../src/localize/owl-reranker.js';
import { OwlModel } from '../../src/models/detectors.js';
import { decodeImage } from '../../src/repositories/image-decoder.js';
import { renderScene } from '../../src/demo/scenes.js';

const folders = (process.env.LOUPE_BENCH_OWL ?? 'models/emoji-owl').split(',').map((f) => resolve(f));
const rounds = Number(process.env.LOUPE_BENCH_ROUNDS ?? 30);
const images = await Promise.all(Array.from({ length: 10 }, async (_, i) => decodeImage((await renderScene(500 + i, 640, 480)).png)));
const models = await Promise.all(folders.map((f) => OwlModel.load(f)));
const times = models.map(() => [] as number[]);
for (const m of models) for (let w = 0; w < 3; w++) await owlRerank(m, 'duck', images); // warm-up: kernels, arenas
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < models.length; i++) {
    const t = performance.now();
    await owlRerank(models[i]!, r % 2 ? 'duck' : 'red car', images);
    times[i]!.push(performance.now() - t);
  }
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
console.log(`rerank of 10 hits (640×480), ${rounds} rounds each, interleaved`);
console.log(`${'folder'.padEnd(48)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'ratio'.padStart(7)}`);
const base = q(times[0]!, 0.5);
folders.forEach((f, i) => {
  const p50 = q(times[i]!, 0.5);
  console.log(`${f.slice(-48).padEnd(48)} ${p50.toFixed(1).padStart(8)} ${q(times[i]!, 0.9).toFixed(1).padStart(8)} ${(p50 / base).toFixed(2).padStart(7)}`);
});
await Promise.all(models.map((m) => m.release()));
