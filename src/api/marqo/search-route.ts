// POST /indexes/{name}/search in Marqo 2.x's shapes: the body (q, searchMethod, limit, offset, filter,
// searchableAttributes, attributesToRetrieve, showHighlights, reRanker, ...) becomes one SearchService request;
// the hits come back as `{_id, _score, _highlights: [{field: [x1, y1, x2, y2]}], ...fields}` with Loupe's extra
// scores as `_tensor_score`, `_lexical_score`, `_retrieval_score` and `_rerank_status`.
import { invalidArgument, LoupeError, RequestError } from '../../domain/errors.js';
import { SEARCH_LIMITS, SEARCH_METHODS, type SearchHit, type SearchMethod, type SearchRequest } from '../../domain/search.js';
import { preview } from '../../domain/text.js';
import type { Loupe } from '../../services/loupe.js';
import { parseMarqoFilter } from './filter-string.js';
import { asObject, optionalBoolean, optionalInt, optionalStringList, type MarqoReply } from './reply.js';

/** Body keys Loupe reads. */
const READ = [
  'q',
  'searchMethod',
  'limit',
  'offset',
  'filter',
  'searchableAttributes',
  'attributesToRetrieve',
  'showHighlights',
  'reRanker',
  'hybridParameters',
];
/** Accepted and ignored, with why (named in the x-loupe-note header). */
const IGNORED = new Map<string, string>([
  ['efSearch', 'the index sets its own efSearch (createIndex vectorIndex.efSearch)'],
  ['approximate', 'a flat index is always exact, an HNSW index always approximate'],
  ['textQueryPrefix', 'CLIP-contract models take no text prefix'],
]);
/** Refused when set: Loupe has no equivalent, and dropping them would change the answer silently. */
const REFUSED = [
  'context',
  'scoreModifiers',
  'boost',
  'modelAuth',
  'image_download_headers',
  'rerankDepth',
  'facets',
  'sortBy',
  'relevanceCutoff',
  'collapseFields',
];
/** Hybrid parameters Loupe's fusion matches: disjunction of the two retrievals, reciprocal-rank fusion with k = 60. */
const HYBRID_AS_LOUPE: Record<string, unknown> = { retrievalMethod: 'disjunction', rankingMethod: 'rrf', rrfK: 60, alpha: 0.5 };
const URL_QUERY = /^https?:\/\/\S+$/;

