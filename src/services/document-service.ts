// The indexing path: validate → fetch/decode each image → regions → one crop batch → CLIP → one transaction.
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { invalidArgument, isLoupeError, LoupeError, type ErrorCode } from '../domain/errors.js';
import { FIELD_NAME, type IndexRecord } from '../domain/index-settings.js';
import type { MediaInfo } from '../domain/search.js';
import type { DecodedImage, DocumentFields, FieldValue } from '../domain/types.js';
import type { RegionProposer } from '../localize/proposers.js';
import { EXACT_CROP, regionCropBox } from '../localize/crop.js';
import { isDetectorMethod } from '../localize/region-method.js';
import { preprocessBatch } from '../native/preprocess.js';
import type { DocumentRepository, NewChunk, StoredDocument, ChunkInfo } from '../repositories/document-repository.js';
import { decodeImage } from '../repositories/image-decoder.js';
import { classifyImageReference, loadImageBytes, type ImageSource, type ImageSourcePolicy } from '../repositories/image-source.js';
import { createLimiter } from '../repositories/limiter.js';
import type { Logger } from '../log.js';
import type { IndexingMetrics } from '../metrics.js';
import type { IndexService } from './index-service.js';
import type { EmbeddingModel, IndexingProgress } from './ports.js';

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
  type?: string;
}

export interface DocumentInput {
  id?: string | null;
  fields: Record<string, unknown>;
  /** Uploaded images by field name (GraphQL multipart); they win over a value in `fields`. */
  uploads?: Record<string, UploadedFile>;
}

export type DocumentResult = { id: string; ok: true; replaced: boolean } | { id: string; ok: false; code: ErrorCode; message: string };

export interface AddOptions {
  /** Called after each document, with the running counts and that document's result (its error, if any). */
  onProgress?: (p: IndexingProgress, item: DocumentResult) => void;
}

const MAX_FIELDS = 64;
const MAX_TEXT = 100_000;
const MAX_ID = 512;
export const MAX_BATCH = 1_000;

interface ValidDocument {
  id: string;
  fields: DocumentFields;
  images: { field: string; source: ImageSource }[];
  texts: { field: string; text: string }[];
}

/**
 * Writes an upload under its sha256 atomically (temporary file + rename): an acknowledged document's image must not
 * be truncated by a crash while the same bytes are written again for another document or a re-send.
 */
