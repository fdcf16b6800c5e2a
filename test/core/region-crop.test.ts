// The crop a detector proposal is embedded from (src/domain/region-crop.ts) and the model setting that asks for it.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXACT_CROP, regionCropBox } from '../../src/domain/region-crop.js';
import { loadClipModel } from '../../src/models/clip-model.js';

const MODELS = resolve(fileURLToPath(new URL('../../models', import.meta.url)));

describe('regionCropBox', () => {
  const box = { x1: 100, y1: 50, x2: 180, y2: 90 }; // 80 × 40, centre (140, 70)

  it('is the box itself for exact crops', () => {
    expect(regionCropBox(box, EXACT_CROP, 640, 480)).toBe(box);
  });

  it('squares around the centre, then adds context on each side', () => {
    expect(regionCropBox(box, { context: 0, square: true }, 640, 480)).toEqual({ x1: 100, y1: 30, x2: 180, y2: 110 });
    expect(regionCropBox(box, { context: 0.1, square: true }, 640, 480)).toEqual({ x1: 92, y1: 22, x2: 188, y2: 118 });
    expect(regionCropBox(box, { context: 0.25, square: false }, 640, 480)).toEqual({ x1: 80, y1: 40, x2: 200, y2: 100 });
  });

  it('shifts a crop that would leave the image back inside, keeping its size', () => {
    const corner = { x1: 0, y1: 0, x2: 40, y2: 20 };
    expect(regionCropBox(corner, { context: 0.1, square: true }, 640, 480)).toEqual({ x1: 0, y1: 0, x2: 48, y2: 48 });
    const edge = { x1: 600, y1: 440, x2: 640, y2: 480 };
    expect(regionCropBox(edge, { context: 0.5, square: true }, 640, 480)).toEqual({ x1: 560, y1: 400, x2: 640, y2: 480 });
  });

  it('never exceeds the image: a crop larger than a side spans that side', () => {
    const tall = { x1: 10, y1: 0, x2: 50, y2: 470 };
    expect(regionCropBox(tall, { context: 0.1, square: true }, 640, 480)).toEqual({ x1: 0, y1: 0, x2: 564, y2: 480 });
    const r = regionCropBox({ x1: 0, y1: 0, x2: 640, y2: 480 }, { context: 0.2, square: true }, 640, 480);
    expect(r).toEqual({ x1: 0, y1: 0, x2: 640, y2: 480 });
  });
});

describe('config.json loupe.region_crop', () => {
  it('emoji-clip asks for square crops with 10 % context; color-clip for exact boxes', async () => {
    const emoji = await loadClipModel(join(MODELS, 'emoji-clip'), { intraOpThreads: 1 });
    const colour = await loadClipModel(join(MODELS, 'color-clip'), { intraOpThreads: 1 });
    expect(emoji.regionCrop).toEqual({ context: 0.1, square: true });
    expect(colour.regionCrop).toEqual(EXACT_CROP);
    await Promise.all([emoji.release(), colour.release()]);
  });

  it('a malformed setting makes the folder MODEL_INVALID with the field named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-crop-'));
    try {
      const copy = join(dir, 'bad-crop');
      cpSync(join(MODELS, 'emoji-clip'), copy, { recursive: true });
      const config = JSON.parse(readFileSync(join(copy, 'config.json'), 'utf8'));
      config.loupe.region_crop = { context: 3, square: true };
      writeFileSync(join(copy, 'config.json'), JSON.stringify(config));
      await expect(loadClipModel(copy, { intraOpThreads: 1 })).rejects.toMatchObject({
        code: 'MODEL_INVALID',
        message: expect.stringMatching(/region_crop\.context must be a number from 0 to 1/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
