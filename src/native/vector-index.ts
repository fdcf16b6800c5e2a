// Checked wrapper over the native FAISS index (ID-mapped, inner product; exact flat, HNSW, and the compressed
// hnsw_sq8 / ivf_pq built through FAISS's index_factory). Like the other wrappers, every asynchronous method rejects
// (never throws) on a bad argument, and a native failure carries the caller's stack (callNative).
import { invalidArgument } from '../domain/errors.js';
import { VECTOR_INDEX_DEFAULTS, vectorIndexBuild, vectorIndexSettings, type VectorIndexKind, type VectorRefine } from '../domain/vector-index.js';
import { addon, type RawVectorIndex, type RawVectorIndexOptions } from './addon.js';
import { callNative } from './call.js';
import { checkInteger } from './check.js';

export type { VectorIndexKind };

/** What a built index depends on (defaults: VECTOR_INDEX_DEFAULTS); only the fields of its kind apply. */
export interface VectorIndexOptions {
  hnswM?: number;
  nlist?: number;
  pqM?: number;
  refine?: VectorRefine;
  trainSize?: number;
}

/** Per-search parameters: efSearch for the HNSW kinds, nprobe and refineFactor for ivf_pq. */
export interface SearchTuning {
  efSearch?: number;
  nprobe?: number;
  refineFactor?: number;
}

export interface VectorHits {
  /** k per query, best first; missing results have id -1n and score -Infinity. */
  scores: Float32Array;
  ids: BigInt64Array;
}

const MAX_K = 1_000_000;

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw invalidArgument(`an integer between 1 and ${MAX_K}`, 'k', k);
}

export class VectorIndex {
  private constructor(private readonly raw: RawVectorIndex) {}

  /** A new empty index; `options` is the HNSW degree (a number) or the build options of the kind. */
  static create(dim: number, kind: VectorIndexKind = 'flat', options: number | VectorIndexOptions = {}): VectorIndex {
    if (!Number.isInteger(dim) || dim < 1 || dim > 65536) throw invalidArgument('an integer between 1 and 65536', 'dim', dim);
    const [k, raw] = buildOptions(dim, kind, options);
    return new VectorIndex(new addon.VectorIndex(dim, k, raw));
  }

  /**
   * Loads a snapshot written by save(); rejects when the file is missing, corrupt or not a Loupe index. With
   * `expect`, the snapshot must hold that kind built with those options (a compressed kind below its trainSize is a
   * flat file that only this tells apart).
   */
  static async load(path: string, expect?: { dim: number; kind: VectorIndexKind; options?: VectorIndexOptions }): Promise<VectorIndex> {
    if (typeof path !== 'string' || path === '') throw invalidArgument('a file path', 'path', path);
    if (!expect) return new VectorIndex(await callNative('vectorIndex.load', () => addon.VectorIndex.load(path)));
    const [kind, raw] = buildOptions(expect.dim, expect.kind, expect.options ?? {});
    const index = new VectorIndex(await callNative('vectorIndex.load', () => addon.VectorIndex.load(path, kind, raw)));
    if (index.dim !== expect.dim) throw new Error(`native vectorIndex.load failed: snapshot ${path} has dimension ${index.dim}, expected ${expect.dim}`);
    return index;
  }

  get size(): number {
    return this.raw.size;
  }
  get dim(): number {
    return this.raw.dim;
  }
  get kind(): VectorIndexKind {
    return this.raw.kind;
  }
  /** FAISS index_factory description of the index once trained, e.g. "IVF1024,PQ32x8,Refine(SQ8)". */
  get factory(): string {
    return this.raw.factory;
  }
  /** False while a compressed kind still holds its vectors exactly (fewer than trainSize so far). */
  get trained(): boolean {
    return this.raw.trained;
  }

  /** Adds vectors (n × dim) with non-negative ids; ids already present are skipped. Resolves to the number added. */
  async add(vectors: Float32Array, ids: BigInt64Array): Promise<number> {
    if (!(vectors instanceof Float32Array)) throw invalidArgument('a Float32Array', 'vectors', vectors);
    if (!(ids instanceof BigInt64Array)) throw invalidArgument('a BigInt64Array', 'ids', ids);
    if (vectors.length !== ids.length * this.dim)
      throw invalidArgument(`${ids.length * this.dim} floats (ids × ${this.dim})`, 'vectors.length', vectors.length);
    for (const id of ids) if (id < 0n) throw invalidArgument('non-negative ids', 'ids', id);
    for (const v of vectors) if (!Number.isFinite(v)) throw invalidArgument('finite numbers', 'vectors', v);
    return callNative('vectorIndex.add', () => this.raw.add(vectors, ids));
  }

  async remove(ids: BigInt64Array): Promise<number> {
    if (!(ids instanceof BigInt64Array)) throw invalidArgument('a BigInt64Array', 'ids', ids);
    return callNative('vectorIndex.remove', () => this.raw.remove(ids));
  }

  /** Top-k by inner product for each query (nq × dim). `tuning` as a number is efSearch. */
  async search(queries: Float32Array, k: number, tuning: number | SearchTuning = {}): Promise<VectorHits> {
    this.checkQueries(queries);
    checkK(k);
    const t = typeof tuning === 'number' ? { efSearch: tuning } : tuning;
    const d = VECTOR_INDEX_DEFAULTS;
    const efSearch = checkInteger(t.efSearch ?? d.efSearch, 'efSearch', 1, 65_536);
    const nprobe = checkInteger(t.nprobe ?? d.nprobe, 'nprobe', 1, 65_536);
    const refineFactor = checkInteger(t.refineFactor ?? d.refineFactor, 'refineFactor', 1, 256);
    return callNative('vectorIndex.search', () => this.raw.search(queries, k, efSearch, nprobe, refineFactor));
  }

  /** Exact top-k restricted to `ids` (used when a filter leaves few candidates). */
  async searchSubset(queries: Float32Array, ids: BigInt64Array, k: number): Promise<VectorHits> {
    this.checkQueries(queries);
    if (!(ids instanceof BigInt64Array)) throw invalidArgument('a BigInt64Array', 'ids', ids);
    checkK(k);
    return callNative('vectorIndex.searchSubset', () => this.raw.searchSubset(queries, ids, k));
  }

  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw invalidArgument('a file path', 'path', path);
    return callNative('vectorIndex.save', () => this.raw.save(path));
  }

  contains(id: bigint): boolean {
    return this.raw.contains(id);
  }

  private checkQueries(queries: Float32Array): void {
    if (!(queries instanceof Float32Array)) throw invalidArgument('a Float32Array', 'queries', queries);
    if (queries.length === 0 || queries.length % this.dim !== 0)
      throw invalidArgument(`a non-empty multiple of ${this.dim} floats`, 'queries.length', queries.length);
  }
}

/** Checks the build options once (the same rules as an index's settings) and shapes them for the addon. */
function buildOptions(dim: number, kind: VectorIndexKind, options: number | VectorIndexOptions): [VectorIndexKind, RawVectorIndexOptions] {
  const o = typeof options === 'number' ? { hnswM: options } : options;
  if (typeof o !== 'object' || o === null) throw invalidArgument('a number (hnswM) or build options', 'options', options);
  const settings = vectorIndexSettings({ kind, ...(kind === 'flat' ? { hnswM: o.hnswM } : o) }, dim);
  const { kind: k, ...raw } = vectorIndexBuild(settings);
  return [k, raw];
}
