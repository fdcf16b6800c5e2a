// Load benchmark: many concurrent searches (autocannon) plus continuous indexing, against a real `loupe serve`
// process with access control on (keys on every request), for a few minutes. Prints p50/p99/throughput of the
// searches and of the indexing batches, counts errors and 5xx (must be zero), and samples the server's RSS to show
// memory stays flat. One command: npm run bench:load
//   LOUPE_LOAD_SECONDS (300), LOUPE_LOAD_CONNECTIONS (16), LOUPE_LOAD_SEED_DOCS (200), LOUPE_LOAD_INDEXING (1; 0 = searches
//   only), DATABASE_URL (else embedded)
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { renderScene } from '../../src/demo/scenes.js';
import { spawnServer, type ServerProcess } from '../../test/crash/server-process.js';

const SECONDS = Number(process.env.LOUPE_LOAD_SECONDS ?? 300);
const CONNECTIONS = Number(process.env.LOUPE_LOAD_CONNECTIONS ?? 16);
const SEED_DOCS = Number(process.env.LOUPE_LOAD_SEED_DOCS ?? 200);
const INDEXING = process.env.LOUPE_LOAD_INDEXING !== '0';
const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'loupe-load-'));
const env: Record<string, string> = { LOUPE_DATA_DIR: dataDir, LOUPE_AUTH: 'on', LOUPE_LOG_LEVEL: 'warn' };
if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function createKey(role: 'admin' | 'read'): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'create', '--role', role, '--rate', '100000', '--burst', '100000', '--name', 'bench:load', '--json'],
    {
      env: { ...process.env, ...env },
    },
  );
  return (JSON.parse(stdout) as { key: string }).key;
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function addBatch(server: ServerProcess, key: string, from: number, count: number): Promise<void> {
  const scenes = await Promise.all(Array.from({ length: count }, (_, i) => renderScene(from + i, 160, 120)));
  const form = new FormData();
  const d = scenes.map((s) => ({ id: s.id, fields: { caption: s.caption, n: from }, files: [{ field: 'image', file: null }] }));
  form.set(
    'operations',
    JSON.stringify({
      query: 'mutation($d: [DocumentInput!]!) { addDocuments(index: "load", documents: $d) { __typename ... on AddDocumentsPayload { failed } } }',
      variables: { d },
    }),
  );
  form.set('map', JSON.stringify(Object.fromEntries(scenes.map((_, i) => [String(i), [`variables.d.${i}.files.0.file`]]))));
  scenes.forEach((s, i) => form.set(String(i), new Blob([s.png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), `${s.id}.png`));
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'x-api-key': key }, body: form });
  const body = (await res.json()) as { data?: { addDocuments: { __typename: string; failed: number } } };
  if (res.status !== 200 || body.data?.addDocuments.__typename !== 'AddDocumentsPayload' || body.data.addDocuments.failed)
    throw new Error(`indexing batch failed: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
}

const WORDS = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'brown', 'black', 'red circle', 'blue square on a grey background'];
function searchBodies(): string[] {
  const q =
    'query($i: SearchInput!) { search(index: "load", input: $i) { __typename ... on SearchResponse { processingTimeMs hits { id score highlights { field box { x1 y1 x2 y2 } } } } ... on LoupeError { code } } }';
  const bodies: string[] = [];
  for (const w of WORDS) {
    bodies.push(JSON.stringify({ query: q, variables: { i: { q: w, limit: 20 } } }));
    bodies.push(JSON.stringify({ query: q, variables: { i: { q: w, method: 'HYBRID', limit: 10 } } }));
    bodies.push(JSON.stringify({ query: q, variables: { i: { q: w, limit: 10, filters: [{ field: 'n', lt: 100 }] } } }));
  }
  bodies.push(JSON.stringify({ query: '{ indexes { name documentCount chunkCount } }' }));
  bodies.push(JSON.stringify({ query: '{ document(index: "load", id: "scene-0007") { __typename ... on Document { id regions { box { x1 y1 x2 y2 } } } } }' }));
  return bodies;
}

let server: ServerProcess | null = null;
let failed = false;
try {
  process.stderr.write(`creating keys and starting the server (data in ${dataDir})...\n`);
  const admin = await createKey('admin');
  const reader = await createKey('read');
  server = await spawnServer(env);
  const pid = server.child.pid!;
  const created = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': admin },
    body: JSON.stringify({ query: 'mutation { createIndex(input: { name: "load", regionMethodSpec: "simple" }) { __typename } }' }),
  });
  if (created.status !== 200) throw new Error(`createIndex: HTTP ${created.status}`);
  process.stderr.write(`indexing ${SEED_DOCS} seed documents...\n`);
  for (let i = 0; i < SEED_DOCS; i += 10) await addBatch(server, admin, i, Math.min(10, SEED_DOCS - i));

  // Continuous indexing (one client, batches of 4 new scenes) for as long as the searches run.
  let indexing = true;
  const batchMs: number[] = [];
  let indexed = 0;
  const indexer = (async () => {
    for (let next = SEED_DOCS; indexing && INDEXING; next += 4) {
      const t0 = performance.now();
      await addBatch(server!, admin, next, 4);
      batchMs.push(performance.now() - t0);
      indexed += 4;
    }
  })();

  const samples: { t: number; rss: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, rss: rss(pid) }), 2_000);
  samples.push({ t: 0, rss: rss(pid) });
  process.stderr.write(`load: ${CONNECTIONS} connections of mixed searches for ${SECONDS} s, indexing continuously...\n`);
  const bodies = searchBodies();
  const result = await autocannon({
    url: `${server.url}/graphql`,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'application/json', 'x-api-key': reader },
    requests: bodies.map((body) => ({ method: 'POST' as const, path: '/graphql', body })),
  });
  indexing = false;
  await indexer;
  clearInterval(sampler);
  samples.push({ t: (Date.now() - started) / 1000, rss: rss(pid) });

  const fivexx = result['5xx'];
  const at = (f: number) => samples[Math.min(samples.length - 1, Math.round(f * (samples.length - 1)))]!.rss;
  const secondHalf = samples.filter((s) => s.t >= SECONDS / 2);
  const n = secondHalf.length;
  const mt = secondHalf.reduce((a, s) => a + s.t, 0) / n;
  const mr = secondHalf.reduce((a, s) => a + s.rss, 0) / n;
  const slope =
    secondHalf.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0) /
    Math.max(
      1e-9,
      secondHalf.reduce((a, s) => a + (s.t - mt) ** 2, 0),
    );
  const totalRequests = result.requests.total + batchMs.length;
  console.log('\nLoupe load benchmark');
  console.log(
    `  duration ${result.duration} s, ${CONNECTIONS} search connections${INDEXING ? ' + 1 indexing client' : ' (indexing off)'}, keys on (read key for searches, admin for indexing), ${SEED_DOCS} seed documents`,
  );
  console.log(
    `  searches: ${result.requests.total} requests, ${result.requests.average.toFixed(1)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
  );
  console.log(`  status: 2xx ${result['2xx']}, 4xx ${result['4xx']}, 5xx ${fivexx}; connection errors ${result.errors}, timeouts ${result.timeouts}`);
  console.log(
    `  indexing: ${batchMs.length} batches of 4 (${indexed} documents, ${(indexed / result.duration).toFixed(1)} docs/s), batch p50 ${percentile(batchMs, 50).toFixed(0)} ms, p99 ${percentile(batchMs, 99).toFixed(0)} ms`,
  );
  console.log(
    `  server RSS: start ${mib(at(0))}, 25% ${mib(at(0.25))}, 50% ${mib(at(0.5))}, 75% ${mib(at(0.75))}, end ${mib(at(1))}, max ${mib(Math.max(...samples.map((s) => s.rss)))}; second-half slope ${((slope * 60) / 2 ** 20).toFixed(1)} MiB/min`,
  );
  console.log(`  total requests ${totalRequests}`);
  console.log(
    JSON.stringify({
      bench: 'load',
      seconds: result.duration,
      connections: CONNECTIONS,
      searches: result.requests.total,
      searchRps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      fivexx,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      indexingBatches: batchMs.length,
      indexedDocs: indexed,
      rssStart: at(0),
      rssMid: at(0.5),
      rssEnd: at(1),
      slopeMiBPerMin: (slope * 60) / 2 ** 20,
    }),
  );
  if (fivexx > 0 || result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    console.log('FAILED: errors or non-2xx responses under load');
    failed = true;
  }
  if (totalRequests < 10_000) console.log(`note: fewer than 10,000 requests (${totalRequests}); raise LOUPE_LOAD_SECONDS`);
} catch (e) {
  console.error(e);
  if (server) console.error(server.tail());
  failed = true;
} finally {
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
