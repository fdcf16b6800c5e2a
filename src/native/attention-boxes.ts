// DINO-style attention maps -> region boxes (native): the "dino-v1" / "dino-v2" region proposers' core.
import { invalidArgument } from '../domain/errors.js';
import { addon } from './addon.js';
import { callNative } from './call.js';
import { checkFloat32Array, checkInteger, checkNumber } from './check.js';

export interface AttentionBoxesOptions {
  heads: number;
  /** The patch grid (e.g. 14 x 14 for ViT-S/16 at 224 px). */
  gridWidth: number;
  gridHeight: number;
  imageWidth: number;
  imageHeight: number;
  /** 'v1': one map, the mean of the heads; 'v2': one map per head. */
  mode: 'v1' | 'v2';
  /** Longer side of the working map the attention is upsampled to (capped at the image's); default 512. */
  resolution?: number;
  /** Drop components covering less than this fraction of the map (0..1); default 0. */
  minArea?: number;
  /** Default 100. */
  maxBoxes?: number;
}

export interface AttentionBoxes {
  /** N*4 in original-image pixels. */
  boxes: Float32Array;
  /** Fraction of the map covered by the component (its pixels / map pixels). */
  scores: Float32Array;
  /** Which map the box came from: 0 for v1, the head for v2. */
  maps: Int32Array;
}

/**
 * `attentions`: one image's last-layer CLS->patch attention, [heads, gridHeight * gridWidth]. Each map is bilinearly
 * upsampled (half-pixel centres) to the working resolution, thresholded with Otsu (256 bins over its min..max; a flat
 * map has no foreground), split into 8-connected components; each component's bounding box, scaled to original pixels,
 * is a region scored by its fractional area. Sorted by descending score (ties: map, then raster order).
 */
export function attentionToBoxes(attentions: Float32Array, opts: AttentionBoxesOptions): Promise<AttentionBoxes> {
  try {
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('an AttentionBoxesOptions object', 'opts', opts);
    const heads = checkInteger(opts.heads, 'opts.heads', 1, 1024);
    const gridWidth = checkInteger(opts.gridWidth, 'opts.gridWidth', 1, 4096);
    const gridHeight = checkInteger(opts.gridHeight, 'opts.gridHeight', 1, 4096);
    const imageWidth = checkInteger(opts.imageWidth, 'opts.imageWidth', 1, 1 << 28);
    const imageHeight = checkInteger(opts.imageHeight, 'opts.imageHeight', 1, 1 << 28);
    if (opts.mode !== 'v1' && opts.mode !== 'v2') throw invalidArgument("'v1' or 'v2'", 'opts.mode', opts.mode);
    const resolution = opts.resolution === undefined ? 512 : checkInteger(opts.resolution, 'opts.resolution', 1, 4096);
    const minArea = opts.minArea === undefined ? 0 : checkNumber(opts.minArea, 'opts.minArea', 0, 1);
    const maxBoxes = opts.maxBoxes === undefined ? 100 : checkInteger(opts.maxBoxes, 'opts.maxBoxes', 0, 1 << 20);
    checkFloat32Array(attentions, 'attentions', 1);
    if (attentions.length !== heads * gridWidth * gridHeight) {
      throw invalidArgument(`heads * gridHeight * gridWidth = ${heads * gridWidth * gridHeight} values`, 'attentions.length', attentions.length);
    }
    const bad = attentions.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw invalidArgument('finite attention values', `attentions[${bad}]`, attentions[bad]);
    return callNative('attentionToBoxes', () =>
      addon.attentionToBoxes(attentions, heads, gridWidth, gridHeight, imageWidth, imageHeight, opts.mode === 'v2', resolution, minArea, maxBoxes),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}
