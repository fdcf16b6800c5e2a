// In-memory fakes of the search path's ports (services/ports.ts), for unit tests without Postgres, ONNX Runtime or
// FAISS. Each is the smallest honest implementation: vectors are scored by inner product, filters are evaluated over
// the documents' fields with the same meaning as the SQL (repositories/filter-sql.ts).
import type { IndexRecord } from '../../src/domain/index-settings.js';
import { filterMatches } from '../../src/domain/filter-tree.js';
import type { MediaInfo } from '../../src/domain/search.js';
import type { DecodedImage, DocumentFields } from '../../src/domain/types.js';
import type { OwlDetector } from '../../src/localize/owl-reranker.js';
import type { ChunkConstraint, StoredDocument } from '../../src/repositories/document-repository.js';
import type { SearchableIndex } from '../../src/repositories/vector-store.js';
import type { SearchDeps } from '../../src/services/search-service.js';
import type { EmbeddingModel, ModelProvider } from '../../src/services/ports.js';

export interface FakeDocument {
  pk: bigint;
  id: string;
  fields: DocumentFields;
  /** One image chunk with this vector (seq = pk). */
  vector: number[];
  /** Words the lexical fake finds, with this rank. */
  text?: { words: string[]; rank: number };
  /** What the fake reranker scores this document's image (0..1); absent: the image cannot be read. */
  rerankScore?: number;
}

export const RECORD: IndexRecord = {
  id: 1,
  name: 'fake',
  settings: { model: 'fake-clip', regionMethod: { kind: 'none' }, imageFields: ['image'], vectorIndex: { kind: 'flat', hnswM: 32, efSearch: 64 } },
  modelId: 'fake-clip@1',
  dimension: 2,
  lastSeq: 0n,
  createdAt: new Date(0),
};

const passes = (d: FakeDocument, c: ChunkConstraint) => filterMatches(c.where, d.fields) && (!c.fields?.length || c.fields.includes('image'));

/** A 1×1 image whose red channel carries the document's pk, so the fake reranker knows which document it sees. */
function imageOf(pk: bigint): DecodedImage {
  return { data: Uint8Array.from([Number(pk), 0, 0]), width: 1, height: 1, channels: 3 };
}

/** Scores a batch by the red value of each image's first pixel (the document pk): one patch, one box, the given score. */
function fakeOwl(scoreOf: Map<number, number>): OwlDetector {
  const preprocessing = { size: 1, mode: 'squash', mean: [0, 0, 0], std: [1, 1, 1], rescale: 1, resample: 'bilinear' } as const;
  const detect = async (pixels: Float32Array, b: number) => {
    const logits = new Float32Array(b);
    for (let j = 0; j < b; j++) {
      const p = scoreOf.get(Math.round(pixels[j * 3]!))!;
      logits[j] = Math.log(p / (1 - p));
    }
    return { logits, boxes: new Float32Array(Array.from({ length: b }, () => [0.5, 0.5, 1, 1]).flat()), patches: 1, queries: 1 };
  };
  return {
    id: 'fake-owl',
    preprocessing: { ...preprocessing, mean: [0, 0, 0], std: [1, 1, 1] },
    queryImagePreprocessing: null,
    defaultMinScore: 0.5,
    detect,
    detectByImage: detect,
  };
}

export interface FakeSearch {
  deps: SearchDeps;
  /** Every constraint the documents port was asked about. */
  constraints: ChunkConstraint[];
  /** Images the reranker was given, by document pk, in call order. */
  reranked: bigint[];
}

