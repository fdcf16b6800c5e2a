// The compressed vector index kinds through GraphQL (yoga.fetch) with real Postgres, ONNX Runtime and FAISS:
// creation from the structured input or the string form, the reported spec, validation, and a search that goes
// through a trained HNSW_SQ8 index.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { sceneImage, type Rgb } from '../helpers/images.js';

const CREATE = `mutation($input: CreateIndexInput!) {
  createIndex(input: $input) { __typename ... on Index { name dimension vectorIndex vectorIndexSpec } ... on LoupeError { code message } }
}`;
const ADD = `mutation($index: String!, $documents: [DocumentInput!]!) {
  addDocuments(index: $index, documents: $documents) { __typename ... on AddDocumentsPayload { succeeded failed } ... on LoupeError { code message } }
}`;
const SEARCH = `query($index: String!, $input: SearchInput!) {
  search(index: $index, input: $input) { __typename ... on SearchResponse { hits { id highlights { box { x1 y1 x2 y2 } } } } ... on LoupeError { code message } }
}`;

const WHITE: Rgb = [255, 255, 255];
let t: TestLoupe;
let dimension: number;

beforeAll(async () => {
  t = await createTestLoupe({ port: 0 });
  const colours: [string, Rgb][] = [
    ['red', [220, 30, 30]],
    ['blue', [30, 60, 220]],
    ['green', [40, 170, 60]],
  ];
  for (const [name, colour] of colours)
    await writeFile(join(t.imageRoot, `${name}.png`), await sceneImage(300, 300, WHITE, [{ x1: 10, y1: 10, x2: 90, y2: 90, colour }]));
}, 180_000);

afterAll(async () => {
  await t?.close();
});

const create = async (input: Record<string, unknown>) => (await t.gql(CREATE, { input })).createIndex;

describe('compressed vector index kinds', () => {
  it('creates IVF_PQ from the structured input and HNSW_SQ8 from the string form, reporting every parameter', async () => {
    const flat = await create({ name: 'plain' });
    expect(flat).toMatchObject({ vectorIndex: 'FLAT', vectorIndexSpec: 'flat' });
    dimension = flat.dimension;
    const pqM = dimension % 8 === 0 ? 8 : 1;
    const ivf = await create({ name: 'ivf', vectorIndex: { kind: 'IVF_PQ', nlist: 64, pqM, refine: 'SQ4' } });
    expect(ivf).toMatchObject({
      __typename: 'Index',
      vectorIndex: 'IVF_PQ',
      vectorIndexSpec: `ivf_pq?nlist=64&pqM=${pqM}&nprobe=16&refine=sq4&refineFactor=64&trainSize=10240`,
    });
    const sq8 = await create({ name: 'sq8', vectorIndexSpec: 'hnsw_sq8?hnswM=16&trainSize=30' });
    expect(sq8).toMatchObject({ vectorIndex: 'HNSW_SQ8', vectorIndexSpec: 'hnsw_sq8?hnswM=16&efSearch=128&trainSize=30' });
  });

  it('rejects what cannot be built with INVALID_INPUT and a message naming the parameter', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ vectorIndexSpec: 'ivf_pq?pqM=7' }, /^Expected a divisor of the embedding dimension \d+ for vectorIndex\.pqM but received 7/],
      [{ vectorIndexSpec: 'ivf_pq?nlist=2048&trainSize=1000' }, /^Expected an integer between 2048 and 10000000 for vectorIndex\.trainSize but received 1000/],
      [{ vectorIndexSpec: 'hnsw?nprobe=4' }, /^Vector index kind hnsw takes hnswM, efSearch; "nprobe" does not apply to it$/],
      [{ vectorIndexSpec: 'annoy' }, /^Expected 'flat', 'hnsw', 'hnsw_sq8', 'ivf_pq' for vectorIndex\.kind but received "annoy"/],
      [{ vectorIndexSpec: 'ivf_pq?nlist=ten' }, /^Expected an integer for vectorIndex\.nlist but received "ten"/],
      [{ vectorIndexSpec: 'ivf_pq?refine=pq' }, /^Expected 'none', 'sq8', 'sq4' for vectorIndex\.refine but received "pq"/],
      [{ vectorIndexSpec: 'flat', vectorIndex: { kind: 'FLAT' } }, /^Give either vectorIndex or vectorIndexSpec, not both$/],
    ];
    for (const [i, [input, message]] of cases.entries()) {
      const res = await create({ name: `bad${i}`, ...input });
      expect(res).toMatchObject({ __typename: 'LoupeError', code: 'INVALID_INPUT' });
      expect(res.message).toMatch(message);
    }
  });

  it('searches through HNSW_SQ8 once trained (3 images × 10 chunks = trainSize 30: SQ8 learns the range of every vector, whatever order the queue indexed them in)', async () => {
    const documents = ['red', 'blue', 'green'].map((id) => ({ id, fields: { image: `${id}.png` } }));
    expect((await t.gql(ADD, { index: 'sq8', documents })).addDocuments).toMatchObject({ succeeded: 3, failed: 0 });
    const record = await t.loupe.indexes.get('sq8');
    const index = await t.loupe.vectors.current(record);
    expect([index.kind, index.trained, index.size]).toEqual(['hnsw_sq8', true, 30]);
    const res = (await t.gql(SEARCH, { index: 'sq8', input: { q: 'red', limit: 3 } })).search;
    expect(res.hits[0]).toMatchObject({ id: 'red', highlights: [{ box: { x1: 0, y1: 0, x2: 100, y2: 100 } }] });
  });
});

describe('loupe index --vector-index', () => {
  const cli = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { timeout: 60_000 });

  it('creates the index with the given kind, and refuses a spec that cannot be built', async () => {
    const server = await startServer(t.loupe, createLogger({}, 'error'));
    try {
      const { stderr } = await cli(['index', t.imageRoot, '--index', 'cli-sq8', '--vector-index', 'hnsw_sq8?trainSize=5', '--url', server.url]);
      expect(stderr).toMatch(/created index "cli-sq8" \(simple, hnsw_sq8\?hnswM=32&efSearch=128&trainSize=5\)/);
      expect(stderr).toMatch(/indexed 3 of 3 into "cli-sq8"/);
      const bad = await cli(['index', t.imageRoot, '--index', 'cli-bad', '--vector-index', 'ivf_pq?nlist=0', '--url', server.url]).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(bad).toMatchObject({ code: 1 });
      expect((bad as { stderr: string }).stderr).toMatch(/INVALID_INPUT: Expected an integer between 1 and 65536 for vectorIndex\.nlist but received 0/);
    } finally {
      await server.server.close();
    }
  });
});
