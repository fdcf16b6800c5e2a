// Pixel tensors built directly (no native preprocess), the shipped color-clip folder, and its numpy reference.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../src/log.js';

export const COLOR_CLIP = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models/color-clip');
export const S = 64;
export const D = 16;
const MEAN = [0.48145466, 0.4578275, 0.40821073];
const STD = [0.26862954, 0.26130258, 0.27577711];

export type Rgb = [number, number, number];
export const RED: Rgb = [224, 32, 32];
export const BLUE: Rgb = [37, 70, 224];
export const WHITE: Rgb = [255, 255, 255];
export const NAMES = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'brown', 'white', 'gray', 'black'];

/** CLIP normalisation of a 0..255 channel value, as the native preprocess computes it. */
export const normalise = (v: number, c: number): number => (v / 255 - MEAN[c]!) / STD[c]!;

/** One [3,S,S] image whose pixel (x, y) has colour f(x, y), appended to a batch tensor. */
export function image(f: (x: number, y: number) => Rgb): Float32Array {
  const out = new Float32Array(3 * S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const rgb = f(x, y);
      for (let c = 0; c < 3; c++) out[c * S * S + y * S + x] = normalise(rgb[c]!, c);
    }
  }
  return out;
}

export const solid = (rgb: Rgb): Float32Array => image(() => rgb);

/** `bg` with an axis-aligned square of `fg` of side `side` at the top-left corner. */
export const withSquare = (bg: Rgb, fg: Rgb, side: number): Float32Array => image((x, y) => (x < side && y < side ? fg : bg));

export function batch(images: Float32Array[]): Float32Array {
  const out = new Float32Array(images.length * 3 * S * S);
  images.forEach((im, i) => out.set(im, i * 3 * S * S));
  return out;
}

export const row = (v: Float32Array, i: number, d = D): Float32Array => v.subarray(i * d, (i + 1) * d);
export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
export const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));

export interface Reference {
  size: number;
  dimension: number;
  images: { blocks8x8: Rgb[]; image_embeds: number[] }[];
  texts: { text: string; input_ids: number[]; text_embeds: number[] }[];
}

export const reference = (): Reference =>
  JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/color-clip-reference.json', import.meta.url)), 'utf8')) as Reference;

/** The fixture's 8×8-block image as a [3,S,S] tensor (blocks of S/8 pixels, row-major). */
export const blockImage = (blocks: Rgb[]): Float32Array => image((x, y) => blocks[Math.floor(y / (S / 8)) * 8 + Math.floor(x / (S / 8))]!);

/** A writable copy of the color-clip folder in a fresh temp dir (for breaking it). */
export function copyOfColorClip(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'loupe-model-')), 'color-clip');
  cpSync(COLOR_CLIP, dir, { recursive: true });
  return dir;
}

/** A logger that records warnings (and drops the other levels). */
export function recordingLogger(): Logger & { warnings: { msg: string; extra?: Record<string, unknown> }[] } {
  const warnings: { msg: string; extra?: Record<string, unknown> }[] = [];
  const logger: Logger & { warnings: typeof warnings } = {
    warnings,
    warn: (msg, extra) => void warnings.push({ msg, extra }),
    debug: () => {},
    info: () => {},
    error: () => {},
    child: () => logger,
  };
  return logger;
}
