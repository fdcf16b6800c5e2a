import { describe, expect, it } from 'vitest';
import { nativeGpuInfo } from '../../src/native/gpu.js';
import { nms } from '../../src/native/nms.js';
import { preprocessBatch, type PreprocessOptions } from '../../src/native/preprocess.js';
import { maxAbsDiff, randomImage, rng } from './helpers.js';

const gpu = nativeGpuInfo();
const opts: PreprocessOptions = { size: 32, mode: 'shortest-edge-center-crop', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resample: 'bicubic' };

describe('GPU selection', () => {
  it('reports a consistent build/device state', () => {
    expect(typeof gpu.built).toBe('boolean');
    expect(gpu.devices).toBeGreaterThanOrEqual(0);
    if (!gpu.built) expect(gpu.devices).toBe(0);
  });

  it.runIf(gpu.devices === 0)("without a GPU, device 'cuda' is a clear error and 'auto' runs on the CPU", async () => {
    const image = randomImage(rng(40), 64, 48);
    const boxes = new Float32Array([0, 0, 64, 48, 5, 5, 30, 40]);
    await expect(preprocessBatch(image, boxes, { ...opts, device: 'cuda' })).rejects.toThrow(/CUDA device was requested but none is available/);
    await expect(nms(boxes, new Float32Array([0.9, 0.8]), { iouThreshold: 0.5, device: 'cuda' })).rejects.toThrow(/CUDA device/);
    const auto = await preprocessBatch(image, boxes, opts);
    expect(maxAbsDiff(auto, await preprocessBatch(image, boxes, { ...opts, device: 'cpu' }))).toBe(0);
  });

  it.runIf(gpu.devices > 0)('with a GPU, the CUDA paths agree with the CPU', async () => {
    const rand = rng(41);
    const image = randomImage(rand, 300, 200);
    const boxes = Float32Array.from({ length: 40 }, (_, i) => (i % 4 < 2 ? rand() * 150 : 160 + rand() * 140));
    const cpu = await preprocessBatch(image, boxes, { ...opts, device: 'cpu' });
    expect(maxAbsDiff(await preprocessBatch(image, boxes, { ...opts, device: 'cuda' }), cpu)).toBeLessThan(1e-3);
    const scores = Float32Array.from({ length: 10 }, () => rand());
    expect(Array.from(await nms(boxes, scores, { iouThreshold: 0.3, device: 'cuda' }))).toEqual(
      Array.from(await nms(boxes, scores, { iouThreshold: 0.3, device: 'cpu' })),
    );
  });
});
