// Service vs raw FAISS on exact (flat) indexes: synthetic unit-vector chunks written straight into Postgres (10 per
// document), then text queries through SearchService, each followed by the same-size FAISS top-k on the same index
// (the k the service asks for), so both are measured in the same run under the same load.
import type { Loupe } from '../../src/services/loupe.js';
import { mulberry32 } from '../../src/demo/scenes.js';
import { percentile, randomUnitVectors } from './stats.js';

const WORDS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'cyan', 'brown', 'black'];
const PER_DOC = 10;

export interface FlatRow {
  size: number;
  service: { p50: number; p99: number };
  faiss: { p50: number; p99: number };
  encode: { p50: number };
  /** The service answering a query it answered before (its embedding from the query cache). */
  repeat: { p50: number; p99: number };
}

async function writeChunks(loupe: Loupe, name: string, size: number, seed: number): Promise<void> {
  const record = await loupe.indexes.create({ name, regionMethod: 'none' });
  const prisma = loupe.database.prisma;
  const rnd = mulberry32(seed);
  for (let d = 0; d < size / PER_DOC; d += 500) {
    const docs = Array.from({ length: Math.min(500, size / PER_DOC - d) }, (_, i) => ({
      indexId: record.id,
      externalId: `doc-${d + i}`,
      fields: { n: d + i },
    }));
    await prisma.document.createMany({ data: docs });
    const ids = await prisma.document.findMany({ where: { indexId: record.id, externalId: { in: docs.map((x) => x.externalId) } }, select: { id: true } });
    const seqs = await prisma.$queryRaw<{ seq: bigint }[]>`SELECT nextval('loupe_seq') AS seq FROM generate_series(1, ${ids.length * PER_DOC}::int)`;
    const vectors = randomUnitVectors(ids.length * PER_DOC, record.dimension, rnd);
    const chunks = ids.flatMap((doc, i) =>
      Array.from({ length: PER_DOC }, (_, j) => {
        const at = (i * PER_DOC + j) * record.dimension;
        const v = vectors.slice(at, at + record.dimension);
        return {
          seq: seqs[i * PER_DOC + j]!.seq,
          indexId: record.id,
          documentId: doc.id,
          field: 'image',
          kind: 'image',
          position: j,
          x1: 0,
          y1: 0,
          x2: 10,
          y2: 10,
          vector: new Uint8Array(v.buffer),
        };
      }),
    );
    await prisma.chunk.createMany({ data: chunks });
    const max = seqs.reduce((m, s) => (s.seq > m ? s.seq : m), 0n);
    await prisma.index.update({ where: { id: record.id }, data: { lastSeq: max } });
  }
}

export async function benchFlat(loupe: Loupe, size: number, queries: number): Promise<FlatRow> {
  const name = `bench-${size}`;
  process.stderr.write(`writing ${size} chunks into ${name}...\n`);
  await writeChunks(loupe, name, size, size);
  const record = await loupe.indexes.get(name);
  const model = await loupe.indexes.modelFor(record);
  await loupe.search.search(name, { q: 'warm up' }); // loads the vector index and chunk map from Postgres
  const limit = 10;
  const k = Math.max((limit + 1) * 16, 100); // what SearchService asks FAISS for at this limit
  const service: number[] = [];
  const faiss: number[] = [];
  const encode: number[] = [];
  for (let i = 0; i < queries; i++) {
    // Every query a new text, so the service's query-embedding cache never answers for the text tower here.
    const q = `${WORDS[i % WORDS.length]!} ${Math.floor(i / WORDS.length)}`;
    let t0 = performance.now();
    await loupe.search.search(name, { q, limit });
    service.push(performance.now() - t0);
    t0 = performance.now();
    const vector = await model.embedTexts([q]);
    encode.push(performance.now() - t0);
    const view = await loupe.vectors.searchable(record);
    t0 = performance.now();
    await view.search(vector, k);
    faiss.push(performance.now() - t0);
  }
  const repeat: number[] = [];
  for (let i = 0; i < queries; i++) {
    const t0 = performance.now();
    await loupe.search.search(name, { q: `${WORDS[i % WORDS.length]!} 0`, limit });
    repeat.push(performance.now() - t0);
  }
  const pair = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });
  return { size, service: pair(service), faiss: pair(faiss), encode: { p50: percentile(encode, 50) }, repeat: pair(repeat) };
}
