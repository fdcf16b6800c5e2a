// Crash safety (npm run test:crash). A `loupe serve` child process indexes a few hundred generated images sent as
// GraphQL multipart uploads by two concurrent clients, and is killed with SIGKILL at random moments (one of them
// during start-up) and restarted. Then: every acknowledged document is in Postgres with all its chunks and is found
// by search; nothing half-written is visible; re-sending is idempotent; the vector index after snapshot + catch-up
// answers exactly like a full rebuild; SIGTERM drains in-flight work and flushes the snapshot.
// LOUPE_CRASH_SEED, LOUPE_CRASH_DOCS and LOUPE_CRASH_KILLS change the run (the seed is printed).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, renderScene, type Scene } from '../../src/demo/scenes.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/repositories/db/embedded-postgres.js';
import { VectorIndex } from '../../src/native/vector-index.js';
import { spawnServer, type ServerProcess } from './server-process.js';

const SEED = Number(process.env.LOUPE_CRASH_SEED ?? Math.floor(Math.random() * 1e6));
const DOCS = Number(process.env.LOUPE_CRASH_DOCS ?? 300);
const KILLS = Math.max(5, Number(process.env.LOUPE_CRASH_KILLS ?? 6));
const CHUNKS_PER_DOC = 1 + 9 + 1; // whole image + 3×3 grid + the caption
const W = 160;
const H = 120;
const rnd = mulberry32(SEED);

let pgServer: EmbeddedPostgresHandle;
let pgDir: string;
let dataDir: string;
let env: Record<string, string>;
let db: pg.Client;
let scenes: Scene[] = [];
const acked = new Set<number>();
const stats = { requests: 0, interrupted: 0, kills: 0, peakRss: 0, snapshotLagAtRestart: 0 };

const caption = (i: number) => `${scenes[i]!.caption} ref${i}q`;

async function addDocuments(server: ServerProcess, idx: number[]): Promise<{ id: string; ok: boolean; code?: string; replaced?: boolean }[]> {
  const form = new FormData();
  const documents = idx.map((i) => ({ id: `doc-${i}`, fields: { caption: caption(i), n: i }, files: [{ field: 'image', file: null }] }));
  const query =
    'mutation($d: [DocumentInput!]!) { addDocuments(index: "crash", documents: $d) { __typename ... on AddDocumentsPayload { results { id ok code replaced } } ... on LoupeError { code message } } }';
  form.set('operations', JSON.stringify({ query, variables: { d: documents } }));
  form.set('map', JSON.stringify(Object.fromEntries(idx.map((_, j) => [String(j), [`variables.d.${j}.files.0.file`]]))));
  idx.forEach((i, j) => form.set(String(j), new Blob([scenes[i]!.png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), `${i}.png`));
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form });
  const body = (await res.json()) as {
    data?: { addDocuments: { __typename: string; results: { id: string; ok: boolean; code?: string; replaced?: boolean }[]; message?: string } };
  };
  const payload = body.data?.addDocuments;
  if (payload?.__typename !== 'AddDocumentsPayload') throw new Error(`addDocuments failed: ${JSON.stringify(body).slice(0, 300)}`);
  return payload.results;
}

