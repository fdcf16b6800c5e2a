// Request limits that issue 12 found missing or wrong (12.4, 12.5, 12.9, 12.14): reranked images and image queries in
// the query cost, a per-request cap on reranked images, the multipart byte cap and codes that the README documents,
// malformed multipart as 400, failed authentications rate-limited per client address, and the initdb password file.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as limits from '../../src/api/query-limits.js';
import { schema } from '../../src/api/schema/index.js';
import { startEmbeddedPostgres } from '../../src/repositories/db/embedded-postgres.js';
import { sceneImage } from '../helpers/images.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

let t: TestLoupe;

async function send(body: BodyInit, headers: Record<string, string> = {}, serverContext?: Record<string, unknown>) {
  const init = { method: 'POST', headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit;
  const res = serverContext ? await t.yoga.fetch('http://127.0.0.1/graphql', init, serverContext) : await t.yoga.fetch('http://127.0.0.1/graphql', init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, body: json, headers: res.headers };
}
const gql = (query: string, variables: Record<string, unknown> = {}) => send(JSON.stringify({ query, variables }), { 'content-type': 'application/json' });
const codeOf = (r: { body: any }) => r.body?.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  t = await createTestLoupe({
    maxImageBytes: 27 * 1024 * 1024,
    maxRequestBytes: 30 * 1024 * 1024,
    maxUploadFiles: 3,
    authFailureBurst: 3,
    authFailuresPerMinute: 6,
  });
  await t.gql('mutation { createIndex(input: { name: "limits", regionMethodSpec: "none" }) { __typename } }');
  await t.gql('mutation($d: [DocumentInput!]!) { addDocuments(index: "limits", documents: $d) { __typename } }', {
    d: [{ id: 'a', fields: { title: 'red square' } }],
  });
}, 120_000);

afterAll(async () => t?.close());

