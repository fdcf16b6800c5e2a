// Text found inside images (OCR), as every layer reads it: lines with their box, words with theirs, and what was not read.
import type { Box } from './types.js';

export interface OcrWord {
  text: string;
  /** Axis-aligned bounds of the word, original-image pixels. */
  box: Box;
}

export interface OcrLine {
  text: string;
  /** Mean character probability of the recognizer, 0..1. */
  confidence: number;
  /** Axis-aligned bounds of the line, original-image pixels. */
  box: Box;
  /** The line's rotated rectangle: top-left, top-right, bottom-right, bottom-left (x, y), original pixels. */
  quad: number[];
  words: OcrWord[];
}

/** A detected text region whose text was not kept: the recognizer could not read it with confidence. */
export interface OcrSkipped {
  box: Box;
  confidence: number;
  note: string;
}

export interface OcrReading {
  lines: OcrLine[];
  skipped: OcrSkipped[];
  /** Text regions the detector found; more than were read when the per-image cap applied. */
  found: number;
  /** Set when the per-image cap dropped regions (the largest are kept). */
  capped: string | null;
}

/** What an OCR line chunk stores beside its text and box (chunks.ocr): word boxes as [x1, y1, x2, y2]. */
export interface OcrChunkData {
  confidence: number;
  words: { text: string; box: [number, number, number, number] }[];
}

/** Kept in a document's media entry of an image field (documents.media), so a reader can see what OCR made of it. */
export interface OcrSummary {
  model: string;
  lines: number;
  found: number;
  capped: string | null;
  /** Up to 50 of the regions not read (unsupported script or unreadable). */
  skipped: OcrSkipped[];
}

/** The note of a region the recognizer read with too little confidence. */
export const UNSUPPORTED_SCRIPT_NOTE =
  'unsupported script or unreadable text: the recognizer reads Chinese and Latin characters only, and read this region with low confidence';
