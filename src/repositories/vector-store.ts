// The derived search state of each Loupe index: a FAISS index (vectors) and a chunk map (seq → document, field, box,
// text), rebuilt from Postgres whenever in doubt. One rule for both:
// - a snapshot on disk tagged with the last sequence number it holds; at first use it is loaded and newer chunk
//   inserts and deletions are replayed from Postgres; a missing or incompatible snapshot means a rebuild;
// - catch-ups are serialised per index, and apply chunk-map rows before their vectors (removals after), so a vector
//   hit always finds its chunk.
// Freshness without per-query Postgres work: the change feed (LISTEN/NOTIFY from the writing transaction, any
// process) announces each index's last sequence number. A search trusts the state when the feed has been connected
// since the last version check (same epoch), nothing newer was announced, no local write is pending and the last check
// is younger than `verifyEveryMs`; otherwise it first reads indexes.last_seq (one indexed row) and replays.
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LoupeError } from '../domain/errors.js';
import type { IndexRecord } from '../domain/index-settings.js';
import { vectorIndexBuild } from '../domain/vector-index.js';
import { VectorIndex, type VectorHits } from '../native/vector-index.js';
import type { ChangeSource } from './change-feed.js';
import type { ChunkLog } from './chunk-log.js';
import { ChunkMap, type ChunkMeta, type DocumentCache } from './chunk-map.js';
import type { IndexRepository } from './index-repository.js';
import type { Logger } from '../log.js';

// The build parameters (vectorIndexBuild: kind, hnswM, and for the compressed kinds nlist / pqM / refine /
// trainSize) must equal the index's settings, or the snapshot is rebuilt. `factory` and `trained` record what FAISS
// holds: a compressed kind below its trainSize is an exact flat file (trained: false) and trains itself, on the
// first trainSize vectors by sequence number, in the replay that reaches that many; the load checks both again.
type SnapshotMeta = {
  format: 1;
  indexId: number;
  seq: string;
  dim: number;
  modelId: string;
  factory?: string;
  trained?: boolean;
} & ReturnType<typeof vectorIndexBuild>;

interface Entry {
  record: IndexRecord;
  meta: Omit<SnapshotMeta, 'seq' | 'factory' | 'trained'>;
  index: VectorIndex;
  chunks: ChunkMap;
  applied: bigint;
  unsaved: number;
  queue: Promise<unknown>;
  /** Feed epoch when the last version check started (-1: the feed was down, so it vouches for nothing). */
  verifiedEpoch: number;
  verifiedAt: number;
}

/** What a search reads: the FAISS index and the chunk map of one index, current as of the freshness rule above. */
export interface SearchableIndex {
  readonly size: number;
  search(query: Float32Array, k: number): Promise<VectorHits>;
  searchSubset(query: Float32Array, ids: BigInt64Array, k: number): Promise<VectorHits>;
  chunk(seq: bigint): ChunkMeta | undefined;
  /** The documents of recent hits, as current as the chunk map (absent: read every page from Postgres). */
  readonly documents?: DocumentCache;
}

/** What the store reads from Postgres: the index's last sequence number, and the chunk log (ports, so a unit test can fake them). */
export type LastSeqSource = Pick<IndexRepository, 'lastSeq'>;
export type ChunkSource = Pick<ChunkLog, 'between' | 'deletionsBetween'>;

export interface VectorStoreOptions {
  snapshotEvery: number;
  /** Even with a connected feed, verify against Postgres at least this often (ms) per searched index. */
  verifyEveryMs?: number;
}

export class VectorStore {
  private readonly entries = new Map<number, Promise<Entry>>();
  /** Indexes with a local write whose catch-up has not started yet (read-your-writes in this process). */
  private readonly stale = new Set<number>();
  /** Indexes with a background catch-up queued (catchUpOpen). */
  private readonly scheduled = new Set<number>();
  private readonly verifyEveryMs: number;

  constructor(
    private readonly indexes: LastSeqSource,
    private readonly log: ChunkSource,
    private readonly dir: string,
    private readonly options: VectorStoreOptions,
    private readonly logger: Logger,
    private readonly feed: ChangeSource | null = null,
  ) {
    this.verifyEveryMs = options.verifyEveryMs ?? 5_000;
  }

  private paths(indexId: number) {
    const data = join(this.dir, `${indexId}.faiss`);
    return { data, tomb: `${data}.tomb`, meta: join(this.dir, `${indexId}.json`), chunks: join(this.dir, `${indexId}.chunks.json`) };
  }

