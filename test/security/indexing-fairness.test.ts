// Issue 12 item 3: one client's slow URLs must not stall anyone else's indexing, and a request's remaining work stops
// when its client disconnects. Real HTTP (startServer) against an image server whose /hang/* URLs never answer; the
// download timeout is a minute, so anything that waits for a hanging download fails the 10 s budgets below.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import { sceneImage } from '../helpers/images.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

let t: TestLoupe;
let api: RunningServer;
let images: Server;
let imageBase: string;
let png: Buffer;
const hanging = new Set<ServerResponse>();
let hangRequests = 0;

const ADD = `mutation($d: [DocumentInput!]!) { addDocuments(index: "fair", documents: $d) {
  __typename ... on AddDocumentsPayload { results { id ok code message } } ... on LoupeError { code message } } }`;

function add(docs: { id: string; fields: Record<string, unknown> }[], signal?: AbortSignal) {
  return fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: ADD, variables: { d: docs } }),
    signal,
  });
}

const hangDocs = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, fields: { image: `${imageBase}/hang/${prefix}-${i}.png` } }));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Indexes one good URL and returns how long it took (ms); fails after 10 s. */
async function timeOneGood(id: string): Promise<number> {
  const t0 = performance.now();
  const res = await add([{ id, fields: { image: `${imageBase}/good.png` } }], AbortSignal.timeout(10_000));
  const body = (await res.json()) as any;
  expect(body.data.addDocuments.results).toEqual([{ id, ok: true, code: null, message: null }]);
  return performance.now() - t0;
}

async function stored(id: string): Promise<boolean> {
  return t.loupe.documents.get('fair', id).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  png = await sceneImage(120, 90, [255, 255, 255], [{ x1: 0, y1: 0, x2: 60, y2: 45, colour: [220, 30, 30] }]);
  images = createServer((req, res) => {
    if (req.url?.startsWith('/hang/')) {
      hangRequests++;
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return; // never answers
    }
    res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', () => r()));
  imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  t = await createTestLoupe({ port: 0, fetchTotalTimeoutMs: 60_000, fetchConnectTimeoutMs: 60_000, fetchConcurrency: 8 });
  api = await startServer(t.loupe, createLogger({ test: true }, 'error'));
  expect((await t.gql('mutation { createIndex(input: { name: "fair" }) { __typename } }')).createIndex.__typename).toBe('Index');
}, 180_000);

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await api?.stop();
  await t?.close();
  images?.closeAllConnections();
  await new Promise<void>((r) => (images ? images.close(() => r()) : r()));
});

describe('fetch slots are shared fairly between requests (issue 12 item 3)', () => {
  it("a request's single good URL is indexed at once while another request's 1,000 URLs hang", async () => {
    const slow = new AbortController();
    const pending = add(hangDocs('thousand', 1000), slow.signal).catch(() => null);
    // Every shared slot (and that request's own) is taken by a hanging download.
    await until('the slow request holds the fetch slots', () => hanging.size >= 8);
    const ms = await timeOneGood('good-during-thousand');
    expect(ms).toBeLessThan(10_000);
    // A fair share, not everything: the slow request never has more than its own slot plus the shared pool open.
    expect(hanging.size).toBeLessThanOrEqual(9);
    slow.abort();
    await pending;
    await until('the abandoned downloads are cut', () => hanging.size === 0);
  }, 60_000);

  it('16 hanging URLs, client gone after 1 s: the next request with a good URL does not wait for them', async () => {
    const gone = new AbortController();
    const pending = add(hangDocs('sixteen', 16), gone.signal).catch(() => null);
    await new Promise((r) => setTimeout(r, 1_000));
    gone.abort();
    await pending;
    const ms = await timeOneGood('good-after-sixteen');
    expect(ms).toBeLessThan(10_000);
    await until('the abandoned downloads are cut', () => hanging.size === 0);
  }, 60_000);
});

describe('a disconnected client cancels the rest of its request (issue 12 item 3)', () => {
  it('stops fetching, keeps what was committed, and indexes nothing it had not finished', async () => {
    const before = hangRequests;
    const gone = new AbortController();
    const docs = [
      { id: 'kept-0', fields: { image: `${imageBase}/good.png` } },
      { id: 'kept-1', fields: { image: `${imageBase}/good.png` } },
      ...hangDocs('cancelled', 40),
    ];
    const pending = add(docs, gone.signal).catch(() => null);
    await until('the good documents are committed', async () => (await stored('kept-0')) && (await stored('kept-1')));
    await until('the hanging downloads are open', () => hanging.size >= 9);
    const seen = hangRequests - before;
    gone.abort();
    await pending;
    await until('every download of the request is cut', () => hanging.size === 0);
    // Nothing new starts after the disconnect: no further URL of the request is requested.
    await new Promise((r) => setTimeout(r, 500));
    expect(hangRequests - before).toBe(seen);
    expect(seen).toBeLessThan(40);
    // What was committed stays committed; nothing unfinished appears.
    expect(await stored('kept-0')).toBe(true);
    expect(await stored('kept-1')).toBe(true);
    for (let i = 0; i < 40; i++) expect(await stored(`cancelled-${i}`)).toBe(false);
    // The process is free for the next client.
    expect(await timeOneGood('good-after-cancel')).toBeLessThan(10_000);
  }, 60_000);
});