async function gql(server: ServerProcess, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Two clients send batches (new documents first, then re-sends of acknowledged ones) until `until()` says stop. */
async function indexUntil(server: ServerProcess, until: () => boolean): Promise<void> {
  const inFlight = new Set<number>();
  const sender = async () => {
    while (!until()) {
      const fresh: number[] = [];
      for (let i = 0; i < DOCS && fresh.length < 6; i++) if (!acked.has(i) && !inFlight.has(i)) fresh.push(i);
      const ackedList = [...acked].filter((i) => !inFlight.has(i));
      const resend = ackedList.length ? [ackedList[Math.floor(rnd() * ackedList.length)]!] : [];
      const batch = [...fresh, ...resend.filter((i) => !fresh.includes(i))];
      if (!batch.length) return;
      batch.forEach((i) => inFlight.add(i));
      stats.requests++;
      try {
        const results = await addDocuments(server, batch);
        results.forEach((r, j) => {
          if (!r.ok) throw new Error(`document ${r.id} failed: ${r.code}`);
          acked.add(batch[j]!);
        });
      } catch (e) {
        if (!server.child.killed && server.child.exitCode === null) throw e;
        stats.interrupted++;
        return;
      } finally {
        batch.forEach((i) => inFlight.delete(i));
      }
    }
  };
  await Promise.all([sender(), sender()]);
}

async function kill(server: ServerProcess, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  stats.peakRss = Math.max(stats.peakRss, server.peakRss());
  server.child.kill(signal);
  return server.exited;
}

async function indexId(): Promise<number> {
  return (await db.query<{ id: number }>("SELECT id FROM indexes WHERE name = 'crash'")).rows[0]!.id;
}

async function snapshotSeq(): Promise<bigint | null> {
  const meta = join(dataDir, 'vectors', `${await indexId()}.json`);
  return existsSync(meta) ? BigInt((JSON.parse(readFileSync(meta, 'utf8')) as { seq: string }).seq) : null;
}

async function lastSeq(): Promise<bigint> {
  return BigInt((await db.query<{ last_seq: string }>("SELECT last_seq FROM indexes WHERE name = 'crash'")).rows[0]!.last_seq);
}

const TOP_K_QUERIES = [
  'red',
  'orange',
  'yellow',
  'green',
  'cyan',
  'blue',
  'purple',
  'pink',
  'brown',
  'black',
  'white',
  'grey',
  'red circle',
  'blue square',
  'green triangle',
  'purple circle on a white background',
  'a pink square and a black triangle',
];

async function topK(server: ServerProcess): Promise<{ id: string; score: number; box: unknown }[][]> {
  const out = [];
  for (const q of TOP_K_QUERIES) {
    const r = await gql(
      server,
      'query($q: String!) { search(index: "crash", input: { q: $q, limit: 30 }) { ... on SearchResponse { hits { id score highlights { box { x1 y1 x2 y2 } } } } } }',
      { q },
    );
    out.push(
      r.search.hits.map((h: { id: string; score: number; highlights: { box: unknown }[] }) => ({
        id: h.id,
        score: Math.round(h.score * 1e5) / 1e5,
        box: h.highlights[0]?.box,
      })),
    );
  }
  return out;
}

/** Same scores rank by rank; the same ids within each group of equal scores (ties may list in another order). */
function expectSameTopK(a: { id: string; score: number }[][], b: { id: string; score: number }[][]): void {
  a.forEach((hits, q) => {
    const other = b[q]!;
    expect(
      other.map((h) => h.score),
      TOP_K_QUERIES[q],
    ).toEqual(hits.map((h) => h.score));
    const last = hits.length ? hits[hits.length - 1]!.score : null;
    const groups = (hs: { id: string; score: number }[]) => {
      const m = new Map<number, string[]>();
      for (const h of hs) if (h.score !== last) m.set(h.score, [...(m.get(h.score) ?? []), h.id].sort());
      return m;
    };
    expect(groups(other), TOP_K_QUERIES[q]).toEqual(groups(hits));
  });
}

beforeAll(async () => {
  console.log(`crash test: seed ${SEED}, ${DOCS} documents, ${KILLS} kills`);
  pgDir = mkdtempSync(join(tmpdir(), 'loupe-crash-pg-'));
  chmodSync(pgDir, 0o755);
  pgServer = await startEmbeddedPostgres(join(pgDir, 'data'), 'loupe_crash');
  dataDir = mkdtempSync(join(tmpdir(), 'loupe-crash-data-'));
  env = {
    DATABASE_URL: pgServer.databaseUrl,
    LOUPE_DATA_DIR: dataDir,
    LOUPE_SNAPSHOT_EVERY: '40',
    LOUPE_ALLOW_LOOPBACK: 'true',
    LOUPE_SHUTDOWN_TIMEOUT_MS: '30000',
  };
  db = new pg.Client({ connectionString: pgServer.databaseUrl });
  await db.connect();
  scenes = [];
  for (let i = 0; i < DOCS; i++) scenes.push(await renderScene(SEED * 1000 + i, W, H));
}, 300_000);

afterAll(async () => {
  console.log(
    `crash test: ${stats.kills} SIGKILLs, ${stats.requests} addDocuments requests, ${stats.interrupted} interrupted by a kill, ` +
      `snapshot lag at the compared restart ${stats.snapshotLagAtRestart} sequence numbers, server peak RSS ${(stats.peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  await db?.end().catch(() => undefined);
  await pgServer?.stop();
  if (pgDir) rmSync(pgDir, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('crash safety', () => {
  let server: ServerProcess;

  it(
    `loses no acknowledged document through ${KILLS} SIGKILLs at random moments`,
    async () => {
      for (let life = 0; life < KILLS; life++) {
        if (life === 2) {
          // Once during start-up (migrations, model load, snapshot load and catch-up).
          const booting = spawnServer(env);
          await new Promise((r) => setTimeout(r, 300 + rnd() * 1500));
          await kill(booting.early, 'SIGKILL');
          await booting.catch(() => undefined);
          stats.kills++;
        }
        server = await spawnServer(env);
        if (life === 0) await gql(server, 'mutation { createIndex(input: { name: "crash", regionMethodSpec: "simple?hn=3&wn=3" }) { __typename } }');
        const killAt = Date.now() + 400 + rnd() * 2600;
        const timer = new Promise<void>((resolve) => setTimeout(() => void kill(server, 'SIGKILL').then(() => resolve()), killAt - Date.now()));
        await indexUntil(server, () => Date.now() >= killAt);
        await timer;
        stats.kills++;
      }
      server = await spawnServer(env);
      await indexUntil(server, () => acked.size === DOCS);
      expect(acked.size).toBe(DOCS);
      expect(stats.kills).toBeGreaterThanOrEqual(KILLS);
      expect(stats.interrupted).toBeGreaterThanOrEqual(3); // kills really landed mid-request
    },
    15 * 60_000,
  );

  it('has every acknowledged document with all its chunks, and nothing half-written', async () => {
    const id = await indexId();
    const docs = (
      await db.query<{ external_id: string; n: number; media: { image: { ref: string; width: number; height: number } } }>(
        "SELECT external_id, (fields->>'n')::int AS n, media FROM documents WHERE index_id = $1",
        [id],
      )
    ).rows;
    expect(docs.map((d) => d.external_id).sort()).toEqual([...acked].map((i) => `doc-${i}`).sort());
    const perDoc = (
      await db.query<{ external_id: string; chunks: string; positions: number[]; images: string; whole: string }>(
        `
      SELECT d.external_id, count(c.seq) AS chunks, array_agg(c.position ORDER BY c.position) AS positions,
             count(*) FILTER (WHERE c.kind = 'image') AS images,
             count(*) FILTER (WHERE c.position = 0 AND c.x1 = 0 AND c.y1 = 0 AND c.x2 = ${W} AND c.y2 = ${H}) AS whole
      FROM documents d LEFT JOIN chunks c ON c.document_id = d.id WHERE d.index_id = $1 GROUP BY d.external_id`,
        [id],
      )
    ).rows;
    for (const r of perDoc) {
      expect(Number(r.chunks), r.external_id).toBe(CHUNKS_PER_DOC);
      expect(r.positions, r.external_id).toEqual(Array.from({ length: CHUNKS_PER_DOC }, (_, i) => i));
      expect(Number(r.images)).toBe(CHUNKS_PER_DOC - 1);
      expect(Number(r.whole)).toBe(1);
    }
    const orphans = await db.query(`
      SELECT 'chunk without document' AS what, count(*) AS n FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL
      UNION ALL SELECT 'chunk of another index', count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.index_id <> d.index_id
      UNION ALL SELECT 'deleted chunk still present', count(*) FROM chunk_deletions x JOIN chunks c ON c.seq = x.chunk_seq
      UNION ALL SELECT 'sequence above last_seq', count(*) FROM chunks c JOIN indexes i ON i.id = c.index_id WHERE c.seq > i.last_seq
      UNION ALL SELECT 'deletion above last_seq', count(*) FROM chunk_deletions x JOIN indexes i ON i.id = x.index_id WHERE x.seq > i.last_seq`);
    for (const r of orphans.rows) expect(Number(r.n), r.what).toBe(0);
    // Uploaded images are stored whole under their sha256, in Postgres (table uploads) since issue 14.
    for (const d of docs) {
      const stored = (await db.query<{ bytes: Buffer }>('SELECT bytes FROM uploads WHERE sha256 = $1', [d.media.image.ref])).rows;
      expect(stored.length, `upload of ${d.external_id}`).toBe(1);
      const bytes = stored[0]!.bytes;
      expect(createHash('sha256').update(bytes).digest('hex'), d.external_id).toBe(d.media.image.ref);
      expect([d.media.image.width, d.media.image.height]).toEqual([W, H]);
    }
  }, 120_000);

  it('finds every acknowledged document by search (tensor with a filter, lexical by its caption token)', async () => {
    for (const i of acked) {
      const r = await gql(
        server,
        `query($q: String!, $n: JSON!, $t: String!) {
        t: search(index: "crash", input: { q: $q, searchableAttributes: ["image"], filters: [{ field: "n", eq: $n }] }) { ... on SearchResponse { hits { id highlights { box { x1 } } } } }
        l: search(index: "crash", input: { q: $t, method: LEXICAL, limit: 1 }) { ... on SearchResponse { hits { id } } } }`,
        { q: scenes[i]!.caption, n: i, t: `ref${i}q` },
      );
      expect(
        r.t.hits.map((h: { id: string }) => h.id),
        `tensor doc-${i}`,
      ).toEqual([`doc-${i}`]);
      expect(r.t.hits[0].highlights[0].box).not.toBeNull();
      expect(
        r.l.hits.map((h: { id: string }) => h.id),
        `lexical doc-${i}`,
      ).toEqual([`doc-${i}`]);
    }
  }, 300_000);

  it('treats re-sending every document as idempotent replaces', async () => {
    const before = await topK(server);
    const all = [...acked].sort((a, b) => a - b);
    for (let k = 0; k < all.length; k += 25) {
      const results = await addDocuments(server, all.slice(k, k + 25));
      for (const r of results) expect(r, r.id).toMatchObject({ ok: true, replaced: true });
    }
    const id = await indexId();
    const counts = (
      await db.query<{ docs: string; chunks: string }>(
        'SELECT (SELECT count(*) FROM documents WHERE index_id = $1) AS docs, (SELECT count(*) FROM chunks WHERE index_id = $1) AS chunks',
        [id],
      )
    ).rows[0]!;
    expect(Number(counts.docs)).toBe(DOCS);
    expect(Number(counts.chunks)).toBe(DOCS * CHUNKS_PER_DOC);
    expectSameTopK(before, await topK(server));
  }, 300_000);

  it('answers after snapshot + catch-up exactly as after a full rebuild from Postgres', async () => {
    // A few more replaces (fewer than LOUPE_SNAPSHOT_EVERY changes), then SIGKILL: the snapshot lags behind.
    await addDocuments(server, [0, 1]);
    await kill(server, 'SIGKILL');
    stats.kills++;
    const snap = await snapshotSeq();
    const last = await lastSeq();
    expect(snap).not.toBeNull();
    expect(snap!).toBeLessThan(last);
    stats.snapshotLagAtRestart = Number(last - snap!);

    server = await spawnServer(env);
    const caughtUp = await topK(server);
    expect(caughtUp.some((hits) => hits.length === 30)).toBe(true);
    expect(await kill(server, 'SIGTERM')).toEqual({ code: 0, signal: null });
    rmSync(join(dataDir, 'vectors'), { recursive: true, force: true });
    server = await spawnServer(env);
    expectSameTopK(caughtUp, await topK(server));
  }, 300_000);

  it('drains in-flight indexing on SIGTERM, refuses new connections, and flushes a snapshot that needs no replay', async () => {
    let release: () => void = () => undefined;
    let fetched: () => void = () => undefined;
    const requested = new Promise<void>((r) => (fetched = r));
    const images: Server = createServer((req, res) => {
      fetched();
      release = () => {
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'image/png' }).end(scenes[0]!.png);
      };
    });
    await new Promise<void>((r) => images.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(images.address() as AddressInfo).port}/slow.png`;
      const pending = gql(
        server,
        'mutation($d: [DocumentInput!]!) { addDocuments(index: "crash", documents: $d) { ... on AddDocumentsPayload { results { id ok code } } } }',
        {
          d: [{ id: 'late', fields: { image: url, caption: 'arrives during shutdown' } }],
        },
      );
      await requested; // the server is now in the middle of indexing it
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      await expect(fetch(`${server.url}/ready`)).rejects.toThrow(); // no longer accepting connections
      // Longer than any fixed grace period would allow, shorter than LOUPE_SHUTDOWN_TIMEOUT_MS.
      await new Promise((r) => setTimeout(r, 2_700));
      expect(server.child.exitCode).toBeNull(); // still finishing the request
      release();
      expect((await pending).addDocuments.results).toEqual([{ id: 'late', ok: true, code: null }]);
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      release();
      await new Promise((r) => images.close(r));
    }
    expect(await snapshotSeq()).toBe(await lastSeq());
    // The flushed snapshot holds exactly the chunks in Postgres: no orphan or missing vectors.
    const id = await indexId();
    const index = await VectorIndex.load(join(dataDir, 'vectors', `${id}.faiss`));
    const seqs = (await db.query<{ seq: string }>('SELECT seq FROM chunks WHERE index_id = $1', [id])).rows.map((r) => BigInt(r.seq));
    expect(index.size).toBe(seqs.length);
    expect(seqs.every((s) => index.contains(s))).toBe(true);
    expect((await db.query("SELECT 1 FROM documents WHERE external_id = 'late'")).rowCount).toBe(1);
  }, 180_000);
});
