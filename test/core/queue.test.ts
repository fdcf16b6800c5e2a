// The indexing queue (issue 14): addDocuments stores documents, uploads and the job in one transaction and answers at
// once (wait: false) or with per-document results (wait: true); workers in another Loupe on the same database index
// them; a job run twice writes once; transient failures are retried with backoff and fail for good after N tries;
// the jobs of a dead worker are unlocked; a replica without the uploader's data folder reads uploads from Postgres.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { sceneImage } from '../helpers/images.js';
import { sweepQueue } from '../../src/repositories/job-queue.js';
import { IndexingWorker } from '../../src/services/indexing-worker.js';
import { IndexingTaskRepository } from '../../src/repositories/indexing-task-repository.js';
import { PostgresUploadStore } from '../../src/repositories/upload-store.js';
import { createLogger } from '../../src/log.js';

const ADD = `mutation($d: [DocumentInput!]!, $wait: Boolean, $job: String) {
  addDocuments(index: "q", documents: $d, wait: $wait, jobId: $job) {
    __typename
    ... on AddDocumentsPayload { jobId succeeded queued failed results { id ok status replaced code message } }
    ... on LoupeError { code message }
  } }`;

let api: TestLoupe; // serves the API, runs no worker
let worker: TestLoupe; // same database, its own data folder: the worker
let images: Server;
let imagesUrl = '';
let flaky = 0; // /flaky.png answers 503 this many more times, then the image
const red = await sceneImage(64, 48, [220, 30, 30], []);

async function chunkCount(t: TestLoupe, id: string): Promise<number> {
  const d = (await t.gql(`{ document(index: "q", id: "${id}") { ... on Document { regions { position } } ... on LoupeError { code } } }`)).document;
  return d.regions?.length ?? -1;
}

