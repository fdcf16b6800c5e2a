// Access control through GraphQL (yoga.fetch): roles, missing / wrong / revoked keys, hashed storage, rate limits,
// the refusal to serve a non-loopback address without keys, and browser origins (CORS, CSRF, DNS rebinding).
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { AccessService, isLoopbackHost, presentedKey } from '../../src/services/access-service.js';
import { ApiKeyRepository } from '../../src/repositories/api-key-repository.js';
import { createLogger } from '../../src/log.js';
import { TokenBuckets } from '../../src/services/rate-limiter.js';

const LIST = '{ indexes { name } }';
const CREATE =
  'mutation($name: String!) { createIndex(input: { name: $name, regionMethodSpec: "none" }) { __typename ... on Index { name } ... on LoupeError { code } } }';

async function post(
  t: TestLoupe,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  url = 'http://127.0.0.1/graphql',
) {
  const res = await t.yoga.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] },
  };
}

describe('with keys required (LOUPE_AUTH=on)', () => {
  let t: TestLoupe;
  let admin: string;
  let reader: string;
  beforeAll(async () => {
    t = await createTestLoupe({ auth: 'on', rateLimitPerSecond: 1000, rateLimitBurst: 1000 });
    admin = (await t.loupe.access.createKey({ role: 'admin', name: 'ops' })).key;
    reader = (await t.loupe.access.createKey({ role: 'read', name: 'web' })).key;
  });
  afterAll(async () => t?.close());

  it('refuses a request without a key with 401 UNAUTHENTICATED', async () => {
    const r = await post(t, LIST);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(r.body.data).toBeUndefined();
  });

  it('refuses a wrong key, a malformed key and a malformed Authorization header', async () => {
    const wrong = `lp_${'A'.repeat(43)}`;
    // A Basic header is not a key at all (a proxy in front may send one): here, that means no key.
    for (const headers of [
      { 'x-api-key': wrong },
      { 'x-api-key': 'hunter2' },
      { authorization: `Bearer ${wrong}` },
      { authorization: `Basic ${admin}` },
    ] as Record<string, string>[]) {
      const r = await post(t, LIST, {}, headers);
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const both = await post(t, LIST, {}, { 'x-api-key': admin, authorization: `Bearer ${reader}` });
    expect(both.status).toBe(401);
  });

  it('lets a read key search and read but not change anything (403 FORBIDDEN)', async () => {
    const ok = await post(t, LIST, {}, { 'x-api-key': reader });
    expect(ok.status).toBe(200);
    expect(Array.isArray(ok.body.data.indexes)).toBe(true);
    const denied = await post(t, CREATE, { name: 'from-reader' }, { authorization: `Bearer ${reader}` });
    expect(denied.status).toBe(403);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(denied.body.errors?.[0]?.message).toContain('admin');
    expect((await t.loupe.indexes.list()).map((i) => i.name)).not.toContain('from-reader');
    const search = await post(
      t,
      'query { search(index: "missing", input: { q: "red" }) { __typename ... on LoupeError { code } } }',
      {},
      { 'x-api-key': reader },
    );
    expect(search.body.data.search).toEqual({ __typename: 'LoupeError', code: 'INDEX_NOT_FOUND' });
  });

  it('lets an admin key manage indexes, by either header', async () => {
    const a = await post(t, CREATE, { name: 'by-admin' }, { 'x-api-key': admin });
    expect(a.status).toBe(200);
    expect(a.body.data.createIndex).toEqual({ __typename: 'Index', name: 'by-admin' });
    const b = await post(t, 'mutation { deleteIndex(name: "by-admin") { __typename } }', {}, { authorization: `Bearer ${admin}` });
    expect(b.status).toBe(200);
    expect(b.body.errors).toBeUndefined();
  });

  it('stores only a SHA-256 of each key', async () => {
    const client = new pg.Client({ connectionString: t.config.databaseUrl! });
    await client.connect();
    const rows = (await client.query('SELECT * FROM api_keys ORDER BY id')).rows as Record<string, unknown>[];
    await client.end();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(admin);
    expect(dump).not.toContain(reader);
    expect(rows.map((r) => r.key_hash)).toContain(createHash('sha256').update(admin).digest('hex'));
    expect(rows.find((r) => r.key_hash === createHash('sha256').update(reader).digest('hex'))).toMatchObject({
      role: 'read',
      name: 'web',
      prefix: reader.slice(0, 11),
    });
  });

  it('refuses a revoked key', async () => {
    const { key, stored } = await t.loupe.access.createKey({ role: 'read' });
    expect((await post(t, LIST, {}, { 'x-api-key': key })).status).toBe(200);
    expect((await t.loupe.access.revokeKey(stored.prefix)).map((k) => k.id)).toEqual([stored.id]);
    expect(await t.loupe.access.revokeKey(stored.prefix)).toEqual([]);
    expect((await post(t, LIST, {}, { 'x-api-key': key })).status).toBe(401);
  });

  it('rate-limits each key on its own: 429 with Retry-After once the burst is spent', async () => {
    const slow = (await t.loupe.access.createKey({ role: 'read', ratePerSec: 0.5, burst: 3 })).key;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await post(t, LIST, {}, { 'x-api-key': slow });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another key is not affected.
    expect((await post(t, LIST, {}, { 'x-api-key': reader })).status).toBe(200);
  });

  it('holds a key to its rate across replicas: two servers on one database share its bucket', async () => {
    const { key } = await t.loupe.access.createKey({ role: 'read', ratePerSec: 0.01, burst: 6 });
    // A second replica: its own AccessService (own caches and leases) over the same Postgres.
    const options = { mode: 'on' as const, host: '127.0.0.1', ratePerSecond: 50, burst: 100, authFailuresPerMinute: 30, authFailureBurst: 10 };
    const other = new AccessService(new ApiKeyRepository(t.loupe.database.prisma), options, createLogger({ test: true }, 'error'));
    const headers = new Headers({ 'x-api-key': key });
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        (i % 2 ? other : t.loupe.access).authenticate(headers, '127.0.0.1').then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok').length).toBe(6);
    expect(outcomes.filter((o) => o === 'RATE_LIMITED').length).toBe(10);
    const [row] = await t.loupe.database.prisma.$queryRaw<
      { tokens: number }[]
    >`SELECT tokens FROM rate_buckets b JOIN api_keys k ON k.id = b.key_id WHERE k.prefix = ${key.slice(0, 11)}`;
    expect(row!.tokens).toBeLessThan(1);
  });

  it('checks key options with the standard message', async () => {
    await expect(t.loupe.access.createKey({ role: 'owner' as never })).rejects.toThrow(
      "Expected 'admin' or 'read' for role but received \"owner\" of type string",
    );
    await expect(t.loupe.access.createKey({ role: 'read', ratePerSec: -1 })).rejects.toThrow(/for ratePerSec/);
  });
});

describe('on loopback with access control off (the default)', () => {
  let t: TestLoupe;
  beforeAll(async () => {
    t = await createTestLoupe();
  });
  afterAll(async () => t?.close());

  it('serves requests without a key, as admin', async () => {
    expect(t.loupe.access.required).toBe(false);
    const r = await post(t, CREATE, { name: 'local' });
    expect(r.body.data.createIndex.__typename).toBe('Index');
  });

  it('still checks a key that is sent', async () => {
    expect((await post(t, LIST, {}, { 'x-api-key': `lp_${'B'.repeat(43)}` })).status).toBe(401);
    const { key } = await t.loupe.access.createKey({ role: 'read' });
    expect((await post(t, CREATE, { name: 'x' }, { 'x-api-key': key })).status).toBe(403);
  });

  it('refuses requests from other sites (CSRF by form post) but not same-origin ones', async () => {
    const evil = await post(t, LIST, {}, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const same = await post(t, LIST, {}, { origin: 'http://127.0.0.1:8700', host: '127.0.0.1:8700' }, 'http://127.0.0.1:8700/graphql');
    expect(same.status).toBe(200);
    // A rebound name pointing at 127.0.0.1 (same origin to the browser) is refused by the front door on every
    // route, Origin or not: test/security/dns-rebinding.test.ts, over real HTTP.
    // A cross-site multipart form post (no preflight in browsers) is refused before it is parsed.
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: 'mutation { deleteIndex(name: "local") { __typename } }' }));
    form.set('map', '{}');
    const res = await t.yoga.fetch('http://127.0.0.1/graphql', {
      method: 'POST',
      body: form,
      headers: { origin: 'https://evil.example', 'content-length': '300' },
    });
    expect(res.status).toBe(403);
    expect((await t.loupe.indexes.list()).map((i) => i.name)).toContain('local');
  });
});

