// A CLIP-contract dual encoder (vision_model.onnx + text_model.onnx + tokenizer) behind one small, checked API.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { invalidArgument } from '../domain/errors.js';
import { checkSessionIo, declaredShape, MODEL_CONTRACTS, modelInvalid } from './contract.js';
import { EXACT_CROP, type RegionCrop } from '../domain/region-crop.js';
import { isObject, loadModelFolder, positiveInt, type JsonObject, type ModelFolder } from './folder.js';
import { modelLog, type Logger } from '../log.js';
import { derivePreprocessing, type ImagePreprocessing } from './preprocessing.js';
import { checkSessionOptions, createSession, type ExecutionProvider } from './session.js';
import { TextTokenizer } from './tokenizer.js';

export interface ClipModelOptions {
  /** Execution provider to try first; default 'cpu' (falls back to the CPU with a warning). */
  provider?: ExecutionProvider;
  intraOpThreads?: number;
  /** Most images or texts per ONNX Runtime run; default 32. */
  maxBatchSize?: number;
  logger?: Logger;
}

export interface InferenceStats {
  /** Number of ONNX Runtime runs. */
  runs: number;
  /** Total wall milliseconds inside those runs. */
  totalMs: number;
}

// Process-wide counter over every model, read by the indexing benchmark.
const processStats: InferenceStats = { runs: 0, totalMs: 0 };

/** Adds one ONNX Runtime run of any model (detectors too) to the process-wide counter. */
export function recordInference(ms: number): void {
  processStats.runs++;
  processStats.totalMs += ms;
}

/** Inference time of all models in this process since start (a copy; subtract two readings for an interval). */
export function inferenceStats(): InferenceStats {
  return { ...processStats };
}

const MAX_ITEMS = 1 << 20;

/** In place: each of the n rows of `v` (length d) scaled to unit L2 norm; an all-zero row stays zero. */
export function l2NormalizeRows(v: Float32Array, d: number): Float32Array {
  for (let off = 0; off < v.length; off += d) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += v[off + j]! * v[off + j]!;
    if (!(sum > 0) || !Number.isFinite(sum)) continue;
    const inv = 1 / Math.sqrt(sum);
    for (let j = 0; j < d; j++) v[off + j]! *= inv;
  }
  return v;
}

/** First 12 hex digits of a sha256 over the files that determine the embeddings (path and content of each). */
async function contentHash(dir: string, files: string[]): Promise<string> {
  const outer = createHash('sha256');
  for (const file of [...files].sort()) {
    const inner = createHash('sha256');
    for await (const chunk of createReadStream(file)) inner.update(chunk as Buffer);
    outer.update(`${relative(dir, file)}\0${inner.digest('hex')}\n`);
  }
  return outer.digest('hex').slice(0, 12);
}

/** config.json `loupe.region_crop: { context: 0..1, square: boolean }` (ours); absent = exact boxes. */
function regionCropOf(dir: string, config: JsonObject): RegionCrop {
  const ext = isObject(config.loupe) ? config.loupe.region_crop : undefined;
  if (ext === undefined) return EXACT_CROP;
  if (!isObject(ext)) throw modelInvalid(dir, 'config.json loupe.region_crop must be an object { context, square }');
  const context = ext.context ?? 0;
  const square = ext.square ?? false;
  if (typeof context !== 'number' || !(context >= 0 && context <= 1)) throw modelInvalid(dir, `config.json loupe.region_crop.context must be a number from 0 to 1, not ${JSON.stringify(context)}`);
  if (typeof square !== 'boolean') throw modelInvalid(dir, `config.json loupe.region_crop.square must be a boolean, not ${JSON.stringify(square)}`);
  return { context, square };
}

export class ClipModel {
  private released = false;
  private readonly stats: InferenceStats = { runs: 0, totalMs: 0 };

  private constructor(
    /** `<folder name>@<12 hex of the content hash>`: an index records it and refuses a different model. */
    readonly id: string,
    readonly name: string,
    readonly dir: string,
    /** Embedding size D. */
    readonly dimension: number,
    readonly preprocessing: ImagePreprocessing,
    /** The provider both sessions run on. */
    readonly provider: ExecutionProvider,
    readonly maxBatchSize: number,
    private readonly tokenizer: TextTokenizer,
    private readonly vision: ort.InferenceSession,
    private readonly text: ort.InferenceSession,
    private readonly textTakesMask: boolean,
    /** How region crops are cut for this model (config.json `loupe.region_crop`; exact boxes when absent). */
    readonly regionCrop: RegionCrop = EXACT_CROP,
  ) {}

