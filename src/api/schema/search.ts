// The search query: text or image, TENSOR / LEXICAL / HYBRID, filters, pagination; hits with highlight boxes.
import { LoupeError } from '../../domain/errors.js';
import { SEARCH_DEFAULTS, SEARCH_LIMITS, SEARCH_METHODS, type SearchHit, type SearchResponse } from '../../domain/search.js';
import { builder } from '../builder.js';
import { distinctHighlights } from '../../domain/highlights.js';
import { HighlightRef } from './box.js';
import { DocumentRef, MediaRef, mediaList } from './document.js';

const SearchMethodEnum = builder.enumType('SearchMethod', { values: SEARCH_METHODS });

const FilterInput = builder.inputType('FilterInput', {
  description: 'A condition on a document field; several filters are ANDed. A field no document has matches nothing',
  fields: (t) => ({
    field: t.string({ required: true }),
    eq: t.field({
      type: 'JSON',
      description: 'equal to this string, number, boolean or null (null: the field holds null; a document without the field does not match)',
    }),
    in: t.field({ type: ['JSON'], description: 'equal to one of these' }),
    gt: t.float(),
    gte: t.float(),
    lt: t.float(),
    lte: t.float(),
  }),
});

/** A node of the boolean filter tree as GraphQL reads it (unset fields may come as null). */
interface WhereShape {
  and?: WhereShape[] | null;
  or?: WhereShape[] | null;
  not?: WhereShape | null;
  field?: string | null;
  eq?: unknown;
  in?: unknown[] | null;
  gt?: number | null;
  gte?: number | null;
  lt?: number | null;
  lte?: number | null;
}

const WhereInput = builder.inputRef<WhereShape>('WhereInput').implement({
  description: `A boolean filter tree (the one the Marqo filter strings parse to): exactly one of and, or, not, or a field condition (field with eq / in / gt / gte / lt / lte, as in FilterInput). At most ${SEARCH_LIMITS.maxFilterNodes} nodes, ${SEARCH_LIMITS.maxFilterDepth} levels; a document without the field fails a condition, so not of it passes`,
  fields: (t) => ({
    and: t.field({ type: [WhereInput], description: 'every child matches' }),
    or: t.field({ type: [WhereInput], description: 'at least one child matches' }),
    not: t.field({ type: WhereInput, description: 'the child does not match' }),
    field: t.string(),
    // The JSON scalar's input is `unknown`, which Pothos' shape check for an explicit input ref does not accept.
    eq: t.field({ type: 'JSON', description: 'equal to this string, number, boolean or null' }) as never,
    in: t.field({ type: ['JSON'], description: 'equal to one of these' }),
    gt: t.float(),
    gte: t.float(),
    lt: t.float(),
    lte: t.float(),
  }),
});

const ImageQueryInput = builder.inputType('ImageQueryInput', {
  description: 'Search by image: a URL or an uploaded file (one of the two)',
  fields: (t) => ({
    url: t.string(),
    file: t.field({ type: 'File' }),
  }),
});

const RerankInput = builder.inputType('RerankInput', {
  description: 'Second stage: an OWL-ViT-contract detector conditioned on the query text rescores the first hits and boxes the match',
  fields: (t) => ({
    model: t.string({ description: 'Reranker model folder (default: the server default, e.g. color-owl)' }),
    depth: t.int({
      description: `How many first-stage hits to rerank, counted from the top of the result (default: limit; at most ${SEARCH_LIMITS.maxRerankDepth}). Pages are slices of one ordering: the reranked hits, then the first-stage hits past depth`,
    }),
    prompt: t.string({
      description:
        'Text conditioning the detector (default: q). An image query without a prompt is image-guided where the reranker supports it (the default emoji-owl does)',
    }),
    minScore: t.float({ description: 'Drop hits whose detection probability is below this (0..1); hits past depth are dropped too. Unset: keep every hit' }),
    useDefaultMinScore: t.boolean({
      description: "Use the reranker's calibrated minScore (config.json loupe.min_score; emoji-owl: chosen on validation scenes)",
    }),
  }),
});

const RerankStatusEnum = builder.enumType('RerankStatus', {
  values: {
    RERANKED: { description: 'scored by the reranker' },
    IMAGE_UNAVAILABLE: { description: "the hit's image could not be read; kept after the reranked hits" },
  } as const,
});

