// What the services need from the model layer, stated as interfaces (the composition root wires real models).
import type { RegionCrop } from '../localize/crop.js';
import type { DetectorRegionMethod } from '../domain/types.js';
import type { DinoModel, OwlModel, YoloxModel } from '../models/detectors.js';
import type { PreprocessOptions } from '../native/preprocess.js';

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
  owl(name: string): Promise<OwlModel>;
  yolox(name: string): Promise<YoloxModel>;
  dino(name: string): Promise<DinoModel>;
}

export interface IndexingProgress {
  processed: number;
  failed: number;
  total: number;
}
