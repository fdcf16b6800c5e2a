// The search path: encode the query, first stage (TENSOR via FAISS, LEXICAL via Postgres full text, HYBRID by
// reciprocal-rank fusion), group chunks per document, filters, min score, pagination.
import { checkText, invalidArgument, LoupeError } from '../domain/errors.js';
import { FIELD_NAME, type IndexRecord } from '../domain/index-settings.js';
import {
  SEARCH_DEFAULTS,
  SEARCH_LIMITS,
  SEARCH_METHODS,
  type Highlight,
  type ImageQuery,
  type SearchHit,
  type SearchMethod,
  type SearchRequest,
  type SearchResponse,
  type WeightedQuery,
} from '../domain/search.js';
import { MAX_HIGHLIGHTS } from '../domain/highlights.js';
import type { StoredDocument } from '../domain/documents.js';
import type { DecodedImage } from '../domain/types.js';
import { owlRerank } from '../localize/owl-reranker.js';
import { preprocessBatch } from '../native/preprocess.js';
import type { ChunkMeta, DocumentCache } from '../repositories/chunk-map.js';
import type { SearchableIndex } from '../repositories/vector-store.js';
import type { ChunkConstraint } from '../repositories/document-repository.js';
import type { EmbeddingModel, ImageDecoder, ImageLoader, ModelProvider, SearchDocuments, SearchIndexes, SearchMedia, SearchVectors } from './ports.js';
import { checkWeighted, checkWhere, decodeCursor, encodeCursor } from './search-request.js';
import { QueryEmbeddingCache } from './query-cache.js';
import { fuse, lexicalHighlight, type Candidate } from './search-candidates.js';

/** What a search reads; every member is a port, so unit tests pass fakes (test/unit/search-service.test.ts). */
export interface SearchDeps {
  indexes: SearchIndexes;
  documents: SearchDocuments;
  vectors: SearchVectors;
  /** The query image: loaded under the image policy and decoded. */
  loader: ImageLoader;
  decoder: ImageDecoder;
  /** Hits' images for the reranker. */
  media: SearchMedia;
  models: ModelProvider;
  /** Largest decoded image (width × height) of a query image. */
  maxPixels: number;
  /** Up to this many matching chunks a filtered search scores them all exactly instead of post-filtering FAISS hits. */
  filterExactMax?: number;
  /** Text-query embeddings kept per model (LRU entries; 0: none). Default 1024. */
  queryCacheSize?: number;
}

/** A checked rerank request: the model, how deep, the text prompt (null: image-guided by the query image), the cutoff. */
interface RerankPlan {
  model: string;
  depth: number;
  prompt: string | null;
  minScore: number | 'default' | null;
}

export class SearchService {
  private readonly indexes: SearchIndexes;
  private readonly docs: SearchDocuments;
  private readonly vectors: SearchVectors;
  private readonly models: ModelProvider;
  private readonly filterExactMax: number;
  private readonly queryCache: QueryEmbeddingCache;

  constructor(private readonly deps: SearchDeps) {
    this.indexes = deps.indexes;
    this.docs = deps.documents;
    this.vectors = deps.vectors;
    this.models = deps.models;
    this.filterExactMax = deps.filterExactMax ?? 50_000;
    this.queryCache = new QueryEmbeddingCache(deps.queryCacheSize ?? 1024);
  }

