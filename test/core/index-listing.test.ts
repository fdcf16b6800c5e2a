// Listing indexes with their counts is one Postgres query whatever their number (no N+1 per index).
// Queries are counted where every one of them goes: pg's Client.prototype.query (Prisma's adapter uses it).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

const LIST = `{ indexes { name documentCount chunkCount } }`;
const ONE = `query($name: String!) { index(name: $name) { __typename ... on Index { name documentCount chunkCount } } }`;

let t: TestLoupe;

beforeAll(async () => {
  t = await createTestLoupe();
}, 180_000);

afterAll(async () => {
  await t?.close();
});

async function queriesDuring<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  try {
    const result = await fn();
    return { result, queries: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

describe('listing indexes', () => {
  it('reads all indexes and their counts in one query, for 1 index as for 6', async () => {
    await t.loupe.indexes.create({ name: 'first', regionMethod: 'none' });
    const one = await queriesDuring(() => t.gql(LIST));
    expect(one.result.indexes).toHaveLength(1);
    for (const name of ['b', 'c', 'd', 'e', 'f']) await t.loupe.indexes.create({ name, regionMethod: 'none' });
    const six = await queriesDuring(() => t.gql(LIST));
    expect(six.result.indexes.map((i: { name: string }) => i.name)).toEqual(['b', 'c', 'd', 'e', 'f', 'first']);
    expect(six.queries).toBe(1);
    expect(one.queries).toBe(1);
  });

  it('counts documents and chunks per index correctly', async () => {
    const record = await t.loupe.indexes.get('b');
    const prisma = t.loupe.database.prisma;
    await prisma.document.createMany({ data: [1, 2, 3].map((n) => ({ indexId: record.id, externalId: `d${n}`, fields: {} })) });
    const docs = await prisma.document.findMany({ where: { indexId: record.id }, select: { id: true } });
    await prisma.chunk.createMany({
      data: docs.flatMap((d, i) =>
        [0, 1].map((j) => ({
          seq: BigInt(1_000 + i * 2 + j),
          indexId: record.id,
          documentId: d.id,
          field: 'image',
          kind: 'image',
          position: j,
          vector: new Uint8Array(4 * record.dimension),
        })),
      ),
    });
    const { result, queries } = await queriesDuring(() => t.gql(LIST));
    const byName = new Map(result.indexes.map((i: { name: string }) => [i.name, i]));
    expect(byName.get('b')).toEqual({ name: 'b', documentCount: 3, chunkCount: 6 });
    expect(byName.get('c')).toEqual({ name: 'c', documentCount: 0, chunkCount: 0 });
    expect(queries).toBe(1);
    const single = await queriesDuring(() => t.gql(ONE, { name: 'b' }));
    expect(single.result.index).toEqual({ __typename: 'Index', name: 'b', documentCount: 3, chunkCount: 6 });
    expect(single.queries).toBe(1);
  });
});