describe('query cost counts reranking and image queries (12.4)', () => {
  const rerankAliases = (n: number, depth: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `s${i}: search(index: "limits", input: { q: "red square", limit: 100, rerank: { depth: ${depth} } }) { __typename }`).join(' ')} }`;

  it('refuses 30 aliased searches reranking 100 images each, before running any of them', async () => {
    const started = performance.now();
    const r = await gql(rerankAliases(30, 100));
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('caps reranked images per request (LOUPE_MAX_RERANK_IMAGES, default 100) even where the cost would pass', async () => {
    const r = await gql(rerankAliases(11, 10));
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.body.errors[0].message).toMatch(/reranks 110 images, over the limit of 100 per request \(LOUPE_MAX_RERANK_IMAGES\)/);
    const ok = await gql(rerankAliases(1, 100));
    expect(ok.status).toBe(200);
    expect(ok.body.data.s0.__typename).toBe('SearchResponse');
  });

  it('counts depth from variables, their default values and the page size when depth is not given', () => {
    const { estimateCost, IMAGE_QUERY_COST, listFieldNames, RERANK_IMAGE_COST, SEARCH_COST } = limits;
    const lists = listFieldNames(schema);
    const cost = (q: string, v: Record<string, unknown> = {}) => estimateCost(parse(q), undefined, v, lists);
    const plain = cost('{ search(index: "i", input: { q: "x" }) { __typename } }');
    expect(plain.rerankImages).toBe(0);
    expect(cost('{ search(index: "i", input: { q: "x", rerank: {} }) { __typename } }')).toEqual({
      cost: plain.cost + 10 * RERANK_IMAGE_COST,
      rerankImages: 10,
    });
    expect(cost('{ search(index: "i", input: { q: "x", limit: 40, rerank: {} }) { __typename } }').rerankImages).toBe(40);
    expect(cost('query($d: Int = 70) { search(index: "i", input: { q: "x", rerank: { depth: $d } }) { __typename } }').rerankImages).toBe(70);
    expect(cost('query($i: SearchInput!) { search(index: "i", input: $i) { __typename } }', { i: { q: 'x', rerank: { depth: 55 } } }).rerankImages).toBe(55);
    expect(cost('query($i: SearchInput! = { q: "x", rerank: { depth: 45 } }) { search(index: "i", input: $i) { __typename } }').rerankImages).toBe(45);
    expect(cost('{ search(index: "i", input: { image: { url: "http://x/y.png" } }) { __typename } }').cost).toBe(plain.cost + IMAGE_QUERY_COST);
    expect(plain.cost).toBeGreaterThan(SEARCH_COST);
  });
});

describe('multipart bodies (12.5, 12.9)', () => {
  const OP =
    'mutation($d: [DocumentInput!]!) { addDocuments(index: "limits", documents: $d) { __typename ... on AddDocumentsPayload { results { ok code message } } } }';
  const form = (files: { name: string; bytes: Uint8Array }[], map?: string) => {
    const f = new FormData();
    f.set(
      'operations',
      JSON.stringify({ query: OP, variables: { d: files.map((_, i) => ({ id: `m${i}`, fields: {}, files: [{ field: 'image', file: null }] })) } }),
    );
    f.set('map', map ?? JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.d.${i}.files.0.file`]]))));
    files.forEach((file, i) => f.set(String(i), new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), file.name));
    return f;
  };

  it('takes a 25.1 MB upload (under LOUPE_MAX_IMAGE_BYTES and LOUPE_MAX_REQUEST_BYTES): no 25 MB default cap', async () => {
    const png = await sceneImage(16, 16, [255, 255, 255], []);
    const big = new Uint8Array(25_100_000);
    big.set(png); // a real PNG followed by padding: decodable or typed-refused, never refused by size
    const r = await send(form([{ name: 'big.png', bytes: big }]));
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body.data.addDocuments.__typename).toBe('AddDocumentsPayload');
  }, 60_000);

  it('answers a body over LOUPE_MAX_REQUEST_BYTES, streamed without Content-Length, with 413 PAYLOAD_TOO_LARGE', async () => {
    // Three files of 12 MB: each under LOUPE_MAX_IMAGE_BYTES (27 MB here), together over LOUPE_MAX_REQUEST_BYTES (30 MB).
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [
      enc.encode(`--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: OP, variables: { d: [] } })}\r\n`),
    ];
    for (let i = 0; i < 3; i++) {
      parts.push(enc.encode(`--x\r\nContent-Disposition: form-data; name="${i}"; filename="${i}.png"\r\nContent-Type: image/png\r\n\r\n`));
      for (let j = 0; j < 12; j++) parts.push(new Uint8Array(1024 * 1024));
      parts.push(enc.encode('\r\n'));
    }
    parts.push(enc.encode('--x--\r\n'));
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = parts[pulled++];
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const r = await send(stream, { 'content-type': 'multipart/form-data; boundary=x' });
    expect(r.status).toBe(413);
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
    expect(r.body.errors[0].message).toMatch(/over 31457280 bytes \(LOUPE_MAX_REQUEST_BYTES\)/);
    expect(pulled).toBeLessThan(parts.length); // reading stopped at the cap
  }, 60_000);

  it('answers a file over LOUPE_MAX_IMAGE_BYTES and too many files with the documented 413 PAYLOAD_TOO_LARGE', async () => {
    const tooBig = await send(form([{ name: 'huge.png', bytes: new Uint8Array(t.config.maxImageBytes + 10) }]));
    expect(tooBig.status).toBe(413);
    expect(codeOf(tooBig)).toBe('PAYLOAD_TOO_LARGE');
    expect(tooBig.body.errors[0].message).toMatch(/LOUPE_MAX_IMAGE_BYTES/);
    const png = await sceneImage(8, 8, [0, 0, 0], []);
    const tooMany = await send(form([1, 2, 3, 4].map((i) => ({ name: `${i}.png`, bytes: png }))));
    expect(tooMany.status).toBe(413);
    expect(codeOf(tooMany)).toBe('PAYLOAD_TOO_LARGE');
    expect(tooMany.body.errors[0].message).toMatch(/LOUPE_MAX_UPLOAD_FILES/);
  });

  it('answers malformed multipart with 400 BAD_REQUEST naming what is wrong, never 500', async () => {
    const png = await sceneImage(8, 8, [0, 0, 0], []);
    const cases: [string, () => FormData, RegExp][] = [
      ['map value not a list', () => form([{ name: 'x.png', bytes: png }], '{"0":5}'), /map entry "0" must be a non-empty list of paths/],
      ['map not JSON', () => form([{ name: 'x.png', bytes: png }], '{nope'), /"map" is not valid JSON/],
      ['map an array', () => form([{ name: 'x.png', bytes: png }], '[["variables.d.0.files.0.file"]]'), /"map" must be a JSON object/],
      ['map names a missing file', () => form([{ name: 'x.png', bytes: png }], '{"9":["variables.d.0.files.0.file"]}'), /no file part of that name/],
      ['path outside variables', () => form([{ name: 'x.png', bytes: png }], '{"0":["query"]}'), /expected "variables\./],
      ['path to nothing', () => form([{ name: 'x.png', bytes: png }], '{"0":["variables.nope.0.file"]}'), /does not lead to a value/],
      ['path to a non-null value', () => form([{ name: 'x.png', bytes: png }], '{"0":["variables.d.0.id"]}'), /null placeholder/],
      ['prototype path', () => form([{ name: 'x.png', bytes: png }], '{"0":["variables.__proto__.polluted"]}'), /does not lead|null placeholder/],
      [
        'no operations',
        () => {
          const f = new FormData();
          f.set('map', '{}');
          return f;
        },
        /"operations"/,
      ],
      [
        'operations not JSON',
        () => {
          const f = new FormData();
          f.set('operations', '{');
          return f;
        },
        /"operations" is not valid JSON/,
      ],
      [
        'operations a list',
        () => {
          const f = new FormData();
          f.set('operations', '[]');
          return f;
        },
        /must be a JSON object/,
      ],
    ];
    for (const [what, make, message] of cases) {
      const r = await send(make());
      expect(r.status, what).toBe(400);
      expect(codeOf(r), what).toBe('BAD_REQUEST');
      expect(r.body.errors[0].message, what).toMatch(message);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const broken = await send('--x\r\nnot a part', { 'content-type': 'multipart/form-data; boundary=x' });
    expect(broken.status).toBe(400);
    expect((await gql('{ indexes { name } }')).status).toBe(200);
  });
});

