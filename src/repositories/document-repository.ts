// Documents and their chunks in Postgres: atomic replace, deletes, lookups, full-text search.
import type { FilterNode, MediaInfo } from '../domain/search.js';
import type { ChunkInfo, StoredDocument } from '../domain/documents.js';
import type { OcrChunkData } from '../domain/ocr.js';
import type { Box, DocumentFields } from '../domain/types.js';
import type { Db } from './db/database.js';
import type pg from 'pg';
import { fieldsSql, filterSql } from './filter-sql.js';

export type { ChunkInfo, StoredDocument } from '../domain/documents.js';

export interface NewChunk {
  field: string;
  kind: 'image' | 'text';
  box: Box | null;
  text: string | null;
  /** OCR lines only (a 'text' chunk of an image field, with its line box). */
  ocr?: OcrChunkData | null;
  vector: Float32Array;
}

export interface NewDocument {
  externalId: string;
  fields: DocumentFields;
  media: Record<string, MediaInfo>;
  chunks: NewChunk[];
  /**
   * The indexing task this write comes from (indexing_tasks.version). A document already at this version or a newer
   * one is left as it is (an at-least-once task run again, or overtaken by a newer submission), and the task is marked
   * indexed in the same transaction as the chunks (also when it was cancelled meanwhile: what commits is indexed).
   * Absent: a direct write, always applied.
   */
  version?: bigint;
}

export interface WriteOutcome {
  replaced: boolean;
  /** Left as it was: the document already holds this version or a newer one. */
  skipped?: true;
}

export interface ChunkConstraint {
  /** The document filter (search-request.ts checkWhere); none: every document. */
  where?: FilterNode | null;
  fields?: string[];
}

export interface LexicalMatch {
  documentPk: bigint;
  field: string;
  text: string;
  rank: number;
  /** OCR lines: the line's box, its data, and which of its words share a lexeme with the query. */
  box: Box | null;
  ocr: OcrChunkData | null;
  matchedWords: number[];
}

const toBytes = (v: Float32Array) => new Uint8Array(v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);

export function bytesToVectors(rows: Uint8Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((b, i) => {
    if (b.byteLength !== dim * 4) throw new Error(`stored vector has ${b.byteLength / 4} dims, expected ${dim}`);
    // Copy: the driver's buffer may not be 4-byte aligned.
    out.set(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), i * dim);
  });
  return out;
}

/** Chunks of several documents as column arrays (boxes' nulls as -1, texts' as ''), vectors as one byte string. */
function chunkRows(docs: NewDocument[]) {
  const all = docs.flatMap((d) => d.chunks.map((c, position) => ({ doc: d.externalId, c, position })));
  const vectorBytes = all.length ? all[0]!.c.vector.byteLength : 0;
  const vectors = Buffer.alloc(all.length * vectorBytes);
  all.forEach(({ c }, i) => {
    if (c.vector.byteLength !== vectorBytes) throw new Error(`chunk vectors differ in size (${c.vector.byteLength} vs ${vectorBytes} bytes)`);
    vectors.set(toBytes(c.vector), i * vectorBytes);
  });
  return {
    doc: all.map((r) => r.doc),
    field: all.map((r) => r.c.field),
    kind: all.map((r) => r.c.kind),
    position: all.map((r) => r.position),
    x1: all.map((r) => r.c.box?.x1 ?? -1),
    y1: all.map((r) => r.c.box?.y1 ?? -1),
    x2: all.map((r) => r.c.box?.x2 ?? -1),
    y2: all.map((r) => r.c.box?.y2 ?? -1),
    text: all.map((r) => r.c.text ?? ''),
    ocr: all.map((r) => (r.c.ocr ? JSON.stringify(r.c.ocr) : '')),
    vectors,
    vectorBytes,
  };
}

function boxOf(r: { x1: number | null; y1: number | null; x2: number | null; y2: number | null }): Box | null {
  return r.x1 === null || r.y1 === null || r.x2 === null || r.y2 === null ? null : { x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2 };
}

/** A search page's documents, as a prepared statement on the pool (no ORM on the hot path). */
const DOCUMENTS_BY_PKS = 'SELECT id, external_id, fields, media, created_at, updated_at FROM documents WHERE id = ANY($1::bigint[])';

export class DocumentRepository {
  constructor(
    private readonly prisma: Db,
    /** The pool under `prisma`: byPks reads through it directly (see Database.pool). */
    private readonly pool: pg.Pool,
  ) {}

  /** Inserts or replaces one document and all its chunks in one transaction (see replaceMany). */
  async replace(indexId: number, externalId: string, fields: DocumentFields, media: Record<string, MediaInfo>, chunks: NewChunk[]): Promise<WriteOutcome> {
    const [result] = await this.replaceMany(indexId, [{ externalId, fields, media, chunks }]);
    return result!;
  }

