// Parsing and printing every region method: the grid ones (grid.ts) and the model-proposed ones (yolox, dino-v1,
// dino-v2; `marqo-yolo` is accepted as an alias of `yolox`). String form: `yolox?maxProposals=10&nmsIou=0.6`.
import { invalidArgument, LoupeError } from '../domain/errors.js';
import { preview } from '../domain/text.js';
import type { DetectorRegionMethod, RegionMethod } from '../domain/types.js';
import { formatRegionMethod as formatGrid, parseRegionMethod as parseGrid } from './grid.js';

export interface RegionMethodFields {
  method: string;
  hn?: number | null;
  wn?: number | null;
  model?: string | null;
  maxProposals?: number | null;
  nmsIou?: number | null;
  minArea?: number | null;
  maxAspect?: number | null;
}

/**
 * Marqo's settings: at most 10 proposals, NMS IoU 0.6, aspect < 4 — and boxes of at least 60×60 px at 240 px scale
 * (6.25 % of the image). Loupe's default minimum is 24×24 px at 240 px scale (1 %): Marqo's drops every object
 * narrower than about a quarter of the image, which on multi-object photos is most of them (measured in
 * bench/localization: README); `minArea=0.0625` restores Marqo's behaviour.
 */
export const DETECTOR_DEFAULTS = { maxProposals: 10, nmsIou: 0.6, minArea: (24 * 24) / (240 * 240), maxAspect: 4 } as const;

/** Model-proposed regions (yolox, dino-v1, dino-v2), as opposed to the grids. */
export function isDetectorMethod(method: RegionMethod): method is DetectorRegionMethod {
  return method.kind === 'yolox' || method.kind === 'dino-v1' || method.kind === 'dino-v2';
}

// Names from input are looked up in Maps: a plain object would answer `constructor` or `__proto__`.
const DETECTORS = new Map<string, DetectorRegionMethod['kind']>([
  ['yolox', 'yolox'],
  ['marqo-yolo', 'yolox'],
  ['dino-v1', 'dino-v1'],
  ['dino-v2', 'dino-v2'],
]);
const DETECTOR_PARAMS = ['model', 'maxProposals', 'nmsIou', 'minArea', 'maxAspect'];
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function num(v: unknown, name: string, lo: number, hi: number, integer: boolean): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < lo || n > hi || (integer && !Number.isInteger(n)))
    throw invalidArgument(`${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}`, name, v);
  return n;
}

function detector(
  kind: DetectorRegionMethod['kind'],
  params: ReadonlyMap<string, unknown>,
  defaultModel: (kind: DetectorRegionMethod['kind']) => string,
): DetectorRegionMethod {
  const unknown = [...params].filter(([k, v]) => v !== undefined && v !== null && !DETECTOR_PARAMS.includes(k)).map(([k]) => k);
  if (unknown.length)
    throw new LoupeError('INVALID_INPUT', `Unknown parameter ${preview(unknown[0])} for region method ${kind}; expected ${DETECTOR_PARAMS.join(', ')}`);
  const p = Object.fromEntries([...params].filter(([k]) => DETECTOR_PARAMS.includes(k))) as Record<string, unknown>;
  const model = p.model ?? defaultModel(kind);
  if (typeof model !== 'string' || !MODEL_NAME.test(model)) throw invalidArgument('a model folder name', 'model', model);
  return {
    kind,
    model,
    maxProposals: p.maxProposals == null ? DETECTOR_DEFAULTS.maxProposals : num(p.maxProposals, 'maxProposals', 1, 100, true),
    nmsIou: p.nmsIou == null ? DETECTOR_DEFAULTS.nmsIou : num(p.nmsIou, 'nmsIou', 0.05, 1, false),
    minArea: p.minArea == null ? DETECTOR_DEFAULTS.minArea : num(p.minArea, 'minArea', 0, 1, false),
    maxAspect: p.maxAspect == null ? DETECTOR_DEFAULTS.maxAspect : num(p.maxAspect, 'maxAspect', 1, 100, false),
  };
}

/**
 * Any region method from Marqo's string form or structured fields. Detector methods get `model` resolved through
 * `defaultModel` so that an index records the exact model folder it proposes regions with.
 */
export function parseAnyRegionMethod(input: string | RegionMethodFields, defaultModel: (kind: DetectorRegionMethod['kind']) => string): RegionMethod {
  if (typeof input === 'string') {
    const text = input.trim();
    const q = text.indexOf('?');
    const name = (q < 0 ? text : text.slice(0, q)).toLowerCase();
    const kind = DETECTORS.get(name);
    if (!kind) return parseGrid(input);
    const params = new Map<string, string>();
    if (q >= 0) {
      for (const pair of text.slice(q + 1).split('&')) {
        const m = /^(\w+)=(.*)$/.exec(pair);
        if (!m) throw new LoupeError('INVALID_INPUT', `Expected key=value parameters in region method ${preview(text)} but found ${preview(pair)}`);
        if (params.has(m[1]!)) throw new LoupeError('INVALID_INPUT', `Parameter "${m[1]}" is given twice in region method ${preview(text)}`);
        let value: string;
        try {
          value = decodeURIComponent(m[2]!);
        } catch {
          throw invalidArgument('a percent-encoded value', m[1]!, m[2]);
        }
        params.set(m[1]!, value);
      }
    }
    return detector(kind, params, defaultModel);
  }
  if (input === null || typeof input !== 'object' || typeof input.method !== 'string')
    throw invalidArgument('a region method string or { method, ... }', 'region method', input);
  const kind = DETECTORS.get(input.method.trim().toLowerCase());
  if (!kind) return parseGrid({ method: input.method, hn: input.hn ?? undefined, wn: input.wn ?? undefined });
  if (input.hn != null || input.wn != null) throw new LoupeError('INVALID_INPUT', `Region method ${kind} takes no hn/wn parameters`);
  const { method: _m, hn: _h, wn: _w, ...rest } = input;
  return detector(kind, new Map(Object.entries(rest)), defaultModel);
}

export function formatAnyRegionMethod(method: RegionMethod): string {
  if (method.kind === 'none' || method.kind === 'simple' || method.kind === 'overlap') return formatGrid(method);
  return `${method.kind}?model=${method.model}&maxProposals=${method.maxProposals}&nmsIou=${method.nmsIou}&minArea=${Number(method.minArea.toFixed(6))}&maxAspect=${method.maxAspect}`;
}
