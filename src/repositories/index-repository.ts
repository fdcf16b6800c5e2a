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

  async counts(indexId: number): Promise<{ documents: number; chunks: number }> {
    const [documents, chunks] = await Promise.all([
      this.prisma.document.count({ where: { indexId } }),
      this.prisma.chunk.count({ where: { indexId } }),
    ]);
    return { documents, chunks };
  }

  async lastSeq(indexId: number): Promise<bigint | null> {
    const row = await this.prisma.index.findUnique({ where: { id: indexId }, select: { lastSeq: true } });
    return row?.lastSeq ?? null;
  }
}
