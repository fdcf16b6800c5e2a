// Document type, the `document` query and the addDocuments / deleteDocuments mutations.
import type { ChunkInfo, StoredDocument } from '../../domain/documents.js';
import type { UploadedFile } from '../../services/document-service.js';
import type { OcrSkipped, OcrSummary } from '../../domain/ocr.js';
import type { SubmittedResult } from '../../services/indexing-queue.js';
import type { MediaInfo } from '../../domain/search.js';
import type { Box } from '../../domain/types.js';
import { builder } from '../builder.js';
import { BoxRef } from './box.js';
import { ErrorCodeEnum } from './errors.js';

const OcrSkippedRef = builder.objectRef<OcrSkipped>('OcrSkippedRegion').implement({
  description: 'A text region OCR found but did not keep as text',
  fields: (t) => ({
    box: t.field({ type: BoxRef, resolve: (s) => s.box }),
    confidence: t.exposeFloat('confidence'),
    note: t.exposeString('note'),
  }),
});

const OcrSummaryRef = builder.objectRef<OcrSummary>('OcrSummary').implement({
  description: 'What OCR made of an image (indexes with OCR on)',
  fields: (t) => ({
    model: t.exposeString('model', { description: 'OCR model id (folder and content hash)' }),
    lines: t.exposeInt('lines', { description: 'Text lines read and indexed' }),
    found: t.exposeInt('found', { description: 'Text regions the detector found' }),
    capped: t.exposeString('capped', { nullable: true, description: 'Set when the per-image line cap dropped regions' }),
    skipped: t.field({ type: [OcrSkippedRef], description: 'Up to 50 regions not read (unsupported script or unreadable)', resolve: (s) => s.skipped }),
  }),
});

export const MediaRef = builder.objectRef<MediaInfo & { field: string }>('Media').implement({
  description: 'An image field of a document: where it came from and its upright size in pixels',
  fields: (t) => ({
    field: t.exposeString('field'),
    source: t.exposeString('source', { description: 'url | file | upload' }),
    ref: t.exposeString('ref', { description: 'the URL, the local path, or the sha256 of the uploaded bytes' }),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    ocr: t.field({ type: OcrSummaryRef, nullable: true, resolve: (m) => m.ocr ?? null }),
  }),
});

export const mediaList = (media: Record<string, MediaInfo>) => Object.entries(media).map(([field, m]) => ({ field, ...m }));

const OcrWordRef = builder.objectRef<{ text: string; box: Box }>('OcrWord').implement({
  fields: (t) => ({ text: t.exposeString('text'), box: t.field({ type: BoxRef, resolve: (w) => w.box }) }),
});

const RegionRef = builder.objectRef<ChunkInfo>('Region').implement({
  description: 'One indexed chunk: an image region (chunk 0 of each image is the whole image) or a text field',
  fields: (t) => ({
    field: t.exposeString('field'),
    kind: t.exposeString('kind'),
    position: t.exposeInt('position'),
    box: t.field({ type: BoxRef, nullable: true, resolve: (c) => c.box }),
    text: t.exposeString('text', { nullable: true }),
    confidence: t.float({
      nullable: true,
      description: 'Text read inside an image (OCR): the recognizer confidence',
      resolve: (c) => c.ocr?.confidence ?? null,
    }),
    words: t.field({
      type: [OcrWordRef],
      nullable: true,
      description: 'Text read inside an image (OCR): its words with their boxes',
      resolve: (c) => c.ocr?.words.map((w) => ({ text: w.text, box: { x1: w.box[0], y1: w.box[1], x2: w.box[2], y2: w.box[3] } })) ?? null,
    }),
  }),
});

type DocumentWithRegions = StoredDocument & { regions?: ChunkInfo[] };

export const DocumentRef = builder.objectRef<DocumentWithRegions>('Document').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    fields: t.field({ type: 'JSON', resolve: (d) => d.fields }),
    media: t.field({ type: [MediaRef], resolve: (d) => mediaList(d.media) }),
    regions: t.field({
      type: [RegionRef],
      description: 'Every indexed region of the document (whole image first), with boxes in original pixels',
      resolve: async (d, _a, ctx) => d.regions ?? ctx.loupe.documents.regionsOf(d.pk),
    }),
    createdAt: t.string({ resolve: (d) => d.createdAt.toISOString() }),
    updatedAt: t.string({ resolve: (d) => d.updatedAt.toISOString() }),
  }),
});

const FileFieldInput = builder.inputType('FileFieldInput', {
  fields: (t) => ({
    field: t.string({ required: true, description: 'An image field of the index' }),
    file: t.field({ type: 'File', required: true }),
  }),
});

const DocumentInput = builder.inputType('DocumentInput', {
  fields: (t) => ({
    id: t.string({ description: 'Caller-chosen id, unique per index (generated when absent); re-adding replaces' }),
    fields: t.field({ type: 'JSON', required: true, description: 'Field values: strings, numbers, booleans, null. Image fields hold a URL or a local path' }),
    files: t.field({ type: [FileFieldInput], description: 'Uploaded images for image fields' }),
  }),
});