  /** Longest token sequence a text is truncated to. */
  get maxTextLength(): number {
    return this.tokenizer.maxLength;
  }

  /** This model's inference time so far (a copy). */
  get inference(): InferenceStats {
    return { ...this.stats };
  }

  static async load(dir: string, opts: ClipModelOptions = {}): Promise<ClipModel> {
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('a ClipModelOptions object', 'opts', opts);
    const { provider, intraOpThreads } = checkSessionOptions(opts);
    const maxBatchSize = opts.maxBatchSize ?? 32;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > 4096) {
      throw invalidArgument('an integer from 1 to 4096', 'opts.maxBatchSize', opts.maxBatchSize);
    }
    const logger = opts.logger ?? modelLog();
    const folder = await loadModelFolder(dir, 'clip');
    const { config, tokenizer: tok } = folder;
    const preprocessing = derivePreprocessing(folder.dir, folder.preprocessorConfig!);
    const dimension = positiveInt(folder.dir, 'config.json projection_dim', config.projection_dim);
    if (dimension === undefined) throw modelInvalid(folder.dir, 'config.json has no projection_dim (the embedding size)');
    const id = `${folder.name}@${await contentHash(folder.dir, hashedFiles(folder))}`;

    const vision = await createSession(folder.onnx.vision!, { provider, intraOpThreads, logger });
    // After a fallback the text tower goes straight to the CPU: one warning per model.
    let text: Awaited<ReturnType<typeof createSession>>;
    try {
      text = await createSession(folder.onnx.text!, { provider: vision.provider, intraOpThreads, logger });
    } catch (e) {
      await vision.session.release();
      throw e;
    }
    try {
      checkSessionIo(folder.dir, MODEL_CONTRACTS.clip.onnx.vision!, vision.session);
      checkSessionIo(folder.dir, MODEL_CONTRACTS.clip.onnx.text!, text.session);
      checkVisionShapes(folder.dir, vision.session, preprocessing.size, dimension);
      const textShape = declaredShape(text.session.inputMetadata, 'input_ids');
      const fixedLength = textShape?.[1] ?? null;
      const outShape = declaredShape(text.session.outputMetadata, 'text_embeds');
      if (outShape && (outShape.length !== 2 || (outShape[1] !== null && outShape[1] !== dimension))) {
        throw modelInvalid(folder.dir, `onnx/text_model.onnx text_embeds has shape [${outShape.map((d) => d ?? '?').join(', ')}], expected [B, ${dimension}] (projection_dim)`);
      }
      const tokenizer = new TextTokenizer(folder.dir, tok!.json, tok!.config, {
        maxLength: fixedLength ?? maxTextLength(folder),
        padToMaxLength: fixedLength !== null,
      });
      const vocabSize = isObject(config.text_config) ? positiveInt(folder.dir, 'config.json text_config.vocab_size', config.text_config.vocab_size) : undefined;
      if (vocabSize !== undefined && tokenizer.maxId >= vocabSize) {
        throw modelInvalid(folder.dir, `tokenizer.json produces id ${tokenizer.maxId} but text_config.vocab_size is ${vocabSize}`);
      }
      const textTakesMask = text.session.inputNames.includes('attention_mask');
      const regionCrop = regionCropOf(folder.dir, config);
      return new ClipModel(id, folder.name, folder.dir, dimension, preprocessing, text.provider, maxBatchSize, tokenizer, vision.session, text.session, textTakesMask, regionCrop);
    } catch (e) {
      await Promise.all([vision.session.release(), text.session.release()]);
      throw e;
    }
  }

  /**
   * Embeds n preprocessed images: `pixels` is the [n,3,S,S] tensor (S = preprocessing.size) that preprocessBatch
   * makes. Resolves to n×D L2-normalised embeddings, row-major. Runs in batches of at most maxBatchSize.
   */
  async embedImages(pixels: Float32Array, n: number): Promise<Float32Array> {
    this.checkLive();
    if (!Number.isInteger(n) || n < 0 || n > MAX_ITEMS) throw invalidArgument(`an integer from 0 to ${MAX_ITEMS}`, 'n', n);
    if (!(pixels instanceof Float32Array)) throw invalidArgument('a Float32Array', 'pixels', pixels);
    const s = this.preprocessing.size;
    const per = 3 * s * s;
    if (pixels.length !== n * per) throw invalidArgument(`n*3*${s}*${s} = ${n * per} values`, 'pixels.length', pixels.length);
    const out = new Float32Array(n * this.dimension);
    for (let i = 0; i < n; i += this.maxBatchSize) {
      const b = Math.min(this.maxBatchSize, n - i);
      const input = new ort.Tensor('float32', pixels.subarray(i * per, (i + b) * per), [b, 3, s, s]);
      out.set(await this.run(this.vision, { pixel_values: input }, 'image_embeds', b), i * this.dimension);
    }
    return l2NormalizeRows(out, this.dimension);
  }

  /**
   * Embeds texts: tokenized (truncated to maxTextLength, padded per batch), run in batches of at most maxBatchSize.
   * Resolves to texts.length×D L2-normalised embeddings; a text with no token the model knows stays all zero.
   */
  async embedTexts(texts: string[]): Promise<Float32Array> {
    this.checkLive();
    if (!Array.isArray(texts) || texts.length > MAX_ITEMS) throw invalidArgument(`an array of at most ${MAX_ITEMS} strings`, 'texts', texts);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw invalidArgument('a string', `texts[${i}]`, t);
    });
    const out = new Float32Array(texts.length * this.dimension);
    for (let i = 0; i < texts.length; i += this.maxBatchSize) {
      const batch = this.tokenizer.encodeBatch(texts.slice(i, i + this.maxBatchSize));
      const dims = [batch.count, batch.length];
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', batch.inputIds, dims) };
      if (this.textTakesMask) feeds.attention_mask = new ort.Tensor('int64', batch.attentionMask, dims);
      out.set(await this.run(this.text, feeds, 'text_embeds', batch.count), i * this.dimension);
    }
    return l2NormalizeRows(out, this.dimension);
  }

  /** Frees both sessions; later calls reject. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.all([this.vision.release(), this.text.release()]);
  }

  private checkLive(): void {
    if (this.released) throw new Error(`Model ${this.id} was released`);
  }

  private async run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, output: string, rows: number): Promise<Float32Array> {
    const t0 = performance.now();
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run(feeds, [output]);
    } finally {
      const ms = performance.now() - t0;
      this.stats.runs++;
      this.stats.totalMs += ms;
      recordInference(ms);
    }
    const t = result[output];
    if (!t || t.type !== 'float32' || t.dims.length !== 2 || t.dims[0] !== rows || t.dims[1] !== this.dimension) {
      throw modelInvalid(this.dir, `${output} came back as ${t?.type ?? 'nothing'} [${t?.dims.join(', ') ?? ''}], expected float32 [${rows}, ${this.dimension}]`);
    }
    return t.data as Float32Array;
  }
}

/** Loads and checks a CLIP model folder (see ClipModel.load). */
export function loadClipModel(dir: string, opts: ClipModelOptions = {}): Promise<ClipModel> {
  return ClipModel.load(dir, opts);
}