describe('CORS (LOUPE_CORS_ORIGINS)', () => {
  let t: TestLoupe;
  beforeAll(async () => {
    t = await createTestLoupe({ corsOrigins: ['https://app.example'] });
  });
  afterAll(async () => t?.close());

  it('answers preflights for listed origins only and lets them send keys', async () => {
    const pre = (origin: string) =>
      t.yoga.fetch('http://127.0.0.1/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
      });
    const ok = await pre('https://app.example');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
    const other = await pre('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    const r = await post(t, LIST, {}, { origin: 'https://app.example' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await post(t, LIST, {}, { origin: 'https://evil.example' })).status).toBe(403);
  });
});

describe('a server reachable from other machines', () => {
  it('refuses to start without keys, with a message saying what to do, and starts once a key exists', async () => {
    const t = await createTestLoupe({ host: '0.0.0.0' });
    try {
      expect(t.loupe.access.required).toBe(true);
      await expect(t.loupe.access.assertServable()).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 without API keys.*loupe keys create --role admin/);
      await t.loupe.access.createKey({ role: 'admin' });
      await expect(t.loupe.access.assertServable()).resolves.toBeUndefined();
      expect((await post(t, LIST)).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});

describe('access control switched off on a non-loopback address (LOUPE_AUTH=off, behind a proxy)', () => {
  it("serves without keys, ignores a proxy's Basic header, and lets the same-origin page in", async () => {
    const t = await createTestLoupe({ host: '0.0.0.0', auth: 'off' });
    try {
      await expect(t.loupe.access.assertServable()).resolves.toBeUndefined();
      expect((await post(t, LIST, {}, { authorization: 'Basic dXNlcjpwYXNz' })).status).toBe(200);
      const page = await post(t, LIST, {}, { origin: 'http://search.lan:8700', host: 'search.lan:8700' }, 'http://search.lan:8700/graphql');
      expect(page.status).toBe(200);
      expect((await post(t, LIST, {}, { origin: 'https://evil.example' })).status).toBe(403);
    } finally {
      await t.close();
    }
  });
});

describe('helpers', () => {
  it('tells loopback hosts from others', () => {
    for (const h of ['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', 'localhost.example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('reads x-api-key or a Bearer token', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(presentedKey(h({ 'x-api-key': 'k' }))).toBe('k');
    expect(presentedKey(h({ authorization: 'Bearer k' }))).toBe('k');
    expect(presentedKey(h({}))).toBeNull();
    expect(presentedKey(h({ authorization: 'Basic dXNlcjpwYXNz' }))).toBeNull();
  });

  it('refills token buckets at the configured rate', () => {
    let now = 0;
    const b = new TokenBuckets(() => now);
    const limits = { rate: 2, burst: 2 };
    expect(b.take('k', limits).ok).toBe(true);
    expect(b.take('k', limits).ok).toBe(true);
    expect(b.take('k', limits)).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 500; // one token back
    expect(b.take('k', limits).ok).toBe(true);
    expect(b.take('k', limits).ok).toBe(false);
  });
});
