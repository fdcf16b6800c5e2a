// Index type, its queries (indexes, index) and mutations (createIndex, deleteIndex).
import { LoupeError } from '../../domain/errors.js';
import type { IndexRecord } from '../../domain/index-settings.js';
import type { IndexCounts } from '../../services/index-service.js';
import type { RegionMethod } from '../../domain/types.js';
import { formatVectorIndexSpec } from '../../domain/vector-index.js';
import { formatAnyRegionMethod } from '../../services/index-service.js';
import { builder } from '../builder.js';

const RegionMethodRef = builder.objectRef<RegionMethod>('RegionMethod').implement({
  description: 'How images are split into regions at index time',
  fields: (t) => ({
    method: t.string({ description: 'none | simple | overlap | yolox | dino-v1 | dino-v2', resolve: (m) => m.kind }),
    hn: t.int({ nullable: true, resolve: (m) => ('hn' in m ? m.hn : null) }),
    wn: t.int({ nullable: true, resolve: (m) => ('wn' in m ? m.wn : null) }),
    model: t.string({ nullable: true, description: 'Region proposal model (yolox, dino-*)', resolve: (m) => ('model' in m ? m.model : null) }),
    maxProposals: t.int({ nullable: true, resolve: (m) => ('maxProposals' in m ? m.maxProposals : null) }),
    nmsIou: t.float({ nullable: true, resolve: (m) => ('nmsIou' in m ? m.nmsIou : null) }),
    minArea: t.float({ nullable: true, description: 'fraction of the image area', resolve: (m) => ('minArea' in m ? m.minArea : null) }),
    maxAspect: t.float({ nullable: true, resolve: (m) => ('maxAspect' in m ? m.maxAspect : null) }),
    spec: t.string({ description: "Marqo's string form, e.g. simple?hn=3&wn=3", resolve: (m) => formatAnyRegionMethod(m) }),
  }),
});

const VectorIndexKindEnum = builder.enumType('VectorIndexKind', {
  values: {
    FLAT: { value: 'flat', description: 'exact inner product over float32 vectors (the default)' },
    HNSW: { value: 'hnsw', description: 'HNSW graph over float32 vectors' },
    HNSW_SQ8: { value: 'hnsw_sq8', description: 'HNSW graph over 8-bit scalar codes (a quarter of the vector bytes)' },
    IVF_PQ: { value: 'ivf_pq', description: 'inverted lists of PQ codes (pqM bytes a vector), candidates re-ranked on refine codes' },
  } as const,
});

const VectorRefineEnum = builder.enumType('VectorRefine', {
  values: {
    NONE: { value: 'none', description: 'PQ scores are final' },
    SQ8: { value: 'sq8', description: '8-bit scalar codes (dimension bytes a vector)' },
    SQ4: { value: 'sq4', description: '4-bit scalar codes (dimension / 2 bytes a vector)' },
  } as const,
});

/** Counts come with the record when it was listed (one query for all indexes); otherwise they are read on demand. */
type IndexView = IndexRecord & { counts?: IndexCounts };

export const IndexRef = builder.objectRef<IndexView>('Index').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    model: t.string({ description: 'Model folder name', resolve: (r) => r.settings.model }),
    modelId: t.exposeString('modelId', { description: 'Model name and content hash recorded at creation' }),
    dimension: t.exposeInt('dimension'),
    regionMethod: t.field({ type: RegionMethodRef, resolve: (r) => r.settings.regionMethod }),
    imageFields: t.stringList({ resolve: (r) => r.settings.imageFields }),
    vectorIndex: t.field({ type: VectorIndexKindEnum, resolve: (r) => r.settings.vectorIndex.kind }),
    ocrModel: t.string({
      nullable: true,
      description: 'The OCR model folder that reads text inside images into searchable chunks, or null when OCR is off',
      resolve: (r) => r.settings.ocr?.model ?? null,
    }),
    vectorIndexSpec: t.string({
      description: 'The vector index with every parameter of its kind, e.g. ivf_pq?nlist=1024&pqM=32&nprobe=16&refine=sq8&refineFactor=64&trainSize=40960',
      resolve: (r) => formatVectorIndexSpec(r.settings.vectorIndex),
    }),
    documentCount: t.int({ resolve: async (r, _a, ctx) => (r.counts ?? (await ctx.loupe.indexes.counts(r))).documents }),
    chunkCount: t.int({ resolve: async (r, _a, ctx) => (r.counts ?? (await ctx.loupe.indexes.counts(r))).chunks }),
    createdAt: t.string({ resolve: (r) => r.createdAt.toISOString() }),
  }),
});

