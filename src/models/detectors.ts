// Detector-style models of the folder contract: OWL-ViT (open-vocabulary boxes), YOLOX (class-agnostic proposals)
// and DINO-style attention (CLS→patch attention per head). Each loads its folder, checks the contract and runs one
// ONNX session; decoding to boxes is native work (src/native/decode.ts, attention-boxes.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { invalidArgument } from '../domain/errors.js';
import { recordInference } from './clip-model.js';
import { checkSessionIo, declaredShape, MODEL_CONTRACTS, modelInvalid, OWL_IMAGE_GUIDED, type ModelKind } from './contract.js';
import { isObject, loadModelFolder, positiveInt, type ModelFolder } from './folder.js';
import { modelLog, type Logger } from '../log.js';
import { derivePreprocessing, type ImagePreprocessing } from './preprocessing.js';
import { createSession, type ExecutionProvider } from './session.js';
import { TextTokenizer } from './tokenizer.js';

export interface DetectorOptions {
  provider?: ExecutionProvider;
  intraOpThreads?: number;
  logger?: Logger;
}

async function open(dir: string, kind: ModelKind, opts: DetectorOptions): Promise<{ folder: ModelFolder; session: ort.InferenceSession; id: string }> {
  const folder = await loadModelFolder(dir);
  if (folder.kind !== kind) throw modelInvalid(folder.dir, `config.json model_type is "${folder.kind}", expected "${kind === 'owlvit' ? 'owlvit' : kind}"`);
  const { session } = await createSession(folder.onnx.model!, { provider: opts.provider, intraOpThreads: opts.intraOpThreads, logger: opts.logger ?? modelLog() });
  try {
    checkSessionIo(folder.dir, MODEL_CONTRACTS[kind].onnx.model!, session);
  } catch (e) {
    await session.release();
    throw e;
  }
  const hash = createHash('sha256').update(await readFile(folder.onnx.model!)).digest('hex').slice(0, 12);
  return { folder, session, id: `${folder.name}@${hash}` };
}

async function timed(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, outputs: string[]): Promise<ort.InferenceSession.ReturnType> {
  const t0 = performance.now();
  try {
    return await session.run(feeds, outputs);
  } finally {
    recordInference(performance.now() - t0);
  }
}

function floats(dir: string, result: ort.InferenceSession.ReturnType, name: string, dims: number): ort.Tensor {
  const t = result[name];
  if (!t || t.type !== 'float32' || t.dims.length !== dims) throw modelInvalid(dir, `${name} came back as ${t?.type ?? 'nothing'} [${t?.dims.join(', ') ?? ''}]`);
  return t;
}

/** OWL-ViT: text queries (or, with an image-guided graph, query images) condition per-patch class scores; each patch also regresses a box. */
export class OwlModel {
  private constructor(
    readonly id: string,
    readonly dir: string,
    readonly preprocessing: ImagePreprocessing,
    private readonly tokenizer: TextTokenizer,
    private readonly session: ort.InferenceSession,
    /** The image-guided graph and its query preprocessing, when the folder has onnx/image_guided.onnx. */
    private readonly imageGuided: { session: ort.InferenceSession; preprocessing: ImagePreprocessing } | null,
    /** The folder's calibrated default for rerank.minScore (config.json loupe.min_score), if it states one. */
    readonly defaultMinScore: number | null,
  ) {}

