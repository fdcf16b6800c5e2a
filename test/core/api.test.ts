// End-to-end through GraphQL (yoga.fetch) with real Postgres, ONNX Runtime and FAISS.
import { writeFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pixelBombPng } from '../io/fixtures.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { iou, sceneImage, serveImages, type ImageServer, type Rgb } from '../helpers/images.js';

const RED: Rgb = [220, 30, 30];
const BLUE: Rgb = [30, 60, 220];
const GREEN: Rgb = [40, 170, 60];
const WHITE: Rgb = [255, 255, 255];

const ADD = `mutation($index: String!, $documents: [DocumentInput!]!) {
  addDocuments(index: $index, documents: $documents) {
    __typename
    ... on AddDocumentsPayload { succeeded failed results { id ok code message } }
    ... on LoupeError { code message }
  }
}`;
const SEARCH = `query($index: String!, $input: SearchInput!) {
  search(index: $index, input: $input) {
    __typename
    ... on SearchResponse { nextCursor processingTimeMs hits { id score tensorScore lexicalScore highlights { field text box { x1 y1 x2 y2 } } document { id fields } } }
    ... on LoupeError { code message }
  }
}`;
const CREATE = `mutation($input: CreateIndexInput!) {
  createIndex(input: $input) { __typename ... on Index { name dimension modelId regionMethod { method hn wn spec } } ... on LoupeError { code message } }
}`;

let t: TestLoupe;
let server: ImageServer;
// Red square inside the top-left cell of a 3×3 grid over 300×300; blue inside the centre cell of 450×300.
const redBox = { x1: 10, y1: 10, x2: 90, y2: 90 };
const blueBox = { x1: 160, y1: 110, x2: 290, y2: 190 };

async function search(index: string, input: Record<string, unknown>) {
  return (await t.gql(SEARCH, { index, input })).search;
}

beforeAll(async () => {
  t = await createTestLoupe();
  const red = await sceneImage(300, 300, WHITE, [{ ...redBox, colour: RED }]);
  const blue = await sceneImage(450, 300, WHITE, [{ ...blueBox, colour: BLUE }], 'jpeg');
  const truncated = (await sceneImage(200, 200, WHITE, [{ x1: 0, y1: 0, x2: 100, y2: 100, colour: GREEN }], 'jpeg')).subarray(0, 300);
  const bomb = pixelBombPng(30_000, 30_000); // a valid PNG header declaring 30000 × 30000, a few hundred bytes
  server = await serveImages({
    '/red.png': { body: red, type: 'image/png' },
    '/blue.jpg': { body: blue, type: 'image/jpeg' },
    '/text.png': { body: Buffer.from('this is not an image'), type: 'image/png' },
    '/truncated.jpg': { body: truncated, type: 'image/jpeg' },
    '/bomb.png': { body: bomb, type: 'image/png' },
  });
  await writeFile(join(t.imageRoot, 'green.png'), await sceneImage(200, 200, WHITE, [{ x1: 100, y1: 100, x2: 200, y2: 200, colour: GREEN }]));
}, 180_000);

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('indexes', () => {
  it('creates an index with a structured or Marqo-style region method and refuses duplicates', async () => {
    const a = (await t.gql(CREATE, { input: { name: 'shots', regionMethod: { method: 'simple', hn: 3, wn: 3 } } })).createIndex;
    expect(a).toMatchObject({ __typename: 'Index', name: 'shots', regionMethod: { method: 'simple', hn: 3, wn: 3, spec: 'simple?hn=3&wn=3' } });
    expect(a.dimension).toBeGreaterThan(0);
    const b = (await t.gql(CREATE, { input: { name: 'marqo', regionMethodSpec: 'simple?hn=2&wn=3' } })).createIndex;
    expect(b.regionMethod).toMatchObject({ hn: 2, wn: 3 });
    const dup = (await t.gql(CREATE, { input: { name: 'shots' } })).createIndex;
    expect(dup).toMatchObject({ __typename: 'LoupeError', code: 'INDEX_EXISTS' });
  });

  it('rejects a bad region method string and a bad index name with INVALID_INPUT', async () => {
    const bad = (await t.gql(CREATE, { input: { name: 'x1', regionMethodSpec: 'simple?hn=zero' } })).createIndex;
    expect(bad).toMatchObject({ __typename: 'LoupeError', code: 'INVALID_INPUT' });
    const bad2 = (await t.gql(CREATE, { input: { name: 'x2', regionMethodSpec: 'squares' } })).createIndex;
    expect(bad2.code).toBe('INVALID_INPUT');
    const badName = (await t.gql(CREATE, { input: { name: '../etc' } })).createIndex;
    expect(badName.code).toBe('INVALID_INPUT');
    expect(badName.message).toMatch(/^Expected .* for name but received "\.\.\/etc" of type string$/);
  });

  it('reports an unknown index as INDEX_NOT_FOUND everywhere', async () => {
    expect((await t.gql(`{ index(name: "nope") { __typename ... on LoupeError { code } } }`)).index.code).toBe('INDEX_NOT_FOUND');
    expect((await search('nope', { q: 'red' })).code).toBe('INDEX_NOT_FOUND');
    expect((await t.gql(ADD, { index: 'nope', documents: [{ fields: { caption: 'x' } }] })).addDocuments.code).toBe('INDEX_NOT_FOUND');
  });
});

