// The front door over real HTTP: keys on /graphql, /media and /metrics, the `loupe keys` CLI against the same
// database as a running keyed server, request ids, the Content-Length rule for uploads, and refusing to serve a
// non-loopback address without keys.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createLogger } from '../../src/log.js';
import { sceneImage } from '../helpers/images.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

const run = promisify(execFile);
let t: TestLoupe;
let server: RunningServer;
let admin: string;
let cliEnv: Record<string, string>;
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...cliEnv, ...env }, timeout: 60_000 });

async function gql(query: string, key?: string, extra: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}), ...extra },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

beforeAll(async () => {
  t = await createTestLoupe({ port: 0, auth: 'on' });
  cliEnv = { DATABASE_URL: t.config.databaseUrl!, LOUPE_DATA_DIR: t.config.dataDir, LOUPE_LOG_LEVEL: 'error' };
  admin = (await t.loupe.access.createKey({ role: 'admin' })).key;
  server = await startServer(t.loupe, createLogger({}, 'error'));
}, 120_000);

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await t?.close().catch(() => undefined);
});

describe('loupe keys (CLI) with a running keyed server', () => {
  it('creates a key that works at once, lists it without the key itself, and revokes it', async () => {
    const created = await cli(['keys', 'create', '--role', 'read', '--name', 'dashboard', '--json']);
    const { key, prefix, role, id } = JSON.parse(created.stdout) as { key: string; prefix: string; role: string; id: number };
    expect(role).toBe('read');
    expect(key).toMatch(/^lp_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(prefix)).toBe(true);
    expect((await gql('{ indexes { name } }', key)).status).toBe(200);
    expect((await gql('mutation { deleteIndex(name: "x") { __typename } }', key)).status).toBe(403);

    const listed = await cli(['keys', 'list']);
    expect(listed.stdout).toContain(`${prefix}…\tread\tactive`);
    expect(listed.stdout).toContain('dashboard');
    expect(listed.stdout).not.toContain(key);

    const revoked = await cli(['keys', 'revoke', String(id)]);
    expect(revoked.stderr).toContain(`revoked key ${id}`);
    await expect(cli(['keys', 'revoke', prefix])).rejects.toMatchObject({ stderr: expect.stringMatching(/no active key/) });
    // The server's key cache forgets within KEY_CACHE_MS (5 s).
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (Date.now() < deadline && status === 200) {
      status = (await gql('{ indexes { name } }', key)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(401);
    // The embedded-or-not database the server uses is still up after the CLI closed its connection.
    expect((await gql('{ indexes { name } }', admin)).status).toBe(200);
  }, 120_000);

  it('lets the CLI send its key from LOUPE_API_KEY', async () => {
    await expect(cli(['indexes', '--url', server.url])).rejects.toMatchObject({ stderr: expect.stringMatching(/API key/) });
    const { stdout } = await cli(['indexes', '--url', server.url], { LOUPE_API_KEY: admin });
    expect(stdout).toBeDefined();
  }, 60_000);

  it('refuses a bad role with the standard message', async () => {
    await expect(cli(['keys', 'create', '--role', 'root'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/Expected 'admin' or 'read' for role but received "root"/),
    });
  }, 60_000);
});

describe('front door', () => {
  it('keeps a sane client request id and makes one otherwise', async () => {
    const a = await gql('{ indexes { name } }', admin, { 'x-request-id': 'abc-123' });
    expect(a.headers.get('x-request-id')).toBe('abc-123');
    const b = await gql('{ indexes { name } }', admin, { 'x-request-id': 'bad id\twith tab' });
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('needs a key for /media and /metrics, but not for /ready', async () => {
    expect((await fetch(`${server.url}/media/idx/doc/image`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const m = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const missing = await fetch(`${server.url}/media/idx/doc/image`, { headers: { 'x-api-key': admin } });
    expect(missing.status).toBe(404);
  });

  it('refuses a multipart upload without Content-Length (411) and one over the byte cap (413)', async () => {
    const url = new URL(`${server.url}/graphql`);
    const send = (headers: Record<string, string>, body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: '/graphql',
            method: 'POST',
            headers: { 'x-api-key': admin, 'content-type': 'multipart/form-data; boundary=x', ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect(await send({ 'transfer-encoding': 'chunked' }, '--x--')).toBe(411);
    expect(await send({ 'content-length': String(t.config.maxRequestBytes + 1) }, '')).toBe(413);
  });
});

describe('listening beyond loopback', () => {
  it('refuses to start on 0.0.0.0 without keys, before listening', async () => {
    const open = await createTestLoupe({ port: 0, host: '0.0.0.0' });
    try {
      await expect(startServer(open.loupe, createLogger({}, 'error'))).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 without API keys/);
    } finally {
      await open.close();
    }
  });
});

describe('a folder indexed with a read key', () => {
  it('is refused for the read key and works for the admin key', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'loupe-keys-'));
    writeFileSync(join(folder, 'a.png'), await sceneImage(64, 64, [255, 255, 255], [{ x1: 0, y1: 0, x2: 32, y2: 32, colour: [220, 30, 30] }]));
    const { key: reader } = await t.loupe.access.createKey({ role: 'read' });
    await expect(cli(['index', folder, '--index', 'keyed', '--url', server.url], { LOUPE_API_KEY: reader })).rejects.toMatchObject({
      stderr: expect.stringMatching(/role/),
    });
    const ok = await cli(['index', folder, '--index', 'keyed', '--url', server.url], { LOUPE_API_KEY: admin });
    expect(ok.stderr).toMatch(/indexed 1 of 1/);
  }, 60_000);
});
