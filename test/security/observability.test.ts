// Observability over real HTTP: one JSON access-log line per request carrying its request id, and Prometheus
// metrics at /metrics (requests and latency, documents and chunks indexed, indexing queue depth, model inference).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import { sceneImage } from '../helpers/images.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

let t: TestLoupe;
let server: RunningServer;
let images: Server;
let imageBase: string;
// The slow image is held until released. Release may come before or after the request arrives.
let slowReleased = false;
let respondSlow: (() => void) | null = null;
let slowArrived!: () => void;
const slowRequested = new Promise<void>((r) => {
  slowArrived = r;
});
function releaseSlow() {
  slowReleased = true;
  respondSlow?.();
}
const logLines: Record<string, unknown>[] = [];
const realWrite = process.stderr.write.bind(process.stderr);

async function gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { res, body: (await res.json()) as any };
}

async function metrics(): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const match = lines.find((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return match ? Number(match.split(' ').pop()) : NaN;
}

beforeAll(async () => {
  const png = await sceneImage(120, 90, [255, 255, 255], [{ x1: 0, y1: 0, x2: 60, y2: 45, colour: [220, 30, 30] }]);
  images = createServer((req, res) => {
    if (req.url === '/slow.png') {
      respondSlow = () => {
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      };
      slowArrived();
      if (slowReleased) respondSlow();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png' }).end(req.url === '/bad.png' ? Buffer.from('nope') : png);
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', () => r()));
  imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  // The slow image is held until the test releases it: no download timeout may fire first on a loaded machine.
  t = await createTestLoupe({ port: 0, fetchTotalTimeoutMs: 60_000 });
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const s = String(chunk);
    if (s.startsWith('{')) for (const l of s.split('\n').filter(Boolean)) logLines.push(JSON.parse(l));
    else return realWrite(chunk, ...(rest as []));
    return true;
  }) as typeof process.stderr.write;
  server = await startServer(t.loupe, createLogger({ service: 'loupe' }, 'info'));
}, 120_000);

afterAll(async () => {
  process.stderr.write = realWrite;
  releaseSlow();
  await server?.stop();
  await new Promise((r) => images?.close(r));
  await t?.close();
});

describe('metrics and logs', () => {
  it('counts documents and chunks indexed, shows the queue depth while indexing, and times model inference per model', async () => {
    await gql('mutation { createIndex(input: { name: "obs", regionMethodSpec: "simple?hn=2&wn=2" }) { __typename } }');
    const add = gql('mutation($d: [DocumentInput!]!) { addDocuments(index: "obs", documents: $d) { ... on AddDocumentsPayload { succeeded failed } } }', {
      d: [
        { id: 'ok1', fields: { image: `${imageBase}/a.png`, title: 'a red square' } },
        { id: 'ok2', fields: { image: `${imageBase}/slow.png` } },
        { id: 'bad', fields: { image: `${imageBase}/bad.png` } },
      ],
    });
    // While the slow image is being fetched, one document is still in the queue.
    await slowRequested;
    let depth = 0;
    for (let i = 0; i < 100 && depth === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      depth = value(await metrics(), 'loupe_indexing_documents_in_flight');
    }
    expect(depth).toBeGreaterThanOrEqual(1);
    releaseSlow();
    expect((await add).body.data.addDocuments).toEqual({ succeeded: 2, failed: 1 });
    await gql('query { search(index: "obs", input: { q: "red" }) { __typename } }');

    const text = await metrics();
    expect(value(text, 'loupe_indexing_documents_in_flight')).toBe(0);
    expect(value(text, 'loupe_documents_indexed_total', { outcome: 'ok' })).toBe(2);
    expect(value(text, 'loupe_documents_indexed_total', { outcome: 'IMAGE_UNREADABLE' })).toBe(1);
    // 2 images × (whole + 2×2 grid) + 1 text field.
    expect(value(text, 'loupe_chunks_indexed_total')).toBe(11);
    expect(value(text, 'loupe_model_inference_seconds_count', { model: 'color-clip', role: 'clip', input: 'image' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'loupe_model_inference_seconds_count', { model: 'color-clip', role: 'clip', input: 'text' })).toBeGreaterThanOrEqual(2);
    expect(value(text, 'loupe_model_inference_seconds_sum', { model: 'color-clip', input: 'image' })).toBeGreaterThan(0);
    expect(value(text, 'loupe_graphql_operations_total', { type: 'mutation', field: 'addDocuments' })).toBe(1);
    expect(value(text, 'loupe_graphql_operations_total', { type: 'query', field: 'search' })).toBe(1);
    expect(value(text, 'loupe_http_requests_total', { route: 'graphql', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(value(text, 'loupe_http_request_duration_seconds_count', { route: 'graphql', method: 'POST' })).toBeGreaterThanOrEqual(3);
    expect(value(text, 'loupe_http_requests_total', { route: 'metrics', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  });

  it('counts refused requests by code', async () => {
    await gql('{ indexes { name } }', {}, { 'x-api-key': 'wrong' });
    expect(value(await metrics(), 'loupe_request_rejections_total', { code: 'UNAUTHENTICATED' })).toBeGreaterThanOrEqual(1);
  });

  it('writes one JSON access-log line per request with its request id, status, time and operation', async () => {
    const { res } = await gql('query Find { search(index: "obs", input: { q: "red" }) { __typename } }', {}, { 'x-request-id': 'trace-42' });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    await new Promise((r) => setTimeout(r, 50));
    const line = logLines.find((l) => l.requestId === 'trace-42');
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request',
      service: 'loupe',
      component: 'http',
      method: 'POST',
      path: '/graphql',
      status: 200,
      operation: 'query search',
      key: 'anonymous',
    });
    expect(typeof line!.ms).toBe('number');
    expect(typeof line!.time).toBe('string');
    const { res: other } = await gql('{ indexes { name } }');
    const generated = other.headers.get('x-request-id')!;
    await new Promise((r) => setTimeout(r, 50));
    expect(logLines.filter((l) => l.requestId === generated)).toHaveLength(1);
  });
});
