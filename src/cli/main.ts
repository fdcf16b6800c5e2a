// `loupe` command line: serve, index, search, indexes.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { LoupeClient, type UploadPart } from '../client/client.js';
import * as ops from '../client/operations.js';
import { SEARCH_DEFAULTS } from '../domain/search.js';
import { registerKeyCommands } from './keys-command.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff']);

function client(opts: { url: string }): LoupeClient {
  return new LoupeClient(new URL('/graphql', opts.url).toString(), process.env.LOUPE_API_KEY ? { 'x-api-key': process.env.LOUPE_API_KEY } : {});
}

function fail(message: string): never {
  process.stderr.write(`loupe: ${message}\n`);
  process.exit(1);
}

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && IMAGE_EXT.has(extname(entry.name).toLowerCase())) out.push(join(entry.parentPath ?? dir, entry.name));
  }
  return out.sort();
}

async function ensureIndex(c: LoupeClient, name: string, method: string | undefined, vectorIndex: string | undefined, ocr = false): Promise<void> {
  const got = await ops.execute(c, ops.GetIndexDocument, { name });
  if (got.index.__typename === 'Index') return;
  if (got.index.code !== 'INDEX_NOT_FOUND') fail(`${got.index.code}: ${got.index.message}`);
  const input = { name, regionMethodSpec: method ?? 'simple', ocr, ...(vectorIndex !== undefined ? { vectorIndexSpec: vectorIndex } : {}) };
  const created = await ops.execute(c, ops.CreateIndexDocument, { input });
  if (created.createIndex.__typename === 'LoupeError') fail(`${created.createIndex.code}: ${created.createIndex.message}`);
  const reads = created.createIndex.ocrModel ? `, text in images read by ${created.createIndex.ocrModel}` : '';
  process.stderr.write(`created index "${name}" (${method ?? 'simple'}, ${created.createIndex.vectorIndexSpec}${reads})\n`);
}

/** `image [x1,y1,x2,y2]`, `caption: "text"`, or for text read inside an image `image [box] "Total" in "Total due 12.00"`. */
function describeHighlight(x: {
  field: string;
  box?: { x1: number; y1: number; x2: number; y2: number } | null;
  text?: string | null;
  matched?: string[] | null;
}) {
  const quote = (t: string) => JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}...` : t);
  if (!x.box) return `${x.field}: ${quote(x.text ?? '')}`;
  const box = `${x.field} [${x.box.x1},${x.box.y1},${x.box.x2},${x.box.y2}]`;
  if (x.text === null || x.text === undefined) return box;
  return x.matched?.length ? `${box} ${quote(x.matched.join(' '))} in ${quote(x.text)}` : `${box} ${quote(x.text)}`;
}

// `loupe search ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command('loupe').description('Loupe: image search that tells you which images match and where').version('0.1.0');

