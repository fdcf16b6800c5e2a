// Detector output decoders (native): YOLOX grid outputs and OWL-ViT patch predictions -> boxes in original pixels.
import { invalidArgument } from '../domain/errors.js';
import { addon } from './addon.js';
import { callNative } from './call.js';
import { checkFloat32Array, checkInteger, checkNumber } from './check.js';

export interface Detections {
  /** N*4: x1,y1,x2,y2 in original-image pixels, clipped to the image. */
  boxes: Float32Array;
  scores: Float32Array;
  /** N: class index (YOLOX) or query index (OWL-ViT). */
  labels: Int32Array;
}

export interface YoloxDecodeOptions {
  /** The letterboxed model input size; default 640 x 640. */
  inputWidth?: number;
  inputHeight?: number;
  /** The letterbox scale (model px = original px * scale). */
  scale: number;
  imageWidth: number;
  imageHeight: number;
  /** Keep anchors whose objectness * best class score >= this; default 0 (all). */
  scoreThreshold?: number;
  /** Default [8, 16, 32]. */
  strides?: number[];
}

/** YOLOX anchors for an input size: sum over strides of floor(H/s) * floor(W/s) (8,400 for 640 x 640). */
export function yoloxAnchorCount(inputWidth: number, inputHeight: number, strides: number[] = [8, 16, 32]): number {
  return strides.reduce((n, s) => n + Math.floor(inputHeight / s) * Math.floor(inputWidth / s), 0);
}

/**
 * Decodes one image's YOLOX `output` ([anchors, 5 + classes]: cx,cy,w,h on the grid, objectness and class scores
 * already sigmoid): centre = (offset + cell) * stride, size = exp(wh) * stride, then divided by the letterbox scale and
 * clipped to the image. Score = objectness * best class score; label = that class. Anchor order, no NMS.
 */
export function decodeYolox(output: Float32Array, opts: YoloxDecodeOptions): Promise<Detections> {
  try {
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('a YoloxDecodeOptions object', 'opts', opts);
    const inputWidth = opts.inputWidth === undefined ? 640 : checkInteger(opts.inputWidth, 'opts.inputWidth', 1, 8192);
    const inputHeight = opts.inputHeight === undefined ? 640 : checkInteger(opts.inputHeight, 'opts.inputHeight', 1, 8192);
    const strides = opts.strides ?? [8, 16, 32];
    if (!Array.isArray(strides) || strides.length === 0) throw invalidArgument('a non-empty array of strides', 'opts.strides', strides);
    strides.forEach((s, i) => checkInteger(s, `opts.strides[${i}]`, 1, Math.min(inputWidth, inputHeight)));
    const anchors = yoloxAnchorCount(inputWidth, inputHeight, strides);
    checkFloat32Array(output, 'output', 1);
    const row = output.length / anchors;
    if (!Number.isInteger(row) || row < 6) {
      throw invalidArgument(`anchors * (5 + classes) values with ${anchors} anchors`, 'output.length', output.length);
    }
    const scale = checkNumber(opts.scale, 'opts.scale', Number.MIN_VALUE);
    const imageWidth = checkInteger(opts.imageWidth, 'opts.imageWidth', 1, 1 << 28);
    const imageHeight = checkInteger(opts.imageHeight, 'opts.imageHeight', 1, 1 << 28);
    const scoreThreshold = opts.scoreThreshold === undefined ? 0 : checkNumber(opts.scoreThreshold, 'opts.scoreThreshold');
    return callNative('decodeYolox', () =>
      addon.decodeYolox(output, row - 5, inputWidth, inputHeight, Int32Array.from(strides), scale, imageWidth, imageHeight, scoreThreshold),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

export interface OwlDecodeOptions {
  imageWidth: number;
  imageHeight: number;
  /** OWLv2-style inputs padded to a square before resizing: boxes are relative to max(width, height). Default false. */
  padToSquare?: boolean;
  /** Keep patches whose sigmoid score >= this; default 0. */
  scoreThreshold?: number;
  /** Keep the best topK; default 100. */
  topK?: number;
}

/**
 * Decodes one image's OWL-ViT outputs: `logits` [patches, queries] and `predBoxes` [patches, 4] (cx,cy,w,h in 0..1).
 * Per patch the best query (label) with score sigmoid(logit); the topK by descending score (ties: lower patch first),
 * corners scaled to original pixels and clipped to the image.
 */
export function decodeOwl(logits: Float32Array, predBoxes: Float32Array, opts: OwlDecodeOptions): Promise<Detections> {
  try {
    checkFloat32Array(predBoxes, 'predBoxes', 4);
    checkFloat32Array(logits, 'logits', 1);
    const patches = predBoxes.length / 4;
    const queries = patches === 0 ? 0 : logits.length / patches;
    if (patches === 0 || !Number.isInteger(queries) || queries < 1) {
      throw invalidArgument(`patches * queries values with ${patches} patches (predBoxes.length / 4)`, 'logits.length', logits.length);
    }
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('an OwlDecodeOptions object', 'opts', opts);
    const imageWidth = checkInteger(opts.imageWidth, 'opts.imageWidth', 1, 1 << 28);
    const imageHeight = checkInteger(opts.imageHeight, 'opts.imageHeight', 1, 1 << 28);
    if (opts.padToSquare !== undefined && typeof opts.padToSquare !== 'boolean') {
      throw invalidArgument('a boolean', 'opts.padToSquare', opts.padToSquare);
    }
    const scoreThreshold = opts.scoreThreshold === undefined ? 0 : checkNumber(opts.scoreThreshold, 'opts.scoreThreshold');
    const topK = opts.topK === undefined ? 100 : checkInteger(opts.topK, 'opts.topK', 0, 1 << 20);
    return callNative('decodeOwl', () => addon.decodeOwl(logits, predBoxes, queries, imageWidth, imageHeight, opts.padToSquare ?? false, scoreThreshold, topK));
  } catch (e) {
    return Promise.reject(e);
  }
}
