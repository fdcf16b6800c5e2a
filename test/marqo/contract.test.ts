// The Marqo-compatible REST API against a live server (real Postgres, ONNX Runtime, FAISS), driven by a replica of
// py-marqo 3.x's HTTP layer (py-marqo.ts): index lifecycle with each patch method, documents by URL from a loopback
// image server and by local path (client-side batching), get / delete, stats, health, keys and roles, and the error
// shapes the client turns into its exceptions.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import { sceneImage, serveImages, type ImageServer, type Rgb } from '../helpers/images.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { MarqoWebError, PyMarqoClient, pythonJsonDumps } from './py-marqo.js';

const RED: Rgb = [220, 30, 30];
const BLUE: Rgb = [30, 60, 220];
const GREEN: Rgb = [40, 170, 60];
const WHITE: Rgb = [255, 255, 255];

let t: TestLoupe;
let server: RunningServer;
let images: ImageServer;
let mq: PyMarqoClient;
let reader: PyMarqoClient;
let adminKey: string;

async function raised(p: Promise<unknown>): Promise<MarqoWebError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MarqoWebError) return e;
    throw e;
  }
  throw new Error('expected a MarqoWebError');
}

beforeAll(async () => {
  t = await createTestLoupe({ port: 0, auth: 'on' });
  adminKey = (await t.loupe.access.createKey({ role: 'admin' })).key;
  const readKey = (await t.loupe.access.createKey({ role: 'read' })).key;
  images = await serveImages({
    '/red.png': { body: await sceneImage(300, 300, WHITE, [{ x1: 10, y1: 10, x2: 90, y2: 90, colour: RED }]), type: 'image/png' },
    '/blue.jpg': { body: await sceneImage(450, 300, WHITE, [{ x1: 160, y1: 110, x2: 290, y2: 190, colour: BLUE }], 'jpeg'), type: 'image/jpeg' },
  });
  await writeFile(join(t.imageRoot, 'green.png'), await sceneImage(200, 200, WHITE, [{ x1: 100, y1: 100, x2: 200, y2: 200, colour: GREEN }]));
  server = await startServer(t.loupe, createLogger({}, 'error'));
  mq = new PyMarqoClient(`${server.url}/marqo`, adminKey);
  reader = new PyMarqoClient(`${server.url}/marqo`, readKey);
}, 180_000);

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await images?.close();
  await t?.close().catch(() => undefined);
});

describe('the root and health', () => {
  it("answers GET / with a Marqo 2.x version that passes py-marqo 3.x's minimum (2.13.0)", async () => {
    const root = await mq.getMarqo();
    expect(root.message).toBe('Welcome to Marqo');
    const [major, minor] = String(root.version).split('.').map(Number);
    expect(major).toBe(2);
    expect(minor).toBeGreaterThanOrEqual(13);
    expect(mq.sent.at(-1)!.url).toBe(`${server.url}/marqo/`);
    expect(mq.sent.at(-1)!.headers['Content-Type']).toBeUndefined();
  });

  it("answers /health in Marqo's shape", async () => {
    expect(await mq.health()).toEqual({ status: 'green', inference: { status: 'green' }, backend: { status: 'green' } });
  });
});

