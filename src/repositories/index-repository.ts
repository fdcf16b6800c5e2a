// Index rows (name, settings, model id, dimension, last sequence number) in Postgres.
import { LoupeError } from '../domain/errors.js';
import type { IndexRecord, IndexSettings } from '../domain/index-settings.js';
import type { Db } from './db/database.js';

interface IndexRow {
  id: number;
  name: string;
  settings: unknown;
  modelId: string;
  dimension: number;
  lastSeq: bigint;
  createdAt: Date;
}

function toRecord(row: IndexRow): IndexRecord {
  return { ...row, settings: row.settings as IndexSettings };
}

export interface IndexCounts {
  documents: number;
  chunks: number;
}

interface CountedRow {
  id: number;
  name: string;
  settings: unknown;
  model_id: string;
  dimension: number;
  last_seq: bigint;
  created_at: Date;
  documents: bigint;
  chunks: bigint;
}

function countedRecord(r: CountedRow): IndexRecord & { counts: IndexCounts } {
  return {
    ...toRecord({ id: r.id, name: r.name, settings: r.settings, modelId: r.model_id, dimension: r.dimension, lastSeq: r.last_seq, createdAt: r.created_at }),
    counts: { documents: Number(r.documents), chunks: Number(r.chunks) },
  };
}

export class IndexRepository {
  constructor(private readonly prisma: Db) {}

  async create(name: string, settings: IndexSettings, modelId: string, dimension: number): Promise<IndexRecord> {
    try {
      const row = await this.prisma.index.create({
        data: { name, settings: settings as object, modelId, dimension },
      });
      return toRecord(row);
    } catch (e) {
      if ((e as { code?: string }).code === 'P2002') throw new LoupeError('INDEX_EXISTS', `Index "${name}" already exists`);
      throw e;
    }
  }

  async find(name: string): Promise<IndexRecord | null> {
    const row = await this.prisma.index.findUnique({ where: { name } });
    return row ? toRecord(row) : null;
  }

  async get(name: string): Promise<IndexRecord> {
    const found = await this.find(name);
    if (!found) throw new LoupeError('INDEX_NOT_FOUND', `Index "${name}" does not exist`);
    return found;
  }

  async list(): Promise<IndexRecord[]> {
    return (await this.prisma.index.findMany({ orderBy: { name: 'asc' } })).map(toRecord);
  }

  /** Deletes the index and (by cascade) its documents and chunks. Returns false when it did not exist. */
  async delete(name: string): Promise<IndexRecord | null> {
    const found = await this.find(name);
    if (!found) return null;
    await this.prisma.index.delete({ where: { id: found.id } });
    return found;
  }

  /** Every index with its document and chunk counts, in ONE query whatever their number (no per-index round trips). */
  async listWithCounts(name?: string): Promise<(IndexRecord & { counts: IndexCounts })[]> {
    const rows = await this.prisma.$queryRaw<CountedRow[]>`
      SELECT i.id, i.name, i.settings, i.model_id, i.dimension, i.last_seq, i.created_at,
        (SELECT count(*) FROM documents d WHERE d.index_id = i.id) AS documents,
        (SELECT count(*) FROM chunks c WHERE c.index_id = i.id) AS chunks
      FROM indexes i WHERE (${name ?? null}::text IS NULL OR i.name = ${name ?? null}) ORDER BY i.name`;
    return rows.map(countedRecord);
  }

  async counts(indexId: number): Promise<IndexCounts> {
    const [row] = await this.prisma.$queryRaw<{ documents: bigint; chunks: bigint }[]>`
      SELECT (SELECT count(*) FROM documents WHERE index_id = ${indexId}) AS documents,
             (SELECT count(*) FROM chunks WHERE index_id = ${indexId}) AS chunks`;
    return { documents: Number(row?.documents ?? 0n), chunks: Number(row?.chunks ?? 0n) };
  }

  async lastSeq(indexId: number): Promise<bigint | null> {
    const row = await this.prisma.index.findUnique({ where: { id: indexId }, select: { lastSeq: true } });
    return row?.lastSeq ?? null;
  }
}
