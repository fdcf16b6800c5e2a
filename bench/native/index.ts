// Native hot path vs baselines measured in the same run (npm run bench:native):
//  1. 10 crops of a 1024x768 image -> 224 px (CLIP mode, bicubic, normalized): native vs the TypeScript reference;
//  2. NMS over 8,400 YOLOX-like candidates: native vs the TypeScript reference;
//  3. the whole CLIP image preprocessing of one decoded image: Loupe vs transformers.js' CLIPImageProcessor.
import os from 'node:os';
import type { DecodedImage } from '../../src/domain/types.js';
import { nms } from '../../src/native/nms.js';
import { preprocessBatch, type PreprocessOptions } from '../../src/native/preprocess.js';
import { nmsReference } from '../../test/native/reference/nms.js';
import { preprocessBatchReference } from '../../test/native/reference/preprocess.js';
import { medianMs, printRows, type Row } from './timing.js';

const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const CLIP: PreprocessOptions = { size: 224, mode: 'shortest-edge-center-crop', mean: CLIP_MEAN, std: CLIP_STD, resample: 'bicubic' };

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A photo-like test image: smooth gradients and shapes plus noise (so resampling does real work). */
function testImage(width: number, height: number): DecodedImage {
  const rand = rng(1);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const ring = Math.sin(Math.hypot(x - width / 2, y - height / 2) / 9) * 60;
      data[i] = Math.max(0, Math.min(255, (x / width) * 200 + ring + rand() * 30));
      data[i + 1] = Math.max(0, Math.min(255, (y / height) * 200 - ring + rand() * 30));
      data[i + 2] = Math.max(0, Math.min(255, 128 + ((x ^ y) & 63) + rand() * 30));
    }
  }
  return { data, width, height, channels: 3 };
}

function maxAbsDiff(a: Float32Array, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function cropsCase(image: DecodedImage, rows: Row[]) {
  const rand = rng(2);
  const boxes = new Float32Array(40);
  for (let i = 0; i < 10; i++) {
    const w = 150 + rand() * 500;
    const h = 150 + rand() * 400;
    const x = rand() * (image.width - w);
    const y = rand() * (image.height - h);
    boxes.set([x, y, x + w, y + h], 4 * i);
  }
  const native = await preprocessBatch(image, boxes, { ...CLIP, device: 'cpu' });
  const diff = maxAbsDiff(native, preprocessBatchReference(image, boxes, CLIP));
  console.log(`crops: native vs TS reference max |diff| = ${diff.toExponential(2)}`);
  rows.push({
    case: '10 crops 1024x768 -> 224 (CLIP mode, bicubic)',
    baseline: 'TS reference',
    baselineMs: await medianMs(() => preprocessBatchReference(image, boxes, CLIP), { minRuns: 3, budgetMs: 4000 }),
    loupeMs: await medianMs(() => preprocessBatch(image, boxes, { ...CLIP, device: 'cpu' })),
    goal: 5,
  });
}

async function nmsCase(rows: Row[]) {
  const rand = rng(3);
  const n = 8400;
  const boxes = new Float32Array(4 * n);
  const scores = new Float32Array(n);
  // Clustered around 30 objects like a detector's candidates, with a tail of background boxes.
  const centres = Array.from({ length: 30 }, () => [rand() * 600 + 20, rand() * 600 + 20, 20 + rand() * 150]);
  for (let i = 0; i < n; i++) {
    const [cx, cy, s] = centres[Math.floor(rand() * centres.length)]!;
    const w = s! * (0.7 + rand() * 0.6);
    const h = s! * (0.7 + rand() * 0.6);
    const x = cx! + (rand() - 0.5) * s! * 0.5;
    const y = cy! + (rand() - 0.5) * s! * 0.5;
    boxes.set([x - w / 2, y - h / 2, x + w / 2, y + h / 2], 4 * i);
    scores[i] = rand();
  }
  const opts = { iouThreshold: 0.45 };
  const native = await nms(boxes, scores, { ...opts, device: 'cpu' });
  const ref = nmsReference(boxes, scores, 0.45);
  console.log(`nms: ${native.length} of ${n} kept; native == TS reference: ${native.join() === ref.join()}`);
  rows.push({
    case: 'NMS, 8,400 candidates, IoU 0.45',
    baseline: 'TS reference',
    baselineMs: await medianMs(() => nmsReference(boxes, scores, 0.45)),
    loupeMs: await medianMs(() => nms(boxes, scores, { ...opts, device: 'cpu' })),
    goal: 5,
  });
}

async function clipCase(image: DecodedImage, rows: Row[]) {
  let transformers: typeof import('@huggingface/transformers');
  try {
    transformers = await import('@huggingface/transformers');
  } catch (e) {
    console.log(`transformers.js comparison skipped: ${(e as Error).message}`);
    return;
  }
  const { CLIPImageProcessor, RawImage } = transformers;
  // Xenova/clip-vit-base-patch32's preprocessor_config.json.
  const processor = new CLIPImageProcessor({
    do_resize: true,
    size: { shortest_edge: 224 },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: 224, width: 224 },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: CLIP_MEAN,
    image_std: CLIP_STD,
    do_convert_rgb: true,
  } as never);
  const raw = new RawImage(image.data, image.width, image.height, 3);
  const whole = new Float32Array([0, 0, image.width, image.height]);
  const theirs = (await processor(raw)).pixel_values.data as Float32Array;
  const ours = await preprocessBatch(image, whole, { ...CLIP, device: 'cpu' });
  let sum = 0;
  for (let i = 0; i < ours.length; i++) sum += Math.abs(ours[i]! - theirs[i]!);
  console.log(
    `clip: Loupe vs transformers.js mean |diff| = ${(sum / ours.length).toFixed(4)}, max = ${maxAbsDiff(ours, theirs).toFixed(3)} ` +
      '(normalized units; transformers.js resizes with sharp affine bicubic, which does not antialias)',
  );
  rows.push({
    case: 'CLIP preprocessing of one decoded 1024x768 image',
    baseline: 'transformers.js CLIPImageProcessor',
    baselineMs: await medianMs(() => processor(raw)),
    loupeMs: await medianMs(() => preprocessBatch(image, whole, { ...CLIP, device: 'cpu' })),
    goal: 3,
  });
}

const image = testImage(1024, 768);
const rows: Row[] = [];
console.log(`bench:native on ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, Node ${process.version}; CPU path (device: 'cpu')`);
await cropsCase(image, rows);
await nmsCase(rows);
await clipCase(image, rows);
printRows(rows);
