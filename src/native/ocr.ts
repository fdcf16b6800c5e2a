// PP-OCR post- and pre-processing (native/core/ocr): DB probability map → text quads, greedy CTC decoding, and
// upright crops of quads into recognizer / classifier tensors. Arguments are checked here, once.
import { invalidArgument } from '../domain/errors.js';
import type { DecodedImage } from '../domain/types.js';
import { addon } from './addon.js';
import { callNative } from './call.js';
import { checkFloat32Array, checkImage, checkInteger, checkNumber, checkTriple, MAX_TENSOR_ELEMENTS } from './check.js';

export interface DbOptions {
  /** Binarization threshold of the probability map; default 0.3. */
  threshold?: number;
  /** A region's mean probability must reach this; default 0.6. */
  boxThreshold?: number;
  /** Growth of each box (area * ratio / perimeter per side); default 1.5. */
  unclipRatio?: number;
  /** Shorter side in map pixels below which a box is dropped; default 3. */
  minSize?: number;
  /** Most boxes (the largest regions are kept); default 1000. */
  maxCandidates?: number;
  /** Map pixel → original pixel scale on each axis. */
  scaleX: number;
  scaleY: number;
  /** The original image, boxes are clipped to it. */
  imageWidth: number;
  imageHeight: number;
}

export interface DbBoxes {
  /** n*8: top-left, top-right, bottom-right, bottom-left corners (x, y) in original pixels; top to bottom. */
  quads: Float32Array;
  scores: Float32Array;
  /** Regions found before the maxCandidates cap. */
  components: number;
}