const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** The SearchService request a Marqo search body means, and notes on what was ignored or substituted. */
export function searchRequestOf(
  body: unknown,
  loupe: Loupe,
): { request: SearchRequest; query: unknown; showHighlights: boolean; attributes: string[] | undefined; notes: string[] } {
  const b = asObject(body, 'body');
  const notes: string[] = [];
  for (const key of Object.keys(b)) {
    if (READ.includes(key)) continue;
    const why = IGNORED.get(key);
    if (why !== undefined) {
      if (b[key] !== null && b[key] !== undefined) notes.push(`${key} ignored: ${why}`);
      continue;
    }
    if (REFUSED.includes(key)) {
      if (present(b[key])) throw new LoupeError('INVALID_INPUT', `Search parameter ${key} is not supported by Loupe`);
      continue;
    }
    throw new LoupeError('INVALID_INPUT', `Unknown search parameter ${preview(key)}`);
  }
  const method = (typeof b.searchMethod === 'string' ? b.searchMethod.toUpperCase() : (b.searchMethod ?? 'TENSOR')) as SearchMethod;
  if (!SEARCH_METHODS.includes(method)) throw invalidArgument(SEARCH_METHODS.join(', '), 'searchMethod', b.searchMethod);
  const limit = optionalInt(b.limit, 'limit') ?? 10;
  const offset = optionalInt(b.offset, 'offset') ?? 0;
  const request: SearchRequest = { method, limit, offset, searchableAttributes: optionalStringList(b.searchableAttributes, 'searchableAttributes') };

  const q = b.q;
  if (typeof q === 'string') {
    // As with Marqo's treatUrlsAndPointersAsImages, a URL is an image query (tensor search); text otherwise.
    if (method !== 'LEXICAL' && URL_QUERY.test(q.trim())) request.image = { kind: 'url', url: q.trim() };
    else request.q = q;
  } else if (q !== null && typeof q === 'object' && !Array.isArray(q)) {
    if (method === 'LEXICAL') throw new LoupeError('INVALID_INPUT', 'LEXICAL search takes a string q, not weighted queries');
    request.weighted = Object.entries(q as Record<string, unknown>).map(([text, weight]) => {
      if (typeof weight !== 'number' || !Number.isFinite(weight)) throw invalidArgument('a finite number as the weight', `q[${preview(text)}]`, weight);
      const t = text.trim();
      return URL_QUERY.test(t) ? { image: { kind: 'url' as const, url: t }, weight } : { text, weight };
    });
    if (method === 'HYBRID') throw new LoupeError('INVALID_INPUT', 'HYBRID search takes a string q (its lexical half needs one text)');
  } else {
    throw invalidArgument('a query string or a dict of weighted queries', 'q', q);
  }

  if (b.filter !== undefined && b.filter !== null) {
    if (typeof b.filter !== 'string') throw invalidArgument('a filter string', 'filter', b.filter);
    if (b.filter.trim() !== '') request.where = parseMarqoFilter(b.filter);
  }

  if (b.hybridParameters !== undefined && b.hybridParameters !== null) {
    if (method !== 'HYBRID') throw new LoupeError('INVALID_INPUT', 'hybridParameters are for searchMethod HYBRID');
    const h = asObject(b.hybridParameters, 'hybridParameters');
    for (const [key, value] of Object.entries(h)) {
      if (value === null || value === undefined) continue;
      if (!Object.hasOwn(HYBRID_AS_LOUPE, key) || HYBRID_AS_LOUPE[key] !== value)
        throw new LoupeError(
          'INVALID_INPUT',
          `hybridParameters.${key} = ${preview(value)} is not supported: Loupe's HYBRID is ${Object.entries(HYBRID_AS_LOUPE)
            .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
            .join(', ')}`,
        );
    }
  }

  if (b.reRanker !== undefined && b.reRanker !== null) {
    if (typeof b.reRanker !== 'string') throw invalidArgument('a reranker name such as owl/ViT-B/32', 'reRanker', b.reRanker);
    const owl = loupe.marqoModels.owl(b.reRanker);
    if (owl.note) notes.push(owl.note);
    // Marqo reranks the hits it returns; here the first offset + limit hits are reranked, so pages stay one ordering.
    const depth = offset + limit;
    const max = Math.min(SEARCH_LIMITS.maxRerankDepth, loupe.config.maxRerankImages);
    if (depth > max)
      throw new RequestError(
        'QUERY_TOO_COMPLEX',
        `Reranking reads the first offset + limit = ${depth} hits' images, over the limit of ${max} (LOUPE_MAX_RERANK_IMAGES, at most ${SEARCH_LIMITS.maxRerankDepth})`,
      );
    request.rerank = { model: owl.folder, depth };
  }
  return {
    request,
    query: q,
    showHighlights: optionalBoolean(b.showHighlights, 'showHighlights') ?? true,
    attributes: optionalStringList(b.attributesToRetrieve, 'attributesToRetrieve'),
    notes,
  };
}

function hitOf(hit: SearchHit, showHighlights: boolean, attributes: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hit.fields)) if (!attributes || attributes.includes(k)) out[k] = v;
  out._id = hit.id;
  out._score = hit.score;
  if (showHighlights) out._highlights = hit.highlights.map((h) => ({ [h.field]: h.box ? [h.box.x1, h.box.y1, h.box.x2, h.box.y2] : h.text }));
  if (hit.tensorScore !== null) out._tensor_score = hit.tensorScore;
  if (hit.lexicalScore !== null) out._lexical_score = hit.lexicalScore;
  if (hit.retrievalScore !== null) out._retrieval_score = hit.retrievalScore;
  if (hit.rerankStatus !== null) out._rerank_status = hit.rerankStatus;
  if (hit.rerankMessage !== null) out._rerank_message = hit.rerankMessage;
  return out;
}

export async function search(name: string, body: unknown, loupe: Loupe): Promise<MarqoReply> {
  const { request, query, showHighlights, attributes, notes } = searchRequestOf(body, loupe);
  const res = await loupe.search.search(name, request);
  return {
    body: {
      hits: res.hits.map((h) => hitOf(h, showHighlights, attributes)),
      query,
      limit: res.limit,
      offset: res.offset,
      processingTimeMs: res.processingTimeMs,
    },
    notes,
  };
}
