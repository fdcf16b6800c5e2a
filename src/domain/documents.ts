// A stored document and its chunks as every layer reads them (the repository writes them; the API shows them).
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
}