describe('indexes', () => {
  it('creates an index per patch method, mapping Marqo names and saying so in x-loupe-note', async () => {
    const cases: [string, unknown, string | null][] = [
      ['p-none', undefined, null],
      ['p-simple', 'simple', 'simple?hn=3&wn=3'],
      ['p-frcnn', 'frcnn', 'yolox'],
      ['p-yolo', 'marqo-yolo', 'yolox'],
      ['p-dino1', 'dino-v1', 'dino-v1'],
      ['p-dino2', 'dino-v2', 'dino-v2'],
      ['p-overlap', 'overlap?hn=2&wn=2', 'overlap?hn=2&wn=2'],
    ];
    for (const [name, patchMethod, expected] of cases) {
      const created = await mq.createIndex(name, {
        treatUrlsAndPointersAsImages: true,
        imagePreprocessing: patchMethod === undefined ? undefined : { patchMethod },
      });
      expect(created).toEqual({ acknowledged: true, index: name });
      const settings = await mq.index(name).getSettings();
      if (expected === null) expect(settings.imagePreprocessing.patchMethod).toBeNull();
      else expect(String(settings.imagePreprocessing.patchMethod)).toContain(expected);
    }
    // What py-marqo sent: POST indexes/<name> with a JSON body of the non-None settings.
    const sent = mq.sent.find((r) => r.url.endsWith('/marqo/indexes/p-frcnn'))!;
    expect(sent.method).toBe('POST');
    expect(sent.headers['Content-Type']).toBe('application/json');
    expect(sent.body).toBe('{"treatUrlsAndPointersAsImages": true, "imagePreprocessing": {"patchMethod": "frcnn"}}');
    const listed = await mq.getIndexes();
    expect(listed.results.map((r: { indexName: string }) => r.indexName)).toEqual(expect.arrayContaining(cases.map((c) => c[0])));
  });

  it('maps open_clip/ViT-B-32/laion2b_s34b_b79k to the default model with a note, and refuses an unknown model', async () => {
    const res = await fetch(`${server.url}/marqo/indexes/clip-b32`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
      body: JSON.stringify({ model: 'open_clip/ViT-B-32/laion2b_s34b_b79k', treatUrlsAndPointersAsImages: true }),
    });
    expect(res.status).toBe(200);
    expect(decodeURI(res.headers.get('x-loupe-note') ?? '')).toMatch(/clip-vit-base-patch32, which is not installed .* using the server default "color-clip"/);
    expect((await mq.index('clip-b32').getSettings()).model).toBe('color-clip');
    const unknown = await raised(mq.createIndex('bad-model', { model: 'hf/e5-base-v2' }));
    expect(unknown).toMatchObject({ status: 400, code: 'invalid_argument', type: 'invalid_request' });
    expect((unknown.body as { message: string }).message).toMatch(/Unknown model "hf\/e5-base-v2"/);
  });

  it('refuses what it cannot honour, with invalid_argument', async () => {
    for (const settings of [
      { normalizeEmbeddings: false },
      { treatUrlsAndPointersAsImages: false },
      { annParameters: { spaceType: 'euclidean' } },
      { noSuchSetting: 1 },
    ]) {
      const e = await raised(mq.createIndex('refused', settings));
      expect(e).toMatchObject({ status: 400, code: 'invalid_argument' });
    }
    const bad = await raised(mq.createIndex('refused', { imagePreprocessing: { patchMethod: 'squares' } }));
    expect(bad.code).toBe('invalid_argument');
  });

  it('answers a duplicate with 409 index_already_exists and an unknown index with 404 index_not_found', async () => {
    const dup = await raised(mq.createIndex('p-none', {}));
    expect(dup).toMatchObject({ status: 409, code: 'index_already_exists', type: 'invalid_request' });
    expect(Object.keys(dup.body as object).sort()).toEqual(['code', 'link', 'message', 'type']);
    for (const call of [
      () => mq.index('nope').getStats(),
      () => mq.index('nope').getSettings(),
      () => mq.index('nope').search({ q: 'red' }),
      () => mq.getIndex('nope'),
    ]) {
      expect(await raised(call())).toMatchObject({ status: 404, code: 'index_not_found' });
    }
    // Client.delete_index returns the error body instead of raising.
    expect(await mq.deleteIndex('nope')).toMatchObject({ code: 'index_not_found' });
  });

  it('creates a structured index whose image_pointer fields are its image fields', async () => {
    await mq.createIndex('structured', {
      type: 'structured',
      allFields: [
        { name: 'title', type: 'text', features: ['lexical_search'] },
        { name: 'photo', type: 'image_pointer' },
      ],
      tensorFields: ['photo'],
    });
    expect((await mq.index('structured').getSettings()).loupe.imageFields).toEqual(['photo']);
  });
});

