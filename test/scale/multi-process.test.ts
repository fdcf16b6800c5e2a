// Issue 14 part 4: one Postgres, two API replicas (`loupe serve --no-worker`, each with its own data folder: nothing
// shared but the database) and two `loupe worker` processes. 500 generated images are uploaded through replica A
// (wait: false: acknowledged once stored and enqueued) while replica B is searched continuously. One worker is
// SIGKILLed while it holds a job, replica A is SIGKILLed in the middle of an addDocuments request and restarted.
// Then: the queue drains (no job stuck), every acknowledged document has exactly its chunks in Postgres and is found
// exactly once by both replicas (lexically by its unique caption word, and by a filtered tensor search that needs its
// vectors in that replica's FAISS), and the surviving replica and worker kept serving throughout.
// LOUPE_SCALE_DOCS changes the number of documents.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, renderScene, type Scene } from '../../src/demo/scenes.js';
import { spawnServer, type ServerProcess } from '../crash/server-process.js';
import { createTestDatabase } from '../helpers/loupe.js';
import { spawnWorker, type WorkerProcess } from './processes.js';

const DOCS = Number(process.env.LOUPE_SCALE_DOCS ?? 500);
const BATCH = 10;
const CHUNKS_PER_DOC = 1 + 4 + 1; // whole image + 2×2 grid + the caption
const caption = (i: number) => `${scenes[i]!.caption} ref${i}q`;

let databaseUrl: string;
let db: pg.Client;
const dirs: string[] = [];
let scenes: Scene[] = [];
const acked = new Set<number>();
const stats = { searches: 0, searchFailures: 0, searchesWhileADown: 0, interruptedBatches: 0, workerKilledHolding: 0, drainMs: 0 };
const procs: { kill(): void }[] = [];

function dir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `loupe-scale-${name}-`));
  dirs.push(d);
  return d;
}

async function gql(server: ServerProcess, query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<any> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** One multipart addDocuments(wait: false); the ids it acknowledges. */
async function upload(server: ServerProcess, idx: number[]): Promise<string[]> {
  const form = new FormData();
  const documents = idx.map((i) => ({ id: `doc-${i}`, fields: { caption: caption(i), n: i }, files: [{ field: 'image', file: null }] }));
  const query =
    'mutation($d: [DocumentInput!]!) { addDocuments(index: "scale", documents: $d, wait: false) { __typename ... on AddDocumentsPayload { jobId queued results { id ok status code } } ... on LoupeError { code message } } }';
  form.set('operations', JSON.stringify({ query, variables: { d: documents } }));
  form.set('map', JSON.stringify(Object.fromEntries(idx.map((_, j) => [String(j), [`variables.d.${j}.files.0.file`]]))));
  idx.forEach((i, j) => form.set(String(j), new Blob([scenes[i]!.png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), `${i}.png`));
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form });
  const body = (await res.json()) as any;
  const payload = body.data?.addDocuments;
  if (payload?.__typename !== 'AddDocumentsPayload') throw new Error(`addDocuments failed: ${JSON.stringify(body).slice(0, 300)}`);
  for (const r of payload.results) if (!(r.ok && r.status === 'QUEUED')) throw new Error(`document ${r.id} refused: ${r.code}`);
  return payload.results.map((r: { id: string }) => r.id);
}

