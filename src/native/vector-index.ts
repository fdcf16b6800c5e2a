// Checked wrapper over the native FAISS index (ID-mapped, inner product; exact flat or HNSW). Like the other
// wrappers, every asynchronous method rejects (never throws) on a bad argument, and a native failure carries the
// caller's stack (callNative).
import { invalidArgument } from '../domain/errors.js';
import { addon, type RawVectorIndex } from './addon.js';
import { callNative } from './call.js';

export type VectorIndexKind = 'flat' | 'hnsw';

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

  static create(dim: number, kind: VectorIndexKind = 'flat', hnswM = 32): VectorIndex {
    if (!Number.isInteger(dim) || dim < 1 || dim > 65536) throw invalidArgument('an integer between 1 and 65536', 'dim', dim);
    if (kind !== 'flat' && kind !== 'hnsw') throw invalidArgument("'flat' or 'hnsw'", 'kind', kind);
    if (!Number.isInteger(hnswM) || hnswM < 2 || hnswM > 256) throw invalidArgument('an integer between 2 and 256', 'hnswM', hnswM);
    return new VectorIndex(new addon.VectorIndex(dim, kind, hnswM));
  }

  /** Loads a snapshot written by save(); rejects when the file is missing, corrupt or not a Loupe index. */
  static async load(path: string): Promise<VectorIndex> {
    if (typeof path !== 'string' || path === '') throw invalidArgument('a file path', 'path', path);
    return new VectorIndex(await callNative('vectorIndex.load', () => addon.VectorIndex.load(path)));
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

  /** Top-k by inner product for each query (nq × dim). */
  async search(queries: Float32Array, k: number, efSearch = 64): Promise<VectorHits> {
    this.checkQueries(queries);
    checkK(k);
    return callNative('vectorIndex.search', () => this.raw.search(queries, k, efSearch));
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
