// The vector store's freshness and catch-up rules (src/repositories/vector-store.ts) with fakes for Postgres: the
// index's last sequence number, the chunk log and the change feed are in memory; FAISS is the real addon (flat, 2-d).
// What is pinned: a search never answers from state older than a write it could know of (its own, an announced one,
// or — without a trustworthy feed — one found by the version check), and it reads Postgres only when the rule says so.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoupeError } from '../../src/domain/errors.js';
import type { IndexRecord } from '../../src/domain/index-settings.js';
import type { Logger } from '../../src/log.js';
import type { ChunkPage } from '../../src/repositories/chunk-log.js';
import type { ChunkMeta } from '../../src/repositories/chunk-map.js';
import type { ChangeSource, IndexChange } from '../../src/repositories/change-feed.js';
import { VectorStore, type ChunkSource, type LastSeqSource } from '../../src/repositories/vector-store.js';
import { RECORD } from './fakes.js';

interface Row {
  seq: bigint;
  vector: [number, number];
  meta: ChunkMeta;
}

/** Postgres as the store sees it: chunk rows and deletions on one sequence, and counters of what was read. */
class FakePostgres implements LastSeqSource, ChunkSource {
  seq = 0n;
  exists = true;
  rows: Row[] = [];
  deletions: { seq: bigint; chunkSeq: bigint }[] = [];
  lastSeqCalls = 0;
  reads: { after: bigint; upTo: bigint; withVectors: boolean }[] = [];

  /** One committed write of a chunk (as the document repository does), returning its sequence number. */
  insert(vector: [number, number], text = `chunk ${this.seq + 1n}`): bigint {
    const seq = ++this.seq;
    this.rows.push({ seq, vector, meta: { documentPk: seq, field: 'image', kind: 'image', box: { x1: 0, y1: 0, x2: 1, y2: 1 }, text } });
    return seq;
  }

  remove(chunkSeq: bigint): void {
    this.rows = this.rows.filter((r) => r.seq !== chunkSeq);
    this.deletions.push({ seq: ++this.seq, chunkSeq });
  }

  async lastSeq(): Promise<bigint | null> {
    this.lastSeqCalls++;
    return this.exists ? this.seq : null;
  }

  async *between(_indexId: number, after: bigint, upTo: bigint, _dim: number, withVectors = true, pageSize = 2): AsyncGenerator<ChunkPage> {
    this.reads.push({ after, upTo, withVectors });
    const rows = this.rows.filter((r) => r.seq > after && r.seq <= upTo).sort((a, b) => (a.seq < b.seq ? -1 : 1));
    for (let i = 0; i < rows.length; i += pageSize) {
      const page = rows.slice(i, i + pageSize);
      yield {
        seqs: BigInt64Array.from(page.map((r) => r.seq)),
        vectors: withVectors ? Float32Array.from(page.flatMap((r) => r.vector)) : new Float32Array(0),
        metas: page.map((r) => r.meta),
      };
    }
  }

  async deletionsBetween(_indexId: number, after: bigint, upTo: bigint): Promise<BigInt64Array> {
    return BigInt64Array.from(this.deletions.filter((d) => d.seq > after && d.seq <= upTo).map((d) => d.chunkSeq));
  }
}

/** The change feed: LISTEN state and what writers announced, set by the test. */
class FakeFeed implements ChangeSource {
  epoch = 1;
  connected = true;
  private readonly seqs = new Map<number, bigint>();
  announced(indexId: number): bigint {
    return this.seqs.get(indexId) ?? 0n;
  }
  announce(indexId: number, seq: bigint): void {
    this.seqs.set(indexId, seq);
  }
  onChange(_fn: (change: IndexChange) => void): void {}
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(options: { feed?: FakeFeed | null; snapshotEvery?: number; verifyEveryMs?: number; dir?: string; db?: FakePostgres } = {}) {
  const db = options.db ?? new FakePostgres();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'loupe-vs-'));
  if (!options.dir) dirs.push(dir);
  const feed = options.feed === undefined ? new FakeFeed() : options.feed;
  const store = new VectorStore(db, db, dir, { snapshotEvery: options.snapshotEvery ?? 1_000, verifyEveryMs: options.verifyEveryMs ?? 60_000 }, quiet, feed);
  return { db, dir, feed, store };
}

