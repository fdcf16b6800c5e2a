// Vector index kinds and their parameters, defined once: defaults, validation, and the string form
// (`ivf_pq?nlist=1024&pqM=32`) the CLI and the API's vectorIndexSpec use.
import { invalidArgument, LoupeError } from './errors.js';
import { preview } from './text.js';

export const VECTOR_INDEX_KINDS = ['flat', 'hnsw', 'hnsw_sq8', 'ivf_pq'] as const;
export type VectorIndexKind = (typeof VECTOR_INDEX_KINDS)[number];
export const VECTOR_REFINES = ['none', 'sq8', 'sq4'] as const;
export type VectorRefine = (typeof VECTOR_REFINES)[number];

export interface VectorIndexSettings {
  kind: VectorIndexKind;
  /** hnsw, hnsw_sq8: graph degree (stored for every kind, as before the compressed kinds existed). */
  hnswM: number;
  /** hnsw, hnsw_sq8: beam width of a search. */
  efSearch: number;
  /** ivf_pq: inverted lists (coarse k-means centroids). */
  nlist?: number;
  /** ivf_pq: PQ sub-quantizers of 8 bits, i.e. bytes of PQ code per vector; divides the embedding dimension. */
  pqM?: number;
  /** ivf_pq: inverted lists visited by a search. */
  nprobe?: number;
  /** ivf_pq: codes kept to re-rank the PQ candidates ('none': PQ scores are final). */
  refine?: VectorRefine;
  /** ivf_pq with refine: k × refineFactor PQ candidates are re-ranked. */
  refineFactor?: number;
  /** hnsw_sq8, ivf_pq: vectors held exactly until this many arrive; the first trainSize (by sequence) train the codes. */
  trainSize?: number;
}

/** The fields a caller may give (GraphQL input, parsed spec); absent ones take the defaults below. */
export type VectorIndexFields = { kind?: string | null } & { [K in Exclude<keyof VectorIndexSettings, 'kind'>]?: VectorIndexSettings[K] | null };

export const VECTOR_INDEX_DEFAULTS = {
  hnswM: 32,
  /** Measured (bench:capacity, 1M clustered 256-d, HNSW32): recall@10 0.938 at 64, 0.984 at 128 for 0.14 ms more p50. */
  efSearch: 128,
  nlist: 1024,
  pqM: 32,
  nprobe: 16,
  refine: 'sq8' as VectorRefine,
  /** Measured (bench:capacity, 100k clustered 256-d): recall@10 0.39 at 4, 0.875 at 32, 0.951 at 64; a few
   * hundred SQ8 re-scores cost microseconds. */
  refineFactor: 64,
  /** hnsw_sq8: SQ8 only learns each dimension's range. */
  sq8TrainSize: 10_000,
  /** ivf_pq: 40 points per k-means centroid (FAISS asks for at least 39), for nlist and for PQ's 256. */
  trainPerCentroid: 40,
} as const;

const PARAMS: Record<VectorIndexKind, readonly string[]> = {
  flat: [],
  hnsw: ['hnswM', 'efSearch'],
  hnsw_sq8: ['hnswM', 'efSearch', 'trainSize'],
  ivf_pq: ['nlist', 'pqM', 'nprobe', 'refine', 'refineFactor', 'trainSize'],
};
/** Legacy: flat accepted (and ignored) hnswM and efSearch before the compressed kinds existed. */
const LEGACY_FLAT = ['hnswM', 'efSearch'];
const INT_PARAMS = ['hnswM', 'efSearch', 'nlist', 'pqM', 'nprobe', 'refineFactor', 'trainSize'];
const MAX_TRAIN = 10_000_000;

function intIn(value: number | null | undefined, fallback: number, lo: number, hi: number, name: string): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < lo || value > hi) throw invalidArgument(`an integer between ${lo} and ${hi}`, name, value);
  return value;
}

