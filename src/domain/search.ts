// Search inputs and results, independent of the API.
import type { FilterNode } from './filter-tree.js';
import type { OcrSummary } from './ocr.js';
import type { Box, DocumentFields, FieldValue } from './types.js';

export type { FilterNode } from './filter-tree.js';

export const SEARCH_METHODS = ['TENSOR', 'LEXICAL', 'HYBRID'] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

/** Defaults and bounds of a search request, stated once: the GraphQL input, the CLI and the service read them here. */
export const SEARCH_DEFAULTS = { method: 'TENSOR', limit: 10, offset: 0 } as const satisfies { method: SearchMethod; limit: number; offset: number };
export const SEARCH_LIMITS = { maxLimit: 1_000, maxOffset: 10_000, maxRerankDepth: 100, maxFilters: 32, maxFilterNodes: 256, maxFilterDepth: 16 } as const;

export interface FieldFilter {
  field: string;
  /** Equal to this value; `null` matches documents whose field holds null (a document without the field does not match). */
  eq?: FieldValue;
  in?: FieldValue[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export type ImageQuery = { kind: 'url'; url: string } | { kind: 'upload'; name: string; bytes: Uint8Array; type?: string };

export interface RerankRequest {
  /** OWL-ViT-contract model folder; default: the server's default reranker. */
  model?: string;
  /**
   * How many first-stage hits to rerank, counted from the top of the whole result (not from the page); default the
   * page size, at most 100. Every page is a slice of one ordering: the `depth` reranked hits first, then the
   * first-stage hits past `depth` in first-stage order. So page 2 of a search with depth 20 and limit 10 holds hits
   * 11-20 of the reranked order, and no hit appears on two pages or on none.
   */
  depth?: number;
  /**
   * Text that conditions the detector; default the query text. An image query without a prompt is image-guided
   * (the detector looks for what the query image shows) where the reranker has an image-guided graph.
   */
  prompt?: string;
  /**
   * "Is it there?": drop hits whose detection probability (the reranked score) is below this, 0..1; hits past
   * `depth` (never reranked) are dropped too. Unset: keep every hit. The model's calibrated default is in its
   * config.json (loupe.min_score) and is used when `minScore` is `'default'`.
   */
  minScore?: number | 'default';
}

export type RerankStatus = 'RERANKED' | 'IMAGE_UNAVAILABLE';

/** One part of a weighted query: a text or an image, and its (possibly negative) weight. */
export interface WeightedQuery {
  text?: string;
  image?: ImageQuery;
  weight: number;
}

export interface SearchRequest {
  rerank?: RerankRequest;
  q?: string;
  image?: ImageQuery;
  /**
   * TENSOR only, instead of q / image: the query vector is the weighted sum of these texts' and images' embeddings,
   * L2-normalised (Marqo's weighted `q`). A reranker is conditioned on the highest-weighted text, else image-guided
   * by the highest-weighted image.
   */
  weighted?: WeightedQuery[];
  method?: SearchMethod;
  limit?: number;
  offset?: number;
  after?: string;
  filters?: FieldFilter[];
  /** A boolean tree of field conditions (at most maxFilterNodes nodes, maxFilterDepth deep); ANDed with `filters`. */
  where?: FilterNode;
  searchableAttributes?: string[];
  minScore?: number;
}

export interface Highlight {
  field: string;
  box: Box | null;
  text: string | null;
  /** For text read inside an image (OCR): the words of `text` that matched the query; `box` is theirs. */
  matched?: string[] | null;
  /** For OCR text: the recognizer's confidence in the line. */
  confidence?: number | null;
}

export interface SearchHit {
  id: string;
  documentPk: bigint;
  createdAt: Date;
  updatedAt: Date;
  score: number;
  tensorScore: number | null;
  lexicalScore: number | null;
  /** The first-stage score when a reranker replaced `score`. */
  retrievalScore: number | null;
  rerankStatus: RerankStatus | null;
  /** Why a hit could not be reranked (its image is missing or unreadable). */
  rerankMessage: string | null;
  highlights: Highlight[];
  /**
   * Every place the hit matched that the search saw, best first (may overlap; `distinctHighlights` picks from it):
   * the reranker's box, then the first stage's chunks (TENSOR and LEXICAL interleaved for HYBRID).
   */
  allHighlights: Highlight[];
  fields: DocumentFields;
  media: Record<string, MediaInfo>;
}

export interface MediaInfo {
  source: 'url' | 'file' | 'upload';
  ref: string;
  width: number;
  height: number;
  /** What OCR made of this image, for indexes with `ocr` on. */
  ocr?: OcrSummary;
}

export interface SearchResponse {
  hits: SearchHit[];
  method: SearchMethod;
  limit: number;
  offset: number;
  nextCursor: string | null;
  processingTimeMs: number;
}
