import { describe, expect, it } from 'vitest';
import { letterbox } from '../../src/native/preprocess.js';
import { letterboxReference } from './reference/preprocess.js';
import { imageFrom, maxAbsDiff, randomImage, rng } from './helpers.js';

describe('letterbox', () => {
  it('matches the TypeScript reference on random images', async () => {
    const rand = rng(31);
    for (let trial = 0; trial < 12; trial++) {
      const image = randomImage(rand, 1 + Math.floor(rand() * 120), 1 + Math.floor(rand() * 120));
      const width = 8 + Math.floor(rand() * 80);
      const height = 8 + Math.floor(rand() * 80);
      const got = await letterbox(image, { width, height, pad: 114 });
      const want = letterboxReference(image, width, height, 114);
      expect(got.scale).toBeCloseTo(want.scale, 6);
      expect(maxAbsDiff(got.tensor, want.tensor), `trial ${trial}`).toBeLessThan(1e-3);
    }
  });

  it('round-trips a box: found in the tensor, divided by the scale, it is back in original pixels', async () => {
    const box = [50, 40, 120, 90];
    const image = imageFrom(300, 200, (x, y, c) => (x >= box[0]! && x < box[2]! && y >= box[1]! && y < box[3]! ? [250, 10, 10][c]! : 60));
    const { tensor, scale, width, height } = await letterbox(image, { width: 160, height: 160 });
    expect(scale).toBeCloseTo(160 / 300, 6);
    const plane = width * height;
    let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // BGR planes: red is plane 2.
        if (tensor[2 * plane + y * width + x]! > 155 && tensor[y * width + x]! < 60) {
          [x1, y1, x2, y2] = [Math.min(x1, x), Math.min(y1, y), Math.max(x2, x + 1), Math.max(y2, y + 1)];
        }
      }
    }
    const back = [x1 / scale, y1 / scale, x2 / scale, y2 / scale];
    expect(maxAbsDiff(back, box)).toBeLessThan(1 / scale + 0.01);
    // Everything below the resized image (106 rows) and right of it is padding.
    expect(tensor[plane + 107 * width + 10]).toBe(114);
    expect(tensor[159 * width + 159]).toBe(114);
  });

  const image = randomImage(rng(32), 4, 4);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['bad buffer', () => letterbox({ ...image, data: new Uint8Array(3) }), /for image.data.length but received 3/],
    ['bad size', () => letterbox(image, { width: 0 }), /for opts.width but received 0/],
    ['bad pad', () => letterbox(image, { pad: 300 }), /Expected a finite number between 0 and 255 for opts.pad but received 300/],
  ];
  for (const [name, call, message] of cases) {
    it(`bad input: ${name}`, async () => {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    });
  }
});
