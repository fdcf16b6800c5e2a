// What the page relies on, over real HTTP: the page and its assets, GET /media/... for every image source, the
// indexingProgress subscription over server-sent events, and GraphiQL examples that match the schema.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlExamples } from '../../src/api/examples.js';
import { mediaPath } from '../../src/api/media-route.js';
import * as ops from '../../src/client/operations.js';
import { PageIndexingProgressDocument, type PageIndexingProgressSubscription } from '../../src/client/generated/graphql.js';
import { sceneImage, serveImages, type ImageServer } from '../helpers/images.js';
import { startPageServer, type PageServer } from './harness.js';

let s: PageServer;
let images: ImageServer;
let red: Buffer;
let blueJpeg: Buffer;
const upload = (name: string, bytes: Buffer) => ({ name, bytes, type: 'image/png' });

type Progress = PageIndexingProgressSubscription['indexingProgress'];

/** Opens the subscription over SSE and collects its events until the server completes the stream. */
function progressEvents(jobId: string): { opened: Promise<void>; done: Promise<{ events: Progress[]; errors: string[] }> } {
  let opened!: () => void;
  const openedP = new Promise<void>((r) => (opened = r));
  const done = (async () => {
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: PageIndexingProgressDocument.toString(), variables: { jobId } }),
    });
    opened();
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: Progress[] = [];
    const errors: string[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'next' && data) {
          const body = JSON.parse(data) as { data?: PageIndexingProgressSubscription; errors?: { message: string }[] };
          if (body.errors) errors.push(...body.errors.map((e) => e.message));
          if (body.data) events.push(body.data.indexingProgress);
        }
        if (event === 'complete') return { events, errors };
      }
    }
    return { events, errors };
  })();
  return { opened: openedP, done };
}

beforeAll(async () => {
  s = await startPageServer();
  red = await sceneImage(120, 90, [255, 255, 255], [{ x1: 10, y1: 10, x2: 50, y2: 50, colour: [220, 30, 30] }]);
  blueJpeg = await sceneImage(100, 100, [255, 255, 255], [{ x1: 50, y1: 50, x2: 100, y2: 100, colour: [30, 60, 220] }], 'jpeg');
  images = await serveImages({ '/blue.jpg': { body: blueJpeg, type: 'image/jpeg' } });
  await writeFile(join(s.t.imageRoot, 'blue.jpg'), blueJpeg);
  const created = await ops.execute(s.client, ops.CreateIndexDocument, { input: { name: 'media', regionMethodSpec: 'simple?hn=2&wn=2' } });
  expect(created.createIndex.__typename).toBe('Index');
  const added = await ops.execute(
    s.client,
    ops.AddDocumentsDocument,
    {
      index: 'media',
      documents: [
        { id: 'up', fields: {}, files: [{ field: 'image', file: null as unknown as File }] },
        { id: 'dir/with slash.png', fields: {}, files: [{ field: 'image', file: null as unknown as File }] },
        { id: 'file', fields: { image: 'blue.jpg' } },
        { id: 'url', fields: { image: images.url('/blue.jpg') } },
        { id: 'text-only', fields: { caption: 'no image here' } },
      ],
    },
    [
      { path: 'variables.documents.0.files.0.file', ...upload('red.png', red) },
      { path: 'variables.documents.1.files.0.file', ...upload('red2.png', red) },
    ],
  );
  if (added.addDocuments.__typename !== 'AddDocumentsPayload') throw new Error(added.addDocuments.message);
  expect(added.addDocuments.results.filter((r) => !r.ok)).toEqual([]);
}, 180_000);

afterAll(async () => {
  await images?.close();
  await s?.close();
});