async function db<T>(t: TestLoupe, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: t.loupe.database.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function waitDone(t: TestLoupe, jobId: string) {
  const state = await t.loupe.jobs.waitFor(jobId, AbortSignal.timeout(60_000));
  expect(state, `job ${jobId} did not finish`).not.toBeNull();
  return state!;
}

beforeAll(async () => {
  images = createServer((req, res) => {
    if (req.url === '/flaky.png' && flaky > 0) {
      flaky--;
      res.writeHead(503).end('busy');
      return;
    }
    if (req.url === '/down.png') return void res.writeHead(503).end('down');
    if (req.url === '/red.png' || req.url === '/flaky.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(red);
    res.writeHead(404).end('no');
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', () => r()));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  api = await createTestLoupe({ serveWorker: false });
  worker = await createTestLoupe({ databaseUrl: api.config.databaseUrl, serveWorker: true, indexRetryMs: 100, indexMaxAttempts: 3 });
  await api.gql('mutation { createIndex(input: { name: "q", regionMethodSpec: "simple?hn=2&wn=2" }) { __typename } }');
});

afterAll(async () => {
  await worker?.close();
  await api?.close();
  await new Promise((r) => images?.close(r));
});

describe('addDocuments through the queue', () => {
  it('answers wait: false at once with the job id and QUEUED ids; a worker in another Loupe indexes them', async () => {
    const d = [
      { id: 'a', fields: { caption: 'a red thing', image: `${imagesUrl}/red.png` } },
      { fields: { caption: 'no id given' } },
      { id: 'bad', fields: { caption: { nested: true } } },
    ];
    const res = (await api.gql(ADD, { d, wait: false, job: 'job-async' })).addDocuments;
    expect(res).toMatchObject({ __typename: 'AddDocumentsPayload', jobId: 'job-async', queued: 2, failed: 1, succeeded: 0 });
    expect(res.results[0]).toMatchObject({ id: 'a', ok: true, status: 'QUEUED', replaced: null });
    expect(res.results[1].id).toMatch(/^[0-9a-f-]{36}$/); // generated at submission, so the caller knows it
    expect(res.results[2]).toMatchObject({ id: 'bad', ok: false, status: 'FAILED', code: 'INVALID_INPUT' });
    const state = await waitDone(api, 'job-async');
    expect(state).toMatchObject({ processed: 3, failed: 1, total: 3, done: true });
    expect(await chunkCount(api, 'a')).toBe(1 + 4 + 1); // whole image + 2×2 grid + caption
    expect(await chunkCount(api, res.results[1].id)).toBe(1);
    const hits = (await api.gql('{ search(index: "q", input: { q: "red", limit: 5 }) { ... on SearchResponse { hits { id } } } }')).search.hits;
    expect(hits.map((h: any) => h.id)).toContain('a');
  });

  it('answers wait: true with per-document results; re-adding replaces', async () => {
    const d = [
      { id: 'a', fields: { caption: 'still red', image: `${imagesUrl}/red.png` } },
      { id: 'gone', fields: { image: `${imagesUrl}/missing.png` } },
    ];
    const res = (await api.gql(ADD, { d, wait: true })).addDocuments;
    expect(res).toMatchObject({ succeeded: 1, queued: 0, failed: 1 });
    expect(res.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.results[0]).toMatchObject({ id: 'a', ok: true, status: 'INDEXED', replaced: true });
    // A 404 is final at once: no retries.
    expect(res.results[1]).toMatchObject({ id: 'gone', ok: false, status: 'FAILED', code: 'IMAGE_FETCH_FAILED' });
    expect(res.results[1].message).toMatch(/HTTP 404/);
    expect(res.results[1].message).not.toMatch(/Gave up/);
    expect(await chunkCount(api, 'a')).toBe(6);
  });

  it('refuses a job id that is still running, and takes it again once that job is done', async () => {
    const d = [{ id: 'r1', fields: { caption: 'one' } }];
    await api.gql(ADD, { d, wait: true, job: 'job-reuse' });
    const again = (await api.gql(ADD, { d, wait: true, job: 'job-reuse' })).addDocuments;
    expect(again).toMatchObject({ __typename: 'AddDocumentsPayload', jobId: 'job-reuse', succeeded: 1 });
    // While a job with queued tasks exists, its id is refused (the second submission would rob its subscribers).
    const tasks = new IndexingTaskRepository(api.loupe.database.prisma);
    const record = await api.loupe.indexes.get('q');
    await tasks.submit({ id: 'job-held', indexId: record.id }, [{ externalId: 'h', input: { fields: { caption: 'held' }, uploads: [] } }], new Map(), 5);
    const refused = (await api.gql(ADD, { d, wait: false, job: 'job-held' })).addDocuments;
    expect(refused).toEqual({ __typename: 'LoupeError', code: 'INVALID_INPUT', message: 'Indexing job "job-held" is already running' });
    await waitDone(api, 'job-held');
  });

  it('retries a transient failure with backoff and indexes the document', async () => {
    flaky = 1;
    const res = (await api.gql(ADD, { d: [{ id: 'flaky', fields: { image: `${imagesUrl}/flaky.png` } }], wait: true })).addDocuments;
    expect(res.results[0]).toMatchObject({ id: 'flaky', ok: true, status: 'INDEXED' });
    const [task] = await db<{ attempts: number }>(api, 'SELECT attempts FROM indexing_tasks WHERE job_id = $1', [res.jobId]);
    expect(task!.attempts).toBe(2);
    expect(flaky).toBe(0);
  });

  it('fails a document for good after N transient failures, with the last error', async () => {
    const res = (await api.gql(ADD, { d: [{ id: 'down', fields: { image: `${imagesUrl}/down.png` } }], wait: true })).addDocuments;
    expect(res.results[0]).toMatchObject({ id: 'down', ok: false, code: 'IMAGE_FETCH_FAILED' });
    expect(res.results[0].message).toMatch(/^Gave up after 3 attempts: HTTP 503/);
    const left = await db<{ n: string }>(api, "SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'loupe_index'");
    expect(Number(left[0]!.n)).toBe(0); // nothing stays queued
  });

  it('writes a job run twice once: the write is keyed by (document, version)', async () => {
    const record = await api.loupe.indexes.get('q');
    const tasks = new IndexingTaskRepository(api.loupe.database.prisma);
    // Stored and enqueued, but run here by hand (twice at once, like a worker presumed dead and its replacement).
    const sha = await uploadSha(red);
    await tasks.submit(
      { id: 'job-twice', indexId: record.id },
      [
        {
          externalId: 'twice',
          input: { fields: { caption: 'red twice', image: 'r.png' }, uploads: [['image', { name: 'r.png', type: 'image/png', sha256: sha }]] },
        },
      ],
      new Map([[sha, red]]),
      5,
    );
    const run = () =>
      new IndexingWorker(
        tasks,
        api.loupe.documents,
        new PostgresUploadStore(api.loupe.database.prisma),
        { maxAttempts: 3, retryBaseMs: 10 },
        createLogger({}, 'silent'),
      );
    await Promise.all([
      run().run({ jobId: 'job-twice', attempt: 1, signal: new AbortController().signal }),
      run().run({ jobId: 'job-twice', attempt: 1, signal: new AbortController().signal }),
    ]);
    // A third, late run after the task was marked indexed: replay it as at-least-once delivery would.
    await db(api, "UPDATE indexing_tasks SET status = 'queued' WHERE job_id = 'job-twice'");
    await run().run({ jobId: 'job-twice', attempt: 2, signal: new AbortController().signal });
    await waitDone(api, 'job-twice');
    const rows = await db<{ n: string; version: string }>(
      api,
      "SELECT count(c.seq) AS n, d.version FROM documents d JOIN chunks c ON c.document_id = d.id WHERE d.external_id = 'twice' GROUP BY d.version",
    );
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.n)).toBe(1 + 4 + 1);
    const hits = (await api.gql('{ search(index: "q", input: { q: "red twice", method: LEXICAL, limit: 50 }) { ... on SearchResponse { hits { id } } } }'))
      .search.hits;
    expect(hits.filter((h: any) => h.id === 'twice')).toHaveLength(1);
  });

  it('an older version never overwrites a newer one', async () => {
    const record = await api.loupe.indexes.get('q');
    const tasks = new IndexingTaskRepository(api.loupe.database.prisma);
    const { versions: older } = await tasks.submit(
      { id: 'job-old', indexId: record.id },
      [{ externalId: 'v', input: { fields: { caption: 'old' }, uploads: [] } }],
      new Map(),
      5,
    );
    const { versions: newer } = await tasks.submit(
      { id: 'job-new', indexId: record.id },
      [{ externalId: 'v', input: { fields: { caption: 'new' }, uploads: [] } }],
      new Map(),
      5,
    );
    expect(newer[0]! > older[0]!).toBe(true);
    await waitDone(api, 'job-new');
    await waitDone(api, 'job-old');
    const d = (await api.gql('{ document(index: "q", id: "v") { ... on Document { fields } } }')).document;
    expect(d.fields.caption).toBe('new');
  });

  it('serves an upload from Postgres to a replica that never saw the uploader', async () => {
    const form = new FormData();
    const query = 'mutation($d: [DocumentInput!]!) { addDocuments(index: "q", documents: $d) { ... on AddDocumentsPayload { results { id ok status } } } }';
    form.set('operations', JSON.stringify({ query, variables: { d: [{ id: 'up', fields: {}, files: [{ field: 'image', file: null }] }] } }));
    form.set('map', JSON.stringify({ 0: ['variables.d.0.files.0.file'] }));
    form.set('0', new Blob([red as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'red.png');
    const res = await api.yoga.fetch('http://loupe.test/graphql', { method: 'POST', body: form });
    const body = (await res.json()) as any;
    expect(body.data.addDocuments.results[0]).toMatchObject({ id: 'up', ok: true, status: 'INDEXED' });
    // The worker Loupe has its own, empty data folder: the bytes can only have come from Postgres.
    const got = await worker.loupe.media.open('q', 'up', 'image');
    expect(got.kind).toBe('stream');
    const chunks: Buffer[] = [];
    for await (const c of (got as { body: AsyncIterable<Buffer> }).body) chunks.push(c);
    expect(Buffer.concat(chunks).equals(red)).toBe(true);
  });
});

describe('queue sweeper', () => {
  it('unlocks the jobs of a worker whose Postgres backend is gone, and finishes jobs that used up their attempts', async () => {
    const record = await api.loupe.indexes.get('q');
    const tasks = new IndexingTaskRepository(api.loupe.database.prisma);
    const client = new pg.Client({ connectionString: api.loupe.database.databaseUrl });
    await client.connect();
    try {
      // A job locked by a worker that died: registered with a backend that does not exist.
      await client.query(
        `INSERT INTO queue_workers (worker_id, backend_pid, backend_start, host, pid) VALUES ('worker-dead', 999999, now() - interval '1 hour', 'gone', 1)`,
      );
      await client.query(`SELECT graphile_worker.add_job('loupe_index', '{"jobId":"job-locked"}'::json, run_at => now() + interval '1 hour')`);
      await client.query(`UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'worker-dead' WHERE payload->>'jobId' = 'job-locked'`);
      // A job whose handler failed every time without recording anything (its rows written here, so no worker runs it first).
      await client.query(`INSERT INTO indexing_jobs (id, index_id, total) VALUES ('job-spent', $1, 1)`, [record.id]);
      await client.query(`INSERT INTO indexing_tasks (job_id, position, external_id, input) VALUES ('job-spent', 0, 's', '{"fields":{},"uploads":[]}')`);
      await client.query(
        `SELECT graphile_worker.add_job('loupe_index', '{"jobId":"job-spent"}'::json, run_at => now() + interval '1 hour', max_attempts => 1)`,
      );
      await client.query(`UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'boom' WHERE payload->>'jobId' = 'job-spent'`);
      const gaveUp: string[] = [];
      const { unlocked } = await sweepQueue(client, async (jobId, lastError) => {
        gaveUp.push(`${jobId}:${lastError}`);
        await tasks.failRemaining(jobId, 'Gave up');
      });
      expect(unlocked).toBe(1);
      const locked = await client.query(`SELECT locked_by FROM graphile_worker.jobs WHERE key IS NULL AND locked_by = 'worker-dead'`);
      expect(locked.rows).toHaveLength(0);
      expect((await client.query(`SELECT 1 FROM queue_workers WHERE worker_id = 'worker-dead'`)).rows).toHaveLength(0);
      expect(gaveUp).toEqual(['job-spent:boom']);
      const [spent] = await tasks.results('job-spent');
      expect(spent).toMatchObject({ status: 'failed', code: 'INTERNAL' });
      // The unlocked job is an ordinary waiting job again.
      await client.query(`DELETE FROM graphile_worker._private_jobs WHERE payload->>'jobId' = 'job-locked'`);
    } finally {
      await client.end();
    }
  });
});

async function uploadSha(bytes: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}