  async search(indexName: string, req: SearchRequest): Promise<SearchResponse> {
    const started = performance.now();
    const record = await this.indexes.cached(indexName);
    const method: SearchMethod = req.method ?? SEARCH_DEFAULTS.method;
    if (!SEARCH_METHODS.includes(method)) throw invalidArgument(SEARCH_METHODS.join(', '), 'method', method);
    const limit = req.limit ?? SEARCH_DEFAULTS.limit;
    const { maxLimit, maxOffset } = SEARCH_LIMITS;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) throw invalidArgument(`an integer between 1 and ${maxLimit}`, 'limit', limit);
    let offset = req.offset ?? SEARCH_DEFAULTS.offset;
    if (req.after) offset = decodeCursor(req.after);
    if (!Number.isInteger(offset) || offset < 0 || offset > maxOffset) throw invalidArgument(`an integer between 0 and ${maxOffset}`, 'offset', offset);
    const q = typeof req.q === 'string' ? req.q.trim() : '';
    if (req.q !== undefined && req.q !== null && typeof req.q !== 'string') throw invalidArgument('a string', 'q', req.q);
    if (q.length > 2_000) throw invalidArgument('a query of at most 2000 characters', 'q', `${q.length} characters`);
    checkText(q, 'q');
    const weighted = req.weighted === undefined || req.weighted === null ? null : checkWeighted(req.weighted);
    if (weighted && (q || req.image)) throw new LoupeError('INVALID_INPUT', 'Give a text query (q), an image or weighted queries, not several');
    if (!q && !req.image && !weighted) throw new LoupeError('INVALID_INPUT', 'Empty query: give a text query (q) or an image');
    if (method !== 'TENSOR' && !q) throw new LoupeError('INVALID_INPUT', `${method} search needs a text query (q)`);
    if (req.minScore !== undefined && req.minScore !== null && !Number.isFinite(req.minScore))
      throw invalidArgument('a finite number', 'minScore', req.minScore);
    const attrs = req.searchableAttributes ?? undefined;
    if (attrs !== undefined && (!Array.isArray(attrs) || attrs.length > 64 || attrs.some((a) => typeof a !== 'string' || !FIELD_NAME.test(a))))
      throw invalidArgument('a list of field names', 'searchableAttributes', attrs);
    const constraint: ChunkConstraint = { where: checkWhere(req.filters, req.where), fields: attrs };
    // A weighted query reranks by its highest-weighted text (else image-guided by its highest-weighted image).
    const top = weighted ? [...weighted].sort((a, b) => b.weight - a.weight) : [];
    const rerankText = q || (top.find((p) => p.text !== undefined && p.weight > 0)?.text ?? '');
    const rerankImage = req.image ?? top.find((p) => p.image !== undefined && p.weight > 0)?.image;
    const rerank = req.rerank ? this.checkRerank(req, limit, rerankText, rerankImage !== undefined) : null;
    // Reranking reorders the first `depth` hits of the whole result, so those are always read.
    const need = Math.max(offset + limit, rerank?.depth ?? 0) + 1; // one extra tells whether a next page exists

