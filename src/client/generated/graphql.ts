/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type CreateIndexInput = {
  /** Fields holding images (default ["image"]) */
  imageFields?: Array<string> | null | undefined;
  /** Model folder name (default: the server default model) */
  model?: string | null | undefined;
  name: string;
  /** Read the text inside images (OCR): each text line becomes a searchable chunk with its box and word boxes (default false) */
  ocr?: boolean | null | undefined;
  /** OCR model folder (default: the server default, pp-ocrv4); implies ocr */
  ocrModel?: string | null | undefined;
  regionMethod?: RegionMethodInput | null | undefined;
  /** Marqo's string form instead of regionMethod (not both), e.g. simple?hn=2&wn=3 */
  regionMethodSpec?: string | null | undefined;
  vectorIndex?: VectorIndexInput | null | undefined;
  /** The string form instead of vectorIndex (not both), e.g. ivf_pq?nlist=1024&pqM=32 */
  vectorIndexSpec?: string | null | undefined;
};

export type DocumentInput = {
  /** Field values: strings, numbers, booleans, null. Image fields hold a URL or a local path */
  fields: unknown;
  /** Uploaded images for image fields */
  files?: Array<FileFieldInput> | null | undefined;
  /** Caller-chosen id, unique per index (generated when absent); re-adding replaces */
  id?: string | null | undefined;
};

/** Where a document of addDocuments stands */
export type DocumentStatus =
  /** Refused or failed for good: see code and message */
  | 'FAILED'
  /** Indexed: searchable in every replica */
  | 'INDEXED'
  /** Stored and queued for an indexing worker (addDocuments with wait: false) */
  | 'QUEUED';

/** Stable machine-readable error codes (INTERNAL: an unexpected failure, logged under the request id in its message) */
export type ErrorCode =
  | 'CANCELLED'
  | 'DOCUMENT_NOT_FOUND'
  | 'FORBIDDEN_ADDRESS'
  | 'IMAGE_FETCH_FAILED'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_UNREADABLE'
  | 'INDEX_EXISTS'
  | 'INDEX_NOT_FOUND'
  | 'INTERNAL'
  | 'INVALID_INPUT'
  | 'MODEL_INVALID'
  | 'MODEL_MISMATCH'
  | 'PATH_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE';

export type FileFieldInput = {
  /** An image field of the index */
  field: string;
  file: File;
};

/** A condition on a document field; several filters are ANDed. A field no document has matches nothing */
export type FilterInput = {
  /** equal to this string, number, boolean or null (null: the field holds null; a document without the field does not match) */
  eq?: unknown;
  field: string;
  gt?: number | null | undefined;
  gte?: number | null | undefined;
  /** equal to one of these */
  in?: Array<unknown> | null | undefined;
  lt?: number | null | undefined;
  lte?: number | null | undefined;
};

/** Search by image: a URL or an uploaded file (one of the two) */
export type ImageQueryInput = {
  file?: File | null | undefined;
  url?: string | null | undefined;
};

export type RegionMethodInput = {
  /** rows of the grid (default 3) */
  hn?: number | null | undefined;
  /** largest aspect ratio of a proposal (default 4) */
  maxAspect?: number | null | undefined;
  /** at most this many proposals besides the whole image (default 10) */
  maxProposals?: number | null | undefined;
  /** none | simple | overlap | yolox (alias marqo-yolo) | dino-v1 | dino-v2 */
  method: string;
  /** smallest proposal as a fraction of the image area (default 0.01 = 24×24 at 240 px; Marqo used 0.0625 = 60×60 at 240 px) */
  minArea?: number | null | undefined;
  /** proposal model folder for yolox / dino-* (default: the server default) */
  model?: string | null | undefined;
  /** class-agnostic NMS IoU (default 0.6) */
  nmsIou?: number | null | undefined;
  /** columns of the grid (default 3) */
  wn?: number | null | undefined;
};

/** Second stage: an OWL-ViT-contract detector conditioned on the query text rescores the first hits and boxes the match */
export type RerankInput = {
  /** How many first-stage hits to rerank, counted from the top of the result (default: limit; at most 100). Pages are slices of one ordering: the reranked hits, then the first-stage hits past depth */
  depth?: number | null | undefined;
  /** Drop hits whose detection probability is below this (0..1); hits past depth are dropped too. Unset: keep every hit */
  minScore?: number | null | undefined;
  /** Reranker model folder (default: the server default, e.g. color-owl) */
  model?: string | null | undefined;
  /** Text conditioning the detector (default: q). An image query without a prompt is image-guided where the reranker supports it (the default emoji-owl does) */
  prompt?: string | null | undefined;
  /** Use the reranker's calibrated minScore (config.json loupe.min_score; emoji-owl: chosen on validation scenes) */
  useDefaultMinScore?: boolean | null | undefined;
};