  static async load(dir: string, opts: DetectorOptions = {}): Promise<OwlModel> {
    const { folder, session, id } = await open(dir, 'owlvit', opts);
    const preprocessing = derivePreprocessing(folder.dir, folder.preprocessorConfig!);
    const textConfig = isObject(folder.config.text_config) ? folder.config.text_config : {};
    const shape = declaredShape(session.inputMetadata, 'input_ids');
    const fixed = shape?.[1] ?? null;
    const maxLength = fixed ?? positiveInt(folder.dir, 'config.json text_config.max_position_embeddings', textConfig.max_position_embeddings) ?? 16;
    const tokenizer = new TextTokenizer(folder.dir, folder.tokenizer!.json, folder.tokenizer!.config, { maxLength, padToMaxLength: fixed !== null });
    const loupe = isObject(folder.config.loupe) ? folder.config.loupe : {};
    const minScore = loupe.min_score;
    if (minScore !== undefined && (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 1))) {
      await session.release();
      throw modelInvalid(folder.dir, 'config.json loupe.min_score must be a number from 0 to 1');
    }
    let imageGuided: { session: ort.InferenceSession; preprocessing: ImagePreprocessing } | null = null;
    const guidedPath = join(folder.dir, OWL_IMAGE_GUIDED.file);
    if (existsSync(guidedPath)) {
      const guided = (await createSession(guidedPath, { provider: opts.provider, intraOpThreads: opts.intraOpThreads, logger: opts.logger ?? modelLog() })).session;
      try {
        checkSessionIo(folder.dir, OWL_IMAGE_GUIDED, guided);
        const q = declaredShape(guided.inputMetadata, 'query_pixel_values');
        const side = q?.[2];
        if (typeof side !== 'number' || q?.[3] !== side) throw modelInvalid(folder.dir, `${OWL_IMAGE_GUIDED.file} must declare a fixed square query_pixel_values [Q,3,S,S]`);
        imageGuided = { session: guided, preprocessing: { ...preprocessing, size: side } };
      } catch (e) {
        await Promise.all([guided.release(), session.release()]);
        throw e;
      }
    }
    return new OwlModel(id, folder.dir, preprocessing, tokenizer, session, imageGuided, typeof minScore === 'number' ? minScore : null);
  }

  /** Preprocessing of a query image for detectByImage, or null when the folder has no image-guided graph. */
  get queryImagePreprocessing(): ImagePreprocessing | null {
    return this.imageGuided?.preprocessing ?? null;
  }

  /**
   * Runs b preprocessed images ([b,3,S,S]) against the text queries. Resolves to logits [b,P,Q] and boxes [b,P,4]
   * (cx, cy, w, h in 0..1 of the model input).
   */
  async detect(pixels: Float32Array, b: number, queries: string[]): Promise<{ logits: Float32Array; boxes: Float32Array; patches: number; queries: number }> {
    this.checkPixels(pixels, b);
    if (!queries.length || queries.some((q) => typeof q !== 'string')) throw invalidArgument('a non-empty list of strings', 'queries', queries);
    const tokens = this.tokenizer.encodeBatch(queries);
    const dims = [tokens.count, tokens.length];
    const s = this.preprocessing.size;
    const result = await timed(this.session, {
      input_ids: new ort.Tensor('int64', tokens.inputIds, dims),
      attention_mask: new ort.Tensor('int64', tokens.attentionMask, dims),
      pixel_values: new ort.Tensor('float32', pixels, [b, 3, s, s]),
    }, ['logits', 'pred_boxes']);
    return this.unpack(result);
  }

  /**
   * Image-guided detection: b images against q query images ([q,3,Sq,Sq], preprocessed with
   * queryImagePreprocessing). Same outputs as detect. Throws INVALID_INPUT when the folder has no image-guided graph.
   */
  async detectByImage(pixels: Float32Array, b: number, queryPixels: Float32Array, q: number): Promise<{ logits: Float32Array; boxes: Float32Array; patches: number; queries: number }> {
    this.checkPixels(pixels, b);
    if (!this.imageGuided) throw invalidArgument('a reranker with an image-guided graph (onnx/image_guided.onnx)', 'rerank.model', this.id);
    const sq = this.imageGuided.preprocessing.size;
    if (!Number.isInteger(q) || q < 1 || queryPixels.length !== q * 3 * sq * sq) throw invalidArgument(`q*3*${sq}*${sq} values`, 'queryPixels.length', queryPixels.length);
    const s = this.preprocessing.size;
    const result = await timed(this.imageGuided.session, {
      query_pixel_values: new ort.Tensor('float32', queryPixels, [q, 3, sq, sq]),
      pixel_values: new ort.Tensor('float32', pixels, [b, 3, s, s]),
    }, ['logits', 'pred_boxes']);
    return this.unpack(result);
  }

  private checkPixels(pixels: Float32Array, b: number): void {
    const s = this.preprocessing.size;
    if (!Number.isInteger(b) || b < 1 || pixels.length !== b * 3 * s * s) throw invalidArgument(`b*3*${s}*${s} values`, 'pixels.length', pixels.length);
  }

  private unpack(result: ort.InferenceSession.ReturnType): { logits: Float32Array; boxes: Float32Array; patches: number; queries: number } {
    const logits = floats(this.dir, result, 'logits', 3);
    const boxes = floats(this.dir, result, 'pred_boxes', 3);
    return { logits: logits.data as Float32Array, boxes: boxes.data as Float32Array, patches: logits.dims[1]!, queries: logits.dims[2]! };
  }

  async release(): Promise<void> {
    await Promise.all([this.session.release(), this.imageGuided?.session.release()]);
  }
}

