// Execution-provider choice: the requested provider, else the CPU with one warning; other errors pass through.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadClipModel } from '../../src/models/clip-model.js';
import { createSession } from '../../src/models/session.js';
import { COLOR_CLIP, RED, dot, recordingLogger, solid } from './helpers.js';

// Whether this machine's onnxruntime-node carries the CUDA provider library (its install script fetches it separately).
const ortDir = join(createRequire(import.meta.url).resolve('onnxruntime-node'), '../../bin');
const hasCudaProvider = (dir: string): boolean =>
  existsSync(dir) && readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? hasCudaProvider(join(dir, e.name)) : e.name.includes('providers_cuda')));
const cudaInstalled = hasCudaProvider(ortDir);
const vision = join(COLOR_CLIP, 'onnx/vision_model.onnx');

describe('createSession', () => {
  it('creates a CPU session without warnings', async () => {
    const logger = recordingLogger();
    const { session, provider } = await createSession(vision, { provider: 'cpu', intraOpThreads: 1, logger });
    expect(provider).toBe('cpu');
    expect(session.inputNames).toEqual(['pixel_values']);
    expect(logger.warnings).toEqual([]);
    await session.release();
  });

  it.skipIf(cudaInstalled).each(['cuda', 'tensorrt'] as const)('falls back from %s to the CPU with one warning', async (requested) => {
    const logger = recordingLogger();
    const { session, provider } = await createSession(vision, { provider: requested, logger });
    expect(provider).toBe('cpu');
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.msg).toBe(`Execution provider '${requested}' is unavailable for ${vision}; running on the CPU instead`);
    expect(logger.warnings[0]!.extra).toMatchObject({ requested, provider: 'cpu', reason: expect.any(String) });
    await session.release();
  });

  it.skipIf(cudaInstalled)('loads a whole CLIP model asked for cuda on the CPU with exactly one warning, and it works', async () => {
    const logger = recordingLogger();
    const model = await loadClipModel(COLOR_CLIP, { provider: 'cuda', logger });
    try {
      expect(model.provider).toBe('cpu');
      expect(logger.warnings).toHaveLength(1);
      const [image, text] = [await model.embedImages(solid(RED), 1), await model.embedTexts(['red'])];
      expect(dot(image, text)).toBeGreaterThan(0.99);
    } finally {
      await model.release();
    }
  });

  it('passes errors that are not about the provider through, without a warning', async () => {
    const logger = recordingLogger();
    await expect(createSession(join(COLOR_CLIP, 'onnx/nope.onnx'), { provider: 'cuda', logger })).rejects.toThrow();
    await expect(createSession(join(COLOR_CLIP, 'config.json'), { provider: 'cpu', logger })).rejects.toThrow();
    expect(logger.warnings).toEqual([]);
  });

  it('checks its options with the one message template', async () => {
    await expect(createSession(vision, { provider: 'gpu' as 'cuda' })).rejects.toThrow(
      `Expected 'cpu', 'cuda' or 'tensorrt' for opts.provider but received "gpu" of type string`,
    );
    await expect(createSession(vision, { intraOpThreads: 0 })).rejects.toThrow('Expected an integer from 1 to 1024 for opts.intraOpThreads but received 0 of type number');
    await expect(createSession('', {})).rejects.toThrow('Expected a model file path for path but received "" of type string');
  });
});