export type RerankStatus =
  /** the hit's image could not be read; kept after the reranked hits */
  | 'IMAGE_UNAVAILABLE'
  /** scored by the reranker */
  | 'RERANKED';

export type SearchInput = {
  /** Cursor from a previous response (nextCursor); overrides offset */
  after?: string | null | undefined;
  filters?: Array<FilterInput> | null | undefined;
  image?: ImageQueryInput | null | undefined;
  limit?: number | null | undefined;
  method?: SearchMethod | null | undefined;
  /** Drop hits scoring below this (first-stage score) */
  minScore?: number | null | undefined;
  offset?: number | null | undefined;
  /** Text query */
  q?: string | null | undefined;
  rerank?: RerankInput | null | undefined;
  /** Only match these fields */
  searchableAttributes?: Array<string> | null | undefined;
  /** A boolean filter tree, ANDed with filters */
  where?: WhereInput | null | undefined;
};

export type SearchMethod =
  | 'HYBRID'
  | 'LEXICAL'
  | 'TENSOR';

export type VectorIndexInput = {
  /** HNSW, HNSW_SQ8: search beam width (default 128) */
  efSearch?: number | null | undefined;
  /** HNSW, HNSW_SQ8: graph degree (default 32) */
  hnswM?: number | null | undefined;
  /** FLAT (exact, default), HNSW, HNSW_SQ8 or IVF_PQ */
  kind?: VectorIndexKind | null | undefined;
  /** IVF_PQ: inverted lists (default 1024) */
  nlist?: number | null | undefined;
  /** IVF_PQ: lists visited a search (default 16) */
  nprobe?: number | null | undefined;
  /** IVF_PQ: bytes of PQ code a vector; divides the embedding dimension (default 32) */
  pqM?: number | null | undefined;
  /** IVF_PQ: codes that re-rank the PQ candidates (default SQ8) */
  refine?: VectorRefine | null | undefined;
  /** IVF_PQ: k × refineFactor candidates are re-ranked (default 64) */
  refineFactor?: number | null | undefined;
  /** HNSW_SQ8, IVF_PQ: vectors kept exact until this many arrive; the first trainSize train the codes (default 10000 / 40 × max(nlist, 256)) */
  trainSize?: number | null | undefined;
};

export type VectorIndexKind =
  /** exact inner product over float32 vectors (the default) */
  | 'FLAT'
  /** HNSW graph over float32 vectors */
  | 'HNSW'
  /** HNSW graph over 8-bit scalar codes (a quarter of the vector bytes) */
  | 'HNSW_SQ8'
  /** inverted lists of PQ codes (pqM bytes a vector), candidates re-ranked on refine codes */
  | 'IVF_PQ';

export type VectorRefine =
  /** PQ scores are final */
  | 'NONE'
  /** 4-bit scalar codes (dimension / 2 bytes a vector) */
  | 'SQ4'
  /** 8-bit scalar codes (dimension bytes a vector) */
  | 'SQ8';

/** A boolean filter tree (the one the Marqo filter strings parse to): exactly one of and, or, not, or a field condition (field with eq / in / gt / gte / lt / lte, as in FilterInput). At most 256 nodes, 16 levels; a document without the field fails a condition, so not of it passes */
export type WhereInput = {
  /** every child matches */
  and?: Array<WhereInput> | null | undefined;
  /** equal to this string, number, boolean or null */
  eq?: unknown;
  field?: string | null | undefined;
  gt?: number | null | undefined;
  gte?: number | null | undefined;
  /** equal to one of these */
  in?: Array<unknown> | null | undefined;
  lt?: number | null | undefined;
  lte?: number | null | undefined;
  /** the child does not match */
  not?: WhereInput | null | undefined;
  /** at least one child matches */
  or?: Array<WhereInput> | null | undefined;
};

export type CreateIndexMutationVariables = Exact<{
  input: CreateIndexInput;
}>;


export type CreateIndexMutation = { createIndex:
    | { __typename: 'Index', name: string, model: string, dimension: number, vectorIndexSpec: string, ocrModel: string | null, regionMethod: { spec: string } }
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
   };

export type GetIndexQueryVariables = Exact<{
  name: string;
}>;


export type GetIndexQuery = { index:
    | { __typename: 'Index', name: string, model: string, documentCount: number, chunkCount: number, regionMethod: { spec: string } }
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
   };

export type ListIndexesQueryVariables = Exact<{ [key: string]: never; }>;


export type ListIndexesQuery = { indexes: Array<{ name: string, model: string, documentCount: number, chunkCount: number, regionMethod: { spec: string } }> };

