// Compatibility proof for the OWL-ViT contract (MODELS.md): transformers.js's `zero-shot-object-detection` pipeline,
// an independent implementation of the Hugging Face layout, loads each OWL folder from local files only (remote
// disabled) and must find the same top box as Loupe's path (preprocessBatch → OwlModel.detect → decodeOwl) for the
// same image and query: IoU >= 0.99 and scores within 1e-4.
//
// Resizing: Loupe resamples like the Hugging Face OwlViTImageProcessor in Python (PIL bicubic, antialiased when
// shrinking; checked against PIL: < 1 grey level apart, PIL rounds to uint8). transformers.js under Node resizes with
// sharp's affine bicubic, which does not antialias, so on a shrunk image its pixel values differ by up to ~150 grey
// levels at edges and the top box can move by a window. Hence (1) the whole pipeline runs on scenes rendered at the
// model's input size, where both resizes are the identity, and (2) on a 480×360 scene transformers.js's model and
// post-processing get Loupe's pixel tensor, which checks the model, the box format and the scaling to original
// non-square pixels. transformers.js does not clip boxes to the image; Loupe does, so its boxes are clipped here.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderScene, type Scene } from '../../src/demo/scenes.js';
import type { DecodedImage } from '../../src/domain/types.js';
import { OwlModel } from '../../src/models/detectors.js';
import { decodeOwl } from '../../src/native/decode.js';
import { preprocessBatch } from '../../src/native/preprocess.js';

const MODELS = resolve(fileURLToPath(new URL('../../models', import.meta.url)));

interface OwlFolder {
  name: string;
  /** Scenes (demo seeds) and, per scene, the queries to compare on. */
  queries(scene: Scene): string[];
}

/** color-owl is required; other OWL-contract folders are compared when they exist. */
const CANDIDATES: OwlFolder[] = [
  // The colours present, and one absent (its top box is then a low-scoring one, still to agree on).
  { name: 'color-owl', queries: (scene) => [...scene.objects.map((o) => o.colour), scene.objects.some((o) => o.colour === 'blue') ? 'a green object' : 'a blue object'] },
  { name: 'emoji-owl', queries: () => ['red apple', 'grinning face'] },
];
const FOLDERS = CANDIDATES.filter((f) => f.name === 'color-owl' || existsSync(join(MODELS, f.name)));
const SEEDS = [1, 2, 3, 6, 12];

type Transformers = typeof import('@huggingface/transformers');
type XYXY = [number, number, number, number];
interface PipelineHit {
  score: number;
  label: string;
  box: { xmin: number; ymin: number; xmax: number; ymax: number };
}

function iou(a: XYXY, b: XYXY): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

const clip = (b: XYXY, w: number, h: number): XYXY => [Math.max(0, b[0]), Math.max(0, b[1]), Math.min(w, b[2]), Math.min(h, b[3])];

async function decoded(png: Buffer): Promise<DecodedImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

/** Loupe's top box for one query on one image, the way the reranker gets it. */
async function loupeTop(owl: OwlModel, image: DecodedImage, query: string): Promise<{ box: XYXY; score: number; pixels: Float32Array }> {
  const pixels = await preprocessBatch(image, new Float32Array([0, 0, image.width, image.height]), owl.preprocessing);
  const out = await owl.detect(pixels, 1, [query]);
  const det = await decodeOwl(out.logits, out.boxes, { imageWidth: image.width, imageHeight: image.height, topK: 1 });
  expect(det.scores.length).toBe(1);
  return { box: Array.from(det.boxes) as XYXY, score: det.scores[0]!, pixels };
}

let tf: Transformers;
beforeAll(async () => {
  tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = `${MODELS}/`;
});

it('compares color-owl (required) and every other OWL folder present', () => {
  expect(existsSync(join(MODELS, 'color-owl', 'onnx', 'model.onnx'))).toBe(true);
  expect(FOLDERS.map((f) => f.name)).toContain('color-owl');
});

