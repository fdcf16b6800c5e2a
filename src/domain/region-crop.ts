// The crop a region is embedded from. Detector proposals are tight boxes; a CLIP-contract model trained on objects that
// fill part of the frame (ours: config.json loupe.region_crop) sees them better with some context around them and
// squared, so that the shortest-side resize + centre crop does not cut the object. The chunk's box (the highlight)
// stays the proposal itself; only the pixels that are embedded change. Public models default to the exact box.
import type { Box } from './types.js';

export interface RegionCrop {
  /** Fraction of the box's side added on each side (0 = the exact box). */
  context: number;
  /** Crop a square around the box centre (side = the longer side). */
  square: boolean;
}

export const EXACT_CROP: RegionCrop = { context: 0, square: false };

function span(centre: number, length: number, limit: number): [number, number] {
  if (length >= limit) return [0, limit];
  const start = Math.min(Math.max(centre - length / 2, 0), limit - length);
  return [start, start + length];
}

/** The embedding crop of `box` inside a width × height image: grown and squared per `crop`, shifted to stay inside. */
export function regionCropBox(box: Box, crop: RegionCrop, width: number, height: number): Box {
  if (crop.context === 0 && !crop.square) return box;
  let w = box.x2 - box.x1;
  let h = box.y2 - box.y1;
  if (crop.square) w = h = Math.max(w, h);
  w *= 1 + 2 * crop.context;
  h *= 1 + 2 * crop.context;
  const [x1, x2] = span((box.x1 + box.x2) / 2, w, width);
  const [y1, y2] = span((box.y1 + box.y2) / 2, h, height);
  return { x1, y1, x2, y2 };
}
