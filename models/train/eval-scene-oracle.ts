// Where the first stage loses scene queries: bench:localization's held-out scenes (the same 120 Apple/Facebook scenes
// and the same one-name-per-scene queries) ranked by a CLIP folder with *perfect* proposals — each scene's regions are
// its ground-truth object boxes, cut as the engine cuts proposals (the model's config.json loupe.region_crop). The gap
// between this R@1 and bench:localization's yolox R@1 is what imperfect proposals and junk regions cost; the gap
// between it and models:eval's single-object R@1 is what crowding (neighbours in the crop, ~3.5 objects per scene)
// costs. Also: the same with each box's centre and size jittered (as a detector is off), and with every ground-truth
// box plus junk squares (random background/part crops) to show how much junk regions steal.
//
//   npx tsx models/train/eval-scene-oracle.ts [model folder, default models/emoji-clip] [scene count, default 120]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { mulberry32 } from '../../src/demo/scenes.js';
import { regionCropBox } from '../../src/domain/region-crop.js';
import type { Box } from '../../src/domain/types.js';
import { loadClipModel } from '../../src/models/clip-model.js';
import { preprocessBatch } from '../../src/native/preprocess.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const dir = resolve(process.argv[2] ?? join(ROOT, 'models/emoji-clip'));
const COUNT = Number(process.argv[3] ?? 120);

interface Scene {
  id: string;
  file: string;
  objects: { label: string; box: Box }[];
}
const styles = ['apple', 'facebook'];
const sets = styles.map((style) => ({
  style,
  images: (JSON.parse(readFileSync(join(ROOT, '.cache/eval/scenes', style, 'scenes.json'), 'utf8')) as { images: { file: string; objects: { name: string; box: number[] }[] }[] }).images,
}));
// The bench's order and queries (bench/localization/index.ts: styles alternately, mulberry32(7) picks each scene's object).
const scenes: Scene[] = [];
for (let i = 0; scenes.length < COUNT; i++) {
  const { style, images } = sets[i % sets.length]!;
  const img = images[Math.floor(i / sets.length)]!;
  scenes.push({
    id: `${style}-${img.file}`,
    file: join(ROOT, '.cache/eval/scenes', style, img.file),
    objects: img.objects.map((o) => ({ label: o.name, box: { x1: o.box[0]!, y1: o.box[1]!, x2: o.box[2]!, y2: o.box[3]! } })),
  });
}
const rnd = mulberry32(7);
const queries = scenes.map((s) => s.objects[Math.floor(rnd() * s.objects.length)]!.label);

const model = await loadClipModel(dir, { intraOpThreads: 2 });
const d = model.dimension;
const text = await model.embedTexts(queries);
const per = 3 * model.preprocessing.size * model.preprocessing.size;

type Regions = (s: Scene, r: () => number, w: number, h: number) => Box[];
async function embedScenes(regions: Regions, seed: number): Promise<Float32Array[]> {
  const r = mulberry32(seed);
  const out: Float32Array[] = [];
  for (const s of scenes) {
    const { data, info } = await sharp(s.file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 as const };
    const boxes = regions(s, r, info.width, info.height).map((b) => regionCropBox(b, model.regionCrop, info.width, info.height));
    const flat = new Float32Array(boxes.flatMap((b) => [b.x1, b.y1, b.x2, b.y2]));
    const pixels = await preprocessBatch(image, flat, model.preprocessing);
    out.push(await model.embedImages(pixels, pixels.length / per));
  }
  return out;
}

function recall(emb: Float32Array[]): { r1: number; r5: number } {
  let r1 = 0;
  let r5 = 0;
  queries.forEach((label, q) => {
    const t = text.subarray(q * d, (q + 1) * d);
    const score = emb.map((e) => {
      let best = -Infinity;
      for (let i = 0; i < e.length / d; i++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += t[k]! * e[i * d + k]!;
        best = Math.max(best, s);
      }
      return best;
    });
    const order = score.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
    const relevant = (i: number) => scenes[i]!.objects.some((o) => o.label === label);
    if (relevant(order[0]![1])) r1++;
    if (order.slice(0, 5).some(([, i]) => relevant(i))) r5++;
  });
  return { r1: r1 / queries.length, r5: r5 / queries.length };
}

const jitter = (b: Box, r: () => number, a: number): Box => {
  const g = () => (r() + r() + r() - 1.5) * 2 * a; // about N(0, a)
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  const cx = (b.x1 + b.x2) / 2 + g() * w;
  const cy = (b.y1 + b.y2) / 2 + g() * h;
  const nw = w * Math.exp(g());
  const nh = h * Math.exp(g());
  return { x1: cx - nw / 2, y1: cy - nh / 2, x2: cx + nw / 2, y2: cy + nh / 2 };
};
const junk = (r: () => number, w: number, h: number): Box => {
  const side = Math.min(w, h) * (0.15 + 0.45 * r());
  const x1 = r() * (w - side);
  const y1 = r() * (h - side);
  return { x1, y1, x2: x1 + side, y2: y1 + side };
};
const cases: [string, Regions][] = [
  ['ground-truth boxes', (s) => s.objects.map((o) => o.box)],
  ['ground-truth boxes, jittered 12 %', (s, r) => s.objects.map((o) => jitter(o.box, r, 0.12))],
  ['ground-truth boxes + 6 random squares', (s, r, w, h) => [...s.objects.map((o) => o.box), ...Array.from({ length: 6 }, () => junk(r, w, h))]],
];
process.stdout.write(`model ${model.id}, ${scenes.length} held-out scenes (Apple/Facebook), ${queries.length} queries\n`);
for (const [name, regions] of cases) {
  const { r1, r5 } = recall(await embedScenes(regions, 99));
  process.stdout.write(`${name.padEnd(40)} R@1 ${(100 * r1).toFixed(1).padStart(5)} %   R@5 ${(100 * r5).toFixed(1).padStart(5)} %\n`);
}
await model.release();
