// The derived vector index: one FAISS index per Loupe index, rebuilt from Postgres when needed.
// Snapshot on disk tagged with the last sequence number it holds; at first use it loads the snapshot and replays
// newer chunk inserts and deletions from Postgres; a missing or incompatible snapshot means a full rebuild.
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IndexRecord } from '../domain/index-settings.js';
import { VectorIndex, type VectorHits } from '../native/vector-index.js';
import type { DocumentRepository } from './document-repository.js';
import type { IndexRepository } from './index-repository.js';

interface SnapshotMeta {
  format: 1;
  indexId: number;
  seq: string;
  dim: number;
  kind: 'flat' | 'hnsw';
  hnswM: number;
  modelId: string;
}

interface Entry {
  record: IndexRecord;
  meta: Omit<SnapshotMeta, 'seq'>;
  index: VectorIndex;
  applied: bigint;
  unsaved: number;
  queue: Promise<unknown>;
}

export interface VectorStoreLog {
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
}

export class VectorStore {
  private readonly entries = new Map<number, Promise<Entry>>();

  constructor(
    private readonly indexes: IndexRepository,
    private readonly docs: DocumentRepository,
    private readonly dir: string,
    private readonly snapshotEvery: number,
    private readonly log: VectorStoreLog,
  ) {}

  private paths(indexId: number) {
    return { data: join(this.dir, `${indexId}.faiss`), meta: join(this.dir, `${indexId}.json`) };
  }

  /** Brings the index up to date with Postgres and returns it. */
  async current(record: IndexRecord): Promise<VectorIndex> {
    const entry = await this.entry(record);
    await this.serial(entry, () => this.catchUp(record, entry));
    return entry.index;
  }

  async search(record: IndexRecord, query: Float32Array, k: number): Promise<VectorHits> {
    const index = await this.current(record);
    return index.search(query, Math.max(1, Math.min(k, index.size || 1)), record.settings.vectorIndex.efSearch);
  }

  async searchSubset(record: IndexRecord, query: Float32Array, ids: BigInt64Array, k: number): Promise<VectorHits> {
    const index = await this.current(record);
    return index.searchSubset(query, ids, k);
  }

  async size(record: IndexRecord): Promise<number> {
    return (await this.current(record)).size;
  }

  /**
   * Catches every loaded index up with Postgres and writes the snapshots that have unsaved changes (on shutdown: the
   * next start then has nothing to replay).
   */
  async flush(): Promise<void> {
    for (const [indexId, pending] of this.entries) {
      const entry = await pending.catch(() => null);
      if (!entry) continue;
      await this.serial(entry, async () => {
        await this.catchUp(entry.record, entry);
        if (entry.unsaved > 0) await this.save(indexId, entry);
      });
    }
  }

  /** Forgets an index and removes its snapshot (after the index was deleted). */
  async drop(indexId: number): Promise<void> {
    const pending = this.entries.get(indexId);
    this.entries.delete(indexId);
    if (pending) {
      const entry = await pending.catch(() => null);
      if (entry) await entry.queue.catch(() => undefined);
    }
    const p = this.paths(indexId);
    await Promise.all([rm(p.data, { force: true }), rm(`${p.data}.tomb`, { force: true }), rm(p.meta, { force: true })]);
  }

  private entry(record: IndexRecord): Promise<Entry> {
    let pending = this.entries.get(record.id);
    if (!pending) {
      pending = this.open(record);
      pending.catch(() => this.entries.delete(record.id));
      this.entries.set(record.id, pending);
    }
    return pending;
  }

  private serial<T>(entry: Entry, fn: () => Promise<T>): Promise<T> {
    const run = entry.queue.then(fn, fn);
    entry.queue = run.catch(() => undefined);
    return run;
  }

  private async open(record: IndexRecord): Promise<Entry> {
    await mkdir(this.dir, { recursive: true });
    const { kind, hnswM } = record.settings.vectorIndex;
    const meta: Entry['meta'] = { format: 1, indexId: record.id, dim: record.dimension, kind, hnswM, modelId: record.modelId };
    const loaded = await this.loadSnapshot(record);
    if (loaded) return { record, meta, index: loaded.index, applied: loaded.seq, unsaved: 0, queue: Promise.resolve() };
    // Full rebuild from Postgres.
    const started = Date.now();
    const index = VectorIndex.create(record.dimension, kind, hnswM);
    const upTo = (await this.indexes.lastSeq(record.id)) ?? 0n;
    for await (const page of this.docs.chunksBetween(record.id, 0n, upTo, record.dimension)) await index.add(page.vectors, page.seqs);
    const entry: Entry = { record, meta, index, applied: upTo, unsaved: 0, queue: Promise.resolve() };
    if (index.size > 0) {
      this.log.info('vector index rebuilt from Postgres', { index: record.name, vectors: index.size, ms: Date.now() - started });
      await this.save(record.id, entry);
    }
    return entry;
  }

  private async loadSnapshot(record: IndexRecord): Promise<{ index: VectorIndex; seq: bigint } | null> {
    const p = this.paths(record.id);
    if (!existsSync(p.meta) || !existsSync(p.data)) return null;
    try {
      const meta = JSON.parse(await readFile(p.meta, 'utf8')) as SnapshotMeta;
      const want = record.settings.vectorIndex;
      const lastSeq = (await this.indexes.lastSeq(record.id)) ?? 0n;
      const seq = BigInt(meta.seq);
      const compatible =
        meta.format === 1 && meta.indexId === record.id && meta.dim === record.dimension && meta.kind === want.kind &&
        meta.hnswM === want.hnswM && meta.modelId === record.modelId && seq <= lastSeq;
      if (!compatible) {
        this.log.warn('vector snapshot incompatible with the index; rebuilding', { index: record.name });
        return null;
      }
      const index = await VectorIndex.load(p.data);
      if (index.dim !== record.dimension) return null;
      return { index, seq };
    } catch (e) {
      this.log.warn('vector snapshot unreadable; rebuilding', { index: record.name, error: (e as Error).message });
      return null;
    }
  }

  private async catchUp(record: IndexRecord, entry: Entry): Promise<void> {
    const upTo = await this.indexes.lastSeq(record.id);
    if (upTo === null || upTo <= entry.applied) return;
    let changes = 0;
    for await (const page of this.docs.chunksBetween(record.id, entry.applied, upTo, record.dimension)) {
      changes += await entry.index.add(page.vectors, page.seqs);
    }
    const deleted = await this.docs.deletionsBetween(record.id, entry.applied, upTo);
    if (deleted.length) changes += await entry.index.remove(deleted);
    entry.applied = upTo;
    entry.unsaved += Math.max(changes, 1);
    if (entry.unsaved >= this.snapshotEvery) await this.save(record.id, entry);
  }

  private async save(indexId: number, entry: Entry): Promise<void> {
    const p = this.paths(indexId);
    if ((await this.indexes.lastSeq(indexId)) === null) return; // index deleted meanwhile
    const seq = entry.applied;
    await entry.index.save(p.data);
    await writeFile(`${p.meta}.tmp`, JSON.stringify({ ...entry.meta, seq: seq.toString() }));
    await rename(`${p.meta}.tmp`, p.meta);
    entry.unsaved = 0;
  }
}
