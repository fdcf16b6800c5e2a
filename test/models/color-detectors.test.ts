// The shipped hand-weighted colour detectors (models/color-owl, color-yolox, color-dino; written by
// scripts/make-color-detectors.py): folder contract, onnxruntime-node vs the generator's numpy reference, and real
// behaviour on rendered demo scenes through Loupe's own preprocessing and native decoders.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderScene, DEMO_COLOURS, type Scene } from '../../src/demo/scenes.js';
import type { Box, DecodedImage } from '../../src/domain/types.js';
import { DinoModel, OwlModel, YoloxModel } from '../../src/models/detectors.js';
import { attentionToBoxes } from '../../src/native/attention-boxes.js';
import { decodeOwl, decodeYolox } from '../../src/native/decode.js';
import { nms } from '../../src/native/nms.js';
import { letterbox, preprocessBatch } from '../../src/native/preprocess.js';

const MODELS = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models');
const OWL = join(MODELS, 'color-owl');
const YOLOX = join(MODELS, 'color-yolox');
const DINO = join(MODELS, 'color-dino');
const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
const DINO_HEADS = ['foreground', 'red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'brown', 'black'];
const COLOURS = Object.keys(DEMO_COLOURS); // the ten object colours of the demo scenes
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

type Rgb = [number, number, number];
interface Fixture {
  owl: { blocks8x8: Rgb[]; texts: string[]; input_ids: number[][]; attention_mask: number[][]; patches: number; picks: number[]; logits: number[][]; pred_boxes: number[][]; max_logit: number[] };
  yolox: { blocks8x8: Rgb[]; anchors: number[]; rows: number[][]; shape_clear: boolean[] };
  dino: { blocks8x8: Rgb[]; heads: number; attentions: number[] };
}
const fixture = (): Fixture => JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/color-detectors-reference.json', import.meta.url)), 'utf8')) as Fixture;

/** 8×8 colour blocks as a [1,3,s,s] tensor: normalised RGB planes, or (bgr) raw BGR 0..255 planes. */
function blocksTensor(blocks: Rgb[], s: number, norm: { mean: number[]; std: number[] } | 'bgr'): Float32Array {
  const out = new Float32Array(3 * s * s);
  const side = s / 8;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const rgb = blocks[Math.floor(y / side) * 8 + Math.floor(x / side)]!;
      for (let c = 0; c < 3; c++) {
        out[c * s * s + y * s + x] = norm === 'bgr' ? rgb[2 - c]! : (rgb[c]! / 255 - norm.mean[c]!) / norm.std[c]!;
      }
    }
  }
  return out;
}

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}
const boxAt = (boxes: Float32Array, i: number): Box => ({ x1: boxes[4 * i]!, y1: boxes[4 * i + 1]!, x2: boxes[4 * i + 2]!, y2: boxes[4 * i + 3]! });
const allBoxes = (boxes: Float32Array): Box[] => Array.from({ length: boxes.length / 4 }, (_, i) => boxAt(boxes, i));

async function decoded(png: Buffer): Promise<DecodedImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

let scenes: { scene: Scene; image: DecodedImage }[];
beforeAll(async () => {
  scenes = await Promise.all(SEEDS.map(async (seed) => {
    const scene = await renderScene(seed);
    return { scene, image: await decoded(scene.png) };
  }));
});

describe('folders', () => {
  it('are small, load through Loupe’s loaders and declare the contract values', async () => {
    for (const dir of [OWL, YOLOX, DINO]) expect(statSync(join(dir, 'onnx/model.onnx')).size).toBeLessThan(2_000_000);
    const owl = await OwlModel.load(OWL);
    expect(owl.preprocessing).toEqual({ size: 96, mode: 'squash', mean: CLIP_MEAN, std: CLIP_STD, rescale: 1 / 255, resample: 'bicubic' });
    const yolox = await YoloxModel.load(YOLOX);
    expect([yolox.inputWidth, yolox.inputHeight, yolox.strides]).toEqual([640, 640, [8, 16, 32]]);
    const dino = await DinoModel.load(DINO);
    expect(dino.preprocessing).toEqual({ size: 224, mode: 'squash', mean: IMAGENET_MEAN, std: IMAGENET_STD, rescale: 1 / 255, resample: 'bilinear' });
    expect([dino.gridWidth, dino.gridHeight]).toEqual([14, 14]);
    expect(readFileSync(join(OWL, 'tokenizer.json'), 'utf8')).toBe(readFileSync(join(MODELS, 'color-clip/tokenizer.json'), 'utf8'));
    await Promise.all([owl.release(), yolox.release(), dino.release()]);
  });
});