async function top(store: VectorStore, query: [number, number], record: IndexRecord = RECORD) {
  const s = await store.searchable(record);
  const hits = await s.search(Float32Array.from(query), 1);
  const seq = hits.ids[0];
  return { size: s.size, seq, meta: seq === undefined ? undefined : s.chunk(seq) };
}

describe('VectorStore catch-up (fakes for Postgres, real FAISS)', () => {
  it('rebuilds from the chunk log on first use, across pages, with the chunk map beside the vectors', async () => {
    const { db, store } = setup();
    db.insert([1, 0], 'east');
    db.insert([0, 1], 'north');
    db.insert([-1, 0], 'west');
    const hit = await top(store, [0, 1]);
    expect(hit.size).toBe(3);
    expect(hit.seq).toBe(2n);
    expect(hit.meta?.text).toBe('north');
    expect(db.reads[0]).toEqual({ after: 0n, upTo: 3n, withVectors: true });
  });

  it('with a connected feed and nothing announced, searches read nothing from Postgres', async () => {
    const { db, store } = setup();
    db.insert([1, 0]);
    await top(store, [1, 0]); // open + first version check
    const calls = db.lastSeqCalls;
    for (let i = 0; i < 5; i++) await top(store, [1, 0]);
    expect(db.lastSeqCalls).toBe(calls);
  });

  it('a write announced by another process is replayed before the next search answers', async () => {
    const { db, feed, store } = setup();
    db.insert([1, 0], 'first');
    expect((await top(store, [0, 1])).meta?.text).toBe('first');
    const seq = db.insert([0, 1], 'other process'); // committed elsewhere: no catchUp() in this process
    // Not announced yet: the store may still answer from what it has (the feed vouches for it).
    expect((await top(store, [0, 1])).size).toBe(1);
    feed!.announce(RECORD.id, seq);
    const hit = await top(store, [0, 1]);
    expect(hit.size).toBe(2);
    expect(hit.meta?.text).toBe('other process');
    expect(db.reads.at(-1)).toMatchObject({ after: 1n, upTo: 2n }); // only the new part was read
  });

  it("a local write (catchUp) is visible to this process's next search, whatever the feed says", async () => {
    const { db, store } = setup();
    db.insert([1, 0]);
    await top(store, [1, 0]);
    db.insert([0, 1], 'mine');
    await store.catchUp(RECORD);
    expect((await top(store, [0, 1])).meta?.text).toBe('mine');
  });

  it('a search started while the catch-up of a local write is still running waits for it', async () => {
    const { db, store } = setup();
    db.insert([1, 0]);
    await top(store, [1, 0]);
    db.insert([0, 1], 'mine');
    const caught = store.catchUp(RECORD); // not awaited: the write path's catch-up is in flight
    const hit = await top(store, [0, 1]);
    await caught;
    expect(hit.size).toBe(2);
    expect(hit.meta?.text).toBe('mine');
  });

  it('without a feed, or with the feed down or reconnected, every search makes the version check', async () => {
    for (const variant of ['none', 'down', 'new epoch'] as const) {
      const { db, feed, store } = setup({ feed: variant === 'none' ? null : new FakeFeed() });
      db.insert([1, 0]);
      await top(store, [1, 0]);
      if (variant === 'down') feed!.connected = false;
      if (variant === 'new epoch') feed!.epoch++; // LISTEN was re-established: announcements may have been missed
      db.insert([0, 1], 'unannounced');
      const before = db.lastSeqCalls;
      const hit = await top(store, [0, 1]);
      expect(db.lastSeqCalls, variant).toBeGreaterThan(before);
      expect(hit.meta?.text, variant).toBe('unannounced');
    }
  });

  it('even with a quiet feed, the state is verified against Postgres after verifyEveryMs', async () => {
    const { db, store } = setup({ verifyEveryMs: 0 });
    db.insert([1, 0]);
    await top(store, [1, 0]);
    db.insert([0, 1], 'missed notification');
    expect((await top(store, [0, 1])).meta?.text).toBe('missed notification');
  });

  it('deletions leave both the vectors and the chunk map', async () => {
    const { db, feed, store } = setup();
    const a = db.insert([1, 0], 'a');
    db.insert([0.9, 0.1], 'b');
    expect((await top(store, [1, 0])).seq).toBe(a);
    db.remove(a);
    feed!.announce(RECORD.id, db.seq);
    const s = await store.searchable(RECORD);
    expect(s.size).toBe(1);
    expect(s.chunk(a)).toBeUndefined();
    expect((await top(store, [1, 0])).meta?.text).toBe('b');
  });

  it('a snapshot is written on flush and the next process replays only what is newer', async () => {
    const first = setup();
    first.db.insert([1, 0]);
    first.db.insert([0, 1]);
    await top(first.store, [1, 0]);
    await first.store.flush();
    first.db.insert([-1, 0], 'after the snapshot');
    const second = setup({ dir: first.dir, db: first.db });
    first.db.reads = [];
    const hit = await top(second.store, [-1, 0]);
    expect(hit.size).toBe(3);
    expect(hit.meta?.text).toBe('after the snapshot');
    expect(first.db.reads).toEqual([{ after: 2n, upTo: 3n, withVectors: true }]);
  });

  it('a snapshot of other settings (index kind or model) is not trusted: the state is rebuilt', async () => {
    const first = setup();
    first.db.insert([1, 0]);
    await top(first.store, [1, 0]);
    await first.store.flush();
    const changed: IndexRecord = { ...RECORD, modelId: 'fake-clip@2' };
    const second = setup({ dir: first.dir, db: first.db });
    first.db.reads = [];
    expect((await top(second.store, [1, 0], changed)).size).toBe(1);
    expect(first.db.reads[0]).toEqual({ after: 0n, upTo: 1n, withVectors: true });
  });

  it('an index deleted in Postgres answers INDEX_NOT_FOUND and its snapshot files are removed', async () => {
    const { db, dir, store } = setup({ snapshotEvery: 1 });
    db.insert([1, 0]);
    await top(store, [1, 0]);
    db.insert([0, 1]);
    await store.catchUp(RECORD); // snapshotEvery 1: saved
    expect(existsSync(join(dir, `${RECORD.id}.json`))).toBe(true);
    db.exists = false;
    await expect(store.catchUp(RECORD)).rejects.toSatisfy((e: unknown) => e instanceof LoupeError && e.code === 'INDEX_NOT_FOUND');
    await store.drop(RECORD.id);
    expect(existsSync(join(dir, `${RECORD.id}.json`))).toBe(false);
    expect(existsSync(join(dir, `${RECORD.id}.faiss`))).toBe(false);
  });

  it('concurrent searches during a catch-up never see a vector whose chunk is missing', async () => {
    const { db, feed, store } = setup();
    for (let i = 0; i < 20; i++) db.insert([Math.cos(i), Math.sin(i)]);
    await top(store, [1, 0]);
    for (let i = 0; i < 20; i++) db.insert([Math.cos(i + 0.5), Math.sin(i + 0.5)]);
    feed!.announce(RECORD.id, db.seq);
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const s = await store.searchable(RECORD);
        const hits = await s.search(Float32Array.from([Math.cos(i), Math.sin(i)]), 5);
        return [...hits.ids].every((seq) => s.chunk(seq) !== undefined);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    expect((await store.searchable(RECORD)).size).toBe(40);
  });
});
