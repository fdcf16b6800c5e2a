// preprocessor_config.json (CLIPImageProcessor, ViTImageProcessor, OwlViTImageProcessor ...) → the one set of
// preprocessing options Loupe's native crop/resize/normalize understands.
import { isObject, type Json, type JsonObject } from './folder.js';
import { modelInvalid } from './contract.js';

export type Triple = [number, number, number];

/** Structurally the options of preprocessBatch (src/native/preprocess.ts), always fully specified. */
export interface ImagePreprocessing {
  /** Model input side S: images become [3,S,S]. */
  size: number;
  /** 'squash': stretch to S×S. 'shortest-edge-center-crop': CLIP's short side → S, then the centre S×S. */
  mode: 'squash' | 'shortest-edge-center-crop';
  mean: Triple;
  std: Triple;
  /** Multiplies 0..255 before normalising (1/255 for CLIP). */
  rescale: number;
  resample: 'bilinear' | 'bicubic';
}

// PIL resampling enum as stored by transformers: 2 = BILINEAR, 3 = BICUBIC.
const RESAMPLE: Record<number, ImagePreprocessing['resample']> = { 2: 'bilinear', 3: 'bicubic' };

function bool(dir: string, cfg: JsonObject, key: string, fallback: boolean): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw modelInvalid(dir, `preprocessor_config.json ${key} must be true or false`);
  return v;
}

function side(dir: string, key: string, v: Json | undefined): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4096) {
    throw modelInvalid(dir, `preprocessor_config.json ${key} must be an integer from 1 to 4096 (found ${JSON.stringify(v ?? null)})`);
  }
  return v;
}

/** A size field: a number, { shortest_edge }, or { height, width }. */
function sizeField(dir: string, key: string, v: Json | undefined): { shortestEdge: number } | { height: number; width: number } | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return { height: side(dir, key, v), width: side(dir, key, v) };
  if (isObject(v) && v.shortest_edge !== undefined) return { shortestEdge: side(dir, `${key}.shortest_edge`, v.shortest_edge) };
  if (isObject(v) && v.height !== undefined && v.width !== undefined) {
    return { height: side(dir, `${key}.height`, v.height), width: side(dir, `${key}.width`, v.width) };
  }
  throw modelInvalid(dir, `preprocessor_config.json ${key} must be a number, {shortest_edge} or {height, width} (found ${JSON.stringify(v)})`);
}

function triple(dir: string, key: string, v: Json | undefined, positive: boolean): Triple {
  const xs = typeof v === 'number' ? [v, v, v] : v;
  const ok = (x: Json | undefined): x is number => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0);
  if (!Array.isArray(xs) || xs.length !== 3 || !xs.every(ok)) {
    throw modelInvalid(dir, `preprocessor_config.json ${key} must be 3 ${positive ? 'positive ' : ''}numbers (found ${JSON.stringify(v ?? null)})`);
  }
  return [xs[0], xs[1], xs[2]] as Triple;
}

/**
 * Derives Loupe's preprocessing from a transformers image-processor config. Loupe always produces square S×S inputs,
 * so it accepts CLIP's shortest-edge resize followed by an equal centre crop, or a square resize (optionally followed
 * by a centre crop of the same size); anything else is MODEL_INVALID with the reason.
 */
export function derivePreprocessing(dir: string, cfg: JsonObject): ImagePreprocessing {
  if (!bool(dir, cfg, 'do_resize', true)) throw modelInvalid(dir, 'preprocessor_config.json do_resize=false is not supported (inputs are resized to a square)');
  const size = sizeField(dir, 'size', cfg.size);
  if (!size) throw modelInvalid(dir, 'preprocessor_config.json has no size');
  const crop = sizeField(dir, 'crop_size', cfg.crop_size);
  if (crop && 'shortestEdge' in crop) throw modelInvalid(dir, 'preprocessor_config.json crop_size must be {height, width}');
  const centerCrop = bool(dir, cfg, 'do_center_crop', crop !== null);
  let s: number;
  let mode: ImagePreprocessing['mode'];
  if ('shortestEdge' in size) {
    if (!centerCrop) throw modelInvalid(dir, 'preprocessor_config.json size.shortest_edge without do_center_crop gives non-square inputs');
    const c = crop ?? { height: size.shortestEdge, width: size.shortestEdge };
    if (c.height !== size.shortestEdge || c.width !== size.shortestEdge) {
      throw modelInvalid(dir, `preprocessor_config.json crop_size ${c.height}x${c.width} must equal size.shortest_edge ${size.shortestEdge} (Loupe crops to the resized short side)`);
    }
    s = size.shortestEdge;
    mode = 'shortest-edge-center-crop';
  } else {
    if (size.height !== size.width) throw modelInvalid(dir, `preprocessor_config.json size ${size.height}x${size.width} must be square`);
    if (centerCrop && crop && (crop.height !== size.height || crop.width !== size.width)) {
      throw modelInvalid(dir, `preprocessor_config.json crop_size ${crop.height}x${crop.width} must equal size ${size.height}x${size.width}`);
    }
    s = size.height;
    mode = 'squash';
  }
  const r = cfg.resample;
  const resample = r === undefined || r === null ? 'bicubic' : typeof r === 'number' ? RESAMPLE[r] : undefined;
  if (!resample) throw modelInvalid(dir, `preprocessor_config.json resample must be 2 (bilinear) or 3 (bicubic) (found ${JSON.stringify(r)})`);
  let rescale = 1;
  if (bool(dir, cfg, 'do_rescale', true)) {
    const f = cfg.rescale_factor ?? 1 / 255;
    if (typeof f !== 'number' || !(f > 0) || !Number.isFinite(f)) throw modelInvalid(dir, 'preprocessor_config.json rescale_factor must be a positive number');
    rescale = f;
  }
  const normalize = bool(dir, cfg, 'do_normalize', true);
  const mean = normalize ? triple(dir, 'image_mean', cfg.image_mean, false) : ([0, 0, 0] as Triple);
  const std = normalize ? triple(dir, 'image_std', cfg.image_std, true) : ([1, 1, 1] as Triple);
  return { size: s, mode, mean, std, rescale, resample };
}
