// How large an image must be decoded for its region method: every crop the method can produce must still be at least
// CROP_OVERSAMPLE × the model's input side S in the decoded image, so the native resize to S only ever downscales
// (antialiased), exactly as it would from the full-size image; a detector's own input must not be upscaled either.
// Anything larger is pixels decoded only to be thrown away. Boxes stay in original pixels: the decoded image is a
// uniformly scaled copy, and callers map between the two with `scaleBox`.
import type { Box, RegionMethod } from '../domain/types.js';

/** Decoded crops keep at least this many pixels per model input pixel along their short side. */
export const CROP_OVERSAMPLE = 2;
/** Below this much saving a resize costs more than the pixels it saves. */
const MIN_SHRINK = 0.8;

export interface DecodeNeeds {
  /** The embedding model's input side S. */
  cropSize: number;
  /** The detector's input (YOLOX letterbox, DINO squash), for detector methods. */
  detectorInput?: { width: number; height: number };
}

/** The upright size to decode a width × height image at for `method` (never larger than the image). */
export function decodeSize(method: RegionMethod, width: number, height: number, needs: DecodeNeeds): { width: number; height: number } {
  const need = CROP_OVERSAMPLE * needs.cropSize;
  // The short side of the smallest crop the method can make, in original pixels.
  let smallest: number;
  if (method.kind === 'none') smallest = Math.min(width, height);
  else if (method.kind === 'simple' || method.kind === 'overlap') {
    // Grid edges are rounded to whole pixels: a cell can be up to one pixel narrower than the mean.
    smallest = Math.min(width / Math.min(method.wn, width), height / Math.min(method.hn, height)) - 1;
  } else {
    // A proposal covers at least minArea of the image with long/short < maxAspect: short side ≥ √(area / maxAspect).
    smallest = Math.sqrt((method.minArea * width * height) / method.maxAspect);
  }
  let scale = smallest > 0 ? need / smallest : 1;
  const input = needs.detectorInput;
  if (input && (method.kind === 'yolox' || method.kind === 'dino-v1' || method.kind === 'dino-v2')) {
    // YOLOX letterboxes (the long side fits); DINO squashes (each side is resized on its own).
    const detector = method.kind === 'yolox' ? Math.min(input.width / width, input.height / height) : Math.max(input.width / width, input.height / height);
    scale = Math.max(scale, CROP_OVERSAMPLE * detector);
  }
  if (!(scale < MIN_SHRINK)) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** `box` multiplied by (sx, sy): original → decoded pixels with sx = decoded/original, or back with the inverses. */
export function scaleBox(box: Box, sx: number, sy: number): Box {
  return { x1: box.x1 * sx, y1: box.y1 * sy, x2: box.x2 * sx, y2: box.y2 * sy };
}

/** The most regions (crops) `method` makes for one image, the whole image included. */
export function maxRegions(method: RegionMethod): number {
  if (method.kind === 'none') return 1;
  if (method.kind === 'simple') return 1 + method.hn * method.wn;
  if (method.kind === 'overlap') return 1 + method.hn * method.wn + (method.hn - 1) * (method.wn - 1);
  return 1 + method.maxProposals;
}