describe('failed authentication is rate-limited per client address (12.14)', () => {
  it('answers RATE_LIMITED after the burst of failures from one address, before any lookup, and spares other addresses and good keys', async () => {
    const { key } = await t.loupe.access.createKey({ role: 'read' });
    const repo = (t.loupe.access as unknown as { repo: { findActiveByHash: (h: string) => Promise<unknown> } }).repo;
    const original = repo.findActiveByHash.bind(repo);
    let lookups = 0;
    repo.findActiveByHash = async (h) => {
      lookups++;
      return original(h);
    };
    try {
      const as = (address: string, k: string) =>
        send(
          JSON.stringify({ query: '{ indexes { name } }' }),
          { 'content-type': 'application/json', 'x-api-key': k },
          { req: { socket: { remoteAddress: address } } },
        );
      expect((await as('203.0.113.9', key)).status).toBe(200); // a good key, now cached as good
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await as('203.0.113.7', `lp_${String(i).repeat(43)}`)).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      expect(lookups).toBe(1 + 3); // the good key once, then only the three failures within the burst
      const limited = await as('203.0.113.7', `lp_${'Z'.repeat(43)}`);
      expect(codeOf(limited)).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await as('203.0.113.8', `lp_${'Y'.repeat(43)}`)).status).toBe(401); // another address
      expect((await as('203.0.113.7', 'not-even-a-key')).status).toBe(429); // malformed keys count too
    } finally {
      repo.findActiveByHash = original;
    }
  });
});

describe('embedded Postgres initdb (12.14)', () => {
  it('writes the initdb password file with mode 0600 in a private folder, and removes it', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'loupe-pwfile-watch-'));
    chmodSync(tmp, 0o755);
    const base = mkdtempSync(join(tmpdir(), 'loupe-pw-pg-'));
    chmodSync(base, 0o755);
    // initdb runs under execFileSync (the event loop is blocked), so another process watches the folder.
    const log = join(base, 'modes.txt');
    const watcher = spawn(
      'bash',
      [
        '-c',
        `while true; do for f in "$0"/*/* "$0"/*; do [ -f "$f" ] && stat -c '%a %n' "$f" "$(dirname "$f")"; done; sleep 0.005; done >> "${log}" 2>/dev/null`,
        tmp,
      ],
      { stdio: 'ignore' },
    );
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    let pg;
    try {
      pg = await startEmbeddedPostgres(join(base, 'data'), 'postgres');
    } finally {
      process.env.TMPDIR = saved;
      watcher.kill('SIGKILL');
    }
    await pg.stop();
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const files = lines.filter((l) => !l.endsWith(tmp) && /pwfile/.test(l));
    expect(files.length, lines.slice(0, 5).join('; ')).toBeGreaterThan(0);
    for (const line of lines) {
      const [mode, path] = line.split(' ');
      if (path === tmp) continue;
      expect(mode, path).toBe(/pwfile$/.test(path!) ? '600' : '700');
    }
    expect(readdirSync(tmp)).toEqual([]);
    rmSync(base, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }, 120_000);
});