export type AddDocumentsMutationVariables = Exact<{
  index: string;
  documents: Array<DocumentInput> | DocumentInput;
  jobId?: string | null | undefined;
  wait?: boolean | null | undefined;
}>;


export type AddDocumentsMutation = { addDocuments:
    | { __typename: 'AddDocumentsPayload', jobId: string, succeeded: number, queued: number, failed: number, results: Array<{ id: string, ok: boolean, status: DocumentStatus, code: ErrorCode | null, message: string | null }> }
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
   };

export type SearchQueryVariables = Exact<{
  index: string;
  input: SearchInput;
  highlights?: number | null | undefined;
}>;


export type SearchQuery = { search:
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
    | { __typename: 'SearchResponse', processingTimeMs: number, hits: Array<{ id: string, score: number, highlights: Array<{ field: string, text: string | null, matched: Array<string> | null, box: { x1: number, y1: number, x2: number, y2: number } | null }> }> }
   };

export type PageIndexFieldsFragment = { name: string, model: string, modelId: string, dimension: number, documentCount: number, chunkCount: number, imageFields: Array<string>, regionMethod: { method: string, spec: string } };

export type PageIndexesQueryVariables = Exact<{ [key: string]: never; }>;


export type PageIndexesQuery = { indexes: Array<{ name: string, model: string, modelId: string, dimension: number, documentCount: number, chunkCount: number, imageFields: Array<string>, regionMethod: { method: string, spec: string } }> };

export type PageIndexQueryVariables = Exact<{
  name: string;
}>;


export type PageIndexQuery = { index:
    | { __typename: 'Index', name: string, model: string, modelId: string, dimension: number, documentCount: number, chunkCount: number, imageFields: Array<string>, regionMethod: { method: string, spec: string } }
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
   };

export type PageCreateIndexMutationVariables = Exact<{
  input: CreateIndexInput;
}>;


export type PageCreateIndexMutation = { createIndex:
    | { __typename: 'Index', name: string, model: string, modelId: string, dimension: number, documentCount: number, chunkCount: number, imageFields: Array<string>, regionMethod: { method: string, spec: string } }
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
   };

export type PageSearchQueryVariables = Exact<{
  index: string;
  input: SearchInput;
  regions: boolean;
}>;


export type PageSearchQuery = { search:
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
    | { __typename: 'SearchResponse', method: SearchMethod, processingTimeMs: number, hits: Array<{ id: string, score: number, tensorScore: number | null, lexicalScore: number | null, retrievalScore: number | null, rerankStatus: RerankStatus | null, rerankMessage: string | null, highlights: Array<{ field: string, text: string | null, matched: Array<string> | null, box: { x1: number, y1: number, x2: number, y2: number } | null }>, places: Array<{ field: string, text: string | null, matched: Array<string> | null, box: { x1: number, y1: number, x2: number, y2: number } | null }>, media: Array<{ field: string, source: string, ref: string, width: number, height: number }>, document: { fields: unknown, regions?: Array<{ field: string, kind: string, position: number, box: { x1: number, y1: number, x2: number, y2: number } | null }> } }> }
   };

export type PageAddDocumentsMutationVariables = Exact<{
  index: string;
  documents: Array<DocumentInput> | DocumentInput;
  jobId?: string | null | undefined;
}>;


export type PageAddDocumentsMutation = { addDocuments:
    | { __typename: 'AddDocumentsPayload', succeeded: number, failed: number, results: Array<{ id: string, ok: boolean, code: ErrorCode | null, message: string | null }> }
    | { __typename: 'LoupeError', code: ErrorCode, message: string }
   };

export type PageIndexingProgressSubscriptionVariables = Exact<{
  jobId: string;
}>;