describe('onnxruntime-node equals the numpy reference of the generator', () => {
  it('color-owl: logits and boxes for several queries, dynamic Q, L and B', async () => {
    const f = fixture().owl;
    const session = await ort.InferenceSession.create(join(OWL, 'onnx/model.onnx'));
    expect([...session.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'pixel_values']);
    expect([...session.outputNames].sort()).toEqual(['logits', 'pred_boxes']);
    const q = f.input_ids.length;
    const l = f.input_ids[0]!.length;
    const one = blocksTensor(f.blocks8x8, 96, { mean: CLIP_MEAN, std: CLIP_STD });
    const pixels = new Float32Array(2 * one.length);
    pixels.set(one);
    pixels.set(one, one.length); // batch of 2: both rows must equal the reference
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(f.input_ids.flat().map(BigInt)), [q, l]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(f.attention_mask.flat().map(BigInt)), [q, l]),
      pixel_values: new ort.Tensor('float32', pixels, [2, 3, 96, 96]),
    });
    expect(out.logits!.dims).toEqual([2, f.patches, q]);
    expect(out.pred_boxes!.dims).toEqual([2, f.patches, 4]);
    const logits = out.logits!.data as Float32Array;
    const boxes = out.pred_boxes!.data as Float32Array;
    for (const b of [0, 1]) {
      f.picks.forEach((p, i) => {
        for (let j = 0; j < q; j++) expect(logits[(b * f.patches + p) * q + j]).toBeCloseTo(f.logits[i]![j]!, 3);
        for (let j = 0; j < 4; j++) expect(boxes[(b * f.patches + p) * 4 + j]).toBeCloseTo(f.pred_boxes[i]![j]!, 5);
      });
      for (let j = 0; j < q; j++) {
        let best = -Infinity;
        for (let p = 0; p < f.patches; p++) best = Math.max(best, logits[(b * f.patches + p) * q + j]!);
        expect(best).toBeCloseTo(f.max_logit[j]!, 3);
      }
    }
    await session.release();
  });

  it('color-yolox: anchor rows (offsets, log sizes, objectness, class score)', async () => {
    const f = fixture().yolox;
    const session = await ort.InferenceSession.create(join(YOLOX, 'onnx/model.onnx'));
    const out = await session.run({ images: new ort.Tensor('float32', blocksTensor(f.blocks8x8, 640, 'bgr'), [1, 3, 640, 640]) });
    expect(out.output!.dims).toEqual([1, 8400, 6]);
    const rows = out.output!.data as Float32Array;
    f.anchors.forEach((a, i) => {
      const want = f.rows[i]!;
      expect(rows[a * 6 + 4]).toBeCloseTo(want[4]!, 4);
      expect([rows[a * 6], rows[a * 6 + 1], rows[a * 6 + 5]]).toEqual([0.5, 0.5, 1]);
      // the log sizes are the best shape's: compared where no other shape comes within 1e-4 of it
      if (f.shape_clear[i]) for (const j of [2, 3]) expect(rows[a * 6 + j]).toBeCloseTo(want[j]!, 4);
    });
    await session.release();
  });

  it('color-dino: every head of the attentions, each row summing to 1', async () => {
    const f = fixture().dino;
    const session = await ort.InferenceSession.create(join(DINO, 'onnx/model.onnx'));
    const out = await session.run({ pixel_values: new ort.Tensor('float32', blocksTensor(f.blocks8x8, 224, { mean: IMAGENET_MEAN, std: IMAGENET_STD }), [1, 3, 224, 224]) });
    expect(out.attentions!.dims).toEqual([1, f.heads, 196]);
    const att = out.attentions!.data as Float32Array;
    for (let i = 0; i < att.length; i++) expect(att[i]).toBeCloseTo(f.attentions[i]!, 5);
    for (let h = 0; h < f.heads; h++) expect(att.subarray(h * 196, (h + 1) * 196).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    await session.release();
  });
});

