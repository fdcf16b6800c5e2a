// The size an image is decoded at for its region method (src/localize/decode-size.ts): small enough that no pixel is
// decoded only to be thrown away, large enough that region crops are not degraded — checked on real embeddings and
// real detector boxes, which must match those from the full-size image.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderScene } from '../../src/demo/scenes.js';
import type { Box, RegionMethod } from '../../src/domain/types.js';
import { CROP_OVERSAMPLE, decodeSize, scaleBox } from '../../src/localize/decode-size.js';
import { RegionProposer } from '../../src/localize/proposers.js';
import { DETECTOR_DEFAULTS } from '../../src/localize/region-method.js';
import { loadClipModel } from '../../src/models/clip-model.js';
import { DinoModel, YoloxModel } from '../../src/models/detectors.js';
import { preprocessBatch } from '../../src/native/preprocess.js';
import { decodeImage } from '../../src/repositories/image-decoder.js';
import { iou } from '../helpers/images.js';

const MODELS = resolve(fileURLToPath(new URL('../../models', import.meta.url)));
const grid = (hn: number, wn: number): RegionMethod => ({ kind: 'simple', hn, wn });
const yolox = (minArea: number): RegionMethod => ({ kind: 'yolox', model: 'color-yolox', ...DETECTOR_DEFAULTS, minArea });

describe('decodeSize', () => {
  it('shrinks a 7000 × 7000 image for a 3 × 3 grid until each cell is CROP_OVERSAMPLE × the crop size', () => {
    const size = decodeSize(grid(3, 3), 7000, 7000, { cropSize: 32 });
    expect(size).toEqual({ width: 192, height: 192 });
    expect(size.width / 3).toBeGreaterThanOrEqual(CROP_OVERSAMPLE * 32);
  });

  it('keeps the full size when the crops need (nearly) all of it', () => {
    expect(decodeSize({ kind: 'none' }, 640, 480, { cropSize: 224 })).toEqual({ width: 640, height: 480 });
    expect(decodeSize(grid(3, 3), 640, 480, { cropSize: 224 })).toEqual({ width: 640, height: 480 });
    // Detectors with no minimum area can propose any small box: nothing can be dropped.
    expect(decodeSize(yolox(0), 4000, 3000, { cropSize: 32, detectorInput: { width: 640, height: 640 } })).toEqual({ width: 4000, height: 3000 });
  });

  it("bounds detector proposals by minArea and maxAspect, and never goes below the detector's own input", () => {
    // Smallest proposal short side √(0.01 · 4000 · 3000 / 4) = 173 px; 2 × 64 px needed → scale 0.739.
    expect(decodeSize(yolox(0.01), 4000, 3000, { cropSize: 64, detectorInput: { width: 640, height: 640 } })).toEqual({ width: 2956, height: 2217 });
    // Tiny crops need little, but YOLOX letterboxes to 640 (× 2): 7000 × 7000 → 1280 × 1280.
    expect(decodeSize(yolox(0.25), 7000, 7000, { cropSize: 8, detectorInput: { width: 640, height: 640 } })).toEqual({ width: 1280, height: 1280 });
    // DINO squashes each side to its input: the short side must keep 2 × 224.
    const dino: RegionMethod = { kind: 'dino-v1', model: 'color-dino', ...DETECTOR_DEFAULTS, minArea: 0.25 };
    expect(decodeSize(dino, 8000, 2000, { cropSize: 8, detectorInput: { width: 224, height: 224 } })).toEqual({ width: 1792, height: 448 });
  });

  it('maps boxes with scaleBox both ways', () => {
    expect(scaleBox({ x1: 10, y1: 20, x2: 30, y2: 40 }, 0.5, 0.25)).toEqual({ x1: 5, y1: 5, x2: 15, y2: 10 });
  });
});

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot; // both are unit vectors
}