  /**
   * The catch-up API for writers: call after a committed write (once per batch is enough). Marks the index stale at
   * once, so no search in this process answers from the state before the write, then replays it.
   */
  async catchUp(record: IndexRecord): Promise<void> {
    this.stale.add(record.id);
    const entry = await this.entry(record);
    await this.serial(entry, () => this.replay(record, entry));
  }

  /**
   * Replica catch-up: another process committed to an index (the change feed announced it); if this process has it
   * open, replay now in the background so the next search answers without replaying first. Coalesced per index.
   */
  catchUpOpen(indexId: number): void {
    const pending = this.entries.get(indexId);
    if (!pending || this.scheduled.has(indexId)) return;
    this.scheduled.add(indexId);
    void pending
      .then((entry) =>
        this.serial(entry, () => {
          this.scheduled.delete(indexId);
          return this.fresh(entry) ? Promise.resolve() : this.replay(entry.record, entry);
        }),
      )
      .catch((e: Error) => {
        this.scheduled.delete(indexId);
        this.logger.warn('background catch-up failed; the next search replays', { indexId, error: e.message });
      });
  }

  /** Brings the index up to date with Postgres and returns it. */
  async current(record: IndexRecord): Promise<VectorIndex> {
    await this.catchUp(record);
    return (await this.entry(record)).index;
  }

  /** The index's search state; reads Postgres only when the freshness rule asks for a version check. */
  async searchable(record: IndexRecord): Promise<SearchableIndex> {
    const entry = await this.entry(record);
    if (!this.fresh(entry)) await this.serial(entry, () => (this.fresh(entry) ? Promise.resolve() : this.replay(record, entry)));
    const { index, chunks } = entry;
    const { efSearch, nprobe, refineFactor } = record.settings.vectorIndex;
    const tuning = { efSearch, nprobe, refineFactor };
    return {
      size: index.size,
      search: (query, k) => index.search(query, Math.max(1, Math.min(k, index.size || 1)), tuning),
      searchSubset: (query, ids, k) => index.searchSubset(query, ids, k),
      chunk: (seq) => chunks.get(seq),
      documents: chunks,
    };
  }

  async search(record: IndexRecord, query: Float32Array, k: number): Promise<VectorHits> {
    return (await this.searchable(record)).search(query, k);
  }

