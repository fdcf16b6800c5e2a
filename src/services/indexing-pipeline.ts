// The stages of indexing, pipelined across the documents of one addDocuments call, with every buffer bounded:
//
//   fetch (fair share of the fetch slots) → header → reserve pixel + crop-tensor bytes (process-wide budget)
//   → decode straight to the size the region method needs → regions (detectors: in the inference slot) → crops
//   → give the pixel bytes back → [inference slot] CLIP → give the tensor bytes back
//   → group commit: the texts of every document ready so far in one CLIP run, then ONE Postgres transaction
//
// Memory: at most WINDOW documents of a request are between "started" and "committed"; compressed bytes from a URL
// wait for the decode budget while still holding their fetch slot, so downloads cannot pile up behind decoding;
// decoded pixels and crop tensors exist only inside a reservation of the shared MemoryBudget (the one inference slot
// is the bottleneck, so this is where documents wait: as crop tensors, the pixels already given back).
// The inference slot is never held while waiting for libuv's thread pool (decodes, crops, file writes all run there):
// crops are cut before the slot is taken, and decodes are limited to DECODERS at a time so the pool keeps free threads.
// Speed: while one document is in inference the next ones download and decode and the finished ones are written, in
// groups (one transaction and one text-encoder run for all documents that finished while the last group was being
// written). The vector index catches up once per call, by the caller.
// Cancellation: `signal` aborts the run (the client went away): nothing new starts, waiting work is dropped, downloads
// are cut; a transaction already running commits, so what was committed stays and nothing acknowledged is lost.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { IndexRecord } from '../domain/index-settings.js';
import type { MediaInfo } from '../domain/search.js';
import type { Box, DecodedImage, DocumentFields } from '../domain/types.js';
import { EXACT_CROP, regionCropBox } from '../domain/region-crop.js';
import { decodeSize, maxRegions, scaleBox } from '../localize/decode-size.js';
import type { RegionProposer } from '../localize/proposers.js';
import { isDetectorMethod } from '../localize/region-method.js';
import { preprocessBatch } from '../native/preprocess.js';
import type { DocumentRepository, NewChunk, NewDocument } from '../repositories/document-repository.js';
import type { FairLimiter, FairShare } from '../repositories/fair-limiter.js';
import { decodeBytes, type ImageHeader } from '../repositories/image-decoder.js';
import type { ImageSource } from '../repositories/image-source.js';
import { createLimiter, type Limiter } from '../repositories/limiter.js';
import type { MemoryBudget } from '../repositories/memory-budget.js';
import { ocrChunks, ocrDecodeSize, ocrSummary } from './ocr-regions.js';
import type { EmbeddingModel, ImageDecoder, ImageLoader, TextReader, UploadStore } from './ports.js';

/** Documents of one request between start and commit. */
export const WINDOW = 16;
/** Most documents per transaction. */
export const MAX_GROUP = 32;
/** Decodes at once, process-wide: below libuv's 4 pool threads, so crops and file writes never queue behind them. */
export const DECODERS = Math.max(1, Math.min(3, availableParallelism()));

export interface PipelineDeps {
  repo: Pick<DocumentRepository, 'replaceMany'>;
  loader: ImageLoader;
  decoder: ImageDecoder;
  uploads: UploadStore;
  proposer: RegionProposer;
  /** Shared by all requests: fetch slots handed out fairly. */
  fetchSlots: FairLimiter;
  /** Shared by all requests: decoded pixels. */
  pixels: MemoryBudget;
  /** Shared by all requests: model inference (it uses every core already). */
  inference: Limiter;
  /** Shared by all requests: image decodes (DECODERS at once). */
  decoding: Limiter;
  maxPixels: number;
  /** The index's OCR model when its settings turn OCR on (see ocr-regions.ts), and the per-image line cap. */
  ocr?: { reader: TextReader; maxLines: number } | null;
}

