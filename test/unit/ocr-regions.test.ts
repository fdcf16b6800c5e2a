// OCR as a region source: the decode size it asks for (huge images capped), chunks from lines, the media summary.
import { describe, expect, it } from 'vitest';
import type { OcrReading } from '../../src/domain/ocr.js';
import { createLimiter } from '../../src/repositories/limiter.js';
import { OCR_DECODE_SIDE, ocrChunks, ocrDecodeSize, ocrSummary } from '../../src/services/ocr-regions.js';
import type { EmbeddingModel } from '../../src/services/ports.js';

const header = (width: number, height: number) => ({ width, height, format: 'png', channels: 3, hasAlpha: false, orientation: 1 }) as never;

describe('ocrDecodeSize', () => {
  it('decodes at full size up to OCR_DECODE_SIDE, whatever smaller size the region method would take', () => {
    expect(ocrDecodeSize({ width: 448, height: 336 }, header(4000, 3000), true)).toEqual({ width: 4000, height: 3000 });
    expect(ocrDecodeSize({ width: 448, height: 336 }, header(4000, 3000), false)).toEqual({ width: 448, height: 336 });
  });

  it('shrinks a huge image to OCR_DECODE_SIDE on the long side (the detector reads at 960 anyway)', () => {
    expect(OCR_DECODE_SIDE).toBe(4096);
    expect(ocrDecodeSize({ width: 500, height: 250 }, header(16000, 8000), true)).toEqual({ width: 4096, height: 2048 });
    // A region method that needs more keeps its size.
    expect(ocrDecodeSize({ width: 8000, height: 4000 }, header(16000, 8000), true)).toEqual({ width: 8000, height: 4000 });
  });
});

describe('ocrChunks / ocrSummary', () => {
  const model: EmbeddingModel = {
    id: 'fake',
    dimension: 2,
    preprocessing: { size: 1, mode: 'squash', mean: [0, 0, 0], std: [1, 1, 1] },
    embedImages: async () => new Float32Array(0),
    embedTexts: async (texts) => Float32Array.from(texts.flatMap((_, i) => [i, 1])),
  };
  const reading: OcrReading = {
    lines: [
      {
        text: 'Total due',
        confidence: 0.98765,
        box: { x1: 10, y1: 20, x2: 110, y2: 40 },
        quad: [10, 20, 110, 20, 110, 40, 10, 40],
        words: [
          { text: 'Total', box: { x1: 10, y1: 20, x2: 60, y2: 40 } },
          { text: 'due', box: { x1: 62, y1: 20, x2: 110, y2: 40 } },
        ],
      },
    ],
    skipped: Array.from({ length: 70 }, (_, i) => ({ box: { x1: i, y1: 0, x2: i + 1, y2: 1 }, confidence: 0.2, note: 'n' })),
    found: 71,
    capped: null,
  };

  it('makes one text chunk per line, with its box, words and its own text embedding', async () => {
    const chunks = await ocrChunks('image', reading, model, createLimiter(1));
    expect(chunks).toEqual([
      {
        field: 'image',
        kind: 'text',
        box: { x1: 10, y1: 20, x2: 110, y2: 40 },
        text: 'Total due',
        ocr: {
          confidence: 0.988,
          words: [
            { text: 'Total', box: [10, 20, 60, 40] },
            { text: 'due', box: [62, 20, 110, 40] },
          ],
        },
        vector: new Float32Array([0, 1]),
      },
    ]);
    expect(await ocrChunks('image', { ...reading, lines: [] }, model, createLimiter(1))).toEqual([]);
  });

  it('sums up what OCR made of the image, listing at most 50 skipped regions', () => {
    const s = ocrSummary('pp-ocrv4@abc', reading);
    expect(s).toMatchObject({ model: 'pp-ocrv4@abc', lines: 1, found: 71, capped: null });
    expect(s.skipped).toHaveLength(50);
  });
});
