// PP-OCR as three ONNX sessions of one model folder (kind `ppocr`): DB text detection at a limited side (960 px, as
// PaddleOCR), direction classification of each line (0° / 180°), CTC recognition with the folder's character list.
// Pre- and post-processing are native (src/native/ocr.ts); this file runs the sessions and turns characters into
// lines and words in original pixels.
//
// Speed on 2 cores: the detector runs once at ≤ 960 px on the long side (not at full resolution), the recognizer in
// batches of lines sorted by aspect ratio (each batch only as wide as its widest line, not all padded to the widest
// line of the image), and every session uses all cores (intra-op threads = available parallelism).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { invalidArgument } from '../domain/errors.js';
import { UNSUPPORTED_SCRIPT_NOTE, type OcrLine, type OcrReading, type OcrSkipped } from '../domain/ocr.js';
import type { Box, DecodedImage } from '../domain/types.js';
import { modelLog, type Logger } from '../log.js';
import { checkImage } from '../native/check.js';
import { ctcDecode, dbBoxes, warpQuads } from '../native/ocr.js';
import { recordInference } from './clip-model.js';
import { checkSessionIo, MODEL_CONTRACTS, modelInvalid } from './contract.js';
import { isObject, loadModelFolder, type JsonObject } from './folder.js';
import { createSession, type ExecutionProvider } from './session.js';
import { inkBounds } from './ocr-ink.js';

export interface OcrModelOptions {
  provider?: ExecutionProvider;
  /** Default: every core (the inference slot is exclusive, see indexing-pipeline.ts). */
  intraOpThreads?: number;
  logger?: Logger;
}

export interface OcrReadOptions {
  /** Most text lines read per image; more regions are dropped (the largest kept) and `capped` says so. Default 500. */
  maxLines?: number;
}

export const OCR_MAX_LINES = 500;

interface OcrSettings {
  limitSideLen: number;
  detMean: [number, number, number];
  detStd: [number, number, number];
  threshold: number;
  boxThreshold: number;
  unclipRatio: number;
  recHeight: number;
  recMinWidth: number;
  recMaxWidth: number;
  recBatch: number;
  clsWidth: number;
  clsThreshold: number;
  dropScore: number;
  spaceThreshold: number;
}

const DEFAULTS: OcrSettings = {
  limitSideLen: 960,
  detMean: [0.485, 0.456, 0.406],
  detStd: [0.229, 0.224, 0.225],
  threshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  recHeight: 48,
  recMinWidth: 320,
  recMaxWidth: 4800,
  recBatch: 8,
  clsWidth: 192,
  clsThreshold: 0.9,
  dropScore: 0.5,
  spaceThreshold: 0.03,
};

function numberAt(dir: string, obj: JsonObject, key: string, fallback: number): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw modelInvalid(dir, `config.json ${key} must be a positive number (found ${JSON.stringify(v)})`);
  return v;
}

function settingsOf(dir: string, config: JsonObject): OcrSettings {
  const det = isObject(config.det) ? config.det : {};
  const rec = isObject(config.rec) ? config.rec : {};
  const cls = isObject(config.cls) ? config.cls : {};
  const triple = (v: unknown, key: string, fallback: [number, number, number]): [number, number, number] => {
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number')) throw modelInvalid(dir, `config.json det.${key} must be 3 numbers`);
    return v as [number, number, number];
  };
  return {
    limitSideLen: numberAt(dir, det, 'limit_side_len', DEFAULTS.limitSideLen),
    detMean: triple(det.mean, 'mean', DEFAULTS.detMean),
    detStd: triple(det.std, 'std', DEFAULTS.detStd),
    threshold: numberAt(dir, det, 'thresh', DEFAULTS.threshold),
    boxThreshold: numberAt(dir, det, 'box_thresh', DEFAULTS.boxThreshold),
    unclipRatio: numberAt(dir, det, 'unclip_ratio', DEFAULTS.unclipRatio),
    recHeight: numberAt(dir, rec, 'height', DEFAULTS.recHeight),
    recMinWidth: numberAt(dir, rec, 'min_width', DEFAULTS.recMinWidth),
    recMaxWidth: numberAt(dir, rec, 'max_width', DEFAULTS.recMaxWidth),
    recBatch: numberAt(dir, rec, 'batch', DEFAULTS.recBatch),
    clsWidth: numberAt(dir, cls, 'width', DEFAULTS.clsWidth),
    clsThreshold: numberAt(dir, cls, 'threshold', DEFAULTS.clsThreshold),
    dropScore: numberAt(dir, rec, 'drop_score', DEFAULTS.dropScore),
    spaceThreshold: numberAt(dir, rec, 'space_threshold', DEFAULTS.spaceThreshold),
  };
}