describe.each(FOLDERS.map((f) => [f.name, f] as const))('transformers.js zero-shot-object-detection on models/%s agrees with Loupe', (_name, folder) => {
  let owl: OwlModel;
  let detector: Awaited<ReturnType<Transformers['pipeline']>>;
  let size: number;
  beforeAll(async () => {
    owl = await OwlModel.load(join(MODELS, folder.name), { intraOpThreads: 1 });
    size = owl.preprocessing.size;
    detector = await tf.pipeline('zero-shot-object-detection', folder.name, { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
  });
  afterAll(async () => {
    await owl?.release();
    await detector?.dispose();
  });

  it('the whole pipeline, on scenes rendered at the model input size: same top box per query (IoU >= 0.99), same score', async () => {
    const run = detector as unknown as (image: unknown, labels: string[], opts: object) => Promise<PipelineHit[]>;
    let compared = 0;
    for (const seed of SEEDS) {
      const scene = await renderScene(seed, size, size);
      const image = await decoded(scene.png);
      for (const query of folder.queries(scene)) {
        const raw = new tf.RawImage(image.data, image.width, image.height, 3);
        // percentage: boxes as fractions (the pixel form truncates to integers); threshold 0 keeps every patch.
        const [top] = await run(raw, [query], { threshold: 0, percentage: true, top_k: 1 });
        expect(top, `${folder.name} seed ${seed} "${query}": a pipeline box`).toBeDefined();
        expect(top!.label).toBe(query);
        const theirs = clip([top!.box.xmin * size, top!.box.ymin * size, top!.box.xmax * size, top!.box.ymax * size], size, size);
        const ours = await loupeTop(owl, image, query);
        const what = `${folder.name} seed ${seed} "${query}": transformers.js [${theirs.map((v) => v.toFixed(1))}] ${top!.score.toFixed(5)}, Loupe [${ours.box.map((v) => v.toFixed(1))}] ${ours.score.toFixed(5)}`;
        expect(iou(theirs, ours.box), what).toBeGreaterThanOrEqual(0.99);
        expect(Math.abs(top!.score - ours.score), what).toBeLessThanOrEqual(1e-4);
        // The pipeline's default pixel boxes (truncated towards zero: 95.99999 becomes 95) are within a pixel of Loupe's.
        const [pixelTop] = await run(raw, [query], { threshold: 0, top_k: 1 });
        const pb = clip([pixelTop!.box.xmin, pixelTop!.box.ymin, pixelTop!.box.xmax, pixelTop!.box.ymax], size, size);
        for (let k = 0; k < 4; k++) expect(Math.abs(pb[k]! - ours.box[k]!), what).toBeLessThanOrEqual(1);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(SEEDS.length * 2);
  });

  it("transformers.js's processor gives Loupe's pixel tensor when no resize is needed", async () => {
    const processor = await tf.AutoProcessor.from_pretrained(folder.name);
    const image = await decoded((await renderScene(SEEDS[2]!, size, size)).png);
    const { pixel_values } = await processor(new tf.RawImage(image.data, image.width, image.height, 3));
    expect(pixel_values.dims).toEqual([1, 3, size, size]);
    const theirs = pixel_values.data as Float32Array;
    const ours = await preprocessBatch(image, new Float32Array([0, 0, size, size]), owl.preprocessing);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it("on a 480×360 scene, transformers.js's model and post-processing fed Loupe's pixels find Loupe's top box in original pixels", async () => {
    const model = (detector as unknown as { model: (inputs: object) => Promise<{ logits: unknown; pred_boxes: unknown }> }).model;
    const tokenizer = (detector as unknown as { tokenizer: (texts: string[], opts: object) => object }).tokenizer;
    const post = (detector as unknown as {
      processor: { image_processor: { post_process_object_detection(o: unknown, t: number, sizes: [number, number][], zeroShot: boolean): { boxes: number[][]; scores: number[] }[] } };
    }).processor.image_processor;
    let compared = 0;
    for (const seed of SEEDS) {
      const scene = await renderScene(seed);
      const image = await decoded(scene.png);
      for (const query of folder.queries(scene)) {
        const ours = await loupeTop(owl, image, query);
        const output = await model({ ...tokenizer([query], { padding: true, truncation: true }), pixel_values: new tf.Tensor('float32', ours.pixels, [1, 3, size, size]) });
        const { boxes, scores } = post.post_process_object_detection(output, 0, [[image.height, image.width]], true)[0]!;
        // Best score, first patch on ties (Loupe's order; the pipeline's stable sort keeps it too).
        let best = 0;
        for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
        const theirs = clip(boxes[best] as XYXY, image.width, image.height);
        const what = `${folder.name} seed ${seed} "${query}": transformers.js [${theirs.map((v) => v.toFixed(1))}] ${scores[best]!.toFixed(5)}, Loupe [${ours.box.map((v) => v.toFixed(1))}] ${ours.score.toFixed(5)}`;
        expect(iou(theirs, ours.box), what).toBeGreaterThanOrEqual(0.99);
        expect(Math.abs(scores[best]! - ours.score), what).toBeLessThanOrEqual(1e-4);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(SEEDS.length * 2);
  });
});
