// Search-time localisation: OWL-ViT conditioned on the query text scores each hit's image and returns its best box.
import type { Box, DecodedImage } from '../domain/types.js';
import { invalidArgument } from '../domain/errors.js';
import type { ImagePreprocessing } from '../models/preprocessing.js';
import { decodeOwl } from '../native/decode.js';
import { preprocessBatch } from '../native/preprocess.js';

export interface OwlVerdict {
  /** sigmoid score of the best box for the query. */
  score: number;
  /** That box in original pixels. */
  box: Box;
}

/** What the reranker needs of an OWL-ViT-contract detector (models/detectors.ts OwlModel; a fake in unit tests). */
export interface OwlDetector {
  readonly id: string;
  readonly preprocessing: ImagePreprocessing;
  /** The query-image tower's preprocessing; null when the model has no image-guided graph. */
  readonly queryImagePreprocessing: ImagePreprocessing | null;
  /** The calibrated "is it there?" cutoff (config.json loupe.min_score), if the model states one. */
  readonly defaultMinScore: number | null;
  detect(pixels: Float32Array, b: number, queries: string[]): Promise<OwlDetections>;
  detectByImage(pixels: Float32Array, b: number, queryPixels: Float32Array, q: number): Promise<OwlDetections>;
}

/** Per image: `patches` × `queries` logits and `patches` boxes (cx, cy, w, h, normalised). */
export interface OwlDetections {
  logits: Float32Array;
  boxes: Float32Array;
  patches: number;
  queries: number;
}

/** What the detector is conditioned on: a text, or (image-guided) a picture of the thing. */
export type OwlQuery = string | { image: DecodedImage };

/** Largest pixel tensor of one OWL run (float32 bytes): a page of hits is one run unless its images exceed this. */
export const OWL_BATCH_BYTES = 256 * 1024 * 1024;

/** How many images one OWL run takes: the whole page, unless that would exceed the tensor budget. */
export function owlBatchSize(size: number, images: number, budgetBytes = OWL_BATCH_BYTES): number {
  return Math.max(1, Math.min(images, Math.floor(budgetBytes / (3 * size * size * 4))));
}

/**
 * Scores images for one query; one verdict per image (null when the model finds no box at all). The page is one
 * ONNX run (the query is encoded once, the image tower runs over the whole batch) unless the tensor budget splits it.
 */
export async function owlRerank(
  model: OwlDetector,
  query: OwlQuery,
  images: DecodedImage[],
  batchSize = owlBatchSize(model.preprocessing.size, images.length),
): Promise<(OwlVerdict | null)[]> {
  const out: (OwlVerdict | null)[] = [];
  let queryPixels: Float32Array | null = null;
  if (typeof query !== 'string') {
    const pre = model.queryImagePreprocessing;
    if (!pre) throw invalidArgument('a reranker with an image-guided graph, or a text prompt (rerank.prompt)', 'rerank', model.id);
    queryPixels = await preprocessBatch(query.image, new Float32Array([0, 0, query.image.width, query.image.height]), pre);
  }
  const s = model.preprocessing.size;
  const per = 3 * s * s;
  for (let i = 0; i < images.length; i += batchSize) {
    const batch = images.slice(i, i + batchSize);
    const pixels = new Float32Array(batch.length * per);
    const crops = await Promise.all(batch.map((img) => preprocessBatch(img, new Float32Array([0, 0, img.width, img.height]), model.preprocessing)));
    crops.forEach((c, j) => pixels.set(c, j * per));
    const { logits, boxes, patches, queries } = queryPixels
      ? await model.detectByImage(pixels, batch.length, queryPixels, 1)
      : await model.detect(pixels, batch.length, [query as string]);
    for (let j = 0; j < batch.length; j++) {
      const img = batch[j]!;
      const det = await decodeOwl(logits.subarray(j * patches * queries, (j + 1) * patches * queries), boxes.subarray(j * patches * 4, (j + 1) * patches * 4), {
        imageWidth: img.width,
        imageHeight: img.height,
        topK: 1,
      });
      if (!det.scores.length) {
        out.push(null);
        continue;
      }
      const [x1, y1, x2, y2] = det.boxes;
      out.push({
        score: det.scores[0]!,
        box: { x1: Math.floor(x1!), y1: Math.floor(y1!), x2: Math.min(img.width, Math.ceil(x2!)), y2: Math.min(img.height, Math.ceil(y2!)) },
      });
    }
  }
  return out;
}
