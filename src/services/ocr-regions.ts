// Text inside images as a region source of the indexing pipeline (indexes with `ocr` on): each line the OCR model
// reads becomes a chunk of kind 'text' of the image field, with the line's box, its text (searched by Postgres full
// text like any text field), its confidence and word boxes (the highlight of a match), and an embedding of its text
// by the index's text tower (found by TENSOR search too). What OCR could not read is summed up in the media entry.
import type { OcrReading, OcrSummary } from '../domain/ocr.js';
import type { NewChunk } from '../repositories/document-repository.js';
import type { ImageHeader } from '../repositories/image-decoder.js';
import type { Limiter } from '../repositories/limiter.js';
import type { EmbeddingModel } from './ports.js';

/** Long side OCR needs at most: the detector reads at 960 px, crops are cut from here (small text stays legible). */
export const OCR_DECODE_SIDE = 4096;
const MAX_SKIPPED_LISTED = 50;

/** The decode size when OCR also reads the image: the region method's, grown up to the original (≤ OCR_DECODE_SIDE). */
export function ocrDecodeSize(size: { width: number; height: number }, header: ImageHeader, ocr: boolean): { width: number; height: number } {
  if (!ocr) return size;
  const scale = Math.min(1, OCR_DECODE_SIDE / Math.max(header.width, header.height));
  const width = Math.max(size.width, Math.round(header.width * scale));
  const height = Math.max(size.height, Math.round(header.height * scale));
  return width >= header.width || height >= header.height ? { width: header.width, height: header.height } : { width, height };
}

/** One chunk per read line, its text embedded in one run (in the inference slot). */
export async function ocrChunks(field: string, reading: OcrReading, model: EmbeddingModel, inference: Limiter): Promise<NewChunk[]> {
  if (!reading.lines.length) return [];
  const vectors = await inference(() => model.embedTexts(reading.lines.map((l) => l.text)));
  const d = model.dimension;
  return reading.lines.map((line, i) => ({
    field,
    kind: 'text' as const,
    box: line.box,
    text: line.text,
    ocr: {
      confidence: Math.round(line.confidence * 1000) / 1000,
      words: line.words.map((w) => ({ text: w.text, box: [w.box.x1, w.box.y1, w.box.x2, w.box.y2] as [number, number, number, number] })),
    },
    vector: vectors.slice(i * d, (i + 1) * d),
  }));
}

export function ocrSummary(model: string, reading: OcrReading): OcrSummary {
  return {
    model,
    lines: reading.lines.length,
    found: reading.found,
    capped: reading.capped,
    skipped: reading.skipped.slice(0, MAX_SKIPPED_LISTED),
  };
}
