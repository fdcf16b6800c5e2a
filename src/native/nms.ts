// Greedy non-maximum suppression (native; CUDA for large candidate sets when a GPU is present).
import { invalidArgument } from '../domain/errors.js';
import { addon } from './addon.js';
import { callNative } from './call.js';
import { checkFloat32Array, checkInteger, checkNumber, deviceCode, type NativeDevice } from './check.js';

/** Most candidates one call accepts (the CPU path is O(candidates x kept)). */
export const MAX_NMS_CANDIDATES = 1_000_000;

export interface NmsOptions {
  /** A box is suppressed when its IoU with a kept, higher-scoring box is > iouThreshold (0..1). */
  iouThreshold: number;
  /** Keep at most this many; default all. */
  maxOutputs?: number;
  /** Drop candidates scoring below this first; default none. */
  scoreThreshold?: number;
  /** 'cuda' runs the CUDA kernel (up to 32,768 candidates; more fall back to the CPU); 'auto' (default) and 'cpu' run
   * on the CPU, which measured faster end to end (bench/README.md). */
  device?: NativeDevice;
}

function firstNaN(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return i;
  return -1;
}

function checkCommon(boxes: Float32Array, scores: Float32Array, opts: NmsOptions) {
  checkFloat32Array(scores, 'scores', 1, MAX_NMS_CANDIDATES);
  checkFloat32Array(boxes, 'boxes', 4, MAX_NMS_CANDIDATES * 4);
  if (boxes.length !== scores.length * 4) {
    throw invalidArgument(`4 * scores.length = ${scores.length * 4} values`, 'boxes.length', boxes.length);
  }
  const badBox = firstNaN(boxes);
  if (badBox >= 0)
    throw invalidArgument('box coordinates that are not NaN', `boxes[${badBox >> 2}]`, Array.from(boxes.subarray(badBox & ~3, (badBox & ~3) + 4)));
  const badScore = firstNaN(scores);
  if (badScore >= 0) throw invalidArgument('a score that is not NaN', `scores[${badScore}]`, scores[badScore]);
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('an NmsOptions object', 'opts', opts);
  return {
    iou: checkNumber(opts.iouThreshold, 'opts.iouThreshold', 0, 1),
    maxOutputs: opts.maxOutputs === undefined ? scores.length : checkInteger(opts.maxOutputs, 'opts.maxOutputs', 0, MAX_NMS_CANDIDATES),
    scoreThreshold: opts.scoreThreshold === undefined ? -Infinity : checkNumber(opts.scoreThreshold, 'opts.scoreThreshold'),
  };
}

/**
 * Class-agnostic greedy NMS. `boxes` holds N*4 values x1,y1,x2,y2, `scores` N. Resolves to the indices of the kept
 * boxes by descending score (equal scores: lower index first). An inverted or degenerate box has zero area: it never
 * suppresses another box and is never suppressed (it is kept if the count allows). Infinite coordinates are allowed;
 * NaN is an INVALID_INPUT error. No candidates resolves to an empty Int32Array.
 */
export function nms(boxes: Float32Array, scores: Float32Array, opts: NmsOptions): Promise<Int32Array> {
  try {
    const c = checkCommon(boxes, scores, opts);
    const device = deviceCode(opts.device, 'opts.device');
    return callNative('nms', () => addon.nms(boxes, scores, c.iou, c.maxOutputs, c.scoreThreshold, device));
  } catch (e) {
    return Promise.reject(e);
  }
}