    let candidates: Candidate[];
    let queryImage: DecodedImage | null = null;
    // Unfiltered TENSOR pages may take their documents from beside the chunk map (as current as the hits); filters,
    // LEXICAL and HYBRID read Postgres as it is now, so their documents come from there too.
    let documents: DocumentCache | undefined;
    if (method === 'LEXICAL') {
      candidates = await this.lexical(record, q, constraint, need);
    } else {
      const model = await this.indexes.modelFor(record);
      const encoded = weighted ? await this.encodeWeighted(model, weighted, rerankImage) : await this.encodeQuery(model, q, req.image);
      const query = encoded.vector;
      queryImage = encoded.image;
      const view = await this.vectors.searchable(record);
      const tensor = await this.tensor(record, view, query, constraint, method === 'HYBRID' ? Math.max(need * 2, 50) : need);
      candidates = method === 'TENSOR' ? tensor : fuse(tensor, await this.lexical(record, q, constraint, Math.max(need * 2, 50)));
      if (method === 'TENSOR' && constraint.where == null && !constraint.fields?.length) documents = view.documents;
    }
    if (req.minScore !== undefined && req.minScore !== null) candidates = candidates.filter((c) => c.score >= req.minScore!);
    const { hits, total } = rerank
      ? await this.rerankedPage(record, candidates, rerank, queryImage, offset, limit, documents)
      : { hits: await this.hitsOf(candidates.slice(offset, offset + limit), documents), total: candidates.length };
    return {
      hits,
      method,
      limit,
      offset,
      nextCursor: total > offset + limit ? encodeCursor(offset + limit) : null,
      processingTimeMs: Math.round((performance.now() - started) * 100) / 100,
    };
  }

  /**
   * One page of the reranked ordering (the rule is on RerankRequest.depth): the first `depth` candidates reranked
   * (unreadable images after them), then the candidates past `depth` in first-stage order — or none of those when a
   * rerank minScore is set, since only hits the detector vouches for survive it. `total` is that ordering's length.
   * The head is reranked on every page that overlaps it (its images come from the media cache), so pages agree.
   */
  private async rerankedPage(
    record: IndexRecord,
    candidates: Candidate[],
    plan: RerankPlan,
    queryImage: DecodedImage | null,
    offset: number,
    limit: number,
    documents: DocumentCache | undefined,
  ): Promise<{ hits: SearchHit[]; total: number }> {
    const depth = Math.min(plan.depth, candidates.length);
    const tail = plan.minScore === null ? candidates.slice(depth) : [];
    if (offset >= depth) {
      // Past the reranked head: first-stage order; the minScore check still runs (an unusable reranker is refused).
      if (plan.minScore !== null) await this.rerank(record, [], plan, queryImage);
      return { hits: await this.hitsOf(tail.slice(offset - depth, offset - depth + limit), documents), total: depth + tail.length };
    }
    const head = await this.rerank(record, await this.hitsOf(candidates.slice(0, depth), documents), plan, queryImage);
    const fromHead = head.slice(offset, offset + limit);
    const fromTail = await this.hitsOf(tail.slice(Math.max(0, offset - head.length), offset + limit - head.length), documents);
    return { hits: [...fromHead, ...fromTail], total: head.length + tail.length };
  }

  /**
   * Candidates as hits with their documents (kept ones from `cache`, one read for the rest); a document deleted between
   * the two reads is left out.
   */
  private async hitsOf(page: Candidate[], cache?: DocumentCache): Promise<SearchHit[]> {
    if (page.length === 0) return [];
    const documents = new Map<bigint, StoredDocument>();
    const missing: bigint[] = [];
    for (const c of page) {
      const d = cache?.document(c.documentPk);
      if (d) documents.set(c.documentPk, d);
      else missing.push(c.documentPk);
    }
    if (missing.length) {
      const epoch = cache?.epoch ?? 0;
      const read = await this.docs.byPks(missing);
      for (const [pk, d] of read) documents.set(pk, d);
      cache?.remember(read.values(), epoch);
    }
    return page.flatMap((c) => {
      const d = documents.get(c.documentPk);
      if (!d) return [];
      return [
        {
          id: d.id,
          documentPk: d.pk,
          createdAt: d.createdAt,
          updatedAt: d.updatedAt,
          score: c.score,
          tensorScore: c.tensorScore,
          lexicalScore: c.lexicalScore,
          retrievalScore: null,
          rerankStatus: null,
          rerankMessage: null,
          highlights: c.highlights,
          allHighlights: c.all,
          fields: d.fields,
          media: d.media,
        },
      ];
    });
  }

  private checkRerank(req: SearchRequest, limit: number, q: string, hasImage: boolean): RerankPlan {
    const r = req.rerank!;
    const depth = r.depth ?? limit;
    const max = SEARCH_LIMITS.maxRerankDepth;
    if (!Number.isInteger(depth) || depth < 1 || depth > max) throw invalidArgument(`an integer between 1 and ${max}`, 'rerank.depth', depth);
    const prompt = (r.prompt ?? q).trim();
    // No text at all: an image query, localized image-guided (what the query image shows) where the model can.
    if (!prompt && !hasImage) throw new LoupeError('INVALID_INPUT', 'Reranking needs a text prompt (rerank.prompt) or an image query');
    if (prompt.length > 1_000) throw invalidArgument('a prompt of at most 1000 characters', 'rerank.prompt', `${prompt.length} characters`);
    checkText(prompt, 'rerank.prompt');
    const minScore = r.minScore;
    if (minScore !== undefined && minScore !== 'default' && !(typeof minScore === 'number' && minScore >= 0 && minScore <= 1)) {
      throw invalidArgument('a number from 0 to 1', 'rerank.minScore', minScore);
    }
    return { model: r.model ?? this.models.defaultReranker, depth, prompt: prompt || null, minScore: minScore ?? null };
  }

  /**
   * Second stage over the head of the result: OWL-ViT conditioned on the prompt scores each hit's first image; new
   * score = best box score, highlight = that box. Hits whose image cannot be read are kept after the reranked ones,
   * marked. With a minScore, reranked hits below it are dropped.
   */
  private async rerank(record: IndexRecord, hits: SearchHit[], opts: RerankPlan, queryImage: DecodedImage | null): Promise<SearchHit[]> {
    const model = await this.models.owl(opts.model);
    const query = opts.prompt ?? (queryImage ? { image: queryImage } : null);
    if (query === null) throw new LoupeError('INVALID_INPUT', 'Reranking needs a text prompt (rerank.prompt) or an image query');
    if (typeof query !== 'string' && !model.queryImagePreprocessing) {
      throw new LoupeError('INVALID_INPUT', `Reranker ${opts.model} cannot be conditioned on an image (it has no image-guided graph): give rerank.prompt`);
    }
    const minScore = opts.minScore === 'default' ? model.defaultMinScore : opts.minScore;
    if (opts.minScore === 'default' && minScore === null) {
      throw new LoupeError('INVALID_INPUT', `Reranker ${opts.model} states no calibrated minScore (config.json loupe.min_score): give rerank.minScore`);
    }
    const loaded = await Promise.all(
      hits.map(async (hit) => {
        const field = record.settings.imageFields.find((f) => Object.hasOwn(hit.media, f));
        if (!field) return { hit, field: null, image: null, error: 'the document has no image' };
        try {
          return { hit, field, image: await this.deps.media.decoded(hit.media[field]!), error: null };
        } catch (e) {
          return { hit, field, image: null, error: (e as Error).message };
        }
      }),
    );
    const readable = loaded.filter((l): l is typeof l & { image: DecodedImage; field: string } => l.image !== null);
    const verdicts = await owlRerank(
      model,
      query,
      readable.map((l) => l.image),
    );
    const reranked = readable.map((l, i) => {
      const v = verdicts[i];
      return {
        ...l.hit,
        retrievalScore: l.hit.score,
        score: v ? v.score : 0,
        rerankStatus: 'RERANKED' as const,
        highlights: v ? [{ field: l.field, box: v.box, text: null }] : l.hit.highlights,
        allHighlights: v ? [{ field: l.field, box: v.box, text: null }, ...l.hit.allHighlights] : l.hit.allHighlights,
      };
    });
    reranked.sort((a, b) => b.score - a.score);
    const unavailable = loaded
      .filter((l) => l.image === null)
      .map((l) => ({ ...l.hit, retrievalScore: l.hit.score, rerankStatus: 'IMAGE_UNAVAILABLE' as const, rerankMessage: l.error }));
    // "Is it there?": only hits the detector vouches for survive a minScore; never-reranked ones cannot.
    if (minScore !== null) return [...reranked.filter((h) => h.score >= minScore), ...unavailable];
    return [...reranked, ...unavailable];
  }

  /** The query's embedding, and the decoded query image for an image query (the reranker may be guided by it). */
  private async encodeQuery(
    model: EmbeddingModel,
    q: string,
    imageQuery: ImageQuery | undefined,
  ): Promise<{ vector: Float32Array; image: DecodedImage | null }> {
    if (imageQuery) {
      const source =
        imageQuery.kind === 'url'
          ? { kind: 'url' as const, url: imageQuery.url }
          : { kind: 'upload' as const, name: imageQuery.name, bytes: imageQuery.bytes, type: imageQuery.type };
      const loaded = await this.deps.loader.load(source);
      const image = await this.deps.decoder.decode(loaded.bytes, { maxPixels: this.deps.maxPixels });
      const pixels = await preprocessBatch(image, new Float32Array([0, 0, image.width, image.height]), model.preprocessing);
      return { vector: await model.embedImages(pixels, 1), image };
    }
    // A text with no words the model knows embeds to zeros: every score is 0, still a valid (empty-handed) answer.
    return { vector: await this.queryCache.embed(model, q), image: null };
  }

  /** The L2-normalised weighted sum of the parts' embeddings; `guide` is the image part a reranker is guided by. */
  private async encodeWeighted(
    model: EmbeddingModel,
    parts: WeightedQuery[],
    guide: ImageQuery | undefined,
  ): Promise<{ vector: Float32Array; image: DecodedImage | null }> {
    const sum = new Float32Array(model.dimension);
    let image: DecodedImage | null = null;
    for (const part of parts) {
      const encoded = await this.encodeQuery(model, part.text ?? '', part.image);
      if (part.image && part.image === guide) image = encoded.image;
      for (let i = 0; i < sum.length; i++) sum[i]! += part.weight * encoded.vector[i]!;
    }
    let norm = 0;
    for (const v of sum) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < sum.length; i++) sum[i]! /= norm;
    return { vector: sum, image };
  }

  /**
   * FAISS top-k over chunks, grouped per document (score = best chunk), deepening k until enough documents. Chunk
   * metadata comes from the in-memory chunk map; only a filtered search too broad for the exact subset path asks
   * Postgres which hits pass the filter.
   */
  private async tensor(record: IndexRecord, view: SearchableIndex, query: Float32Array, constraint: ChunkConstraint, need: number): Promise<Candidate[]> {
    const constrained = (constraint.where ?? null) !== null || (constraint.fields?.length ?? 0) > 0;
    let subset: BigInt64Array | null = null;
    let total = view.size;
    if (constrained) {
      const n = await this.docs.countMatching(record.id, constraint);
      if (n === 0) return [];
      if (n <= this.filterExactMax) {
        subset = await this.docs.matchingSeqs(record.id, constraint);
        total = subset.length;
      }
    }
    if (total === 0) return [];
    let k = Math.min(total, Math.max(need * 16, 100));
    for (;;) {
      const hits = subset ? await view.searchSubset(query, subset, k) : await view.search(query, k);
      let chunk: (seq: bigint) => ChunkMeta | undefined = view.chunk;
      if (constrained && !subset) {
        const seqs: bigint[] = [];
        for (const id of hits.ids) if (id >= 0n) seqs.push(id);
        const passing = await this.docs.chunkInfo(seqs, constraint);
        chunk = (seq) => passing.get(seq);
      }
      const byDoc = new Map<bigint, Candidate>();
      hits.ids.forEach((id, i) => {
        const c = id >= 0n ? chunk(id) : undefined;
        if (!c) return;
        const highlight: Highlight = { field: c.field, box: c.box, text: c.kind === 'text' ? c.text : null };
        const seen = byDoc.get(c.documentPk);
        if (seen) {
          // The document's further chunks, in score order: the other places it matched (highlights(limit:)).
          if (seen.all.length < MAX_HIGHLIGHTS) seen.all.push(highlight);
          return;
        }
        const score = hits.scores[i]!;
        byDoc.set(c.documentPk, { documentPk: c.documentPk, score, tensorScore: score, lexicalScore: null, highlights: [highlight], all: [highlight] });
      });
      if (byDoc.size >= need || k >= total) return [...byDoc.values()];
      k = Math.min(total, k * 4);
    }
  }

  private async lexical(record: IndexRecord, q: string, constraint: ChunkConstraint, need: number): Promise<Candidate[]> {
    const rows = await this.docs.lexical(record.id, q, constraint, need, 0, MAX_HIGHLIGHTS);
    // Rows come grouped by document, best document first, each document's best chunk first: the best is the
    // highlight, all of them the other places it matched.
    const byDoc = new Map<bigint, Candidate>();
    for (const r of rows) {
      const highlight = lexicalHighlight(r);
      const seen = byDoc.get(r.documentPk);
      if (seen) seen.all.push(highlight);
      else
        byDoc.set(r.documentPk, {
          documentPk: r.documentPk,
          score: r.rank,
          tensorScore: null,
          lexicalScore: r.rank,
          highlights: [highlight],
          all: [highlight],
        });
    }
    return [...byDoc.values()];
  }
}