  async size(record: IndexRecord): Promise<number> {
    return (await this.searchable(record)).size;
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
        await this.replay(entry.record, entry).catch((e: Error) => {
          if (!(e instanceof LoupeError)) throw e; // deleted meanwhile: nothing to save
        });
        if (entry.unsaved > 0) await this.save(indexId, entry);
      });
    }
  }

  /** Forgets an index and removes its snapshot (after the index was deleted, here or in another process). */
  async drop(indexId: number): Promise<void> {
    const pending = this.entries.get(indexId);
    this.entries.delete(indexId);
    this.stale.delete(indexId);
    if (pending) {
      const entry = await pending.catch(() => null);
      if (entry) await entry.queue.catch(() => undefined);
    }
    const p = this.paths(indexId);
    await Promise.all([p.data, p.tomb, p.meta, p.chunks].map((f) => rm(f, { force: true })));
  }

  private fresh(entry: Entry): boolean {
    const feed = this.feed;
    const id = entry.record.id;
    return (
      feed !== null &&
      feed.connected &&
      entry.verifiedEpoch === feed.epoch &&
      !this.stale.has(id) &&
      performance.now() - entry.verifiedAt < this.verifyEveryMs &&
      feed.announced(id) <= entry.applied
    );
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
    const { kind, ...options } = vectorIndexBuild(record.settings.vectorIndex);
    const meta: Entry['meta'] = { format: 1, indexId: record.id, dim: record.dimension, kind, ...options, modelId: record.modelId };
    const fresh = (index: VectorIndex, chunks: ChunkMap, applied: bigint): Entry => ({
      record,
      meta,
      index,
      chunks,
      applied,
      unsaved: 0,
      queue: Promise.resolve(),
      verifiedEpoch: -1,
      verifiedAt: 0,
    });
    const loaded = await this.loadSnapshot(record);
    if (loaded) {
      const chunks = (await ChunkMap.load(this.paths(record.id).chunks, loaded.seq)) ?? (await this.rebuildChunks(record, loaded.seq));
      return fresh(loaded.index, chunks, loaded.seq);
    }
    // Full rebuild from Postgres.
    const started = Date.now();
    const index = VectorIndex.create(record.dimension, kind, options);
    const chunks = new ChunkMap();
    const upTo = (await this.indexes.lastSeq(record.id)) ?? 0n;
    for await (const page of this.log.between(record.id, 0n, upTo, record.dimension)) {
      chunks.set(page.seqs, page.metas);
      await index.add(page.vectors, page.seqs);
    }
    const entry = fresh(index, chunks, upTo);
    if (index.size > 0) {
      this.logger.info('vector index rebuilt from Postgres', { index: record.name, vectors: index.size, ms: Date.now() - started });
      await this.save(record.id, entry);
    }
    return entry;
  }

  /** The chunk map of a FAISS snapshot whose map file is missing: the chunks still in Postgres with seq <= upTo
   * (the replay that follows removes those deleted later, exactly as for the vectors). */
  private async rebuildChunks(record: IndexRecord, upTo: bigint): Promise<ChunkMap> {
    const chunks = new ChunkMap();
    for await (const page of this.log.between(record.id, 0n, upTo, record.dimension, false)) chunks.set(page.seqs, page.metas);
    this.logger.info('chunk map rebuilt from Postgres', { index: record.name, chunks: chunks.size });
    return chunks;
  }

  private async loadSnapshot(record: IndexRecord): Promise<{ index: VectorIndex; seq: bigint } | null> {
    const p = this.paths(record.id);
    if (!existsSync(p.meta) || !existsSync(p.data)) return null;
    try {
      const meta = JSON.parse(await readFile(p.meta, 'utf8')) as SnapshotMeta;
      const { kind, ...options } = vectorIndexBuild(record.settings.vectorIndex);
      const lastSeq = (await this.indexes.lastSeq(record.id)) ?? 0n;
      const seq = BigInt(meta.seq);
      const compatible =
        meta.format === 1 &&
        meta.indexId === record.id &&
        meta.dim === record.dimension &&
        meta.kind === kind &&
        Object.entries(options).every(([key, value]) => meta[key as keyof typeof options] === value) &&
        meta.modelId === record.modelId &&
        seq <= lastSeq;
      if (!compatible) {
        this.logger.warn('vector snapshot incompatible with the index; rebuilding', { index: record.name });
        return null;
      }
      const index = await VectorIndex.load(p.data, { dim: record.dimension, kind, options });
      if (meta.trained !== undefined && meta.trained !== index.trained) {
        this.logger.warn('vector snapshot training state differs from its metadata; rebuilding', { index: record.name });
        return null;
      }
      return { index, seq };
    } catch (e) {
      this.logger.warn('vector snapshot unreadable; rebuilding', { index: record.name, error: (e as Error).message });
      return null;
    }
  }

  /** One version check (indexes.last_seq) and the replay of everything newer. */
  private async replay(record: IndexRecord, entry: Entry): Promise<void> {
    this.stale.delete(record.id); // a write committed from here on marks it again
    const epoch = this.feed?.connected ? this.feed.epoch : -1;
    const at = performance.now();
    const upTo = await this.indexes.lastSeq(record.id);
    if (upTo === null) {
      void this.drop(record.id);
      throw new LoupeError('INDEX_NOT_FOUND', `Index "${record.name}" does not exist`);
    }
    if (upTo > entry.applied) {
      let changes = 0;
      for await (const page of this.log.between(record.id, entry.applied, upTo, record.dimension)) {
        entry.chunks.set(page.seqs, page.metas); // rows before vectors: a hit always finds its chunk
        changes += await entry.index.add(page.vectors, page.seqs);
      }
      const deleted = await this.log.deletionsBetween(record.id, entry.applied, upTo);
      if (deleted.length) {
        changes += await entry.index.remove(deleted); // vectors before rows, for the same reason
        entry.chunks.delete(deleted);
      }
      entry.applied = upTo;
      entry.unsaved += Math.max(changes, 1);
      if (entry.unsaved >= this.options.snapshotEvery) await this.save(record.id, entry);
    }
    entry.verifiedEpoch = epoch;
    entry.verifiedAt = at;
  }

  private async save(indexId: number, entry: Entry): Promise<void> {
    const p = this.paths(indexId);
    if ((await this.indexes.lastSeq(indexId)) === null) return; // index deleted meanwhile
    const seq = entry.applied;
    await entry.index.save(p.data);
    await entry.chunks.save(p.chunks, seq);
    const meta: SnapshotMeta = { ...entry.meta, seq: seq.toString(), factory: entry.index.factory, trained: entry.index.trained };
    await writeFile(`${p.meta}.tmp`, JSON.stringify(meta));
    await rename(`${p.meta}.tmp`, p.meta);
    entry.unsaved = 0;
  }
}
