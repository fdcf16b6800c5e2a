import { describe, expect, it } from 'vitest';
import { attentionToBoxes, type AttentionBoxesOptions } from '../../src/native/attention-boxes.js';
import { attentionToBoxesReference, otsuBin } from './reference/attention-boxes.js';
import { rng } from './helpers.js';

function iou(a: ArrayLike<number>, b: number[]): number {
  const iw = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (iw <= 0 || ih <= 0) return 0;
  const area = (x: ArrayLike<number>) => (x[2]! - x[0]!) * (x[3]! - x[1]!);
  return (iw * ih) / (area(a) + area(b) - iw * ih);
}

/** A 14 x 14 map at 0.1 with 1.0 in the given cell rectangles [x1, y1, x2, y2) (grid cells). */
function blobs(...rects: number[][]): Float32Array {
  const m = new Float32Array(196).fill(0.1);
  for (const [x1, y1, x2, y2] of rects) for (let y = y1!; y < y2!; y++) for (let x = x1!; x < x2!; x++) m[y * 14 + x] = 1;
  return m;
}

const base: AttentionBoxesOptions = { heads: 1, gridWidth: 14, gridHeight: 14, imageWidth: 224, imageHeight: 224, mode: 'v1', resolution: 224 };

describe('attentionToBoxes hand-made cases', () => {
  it("Otsu separates a bimodal image's two modes", () => {
    const values = [...Array(700).fill(10), ...Array(300).fill(200), 12, 190];
    const { bin, lo, hi } = otsuBin(values);
    const threshold = lo + ((bin + 1) / 256) * (hi - lo);
    expect(threshold).toBeGreaterThan(12);
    expect(threshold).toBeLessThan(190);
  });

  it('two blobs on one head give two boxes around them, scored by area', async () => {
    const r = await attentionToBoxes(blobs([2, 2, 5, 5], [9, 8, 13, 11]), base);
    expect(r.scores.length).toBe(2);
    // The larger blob (4 x 3 cells) first; boxes in image pixels (16 px per cell).
    expect(iou(r.boxes.subarray(0, 4), [144, 128, 208, 176])).toBeGreaterThan(0.7);
    expect(iou(r.boxes.subarray(4, 8), [32, 32, 80, 80])).toBeGreaterThan(0.7);
    expect(r.scores[0]).toBeGreaterThan(r.scores[1]!);
    expect(r.scores[0]).toBeGreaterThan(0.04);
    expect(r.scores[0]).toBeLessThan(0.1);
    expect(Array.from(r.maps)).toEqual([0, 0]);
  });

  it('v2 gives one map per head, v1 their mean', async () => {
    const att = new Float32Array(392);
    att.set(blobs([1, 1, 4, 4]), 0);
    att.set(blobs([8, 8, 12, 12]), 196);
    const v2 = await attentionToBoxes(att, { ...base, heads: 2, mode: 'v2' });
    expect(Array.from(v2.maps)).toEqual([1, 0]);
    expect(iou(v2.boxes.subarray(0, 4), [128, 128, 192, 192])).toBeGreaterThan(0.7);
    const v1 = await attentionToBoxes(att, { ...base, heads: 2, mode: 'v1' });
    expect(Array.from(v1.maps)).toEqual([0, 0]);
    expect(v1.scores.length).toBe(2);
  });

  it('boxes scale to a non-square original image', async () => {
    const r = await attentionToBoxes(blobs([0, 0, 7, 14]), { ...base, imageWidth: 1000, imageHeight: 500, resolution: 200 });
    expect(r.scores.length).toBe(1);
    expect(iou(r.boxes, [0, 0, 500, 500])).toBeGreaterThan(0.85);
  });

  it('a flat map has no foreground, hence no boxes; minArea and maxBoxes filter', async () => {
    expect((await attentionToBoxes(new Float32Array(196).fill(0.3), base)).scores.length).toBe(0);
    expect((await attentionToBoxes(blobs([2, 2, 5, 5], [9, 8, 13, 11]), { ...base, minArea: 0.05 })).scores.length).toBe(1);
    expect((await attentionToBoxes(blobs([2, 2, 5, 5], [9, 8, 13, 11]), { ...base, maxBoxes: 1 })).scores.length).toBe(1);
  });
});

describe('attentionToBoxes vs the TypeScript reference (random maps)', () => {
  it('agrees exactly', async () => {
    const rand = rng(21);
    for (let trial = 0; trial < 25; trial++) {
      const heads = 1 + Math.floor(rand() * 4);
      const gridWidth = 1 + Math.floor(rand() * 16);
      const gridHeight = 1 + Math.floor(rand() * 16);
      const att = Float32Array.from({ length: heads * gridWidth * gridHeight }, () => (rand() < 0.2 ? rand() : rand() * 0.1));
      const opts: AttentionBoxesOptions = {
        heads,
        gridWidth,
        gridHeight,
        imageWidth: 1 + Math.floor(rand() * 400),
        imageHeight: 1 + Math.floor(rand() * 400),
        mode: rand() < 0.5 ? 'v1' : 'v2',
        resolution: 16 + Math.floor(rand() * 200),
        minArea: rand() < 0.3 ? rand() * 0.05 : 0,
        maxBoxes: 1 + Math.floor(rand() * 30),
      };
      const got = await attentionToBoxes(att, opts);
      const want = attentionToBoxesReference(att, opts);
      const replay = JSON.stringify({ trial, opts });
      expect(Array.from(got.boxes), replay).toEqual(Array.from(want.boxes));
      expect(Array.from(got.scores), replay).toEqual(Array.from(want.scores));
      expect(Array.from(got.maps), replay).toEqual(Array.from(want.maps));
    }
  });
});

describe('attentionToBoxes bad input (INVALID_INPUT, never a crash)', () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'wrong length',
      () => attentionToBoxes(new Float32Array(195), base),
      /Expected heads \* gridHeight \* gridWidth = 196 values for attentions.length but received 195/,
    ],
    [
      'NaN value',
      () =>
        attentionToBoxes(
          Float32Array.from({ length: 196 }, (_, i) => (i === 7 ? NaN : 0)),
          base,
        ),
      /Expected finite attention values for attentions\[7\]/,
    ],
    ['bad mode', () => attentionToBoxes(new Float32Array(196), { ...base, mode: 'v3' as never }), /Expected 'v1' or 'v2' for opts.mode/],
    ['zero heads', () => attentionToBoxes(new Float32Array(196), { ...base, heads: 0 }), /for opts.heads but received 0/],
    ['absurd resolution', () => attentionToBoxes(new Float32Array(196), { ...base, resolution: 1e9 }), /for opts.resolution/],
    ['minArea above 1', () => attentionToBoxes(new Float32Array(196), { ...base, minArea: 2 }), /for opts.minArea/],
    ['not typed', () => attentionToBoxes([] as never, base), /Expected a Float32Array for attentions/],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    });
  }

  it('the raw addon refuses a mismatched length with an error', async () => {
    const { addon } = await import('../../src/native/addon.js');
    expect(() => addon.attentionToBoxes(new Float32Array(3), 1, 2, 2, 10, 10, false, 10, 0, 10)).toThrow(/native: attentionToBoxes/);
  });
});