/** One image's model input: the whole image resized by the model's preprocessing. */
const modelInput = (image: DecodedImage, model: { preprocessing: OwlModel['preprocessing'] }) =>
  preprocessBatch(image, new Float32Array([0, 0, image.width, image.height]), model.preprocessing);

describe('on rendered demo scenes (seeds 1-20)', () => {
  let owl: OwlModel;
  let yolox: YoloxModel;
  let dino: DinoModel;
  beforeAll(async () => {
    [owl, yolox, dino] = await Promise.all([OwlModel.load(OWL), YoloxModel.load(YOLOX), DinoModel.load(DINO)]);
  });
  afterAll(async () => {
    await Promise.all([owl?.release(), yolox?.release(), dino?.release()]);
  });

  it('color-owl: the top box for a present colour is on its object; absent colours and colourless queries score low', async () => {
    const queries = COLOURS;
    let objects = 0;
    let hits = 0;
    let presentLow = 0;
    const absent: number[] = [];
    const ious: number[] = [];
    for (let i = 0; i < scenes.length; i += 4) {
      const batch = scenes.slice(i, i + 4);
      const s = owl.preprocessing.size;
      const pixels = new Float32Array(batch.length * 3 * s * s);
      for (let j = 0; j < batch.length; j++) pixels.set(await modelInput(batch[j]!.image, owl), j * 3 * s * s);
      const { logits, boxes, patches } = await owl.detect(pixels, batch.length, queries);
      expect(logits.length).toBe(batch.length * patches * queries.length);
      for (let j = 0; j < batch.length; j++) {
        const { scene, image } = batch[j]!;
        for (let q = 0; q < queries.length; q++) {
          const column = new Float32Array(patches);
          for (let p = 0; p < patches; p++) column[p] = logits[(j * patches + p) * queries.length + q]!;
          const det = await decodeOwl(column, boxes.subarray(j * patches * 4, (j + 1) * patches * 4), { imageWidth: image.width, imageHeight: image.height, topK: 1 });
          const object = scene.objects.find((o) => o.colour === queries[q]);
          if (!object) {
            absent.push(det.scores[0]!);
            continue;
          }
          objects++;
          const overlap = iou(boxAt(det.boxes, 0), object.box);
          ious.push(overlap);
          if (overlap >= 0.5) hits++;
          if (det.scores[0]! < 0.5) presentLow++;
        }
      }
    }
    const maxAbsent = Math.max(...absent);
    console.log(`color-owl: top box IoU >= 0.5 for ${hits}/${objects} objects (mean IoU ${(ious.reduce((a, b) => a + b, 0) / ious.length).toFixed(3)}, min ${Math.min(...ious).toFixed(3)}); present scored < 0.5: ${presentLow}; max absent-colour score ${maxAbsent.toFixed(3)} over ${absent.length} queries`);
    expect(hits / objects).toBeGreaterThanOrEqual(0.9);
    expect(presentLow).toBe(0);
    expect(maxAbsent).toBeLessThan(0.5);
    // No colour word: every logit is -3 (sigmoid 0.047), whatever the image.
    const none = await owl.detect(await modelInput(scenes[0]!.image, owl), 1, ['a photo of a dog']);
    expect(Math.max(...none.logits)).toBeCloseTo(-3, 5);
    expect(Math.min(...none.logits)).toBeCloseTo(-3, 5);
  });

  it('color-yolox: the top-10 proposals after class-agnostic NMS cover the objects; blank images propose nothing', async () => {
    let objects = 0;
    let hits = 0;
    let hitsTopN = 0;
    const ious: number[] = [];
    for (const { scene, image } of scenes) {
      const input = await letterbox(image);
      const output = await yolox.run(input.tensor);
      const det = await decodeYolox(output, { scale: input.scale, imageWidth: image.width, imageHeight: image.height, scoreThreshold: 0.05 });
      const kept = await nms(det.boxes, det.scores, { iouThreshold: 0.6, maxOutputs: 10 });
      const proposals = Array.from(kept, (i) => boxAt(det.boxes, i));
      for (const o of scene.objects) {
        objects++;
        const best = Math.max(0, ...proposals.map((b) => iou(b, o.box)));
        ious.push(best);
        if (best >= 0.5) hits++;
        if (proposals.slice(0, scene.objects.length).some((b) => iou(b, o.box) >= 0.5)) hitsTopN++;
      }
    }
    console.log(`color-yolox: top-10 recall@0.5 ${hits}/${objects} (mean best IoU ${(ious.reduce((a, b) => a + b, 0) / ious.length).toFixed(3)}, min ${Math.min(...ious).toFixed(3)}); within the top-N (N = objects in the scene): ${hitsTopN}/${objects}`);
    expect(hits / objects).toBeGreaterThanOrEqual(0.9);
    expect(hitsTopN / objects).toBeGreaterThanOrEqual(0.6);
    for (const grey of [255, 184]) {
      const blank = await decoded(await sharp({ create: { width: 480, height: 360, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toBuffer());
      const input = await letterbox(blank);
      const det = await decodeYolox(await yolox.run(input.tensor), { scale: input.scale, imageWidth: 480, imageHeight: 360, scoreThreshold: 0.05 });
      expect(det.scores.length).toBe(0);
    }
  });

  it('color-dino: v2 (each head) and v1 (mean) attention boxes cover the objects; a colour head finds its object', async () => {
    const recall = { v1: 0, v2: 0, head: 0 };
    const boxCounts = { v1: 0, v2: 0 };
    let objects = 0;
    let strayBoxes = 0;
    for (const { scene, image } of scenes) {
      const { attentions, heads } = await dino.attentions(await modelInput(image, dino));
      expect(heads).toBe(DINO_HEADS.length);
      const opts = { heads, gridWidth: 14, gridHeight: 14, imageWidth: image.width, imageHeight: image.height } as const;
      const v1 = await attentionToBoxes(attentions, { ...opts, mode: 'v1' });
      const v2 = await attentionToBoxes(attentions, { ...opts, mode: 'v2' });
      boxCounts.v1 += v1.scores.length;
      boxCounts.v2 += v2.scores.length;
      // heads of colours absent from the scene are exactly flat (shares below the floor count nothing): no boxes
      const present = new Set(scene.objects.map((o) => DINO_HEADS.indexOf(o.colour)));
      strayBoxes += Array.from(v2.maps).filter((m) => m !== 0 && !present.has(m)).length;
      for (const o of scene.objects) {
        objects++;
        if (allBoxes(v1.boxes).some((b) => iou(b, o.box) >= 0.5)) recall.v1++;
        if (allBoxes(v2.boxes).some((b) => iou(b, o.box) >= 0.5)) recall.v2++;
        const head = DINO_HEADS.indexOf(o.colour);
        if (allBoxes(v2.boxes).some((b, i) => v2.maps[i] === head && iou(b, o.box) >= 0.5)) recall.head++;
      }
    }
    console.log(`color-dino: recall@0.5 v2 ${recall.v2}/${objects}, v1 ${recall.v1}/${objects}, own colour head ${recall.head}/${objects}; boxes per image v2 ${(boxCounts.v2 / scenes.length).toFixed(2)}, v1 ${(boxCounts.v1 / scenes.length).toFixed(2)}; boxes from absent colours' heads ${strayBoxes}`);
    expect(strayBoxes).toBe(0);
    expect(recall.v2 / objects).toBeGreaterThanOrEqual(0.9);
    expect(recall.head / objects).toBeGreaterThanOrEqual(0.9);
    expect(recall.v1 / objects).toBeGreaterThanOrEqual(0.8);
  });
});