/** YOLOX: letterboxed BGR 0..255 input → raw [1,N,5+C] grid predictions. */
export class YoloxModel {
  private constructor(
    readonly id: string,
    readonly dir: string,
    readonly inputWidth: number,
    readonly inputHeight: number,
    readonly strides: number[],
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(dir: string, opts: DetectorOptions = {}): Promise<YoloxModel> {
    const { folder, session, id } = await open(dir, 'yolox', opts);
    const shape = declaredShape(session.inputMetadata, 'images');
    const cfgSize = Array.isArray(folder.config.input_size) ? folder.config.input_size : null;
    const h = (typeof shape?.[2] === 'number' ? shape[2] : null) ?? (typeof cfgSize?.[0] === 'number' ? cfgSize[0] : 640);
    const w = (typeof shape?.[3] === 'number' ? shape[3] : null) ?? (typeof cfgSize?.[1] === 'number' ? cfgSize[1] : 640);
    const strides = Array.isArray(folder.config.strides) && folder.config.strides.every((s) => typeof s === 'number') ? (folder.config.strides as number[]) : [8, 16, 32];
    return new YoloxModel(id, folder.dir, w, h, strides, session);
  }

  async run(tensor: Float32Array): Promise<Float32Array> {
    if (tensor.length !== 3 * this.inputWidth * this.inputHeight) throw invalidArgument(`3*${this.inputHeight}*${this.inputWidth} values`, 'tensor.length', tensor.length);
    const result = await timed(this.session, { images: new ort.Tensor('float32', tensor, [1, 3, this.inputHeight, this.inputWidth]) }, ['output']);
    return floats(this.dir, result, 'output', 3).data as Float32Array;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** DINO-style attention: [B,3,S,S] → CLS→patch attention per head [B, heads, Hp*Wp]. */
export class DinoModel {
  private constructor(
    readonly id: string,
    readonly dir: string,
    readonly preprocessing: ImagePreprocessing,
    readonly gridWidth: number,
    readonly gridHeight: number,
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(dir: string, opts: DetectorOptions = {}): Promise<DinoModel> {
    const { folder, session, id } = await open(dir, 'dino', opts);
    const preprocessing = derivePreprocessing(folder.dir, folder.preprocessorConfig!);
    const patch = positiveInt(folder.dir, 'config.json patch_size', folder.config.patch_size) ?? 16;
    if (preprocessing.size % patch !== 0) throw modelInvalid(folder.dir, `input size ${preprocessing.size} is not a multiple of patch_size ${patch}`);
    const grid = preprocessing.size / patch;
    return new DinoModel(id, folder.dir, preprocessing, grid, grid, session);
  }

  /** Resolves to the attentions of one image and the number of heads. */
  async attentions(pixels: Float32Array): Promise<{ attentions: Float32Array; heads: number }> {
    const s = this.preprocessing.size;
    if (pixels.length !== 3 * s * s) throw invalidArgument(`3*${s}*${s} values`, 'pixels.length', pixels.length);
    const result = await timed(this.session, { pixel_values: new ort.Tensor('float32', pixels, [1, 3, s, s]) }, ['attentions']);
    const t = floats(this.dir, result, 'attentions', 3);
    if (t.dims[2] !== this.gridWidth * this.gridHeight) {
      throw modelInvalid(this.dir, `attentions has ${t.dims[2]} patches per head, expected ${this.gridWidth}×${this.gridHeight}`);
    }
    return { attentions: t.data as Float32Array, heads: t.dims[1]! };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
