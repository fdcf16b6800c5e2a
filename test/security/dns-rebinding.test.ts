// DNS rebinding against a keyless loopback server (issue 12.2), over real HTTP: a page on any site can make a browser
// talk to 127.0.0.1 through a name it rebinds there, sending that name as Host and no Origin on a same-origin GET.
// The front door must refuse every such request, on every route, and serve loopback names as before.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

let t: TestLoupe;
let server: RunningServer;
let port: number;

/** A raw request with exactly the Host header given (fetch would not let us choose it). */
function get(path: string, host: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const QUERY = '/graphql?query=%7Bindexes%7Bname%7D%7D';
const JSON_ACCEPT = { accept: 'application/json' };

beforeAll(async () => {
  t = await createTestLoupe({ port: 0 });
  expect(t.loupe.access.required).toBe(false);
  expect(t.loupe.access.loopback).toBe(true);
  server = await startServer(t.loupe, createLogger({}, 'error'));
  port = Number(new URL(server.url).port);
  await t.gql('mutation { createIndex(input: { name: "rebind", regionMethodSpec: "none" }) { __typename } }');
}, 120_000);

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await t?.close().catch(() => undefined);
});

describe('a keyless loopback server', () => {
  it('refuses a GraphQL GET addressed to a rebound name (no Origin header), with 403 FORBIDDEN', async () => {
    const r = await get(QUERY, `evil.example:${port}`, JSON_ACCEPT);
    expect(r.status).toBe(403);
    const body = JSON.parse(r.body);
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(body.errors[0].message).toMatch(/not a loopback name/);
    expect(body.data).toBeUndefined();
  });

  it('refuses every other route too: /media, /metrics, /, /assets, /ready, GraphiQL, POST /graphql', async () => {
    const host = `evil.example:${port}`;
    for (const path of ['/media/rebind/a/image', '/metrics', '/', '/index.html', '/assets/main.js', '/ready', '/nope']) {
      const r = await get(path, host);
      expect(r.status, path).toBe(403);
      expect(r.body, path).toContain('FORBIDDEN');
    }
    expect((await get('/graphql', host, { accept: 'text/html' })).status).toBe(403);
    expect((await get('/graphql', host, { 'content-type': 'application/json', 'content-length': '0' }, 'POST')).status).toBe(403);
    // Names that only look local, IP forms that are not loopback, and a Host that is not a host at all.
    for (const h of [`localhost.evil.example:${port}`, `10.0.0.1:${port}`, `0.0.0.0:${port}`, `[::ffff:10.0.0.1]:${port}`, '[::7f00:1]', 'a b']) {
      expect((await get(QUERY, h, JSON_ACCEPT)).status, h).toBe(403);
    }
  });

  it('serves loopback names as before', async () => {
    for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `app.localhost:${port}`, '127.0.0.1']) {
      const r = await get(QUERY, h, JSON_ACCEPT);
      expect(r.status, h).toBe(200);
      expect(JSON.parse(r.body).data.indexes.map((i: { name: string }) => i.name)).toContain('rebind');
    }
    expect((await get('/metrics', `localhost:${port}`)).status).toBe(200);
    expect((await get('/ready', `127.0.0.1:${port}`)).status).toBe(200);
  });

  it('lets a request that presents a valid key through whatever its Host (a rebinding page cannot know a key)', async () => {
    const { key } = await t.loupe.access.createKey({ role: 'read' });
    expect((await get(QUERY, `search.lan:${port}`, { ...JSON_ACCEPT, 'x-api-key': key })).status).toBe(200);
    expect((await get(QUERY, `search.lan:${port}`, { ...JSON_ACCEPT, 'x-api-key': `lp_${'C'.repeat(43)}` })).status).toBe(401);
  });
});
