// addDocuments / deleteDocuments as a use-case: batch limits, validation, per-document results and progress, cancellation
// when the caller goes away. The stages themselves (fetch, decode, regions, embeddings, group commit) are in
// indexing-pipeline.ts.
import { randomUUID } from 'node:crypto';
import { checkText, internalError, invalidArgument, isLoupeError, LoupeError, type ErrorCode } from '../domain/errors.js';
import { preview } from '../domain/text.js';
import { FIELD_NAME, type IndexRecord } from '../domain/index-settings.js';
import type { DocumentFields, FieldValue } from '../domain/types.js';
import type { RegionProposer } from '../localize/proposers.js';
import type { DocumentRepository, StoredDocument, ChunkInfo } from '../repositories/document-repository.js';
import { createFairLimiter, type FairLimiter } from '../repositories/fair-limiter.js';
import { classifyImageReference } from '../repositories/image-source.js';
import { createLimiter, type Limiter } from '../repositories/limiter.js';
import { createMemoryBudget, type MemoryBudget } from '../repositories/memory-budget.js';
import type { Logger } from '../log.js';
import type { IndexingMetrics } from '../metrics.js';
import type { IndexService } from './index-service.js';
import { DECODERS, IndexingRun, type IndexableDocument } from './indexing-pipeline.js';
import { OCR_MAX_LINES } from '../models/ocr-model.js';
import type { ImageDecoder, ImageLoader, IndexingProgress, TextReader, UploadStore } from './ports.js';

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
  type?: string;
}

export interface DocumentInput {
  id?: string | null;
  fields: Record<string, unknown>;
  /**
   * Uploaded images by field name (GraphQL multipart); they win over a value in `fields`. As entries, a field given
   * twice is refused; as an object, only its own keys count.
   */
  uploads?: readonly (readonly [string, UploadedFile])[] | ReadonlyMap<string, UploadedFile> | Readonly<Record<string, UploadedFile>>;
  /** Set by the indexing worker: the task's version, so that a task run twice writes once (indexing-worker.ts). */
  version?: bigint;
}

export type DocumentResult =
  | { id: string; ok: true; replaced: boolean }
  /** `transient`: the same work may succeed later (a network failure, an unexpected error); indexing workers retry it. */
  | { id: string; ok: false; code: ErrorCode; message: string; transient?: true };

export interface AddOptions {
  /** Called after each document, with the running counts and that document's result (its error, if any). */
  onProgress?: (p: IndexingProgress, item: DocumentResult) => void;
  /**
   * Aborted when the caller no longer wants the answer (its client disconnected): work not yet started is dropped
   * and downloads are cut; those documents fail with CANCELLED. Documents already committed stay committed.
   */
  signal?: AbortSignal;
  /** Named in the log line and the message of an unexpected failure (INTERNAL). */
  requestId?: string;
}

/** The I/O of the indexing path, as ports (the composition root wires the real adapters; unit tests pass fakes). */
export interface DocumentDeps {
  indexes: Pick<IndexService, 'get' | 'modelFor'>;
  documents: Pick<DocumentRepository, 'replaceMany' | 'delete' | 'find' | 'chunksOf'>;
  /** Image bytes under the image policy (URL, local file, upload). */
  loader: ImageLoader;
  decoder: ImageDecoder;
  uploads: UploadStore;
  proposer: RegionProposer;
  /** OCR models by folder name, for indexes with `ocr` on (services/ocr-regions.ts). */
  textReaders?: { ocr(name: string): Promise<TextReader> };
}

export interface DocumentServiceOptions {
  maxPixels: number;
  /** Fetch slots shared (fairly) by all requests; each request also always has one of its own. */
  fetchConcurrency: number;
  /** Decoded pixels held at once by all indexing requests together, in bytes. */
  decodeBudgetBytes: number;
  onWrite?: (record: IndexRecord) => void;
  metrics?: IndexingMetrics;
  /** Most text lines OCR reads per image (default OCR_MAX_LINES). */
  ocrMaxLines?: number;
}

const MAX_FIELDS = 64;
const MAX_TEXT = 100_000;
const MAX_ID = 512;
export const MAX_BATCH = 1_000;

type ValidDocument = IndexableDocument;

/** A document that passed add()'s checks (its id generated when it had none, its fields as they will be stored). */
export type CheckedDocument = { ok: true; id: string; fields: DocumentFields } | Extract<DocumentResult, { ok: false }>;

/** The last occurrence of a repeated id wins; earlier ones are reported, not silently dropped. */
function lastOccurrences(documents: DocumentInput[]): Map<string, number> {
  const lastIndexOf = new Map<string, number>();
  documents.forEach((d, i) => {
    const id = typeof d?.id === 'string' ? d.id : null;
    if (id !== null) lastIndexOf.set(id, i);
  });
  return lastIndexOf;
}

function checkLastOccurrence(doc: DocumentInput, i: number, lastIndexOf: Map<string, number>): void {
  if (typeof doc?.id === 'string' && lastIndexOf.get(doc.id) !== i)
    throw new LoupeError('INVALID_INPUT', `Document id ${preview(doc.id)} appears again later in this batch; the last occurrence is indexed`);
}