/** Text boxes from a DB detector's probability map (`width * height` values). */
export function dbBoxes(prob: Float32Array, width: number, height: number, opts: DbOptions): Promise<DbBoxes> {
  try {
    checkInteger(width, 'width', 1, 1 << 16);
    checkInteger(height, 'height', 1, 1 << 16);
    checkFloat32Array(prob, 'prob');
    if (prob.length !== width * height) throw invalidArgument(`width*height = ${width * height} values`, 'prob.length', prob.length);
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('a DbOptions object', 'opts', opts);
    const threshold = opts.threshold === undefined ? 0.3 : checkNumber(opts.threshold, 'opts.threshold', 0, 1);
    const boxThreshold = opts.boxThreshold === undefined ? 0.6 : checkNumber(opts.boxThreshold, 'opts.boxThreshold', 0, 1);
    const unclipRatio = opts.unclipRatio === undefined ? 1.5 : checkNumber(opts.unclipRatio, 'opts.unclipRatio', 0, 10);
    const minSize = opts.minSize === undefined ? 3 : checkNumber(opts.minSize, 'opts.minSize', 0, 1000);
    const maxCandidates = opts.maxCandidates === undefined ? 1000 : checkInteger(opts.maxCandidates, 'opts.maxCandidates', 1, 1_000_000);
    const scaleX = checkNumber(opts.scaleX, 'opts.scaleX', Number.MIN_VALUE);
    const scaleY = checkNumber(opts.scaleY, 'opts.scaleY', Number.MIN_VALUE);
    const imageWidth = checkInteger(opts.imageWidth, 'opts.imageWidth', 1, 1 << 28);
    const imageHeight = checkInteger(opts.imageHeight, 'opts.imageHeight', 1, 1 << 28);
    return callNative('dbBoxes', () =>
      addon.dbBoxes(prob, width, height, threshold, boxThreshold, unclipRatio, minSize, maxCandidates, scaleX, scaleY, imageWidth, imageHeight),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

export interface CtcDecoded {
  /** Kept characters' class ids of every item, concatenated. */
  classes: Int32Array;
  probs: Float32Array;
  /** First and last time step of each character. */
  first: Int32Array;
  last: Int32Array;
  /** batch + 1 offsets: item i's characters are [offsets[i], offsets[i+1]). */
  offsets: Int32Array;
}

/**
 * Greedy CTC decoding of softmax outputs [batch, steps, classes]: best class per step, repeats merged, blanks dropped.
 * With `space` (a class id), a blank step between characters where that class has probability >= `spaceThreshold`
 * reads as a space (a word gap the recognizer put just below its blank).
 */
export function ctcDecode(
  probs: Float32Array,
  batch: number,
  steps: number,
  classes: number,
  blank = 0,
  space: { id: number; threshold: number } | null = null,
): Promise<CtcDecoded> {
  try {
    checkInteger(batch, 'batch', 0, 1 << 20);
    checkInteger(steps, 'steps', 0, 1 << 20);
    checkInteger(classes, 'classes', 1, 1 << 20);
    checkInteger(blank, 'blank', 0, classes - 1);
    checkFloat32Array(probs, 'probs');
    if (probs.length !== batch * steps * classes)
      throw invalidArgument(`batch*steps*classes = ${batch * steps * classes} values`, 'probs.length', probs.length);
    if (space !== null) {
      if (typeof space !== 'object') throw invalidArgument('{ id, threshold } or null', 'space', space);
      checkInteger(space.id, 'space.id', 0, classes - 1);
      checkNumber(space.threshold, 'space.threshold', 0, 1);
    }
    return callNative('ctcDecode', () => addon.ctcDecode(probs, batch, steps, classes, blank, space?.id ?? -1, space?.threshold ?? 1));
  } catch (e) {
    return Promise.reject(e);
  }
}

export interface WarpOptions {
  /** Output rows (the recognizer's 48). */
  height: number;
  /** Output columns; crop i fills widths[i] of them, the rest is 0 (padding after normalization, as PaddleOCR). */
  batchWidth: number;
  widths: number[];
  /** Crops to turn 180° (the direction classifier's verdict); default none. */
  rotate180?: boolean[];
  /** BGR planes (what PaddleOCR models are trained on); default true. */
  bgr?: boolean;
  /** In output plane order; default 0.5 each (PP-OCR recognizer and classifier). */
  mean?: [number, number, number];
  std?: [number, number, number];
}

/** Crops quads (n*8, as dbBoxes gives them) upright into one [n, 3, height, batchWidth] tensor, area-averaged when shrinking. */
export function warpQuads(image: DecodedImage, quads: Float32Array, opts: WarpOptions): Promise<Float32Array> {
  try {
    checkImage(image);
    checkFloat32Array(quads, 'quads', 8);
    if (!quads.every(Number.isFinite)) throw invalidArgument('finite quad coordinates', 'quads', quads);
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('a WarpOptions object', 'opts', opts);
    const n = quads.length / 8;
    const height = checkInteger(opts.height, 'opts.height', 1, 4096);
    const batchWidth = checkInteger(opts.batchWidth, 'opts.batchWidth', 1, 1 << 16);
    if (!Array.isArray(opts.widths) || opts.widths.length !== n) throw invalidArgument(`${n} widths (one per quad)`, 'opts.widths', opts.widths);
    opts.widths.forEach((w, i) => checkInteger(w, `opts.widths[${i}]`, 1, batchWidth));
    const rotate = opts.rotate180 ?? new Array<boolean>(n).fill(false);
    if (!Array.isArray(rotate) || rotate.length !== n || rotate.some((r) => typeof r !== 'boolean'))
      throw invalidArgument(`${n} booleans`, 'opts.rotate180', opts.rotate180);
    if (n * 3 * height * batchWidth > MAX_TENSOR_ELEMENTS) throw invalidArgument(`at most ${MAX_TENSOR_ELEMENTS} output values`, 'quads', `${n} crops`);
    const mean = checkTriple(opts.mean ?? [0.5, 0.5, 0.5], 'opts.mean', false);
    const std = checkTriple(opts.std ?? [0.5, 0.5, 0.5], 'opts.std', true);
    const bgr = opts.bgr ?? true;
    if (typeof bgr !== 'boolean') throw invalidArgument('a boolean', 'opts.bgr', opts.bgr);
    return callNative('warpQuads', () =>
      addon.warpQuads(
        image.data,
        image.width,
        image.height,
        quads,
        Int32Array.from(opts.widths),
        Uint8Array.from(rotate, (r) => (r ? 1 : 0)),
        height,
        batchWidth,
        bgr,
        mean,
        std,
        1 / 255,
      ),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}