program
  .command('serve')
  .description('start the GraphQL server (embedded Postgres unless DATABASE_URL is set)')
  .option('--host <host>', 'listen address (LOUPE_HOST)')
  .option('--port <port>', 'listen port (LOUPE_PORT)', (v) => Number(v))
  .option('--data-dir <dir>', 'state folder (LOUPE_DATA_DIR)')
  .option('--demo', 'index the demo collection into the "demo" index if it is missing')
  .option('--no-worker', 'run no indexing worker in this process (LOUPE_SERVE_WORKER=off): `loupe worker` processes index')
  .action(async (opts: { host?: string; port?: number; dataDir?: string; demo?: boolean; worker: boolean }) => {
    const { createLoupe } = await import('../services/loupe.js');
    const { startServer } = await import('../api/server.js');
    const log = createLogger({ service: 'loupe' });
    const config = loadConfig({
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.dataDir ? { dataDir: resolve(opts.dataDir) } : {}),
      ...(opts.worker === false ? { serveWorker: false } : {}),
    });
    const loupe = await createLoupe(config, log);
    const server = await startServer(loupe, log);
    log.info('Loupe is listening', { url: server.url, graphiql: `${server.url}/graphql` });
    process.stderr.write(`\nLoupe is ready: search page at ${server.url}/ — GraphiQL at ${server.url}/graphql\n\n`);
    let shuttingDown = false;
    const shutdown = (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info('shutting down', { signal });
      server.stop().then(
        () => process.exit(0),
        (e: Error) => {
          log.error('shutdown failed', { error: e.message });
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    if (opts.demo) {
      const { ensureDemoCollection } = await import('../demo/demo-collection.js');
      await ensureDemoCollection(loupe, log).catch((e: Error) => log.error('demo collection failed', { error: e.message }));
    }
  });

program
  .command('worker')
  .description('run indexing workers only (no API): they take addDocuments jobs from the Postgres queue (DATABASE_URL)')
  .option('--concurrency <n>', 'jobs at once (LOUPE_WORKER_CONCURRENCY)', (v) => Number(v))
  .option('--data-dir <dir>', 'state folder (LOUPE_DATA_DIR; the embedded Postgres when DATABASE_URL is unset)')
  .action(async (opts: { concurrency?: number; dataDir?: string }) => {
    if (opts.concurrency !== undefined && !(Number.isInteger(opts.concurrency) && opts.concurrency >= 1))
      fail(`--concurrency takes a whole number of at least 1, not ${JSON.stringify(String(opts.concurrency))}`);
    const { createLoupe } = await import('../services/loupe.js');
    const log = createLogger({ service: 'loupe-worker' });
    const config = loadConfig({
      ...(opts.concurrency !== undefined ? { workerConcurrency: opts.concurrency } : {}),
      ...(opts.dataDir ? { dataDir: resolve(opts.dataDir) } : {}),
    });
    const loupe = await createLoupe(config, log, { worker: true, search: false });
    log.info('Loupe worker is running', { concurrency: config.workerConcurrency, pid: process.pid });
    process.stderr.write(`\nLoupe worker is running (${config.workerConcurrency} jobs at once); Ctrl-C stops it after its running jobs\n\n`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('stopping: finishing running jobs', { signal });
      loupe.close().then(
        () => process.exit(0),
        (e: Error) => {
          log.error('shutdown failed', { error: e.message });
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

program
  .command('index')
  .description('add a folder of images (uploaded) or a file of image URLs (one per line) to an index')
  .argument('<source>', 'folder of images, or a text file of URLs')
  .requiredOption('--index <name>', 'index name (created when missing)')
  .option('--method <spec>', 'region method when the index is created: none | simple | simple?hn=2&wn=3 | overlap', 'simple')
  .option('--vector-index <spec>', 'vector index when the index is created: flat | hnsw | hnsw_sq8 | ivf_pq, e.g. "ivf_pq?nlist=1024&pqM=32"')
  .option('--ocr', 'when the index is created: also read the text inside the images (OCR), searchable by --method lexical/hybrid')
  .option('--batch <n>', 'documents per request', (v) => Number(v), 8)
  .option('--no-wait', "only store and enqueue: print each batch's job id and leave the indexing to the workers")
  .addOption(new Option('--url <url>', 'Loupe server').env('LOUPE_URL').default('http://127.0.0.1:8700'))
  .action(async (source: string, opts: { index: string; method: string; vectorIndex?: string; batch: number; url: string; ocr?: boolean; wait: boolean }) => {
    const c = client(opts);
    const info = await stat(source).catch(() => fail(`cannot read ${source}`));
    await ensureIndex(c, opts.index, opts.method, opts.vectorIndex, opts.ocr ?? false);
    type Item = { id: string; fields: Record<string, unknown>; file?: string };
    let items: Item[];
    if (info.isDirectory()) {
      // The id is the path relative to the folder; no text field, so only the pixels are embedded.
      items = (await listImages(source)).map((f) => ({ id: relative(source, f), fields: {}, file: f }));
    } else {
      const urls = (await readFile(source, 'utf8'))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      items = urls.map((u) => ({ id: u, fields: { image: u } }));
    }
    if (!items.length) fail(`no images found in ${source}`);
    const bar = new cliProgress.SingleBar(
      { format: 'indexing [{bar}] {value}/{total} | failed {failed} | {eta_formatted} left', stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(items.length, 0, { failed: 0 });
    const failures: ops.DocumentResult[] = [];
    const jobs: string[] = [];
    let queued = 0;
    for (let i = 0; i < items.length; i += opts.batch) {
      const batch = items.slice(i, i + opts.batch);
      const uploads: UploadPart[] = [];
      const documents = await Promise.all(
        batch.map(async (item, j) => {
          if (!item.file) return { id: item.id, fields: item.fields };
          uploads.push({ path: `variables.documents.${j}.files.0.file`, name: basename(item.file), bytes: await readFile(item.file) });
          // The file itself travels as a multipart part; its variable is null in the JSON operations.
          return { id: item.id, fields: item.fields, files: [{ field: 'image', file: null as unknown as File }] };
        }),
      );
      const res = await ops.execute(c, ops.AddDocumentsDocument, { index: opts.index, documents, wait: opts.wait }, uploads);
      if (res.addDocuments.__typename === 'LoupeError') {
        bar.stop();
        fail(`${res.addDocuments.code}: ${res.addDocuments.message}`);
      }
      failures.push(...res.addDocuments.results.filter((r) => !r.ok));
      queued += res.addDocuments.queued;
      if (!opts.wait) jobs.push(res.addDocuments.jobId);
      bar.increment(batch.length, { failed: failures.length });
    }
    bar.stop();
    for (const f of failures) process.stderr.write(`  ${f.id}: ${f.code} ${f.message}\n`);
    if (!opts.wait) {
      process.stdout.write(`${jobs.join('\n')}\n`);
      process.stderr.write(`queued ${queued} of ${items.length} for "${opts.index}" in ${jobs.length} jobs (ids above; progress: indexingProgress(jobId))\n`);
    } else {
      process.stderr.write(`indexed ${items.length - failures.length} of ${items.length} into "${opts.index}"\n`);
    }
    if (failures.length === items.length) process.exit(1);
  });

program
  .command('search')
  .description('search an index by text')
  .argument('<query>', 'text query')
  .requiredOption('--index <name>', 'index name')
  .option('--limit <n>', 'number of hits', (v) => Number(v), SEARCH_DEFAULTS.limit)
  .addOption(new Option('--method <method>', 'search method').choices(['tensor', 'lexical', 'hybrid']).default('tensor'))
  .option('--fields <names>', 'search only these fields (comma-separated searchableAttributes), e.g. image')
  .option('--rerank', 'rerank the hits with the OWL-ViT-contract detector conditioned on the query (box on the match)')
  .option('--rerank-depth <n>', 'how many first-stage hits to rerank (default: --limit)', (v) => Number(v))
  .option('--rerank-model <name>', 'reranker model folder (default: the server default)')
  .option('--min-score <p|default>', 'with reranking: keep only hits the detector scores at least p (0..1), or at its calibrated default ("is it there?")')
  .option('--highlights <n>', 'list up to n distinct places per hit (1-16; default: the best of each stage)', (v) => Number(v))
  .option('--json', 'print {"hits":[{"id","score","highlights":[{"field","box"} | {"field","text"} | {"field","box","text","matched"}]}]}')
  .addOption(new Option('--url <url>', 'Loupe server').env('LOUPE_URL').default('http://127.0.0.1:8700'))
  .action(
    async (
      query: string,
      opts: {
        index: string;
        limit: number;
        method: string;
        json?: boolean;
        url: string;
        fields?: string;
        rerank?: boolean;
        rerankDepth?: number;
        rerankModel?: string;
        minScore?: string;
        highlights?: number;
      },
    ) => {
      if (opts.highlights !== undefined && !(Number.isInteger(opts.highlights) && opts.highlights >= 1 && opts.highlights <= 16)) {
        fail(`--highlights takes an integer from 1 to 16, not ${JSON.stringify(opts.highlights)}`);
      }
      if (opts.minScore !== undefined && opts.minScore !== 'default' && !(Number(opts.minScore) >= 0 && Number(opts.minScore) <= 1)) {
        fail(`--min-score takes a number from 0 to 1 or "default", not ${JSON.stringify(opts.minScore)}`);
      }
      const cutoff = opts.minScore === undefined ? {} : opts.minScore === 'default' ? { useDefaultMinScore: true } : { minScore: Number(opts.minScore) };
      const rerank =
        opts.rerank || opts.rerankDepth !== undefined || opts.rerankModel !== undefined || opts.minScore !== undefined
          ? { depth: opts.rerankDepth, model: opts.rerankModel, ...cutoff }
          : undefined;
      const res = await ops.execute(client(opts), ops.SearchDocument, {
        index: opts.index,
        highlights: opts.highlights,
        input: {
          q: query,
          limit: opts.limit,
          method: opts.method.toUpperCase() as ops.SearchMethod,
          rerank,
          ...(opts.fields
            ? {
                searchableAttributes: opts.fields
                  .split(',')
                  .map((f) => f.trim())
                  .filter(Boolean),
              }
            : {}),
        },
      });
      if (res.search.__typename === 'LoupeError') fail(`${res.search.code}: ${res.search.message}`);
      const hits = res.search.hits;
      if (opts.json) {
        const out = {
          hits: hits.map((h) => ({
            id: h.id,
            score: h.score,
            highlights: h.highlights.map((x) =>
              x.box && x.text !== null
                ? { field: x.field, box: x.box, text: x.text, matched: x.matched }
                : x.box
                  ? { field: x.field, box: x.box }
                  : { field: x.field, text: x.text },
            ),
          })),
        };
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      if (!hits.length) process.stdout.write('no hits\n');
      hits.forEach((h, i) => {
        const where = h.highlights.map(describeHighlight).join('; ');
        process.stdout.write(`${String(i + 1).padStart(2)}. ${h.score.toFixed(4)}  ${h.id}  ${where}\n`);
      });
      process.stderr.write(`${hits.length} hits in ${res.search.processingTimeMs} ms\n`);
    },
  );

program
  .command('indexes')
  .description('list indexes')
  .addOption(new Option('--url <url>', 'Loupe server').env('LOUPE_URL').default('http://127.0.0.1:8700'))
  .action(async (opts: { url: string }) => {
    const res = await ops.execute(client(opts), ops.ListIndexesDocument, {});
    for (const i of res.indexes) process.stdout.write(`${i.name}\t${i.model}\t${i.regionMethod.spec}\t${i.documentCount} documents\t${i.chunkCount} chunks\n`);
  });

registerKeyCommands(program);

(await import('./models-command.js')).registerModelsCommand(program);
program.parseAsync(process.argv).catch((e: Error) => fail(e.message));