describe('documents', () => {
  const tensorFields = ['image'];

  it('adds documents by URL and by local path, batched on the client (clientBatchSize), with per-item results', async () => {
    await mq.createIndex('shots', { treatUrlsAndPointersAsImages: true, model: 'ViT-B/32', imagePreprocessing: { patchMethod: 'simple' } });
    const docs = [
      { _id: 'red', image: images.url('/red.png'), caption: 'a red square in the corner', colour: 'red', size: 300, flag: true },
      { _id: 'blue', image: images.url('/blue.jpg'), caption: 'a blue rectangle in the middle', colour: 'blue', size: 450, flag: false },
      { _id: 'green', image: join(t.imageRoot, 'green.png'), caption: 'a green square, bottom right', colour: 'green', size: 200, flag: true },
      { _id: 'missing', image: images.url('/missing.png') },
      { _id: 'nested', image: images.url('/red.png'), meta: { a: 1 } },
    ];
    const batches = await mq.index('shots').addDocuments(docs, { clientBatchSize: 2, device: 'cpu', tensorFields });
    expect(batches).toHaveLength(3);
    const sent = mq.sent.filter((r) => r.url.includes('/marqo/indexes/shots/documents?'));
    expect(sent.map((r) => r.url.slice(r.url.indexOf('/documents')))).toEqual(Array(3).fill('/documents?refresh=false&device=cpu'));
    expect(JSON.parse(sent[0]!.body!)).toEqual({
      documents: docs.slice(0, 2),
      useExistingTensors: false,
      imageDownloadHeaders: {},
      mappings: null,
      modelAuth: null,
      tensorFields,
    });
    const items = batches.flatMap((b: any) => b.items);
    expect(items.map((i: any) => [i._id, i.status])).toEqual([
      ['red', 200],
      ['blue', 200],
      ['green', 200],
      ['missing', 400],
      ['nested', 400],
    ]);
    expect(items[0]).toEqual({ _id: 'red', result: 'created', status: 200 });
    expect(items[3]).toMatchObject({ code: 'invalid_argument', error: expect.stringMatching(/404/) });
    expect(batches.map((b: any) => b.errors)).toEqual([false, true, true]);
    for (const b of batches) {
      expect(b.index_name).toBe('shots');
      expect(typeof b.processingTimeMs).toBe('number');
    }
  });

  it('re-adds a document as updated, unbatched, and refuses an image pointer in a non-image tensor field', async () => {
    const res = await mq.index('shots').addDocuments(
      [
        { _id: 'red', image: images.url('/red.png'), caption: 'a red square in the corner', colour: 'red', size: 300, flag: true },
        { _id: 'url-in-caption', image: images.url('/red.png'), caption: images.url('/blue.jpg') },
      ],
      { tensorFields: ['image', 'caption'] },
    );
    expect(mq.sent.at(-1)!.url).toBe(`${server.url}/marqo/indexes/shots/documents`);
    expect(res.errors).toBe(true);
    expect(res.items[0]).toEqual({ _id: 'red', result: 'updated', status: 200 });
    expect(res.items[1]).toMatchObject({ _id: 'url-in-caption', status: 400, code: 'invalid_argument', error: expect.stringMatching(/not an image field/) });
    expect((await mq.index('shots').getDocuments(['url-in-caption'])).results).toEqual([{ _id: 'url-in-caption', _found: false }]);
  });

  it('refuses add-documents options Loupe cannot honour rather than dropping them', async () => {
    const e = await raised(mq.send('post', 'indexes/shots/documents', { documents: [{ _id: 'x', caption: 'x' }], useExistingTensors: true }));
    expect(e).toMatchObject({ status: 400, code: 'invalid_argument' });
    const list = await raised(mq.send('post', 'indexes/shots/documents', [{ _id: 'x' }]));
    expect((list.body as { message: string }).message).toMatch(/\{"documents": \[\.\.\.\]/);
  });

  it('gets one document, several (JSON body or ids= query), and facets with boxes in original pixels', async () => {
    expect(await mq.index('shots').getDocument('green')).toEqual({
      _id: 'green',
      image: join(t.imageRoot, 'green.png'),
      caption: 'a green square, bottom right',
      colour: 'green',
      size: 200,
      flag: true,
    });
    const facets = await mq.index('shots').getDocument('red', true);
    expect(mq.sent.at(-1)!.url).toMatch(/\/documents\/red\?expose_facets=True$/);
    expect(facets._tensor_facets).toContainEqual({ image: [0, 0, 300, 300] });
    expect(facets._tensor_facets).toContainEqual({ image: [0, 0, 100, 100] });
    const many = await mq.index('shots').getDocuments(['red', 'nope']);
    expect(mq.sent.at(-1)).toMatchObject({ method: 'GET', headers: { 'Content-Type': 'application/json' }, body: '["red", "nope"]' });
    expect(many.results.map((r: any) => [r._id, r._found])).toEqual([
      ['red', true],
      ['nope', false],
    ]);
    const res = await fetch(`${server.url}/marqo/indexes/shots/documents?ids=blue&ids=green`, { headers: { 'x-api-key': adminKey } });
    expect((await res.json()).results.map((r: any) => r._id)).toEqual(['blue', 'green']);
    expect(await raised(mq.index('shots').getDocument('nope'))).toMatchObject({ status: 404, code: 'document_not_found' });
  });

  it('counts documents and vectors in stats, and reports index health', async () => {
    const stats = await mq.index('shots').getStats();
    // red, blue, green: each the whole image + a 3×3 grid, and its text fields (caption, colour).
    expect(stats.numberOfDocuments).toBe(3);
    expect(stats.numberOfVectors).toBeGreaterThanOrEqual(3 * 10);
    expect(await mq.index('shots').health()).toMatchObject({ status: 'green' });
  });
});

const GQL_SEARCH = `query($index: String!, $input: SearchInput!) {
  search(index: $index, input: $input) {
    __typename
    ... on SearchResponse { hits { id score tensorScore lexicalScore retrievalScore rerankStatus highlights { field text box { x1 y1 x2 y2 } } } }
    ... on LoupeError { code message }
  }
}`;
/** GraphQL over the same live server, with the admin key. */
async function gql(query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
    body: JSON.stringify({ query, variables }),
  });
  return ((await res.json()) as { data: any }).data;
}
const boxList = (b: { x1: number; y1: number; x2: number; y2: number }) => [b.x1, b.y1, b.x2, b.y2];

