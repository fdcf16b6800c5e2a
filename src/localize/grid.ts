// Grid region methods (Marqo's `none`, `simple`, `overlap`): parsing their parameters and proposing boxes.
//
// Reference: marqo-ai/marqo src/marqo/s2_inference/processing/image.py (chunk_image, PatchifySimple) and
// image_utils.py (generate_boxes, _process_patch_method). There, on the image resized to 240 × 240:
//   cell height = H // hn, cell width = W // wn   (so hn counts rows and wn columns, whatever the docstring says)
//   for each grid cell (row-major) the cell is emitted, and with overlap also the same-sized cell shifted by half a
//   cell right AND down, kept only if it fits inside the image — i.e. (hn-1)·(wn-1) diagonal half-shifted cells;
//   the whole image is prepended as chunk 0. Counts: simple → 1 + hn·wn; overlap → 1 + hn·wn + (hn-1)·(wn-1)
//   (3×3: 10 and 14).
// Differences here, on purpose: boxes are computed directly in original pixels with integer edges at
// round(k·W/wn), so the grid covers the image exactly (Marqo's floor division leaves a sliver uncovered and its
// rescaled boxes are fractional); the grid cells come first and the shifted cells after them (Marqo interleaves),
// so chunk i of `simple` and `overlap` is the same box. An image narrower (shorter) than wn (hn) pixels gets one
// column (row) per pixel, so no box is ever empty.
import type { Box, GridRegionMethod, RegionMethod } from '../domain/types.js';
import { LoupeError, invalidArgument } from '../domain/errors.js';
import { preview } from '../domain/text.js';

export const DEFAULT_GRID = { hn: 3, wn: 3 } as const;
export const MAX_GRID = 16;

const METHODS = ['none', 'simple', 'overlap'] as const;
type GridMethodName = (typeof METHODS)[number];

export type RegionMethodInput = string | { method: string; hn?: number; wn?: number };

function methodName(value: string, name: string): GridMethodName {
  const lower = value.trim().toLowerCase();
  if ((METHODS as readonly string[]).includes(lower)) return lower as GridMethodName;
  throw invalidArgument(`one of ${METHODS.join(', ')}`, name, value);
}

function gridSize(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_GRID) {
    throw invalidArgument(`an integer from 1 to ${MAX_GRID}`, name, value);
  }
  return value;
}

function build(method: GridMethodName, hn: number | undefined, wn: number | undefined, what: string): GridRegionMethod {
  if (method === 'none') {
    if (hn !== undefined || wn !== undefined) {
      throw new LoupeError('INVALID_INPUT', `Region method "none" takes no hn/wn parameters (${what.length > 80 ? `${what.slice(0, 77)}...` : what})`);
    }
    return { kind: 'none' };
  }
  return {
    kind: method,
    hn: gridSize(hn ?? DEFAULT_GRID.hn, 'hn'),
    wn: gridSize(wn ?? DEFAULT_GRID.wn, 'wn'),
  };
}

/** Marqo's string form: `none`, `simple`, `overlap`, optionally `?hn=<rows>&wn=<columns>`. */
function parseMethodString(input: string): GridRegionMethod {
  const text = input.trim();
  const q = text.indexOf('?');
  const name = methodName(q < 0 ? text : text.slice(0, q), 'region method');
  if (q < 0) return build(name, undefined, undefined, text);
  const params: Partial<Record<'hn' | 'wn', number>> = {};
  for (const pair of text.slice(q + 1).split('&')) {
    const m = /^(\w+)=(.*)$/.exec(pair);
    if (!m) {
      throw new LoupeError('INVALID_INPUT', `Expected key=value parameters in region method ${preview(text)} but found ${preview(pair)}`);
    }
    const key = m[1] as string;
    const raw = m[2] as string;
    if (key !== 'hn' && key !== 'wn') {
      throw new LoupeError('INVALID_INPUT', `Unknown parameter "${key.slice(0, 64)}" in region method ${preview(text)}; expected hn and/or wn`);
    }
    if (params[key] !== undefined) {
      throw new LoupeError('INVALID_INPUT', `Parameter "${key}" is given twice in region method ${preview(text)}`);
    }
    params[key] = gridSize(/^\d{1,3}$/.test(raw) ? Number(raw) : raw, key);
  }
  return build(name, params.hn, params.wn, text);
}

/** Accepts Marqo's string forms or a structured `{ method, hn?, wn? }`; defaults to a 3 × 3 grid. */
export function parseRegionMethod(input: RegionMethodInput): GridRegionMethod {
  if (typeof input === 'string') return parseMethodString(input);
  if (input === null || typeof input !== 'object' || typeof input.method !== 'string') {
    throw invalidArgument('a region method string or { method, hn?, wn? }', 'region method', input);
  }
  const name = methodName(input.method, 'region method');
  return build(name, input.hn, input.wn, JSON.stringify(input));
}

/** The canonical string form, which parseRegionMethod reads back to the same value. */
export function formatRegionMethod(method: GridRegionMethod): string {
  return method.kind === 'none' ? 'none' : `${method.kind}?hn=${method.hn}&wn=${method.wn}`;
}

/** Integer edges splitting `size` pixels into `n` near-equal parts: edges[0] = 0, edges[n] = size. */
function edges(size: number, n: number): number[] {
  return Array.from({ length: n + 1 }, (_, k) => Math.floor((k * size) / n + 0.5));
}

/** Edge of a half-shifted cell: the middle of part k (k + 0.5 parts in). */
function middle(size: number, n: number, k: number): number {
  return Math.floor(((k + 0.5) * size) / n + 0.5);
}

/**
 * Boxes in original pixels (x2/y2 exclusive): [whole image, grid row-major, then for `overlap` the cells shifted by
 * half a cell right and down, row-major].
 */
export function proposeGridRegions(method: RegionMethod, width: number, height: number): Box[] {
  if (!Number.isInteger(width) || width < 1) throw invalidArgument('a positive integer', 'width', width);
  if (!Number.isInteger(height) || height < 1) throw invalidArgument('a positive integer', 'height', height);
  const boxes: Box[] = [{ x1: 0, y1: 0, x2: width, y2: height }];
  if (method.kind === 'none') return boxes;
  if (method.kind !== 'simple' && method.kind !== 'overlap') {
    throw invalidArgument('a grid region method (none, simple, overlap)', 'method', method);
  }
  const rows = Math.min(gridSize(method.hn, 'hn'), height);
  const cols = Math.min(gridSize(method.wn, 'wn'), width);
  const ys = edges(height, rows);
  const xs = edges(width, cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      boxes.push({ x1: xs[c] as number, y1: ys[r] as number, x2: xs[c + 1] as number, y2: ys[r + 1] as number });
    }
  }
  if (method.kind === 'overlap') {
    for (let r = 0; r + 1 < rows; r++) {
      for (let c = 0; c + 1 < cols; c++) {
        boxes.push({
          x1: middle(width, cols, c),
          y1: middle(height, rows, r),
          x2: middle(width, cols, c + 1),
          y2: middle(height, rows, r + 1),
        });
      }
    }
  }
  return boxes;
}
