// In-memory chunk map: chunk sequence number → (document, field, kind, box, text), beside the FAISS index and
// derived from Postgres by the same rule (snapshot tagged with a sequence number, replay, rebuild when missing),
// so a vector hit becomes a highlight without a Postgres round trip.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { StoredDocument } from '../domain/documents.js';
import type { Box } from '../domain/types.js';

/** Documents kept beside the chunk map (most recently returned by a search first out last). */
export const DOCUMENT_CACHE_SIZE = 20_000;

/**
 * The documents of recent search hits, kept as current as the chunk map: every chunk the map adds or removes forgets
 * its document (a replaced document's old chunks are deleted and new ones added; a deleted one's are deleted), and a
 * document read from Postgres is remembered only if no chunk change was applied while it was read.
 */
export interface DocumentCache {
  document(pk: bigint): StoredDocument | undefined;
  /** Changes applied so far: take it before reading documents, give it back to remember(). */
  readonly epoch: number;
  remember(documents: Iterable<StoredDocument>, epoch: number): void;
}

export interface ChunkMeta {
  documentPk: bigint;
  field: string;
  kind: 'image' | 'text';
  box: Box | null;
  text: string | null;
}

// One row per chunk: [seq, documentPk, field index, kind (0 image, 1 text), x1, y1, x2, y2 (or null), text].
type Row = [string, string, number, 0 | 1, number | null, number | null, number | null, number | null, string | null];

interface ChunkFile {
  format: 1;
  seq: string;
  fields: string[];
  rows: Row[];
}

export class ChunkMap implements DocumentCache {
  private readonly bySeq = new Map<bigint, ChunkMeta>();
  private readonly documents = new Map<bigint, StoredDocument>();
  private changes = 0;

  constructor(private readonly documentCapacity = DOCUMENT_CACHE_SIZE) {}

  get size(): number {
    return this.bySeq.size;
  }

  get(seq: bigint): ChunkMeta | undefined {
    return this.bySeq.get(seq);
  }

  set(seqs: BigInt64Array, metas: ChunkMeta[]): void {
    this.changes++;
    seqs.forEach((s, i) => {
      const meta = metas[i]!;
      this.bySeq.set(s, meta);
      this.documents.delete(meta.documentPk);
    });
  }

  delete(seqs: BigInt64Array): void {
    this.changes++;
    for (const s of seqs) {
      const meta = this.bySeq.get(s);
      if (!meta) continue;
      this.documents.delete(meta.documentPk);
      this.bySeq.delete(s);
    }
  }

  get epoch(): number {
    return this.changes;
  }

  /** A document of a search hit, if remembered since its chunks last changed. */
  document(pk: bigint): StoredDocument | undefined {
    const d = this.documents.get(pk);
    if (d) {
      this.documents.delete(pk); // most recently used last
      this.documents.set(pk, d);
    }
    return d;
  }

  remember(documents: Iterable<StoredDocument>, epoch: number): void {
    if (epoch !== this.changes || this.documentCapacity === 0) return;
    for (const d of documents) {
      this.documents.delete(d.pk);
      this.documents.set(d.pk, d);
    }
    while (this.documents.size > this.documentCapacity) this.documents.delete(this.documents.keys().next().value!);
  }

  /** Atomic write (temp file + rename), tagged with the sequence number it is complete up to. */
  async save(path: string, seq: bigint): Promise<void> {
    const fields: string[] = [];
    const fieldIds = new Map<string, number>();
    const rows: Row[] = [];
    for (const [s, m] of this.bySeq) {
      let f = fieldIds.get(m.field);
      if (f === undefined) fieldIds.set(m.field, (f = fields.push(m.field) - 1));
      const b = m.box;
      rows.push([s.toString(), m.documentPk.toString(), f, m.kind === 'text' ? 1 : 0, b?.x1 ?? null, b?.y1 ?? null, b?.x2 ?? null, b?.y2 ?? null, m.text]);
    }
    const file: ChunkFile = { format: 1, seq: seq.toString(), fields, rows };
    await writeFile(`${path}.tmp`, JSON.stringify(file));
    await rename(`${path}.tmp`, path);
  }

  /** Reads a file written by save(); null when it is missing, unreadable or not complete up to `seq`. */
  static async load(path: string, seq: bigint): Promise<ChunkMap | null> {
    let file: ChunkFile;
    try {
      file = JSON.parse(await readFile(path, 'utf8')) as ChunkFile;
    } catch {
      return null;
    }
    if (file?.format !== 1 || file.seq !== seq.toString() || !Array.isArray(file.rows) || !Array.isArray(file.fields)) return null;
    const map = new ChunkMap();
    for (const r of file.rows) {
      const field = file.fields[r[2]];
      if (field === undefined) return null;
      const box = r[4] === null || r[5] === null || r[6] === null || r[7] === null ? null : { x1: r[4], y1: r[5], x2: r[6], y2: r[7] };
      map.bySeq.set(BigInt(r[0]), { documentPk: BigInt(r[1]), field, kind: r[3] === 1 ? 'text' : 'image', box, text: r[8] });
    }
    return map;
  }
}