async function workerHoldsJob(w: WorkerProcess): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM graphile_worker.jobs j JOIN queue_workers q ON q.worker_id = j.locked_by WHERE q.pid = $1 AND j.task_identifier = 'loupe_index'`,
    [w.child.pid],
  );
  return rows.length > 0;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const rnd = mulberry32(14);
  scenes = await Promise.all(Array.from({ length: DOCS }, (_, i) => renderScene(Math.floor(rnd() * 1e9) + i, 96, 72)));
  databaseUrl = await createTestDatabase();
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
}, 180_000);

afterAll(async () => {
  console.log(`multi-process test: ${DOCS} documents, ${JSON.stringify(stats)}`);
  for (const p of procs) p.kill();
  await db?.end().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('two replicas and two workers on one Postgres', () => {
  it('indexes every acknowledged document exactly once, searchable from both replicas, through a worker and a replica SIGKILL', async () => {
    const common = { DATABASE_URL: databaseUrl, LOUPE_ALLOW_LOOPBACK: 'true', LOUPE_INDEX_RETRY_MS: '200', LOUPE_SEARCH_VERIFY_MS: '2000' };
    const replicaEnv = (d: string) => ({ ...common, LOUPE_DATA_DIR: d, LOUPE_SERVE_WORKER: 'off' });
    const aDir = dir('a');
    const track = <T extends { child: { kill(s?: NodeJS.Signals): boolean } }>(p: T): T => {
      procs.push({ kill: () => p.child.kill('SIGKILL') });
      return p;
    };
    const started = await Promise.all([
      spawnServer(replicaEnv(aDir)).then(track),
      spawnServer(replicaEnv(dir('b'))).then(track),
      spawnWorker({ ...common, LOUPE_DATA_DIR: dir('w1') }, ['--concurrency', '2']).then(track),
      spawnWorker({ ...common, LOUPE_DATA_DIR: dir('w2') }, ['--concurrency', '2']).then(track),
    ] as const);
    let a = started[0];
    const [, b, w1, w2] = started;
    const created = await gql(a, 'mutation { createIndex(input: { name: "scale", regionMethodSpec: "simple?hn=2&wn=2" }) { __typename } }');
    expect(created.createIndex.__typename).toBe('Index');

    // Searches through B all along; A's downtime is counted apart (B must keep answering then).
    let aDown = false;
    let searching = true;
    const searcher = (async () => {
      while (searching) {
        try {
          const r = await gql(b, '{ search(index: "scale", input: { q: "red circle", limit: 5 }) { __typename } }');
          if (r.search.__typename !== 'SearchResponse') throw new Error(r.search.__typename);
          stats.searches++;
          if (aDown) stats.searchesWhileADown++;
        } catch (e) {
          stats.searchFailures++;
          if (stats.searchFailures === 1) console.log(`first failed search through B: ${(e as Error).message}\n${b.tail()}`);
        }
        await new Promise((r) => setTimeout(r, 20)); // a steady stream, not a busy loop on two cores
      }
    })();

    // Uploads through A, batch after batch; one batch is cut by A's SIGKILL and sent again after the restart.
    let killedWorker = false;
    let killedReplica = false;
    for (let start = 0; start < DOCS;) {
      const idx = Array.from({ length: Math.min(BATCH, DOCS - start) }, (_, j) => start + j);
      if (!killedWorker && start >= DOCS * 0.3) {
        // SIGKILL worker 1 while it holds a job (it has the upload batches of the last seconds to work on).
        await until('worker 1 holds a job', () => workerHoldsJob(w1), 60_000);
        if (await workerHoldsJob(w1)) stats.workerKilledHolding++;
        w1.child.kill('SIGKILL');
        await w1.exited;
        killedWorker = true;
      }
      if (!killedReplica && start >= DOCS * 0.6) {
        killedReplica = true;
        const pending = upload(a, idx).then(
          () => 'answered' as const,
          () => 'cut' as const,
        );
        await new Promise((r) => setTimeout(r, 15)); // the request is on its way
        a.child.kill('SIGKILL');
        aDown = true;
        await a.exited;
        if ((await pending) === 'cut') stats.interruptedBatches++;
        else idx.forEach((i) => acked.add(i)); // answered before it died: acknowledged
        a = await spawnServer(replicaEnv(aDir)).then(track);
        aDown = false;
        continue; // send the same batch again (same ids: a replacement, never a duplicate)
      }
      const ids = await upload(a, idx);
      expect(ids).toEqual(idx.map((i) => `doc-${i}`));
      idx.forEach((i) => acked.add(i));
      start += BATCH;
    }
    expect(acked.size).toBe(DOCS);

    // The queue drains: nothing queued, no job left (the dead worker's jobs were unlocked and run by the survivor).
    const t0 = Date.now();
    await until(
      'the queue is drained',
      async () => {
        const q = await db.query(`SELECT count(*)::int AS n FROM indexing_tasks WHERE status = 'queued'`);
        const j = await db.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'loupe_index'`);
        return q.rows[0].n === 0 && j.rows[0].n === 0;
      },
      180_000,
    );
    stats.drainMs = Date.now() - t0;
    searching = false;
    await searcher;

    const failed = await db.query(`SELECT external_id, code, message FROM indexing_tasks WHERE status = 'failed'`);
    expect(failed.rows).toEqual([]);
    // Exactly its chunks per document in Postgres: none lost, none duplicated.
    const counts = await db.query<{ external_id: string; n: number }>(
      `SELECT d.external_id, count(c.seq)::int AS n FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.external_id`,
    );
    expect(counts.rows).toHaveLength(DOCS);
    expect(counts.rows.filter((r) => r.n !== CHUNKS_PER_DOC)).toEqual([]);

    // Found exactly once from both replicas.
    for (const replica of [a, b]) {
      for (const i of acked) {
        const r = await gql(
          replica,
          'query($q: String!) { search(index: "scale", input: { q: $q, method: LEXICAL, limit: 5 }) { ... on SearchResponse { hits { id } } } }',
          {
            q: `ref${i}q`,
          },
        );
        expect(r.search.hits.map((h: { id: string }) => h.id)).toEqual([`doc-${i}`]);
      }
      for (let s = 0; s < DOCS; s += 50) {
        const ns = Array.from({ length: Math.min(50, DOCS - s) }, (_, j) => s + j);
        const r = await gql(
          replica,
          'query($f: [FilterInput!]) { search(index: "scale", input: { q: "red", limit: 100, filters: $f, searchableAttributes: ["image"] }) { ... on SearchResponse { hits { id highlights { box { x1 } } } } } }',
          { f: [{ field: 'n', in: ns }] },
        );
        const ids = r.search.hits.map((h: { id: string }) => h.id).sort();
        expect(ids).toEqual(ns.map((n) => `doc-${n}`).sort());
        expect(r.search.hits.every((h: { highlights: { box: unknown }[] }) => h.highlights[0]?.box)).toBe(true);
      }
    }
    // The survivors kept serving: B answered while A was down, and worker 2 did the killed worker's share.
    expect(stats.searchesWhileADown).toBeGreaterThan(0);
    expect(stats.searchFailures).toBe(0);
    expect(stats.workerKilledHolding).toBe(1);
    expect(w2.child.exitCode).toBeNull();
  }, 600_000);
});