export interface IndexableDocument {
  id: string;
  fields: DocumentFields;
  images: { field: string; source: ImageSource }[];
  texts: { field: string; text: string }[];
  /** The indexing task it comes from: the write is keyed by (document, version), see DocumentRepository.replaceMany. */
  version?: bigint;
}

interface Embedded {
  doc: IndexableDocument;
  media: Record<string, MediaInfo>;
  imageChunks: NewChunk[];
  done: (r: { replaced: boolean; chunks: number } | { error: unknown }) => void;
}

/** One addDocuments call going through the pipeline. */
export class IndexingRun {
  private readonly window = createLimiter(WINDOW);
  private readonly fetch: FairShare;
  private readonly ready: Embedded[] = [];
  private writing = false;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly record: IndexRecord,
    private readonly model: EmbeddingModel,
    private readonly signal: AbortSignal,
  ) {
    this.fetch = deps.fetchSlots.forRequest(signal);
  }

  /** Indexes one document; resolves once its transaction has committed. */
  index(doc: IndexableDocument): Promise<{ replaced: boolean; chunks: number }> {
    return this.window(async () => {
      this.signal.throwIfAborted();
      const media: Record<string, MediaInfo> = {};
      const imageChunks: NewChunk[] = [];
      for (const { field, source } of doc.images) {
        const { chunks, info } = await this.embedImage(field, source);
        media[field] = info;
        imageChunks.push(...chunks);
      }
      this.signal.throwIfAborted();
      return new Promise<{ replaced: boolean; chunks: number }>((resolve, reject) => {
        this.ready.push({ doc, media, imageChunks, done: (r) => ('error' in r ? reject(r.error) : resolve(r)) });
        void this.writeReady();
      });
    });
  }

  /** Bytes → (fair fetch slot) → header → budget → shrink-on-load decode → regions → crops → embeddings. */
  private async embedImage(field: string, source: ImageSource): Promise<{ chunks: NewChunk[]; info: MediaInfo }> {
    const method = this.record.settings.regionMethod;
    const detectorInput = await this.deps.proposer.detectorInput(method);
    const s = this.model.preprocessing.size;
    const needs = { cropSize: s, detectorInput: detectorInput ?? undefined };
    const tensorBytes = maxRegions(method) * 3 * s * s * 4;
    // Uploads are in memory already; URLs and files hold a fetch slot until their decode budget is granted.
    const prepare = async () => {
      const loaded = await this.deps.loader.load(source, this.signal);
      const header = await this.deps.decoder.inspect(loaded.bytes, { maxPixels: this.deps.maxPixels });
      const size = ocrDecodeSize(decodeSize(method, header.width, header.height, needs), header, Boolean(this.deps.ocr));
      const release = await this.deps.pixels.reserve(decodeBytes(header, size) + tensorBytes, this.signal);
      return { bytes: loaded.bytes, header, size, release };
    };
    const { bytes, header, size, release } = source.kind === 'upload' ? await prepare() : await this.fetch(prepare);
    let chunks: NewChunk[];
    let ocrInfo: MediaInfo['ocr'];
    try {
      this.signal.throwIfAborted();
      // The decoded image lives only inside this call: once it returns, its pixels are garbage.
      const image = await this.deps.decoding(() => this.deps.decoder.decode(bytes, { maxPixels: this.deps.maxPixels, size }));
      const { boxes, pixels } = await this.cropRegions(image, header);
      release(tensorBytes);
      const vectors = await this.deps.inference(() => {
        this.signal.throwIfAborted();
        return this.model.embedImages(pixels, boxes.length);
      });
      const d = this.model.dimension;
      chunks = boxes.map((box, i) => ({ field, kind: 'image' as const, box, text: null, vector: vectors.slice(i * d, (i + 1) * d) }));
      const ocr = this.deps.ocr;
      if (ocr) {
        const reading = await this.deps.inference(() => (this.signal.throwIfAborted(), ocr.reader.read(image, header, { maxLines: ocr.maxLines })));
        chunks.push(...(await ocrChunks(field, reading, this.model, this.deps.inference)));
        ocrInfo = ocrSummary(ocr.reader.id, reading);
      }
    } finally {
      release();
    }
    const info = await this.mediaInfo(source, bytes, header);
    return { chunks, info: ocrInfo ? { ...info, ocr: ocrInfo } : info };
  }

  /**
   * Chunk 0 is the whole image; boxes are in ORIGINAL pixels, crops are cut from the decoded image (shrunk no further
   * than the crops need, see decode-size.ts). Detector proposals take the inference slot and are embedded from the
   * model's region crop (context, squared; see domain/region-crop.ts); the chunk keeps the proposal box.
   */
  private async cropRegions(image: DecodedImage, original: ImageHeader): Promise<{ boxes: Box[]; pixels: Float32Array }> {
    const method = this.record.settings.regionMethod;
    const detector = isDetectorMethod(method);
    const propose = () => this.deps.proposer.propose(method, image, original);
    const boxes = detector ? await this.deps.inference(() => (this.signal.throwIfAborted(), propose())) : await propose();
    const crop = detector ? (this.model.regionCrop ?? EXACT_CROP) : EXACT_CROP;
    const sx = image.width / original.width;
    const sy = image.height / original.height;
    const flat = new Float32Array(boxes.length * 4);
    boxes.forEach((b, i) => {
      const c = scaleBox(i === 0 ? b : regionCropBox(b, crop, original.width, original.height), sx, sy);
      flat.set([c.x1, c.y1, c.x2, c.y2], i * 4);
    });
    return { boxes, pixels: await preprocessBatch(image, flat, this.model.preprocessing) };
  }

  private async mediaInfo(source: ImageSource, bytes: Uint8Array, image: ImageHeader): Promise<MediaInfo> {
    if (source.kind === 'upload') {
      // Uploads are kept (content-addressed) so that rerankers and the web page can read the image again.
      const hash = createHash('sha256').update(bytes).digest('hex');
      await this.deps.uploads.store(hash, bytes);
      return { source: 'upload', ref: hash, width: image.width, height: image.height };
    }
    return { source: source.kind, ref: source.kind === 'url' ? source.url : source.path, width: image.width, height: image.height };
  }

  /** Group commit: whatever is ready when the writer is free goes into one text run and one transaction. */
  private async writeReady(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.ready.length) {
        const group = this.ready.splice(0, MAX_GROUP);
        if (this.signal.aborted) {
          for (const e of group) e.done({ error: this.signal.reason });
          continue;
        }
        try {
          const results = await this.write(group);
          group.forEach((e, i) => e.done(results[i]!));
        } catch {
          // One bad document must not fail the others: write them one by one, each with its own outcome.
          for (const e of group) {
            try {
              e.done((await this.write([e]))[0]!);
            } catch (error) {
              e.done({ error });
            }
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(group: Embedded[]): Promise<{ replaced: boolean; chunks: number }[]> {
    const texts = group.flatMap((e) => e.doc.texts.map((t) => t.text));
    const vectors = texts.length ? await this.deps.inference(() => this.model.embedTexts(texts)) : new Float32Array(0);
    const d = this.model.dimension;
    let next = 0;
    const docs: NewDocument[] = group.map((e) => {
      const textChunks = e.doc.texts.map((t): NewChunk => {
        const at = next++;
        return { field: t.field, kind: 'text', box: null, text: t.text, vector: vectors.slice(at * d, (at + 1) * d) };
      });
      return { externalId: e.doc.id, fields: e.doc.fields, media: e.media, chunks: [...e.imageChunks, ...textChunks], version: e.doc.version };
    });
    const written = await this.deps.repo.replaceMany(this.record.id, docs);
    return written.map((w, i) => ({ replaced: w.replaced, chunks: docs[i]!.chunks.length }));
  }
}