const DocumentStatusEnum = builder.enumType('DocumentStatus', {
  description: 'Where a document of addDocuments stands',
  values: {
    INDEXED: { description: 'Indexed: searchable in every replica' },
    QUEUED: { description: 'Stored and queued for an indexing worker (addDocuments with wait: false)' },
    FAILED: { description: 'Refused or failed for good: see code and message' },
  } as const,
});

const DocumentResultRef = builder.objectRef<SubmittedResult>('DocumentResult').implement({
  description: 'The outcome for one document; one bad document never fails the batch',
  fields: (t) => ({
    id: t.exposeString('id'),
    ok: t.exposeBoolean('ok', { description: 'false when the document was refused or failed (status FAILED)' }),
    status: t.field({ type: DocumentStatusEnum, resolve: (r) => (!r.ok ? 'FAILED' : 'queued' in r ? 'QUEUED' : 'INDEXED') }),
    replaced: t.boolean({ nullable: true, resolve: (r) => (r.ok && 'replaced' in r ? r.replaced : null) }),
    code: t.field({ type: ErrorCodeEnum, nullable: true, resolve: (r) => (r.ok ? null : r.code) }),
    message: t.string({ nullable: true, resolve: (r) => (r.ok ? null : r.message) }),
  }),
});

const AddDocumentsPayload = builder.objectRef<{ jobId: string; results: SubmittedResult[]; processingTimeMs: number }>('AddDocumentsPayload').implement({
  fields: (t) => ({
    jobId: t.exposeString('jobId', { description: 'The indexing job: indexingProgress(jobId) streams its progress' }),
    results: t.field({ type: [DocumentResultRef], description: 'One per document, in order; each names its id', resolve: (p) => p.results }),
    succeeded: t.int({ description: 'Documents indexed', resolve: (p) => p.results.filter((r) => r.ok && !('queued' in r)).length }),
    queued: t.int({ description: 'Documents stored and waiting for a worker', resolve: (p) => p.results.filter((r) => 'queued' in r).length }),
    failed: t.int({ resolve: (p) => p.results.filter((r) => !r.ok).length }),
    processingTimeMs: t.exposeFloat('processingTimeMs'),
  }),
});

const DeleteDocumentsPayload = builder.objectRef<{ deleted: string[] }>('DeleteDocumentsPayload').implement({
  fields: (t) => ({ deleted: t.exposeStringList('deleted'), count: t.int({ resolve: (p) => p.deleted.length }) }),
});

/** A document's uploads as (field, file) entries: the service refuses a field given twice, for that document only. */
async function toUploads(files: { field: string; file: File }[] | null | undefined): Promise<[string, UploadedFile][]> {
  return Promise.all(
    (files ?? []).map(async (f): Promise<[string, UploadedFile]> => [
      f.field,
      { name: f.file.name, type: f.file.type || undefined, bytes: new Uint8Array(await f.file.arrayBuffer()) },
    ]),
  );
}

builder.queryFields((t) => ({
  document: t.field({
    type: DocumentRef,
    args: { index: t.arg.string({ required: true }), id: t.arg.string({ required: true }) },
    errors: { union: { name: 'DocumentLookupResult' } },
    resolve: async (_r, { index, id }, ctx) => {
      const { document, chunks } = await ctx.loupe.documents.get(index, id);
      return { ...document, regions: chunks };
    },
  }),
}));

builder.mutationFields((t) => ({
  addDocuments: t.field({
    type: AddDocumentsPayload,
    args: {
      index: t.arg.string({ required: true }),
      documents: t.arg({ type: [DocumentInput], required: true }),
      jobId: t.arg.string({
        description: 'Names the indexing job (1-128 letters, digits, "_", "-"; generated when absent) for indexingProgress(jobId)',
      }),
      wait: t.arg.boolean({
        defaultValue: true,
        description:
          'true: answer once every document is indexed or failed, with per-document results. false: answer as soon as the ' +
          'documents and their job are stored (status QUEUED); workers index them and indexingProgress(jobId) reports it',
      }),
    },
    errors: { union: { name: 'AddDocumentsResult' } },
    resolve: async (_r, { index, documents, jobId, wait }, ctx) => {
      const started = performance.now();
      const inputs = await Promise.all(
        documents.map(async (d) => ({ id: d.id, fields: (d.fields ?? {}) as Record<string, unknown>, uploads: await toUploads(d.files) })),
      );
      const submitted = await ctx.loupe.queue.submit(index, inputs, { jobId, wait: wait ?? true, signal: ctx.signal, requestId: ctx.requestId });
      return { ...submitted, processingTimeMs: Math.round(performance.now() - started) };
    },
  }),
  deleteDocuments: t.field({
    type: DeleteDocumentsPayload,
    args: { index: t.arg.string({ required: true }), ids: t.arg.stringList({ required: true }) },
    errors: { union: { name: 'DeleteDocumentsResult' } },
    resolve: async (_r, { index, ids }, ctx) => ({ deleted: await ctx.loupe.documents.delete(index, ids) }),
  }),
}));
