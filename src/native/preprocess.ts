// Crop + resize + normalize regions of one decoded image into a model's [N,3,S,S] input tensor (native, async).
import { invalidArgument } from '../domain/errors.js';
import type { DecodedImage } from '../domain/types.js';
import { addon } from './addon.js';
import { callNative } from './call.js';
import {
  checkBoxesInImage,
  checkFloat32Array,
  checkImage,
  checkInteger,
  checkNumber,
  checkTriple,
  deviceCode,
  MAX_TENSOR_ELEMENTS,
  type NativeDevice,
} from './check.js';

export type ResizeMode = 'squash' | 'shortest-edge-center-crop';
export type ResampleFilter = 'bilinear' | 'bicubic';

export interface PreprocessOptions {
  /** Output side S in pixels (1..4096). */
  size: number;
  /** 'squash': the box is stretched to S x S. 'shortest-edge-center-crop': CLIP's — the box's short side is resized to
   * S (long side to floor(S * long / short)), then the centre S x S is kept. */
  mode: ResizeMode;
  mean: [number, number, number];
  /** Positive. */
  std: [number, number, number];
  /** Multiplies the 0..255 resampled value before normalizing; default 1/255. */
  rescale?: number;
  /** Antialiased (PIL-style) filter; default 'bicubic' (CLIP's). */
  resample?: ResampleFilter;
  /** Where to run: 'auto' (default) uses CUDA when this build has it, a GPU is present and there are >= 8 boxes (where
   * the GPU measured faster, transfers included), else the CPU; 'cuda' insists (an error without a GPU). */
  device?: NativeDevice;
}

export const MAX_BOXES = 4096;

/**
 * From one decoded RGB image and N boxes (Float32Array of N*4: x1,y1,x2,y2 in original pixels), produce the normalized
 * [N,3,size,size] float tensor (channel planes R,G,B), each value `(v * rescale - mean[c]) / std[c]` where v is the
 * antialiased resample in 0..255 (bicubic overshoot clamped).
 *
 * Boxes are clipped to the image first (a box may reach outside it); a box that is not finite, or whose clipped width
 * or height is zero or negative (inverted, degenerate or wholly outside), is rejected with an INVALID_INPUT LoupeError.
 * No boxes (an empty Float32Array) resolves to an empty Float32Array.
 */
export function preprocessBatch(image: DecodedImage, boxes: Float32Array, opts: PreprocessOptions): Promise<Float32Array> {
  try {
    const img = checkImage(image);
    checkFloat32Array(boxes, 'boxes', 4, MAX_BOXES * 4);
    const n = checkBoxesInImage(boxes, 'boxes', img.width, img.height);
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('a PreprocessOptions object', 'opts', opts);
    const size = checkInteger(opts.size, 'opts.size', 1, 4096);
    if (n * 3 * size * size > MAX_TENSOR_ELEMENTS) {
      throw invalidArgument(`at most ${MAX_TENSOR_ELEMENTS} output values`, 'boxes.length/4*3*size*size', n * 3 * size * size);
    }
    if (opts.mode !== 'squash' && opts.mode !== 'shortest-edge-center-crop') {
      throw invalidArgument("'squash' or 'shortest-edge-center-crop'", 'opts.mode', opts.mode);
    }
    const resample = opts.resample ?? 'bicubic';
    if (resample !== 'bilinear' && resample !== 'bicubic') {
      throw invalidArgument("'bilinear' or 'bicubic'", 'opts.resample', opts.resample);
    }
    const mean = checkTriple(opts.mean, 'opts.mean', false);
    const std = checkTriple(opts.std, 'opts.std', true);
    const rescale = opts.rescale === undefined ? 1 / 255 : checkNumber(opts.rescale, 'opts.rescale');
    const device = deviceCode(opts.device, 'opts.device');
    if (n === 0) return Promise.resolve(new Float32Array(0));
    return callNative('preprocessBatch', () =>
      addon.preprocessBatch(
        img.data,
        img.width,
        img.height,
        boxes,
        size,
        opts.mode === 'squash' ? 0 : 1,
        resample === 'bilinear' ? 0 : 1,
        mean,
        std,
        rescale,
        device,
      ),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

export interface LetterboxOptions {
  /** Model input width and height; default 640 x 640 (YOLOX-S). */
  width?: number;
  height?: number;
  /** Fill value of the padding, 0..255; default 114 (YOLOX). */
  pad?: number;
}

export interface LetterboxResult {
  /** [1,3,height,width], BGR planes, values 0..255 (not normalized). */
  tensor: Float32Array;
  /** model px = original px * scale; decoders divide by it to return to original pixels. */
  scale: number;
  width: number;
  height: number;
}

/**
 * YOLOX's input: the image resized keeping its aspect ratio (scale = min(height/H, width/W), resized to
 * floor(W*scale) x floor(H*scale) with non-antialiased bilinear like cv2.INTER_LINEAR) into the top-left corner of a
 * width x height canvas filled with `pad`, as BGR float planes in 0..255.
 */
export function letterbox(image: DecodedImage, opts: LetterboxOptions = {}): Promise<LetterboxResult> {
  try {
    const img = checkImage(image);
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('a LetterboxOptions object', 'opts', opts);
    const width = opts.width === undefined ? 640 : checkInteger(opts.width, 'opts.width', 1, 4096);
    const height = opts.height === undefined ? 640 : checkInteger(opts.height, 'opts.height', 1, 4096);
    const pad = opts.pad === undefined ? 114 : checkNumber(opts.pad, 'opts.pad', 0, 255);
    return callNative('letterbox', async () => {
      const { tensor, scale } = await addon.letterbox(img.data, img.width, img.height, width, height, pad);
      return { tensor, scale, width, height };
    });
  } catch (e) {
    return Promise.reject(e);
  }
}
