import { describe, expect, it } from 'vitest';
import { nms } from '../../src/native/nms.js';
import { nmsReference } from './reference/nms.js';
import { rng } from './helpers.js';

const f32 = (a: number[]) => new Float32Array(a);

function randomCandidates(rand: () => number, n: number, side = 100) {
  const boxes = new Float32Array(n * 4);
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = rand() * side;
    const y = rand() * side;
    boxes.set([x, y, x + 1 + rand() * side * 0.3, y + 1 + rand() * side * 0.3], 4 * i);
    // Quantized scores so that ties happen and their order is checked too.
    scores[i] = Math.round(rand() * 50) / 50;
    rand(); // was a class id (per-class NMS is gone): kept so the random cases stay the same
  }
  return { boxes, scores };
}

describe('nms vs the TypeScript reference (random inputs)', () => {
  it('agree exactly', async () => {
    const rand = rng(7);
    for (let trial = 0; trial < 60; trial++) {
      const n = Math.floor(rand() * 300);
      const { boxes, scores } = randomCandidates(rand, n);
      const iou = rand();
      const maxOutputs = rand() < 0.3 ? Math.floor(rand() * 20) : undefined;
      const scoreThreshold = rand() < 0.3 ? rand() : undefined;
      const opts = { iouThreshold: iou, maxOutputs, scoreThreshold };
      const replay = JSON.stringify({ trial, n, opts });
      expect(Array.from(await nms(boxes, scores, { ...opts, device: 'cpu' })), replay).toEqual(
        Array.from(nmsReference(boxes, scores, iou, maxOutputs, scoreThreshold)),
      );
      expect(Array.from(await nms(boxes, scores, opts)), replay).toEqual(Array.from(nmsReference(boxes, scores, iou, maxOutputs, scoreThreshold)));
    }
  });
});

describe('nms on crafted overlaps', () => {
  // A and B overlap with IoU 81/119 = 0.68; D covers half of A (IoU 0.5); C is apart.
  const boxes = f32([0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 10, 5]);
  const scores = f32([0.9, 0.8, 0.7, 0.95]);

  it('suppresses only IoU strictly above the threshold', async () => {
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 0.5 }))).toEqual([3, 0, 2]);
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 0.49 }))).toEqual([3, 1, 2]);
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 1 }))).toEqual([3, 0, 1, 2]);
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 0 }))).toEqual([3, 2]);
  });

  it('honours maxOutputs and scoreThreshold', async () => {
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 0.5, maxOutputs: 2 }))).toEqual([3, 0]);
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 0.5, maxOutputs: 0 }))).toEqual([]);
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 0.5, scoreThreshold: 0.75 }))).toEqual([3, 0]);
  });

  it('an inverted box has zero area: kept, and suppresses nothing (documented)', async () => {
    const b = f32([10, 10, 0, 0, 0, 0, 10, 10]);
    expect(Array.from(await nms(b, f32([0.99, 0.5]), { iouThreshold: 0.1 }))).toEqual([0, 1]);
  });

  it('equal scores keep the lower index first', async () => {
    expect(Array.from(await nms(f32([0, 0, 10, 10, 0, 0, 10, 10]), f32([0.5, 0.5]), { iouThreshold: 0.5 }))).toEqual([0]);
  });

  it('no candidates gives no indices', async () => {
    expect((await nms(new Float32Array(0), new Float32Array(0), { iouThreshold: 0.5 })).length).toBe(0);
  });
});

describe('nms bad input (INVALID_INPUT, never a crash)', () => {
  const b = f32([0, 0, 1, 1]);
  const s = f32([0.5]);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['length mismatch', () => nms(f32([0, 0, 1, 1, 2]), s, { iouThreshold: 0.5 }), /multiple of 4 for boxes.length/],
    [
      'boxes vs scores',
      () => nms(f32([0, 0, 1, 1, 0, 0, 1, 1]), s, { iouThreshold: 0.5 }),
      /Expected 4 \* scores.length = 4 values for boxes.length but received 8/,
    ],
    ['NaN box', () => nms(f32([0, NaN, 1, 1]), s, { iouThreshold: 0.5 }), /Expected box coordinates that are not NaN for boxes\[0\]/],
    ['NaN score', () => nms(b, f32([NaN]), { iouThreshold: 0.5 }), /Expected a score that is not NaN for scores\[0\]/],
    ['iou above 1', () => nms(b, s, { iouThreshold: 1.5 }), /Expected a finite number between 0 and 1 for opts.iouThreshold but received 1.5/],
    ['negative maxOutputs', () => nms(b, s, { iouThreshold: 0.5, maxOutputs: -1 }), /for opts.maxOutputs/],
    ['absurd count', () => nms(new Float32Array(4_000_004), new Float32Array(1_000_001), { iouThreshold: 0.5 }), /at most 1000000 for scores.length/],
    ['scores not typed', () => nms(b, [0.5] as never, { iouThreshold: 0.5 }), /Expected a Float32Array for scores/],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    });
  }

  it('the raw addon refuses mismatched lengths with an error', async () => {
    const { addon } = await import('../../src/native/addon.js');
    expect(() => addon.nms(f32([0, 0, 1]), s, 0.5, 10, 0, 1)).toThrow(/native: nms/);
  });
});
