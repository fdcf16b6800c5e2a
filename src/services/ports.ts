// What the services need from the model layer, stated as interfaces (the composition root wires real models; unit
// tests pass fakes). The detector shapes are declared by their consumers in localize/.
import type { Readable } from 'node:stream';
import type { OcrReading } from '../domain/ocr.js';
import type { RegionCrop } from '../domain/region-crop.js';
import type { IndexRecord } from '../domain/index-settings.js';
import type { MediaInfo } from '../domain/search.js';
import type { DecodedImage, DetectorRegionMethod } from '../domain/types.js';
import type { OwlDetector } from '../localize/owl-reranker.js';
import type { DinoAttentionModel, YoloxDetector } from '../localize/proposers.js';
import type { PreprocessOptions } from '../native/preprocess.js';
import type { DocumentRepository } from '../repositories/document-repository.js';
import type { DecodeOptions, ImageHeader } from '../repositories/image-decoder.js';
import type { ImageSource, LoadedImageBytes } from '../repositories/image-source.js';
import type { SearchableIndex } from '../repositories/vector-store.js';

export interface EmbeddingModel {
  /** Folder name + content hash: an index records it and refuses a different model. */
  readonly id: string;
  readonly dimension: number;
  readonly preprocessing: PreprocessOptions;
  /** How detector proposals are cut for embedding (context, square); exact boxes when absent. */
  readonly regionCrop?: RegionCrop;
  /** [N,3,S,S] normalised pixels → N×D L2-normalised embeddings. */
  embedImages(pixels: Float32Array, n: number): Promise<Float32Array>;
  /** N texts → N×D L2-normalised embeddings (all-zero for a text with no known words). */
  embedTexts(texts: string[]): Promise<Float32Array>;
}

export interface ModelProvider {
  /** Loads (once) the model folder `name`; rejects with MODEL_INVALID / INVALID_INPUT for a bad or unknown name. */
  get(name: string): Promise<EmbeddingModel>;
  readonly defaultModel: string;
  /** The model folder a new index of this region method proposes with when it names none. */
  defaultDetector(kind: DetectorRegionMethod['kind']): string;
  readonly defaultReranker: string;
  owl(name: string): Promise<OwlDetector>;
  yolox(name: string): Promise<YoloxDetector>;
  dino(name: string): Promise<DinoAttentionModel>;
  /** The OCR model folder of an index created with `ocr: true` that names none. */
  readonly defaultOcr: string;
  ocr(name: string): Promise<TextReader>;
}

/** Text inside an upright image (src/models/ocr-model.ts): lines and words with boxes in `original` pixels. */
export interface TextReader {
  readonly id: string;
  read(image: DecodedImage, original: { width: number; height: number }, opts?: { maxLines?: number }): Promise<OcrReading>;
}

export interface IndexingProgress {
  processed: number;
  failed: number;
  total: number;
}

/** Image bytes from a URL, a local file or an upload, under the server's image policy (repositories/image-source.ts). */
export interface ImageLoader {
  load(source: ImageSource, signal?: AbortSignal): Promise<LoadedImageBytes>;
}

/** Image headers and upright RGB decodes (sharp, repositories/image-decoder.ts). */
export interface ImageDecoder {
  inspect(bytes: Uint8Array, options?: DecodeOptions): Promise<ImageHeader>;
  decode(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage>;
}

/** Uploaded images kept by sha256 in the data folder (repositories/upload-store.ts). */
export interface UploadStore {
  /** Stores `bytes` under `hash` atomically; a no-op when they are stored already. */
  store(hash: string, bytes: Uint8Array): Promise<void>;
  /** A kept upload as a stream (its first bytes read already, for the type); IMAGE_FETCH_FAILED when it is gone. */
  open(hash: string): Promise<StoredUpload>;
}

export interface StoredUpload {
  size: number;
  /** Up to 64 first bytes. */
  head: Uint8Array;
  /** The whole file; it closes its descriptor when it ends or is destroyed. */
  body: Readable;
}

/** The index records and models a search reads (IndexService). */
export interface SearchIndexes {
  cached(name: string): Promise<IndexRecord>;
  modelFor(record: IndexRecord): Promise<EmbeddingModel>;
}

/** The document reads of a search (repositories/document-repository.ts). */
export type SearchDocuments = Pick<DocumentRepository, 'byPks' | 'countMatching' | 'matchingSeqs' | 'chunkInfo' | 'lexical'>;

/** The vector index of an index, current as of the vector store's freshness rule (repositories/vector-store.ts). */
export interface SearchVectors {
  searchable(record: IndexRecord): Promise<SearchableIndex>;
}

/** Hits' images, decoded, for the reranker (repositories/media-store.ts). */
export interface SearchMedia {
  decoded(media: MediaInfo): Promise<DecodedImage>;
}
