import { describe, expect, it } from 'vitest';
import { decodeOwl, decodeYolox, yoloxAnchorCount } from '../../src/native/decode.js';
import { nms } from '../../src/native/nms.js';
import { decodeOwlReference, decodeYoloxReference } from './reference/decode.js';
import { maxAbsDiff, rng } from './helpers.js';

describe('decodeYolox', () => {
  it('anchor count for 640 x 640 is 8,400', () => {
    expect(yoloxAnchorCount(640, 640)).toBe(8400);
  });

  it('finds the objects planted in an otherwise empty output, in original pixels', async () => {
    const classes = 3;
    const row = 5 + classes;
    const out = new Float32Array(8400 * row);
    const plant = (anchor: number, o: number[]) => out.set(o, anchor * row);
    // Stride 8, cell (10, 20): centre (84, 164), 32 x 32 model px; class 1, score 0.9 * 0.8.
    plant(20 * 80 + 10, [0.5, 0.5, Math.log(4), Math.log(4), 0.9, 0.1, 0.8, 0.3]);
    // Stride 32, cell (3, 2): centre (112, 80), 64 x 128 model px; class 2, score 0.6.
    plant(80 * 80 + 40 * 40 + 2 * 20 + 3, [0.5, 0.5, Math.log(2), Math.log(4), 1, 0, 0.2, 0.6]);
    // Below the threshold: 0.5 * 0.5.
    plant(5, [0, 0, 0, 0, 0.5, 0.5, 0, 0]);
    const d = await decodeYolox(out, { scale: 0.5, imageWidth: 1280, imageHeight: 960, scoreThreshold: 0.3 });
    expect(Array.from(d.labels)).toEqual([1, 2]);
    expect(d.scores[0]).toBeCloseTo(0.72, 6);
    expect(d.scores[1]).toBeCloseTo(0.6, 6);
    expect(maxAbsDiff(d.boxes, [136, 296, 200, 360, 160, 32, 288, 288])).toBeLessThan(1e-3);
  });

  it('clips boxes to the image', async () => {
    const out = new Float32Array(8400 * 6);
    out.set([0, 0, 5, 5, 1, 1], 0); // a huge box at the top-left cell
    const d = await decodeYolox(out, { scale: 1, imageWidth: 100, imageHeight: 50, scoreThreshold: 0.5 });
    expect(Array.from(d.boxes)).toEqual([0, 0, 100, 50]);
  });

  it('matches the TypeScript reference on random outputs, then feeds NMS', async () => {
    const rand = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const inputWidth = 32 * (1 + Math.floor(rand() * 4));
      const inputHeight = 32 * (1 + Math.floor(rand() * 4));
      const classes = 1 + Math.floor(rand() * 5);
      const anchors = yoloxAnchorCount(inputWidth, inputHeight);
      const out = new Float32Array(anchors * (5 + classes));
      for (let a = 0; a < anchors; a++) {
        const r = out.subarray(a * (5 + classes), (a + 1) * (5 + classes));
        r.set([rand(), rand(), rand() * 2 - 1, rand() * 2 - 1]);
        for (let k = 4; k < r.length; k++) r[k] = rand();
      }
      const opts = {
        inputWidth,
        inputHeight,
        scale: 0.25 + rand(),
        imageWidth: 50 + Math.floor(rand() * 300),
        imageHeight: 50 + Math.floor(rand() * 300),
        scoreThreshold: rand() * 0.5,
      };
      const got = await decodeYolox(out, opts);
      const want = decodeYoloxReference(out, opts);
      expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
      expect(maxAbsDiff(got.scores, want.scores)).toBeLessThan(1e-6);
      expect(maxAbsDiff(got.boxes, want.boxes)).toBeLessThan(1e-3);
      const kept = await nms(got.boxes, got.scores, { iouThreshold: 0.45, maxOutputs: 10 });
      expect(kept.length).toBeLessThanOrEqual(10);
    }
  });

  const out = new Float32Array(8400 * 6);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'wrong length',
      () => decodeYolox(out.subarray(1), { scale: 1, imageWidth: 10, imageHeight: 10 }),
      /anchors \* \(5 \+ classes\) values with 8400 anchors for output.length but received 50399/,
    ],
    ['no classes', () => decodeYolox(new Float32Array(8400 * 5), { scale: 1, imageWidth: 10, imageHeight: 10 }), /for output.length/],
    ['empty output', () => decodeYolox(new Float32Array(0), { scale: 1, imageWidth: 10, imageHeight: 10 }), /for output.length but received 0/],
    ['zero scale', () => decodeYolox(out, { scale: 0, imageWidth: 10, imageHeight: 10 }), /for opts.scale but received 0/],
    ['bad stride', () => decodeYolox(out, { scale: 1, imageWidth: 10, imageHeight: 10, strides: [0] }), /for opts.strides\[0\]/],
    ['NaN image size', () => decodeYolox(out, { scale: 1, imageWidth: NaN, imageHeight: 10 }), /for opts.imageWidth/],
  ];
  for (const [name, call, message] of cases) {
    it(`bad input: ${name}`, async () => {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    });
  }

  it('NaN values in the output never crash: an anchor with a NaN score is dropped', async () => {
    const o = new Float32Array(8400 * 6);
    o.set([NaN, NaN, NaN, NaN, NaN, NaN], 0);
    o.set([0, 0, 0, 0, 1, 1], 6);
    const d = await decodeYolox(o, { scale: 1, imageWidth: 640, imageHeight: 640, scoreThreshold: 0.5 });
    expect(d.scores.length).toBe(1);
  });
});