const RegionMethodInput = builder.inputType('RegionMethodInput', {
  fields: (t) => ({
    method: t.string({ required: true, description: 'none | simple | overlap | yolox (alias marqo-yolo) | dino-v1 | dino-v2' }),
    hn: t.int({ description: 'rows of the grid (default 3)' }),
    wn: t.int({ description: 'columns of the grid (default 3)' }),
    model: t.string({ description: 'proposal model folder for yolox / dino-* (default: the server default)' }),
    maxProposals: t.int({ description: 'at most this many proposals besides the whole image (default 10)' }),
    nmsIou: t.float({ description: 'class-agnostic NMS IoU (default 0.6)' }),
    minArea: t.float({
      description: 'smallest proposal as a fraction of the image area (default 0.01 = 24×24 at 240 px; Marqo used 0.0625 = 60×60 at 240 px)',
    }),
    maxAspect: t.float({ description: 'largest aspect ratio of a proposal (default 4)' }),
  }),
});

const VectorIndexInput = builder.inputType('VectorIndexInput', {
  fields: (t) => ({
    kind: t.field({ type: VectorIndexKindEnum, description: 'FLAT (exact, default), HNSW, HNSW_SQ8 or IVF_PQ' }),
    hnswM: t.int({ description: 'HNSW, HNSW_SQ8: graph degree (default 32)' }),
    efSearch: t.int({ description: 'HNSW, HNSW_SQ8: search beam width (default 128)' }),
    nlist: t.int({ description: 'IVF_PQ: inverted lists (default 1024)' }),
    pqM: t.int({ description: 'IVF_PQ: bytes of PQ code a vector; divides the embedding dimension (default 32)' }),
    nprobe: t.int({ description: 'IVF_PQ: lists visited a search (default 16)' }),
    refine: t.field({ type: VectorRefineEnum, description: 'IVF_PQ: codes that re-rank the PQ candidates (default SQ8)' }),
    refineFactor: t.int({ description: 'IVF_PQ: k × refineFactor candidates are re-ranked (default 64)' }),
    trainSize: t.int({
      description: 'HNSW_SQ8, IVF_PQ: vectors kept exact until this many arrive; the first trainSize train the codes (default 10000 / 40 × max(nlist, 256))',
    }),
  }),
});

const CreateIndexInput = builder.inputType('CreateIndexInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    model: t.string({ description: 'Model folder name (default: the server default model)' }),
    regionMethod: t.field({ type: RegionMethodInput }),
    regionMethodSpec: t.string({ description: "Marqo's string form instead of regionMethod (not both), e.g. simple?hn=2&wn=3" }),
    imageFields: t.stringList({ description: 'Fields holding images (default ["image"])' }),
    vectorIndex: t.field({ type: VectorIndexInput }),
    ocr: t.boolean({
      description: 'Read the text inside images (OCR): each text line becomes a searchable chunk with its box and word boxes (default false)',
    }),
    ocrModel: t.string({ description: 'OCR model folder (default: the server default, pp-ocrv4); implies ocr' }),
    vectorIndexSpec: t.string({ description: 'The string form instead of vectorIndex (not both), e.g. ivf_pq?nlist=1024&pqM=32' }),
  }),
});

const DeleteIndexPayload = builder.objectRef<{ name: string }>('DeleteIndexPayload').implement({
  fields: (t) => ({ name: t.exposeString('name') }),
});

builder.queryFields((t) => ({
  indexes: t.field({ type: [IndexRef], resolve: (_r, _a, ctx) => ctx.loupe.indexes.listWithCounts() }),
  index: t.field({
    type: IndexRef,
    args: { name: t.arg.string({ required: true }) },
    errors: { union: { name: 'IndexResult' } },
    resolve: (_r, { name }, ctx) => ctx.loupe.indexes.getWithCounts(name),
  }),
}));

builder.mutationFields((t) => ({
  createIndex: t.field({
    type: IndexRef,
    args: { input: t.arg({ type: CreateIndexInput, required: true }) },
    errors: { union: { name: 'CreateIndexResult' } },
    resolve: (_r, { input }, ctx) => {
      if (input.regionMethodSpec != null && input.regionMethod != null)
        throw new LoupeError('INVALID_INPUT', 'Give either regionMethod or regionMethodSpec, not both');
      return ctx.loupe.indexes.create({
        name: input.name,
        model: input.model,
        regionMethod: input.regionMethodSpec ?? input.regionMethod,
        imageFields: input.imageFields,
        vectorIndex: input.vectorIndex,
        ocr: input.ocrModel != null ? { model: input.ocrModel } : input.ocr,
        vectorIndexSpec: input.vectorIndexSpec,
      });
    },
  }),
  deleteIndex: t.field({
    type: DeleteIndexPayload,
    args: { name: t.arg.string({ required: true }) },
    errors: { union: { name: 'DeleteIndexResult' } },
    resolve: async (_r, { name }, ctx) => ({ name: (await ctx.loupe.indexes.delete(name)).name }),
  }),
}));
