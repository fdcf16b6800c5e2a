// Search inputs and results, independent of the API.
import type { Box, DocumentFields, FieldValue } from './types.js';

export type SearchMethod = 'TENSOR' | 'LEXICAL' | 'HYBRID';

export interface FieldFilter {
  field: string;
  eq?: FieldValue;
  in?: FieldValue[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export type ImageQuery = { kind: 'url'; url: string } | { kind: 'upload'; name: string; bytes: Uint8Array; type?: string };

export interface SearchRequest {
  q?: string;
  image?: ImageQuery;
  method?: SearchMethod;
  limit?: number;
  offset?: number;
  after?: string;
  filters?: FieldFilter[];
  searchableAttributes?: string[];
  minScore?: number;
}

export interface Highlight {
  field: string;
  box: Box | null;
  text: string | null;
}

export interface SearchHit {
  id: string;
  documentPk: bigint;
  createdAt: Date;
  updatedAt: Date;
  score: number;
  tensorScore: number | null;
  lexicalScore: number | null;
  highlights: Highlight[];
  fields: DocumentFields;
  media: Record<string, MediaInfo>;
}

export interface MediaInfo {
  source: 'url' | 'file' | 'upload';
  ref: string;
  width: number;
  height: number;
}

export interface SearchResponse {
  hits: SearchHit[];
  method: SearchMethod;
  limit: number;
  offset: number;
  nextCursor: string | null;
  processingTimeMs: number;
}