/** The one float output of a PaddleOCR graph (its name differs between exports). */
function onlyOutput(dir: string, file: string, session: ort.InferenceSession): string {
  if (session.outputNames.length !== 1) throw modelInvalid(dir, `${file} must have exactly one output (found ${session.outputNames.join(', ') || 'none'})`);
  return session.outputNames[0]!;
}

interface Graph {
  session: ort.InferenceSession;
  output: string;
}

async function run(graph: Graph, tensor: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const t0 = performance.now();
  try {
    const out = await graph.session.run({ x: new ort.Tensor('float32', tensor, dims) }, [graph.output]);
    return out[graph.output]!;
  } finally {
    recordInference(performance.now() - t0);
  }
}

const bounds = (q: ArrayLike<number>): Box => {
  const xs = [q[0]!, q[2]!, q[4]!, q[6]!];
  const ys = [q[1]!, q[3]!, q[5]!, q[7]!];
  return { x1: Math.floor(Math.min(...xs)), y1: Math.floor(Math.min(...ys)), x2: Math.ceil(Math.max(...xs)), y2: Math.ceil(Math.max(...ys)) };
};

const LETTER_SCRIPTS: [string, RegExp][] = [
  ['latin', /\p{Script=Latin}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['greek', /\p{Script=Greek}/u],
];

/**
 * Whether a recognized line is text the recognizer can read, or the garbage it makes of a script outside its
 * character list (Arabic, Hebrew, Greek, Devanagari ... come out as low-confidence Latin look-alikes). Refused when:
 * the mean character probability is below `dropScore`; far fewer characters were read than the box holds (under
 * 0.5 per line height); a quarter of the characters were read with probability < 0.6; a word mixes Latin, Cyrillic
 * or Greek letters; or, at a mean below 0.85, a word interleaves letters and digits ("D7IV").
 */
export function readable(text: string, probs: ArrayLike<number>, confidence: number, aspect: number, dropScore: number): boolean {
  const chars = [...text];
  const inked = chars.filter((c) => c.trim() !== '');
  if (!inked.length || confidence < dropScore) return false;
  if (inked.length < 0.5 * aspect) return false;
  let low = 0;
  for (let i = 0; i < chars.length; i++) if (chars[i]!.trim() !== '' && probs[i]! < 0.6) low++;
  if (low >= 0.25 * inked.length) return false;
  for (const word of text.split(/\s+/)) {
    if (LETTER_SCRIPTS.filter(([, re]) => re.test(word)).length > 1) return false;
    if (confidence < 0.85 && /\p{L}\p{N}+\p{L}/u.test(word)) return false;
  }
  return true;
}

/**
 * A word's box in original pixels: the ink inside its quad (ocr-ink.ts) where the quad holds clear two-tone text,
 * else the quad's bounds. `sx`, `sy`: decoded pixels per original pixel.
 */
function inkTight(image: DecodedImage, quad: number[], sx: number, sy: number): Box {
  const ink = inkBounds(
    image,
    quad.map((v, i) => (i % 2 === 0 ? v * sx : v * sy)),
  );
  const outer = bounds(quad);
  if (!ink) return outer;
  const box = { x1: ink.x1 / sx, y1: ink.y1 / sy, x2: ink.x2 / sx, y2: ink.y2 / sy };
  return {
    x1: Math.max(outer.x1, Math.floor(box.x1)),
    y1: Math.max(outer.y1, Math.floor(box.y1)),
    x2: Math.min(outer.x2, Math.ceil(box.x2)),
    y2: Math.min(outer.y2, Math.ceil(box.y2)),
  };
}

export class OcrModel {
  private constructor(
    readonly id: string,
    readonly name: string,
    private readonly det: Graph,
    private readonly cls: Graph,
    private readonly rec: Graph,
    /** Class i (1-based; 0 is the CTC blank) is chars[i - 1]. */
    private readonly chars: string[],
    private readonly settings: OcrSettings,
  ) {}

  static async load(dir: string, opts: OcrModelOptions = {}): Promise<OcrModel> {
    const folder = await loadModelFolder(dir, 'ppocr');
    const settings = settingsOf(folder.dir, folder.config);
    const dictFile = folder.config.character_dict;
    if (typeof dictFile !== 'string' || dictFile.includes('/') || dictFile.includes('\\') || !existsSync(join(folder.dir, dictFile)))
      throw modelInvalid(folder.dir, 'config.json character_dict must name the character list file in the folder');
    const chars = (await readFile(join(folder.dir, dictFile), 'utf8')).split(/\r?\n/);
    if (chars.at(-1) === '') chars.pop();
    if (folder.config.use_space_char !== false) chars.push(' ');
    const threads = opts.intraOpThreads ?? Math.max(1, availableParallelism());
    const graphs: Graph[] = [];
    try {
      for (const role of ['det', 'cls', 'rec'] as const) {
        const contract = MODEL_CONTRACTS.ppocr.onnx[role]!;
        const { session } = await createSession(folder.onnx[role]!, { provider: opts.provider, intraOpThreads: threads, logger: opts.logger ?? modelLog() });
        graphs.push({ session, output: '' });
        checkSessionIo(folder.dir, contract, session);
        graphs[graphs.length - 1]!.output = onlyOutput(folder.dir, contract.file, session);
      }
      const recClasses = graphs[2]!.session.outputMetadata[0];
      const declared = recClasses?.isTensor ? recClasses.shape.at(-1) : undefined;
      if (typeof declared === 'number' && declared !== chars.length + 1)
        throw modelInvalid(folder.dir, `onnx/rec.onnx has ${declared} classes but the character list gives ${chars.length} characters + blank`);
    } catch (e) {
      await Promise.all(graphs.map((g) => g.session.release()));
      throw e;
    }
    const hash = createHash('sha256');
    for (const role of ['det', 'cls', 'rec']) hash.update(await readFile(folder.onnx[role]!));
    const [det, cls, rec] = graphs as [Graph, Graph, Graph];
    return new OcrModel(`${folder.name}@${hash.digest('hex').slice(0, 12)}`, folder.name, det, cls, rec, chars, settings);
  }

  /**
   * Reads the text of an upright image. `original` is the size boxes are reported in (the image may have been decoded
   * smaller); lines come top to bottom with their words.
   */
  async read(image: DecodedImage, original: { width: number; height: number } = image, opts: OcrReadOptions = {}): Promise<OcrReading> {
    checkImage(image);
    const maxLines = opts.maxLines ?? OCR_MAX_LINES;
    if (!Number.isInteger(maxLines) || maxLines < 1 || maxLines > 10_000) throw invalidArgument('an integer from 1 to 10000', 'maxLines', maxLines);
    const s = this.settings;
    // Detector input: the long side limited to limit_side_len, both sides multiples of 32 (PaddleOCR's DetResizeForTest).
    const ratio = Math.min(1, s.limitSideLen / Math.max(image.width, image.height));
    const dw = Math.max(32, Math.round((image.width * ratio) / 32) * 32);
    const dh = Math.max(32, Math.round((image.height * ratio) / 32) * 32);
    const whole = new Float32Array([0, 0, image.width, 0, image.width, image.height, 0, image.height]);
    const detInput = await warpQuads(image, whole, { height: dh, batchWidth: dw, widths: [dw], mean: s.detMean, std: s.detStd });
    const prob = await run(this.det, detInput, [1, 3, dh, dw]);
    const [, , ph, pw] = prob.dims as number[];
    const found = await dbBoxes(prob.data as Float32Array, pw!, ph!, {
      threshold: s.threshold,
      boxThreshold: s.boxThreshold,
      unclipRatio: s.unclipRatio,
      maxCandidates: maxLines,
      scaleX: original.width / pw!,
      scaleY: original.height / ph!,
      imageWidth: original.width,
      imageHeight: original.height,
    });
    const n = found.scores.length;
    const capped =
      found.components > maxLines
        ? `${found.components} text regions found; only the ${maxLines} largest were read (the per-image cap, LOUPE_OCR_MAX_LINES)`
        : null;
    if (n === 0) return { lines: [], skipped: [], found: found.components, capped };
    // Quads are in original pixels; crops are cut from the decoded image.
    const sx = image.width / original.width;
    const sy = image.height / original.height;
    const quads = found.quads.map((v, i) => (i % 2 === 0 ? v * sx : v * sy));
    const aspect: number[] = [];
    for (let i = 0; i < n; i++) {
      const q = quads.subarray(8 * i, 8 * i + 8);
      const w = Math.hypot(q[2]! - q[0]!, q[3]! - q[1]!);
      const h = Math.hypot(q[6]! - q[0]!, q[7]! - q[1]!);
      aspect.push(w / Math.max(h, 1));
    }
    const flip = await this.directions(image, quads, aspect);
    const order = [...aspect.keys()].sort((a, b) => aspect[a]! - aspect[b]!);
    const lines: (OcrLine | null)[] = new Array(n).fill(null);
    const skipped: (OcrSkipped | null)[] = new Array(n).fill(null);
    for (let at = 0; at < n; at += s.recBatch) {
      const batch = order.slice(at, at + s.recBatch);
      const widths = batch.map((i) => Math.max(1, Math.min(s.recMaxWidth, Math.ceil(s.recHeight * aspect[i]!))));
      const batchWidth = Math.max(s.recMinWidth, Math.ceil(Math.max(...widths) / 8) * 8);
      const crops = new Float32Array(batch.length * 8);
      batch.forEach((i, k) => crops.set(quads.subarray(8 * i, 8 * i + 8), 8 * k));
      const input = await warpQuads(image, crops, { height: s.recHeight, batchWidth, widths, rotate180: batch.map((i) => flip[i]!) });
      const out = await run(this.rec, input, [batch.length, 3, s.recHeight, batchWidth]);
      const [, steps, classes] = out.dims as number[];
      if (classes !== this.chars.length + 1) throw new Error(`${this.name}: recognizer gave ${classes} classes, expected ${this.chars.length + 1}`);
      const space = this.chars.at(-1) === ' ' ? { id: this.chars.length, threshold: s.spaceThreshold } : null;
      const decoded = await ctcDecode(out.data as Float32Array, batch.length, steps!, classes, 0, space);
      const stepWidth = batchWidth / steps!;
      batch.forEach((i, k) => {
        const q = Array.from(found.quads.subarray(8 * i, 8 * i + 8));
        const from = decoded.offsets[k]!;
        const to = decoded.offsets[k + 1]!;
        const count = to - from;
        let sum = 0;
        for (let c = from; c < to; c++) sum += decoded.probs[c]!;
        const confidence = count ? sum / count : 0;
        const text = Array.from(decoded.classes.subarray(from, to), (c) => this.chars[c - 1] ?? '').join('');
        const lineHeight = Math.hypot(q[6]! - q[0]!, q[7]! - q[1]!);
        const lineWidth = Math.hypot(q[2]! - q[0]!, q[3]! - q[1]!);
        if (!readable(text, decoded.probs.subarray(from, to), confidence, lineWidth / Math.max(1, lineHeight), s.dropScore)) {
          skipped[i] = { box: bounds(q), confidence, note: UNSUPPORTED_SCRIPT_NOTE };
          return;
        }
        const words = this.words(decoded, from, to, stepWidth, widths[k]!, q, flip[i]!).map((w) => ({ text: w.text, box: inkTight(image, w.quad, sx, sy) }));
        lines[i] = { text: text.trim(), confidence, box: bounds(q), quad: q.map((v) => Math.round(v * 10) / 10), words };
      });
    }
    // A region whose text is not meant for the reader (no letters at all, say a lone dash) still counts as found.
    const kept = lines.filter((l): l is OcrLine => l !== null);
    return { lines: kept, skipped: skipped.filter((x): x is OcrSkipped => x !== null), found: found.components, capped };
  }

  /** 180° verdicts of the direction classifier (only lines wider than tall are classified, as PaddleOCR). */
  private async directions(image: DecodedImage, quads: Float32Array, aspect: number[]): Promise<boolean[]> {
    const s = this.settings;
    const flip = aspect.map(() => false);
    const chunk = 32;
    for (let at = 0; at < aspect.length; at += chunk) {
      const idx = aspect.slice(at, at + chunk).map((_, k) => at + k);
      const widths = idx.map((i) => Math.max(1, Math.min(s.clsWidth, Math.ceil(s.recHeight * aspect[i]!))));
      const crops = new Float32Array(idx.length * 8);
      idx.forEach((i, k) => crops.set(quads.subarray(8 * i, 8 * i + 8), 8 * k));
      const input = await warpQuads(image, crops, { height: s.recHeight, batchWidth: s.clsWidth, widths });
      const out = (await run(this.cls, input, [idx.length, 3, s.recHeight, s.clsWidth])).data as Float32Array;
      idx.forEach((i, k) => {
        flip[i] = out[2 * k + 1]! > out[2 * k]! && out[2 * k + 1]! >= s.clsThreshold;
      });
    }
    return flip;
  }

  /**
   * Words of one line (quads in original pixels): characters split at spaces; each word spans from halfway to the previous word to halfway to
   * the next (the recognizer's time steps say where each character was read), mapped onto the line's quad.
   */
  private words(
    d: { classes: Int32Array; first: Int32Array; last: Int32Array },
    from: number,
    to: number,
    stepWidth: number,
    cropWidth: number,
    q: number[],
    flipped: boolean,
  ): { text: string; quad: number[] }[] {
    const spans: { text: string; first: number; last: number }[] = [];
    let current: { text: string; first: number; last: number } | null = null;
    for (let c = from; c < to; c++) {
      const ch = this.chars[d.classes[c]! - 1] ?? '';
      if (ch.trim() === '') {
        current = null;
        continue;
      }
      if (!current) {
        current = { text: '', first: d.first[c]!, last: d.last[c]! };
        spans.push(current);
      }
      current.text += ch;
      current.last = d.last[c]!;
    }
    if (!spans.length) return [];
    const chars = spans.reduce((n, w) => n + [...w.text].length, 0);
    const pitch = chars > 1 ? (spans.at(-1)!.last - spans[0]!.first) / (chars - 1) : 2;
    const lastStep = cropWidth / stepWidth;
    return spans.map((w, k) => {
      const left = k === 0 ? Math.max(0, w.first - pitch / 2) : (spans[k - 1]!.last + w.first + 1) / 2;
      const right = k === spans.length - 1 ? Math.min(lastStep, w.last + 1 + pitch / 2) : (w.last + spans[k + 1]!.first + 1) / 2;
      let s0 = Math.min(1, Math.max(0, left / lastStep));
      let s1 = Math.min(1, Math.max(0, right / lastStep));
      if (flipped) [s0, s1] = [1 - s1, 1 - s0];
      const at = (s: number) => [q[0]! + s * (q[2]! - q[0]!), q[1]! + s * (q[3]! - q[1]!), q[6]! + s * (q[4]! - q[6]!), q[7]! + s * (q[5]! - q[7]!)];
      const [ax, ay, bx, by] = at(s0);
      const [cx, cy, dx, dy] = at(s1);
      return { text: w.text, quad: [ax!, ay!, cx!, cy!, dx!, dy!, bx!, by!] };
    });
  }

  async release(): Promise<void> {
    await Promise.all([this.det.session.release(), this.cls.session.release(), this.rec.session.release()]);
  }
}