export function fakeSearchDeps(docs: FakeDocument[], query: number[] = [1, 0]): FakeSearch {
  const byPk = new Map(docs.map((d) => [d.pk, d]));
  const constraints: ChunkConstraint[] = [];
  const reranked: bigint[] = [];
  const dot = (v: number[]) => v.reduce((s, x, i) => s + x * query[i]!, 0);
  const ranked = (subset?: Set<bigint>) =>
    docs
      .filter((d) => !subset || subset.has(d.pk))
      .map((d) => ({ seq: d.pk, score: dot(d.vector) }))
      .sort((a, b) => b.score - a.score || (a.seq < b.seq ? -1 : 1));
  const hits = (list: { seq: bigint; score: number }[], k: number) => ({
    ids: BigInt64Array.from(list.slice(0, k).map((h) => h.seq)),
    scores: Float32Array.from(list.slice(0, k).map((h) => h.score)),
  });
  const view: SearchableIndex = {
    size: docs.length,
    search: async (_q, k) => hits(ranked(), k),
    searchSubset: async (_q, ids, k) => hits(ranked(new Set(ids)), k),
    chunk: (seq) => (byPk.has(seq) ? { documentPk: seq, field: 'image', kind: 'image', box: { x1: 0, y1: 0, x2: 1, y2: 1 }, text: null } : undefined),
  };
  const model: EmbeddingModel = {
    id: RECORD.modelId,
    dimension: 2,
    preprocessing: { size: 1, mode: 'squash', mean: [0, 0, 0], std: [1, 1, 1] },
    embedImages: async () => Float32Array.from(query),
    embedTexts: async () => Float32Array.from(query),
  };
  const owl = fakeOwl(new Map(docs.filter((d) => d.rerankScore !== undefined).map((d) => [Number(d.pk), d.rerankScore!])));
  const models: ModelProvider = {
    get: async () => model,
    defaultModel: 'fake-clip',
    defaultDetector: () => 'none',
    defaultReranker: 'fake-owl',
    owl: async () => owl,
    yolox: () => Promise.reject(new Error('no yolox in this fake')),
    dino: () => Promise.reject(new Error('no dino in this fake')),
    defaultOcr: 'fake-ocr',
    ocr: () => Promise.reject(new Error('no ocr in this fake')),
  };
  const media = (d: FakeDocument): Record<string, MediaInfo> => ({ image: { source: 'url', ref: `https://images.test/${d.pk}`, width: 1, height: 1 } });
  const stored = (d: FakeDocument): StoredDocument => ({
    pk: d.pk,
    id: d.id,
    fields: d.fields,
    media: media(d),
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });
  const deps: SearchDeps = {
    indexes: { cached: async () => RECORD, modelFor: async () => model },
    documents: {
      byPks: async (pks) => new Map(pks.flatMap((pk) => (byPk.has(pk) ? [[pk, stored(byPk.get(pk)!)] as const] : []))),
      countMatching: async (_id, c) => (constraints.push(c), docs.filter((d) => passes(d, c)).length),
      matchingSeqs: async (_id, c) => BigInt64Array.from(docs.filter((d) => passes(d, c)).map((d) => d.pk)),
      chunkInfo: async (seqs, c = {}) =>
        new Map(
          seqs.flatMap((s) =>
            byPk.has(s) && passes(byPk.get(s)!, c)
              ? [[s, { seq: s, documentPk: s, field: 'image', kind: 'image' as const, position: 0, box: null, text: null }] as const]
              : [],
          ),
        ),
      lexical: async (_id, q, c, limit) =>
        docs
          .filter((d) => d.text && passes(d, c) && q.split(/\s+/).some((w) => d.text!.words.includes(w)))
          .sort((a, b) => b.text!.rank - a.text!.rank)
          .slice(0, limit)
          .map((d) => ({ documentPk: d.pk, field: 'label', text: d.text!.words.join(' '), rank: d.text!.rank, box: null, ocr: null, matchedWords: [] })),
    },
    vectors: { searchable: async () => view },
    loader: { load: () => Promise.reject(new Error('no image queries in this fake')) },
    decoder: { inspect: () => Promise.reject(new Error('unused')), decode: () => Promise.reject(new Error('unused')) },
    media: {
      decoded: async (m) => {
        const pk = BigInt(m.ref.split('/').at(-1)!);
        if (byPk.get(pk)?.rerankScore === undefined) throw new Error(`image ${pk} is gone`);
        reranked.push(pk);
        return imageOf(pk);
      },
    },
    models,
    maxPixels: 1_000_000,
  };
  return { deps, constraints, reranked };
}