describe('indexing a mixed batch', () => {
  let results: { id: string; ok: boolean; code: string | null; message: string | null }[];

  beforeAll(async () => {
    const res = await t.gql(ADD, {
      index: 'shots',
      documents: [
        { id: 'red', fields: { image: server.url('/red.png'), caption: 'a red square in the corner', colour: 'red', size: 300 } },
        { id: 'blue', fields: { image: server.url('/blue.jpg'), caption: 'a blue rectangle in the middle', colour: 'blue', size: 450 } },
        { id: 'green', fields: { image: 'green.png', caption: 'a green square, bottom right', colour: 'green', size: 200 } },
        { id: 'missing', fields: { image: server.url('/missing.png') } },
        { id: 'unreachable', fields: { image: 'http://127.0.0.1:9/x.png' } },
        { id: 'text', fields: { image: server.url('/text.png') } },
        { id: 'truncated', fields: { image: server.url('/truncated.jpg') } },
        { id: 'bomb', fields: { image: server.url('/bomb.png') } },
        { id: 'private', fields: { image: 'http://10.1.2.3/cat.png' } },
        { id: 'metadata', fields: { image: 'http://169.254.169.254/latest/meta-data' } },
        { id: 'escape', fields: { image: '../../etc/passwd' } },
        { id: 'badfield', fields: { image: server.url('/red.png'), nested: { a: 1 } } },
      ],
    });
    expect(res.addDocuments.__typename).toBe('AddDocumentsPayload');
    results = res.addDocuments.results;
  }, 120_000);

  const codeOf = (id: string) => results.find((r) => r.id === id);

  it('indexes the good documents', () => {
    for (const id of ['red', 'blue', 'green']) expect(codeOf(id), id).toMatchObject({ ok: true });
  });

  it.each([
    ['missing', 'IMAGE_FETCH_FAILED', /404/],
    ['unreachable', 'IMAGE_FETCH_FAILED', /./],
    ['text', 'IMAGE_UNREADABLE', /./],
    ['truncated', 'IMAGE_UNREADABLE', /./],
    ['bomb', 'IMAGE_TOO_LARGE', /30000/],
    ['private', 'FORBIDDEN_ADDRESS', /10\.1\.2\.3/],
    ['metadata', 'FORBIDDEN_ADDRESS', /169\.254/],
    ['escape', 'PATH_NOT_ALLOWED', /./],
    ['badfield', 'INVALID_INPUT', /fields\.nested/],
  ])('reports %s as %s', (id, code, message) => {
    const r = codeOf(id)!;
    expect(r.ok).toBe(false);
    expect(r.code).toBe(code);
    expect(r.message).toMatch(message);
  });

  it('stores chunk 0 as the whole image and grid cells in original pixels', async () => {
    const res = await t.gql(
      `{ document(index: "shots", id: "blue") { __typename ... on Document { media { width height } regions { field kind position box { x1 y1 x2 y2 } text } } } }`,
    );
    const doc = res.document;
    expect(doc.media).toEqual([{ width: 450, height: 300 }]);
    const image = doc.regions.filter((r: { kind: string }) => r.kind === 'image');
    expect(image).toHaveLength(10);
    expect(image[0].box).toEqual({ x1: 0, y1: 0, x2: 450, y2: 300 });
    expect(image[5].box).toEqual({ x1: 150, y1: 100, x2: 300, y2: 200 }); // centre cell
    const text = doc.regions.filter((r: { kind: string }) => r.kind === 'text');
    expect(text.map((r: { field: string }) => r.field).sort()).toEqual(['caption', 'colour']);
  });

  it('finds the red image by text and highlights the cell holding the red square', async () => {
    const res = await search('shots', { q: 'red', searchableAttributes: ['image'] });
    expect(res.__typename).toBe('SearchResponse');
    expect(res.hits[0].id).toBe('red');
    const box = res.hits[0].highlights[0].box;
    expect(iou(box, { x1: 0, y1: 0, x2: 100, y2: 100 })).toBeGreaterThan(0.99);
    expect(res.hits[0].score).toBeGreaterThan(res.hits[1].score);
  });

  it('highlights the blue object in the centre and the green one at the bottom right', async () => {
    const blue = await search('shots', { q: 'blue', searchableAttributes: ['image'] });
    expect(blue.hits[0].id).toBe('blue');
    expect(iou(blue.hits[0].highlights[0].box, { x1: 150, y1: 100, x2: 300, y2: 200 })).toBeGreaterThan(0.99);
    const green = await search('shots', { q: 'green', searchableAttributes: ['image'] });
    expect(green.hits[0].id).toBe('green');
    expect(green.hits[0].highlights[0].box).toEqual({ x1: 133, y1: 133, x2: 200, y2: 200 });
  });

  it('searches by image URL', async () => {
    const res = await search('shots', { image: { url: server.url('/blue.jpg') } });
    expect(res.hits[0].id).toBe('blue');
    expect(res.hits[0].score).toBeGreaterThan(0.99);
  });

  it('searches lexically with a text highlight and no box, and hybrid with both scores', async () => {
    const lex = await search('shots', { q: 'rectangle middle', method: 'LEXICAL' });
    expect(lex.hits.map((h: { id: string }) => h.id)).toEqual(['blue']);
    expect(lex.hits[0].highlights[0]).toEqual({ field: 'caption', text: 'a blue rectangle in the middle', box: null });
    const hyb = await search('shots', { q: 'blue', method: 'HYBRID' });
    expect(hyb.hits[0].id).toBe('blue');
    expect(hyb.hits[0].tensorScore).not.toBeNull();
    expect(hyb.hits[0].lexicalScore).not.toBeNull();
    expect(hyb.hits[0].highlights).toContainEqual({ field: 'caption', text: 'a blue rectangle in the middle', box: null });
    expect(hyb.hits[0].highlights.length).toBeGreaterThanOrEqual(2); // the tensor side's best chunk and the lexical one
  });

  it('filters by equality, IN and numeric ranges', async () => {
    const eq = await search('shots', { q: 'red', filters: [{ field: 'colour', eq: 'blue' }] });
    expect(eq.hits.map((h: { id: string }) => h.id)).toEqual(['blue']);
    const inn = await search('shots', { q: 'red', filters: [{ field: 'colour', in: ['green', 'blue'] }] });
    expect(inn.hits.map((h: { id: string }) => h.id).sort()).toEqual(['blue', 'green']);
    const range = await search('shots', { q: 'red', filters: [{ field: 'size', gte: 250, lt: 400 }] });
    expect(range.hits.map((h: { id: string }) => h.id)).toEqual(['red']);
    const unknown = await search('shots', { q: 'red', filters: [{ field: 'nosuchfield', eq: "x' OR 1=1 --" }] });
    expect(unknown.hits).toEqual([]);
  });

  it('rejects an empty query with INVALID_INPUT', async () => {
    expect((await search('shots', { q: '   ' })).code).toBe('INVALID_INPUT');
    expect((await search('shots', {})).code).toBe('INVALID_INPUT');
  });

  it('honours minScore, limit, offset and the cursor', async () => {
    const all = await search('shots', { q: 'red', limit: 2 });
    expect(all.hits).toHaveLength(2);
    expect(all.nextCursor).toBeTruthy();
    const next = await search('shots', { q: 'red', limit: 2, after: all.nextCursor });
    expect(next.hits).toHaveLength(1);
    expect(next.nextCursor).toBeNull();
    const ids = [...all.hits, ...next.hits].map((h: { id: string }) => h.id);
    expect(new Set(ids).size).toBe(3);
    const strict = await search('shots', { q: 'red', minScore: 0.9 });
    expect(strict.hits.map((h: { id: string }) => h.id)).toEqual(['red']);
  });

  it('replaces a re-added document atomically and deletes documents', async () => {
    const before = (await t.gql(`{ index(name: "shots") { ... on Index { chunkCount documentCount } } }`)).index;
    const res = await t.gql(ADD, {
      index: 'shots',
      documents: [{ id: 'red', fields: { image: server.url('/red.png'), caption: 'still red', colour: 'red', size: 300 } }],
    });
    expect(res.addDocuments.results[0]).toMatchObject({ ok: true });
    const after = (await t.gql(`{ index(name: "shots") { ... on Index { chunkCount documentCount } } }`)).index;
    expect(after).toEqual(before);
    expect((await search('shots', { q: 'still', method: 'LEXICAL' })).hits.map((h: { id: string }) => h.id)).toEqual(['red']);
    const del = await t.gql(`mutation { deleteDocuments(index: "shots", ids: ["green", "ghost"]) { ... on DeleteDocumentsPayload { deleted count } } }`);
    expect(del.deleteDocuments).toEqual({ deleted: ['green'], count: 1 });
    const green = await search('shots', { q: 'green', searchableAttributes: ['image'] });
    expect(green.hits.map((h: { id: string }) => h.id)).not.toContain('green');
  });
});