describe('decodeOwl', () => {
  it('sigmoid scores, best query, corners in pixels, top-k', async () => {
    // 3 patches x 2 queries.
    const logits = new Float32Array([-5, 3, 0, -1, 1, -9]);
    const boxes = new Float32Array([0.5, 0.5, 0.2, 0.4, 0.1, 0.1, 0.2, 0.2, 0.9, 0.9, 0.4, 0.4]);
    const d = await decodeOwl(logits, boxes, { imageWidth: 200, imageHeight: 100, topK: 2 });
    expect(Array.from(d.labels)).toEqual([1, 0]);
    expect(d.scores[0]).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(d.scores[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(maxAbsDiff(d.boxes, [80, 30, 120, 70, 140, 70, 200, 100])).toBeLessThan(1e-4);
    const padded = await decodeOwl(logits, boxes, { imageWidth: 200, imageHeight: 100, topK: 1, padToSquare: true });
    expect(maxAbsDiff(padded.boxes, [80, 60, 120, 100])).toBeLessThan(1e-4);
    const none = await decodeOwl(logits, boxes, { imageWidth: 200, imageHeight: 100, scoreThreshold: 0.99 });
    expect(none.scores.length).toBe(0);
  });

  it('matches the TypeScript reference on random outputs', async () => {
    const rand = rng(12);
    for (let trial = 0; trial < 20; trial++) {
      const patches = 1 + Math.floor(rand() * 600);
      const queries = 1 + Math.floor(rand() * 4);
      const logits = Float32Array.from({ length: patches * queries }, () => rand() * 12 - 6);
      const boxes = Float32Array.from({ length: patches * 4 }, () => rand());
      const opts = {
        imageWidth: 1 + Math.floor(rand() * 900),
        imageHeight: 1 + Math.floor(rand() * 900),
        padToSquare: rand() < 0.5,
        scoreThreshold: rand() * 0.5,
        topK: Math.floor(rand() * 50),
      };
      const got = await decodeOwl(logits, boxes, opts);
      const want = decodeOwlReference(logits, boxes, opts);
      expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
      expect(maxAbsDiff(got.scores, want.scores)).toBeLessThan(1e-6);
      expect(maxAbsDiff(got.boxes, want.boxes)).toBeLessThan(1e-3);
    }
  });

  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'logits not a multiple of patches',
      () => decodeOwl(new Float32Array(5), new Float32Array(8), { imageWidth: 1, imageHeight: 1 }),
      /patches \* queries values with 2 patches .* for logits.length but received 5/,
    ],
    ['empty', () => decodeOwl(new Float32Array(0), new Float32Array(0), { imageWidth: 1, imageHeight: 1 }), /with 0 patches/],
    ['boxes length', () => decodeOwl(new Float32Array(2), new Float32Array(6), { imageWidth: 1, imageHeight: 1 }), /multiple of 4 for predBoxes.length/],
    ['bad topK', () => decodeOwl(new Float32Array(1), new Float32Array(4), { imageWidth: 1, imageHeight: 1, topK: 1.5 }), /for opts.topK/],
  ];
  for (const [name, call, message] of cases) {
    it(`bad input: ${name}`, async () => {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    });
  }
});
