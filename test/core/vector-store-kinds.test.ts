// The derived-state rule (snapshot tagged with a sequence number, replay of newer rows, rebuild when incompatible)
// holds for the compressed kinds: an index below its trainSize snapshots as exact and untrained, trains in the replay
// that reaches trainSize, and its trained snapshot loads back without a rebuild. Postgres is faked here (the chunk log
// and last_seq are all the vector store reads); test/core/search-state.test.ts covers the real one.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IndexRecord } from '../../src/domain/index-settings.js';
import { vectorIndexSettings, type VectorIndexFields } from '../../src/domain/vector-index.js';
import { createLogger } from '../../src/log.js';
import type { ChunkLog, ChunkPage } from '../../src/repositories/chunk-log.js';
import type { IndexRepository } from '../../src/repositories/index-repository.js';
import { VectorStore } from '../../src/repositories/vector-store.js';
import { mulberry32 } from '../../src/demo/scenes.js';

const dim = 32;

function clustered(n: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const centers = Array.from({ length: 20 }, () => Array.from({ length: dim }, () => rnd() * 2 - 1));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centers[Math.floor(rnd() * centers.length)]!;
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (out[i * dim + j] = c[j]! + (rnd() - 0.5) * 0.4) ** 2;
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= Math.sqrt(norm);
  }
  return out;
}

/** The chunk log of one index in memory: rows 1..n with their vectors, deletions by seq. */
class FakePostgres {
  vectors = clustered(1500, 9);
  rows = 0;
  deleted: { seq: bigint; at: bigint }[] = [];
  lastSeq = 0n;
  reads: { after: bigint; upTo: bigint }[] = [];

  write(upToRow: number): void {
    this.rows = upToRow;
    this.lastSeq = BigInt(upToRow) + BigInt(this.deleted.length);
  }
  remove(seq: bigint): void {
    this.lastSeq += 1n;
    this.deleted.push({ seq, at: this.lastSeq });
  }
  get indexes(): IndexRepository {
    return { lastSeq: async () => this.lastSeq } as unknown as IndexRepository;
  }
  get log(): ChunkLog {
    const self = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the generator below is not an arrow
    return {
      async *between(_id: number, after: bigint, upTo: bigint): AsyncGenerator<ChunkPage> {
        self.reads.push({ after, upTo });
        const gone = new Set(self.deleted.filter((d) => d.at <= upTo).map((d) => d.seq));
        const seqs: bigint[] = [];
        for (let s = Number(after) + 1; s <= Math.min(self.rows, Number(upTo)); s++) if (!gone.has(BigInt(s))) seqs.push(BigInt(s));
        for (let at = 0; at < seqs.length; at += 250) {
          const page = seqs.slice(at, at + 250);
          const vectors = new Float32Array(page.length * dim);
          page.forEach((s, i) => vectors.set(self.vectors.subarray((Number(s) - 1) * dim, Number(s) * dim), i * dim));
          const metas = page.map((s) => ({ documentPk: s, field: 'image', kind: 'image' as const, box: null, text: null }));
          yield { seqs: BigInt64Array.from(page), vectors, metas };
        }
      },
      async deletionsBetween(_id: number, after: bigint, upTo: bigint): Promise<BigInt64Array> {
        return BigInt64Array.from(self.deleted.filter((d) => d.at > after && d.at <= upTo).map((d) => d.seq));
      },
    } as unknown as ChunkLog;
  }
}

function record(fields: VectorIndexFields): IndexRecord {
  return {
    id: 1,
    name: 'kinds',
    settings: { model: 'fake', regionMethod: { kind: 'none' }, imageFields: ['image'], vectorIndex: vectorIndexSettings(fields, dim) },
    modelId: 'fake@1',
    dimension: dim,
    lastSeq: 0n,
    createdAt: new Date(0),
  };
}

const logger = createLogger({}, 'silent');
const top = async (store: VectorStore, r: IndexRecord, q: Float32Array) => Array.from((await (await store.searchable(r)).search(q, 5)).ids);

describe.each([
  ['ivf_pq', { kind: 'ivf_pq', nlist: 16, pqM: 8, trainSize: 600, nprobe: 8 }, 'IVF16,PQ8x8,Refine(SQ8)'],
  ['hnsw_sq8', { kind: 'hnsw_sq8', hnswM: 16, trainSize: 600 }, 'HNSW16,SQ8'],
] as const)('%s through the vector store', (_name, fields, factory) => {
  it('snapshots untrained, trains in the replay that reaches trainSize, reloads trained without a rebuild', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-kinds-'));
    const pg = new FakePostgres();
    const r = record(fields);
    const q = pg.vectors.subarray(123 * dim, 124 * dim);
    const meta = () => JSON.parse(readFileSync(join(dir, '1.json'), 'utf8')) as Record<string, unknown>;

    const first = new VectorStore(pg.indexes, pg.log, dir, { snapshotEvery: 1e9 }, logger);
    pg.write(400);
    await first.catchUp(r);
    expect((await top(first, r, q))[0]).toBe(124n); // exact while untrained
    await first.flush();
    expect(meta()).toMatchObject({ kind: fields.kind, trainSize: 600, factory, trained: false, seq: '400' });

    const second = new VectorStore(pg.indexes, pg.log, dir, { snapshotEvery: 1e9 }, logger);
    pg.write(1200);
    pg.reads = [];
    await second.catchUp(r);
    expect(pg.reads).toEqual([{ after: 400n, upTo: 1200n }]); // loaded the snapshot, replayed only what is newer
    pg.remove(124n);
    await second.catchUp(r);
    const afterDelete = await top(second, r, q);
    expect(afterDelete).not.toContain(124n);
    expect(afterDelete).toHaveLength(5);
    await second.flush();
    expect(meta()).toMatchObject({ factory, trained: true, seq: '1201' });

    const third = new VectorStore(pg.indexes, pg.log, dir, { snapshotEvery: 1e9 }, logger);
    pg.reads = [];
    expect(await top(third, r, q)).toEqual(afterDelete);
    expect(pg.reads.filter((x) => x.after === 0n)).toEqual([]); // no rebuild
    expect((await third.current(r)).trained).toBe(true);
  });

  it('rebuilds from Postgres when the snapshot was built with other parameters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-kinds-'));
    const pg = new FakePostgres();
    pg.write(900);
    const store = new VectorStore(pg.indexes, pg.log, dir, { snapshotEvery: 1e9 }, logger);
    await store.catchUp(record(fields));
    await store.flush();
    const changed = record(fields.kind === 'ivf_pq' ? { ...fields, pqM: 4 } : { ...fields, hnswM: 8 });
    const again = new VectorStore(pg.indexes, pg.log, dir, { snapshotEvery: 1e9 }, logger);
    pg.reads = [];
    const index = await again.current(changed);
    expect(pg.reads[0]).toEqual({ after: 0n, upTo: 900n });
    expect([index.size, index.trained, index.factory]).toEqual([900, true, fields.kind === 'ivf_pq' ? 'IVF16,PQ4x8,Refine(SQ8)' : 'HNSW8,SQ8']);
  });
});
