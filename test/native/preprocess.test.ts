import { describe, expect, it } from 'vitest';
import { preprocessBatch, type PreprocessOptions } from '../../src/native/preprocess.js';
import { preprocessBatchDirect, preprocessBatchReference } from './reference/preprocess.js';
import { imageFrom, maxAbsDiff, randomImage, rng } from './helpers.js';

const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] } as const;
const plain = (size: number, extra: Partial<PreprocessOptions> = {}): PreprocessOptions => ({
  size,
  mode: 'squash',
  mean: [0, 0, 0],
  std: [1, 1, 1],
  rescale: 1,
  resample: 'bilinear',
  device: 'cpu',
  ...extra,
});

describe('preprocessBatch vs the TypeScript reference (random inputs)', () => {
  it('matches on random images, boxes, sizes, modes and filters', async () => {
    const rand = rng(42);
    for (let trial = 0; trial < 40; trial++) {
      const w = 5 + Math.floor(rand() * 60);
      const h = 5 + Math.floor(rand() * 60);
      const image = randomImage(rand, w, h);
      const n = 1 + Math.floor(rand() * 4);
      const boxes = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) {
        // Some boxes reach outside the image (clipped), some are sub-pixel small, most are ordinary.
        const x1 = rand() * w * 1.2 - w * 0.1;
        const y1 = rand() * h * 1.2 - h * 0.1;
        const bw = rand() < 0.15 ? 0.3 + rand() : 1 + rand() * w;
        const bh = rand() < 0.15 ? 0.3 + rand() : 1 + rand() * h;
        const cx1 = Math.min(Math.max(x1, 0), w - 1);
        const cy1 = Math.min(Math.max(y1, 0), h - 1);
        boxes.set([x1 < 0 ? x1 : cx1, y1 < 0 ? y1 : cy1, cx1 + bw, cy1 + bh], i * 4);
      }
      const opts: PreprocessOptions = {
        size: 1 + Math.floor(rand() * 30),
        mode: rand() < 0.5 ? 'squash' : 'shortest-edge-center-crop',
        resample: rand() < 0.5 ? 'bilinear' : 'bicubic',
        mean: [...CLIP.mean],
        std: [...CLIP.std],
        device: 'cpu',
      };
      const got = await preprocessBatch(image, boxes, opts);
      const want = preprocessBatchDirect(image, boxes, opts);
      const separable = preprocessBatchReference(image, boxes, opts);
      const replay = `trial ${trial} ${JSON.stringify({ w, h, boxes: Array.from(boxes), opts })}`;
      expect(got.length).toBe(n * 3 * opts.size * opts.size);
      expect(maxAbsDiff(got, want), replay).toBeLessThan(2e-3);
      expect(maxAbsDiff(separable, want), replay).toBeLessThan(1e-4);
    }
  });
});