const SearchInput = builder.inputType('SearchInput', {
  fields: (t) => ({
    q: t.string({ description: 'Text query' }),
    image: t.field({ type: ImageQueryInput }),
    method: t.field({ type: SearchMethodEnum, defaultValue: SEARCH_DEFAULTS.method }),
    limit: t.int({ defaultValue: SEARCH_DEFAULTS.limit }),
    offset: t.int({ defaultValue: SEARCH_DEFAULTS.offset }),
    after: t.string({ description: 'Cursor from a previous response (nextCursor); overrides offset' }),
    filters: t.field({ type: [FilterInput] }),
    where: t.field({ type: WhereInput, description: 'A boolean filter tree, ANDed with filters' }),
    searchableAttributes: t.stringList({ description: 'Only match these fields' }),
    minScore: t.float({ description: 'Drop hits scoring below this (first-stage score)' }),
    rerank: t.field({ type: RerankInput }),
  }),
});

const HitRef = builder.objectRef<SearchHit>('Hit').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    score: t.exposeFloat('score', { description: 'Cosine similarity for TENSOR, full-text rank for LEXICAL, fused RRF score for HYBRID' }),
    tensorScore: t.exposeFloat('tensorScore', { nullable: true }),
    lexicalScore: t.exposeFloat('lexicalScore', { nullable: true }),
    retrievalScore: t.exposeFloat('retrievalScore', { nullable: true, description: 'The first-stage score when a reranker set `score`' }),
    rerankStatus: t.field({ type: RerankStatusEnum, nullable: true, resolve: (h) => h.rerankStatus }),
    rerankMessage: t.exposeString('rerankMessage', { nullable: true }),
    highlights: t.field({
      type: [HighlightRef],
      description:
        'Where the hit matched. Without `limit`: the best place of each stage (one, or two for HYBRID). With `limit` (1-16): up to that many distinct places, best first, across image regions and text read inside images; a box overlapping a better one of the same field (IoU > 0.5) is left out',
      args: { limit: t.arg.int() },
      resolve: (h, { limit }) => (limit === null || limit === undefined ? h.highlights : distinctHighlights(h.allHighlights, limit)),
    }),
    media: t.field({ type: [MediaRef], resolve: (h) => mediaList(h.media) }),
    document: t.field({
      type: DocumentRef,
      resolve: (h) => ({ pk: h.documentPk, id: h.id, fields: h.fields, media: h.media, createdAt: h.createdAt, updatedAt: h.updatedAt }),
    }),
  }),
});

const SearchResponseRef = builder.objectRef<SearchResponse>('SearchResponse').implement({
  fields: (t) => ({
    hits: t.field({ type: [HitRef], resolve: (r) => r.hits }),
    method: t.field({ type: SearchMethodEnum, resolve: (r) => r.method }),
    limit: t.exposeInt('limit'),
    offset: t.exposeInt('offset'),
    nextCursor: t.exposeString('nextCursor', { nullable: true }),
    processingTimeMs: t.exposeFloat('processingTimeMs'),
  }),
});

builder.queryFields((t) => ({
  search: t.field({
    type: SearchResponseRef,
    args: { index: t.arg.string({ required: true }), input: t.arg({ type: SearchInput, required: true }) },
    errors: { union: { name: 'SearchResult' } },
    resolve: async (_r, { index, input }, ctx) => {
      if (input.rerank?.useDefaultMinScore && input.rerank.minScore !== null && input.rerank.minScore !== undefined) {
        throw new LoupeError('INVALID_INPUT', 'Give rerank.minScore or rerank.useDefaultMinScore, not both');
      }
      let image;
      if (input.image?.file && input.image.url) throw new LoupeError('INVALID_INPUT', 'An image query takes either a file or a url, not both');
      if (input.image?.file) {
        const f = input.image.file;
        image = { kind: 'upload' as const, name: f.name, type: f.type || undefined, bytes: new Uint8Array(await f.arrayBuffer()) };
      } else if (input.image?.url) image = { kind: 'url' as const, url: input.image.url };
      return ctx.loupe.search.search(index, {
        q: input.q ?? undefined,
        image,
        method: input.method ?? undefined,
        limit: input.limit ?? undefined,
        offset: input.offset ?? undefined,
        after: input.after ?? undefined,
        filters: input.filters?.map((f) => ({
          field: f.field,
          eq: f.eq as never,
          in: f.in as never,
          gt: f.gt ?? undefined,
          gte: f.gte ?? undefined,
          lt: f.lt ?? undefined,
          lte: f.lte ?? undefined,
        })),
        where: (input.where ?? undefined) as never,
        searchableAttributes: input.searchableAttributes ?? undefined,
        minScore: input.minScore ?? undefined,
        rerank: input.rerank
          ? {
              model: input.rerank.model ?? undefined,
              depth: input.rerank.depth ?? undefined,
              prompt: input.rerank.prompt ?? undefined,
              minScore: input.rerank.useDefaultMinScore ? 'default' : (input.rerank.minScore ?? undefined),
            }
          : undefined,
      });
    },
  }),
}));