/** Validated settings with defaults filled in. `dimension` is the model's embedding size (pqM must divide it). */
export function vectorIndexSettings(input: VectorIndexFields | null | undefined, dimension: number): VectorIndexSettings {
  const fields = input ?? {};
  const kind = (fields.kind ?? 'flat') as VectorIndexKind;
  if (!(VECTOR_INDEX_KINDS as readonly string[]).includes(kind))
    throw invalidArgument(VECTOR_INDEX_KINDS.map((k) => `'${k}'`).join(', '), 'vectorIndex.kind', fields.kind);
  const allowed = kind === 'flat' ? LEGACY_FLAT : PARAMS[kind];
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'kind' || value === null || value === undefined) continue;
    if (!allowed.includes(key)) {
      const takes = PARAMS[kind].length ? `takes ${PARAMS[kind].join(', ')}` : 'takes no parameters';
      throw new LoupeError('INVALID_INPUT', `Vector index kind ${kind} ${takes}; "${key}" does not apply to it`);
    }
  }
  const d = VECTOR_INDEX_DEFAULTS;
  const out: VectorIndexSettings = {
    kind,
    hnswM: intIn(fields.hnswM, d.hnswM, 4, 128, 'vectorIndex.hnswM'),
    efSearch: intIn(fields.efSearch, d.efSearch, 8, 4096, 'vectorIndex.efSearch'),
  };
  if (kind === 'hnsw_sq8') out.trainSize = intIn(fields.trainSize, d.sq8TrainSize, 1, MAX_TRAIN, 'vectorIndex.trainSize');
  if (kind === 'ivf_pq') {
    const nlist = intIn(fields.nlist, d.nlist, 1, 65_536, 'vectorIndex.nlist');
    const pqM = intIn(fields.pqM, Math.min(d.pqM, dimension), 1, dimension, 'vectorIndex.pqM');
    if (dimension % pqM !== 0) throw invalidArgument(`a divisor of the embedding dimension ${dimension}`, 'vectorIndex.pqM', pqM);
    const refine = fields.refine ?? d.refine;
    if (!(VECTOR_REFINES as readonly string[]).includes(refine))
      throw invalidArgument(VECTOR_REFINES.map((r) => `'${r}'`).join(', '), 'vectorIndex.refine', refine);
    const minTrain = Math.max(nlist, 256); // k-means needs a point per centroid
    Object.assign(out, {
      nlist,
      pqM,
      nprobe: intIn(fields.nprobe, Math.min(d.nprobe, nlist), 1, nlist, 'vectorIndex.nprobe'),
      refine,
      refineFactor: intIn(fields.refineFactor, d.refineFactor, 1, 256, 'vectorIndex.refineFactor'),
      trainSize: intIn(fields.trainSize, Math.min(MAX_TRAIN, d.trainPerCentroid * minTrain), minTrain, MAX_TRAIN, 'vectorIndex.trainSize'),
    });
  }
  return out;
}

/** Parses `kind?key=value&...` into fields (validated by vectorIndexSettings). */
export function parseVectorIndexSpec(spec: string): VectorIndexFields {
  if (typeof spec !== 'string') throw invalidArgument('a vector index spec such as ivf_pq?nlist=1024&pqM=32', 'vectorIndexSpec', spec);
  const text = spec.trim();
  const q = text.indexOf('?');
  const fields: Record<string, string | number> = { kind: (q < 0 ? text : text.slice(0, q)).toLowerCase() };
  if (q < 0) return fields;
  for (const pair of text.slice(q + 1).split('&')) {
    const m = /^(\w+)=(.*)$/.exec(pair);
    if (!m) throw new LoupeError('INVALID_INPUT', `Expected key=value parameters in vector index ${preview(text)} but found ${preview(pair)}`);
    const [, key, raw] = m as unknown as [string, string, string];
    if (key === 'kind' || Object.hasOwn(fields, key))
      throw new LoupeError('INVALID_INPUT', `Parameter "${key}" is given twice in vector index ${preview(text)}`);
    if (INT_PARAMS.includes(key)) {
      if (!/^\d{1,9}$/.test(raw)) throw invalidArgument('an integer', `vectorIndex.${key}`, raw);
      fields[key] = Number(raw);
    } else {
      fields[key] = raw.toLowerCase();
    }
  }
  return fields;
}

/** The string form of settings, every parameter of the kind spelled out (what the API reports). */
export function formatVectorIndexSpec(s: VectorIndexSettings): string {
  const params = PARAMS[s.kind].map((key) => `${key}=${String(s[key as keyof VectorIndexSettings])}`);
  return params.length ? `${s.kind}?${params.join('&')}` : s.kind;
}

/** The parameters a built index (and its snapshot) depends on; the search-time ones (efSearch, nprobe,
 * refineFactor) can change without a rebuild. */
export function vectorIndexBuild(s: VectorIndexSettings): {
  kind: VectorIndexKind;
  hnswM?: number;
  nlist?: number;
  pqM?: number;
  refine?: VectorRefine;
  trainSize?: number;
} {
  if (s.kind === 'ivf_pq') return { kind: s.kind, nlist: s.nlist, pqM: s.pqM, refine: s.refine, trainSize: s.trainSize };
  if (s.kind === 'hnsw_sq8') return { kind: s.kind, hnswM: s.hnswM, trainSize: s.trainSize };
  return { kind: s.kind, hnswM: s.hnswM };
}