/** A caller-chosen document id: 1-512 characters that can be stored as text. */
function checkId(id: unknown, name: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID) throw invalidArgument(`a string of 1-${MAX_ID} characters`, name, id);
  return checkText(id, name);
}

export class DocumentService {
  private readonly fetchSlots: FairLimiter;
  private readonly inference: Limiter;
  private readonly decoding: Limiter;
  /** Decoded pixels of every request together (see indexing-pipeline.ts). */
  readonly pixels: MemoryBudget;

  private readonly indexes: DocumentDeps['indexes'];
  private readonly repo: DocumentDeps['documents'];

  constructor(
    private readonly deps: DocumentDeps,
    private readonly options: DocumentServiceOptions,
    private readonly log: Logger,
  ) {
    this.indexes = deps.indexes;
    this.repo = deps.documents;
    this.fetchSlots = createFairLimiter(Math.max(0, options.fetchConcurrency));
    this.pixels = createMemoryBudget(options.decodeBudgetBytes);
    // Inference uses every core already; running two batches at once only adds contention.
    this.inference = createLimiter(1);
    this.decoding = createLimiter(DECODERS);
  }

  async add(indexName: string, documents: DocumentInput[], opts: AddOptions = {}): Promise<DocumentResult[]> {
    if (!Array.isArray(documents) || documents.length === 0 || documents.length > MAX_BATCH)
      throw invalidArgument(`between 1 and ${MAX_BATCH} documents`, 'documents', Array.isArray(documents) ? `${documents.length} documents` : documents);
    const record = await this.indexes.get(indexName);
    const model = await this.indexes.modelFor(record);
    const ocr = await this.textReader(record);
    const progress: IndexingProgress = { processed: 0, failed: 0, total: documents.length };
    // Our own signal, so that every stage sees one typed reason whatever the caller's signal carries.
    const cancel = new AbortController();
    const onCancel = () => cancel.abort(new LoupeError('CANCELLED', 'The request was cancelled (its client disconnected) before this document was indexed'));
    if (opts.signal?.aborted) onCancel();
    opts.signal?.addEventListener('abort', onCancel, { once: true });
    const run = new IndexingRun(
      {
        repo: this.repo,
        loader: this.deps.loader,
        decoder: this.deps.decoder,
        uploads: this.deps.uploads,
        proposer: this.deps.proposer,
        fetchSlots: this.fetchSlots,
        pixels: this.pixels,
        inference: this.inference,
        decoding: this.decoding,
        maxPixels: this.options.maxPixels,
        ocr,
      },
      record,
      model,
      cancel.signal,
    );
    const lastIndexOf = lastOccurrences(documents);
    const results = await Promise.all(
      documents.map(async (doc, i): Promise<DocumentResult> => {
        // An id too long to be valid is answered shortened, never echoed back whole.
        const fallbackId = typeof doc?.id === 'string' ? doc.id.slice(0, MAX_ID) : '';
        let result: DocumentResult;
        let chunks = 0;
        this.options.metrics?.documentStarted();
        try {
          checkLastOccurrence(doc, i, lastIndexOf);
          const valid = this.validate(record, doc);
          const written = await run.index(valid);
          chunks = written.chunks;
          result = { id: valid.id, ok: true, replaced: written.replaced };
        } catch (e) {
          result = this.failure(fallbackId, e, opts.requestId);
        }
        this.options.metrics?.documentFinished(result.ok ? 'ok' : result.code, chunks);
        progress.processed += 1;
        if (!result.ok) progress.failed += 1;
        opts.onProgress?.({ ...progress }, result);
        return result;
      }),
    ).finally(() => opts.signal?.removeEventListener('abort', onCancel));
    // One vector-index catch-up for the whole call.
    this.options.onWrite?.(record);
    return results;
  }

  /**
   * add()'s checks without the indexing, for the queue (services/indexing-queue.ts): the same rules and messages, each
   * document's outcome on its own (a refused document never fails the batch).
   */
  async check(indexName: string, documents: DocumentInput[]): Promise<{ record: IndexRecord; checked: CheckedDocument[] }> {
    if (!Array.isArray(documents) || documents.length === 0 || documents.length > MAX_BATCH)
      throw invalidArgument(`between 1 and ${MAX_BATCH} documents`, 'documents', Array.isArray(documents) ? `${documents.length} documents` : documents);
    const record = await this.indexes.get(indexName);
    await this.indexes.modelFor(record); // MODEL_MISMATCH refuses the batch before anything is stored
    const lastIndexOf = lastOccurrences(documents);
    const checked = documents.map((doc, i): CheckedDocument => {
      try {
        checkLastOccurrence(doc, i, lastIndexOf);
        const valid = this.validate(record, doc);
        return { ok: true, id: valid.id, fields: valid.fields };
      } catch (e) {
        return this.failure(typeof doc?.id === 'string' ? doc.id.slice(0, MAX_ID) : '', e, undefined);
      }
    });
    return { record, checked };
  }