describe('crops cut from the shrunk image are not degraded', () => {
  for (const name of ['emoji-clip', 'color-clip']) {
    it(`${name}: every grid crop embeds like the one cut from the full-size image (cosine ≥ 0.99)`, async () => {
      const model = await loadClipModel(resolve(MODELS, name));
      try {
        const scene = await renderScene(77, 2400, 1800);
        const method = grid(3, 3);
        const size = decodeSize(method, 2400, 1800, { cropSize: model.preprocessing.size });
        expect(size.width).toBeLessThan(2400); // the case actually shrinks
        const full = await decodeImage(scene.png);
        const small = await decodeImage(scene.png, { size });
        const { proposeGridRegions } = await import('../../src/localize/grid.js');
        const boxes = proposeGridRegions(method, 2400, 1800);
        const flat = (bs: Box[]) => Float32Array.from(bs.flatMap((b) => [b.x1, b.y1, b.x2, b.y2]));
        const sx = size.width / 2400;
        const sy = size.height / 1800;
        const a = await model.embedImages(await preprocessBatch(full, flat(boxes), model.preprocessing), boxes.length);
        const b = await model.embedImages(await preprocessBatch(small, flat(boxes.map((x) => scaleBox(x, sx, sy))), model.preprocessing), boxes.length);
        const d = model.dimension;
        const sims = boxes.map((_, i) => cosine(a.subarray(i * d, (i + 1) * d), b.subarray(i * d, (i + 1) * d)));
        console.log(`${name}: ${2400}×${1800} decoded at ${size.width}×${size.height}; crop cosines min ${Math.min(...sims).toFixed(4)}`);
        expect(Math.min(...sims), sims.map((s) => s.toFixed(4)).join(' ')).toBeGreaterThanOrEqual(0.99);
      } finally {
        await model.release();
      }
    }, 60_000);
  }

  it('color-yolox finds the objects on the shrunk image at least as well as on the full one (boxes in original pixels)', async () => {
    const detector = await YoloxModel.load(resolve(MODELS, 'color-yolox'));
    const proposer = new RegionProposer({ yolox: async () => detector, dino: () => DinoModel.load(resolve(MODELS, 'color-dino')) });
    try {
      const method = yolox(0.04); // smallest proposal 277 px on 3200 × 2400: decoded at under half the size
      const input = (await proposer.detectorInput(method))!;
      const found = { full: 0, small: 0, objects: 0 };
      for (const seed of [5, 6, 7, 8]) {
        const scene = await renderScene(seed, 3200, 2400);
        const size = decodeSize(method, 3200, 2400, { cropSize: 64, detectorInput: input });
        expect(size.width).toBeLessThan(3200 / 2);
        const full = await proposer.propose(method, await decodeImage(scene.png));
        const small = await proposer.propose(method, await decodeImage(scene.png, { size }), { width: 3200, height: 2400 });
        expect(small[0]).toEqual({ x1: 0, y1: 0, x2: 3200, y2: 2400 });
        for (const b of small) expect(b.x2 <= 3200 && b.y2 <= 2400 && b.x1 >= 0 && b.y1 >= 0).toBe(true);
        // The objects big enough to be proposed at all (minArea), found with IoU > 0.5.
        const objects = scene.objects.filter((o) => (o.box.x2 - o.box.x1) * (o.box.y2 - o.box.y1) >= 0.04 * 3200 * 2400);
        const hit = (boxes: Box[], o: Box) => boxes.slice(1).some((b) => iou(b, o) > 0.5);
        found.objects += objects.length;
        found.full += objects.filter((o) => hit(full, o.box)).length;
        found.small += objects.filter((o) => hit(small, o.box)).length;
      }
      console.log(`color-yolox on 3200×2400 scenes: objects found ${found.small}/${found.objects} decoded shrunk, ${found.full}/${found.objects} at full size`);
      expect(found.objects).toBeGreaterThan(0);
      expect(found.small).toBeGreaterThanOrEqual(found.full);
    } finally {
      await detector.release();
    }
  }, 120_000);
});
