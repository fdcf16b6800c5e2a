// The chunk log in Postgres as derived state reads it: chunk rows (vector and metadata) and chunk deletions between
// two sequence numbers, in sequence order, for the FAISS index and the chunk map to replay.
import type { Db } from './db/database.js';
import { bytesToVectors } from './document-repository.js';
import type { ChunkMeta } from './chunk-map.js';

export interface ChunkPage {
  seqs: BigInt64Array;
  /** seqs.length × dim floats; empty when the page was read without vectors. */
  vectors: Float32Array;
  metas: ChunkMeta[];
}

interface Row {
  seq: bigint;
  document_id: bigint;
  field: string;
  kind: string;
  x1: number | null;
  y1: number | null;
  x2: number | null;
  y2: number | null;
  text: string | null;
  vector: Uint8Array | null;
}

export class ChunkLog {
  constructor(private readonly prisma: Db) {}

  /** Chunks with after < seq <= upTo, in pages; `withVectors: false` reads the metadata alone (chunk map rebuild). */
  async *between(indexId: number, after: bigint, upTo: bigint, dim: number, withVectors = true, pageSize = 2000): AsyncGenerator<ChunkPage> {
    let cursor = after;
    for (;;) {
      const rows = await this.prisma.$queryRaw<Row[]>`
        SELECT seq, document_id, field, kind, x1, y1, x2, y2, text, CASE WHEN ${withVectors} THEN vector END AS vector
        FROM chunks WHERE index_id = ${indexId} AND seq > ${cursor} AND seq <= ${upTo}
        ORDER BY seq LIMIT ${pageSize}`;
      if (!rows.length) return;
      yield {
        seqs: BigInt64Array.from(rows.map((r) => r.seq)),
        vectors: withVectors
          ? bytesToVectors(
              rows.map((r) => r.vector!),
              dim,
            )
          : new Float32Array(0),
        metas: rows.map((r) => ({
          documentPk: r.document_id,
          field: r.field,
          kind: r.kind === 'text' ? 'text' : 'image',
          box: r.x1 === null || r.y1 === null || r.x2 === null || r.y2 === null ? null : { x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2 },
          text: r.text,
        })),
      };
      cursor = rows[rows.length - 1]!.seq;
      if (rows.length < pageSize) return;
    }
  }

  async deletionsBetween(indexId: number, after: bigint, upTo: bigint): Promise<BigInt64Array> {
    const rows = await this.prisma.$queryRaw<{ chunk_seq: bigint }[]>`
      SELECT chunk_seq FROM chunk_deletions WHERE index_id = ${indexId} AND seq > ${after} AND seq <= ${upTo}`;
    return BigInt64Array.from(rows.map((r) => r.chunk_seq));
  }
}
