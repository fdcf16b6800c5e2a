// Per-index settings, stored as JSON beside the index row.
import type { RegionMethod } from './types.js';
import type { VectorIndexSettings } from './vector-index.js';

export type { VectorIndexSettings };

export interface IndexSettings {
  /** Model folder name under the models directory. */
  model: string;
  regionMethod: RegionMethod;
  /** Fields whose values are images (URL, local path or upload); other string fields are text. */
  imageFields: string[];
  vectorIndex: VectorIndexSettings;
  /** Text inside images (OCR) as searchable chunks, read by this model folder; null or absent: off. */
  ocr?: { model: string } | null;
}

export interface IndexRecord {
  id: number;
  name: string;
  settings: IndexSettings;
  modelId: string;
  dimension: number;
  lastSeq: bigint;
  createdAt: Date;
}

export const INDEX_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A document field name. `__proto__` is refused: JSON layers on the way to Postgres (Prisma) drop such a key. */
export const FIELD_NAME = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