export type PageIndexingProgressSubscription = { indexingProgress: { jobId: string, processed: number, failed: number, total: number, done: boolean, code: ErrorCode | null, message: string | null, errors: Array<{ id: string, code: ErrorCode, message: string }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const PageIndexFieldsFragmentDoc = new TypedDocumentString(`
    fragment PageIndexFields on Index {
  name
  model
  modelId
  dimension
  documentCount
  chunkCount
  imageFields
  regionMethod {
    method
    spec
  }
}
    `, {"fragmentName":"PageIndexFields"}) as unknown as TypedDocumentString<PageIndexFieldsFragment, unknown>;
export const CreateIndexDocument = new TypedDocumentString(`
    mutation CreateIndex($input: CreateIndexInput!) {
  createIndex(input: $input) {
    __typename
    ... on Index {
      name
      model
      dimension
      regionMethod {
        spec
      }
      vectorIndexSpec
      ocrModel
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CreateIndexMutation, CreateIndexMutationVariables>;
export const GetIndexDocument = new TypedDocumentString(`
    query GetIndex($name: String!) {
  index(name: $name) {
    __typename
    ... on Index {
      name
      model
      documentCount
      chunkCount
      regionMethod {
        spec
      }
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<GetIndexQuery, GetIndexQueryVariables>;
export const ListIndexesDocument = new TypedDocumentString(`
    query ListIndexes {
  indexes {
    name
    model
    documentCount
    chunkCount
    regionMethod {
      spec
    }
  }
}
    `) as unknown as TypedDocumentString<ListIndexesQuery, ListIndexesQueryVariables>;
export const AddDocumentsDocument = new TypedDocumentString(`
    mutation AddDocuments($index: String!, $documents: [DocumentInput!]!, $jobId: String, $wait: Boolean) {
  addDocuments(index: $index, documents: $documents, jobId: $jobId, wait: $wait) {
    __typename
    ... on AddDocumentsPayload {
      jobId
      succeeded
      queued
      failed
      results {
        id
        ok
        status
        code
        message
      }
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AddDocumentsMutation, AddDocumentsMutationVariables>;
export const SearchDocument = new TypedDocumentString(`
    query Search($index: String!, $input: SearchInput!, $highlights: Int) {
  search(index: $index, input: $input) {
    __typename
    ... on SearchResponse {
      processingTimeMs
      hits {
        id
        score
        highlights(limit: $highlights) {
          field
          text
          matched
          box {
            x1
            y1
            x2
            y2
          }
        }
      }
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<SearchQuery, SearchQueryVariables>;
export const PageIndexesDocument = new TypedDocumentString(`
    query PageIndexes {
  indexes {
    ...PageIndexFields
  }
}
    fragment PageIndexFields on Index {
  name
  model
  modelId
  dimension
  documentCount
  chunkCount
  imageFields
  regionMethod {
    method
    spec
  }
}`) as unknown as TypedDocumentString<PageIndexesQuery, PageIndexesQueryVariables>;
export const PageIndexDocument = new TypedDocumentString(`
    query PageIndex($name: String!) {
  index(name: $name) {
    __typename
    ... on Index {
      ...PageIndexFields
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    fragment PageIndexFields on Index {
  name
  model
  modelId
  dimension
  documentCount
  chunkCount
  imageFields
  regionMethod {
    method
    spec
  }
}`) as unknown as TypedDocumentString<PageIndexQuery, PageIndexQueryVariables>;
export const PageCreateIndexDocument = new TypedDocumentString(`
    mutation PageCreateIndex($input: CreateIndexInput!) {
  createIndex(input: $input) {
    __typename
    ... on Index {
      ...PageIndexFields
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    fragment PageIndexFields on Index {
  name
  model
  modelId
  dimension
  documentCount
  chunkCount
  imageFields
  regionMethod {
    method
    spec
  }
}`) as unknown as TypedDocumentString<PageCreateIndexMutation, PageCreateIndexMutationVariables>;
export const PageSearchDocument = new TypedDocumentString(`
    query PageSearch($index: String!, $input: SearchInput!, $regions: Boolean!) {
  search(index: $index, input: $input) {
    __typename
    ... on SearchResponse {
      method
      processingTimeMs
      hits {
        id
        score
        tensorScore
        lexicalScore
        retrievalScore
        rerankStatus
        rerankMessage
        highlights {
          field
          text
          matched
          box {
            x1
            y1
            x2
            y2
          }
        }
        places: highlights(limit: 5) {
          field
          text
          matched
          box {
            x1
            y1
            x2
            y2
          }
        }
        media {
          field
          source
          ref
          width
          height
        }
        document {
          fields
          regions @include(if: $regions) {
            field
            kind
            position
            box {
              x1
              y1
              x2
              y2
            }
          }
        }
      }
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<PageSearchQuery, PageSearchQueryVariables>;
export const PageAddDocumentsDocument = new TypedDocumentString(`
    mutation PageAddDocuments($index: String!, $documents: [DocumentInput!]!, $jobId: String) {
  addDocuments(index: $index, documents: $documents, jobId: $jobId) {
    __typename
    ... on AddDocumentsPayload {
      succeeded
      failed
      results {
        id
        ok
        code
        message
      }
    }
    ... on LoupeError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<PageAddDocumentsMutation, PageAddDocumentsMutationVariables>;
export const PageIndexingProgressDocument = new TypedDocumentString(`
    subscription PageIndexingProgress($jobId: String!) {
  indexingProgress(jobId: $jobId) {
    jobId
    processed
    failed
    total
    done
    errors {
      id
      code
      message
    }
    code
    message
  }
}
    `) as unknown as TypedDocumentString<PageIndexingProgressSubscription, PageIndexingProgressSubscriptionVariables>;