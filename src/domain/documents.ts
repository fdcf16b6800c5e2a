// A stored document and its chunks as every layer reads them (the repository writes them; the API shows them).
import type { OcrChunkData } from './ocr.js';
import type { MediaInfo } from './search.js';
import type { Box, DocumentFields } from './types.js';

export interface StoredDocument {
  pk: bigint;
  id: string;
  fields: DocumentFields;
  media: Record<string, MediaInfo>;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChunkInfo {
  seq: bigint;
  documentPk: bigint;
  field: string;
  kind: 'image' | 'text';
  position: number;
  box: Box | null;
  text: string | null;
  /** OCR lines (text read inside the image `field`): confidence and word boxes. */
  ocr?: OcrChunkData | null;
}