describe('uploads and local files', () => {
  it('indexes an uploaded file through a GraphQL multipart request', async () => {
    const png = await sceneImage(240, 240, WHITE, [{ x1: 160, y1: 0, x2: 240, y2: 80, colour: [150, 40, 220] }]);
    const form = new FormData();
    form.set(
      'operations',
      JSON.stringify({
        query: ADD,
        variables: { index: 'shots', documents: [{ id: 'upload', fields: { caption: 'uploaded' }, files: [{ field: 'image', file: null }] }] },
      }),
    );
    form.set('map', JSON.stringify({ 0: ['variables.documents.0.files.0.file'] }));
    form.set('0', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'purple.png');
    const res = await t.yoga.fetch('http://loupe.test/graphql', { method: 'POST', body: form, headers: { 'graphql-require-preflight': '1' } });
    const body = (await res.json()) as { data: { addDocuments: { results: { ok: boolean; message: string | null }[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.addDocuments.results[0]).toMatchObject({ ok: true });
    const hit = (await search('shots', { q: 'purple', searchableAttributes: ['image'] })).hits[0];
    expect(hit.id).toBe('upload');
    expect(hit.highlights[0].box).toEqual({ x1: 160, y1: 0, x2: 240, y2: 80 });
  });

  it('refuses a symlink that escapes the image root', async () => {
    await mkdir(join(t.imageRoot, 'sub'), { recursive: true });
    await symlink('/etc/hostname', join(t.imageRoot, 'sub', 'link.png'));
    const res = await t.gql(ADD, { index: 'shots', documents: [{ id: 'link', fields: { image: 'sub/link.png' } }] });
    expect(res.addDocuments.results[0]).toMatchObject({ ok: false, code: 'PATH_NOT_ALLOWED' });
  });
});

describe('durability of the derived vector index', () => {
  it('returns the same hits after a restart, and after losing the FAISS snapshot', async () => {
    const before = await search('shots', { q: 'blue', limit: 5 });
    await t.restart();
    const afterRestart = await search('shots', { q: 'blue', limit: 5 });
    expect(afterRestart.hits.map((h: { id: string; highlights: unknown }) => [h.id, h.highlights])).toEqual(
      before.hits.map((h: { id: string; highlights: unknown }) => [h.id, h.highlights]),
    );
    const { rm } = await import('node:fs/promises');
    await t.restart(() => rm(join(t.config.dataDir, 'vectors'), { recursive: true, force: true }));
    const rebuilt = await search('shots', { q: 'blue', limit: 5 });
    expect(rebuilt.hits.map((h: { id: string; score: number }) => [h.id, h.score.toFixed(5)])).toEqual(
      before.hits.map((h: { id: string; score: number }) => [h.id, h.score.toFixed(5)]),
    );
  });

  it('refuses an index whose recorded model differs from the loaded one with MODEL_MISMATCH', async () => {
    await t.gql(CREATE, { input: { name: 'old-model' } });
    await t.loupe.database.prisma.index.update({ where: { name: 'old-model' }, data: { modelId: 'color-clip@000000000000' } });
    const res = await search('old-model', { q: 'red' });
    expect(res.code).toBe('MODEL_MISMATCH');
    expect(res.message).toMatch(/color-clip@000000000000/);
    // the other index still serves
    expect((await search('shots', { q: 'red' })).__typename).toBe('SearchResponse');
  });

  it('deletes an index with its documents and snapshot', async () => {
    const del = await t.gql(`mutation { deleteIndex(name: "marqo") { __typename ... on DeleteIndexPayload { name } } }`);
    expect(del.deleteIndex).toEqual({ __typename: 'DeleteIndexPayload', name: 'marqo' });
    const again = await t.gql(`mutation { deleteIndex(name: "marqo") { __typename ... on LoupeError { code } } }`);
    expect(again.deleteIndex.code).toBe('INDEX_NOT_FOUND');
  });
});