describe('search', () => {
  it('finds the red image by TENSOR search with its highlight as [x1, y1, x2, y2] in original pixels, as GraphQL does', async () => {
    const res = await mq.index('shots').search({ q: 'red', searchableAttributes: ['image'], device: 'cuda:0' });
    expect(mq.sent.at(-1)!.url).toBe(`${server.url}/marqo/indexes/shots/search?&device=cuda0`);
    expect(JSON.parse(mq.sent.at(-1)!.body!)).toEqual({
      q: 'red',
      searchableAttributes: ['image'],
      limit: 10,
      offset: 0,
      searchMethod: 'TENSOR',
      showHighlights: true,
    });
    expect(Object.keys(res).sort()).toEqual(['hits', 'limit', 'offset', 'processingTimeMs', 'query']);
    expect(res).toMatchObject({ query: 'red', limit: 10, offset: 0 });
    const top = res.hits[0];
    expect(top._id).toBe('red');
    expect(top._highlights).toEqual([{ image: [0, 0, 100, 100] }]);
    expect(top).toMatchObject({ caption: 'a red square in the corner', colour: 'red', size: 300, flag: true, image: images.url('/red.png') });
    const viaGraphql = (await gql(GQL_SEARCH, { index: 'shots', input: { q: 'red', searchableAttributes: ['image'] } })).search;
    expect(res.hits.map((h: any) => h._id)).toEqual(viaGraphql.hits.map((h: any) => h.id));
    expect(res.hits.map((h: any) => h._score)).toEqual(viaGraphql.hits.map((h: any) => h.score));
    expect(res.hits.map((h: any) => h._highlights)).toEqual(viaGraphql.hits.map((h: any) => h.highlights.map((x: any) => ({ [x.field]: boxList(x.box) }))));
  });

  it('searches by an image URL as q (treatUrlsAndPointersAsImages)', async () => {
    const res = await mq.index('shots').search({ q: images.url('/blue.jpg') });
    expect(res.hits[0]._id).toBe('blue');
    expect(res.hits[0]._score).toBeGreaterThan(0.99);
  });

  it('searches LEXICAL with searchableAttributes and HYBRID with both scores', async () => {
    const lex = await mq.index('shots').search({ q: 'rectangle middle', searchMethod: 'LEXICAL', searchableAttributes: ['caption'] });
    expect(lex.hits.map((h: any) => h._id)).toEqual(['blue']);
    expect(lex.hits[0]._highlights).toEqual([{ caption: 'a blue rectangle in the middle' }]);
    expect(lex.hits[0]._lexical_score).toBe(lex.hits[0]._score);
    const none = await mq.index('shots').search({ q: 'rectangle middle', searchMethod: 'LEXICAL', searchableAttributes: ['colour'] });
    expect(none.hits).toEqual([]);
    const hyb = await mq.index('shots').search({ q: 'blue', searchMethod: 'HYBRID', hybridParameters: { rankingMethod: 'rrf', rrfK: 60 } });
    expect(hyb.hits[0]._id).toBe('blue');
    expect(typeof hyb.hits[0]._tensor_score).toBe('number');
    expect(typeof hyb.hits[0]._lexical_score).toBe('number');
    expect(await raised(mq.index('shots').search({ q: 'blue', searchMethod: 'HYBRID', hybridParameters: { rankingMethod: 'tensor' } }))).toMatchObject({
      status: 400,
      code: 'invalid_argument',
    });
  });

  it('pages with limit and offset, retrieves only attributesToRetrieve, and leaves out highlights when asked', async () => {
    const all = await mq.index('shots').search({ q: 'red', limit: 3 });
    const page2 = await mq.index('shots').search({ q: 'red', limit: 1, offset: 1 });
    expect(page2.hits.map((h: any) => h._id)).toEqual([all.hits[1]._id]);
    expect(page2).toMatchObject({ limit: 1, offset: 1 });
    const slim = await mq.index('shots').search({ q: 'red', attributesToRetrieve: ['colour'], showHighlights: false });
    expect(Object.keys(slim.hits[0]).sort()).toEqual(['_id', '_score', '_tensor_score', 'colour']);
    const bare = await mq.index('shots').search({ q: 'red', attributesToRetrieve: [] });
    expect(Object.keys(bare.hits[0]).sort()).toEqual(['_highlights', '_id', '_score', '_tensor_score']);
  });

  it('filters with Marqo filter strings: terms, AND / OR / NOT, grouping, ranges, booleans and numbers', async () => {
    const ids = async (filterString: string) => (await mq.index('shots').search({ q: 'red', filterString })).hits.map((h: any) => h._id).sort();
    expect(await ids('colour:red OR size:[400 TO 500]')).toEqual(['blue', 'red']);
    expect(await ids('NOT flag:true')).toEqual(['blue']);
    expect(await ids('flag:true AND NOT (colour:green OR size:{* TO 250})')).toEqual(['red']);
    expect(await ids('caption:(a blue rectangle in the middle)')).toEqual(['blue']);
    expect(await ids('size:300')).toEqual(['red']);
    expect(await ids('colour IN (green, blue)')).toEqual(['blue', 'green']);
    expect(JSON.parse(mq.sent.at(-1)!.body!).filter).toBe('colour IN (green, blue)');
    // The same tree through GraphQL's where: the same hits and scores.
    const filterString = 'flag:true AND NOT (colour:green OR size:{* TO 250})';
    const viaMarqo = await mq.index('shots').search({ q: 'red', filterString });
    const where = {
      and: [
        { field: 'flag', in: [true, 'true'] },
        {
          not: {
            or: [
              { field: 'colour', eq: 'green' },
              { field: 'size', lt: 250 },
            ],
          },
        },
      ],
    };
    const viaGraphql = (await gql(GQL_SEARCH, { index: 'shots', input: { q: 'red', where } })).search;
    expect(viaGraphql.hits.map((h: any) => [h.id, h.score])).toEqual(viaMarqo.hits.map((h: any) => [h._id, h._score]));
    const refused = (await gql(GQL_SEARCH, { index: 'shots', input: { q: 'red', where: { and: [], field: 'x', eq: 1 } } })).search;
    expect(refused).toMatchObject({
      __typename: 'LoupeError',
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^Expected exactly one of and, or, not, field for where/),
    });
    const bad = await raised(mq.index('shots').search({ q: 'red', filterString: 'colour:red AND (size:[1 TO 2]' }));
    expect(bad).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect((bad.body as { message: string }).message).toMatch(/^Malformed filter string at position 29: expected "\)" to close/);
  });

  it('reranks with reRanker owl/ViT-B/32 (the configured OWL-ViT reranker, noted) exactly as GraphQL reranks', async () => {
    const res = await fetch(`${server.url}/marqo/indexes/shots/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
      body: pythonJsonDumps({ q: 'red', limit: 3, offset: 0, searchMethod: 'TENSOR', showHighlights: true, reRanker: 'owl/ViT-B/32' }),
    });
    expect(res.status).toBe(200);
    expect(decodeURI(res.headers.get('x-loupe-note') ?? '')).toMatch(/owlvit-base-patch32, which is not installed .* "color-owl"/);
    const body = (await res.json()) as any;
    const viaGraphql = (await gql(GQL_SEARCH, { index: 'shots', input: { q: 'red', limit: 3, rerank: { model: 'color-owl', depth: 3 } } })).search;
    expect(body.hits.map((h: any) => h._id)).toEqual(viaGraphql.hits.map((h: any) => h.id));
    expect(body.hits.map((h: any) => h._score)).toEqual(viaGraphql.hits.map((h: any) => h.score));
    expect(body.hits.map((h: any) => h._retrieval_score)).toEqual(viaGraphql.hits.map((h: any) => h.retrievalScore));
    expect(body.hits.map((h: any) => h._highlights)).toEqual(viaGraphql.hits.map((h: any) => h.highlights.map((x: any) => ({ [x.field]: boxList(x.box) }))));
    expect(body.hits[0]).toMatchObject({ _id: 'red', _rerank_status: 'RERANKED' });
    const [x1, y1, x2, y2] = body.hits[0]._highlights[0].image;
    expect(x1).toBeLessThan(x2);
    expect(y1).toBeLessThan(y2);
    expect(x2).toBeLessThanOrEqual(300);
    expect(y2).toBeLessThanOrEqual(300);
  });

  it('refuses an unknown reranker, and a rerank deeper than the per-request image limit', async () => {
    const unknown = await raised(mq.index('shots').search({ q: 'red', reranker: 'owl/ViT-L/14' }));
    expect(unknown).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect((unknown.body as { message: string }).message).toMatch(/Unknown reRanker "owl\/ViT-L\/14"/);
    const deep = await raised(mq.index('shots').search({ q: 'red', reranker: 'owl/ViT-B/32', limit: 90, offset: 20 }));
    expect(deep).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect((deep.body as { message: string }).message).toMatch(/offset \+ limit = 110/);
  });

  it('searches with a weighted dict q: texts and image URLs, negative weights', async () => {
    const plain = await mq.index('shots').search({ q: 'red' });
    const single = await mq.index('shots').search({ q: { red: 2.5 } });
    expect(single.query).toEqual({ red: 2.5 });
    expect(single.hits.map((h: any) => h._id)).toEqual(plain.hits.map((h: any) => h._id));
    single.hits.forEach((h: any, i: number) => expect(h._score).toBeCloseTo(plain.hits[i]._score, 5));
    const away = await mq.index('shots').search({ q: { red: 1, blue: -1 } });
    // The hand-weighted colour model's "red" and "blue" are orthogonal: the normalised red − blue scores the red cell
    // at 1/√2 (proof of the weighted sum and its normalisation), and nothing of the blue image above 0.
    expect(away.hits[0]._id).toBe('red');
    expect(away.hits[0]._score).toBeCloseTo(Math.SQRT1_2, 3);
    expect(away.hits.find((h: any) => h._id === 'blue')._score).toBeLessThan(0.01);
    const mixed = await mq.index('shots').search({ q: { [images.url('/blue.jpg')]: 1, blue: 0.5 } });
    expect(mixed.hits[0]._id).toBe('blue');
    const imageOnly = await mq.index('shots').search({ q: { [images.url('/blue.jpg')]: 1 } });
    const byUrl = await mq.index('shots').search({ q: images.url('/blue.jpg') });
    expect(imageOnly.hits.map((h: any) => h._id)).toEqual(byUrl.hits.map((h: any) => h._id));
    imageOnly.hits.forEach((h: any, i: number) => expect(h._score).toBeCloseTo(byUrl.hits[i]._score, 5));
    expect(await raised(mq.index('shots').search({ q: { red: 0 } }))).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect(await raised(mq.index('shots').search({ q: { red: 1 }, searchMethod: 'LEXICAL' }))).toMatchObject({ status: 400 });
    const reranked = await mq.index('shots').search({ q: { red: 1, blue: -0.5 }, reranker: 'owl/ViT-B/32', limit: 2 });
    expect(reranked.hits[0]._rerank_status).toBe('RERANKED');
  });

  it('refuses parameters that would change the answer if dropped, and notes the ignored ones', async () => {
    expect(
      await raised(mq.send('post', 'indexes/shots/search', { q: 'red', scoreModifiers: { add_to_score: [{ field_name: 'size', weight: 1 }] } })),
    ).toMatchObject({
      status: 400,
      code: 'invalid_argument',
    });
    expect(await raised(mq.send('post', 'indexes/shots/search', { q: 'red', sortOfLimit: 3 }))).toMatchObject({ status: 400 });
    expect(await raised(mq.index('shots').search({ q: 'red', limit: 0 }))).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect(await raised(mq.index('shots').search({ q: '' }))).toMatchObject({ status: 400, code: 'invalid_argument' });
    const res = await fetch(`${server.url}/marqo/indexes/shots/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
      body: JSON.stringify({ q: 'red', efSearch: 100, approximate: true }),
    });
    expect(res.status).toBe(200);
    expect(decodeURI(res.headers.get('x-loupe-note') ?? '')).toMatch(/efSearch ignored.*approximate ignored/);
  });
});