  async delete(indexName: string, ids: string[]): Promise<string[]> {
    if (!Array.isArray(ids) || ids.length > 10_000 || ids.some((id) => typeof id !== 'string')) throw invalidArgument('up to 10000 document ids', 'ids', ids);
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const record = await this.indexes.get(indexName);
    const deleted = await this.repo.delete(record.id, ids);
    this.options.onWrite?.(record);
    return deleted;
  }

  async get(indexName: string, id: string): Promise<{ document: StoredDocument; chunks: ChunkInfo[] }> {
    checkId(id, 'id');
    const record = await this.indexes.get(indexName);
    const document = await this.repo.find(record.id, id);
    if (!document) throw new LoupeError('DOCUMENT_NOT_FOUND', `Document ${preview(id)} does not exist in index "${indexName}"`);
    return { document, chunks: await this.repo.chunksOf(document.pk) };
  }

  private async textReader(record: IndexRecord): Promise<{ reader: TextReader; maxLines: number } | null> {
    const name = record.settings.ocr?.model;
    if (!name) return null;
    if (!this.deps.textReaders) throw new LoupeError('INVALID_INPUT', `Index "${record.name}" reads text in images (ocr) but this server has no OCR models`);
    return { reader: await this.deps.textReaders.ocr(name), maxLines: this.options.ocrMaxLines ?? OCR_MAX_LINES };
  }

  regionsOf(documentPk: bigint): Promise<ChunkInfo[]> {
    return this.repo.chunksOf(documentPk);
  }

  /** A document's failure as its result: expected ones with their code; anything else logged once, as INTERNAL. */
  private failure(id: string, e: unknown, requestId: string | undefined): Extract<DocumentResult, { ok: false }> {
    if (isLoupeError(e)) return { id, ok: false, code: e.code, message: e.message, ...(e.transient ? { transient: true as const } : {}) };
    this.log.error('indexing a document failed unexpectedly', { requestId, id: preview(id), error: (e as Error)?.stack ?? String(e) });
    const internal = internalError(requestId, e, 'Unexpected error while indexing this document');
    return { id, ok: false, code: internal.code, message: internal.message, transient: true };
  }

  private validate(record: IndexRecord, doc: DocumentInput): ValidDocument {
    if (doc === null || typeof doc !== 'object') throw invalidArgument('a document object', 'document', doc);
    const id = doc.id === undefined || doc.id === null ? randomUUID() : checkId(doc.id, 'id');
    const raw = doc.fields;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument('an object of fields', 'fields', raw);
    // Names come from the client: read as own properties and map keys only ({} has `constructor`, `__proto__`...).
    const uploads = new Map<string, UploadedFile>();
    const given = doc.uploads instanceof Map ? [...doc.uploads] : Array.isArray(doc.uploads) ? doc.uploads : Object.entries(doc.uploads ?? {});
    for (const [field, file] of given as [string, UploadedFile][]) {
      if (uploads.has(field)) throw new LoupeError('INVALID_INPUT', `Two files are given for field ${preview(field)}; send one file per image field`);
      uploads.set(field, file);
    }
    const names = new Set([...Object.keys(raw), ...uploads.keys()]);
    if (names.size > MAX_FIELDS) throw invalidArgument(`at most ${MAX_FIELDS} fields`, 'fields', `${names.size} fields`);
    const values: [string, FieldValue][] = [];
    const images: ValidDocument['images'] = [];
    const texts: ValidDocument['texts'] = [];
    for (const name of names) {
      if (!FIELD_NAME.test(name)) throw invalidArgument('a field name of letters, digits, "_", ".", "-" (max 64, not "__proto__")', 'field name', name);
      const upload = uploads.get(name);
      const value = Object.hasOwn(raw, name) ? (raw as Record<string, unknown>)[name] : undefined;
      if (upload) {
        if (!record.settings.imageFields.includes(name))
          throw new LoupeError(
            'INVALID_INPUT',
            `Field "${name}" received a file but is not an image field of index "${record.name}" (image fields: ${record.settings.imageFields.join(', ')})`,
          );
        checkText(upload.name, `files[${name}].file name`);
        values.push([name, upload.name]);
        images.push({ field: name, source: { kind: 'upload', name: upload.name, bytes: upload.bytes, type: upload.type } });
        continue;
      }
      if (!(value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))))
        throw invalidArgument('a string, finite number, boolean or null', `fields.${name}`, value);
      if (typeof value === 'string' && value.length > MAX_TEXT)
        throw invalidArgument(`at most ${MAX_TEXT} characters`, `fields.${name}`, `${value.length} characters`);
      if (typeof value === 'string') checkText(value, `fields.${name}`);
      values.push([name, value as FieldValue]);
      if (record.settings.imageFields.includes(name)) {
        if (value === null) continue;
        if (typeof value !== 'string' || value.trim() === '') throw invalidArgument('an image URL or path', `fields.${name}`, value);
        images.push({ field: name, source: classifyImageReference(value.trim()) });
      } else if (typeof value === 'string' && value.trim() !== '') {
        texts.push({ field: name, text: value });
      }
    }
    // fromEntries makes own properties, so no field name can reach an object's prototype.
    return { id, fields: Object.fromEntries(values) as DocumentFields, images, texts, version: doc.version };
  }
}