// The ONNX files plus the two files that change what an image or a text embeds to.
function hashedFiles(folder: ModelFolder): string[] {
  return [...Object.values(folder.onnx), join(folder.dir, 'preprocessor_config.json'), join(folder.dir, 'tokenizer.json')];
}

function maxTextLength(folder: ModelFolder): number {
  const { config, tokenizer } = folder;
  const fromConfig = isObject(config.text_config)
    ? positiveInt(folder.dir, 'config.json text_config.max_position_embeddings', config.text_config.max_position_embeddings)
    : undefined;
  if (fromConfig !== undefined) return fromConfig;
  // transformers writes a huge sentinel when the tokenizer has no limit; that is no limit to use.
  const fromTokenizer = tokenizer?.config.model_max_length;
  if (typeof fromTokenizer === 'number' && Number.isInteger(fromTokenizer) && fromTokenizer >= 1 && fromTokenizer <= 1_000_000) return fromTokenizer;
  throw modelInvalid(folder.dir, 'no maximum text length: set config.json text_config.max_position_embeddings or tokenizer_config.json model_max_length');
}

function checkVisionShapes(dir: string, session: ort.InferenceSession, size: number, dimension: number): void {
  const input = declaredShape(session.inputMetadata, 'pixel_values');
  if (input) {
    const [, c, h, w] = input;
    if (input.length !== 4 || (c !== null && c !== 3) || (h !== null && h !== size) || (w !== null && w !== size)) {
      throw modelInvalid(dir, `onnx/vision_model.onnx pixel_values has shape [${input.map((d) => d ?? '?').join(', ')}], expected [B, 3, ${size}, ${size}] (preprocessor_config.json)`);
    }
  }
  const output = declaredShape(session.outputMetadata, 'image_embeds');
  if (output && (output.length !== 2 || (output[1] !== null && output[1] !== dimension))) {
    throw modelInvalid(dir, `onnx/vision_model.onnx image_embeds has shape [${output.map((d) => d ?? '?').join(', ')}], expected [B, ${dimension}] (projection_dim)`);
  }
}