describe('preprocessBatch hand-made cases', () => {
  it('a constant image gives the constant normalized value everywhere', async () => {
    const image = imageFrom(40, 30, (_x, _y, c) => [200, 100, 50][c]!);
    const out = await preprocessBatch(image, new Float32Array([3, 2, 31, 27]), {
      size: 16,
      mode: 'shortest-edge-center-crop',
      mean: [...CLIP.mean],
      std: [...CLIP.std],
      resample: 'bicubic',
    });
    for (let c = 0; c < 3; c++) {
      const want = ([200, 100, 50][c]! / 255 - CLIP.mean[c]!) / CLIP.std[c]!;
      const plane = out.subarray(c * 256, (c + 1) * 256);
      expect(maxAbsDiff(plane, new Float32Array(256).fill(want))).toBeLessThan(1e-5);
    }
  });

  it('the whole image at its own size is the identity, channel-planar', async () => {
    const image = randomImage(rng(1), 12, 12);
    for (const resample of ['bilinear', 'bicubic'] as const) {
      const out = await preprocessBatch(image, new Float32Array([0, 0, 12, 12]), plain(12, { resample }));
      for (let y = 0; y < 12; y++)
        for (let x = 0; x < 12; x++)
          for (let c = 0; c < 3; c++) {
            expect(out[(c * 12 + y) * 12 + x]).toBeCloseTo(image.data[(y * 12 + x) * 3 + c]!, 3);
          }
    }
  });

  it('antialiased 2x bilinear downscale keeps a linear ramp linear away from the borders', async () => {
    const image = imageFrom(32, 32, (x) => x * 4);
    const out = await preprocessBatch(image, new Float32Array([0, 0, 32, 32]), plain(16));
    // Output k centres on source x = 2k+1, i.e. pixel value 4*(2k+1-0.5) with the filter widened to 4 pixels.
    for (let k = 1; k < 15; k++) expect(out[5 * 16 + k]).toBeCloseTo(4 * (2 * k + 0.5), 3);
  });

  it('antialiasing averages a 1-pixel checkerboard to grey when downscaling 4x', async () => {
    const image = imageFrom(64, 64, (x, y) => ((x + y) % 2 ? 255 : 0));
    const out = await preprocessBatch(image, new Float32Array([0, 0, 64, 64]), plain(16, { resample: 'bicubic' }));
    for (let i = 16 * 4; i < 16 * 12; i++) if (i % 16 > 2 && i % 16 < 13) expect(Math.abs(out[i]! - 127.5)).toBeLessThan(3);
  });

  it('boxes reaching outside the image are clipped to it', async () => {
    const image = randomImage(rng(2), 30, 20);
    const a = await preprocessBatch(image, new Float32Array([-10, -5, 18, 40]), plain(8));
    const b = await preprocessBatch(image, new Float32Array([0, 0, 18, 20]), plain(8));
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it("CLIP's mode on a 2:1 box equals squashing its central square", async () => {
    const image = randomImage(rng(3), 64, 40);
    const opts = plain(10, { resample: 'bicubic' });
    const clip = await preprocessBatch(image, new Float32Array([4, 6, 44, 26]), { ...opts, mode: 'shortest-edge-center-crop' });
    const square = await preprocessBatch(image, new Float32Array([14, 6, 34, 26]), opts);
    expect(maxAbsDiff(clip, square)).toBeLessThan(1e-3);
  });

  it('boxes are independent: a batch equals its boxes one by one', async () => {
    const image = randomImage(rng(4), 50, 50);
    const boxes = new Float32Array([0, 0, 50, 50, 10, 10, 20, 30, 5.5, 7.25, 44.5, 12.75]);
    const all = await preprocessBatch(image, boxes, plain(9));
    for (let i = 0; i < 3; i++) {
      const one = await preprocessBatch(image, boxes.slice(4 * i, 4 * i + 4), plain(9));
      expect(maxAbsDiff(all.subarray(i * 243, (i + 1) * 243), one)).toBe(0);
    }
  });

  it('no boxes resolves to an empty tensor', async () => {
    expect((await preprocessBatch(randomImage(rng(5), 4, 4), new Float32Array(0), plain(8))).length).toBe(0);
  });
});

describe('preprocessBatch bad input (an INVALID_INPUT error, never a crash)', () => {
  const image = randomImage(rng(6), 20, 10);
  const ok = new Float32Array([0, 0, 10, 10]);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'wrong buffer length',
      () => preprocessBatch({ ...image, data: image.data.subarray(1) }, ok, plain(4)),
      /Expected a length of width\*height\*3 = 600 for image.data.length but received 599 of type number/,
    ],
    ['not an image', () => preprocessBatch(null as never, ok, plain(4)), /Expected a DecodedImage object for image but received null of type null/],
    ['4 channels', () => preprocessBatch({ ...image, channels: 4 as 3 }, ok, plain(4)), /for image.channels/],
    [
      'boxes not a Float32Array',
      () => preprocessBatch(image, [0, 0, 1, 1] as never, plain(4)),
      /Expected a Float32Array for boxes but received \[0,0,1,1\] of type array/,
    ],
    ['boxes length not N*4', () => preprocessBatch(image, new Float32Array(5), plain(4)), /multiple of 4 for boxes.length/],
    ['NaN box', () => preprocessBatch(image, new Float32Array([0, NaN, 4, 4]), plain(4)), /Expected finite box coordinates for boxes\[0\]/],
    [
      'inverted box',
      () => preprocessBatch(image, new Float32Array([0, 0, 10, 10, 8, 8, 2, 2]), plain(4)),
      /positive area after clipping to the 20x10 image for boxes\[1\] but received \[8,8,2,2\]/,
    ],
    ['box outside the image', () => preprocessBatch(image, new Float32Array([30, 0, 40, 5]), plain(4)), /positive area after clipping/],
    ['zero-area box', () => preprocessBatch(image, new Float32Array([3, 3, 3, 9]), plain(4)), /positive area after clipping/],
    ['absurd box count', () => preprocessBatch(image, new Float32Array(4 * 5000), plain(4)), /at most 16384 for boxes.length/],
    ['absurd size', () => preprocessBatch(image, ok, plain(1e6)), /Expected an integer between 1 and 4096 for opts.size/],
    ['zero size', () => preprocessBatch(image, ok, plain(0)), /for opts.size but received 0/],
    ['bad mode', () => preprocessBatch(image, ok, plain(4, { mode: 'crop' as never })), /for opts.mode but received "crop"/],
    ['bad resample', () => preprocessBatch(image, ok, plain(4, { resample: 'lanczos' as never })), /for opts.resample/],
    ['short mean', () => preprocessBatch(image, ok, plain(4, { mean: [1, 2] as never })), /Expected an array of 3 numbers for opts.mean/],
    ['zero std', () => preprocessBatch(image, ok, plain(4, { std: [1, 0, 1] })), /Expected 3 positive numbers for opts.std/],
    ['NaN rescale', () => preprocessBatch(image, ok, plain(4, { rescale: NaN })), /Expected a finite number for opts.rescale/],
    ['bad device', () => preprocessBatch(image, ok, plain(4, { device: 'tpu' as never })), /for opts.device/],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    });
  }

  it('the raw addon refuses a mismatched buffer with an error, not a crash', async () => {
    const { addon } = await import('../../src/native/addon.js');
    const f32 = (a: number[]) => new Float32Array(a);
    expect(() => addon.preprocessBatch(new Uint8Array(5), 2, 2, f32([0, 0, 1, 1]), 4, 0, 0, f32([0, 0, 0]), f32([1, 1, 1]), 1, 1)).toThrow(/native: image/);
    await expect(addon.preprocessBatch(new Uint8Array(12), 2, 2, f32([5, 5, 9, 9]), 4, 0, 0, f32([0, 0, 0]), f32([1, 1, 1]), 1, 1)).rejects.toThrow(
      /zero area/,
    );
  });
});