export async function storeUpload(dir: string, hash: string, bytes: Uint8Array): Promise<void> {
  const target = join(dir, hash);
  const existing = await stat(target).catch(() => null);
  if (existing?.isFile() && existing.size === bytes.byteLength) return;
  await mkdir(dir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${randomUUID()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export class DocumentService {
  private readonly fetchLimit: <T>(fn: () => Promise<T>) => Promise<T>;
  private readonly inferLimit: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly indexes: IndexService,
    private readonly repo: DocumentRepository,
    private readonly policy: ImageSourcePolicy,
    private readonly proposer: RegionProposer,
    private readonly options: { maxPixels: number; uploadDir: string; fetchConcurrency: number; onWrite?: (record: IndexRecord) => void; metrics?: IndexingMetrics },
    private readonly log: Logger,
  ) {
    this.fetchLimit = createLimiter(Math.max(1, options.fetchConcurrency));
    // Inference uses every core already; running two batches at once only adds contention.
    this.inferLimit = createLimiter(1);
  }

  async add(indexName: string, documents: DocumentInput[], opts: AddOptions = {}): Promise<DocumentResult[]> {
    if (!Array.isArray(documents) || documents.length === 0 || documents.length > MAX_BATCH)
      throw invalidArgument(`between 1 and ${MAX_BATCH} documents`, 'documents', Array.isArray(documents) ? `${documents.length} documents` : documents);
    const record = await this.indexes.get(indexName);
    const model = await this.indexes.modelFor(record);
    const progress: IndexingProgress = { processed: 0, failed: 0, total: documents.length };
    // The last occurrence of a repeated id wins; earlier ones are reported, not silently dropped.
    const lastIndexOf = new Map<string, number>();
    documents.forEach((d, i) => {
      const id = typeof d?.id === 'string' ? d.id : null;
      if (id !== null) lastIndexOf.set(id, i);
    });
    const results = await Promise.all(
      documents.map(async (doc, i): Promise<DocumentResult> => {
        const fallbackId = typeof doc?.id === 'string' ? doc.id : '';
        let result: DocumentResult;
        let chunks = 0;
        this.options.metrics?.documentStarted();
        try {
          if (fallbackId && lastIndexOf.get(fallbackId) !== i)
            throw new LoupeError('INVALID_INPUT', `Document id "${fallbackId}" appears again later in this batch; the last occurrence is indexed`);
          const valid = this.validate(record, doc);
          const written = await this.indexOne(record, model, valid);
          chunks = written.chunks;
          result = { id: valid.id, ok: true, replaced: written.replaced };
        } catch (e) {
          result = this.failure(fallbackId, e);
        }
        this.options.metrics?.documentFinished(result.ok ? 'ok' : result.code, chunks);
        progress.processed += 1;
        if (!result.ok) progress.failed += 1;
        opts.onProgress?.({ ...progress }, result);
        return result;
      }),
    );
    this.options.onWrite?.(record);
    return results;
  }

  async delete(indexName: string, ids: string[]): Promise<string[]> {
    if (!Array.isArray(ids) || ids.length > 10_000 || ids.some((id) => typeof id !== 'string'))
      throw invalidArgument('up to 10000 document ids', 'ids', ids);
    const record = await this.indexes.get(indexName);
    const deleted = await this.repo.delete(record.id, ids);
    this.options.onWrite?.(record);
    return deleted;
  }

  async get(indexName: string, id: string): Promise<{ document: StoredDocument; chunks: ChunkInfo[] }> {
    const record = await this.indexes.get(indexName);
    const document = await this.repo.find(record.id, id);
    if (!document) throw new LoupeError('DOCUMENT_NOT_FOUND', `Document "${id}" does not exist in index "${indexName}"`);
    return { document, chunks: await this.repo.chunksOf(document.pk) };
  }

  regionsOf(documentPk: bigint): Promise<ChunkInfo[]> {
    return this.repo.chunksOf(documentPk);
  }

  private failure(id: string, e: unknown): DocumentResult {
    if (isLoupeError(e)) return { id, ok: false, code: e.code, message: e.message };
    this.log.error('indexing a document failed unexpectedly', { id, error: (e as Error)?.stack ?? String(e) });
    return { id, ok: false, code: 'INVALID_INPUT', message: `Unexpected error while indexing: ${(e as Error)?.message ?? String(e)}` };
  }

  private validate(record: IndexRecord, doc: DocumentInput): ValidDocument {
    if (doc === null || typeof doc !== 'object') throw invalidArgument('a document object', 'document', doc);
    let id: string;
    if (doc.id === undefined || doc.id === null) id = randomUUID();
    else if (typeof doc.id !== 'string' || doc.id.length === 0 || doc.id.length > MAX_ID) throw invalidArgument(`a string of 1-${MAX_ID} characters`, 'id', doc.id);
    else id = doc.id;
    const raw = doc.fields;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument('an object of fields', 'fields', raw);
    const uploads = doc.uploads ?? {};
    const names = new Set([...Object.keys(raw), ...Object.keys(uploads)]);
    if (names.size > MAX_FIELDS) throw invalidArgument(`at most ${MAX_FIELDS} fields`, 'fields', `${names.size} fields`);
    const fields: DocumentFields = {};
    const images: ValidDocument['images'] = [];
    const texts: ValidDocument['texts'] = [];
    for (const name of names) {
      if (!FIELD_NAME.test(name)) throw invalidArgument('a field name of letters, digits, "_", ".", "-" (max 64)', 'field name', name);
      const upload = uploads[name];
      const value = raw[name];
      if (upload) {
        if (!record.settings.imageFields.includes(name))
          throw new LoupeError('INVALID_INPUT', `Field "${name}" received a file but is not an image field of index "${record.name}" (image fields: ${record.settings.imageFields.join(', ')})`);
        fields[name] = upload.name;
        images.push({ field: name, source: { kind: 'upload', name: upload.name, bytes: upload.bytes, type: upload.type } });
        continue;
      }
      if (!(value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))))
        throw invalidArgument('a string, finite number, boolean or null', `fields.${name}`, value);
      if (typeof value === 'string' && value.length > MAX_TEXT) throw invalidArgument(`at most ${MAX_TEXT} characters`, `fields.${name}`, `${value.length} characters`);
      fields[name] = value as FieldValue;
      if (record.settings.imageFields.includes(name)) {
        if (value === null) continue;
        if (typeof value !== 'string' || value.trim() === '') throw invalidArgument('an image URL or path', `fields.${name}`, value);
        images.push({ field: name, source: classifyImageReference(value.trim()) });
      } else if (typeof value === 'string' && value.trim() !== '') {
        texts.push({ field: name, text: value });
      }
    }
    return { id, fields, images, texts };
  }

  private async indexOne(record: IndexRecord, model: EmbeddingModel, doc: ValidDocument): Promise<{ replaced: boolean; chunks: number }> {
    const chunks: NewChunk[] = [];
    const media: Record<string, MediaInfo> = {};
    for (const { field, source } of doc.images) {
      const image = await this.fetchLimit(async () => {
        const loaded = await loadImageBytes(source, this.policy);
        return { loaded, decoded: await decodeImage(loaded.bytes, { maxPixels: this.options.maxPixels }) };
      });
      media[field] = await this.mediaInfo(source, image.loaded.bytes, image.decoded);
      chunks.push(...(await this.embedRegions(record, model, field, image.decoded)));
    }
    if (doc.texts.length) {
      const vectors = await this.inferLimit(() => model.embedTexts(doc.texts.map((t) => t.text)));
      doc.texts.forEach((t, i) => {
        chunks.push({ field: t.field, kind: 'text', box: null, text: t.text, vector: vectors.slice(i * model.dimension, (i + 1) * model.dimension) });
      });
    }
    const { replaced } = await this.repo.replace(record.id, doc.id, doc.fields, media, chunks);
    return { replaced, chunks: chunks.length };
  }

  /**
   * Chunk 0 is the whole image; boxes are in original pixels and crops are cut from the original image. Detector
   * proposals are embedded from the model's region crop (context, squared; see localize/crop.ts); the chunk keeps the
   * proposal box.
   */
  private async embedRegions(record: IndexRecord, model: EmbeddingModel, field: string, image: DecodedImage): Promise<NewChunk[]> {
    const method = record.settings.regionMethod;
    const boxes = await this.inferLimit(() => this.proposer.propose(method, image));
    const crop = isDetectorMethod(method) ? (model.regionCrop ?? EXACT_CROP) : EXACT_CROP;
    const flat = new Float32Array(boxes.length * 4);
    boxes.forEach((b, i) => {
      const c = i === 0 ? b : regionCropBox(b, crop, image.width, image.height);
      flat.set([c.x1, c.y1, c.x2, c.y2], i * 4);
    });
    const vectors = await this.inferLimit(async () => {
      const pixels = await preprocessBatch(image, flat, model.preprocessing);
      return model.embedImages(pixels, boxes.length);
    });
    const d = model.dimension;
    return boxes.map((box, i) => ({ field, kind: 'image' as const, box, text: null, vector: vectors.slice(i * d, (i + 1) * d) }));
  }

  private async mediaInfo(source: ImageSource, bytes: Uint8Array, image: DecodedImage): Promise<MediaInfo> {
    if (source.kind === 'upload') {
      // Uploads are kept (content-addressed) so that rerankers and the web page can read the image again.
      const hash = createHash('sha256').update(bytes).digest('hex');
      await storeUpload(this.options.uploadDir, hash, bytes);
      return { source: 'upload', ref: hash, width: image.width, height: image.height };
    }
    return { source: source.kind, ref: source.kind === 'url' ? source.url : source.path, width: image.width, height: image.height };
  }
}