describe('keys, roles and malformed requests', () => {
  it('needs a key (401 unauthorized) and the admin role to change anything (403 forbidden)', async () => {
    const anonymous = new PyMarqoClient(`${server.url}/marqo`);
    expect(await raised(anonymous.getIndexes())).toMatchObject({ status: 401, code: 'unauthorized' });
    expect((await reader.getIndexes()).results.length).toBeGreaterThan(0);
    expect(await raised(reader.createIndex('by-reader', {}))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await raised(reader.index('shots').deleteDocuments(['red']))).toMatchObject({ status: 403 });
    expect((await reader.index('shots').search({ q: 'red' })).hits.length).toBeGreaterThan(0);
  });

  it('answers unknown routes, wrong methods, bad JSON, a bad device and a text/plain body in the error shape', async () => {
    expect(await raised(mq.send('get', 'nosuch'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await raised(mq.send('put', 'indexes/shots/documents', { documents: [] }))).toMatchObject({ status: 405, code: 'method_not_allowed' });
    expect(await raised(mq.send('post', 'indexes/shots/search', '{"q": '))).toMatchObject({ status: 400, code: 'bad_request' });
    expect(await raised(mq.send('post', 'indexes/shots/search?&device=tpu', { q: 'red' }))).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect(await raised(mq.send('post', 'indexes/shots/search', '{"q": "red"}', 'text/plain'))).toMatchObject({ status: 400, code: 'bad_request' });
    const cross = await fetch(`${server.url}/marqo/indexes/x`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(cross.status).toBe(403);
  });

  it('counts the routes in the metrics under route="marqo"', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': adminKey } });
    const text = await res.text();
    expect(text).toMatch(/loupe_http_requests_total\{route="marqo",method="POST",status="200"\} \d+/);
    expect(text).toMatch(/loupe_graphql_operations_total\{type="marqo",field="documents.add"\} \d+/);
  });
});

describe('deleting', () => {
  it('deletes documents in a batch with per-id results, then the index', async () => {
    const res = await mq.index('shots').deleteDocuments(['green', 'nope']);
    expect(mq.sent.at(-1)).toMatchObject({ method: 'POST', body: '["green", "nope"]' });
    expect(res).toMatchObject({
      index_name: 'shots',
      status: 'succeeded',
      type: 'documentDeletion',
      details: { receivedDocumentIds: 2, deletedDocuments: 1 },
      items: [
        { _id: 'green', status: 200, result: 'deleted' },
        { _id: 'nope', status: 404, result: 'not_found' },
      ],
    });
    expect((await mq.index('shots').getStats()).numberOfDocuments).toBe(2);
    expect(await mq.index('p-none').delete()).toEqual({ acknowledged: true });
    expect(mq.sent.at(-1)!.headers['Content-Type']).toBeUndefined();
    expect(await raised(mq.index('p-none').getStats())).toMatchObject({ status: 404, code: 'index_not_found' });
  });
});

describe('pythonJsonDumps (the harness itself)', () => {
  it('writes what json.dumps writes', () => {
    expect(pythonJsonDumps({ a: [1, 2.5, 'é'], b: null, c: true })).toBe('{"a": [1, 2.5, "\\u00e9"], "b": null, "c": true}');
  });
});