describe('the page and its assets', () => {
  it('serves the page at / with a strict content security policy, and its bundle', async () => {
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('/assets/app.js');
    const js = await fetch(`${s.url}/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.text()).length).toBeGreaterThan(5_000);
    expect((await fetch(`${s.url}/assets/app.css`)).status).toBe(200);
  });

  it('answers unknown assets and path tricks with a typed 404', async () => {
    // node:http sends the path as written (fetch would normalise the dots away).
    const rawGet = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(s.url);
        get({ hostname, port, path }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    for (const path of ['/assets/nope.js', '/assets/../package.json', '/assets/../../etc/passwd', '/assets/sub/app.js', '/assets/index.html']) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('has GraphiQL examples that are valid against the committed schema', () => {
    const schema = buildSchema(readFileSync('schema.graphql', 'utf8'));
    expect(validate(schema, parse(graphiqlExamples)).map((e) => e.message)).toEqual([]);
    expect(graphiqlExamples).toMatch(/rerank:/);
  });
});

describe('GET /media/:index/:id/:field', () => {
  it('streams an uploaded image with its type, an ETag, and 304 on revalidation', async () => {
    const res = await fetch(`${s.url}${mediaPath('media', 'up', 'image')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(red)).toBe(true);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await fetch(`${s.url}${mediaPath('media', 'up', 'image')}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const head = await fetch(`${s.url}${mediaPath('media', 'up', 'image')}`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(red.length));
  });

  it('encodes ids holding a slash', async () => {
    expect(mediaPath('media', 'dir/with slash.png', 'image')).toBe('/media/media/dir%2Fwith%20slash.png/image');
    const res = await fetch(`${s.url}${mediaPath('media', 'dir/with slash.png', 'image')}`);
    expect(res.status).toBe(200);
  });

  it('reads a local file under the image root and redirects to a URL', async () => {
    const file = await fetch(`${s.url}${mediaPath('media', 'file', 'image')}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await file.arrayBuffer()).equals(blueJpeg)).toBe(true);
    const url = await fetch(`${s.url}${mediaPath('media', 'url', 'image')}`, { redirect: 'manual' });
    expect(url.status).toBe(302);
    expect(url.headers.get('location')).toBe(images.url('/blue.jpg'));
  });

  it.each([
    ['an unknown index', mediaPath('nope', 'up', 'image'), 404, 'INDEX_NOT_FOUND'],
    ['an unknown document', mediaPath('media', 'nope', 'image'), 404, 'DOCUMENT_NOT_FOUND'],
    ['a document without that image', mediaPath('media', 'text-only', 'image'), 404, 'IMAGE_FETCH_FAILED'],
    ['an unknown field', mediaPath('media', 'up', 'caption'), 404, 'IMAGE_FETCH_FAILED'],
    ['a malformed path', '/media/media/up', 404, 'INVALID_INPUT'],
    ['a bad field name', mediaPath('media', 'up', '../x'), 400, 'INVALID_INPUT'],
  ])('answers %s with typed JSON', async (_what, path, status, code) => {
    const res = await fetch(`${s.url}${path}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(5);
  });

  it('refuses other methods and reports an upload that is gone', async () => {
    expect((await fetch(`${s.url}${mediaPath('media', 'up', 'image')}`, { method: 'POST' })).status).toBe(405);
    const ref = (await s.t.gql(`{ document(index: "media", id: "dir/with slash.png") { ... on Document { media { ref } } } }`)).document.media[0].ref;
    // Both uploads share the bytes (content-addressed, in Postgres); removing them affects both, so check last.
    await s.t.loupe.database.prisma.$executeRaw`DELETE FROM uploads WHERE sha256 = ${ref}`;
    const res = await fetch(`${s.url}${mediaPath('media', 'dir/with slash.png', 'image')}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'IMAGE_FETCH_FAILED' } });
  });
});

describe('indexingProgress over server-sent events', () => {
  const batch = () => [
    { id: 'p1', fields: { image: 'blue.jpg' } },
    { id: 'p2', fields: { image: 'missing.png' } },
    { id: 'p3', fields: { image: 'blue.jpg', caption: 'blue' } },
    { id: 'p4', fields: { image: '../../etc/passwd' } },
    { id: 'p5', fields: { caption: 'text only' } },
  ];

  it('streams processed / failed / total and per-item errors, ending with done', async () => {
    const sub = progressEvents('job-live');
    await sub.opened;
    const res = await ops.execute(s.client, ops.AddDocumentsDocument, { index: 'media', documents: batch(), jobId: 'job-live' });
    expect(res.addDocuments).toMatchObject({ __typename: 'AddDocumentsPayload', succeeded: 3, failed: 2 });
    const { events, errors } = await sub.done;
    expect(errors).toEqual([]);
    // The start, the end, and changes between (documents committed in one transaction arrive as one event).
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toMatchObject({ processed: 0, failed: 0, total: 5, done: false });
    const processed = events.map((e) => e.processed);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ jobId: 'job-live', processed: 5, failed: 2, total: 5, done: true, code: null });
    const itemErrors = events.flatMap((e) => e.errors);
    expect(itemErrors.map((e) => [e.id, e.code]).sort()).toEqual([
      ['p2', 'IMAGE_FETCH_FAILED'],
      ['p4', 'PATH_NOT_ALLOWED'],
    ]);
  });

  it('replays a finished job to a late subscriber with every error', async () => {
    await ops.execute(s.client, ops.AddDocumentsDocument, { index: 'media', documents: batch(), jobId: 'job-late' });
    const { events } = await progressEvents('job-late').done;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ processed: 5, failed: 2, total: 5, done: true });
    expect(events[0]!.errors.map((e) => e.id).sort()).toEqual(['p2', 'p4']);
  });

  it('reports a batch refused as a whole with its code', async () => {
    const sub = progressEvents('job-missing-index');
    await sub.opened;
    const res = await ops.execute(s.client, ops.AddDocumentsDocument, { index: 'nope', documents: batch(), jobId: 'job-missing-index' });
    expect(res.addDocuments).toMatchObject({ __typename: 'LoupeError', code: 'INDEX_NOT_FOUND' });
    const { events } = await sub.done;
    expect(events.at(-1)).toMatchObject({ done: true, code: 'INDEX_NOT_FOUND', message: expect.stringMatching(/nope/) });
  });

  it('rejects a malformed job id in the mutation and in the subscription', async () => {
    const res = await ops.execute(s.client, ops.AddDocumentsDocument, { index: 'media', documents: batch(), jobId: 'no spaces allowed' });
    expect(res.addDocuments).toMatchObject({ __typename: 'LoupeError', code: 'INVALID_INPUT' });
    if (res.addDocuments.__typename === 'LoupeError')
      expect(res.addDocuments.message).toBe('Expected a job id of 1-128 letters, digits, "_" or "-" for jobId but received "no spaces allowed" of type string');
    const { events, errors } = await progressEvents('bad id!').done;
    expect(events).toEqual([]);
    expect(errors.join()).toMatch(/Expected a job id .* for jobId/);
  });
});