  /**
   * Inserts or replaces several documents (distinct external ids) and all their chunks in ONE transaction of at most
   * five statements whatever the count, in raw SQL: the ORM's per-row query building cost more than Postgres did
   * (bench/README.md). The index row is locked first, so the sequence numbers of one index commit in order (the vector
   * index relies on it).
   */
  async replaceMany(indexId: number, given: NewDocument[]): Promise<WriteOutcome[]> {
    if (!given.length) return [];
    const ids = given.map((d) => d.externalId);
    if (new Set(ids).size !== ids.length) throw new Error('replaceMany: external ids must be distinct within one call');
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT 1 FROM indexes WHERE id = ${indexId} FOR UPDATE`;
        const found = await tx.$queryRaw<{ id: bigint; external_id: string; version: bigint }[]>`
        SELECT id, external_id, version FROM documents WHERE index_id = ${indexId} AND external_id = ANY(${ids}::text[])`;
        const versions = new Map(found.map((d) => [d.external_id, d.version]));
        // Under the index lock, so two workers writing versions of one document cannot both pass this check.
        const stale = (d: NewDocument) => d.version !== undefined && (versions.get(d.externalId) ?? -1n) >= d.version;
        const docs = given.filter((d) => !stale(d));
        const existing = new Map(found.filter((d) => docs.some((x) => x.externalId === d.external_id)).map((d) => [d.external_id, d.id]));
        const rows = chunkRows(docs);
        const versioned = given.filter((d) => d.version !== undefined);
        if (versioned.length)
          await tx.$executeRaw`
          UPDATE indexing_tasks SET status = 'indexed', replaced = v.replaced, code = NULL, message = NULL, updated_at = now()
          FROM unnest(${versioned.map((d) => d.version!)}::bigint[], ${versioned.map((d) => versions.has(d.externalId))}::boolean[]) AS v(version, replaced)
          WHERE indexing_tasks.version = v.version AND (indexing_tasks.status = 'queued' OR indexing_tasks.code = 'CANCELLED')`;
        if (!docs.length) return given.map((d) => ({ replaced: versions.has(d.externalId), skipped: true as const }));
        let deletedMax = 0n;
        if (existing.size) {
          const pks = [...existing.values()];
          const old = docs.filter((d) => existing.has(d.externalId));
          const [gone] = await tx.$queryRaw<{ max: bigint | null }[]>`
          WITH gone AS (DELETE FROM chunks WHERE document_id = ANY(${pks}::bigint[]) RETURNING seq),
          logged AS (
            INSERT INTO chunk_deletions (seq, index_id, chunk_seq)
            SELECT nextval('loupe_seq'), ${indexId}, gone.seq FROM gone
            RETURNING seq)
          SELECT max(seq) AS max FROM logged`;
          deletedMax = gone?.max ?? 0n;
          await tx.$executeRaw`
          UPDATE documents d SET fields = v.fields::jsonb, media = v.media::jsonb, updated_at = now(),
                 version = CASE WHEN v.version < 0 THEN d.version ELSE v.version END
          FROM unnest(${old.map((d) => existing.get(d.externalId)!)}::bigint[], ${old.map((d) => JSON.stringify(d.fields))}::text[],
                      ${old.map((d) => JSON.stringify(d.media))}::text[], ${old.map((d) => d.version ?? -1n)}::bigint[]) AS v(id, fields, media, version)
          WHERE d.id = v.id`;
        }
        const fresh = docs.filter((d) => !existing.has(d.externalId));
        // New documents, every chunk (documents by external id: new ones from the INSERT, replaced ones as they were) and
        // the index's last sequence number, in one statement; the chunk FK is checked at its end, after both inserts.
        await tx.$executeRaw`
        WITH ins AS (
          INSERT INTO documents (index_id, external_id, fields, media, version)
          SELECT ${indexId}, v.external_id, v.fields::jsonb, v.media::jsonb, v.version
          FROM unnest(${fresh.map((d) => d.externalId)}::text[], ${fresh.map((d) => JSON.stringify(d.fields))}::text[],
                      ${fresh.map((d) => JSON.stringify(d.media))}::text[], ${fresh.map((d) => d.version ?? 0n)}::bigint[]) AS v(external_id, fields, media, version)
          RETURNING id, external_id),
        pk AS (
          SELECT external_id, id FROM ins
          UNION ALL SELECT * FROM unnest(${[...existing.keys()]}::text[], ${[...existing.values()]}::bigint[])),
        c AS (
          INSERT INTO chunks (seq, index_id, document_id, field, kind, position, x1, y1, x2, y2, text, ocr, vector)
          SELECT nextval('loupe_seq'), ${indexId}, pk.id, u.field, u.kind, u.position,
                 NULLIF(u.x1, -1), NULLIF(u.y1, -1), NULLIF(u.x2, -1), NULLIF(u.y2, -1),
                 CASE WHEN u.kind = 'text' THEN u.text END, NULLIF(u.ocr, '')::jsonb,
                 substring(${rows.vectors}::bytea FROM (u.ord - 1)::int * ${rows.vectorBytes}::int + 1 FOR ${rows.vectorBytes}::int)
          FROM unnest(${rows.doc}::text[], ${rows.field}::text[], ${rows.kind}::text[], ${rows.position}::int[],
                      ${rows.x1}::int[], ${rows.y1}::int[], ${rows.x2}::int[], ${rows.y2}::int[], ${rows.text}::text[], ${rows.ocr}::text[])
               WITH ORDINALITY AS u(doc, field, kind, position, x1, y1, x2, y2, text, ocr, ord)
          JOIN pk ON pk.external_id = u.doc
          ORDER BY u.ord
          RETURNING seq)
        UPDATE indexes SET last_seq = GREATEST(last_seq, ${deletedMax}::bigint, (SELECT coalesce(max(seq), 0) FROM c))
        WHERE id = ${indexId}`;
        return given.map((d) => (stale(d) ? { replaced: true, skipped: true as const } : { replaced: existing.has(d.externalId) }));
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  /** Deletes documents by external id; their chunk deletions are logged for the vector index. Returns ids deleted. */
  async delete(indexId: number, externalIds: string[]): Promise<string[]> {
    if (!externalIds.length) return [];
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT 1 FROM indexes WHERE id = ${indexId} FOR UPDATE`;
      const docs = await tx.document.findMany({ where: { indexId, externalId: { in: externalIds } }, select: { id: true, externalId: true } });
      if (!docs.length) return [];
      const rows = await tx.$queryRaw<{ seq: bigint }[]>`
        INSERT INTO chunk_deletions (seq, index_id, chunk_seq)
        SELECT nextval('loupe_seq'), ${indexId}, c.seq FROM chunks c WHERE c.document_id = ANY(${docs.map((d) => d.id)}::bigint[])
        RETURNING seq`;
      await tx.document.deleteMany({ where: { id: { in: docs.map((d) => d.id) } } });
      const maxSeq = rows.reduce((m, r) => (r.seq > m ? r.seq : m), 0n);
      if (maxSeq > 0n) await tx.index.update({ where: { id: indexId }, data: { lastSeq: maxSeq } });
      return docs.map((d) => d.externalId);
    });
  }

  async find(indexId: number, externalId: string): Promise<StoredDocument | null> {
    const d = await this.prisma.document.findUnique({ where: { indexId_externalId: { indexId, externalId } } });
    return d ? this.toStored(d) : null;
  }

  async byPks(pks: bigint[]): Promise<Map<bigint, StoredDocument>> {
    if (!pks.length) return new Map();
    type Row = { id: string; external_id: string; fields: unknown; media: unknown; created_at: Date; updated_at: Date };
    const { rows } = await this.pool.query<Row>({ name: 'loupe_documents_by_pks', text: DOCUMENTS_BY_PKS, values: [pks.map(String)] });
    return new Map(
      rows.map((r) => {
        const id = BigInt(r.id);
        return [id, this.toStored({ id, externalId: r.external_id, fields: r.fields, media: r.media, createdAt: r.created_at, updatedAt: r.updated_at })];
      }),
    );
  }

  async chunksOf(documentPk: bigint): Promise<ChunkInfo[]> {
    const rows = await this.prisma.chunk.findMany({
      where: { documentId: documentPk },
      orderBy: { position: 'asc' },
      select: { seq: true, documentId: true, field: true, kind: true, position: true, x1: true, y1: true, x2: true, y2: true, text: true, ocr: true },
    });
    return rows.map((r) => ({ ...this.toChunk(r), ocr: (r.ocr as OcrChunkData | null) ?? null }));
  }

  /** Chunk metadata for vector hits, restricted by an optional constraint (filters, fields). */
  async chunkInfo(seqs: bigint[], constraint: ChunkConstraint = {}): Promise<Map<bigint, ChunkInfo>> {
    if (!seqs.length) return new Map();
    const rows = await this.prisma.$queryRaw<
      {
        seq: bigint;
        document_id: bigint;
        field: string;
        kind: string;
        position: number;
        x1: number | null;
        y1: number | null;
        x2: number | null;
        y2: number | null;
        text: string | null;
      }[]
    >`
      SELECT c.seq, c.document_id, c.field, c.kind, c.position, c.x1, c.y1, c.x2, c.y2, c.text
      FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE c.seq = ANY(${seqs}::bigint[]) AND ${fieldsSql(constraint.fields)} AND ${filterSql(constraint.where)}`;
    return new Map(rows.map((r) => [r.seq, this.toChunk({ ...r, documentId: r.document_id })]));
  }

  async countMatching(indexId: number, constraint: ChunkConstraint): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE c.index_id = ${indexId} AND ${fieldsSql(constraint.fields)} AND ${filterSql(constraint.where)}`;
    return Number(row?.n ?? 0n);
  }

  async matchingSeqs(indexId: number, constraint: ChunkConstraint): Promise<BigInt64Array> {
    const rows = await this.prisma.$queryRaw<{ seq: bigint }[]>`
      SELECT c.seq FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE c.index_id = ${indexId} AND ${fieldsSql(constraint.fields)} AND ${filterSql(constraint.where)}`;
    return BigInt64Array.from(rows.map((r) => r.seq));
  }

  /**
   * Best-matching text chunks by full-text rank (0..1): up to `perDocument` per document (best first), documents by
   * their best chunk. For OCR lines, the words that share a lexeme with the query (the same 'english' stemming as the
   * tsv column) are named by position, so the highlight can be their box.
   */
  async lexical(indexId: number, q: string, constraint: ChunkConstraint, limit: number, offset: number, perDocument = 1): Promise<LexicalMatch[]> {
    const rows = await this.prisma.$queryRaw<
      {
        document_id: bigint;
        field: string;
        text: string;
        rank: number;
        x1: number | null;
        y1: number | null;
        x2: number | null;
        y2: number | null;
        ocr: OcrChunkData | null;
        matched: number[] | null;
      }[]
    >`
      WITH q AS (SELECT websearch_to_tsquery('english', ${q}) AS query, tsvector_to_array(to_tsvector('english', ${q})) AS lexemes),
      hit AS (
        SELECT c.document_id, c.field, c.text, c.x1, c.y1, c.x2, c.y2, c.ocr, ts_rank_cd(c.tsv, q.query, 32)::float8 AS rank,
               row_number() OVER (PARTITION BY c.document_id ORDER BY ts_rank_cd(c.tsv, q.query, 32) DESC, c.position) AS nth
        FROM chunks c JOIN documents d ON d.id = c.document_id, q
        WHERE c.index_id = ${indexId} AND c.kind = 'text' AND c.tsv @@ q.query
          AND ${fieldsSql(constraint.fields)} AND ${filterSql(constraint.where)}
      ),
      docs AS (
        SELECT document_id, rank FROM hit WHERE nth = 1 ORDER BY rank DESC, document_id LIMIT ${limit} OFFSET ${offset}
      )
      SELECT h.document_id, h.field, h.text, h.rank, h.x1, h.y1, h.x2, h.y2, h.ocr,
             CASE WHEN h.ocr IS NULL THEN NULL ELSE (
               SELECT coalesce(array_agg((w.ord - 1)::int ORDER BY w.ord), '{}')
               FROM jsonb_array_elements(h.ocr->'words') WITH ORDINALITY AS w(value, ord), q
               WHERE tsvector_to_array(to_tsvector('english', w.value->>'text')) && q.lexemes) END AS matched
      FROM hit h JOIN docs ON docs.document_id = h.document_id
      WHERE h.nth <= ${perDocument}
      ORDER BY docs.rank DESC, h.document_id, h.nth`;
    return rows.map((r) => ({
      documentPk: r.document_id,
      field: r.field,
      text: r.text,
      rank: r.rank,
      box: boxOf(r),
      ocr: r.ocr,
      matchedWords: r.matched ?? [],
    }));
  }

  private toStored(d: { id: bigint; externalId: string; fields: unknown; media: unknown; createdAt: Date; updatedAt: Date }): StoredDocument {
    return {
      pk: d.id,
      id: d.externalId,
      fields: d.fields as DocumentFields,
      media: d.media as Record<string, MediaInfo>,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    };
  }

  private toChunk(r: {
    seq: bigint;
    documentId: bigint;
    field: string;
    kind: string;
    position: number;
    x1: number | null;
    y1: number | null;
    x2: number | null;
    y2: number | null;
    text: string | null;
  }): ChunkInfo {
    return { seq: r.seq, documentPk: r.documentId, field: r.field, kind: r.kind as 'image' | 'text', position: r.position, box: boxOf(r), text: r.text };
  }
}
