// Composition root: opens storage, wires repositories, models and services. The API and CLI use this only.
import { join } from 'node:path';
import type { LoupeConfig } from '../config.js';
import type { Logger } from '../log.js';
import { LoupeMetrics } from '../metrics.js';
import { ApiKeyRepository } from '../repositories/api-key-repository.js';
import { AccessService } from './access-service.js';
import { openDatabase, type Database } from '../repositories/db/database.js';
import { DocumentRepository } from '../repositories/document-repository.js';
import { IndexRepository } from '../repositories/index-repository.js';
import { sharpImageDecoder } from '../repositories/image-decoder.js';
import { imageSourcePolicy, policyImageLoader, type ImageSourcePolicy } from '../repositories/image-source.js';
import { PostgresUploadStore } from '../repositories/upload-store.js';
import { IndexingTaskRepository } from '../repositories/indexing-task-repository.js';
import { installQueue, JobQueue } from '../repositories/job-queue.js';
import { IndexingQueueService } from './indexing-queue.js';
import { IndexingWorker, queueAttempts } from './indexing-worker.js';
import { VectorStore } from '../repositories/vector-store.js';
import { ChangeFeed } from '../repositories/change-feed.js';
import { ChunkLog } from '../repositories/chunk-log.js';
import { MediaStore } from '../repositories/media-store.js';
import { DocumentService } from './document-service.js';
import { IndexService } from './index-service.js';
import { FolderModelProvider } from './model-registry.js';
import { IndexingJobBoard, parseJobAnnouncement } from './indexing-jobs.js';
import { MediaService } from './media-service.js';
import { MarqoModelTable } from './marqo-models.js';
import { SearchService } from './search-service.js';
import { RegionProposer } from '../localize/proposers.js';

export interface Loupe {
  config: LoupeConfig;
  indexes: IndexService;
  documents: DocumentService;
  search: SearchService;
  /** Indexing jobs' progress (any process's), for the progress subscription and addDocuments(wait: true). */
  jobs: IndexingJobBoard;
  /** addDocuments: stores the documents and enqueues their indexing (one transaction). */
  queue: IndexingQueueService;
  /** This process's indexing workers; null when it runs none (`loupe serve --no-worker`). */
  workers: JobQueue | null;
  /** A document's image for viewers (GET /media/...). */
  media: MediaService;
  vectors: VectorStore;
  feed: ChangeFeed;
  database: Database;
  access: AccessService;
  metrics: LoupeMetrics;
  /** Marqo's model names → installed model folders (the Marqo-compatible REST API, src/api/marqo). */
  marqoModels: MarqoModelTable;
  /** Flushes vector snapshots and closes the database (and the embedded server this process started). */
  close(): Promise<void>;
}

function imagePolicy(config: LoupeConfig): ImageSourcePolicy {
  return imageSourcePolicy({
    allowedRoot: config.imageRoot,
    connectTimeoutMs: config.fetchConnectTimeoutMs,
    totalTimeoutMs: config.fetchTotalTimeoutMs,
    maxBytes: config.maxImageBytes,
    maxRedirects: 5,
    allowPrivateNetwork: config.allowPrivateNetwork,
    allowLoopback: config.allowLoopback,
  });
}

/** API keys and rate limits over an open database (the server's, or the one `loupe keys` joins). */
function createAccess(config: LoupeConfig, database: Database, log: Logger): AccessService {
  return new AccessService(
    new ApiKeyRepository(database.prisma),
    {
      mode: config.auth,
      host: config.host,
      ratePerSecond: config.rateLimitPerSecond,
      burst: config.rateLimitBurst,
      authFailuresPerMinute: config.authFailuresPerMinute,
      authFailureBurst: config.authFailureBurst,
    },
    log,
  );
}

/**
 * Only key management, for `loupe keys`: opens the database (joining a running server's embedded one) and runs `fn`,
 * then closes it, leaving a server that another process started running.
 */
export async function withAccess<T>(config: LoupeConfig, log: Logger, fn: (access: AccessService) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    return await fn(createAccess(config, database, log));
  } finally {
    await database.close({ leaveRunning: true });
  }
}

export interface LoupeRole {
  /** Run indexing workers in this process (default: config.serveWorker). */
  worker?: boolean;
  /** Keep this process's vector indexes warm after its own writes (default true; a pure worker serves no searches). */
  search?: boolean;
}

export async function createLoupe(config: LoupeConfig, log: Logger, role: LoupeRole = {}): Promise<Loupe> {
  const runWorker = role.worker ?? config.serveWorker;
  const serveSearch = role.search ?? true;
  const database = await openDatabase(config);
  await installQueue(database.databaseUrl, log.child({ component: 'queue' }));
  const metrics = new LoupeMetrics();
  const access = createAccess(config, database, log.child({ component: 'access' }));
  const indexRepo = new IndexRepository(database.prisma);
  const docRepo = new DocumentRepository(database.prisma, database.pool);
  const feed = new ChangeFeed(database.databaseUrl, log.child({ component: 'change-feed' }));
  await feed.start();
  const vectors = new VectorStore(
    indexRepo,
    new ChunkLog(database.prisma),
    join(config.dataDir, 'vectors'),
    { snapshotEvery: config.snapshotEvery, verifyEveryMs: config.searchVerifyMs },
    log.child({ component: 'vectors' }),
    feed,
  );
  const models = new FolderModelProvider(
    config.modelsDir,
    {
      clip: config.defaultModel,
      yolox: config.defaultYoloxModel,
      dino: config.defaultDinoModel,
      rerank: config.defaultRerankModel,
      ocr: config.defaultOcrModel,
    },
    config.provider,
    log.child({ component: 'models' }),
    metrics,
  );
  const indexes = new IndexService(indexRepo, vectors, models, feed);
  // An index deleted by another process: forget its record and derived state here too. A write by another process
  // (a worker): replay it now, so that searches here stay current without paying for the replay.
  feed.onChange((change) => {
    if (!('deleted' in change)) {
      if (serveSearch) vectors.catchUpOpen(change.indexId);
      return;
    }
    indexes.forget(change.indexId);
    void vectors.drop(change.indexId).catch((e: Error) => log.warn('dropping a deleted index failed', { error: e.message }));
  });
  const policy = imagePolicy(config);
  const uploadDir = join(config.dataDir, 'uploads');
  const loader = policyImageLoader(policy);
  const uploads = new PostgresUploadStore(database.prisma, uploadDir);
  const tasks = new IndexingTaskRepository(database.prisma);
  const documents = new DocumentService(
    { indexes, documents: docRepo, loader, decoder: sharpImageDecoder, uploads, proposer: new RegionProposer(models), textReaders: models },
    {
      maxPixels: config.maxImagePixels,
      fetchConcurrency: config.fetchConcurrency,
      decodeBudgetBytes: config.decodeBudgetBytes,
      ocrMaxLines: config.ocrMaxLines,
      metrics,
      // Keep the vector index warm: apply the new rows now rather than on the next search.
      onWrite: serveSearch
        ? (record) => void vectors.catchUp(record).catch((e: Error) => log.warn('vector catch-up failed', { index: record.name, error: e.message }))
        : undefined,
    },
    log.child({ component: 'documents' }),
  );
  const search = new SearchService({
    indexes,
    documents: docRepo,
    vectors,
    loader,
    decoder: sharpImageDecoder,
    media: new MediaStore(uploads, policy, config.maxImagePixels),
    models,
    maxPixels: config.maxImagePixels,
    filterExactMax: config.filterExactMax,
    queryCacheSize: config.queryCacheSize,
  });
  const media = new MediaService(documents, loader, uploads);
  const jobs = new IndexingJobBoard(tasks, { onJobChange: (fn) => feed.onJobChange(fn), announce: (payload) => tasks.announce(payload) });
  const queue = new IndexingQueueService(documents, tasks, jobs, config.indexMaxAttempts);
  let workers: JobQueue | null = null;
  if (runWorker) {
    const worker = new IndexingWorker(
      tasks,
      documents,
      uploads,
      { maxAttempts: config.indexMaxAttempts, retryBaseMs: config.indexRetryMs },
      log.child({ component: 'worker' }),
    );
    workers = new JobQueue(database.databaseUrl, log.child({ component: 'queue' }), async (jobId, lastError) => {
      await tasks.failRemaining(jobId, `Gave up after ${queueAttempts(config.indexMaxAttempts)} runs of its job (last error: ${lastError ?? 'none'})`);
    });
    feed.onJobChange((payload) => {
      const a = parseJobAnnouncement(payload);
      if (a?.cancelled) worker.cancel(a.jobId);
    });
    await workers.start((run) => worker.run(run), { concurrency: config.workerConcurrency });
  }
  return {
    config,
    indexes,
    documents,
    search,
    jobs,
    queue,
    workers,
    media,
    vectors,
    feed,
    database,
    access,
    metrics,
    marqoModels: new MarqoModelTable(models),
    async close() {
      // Running jobs finish (their documents are committed) before the database goes away.
      await workers?.stop();
      await vectors.flush().catch((e: Error) => log.warn('vector snapshot flush failed', { error: e.message }));
      await feed.close();
      await models.release();
      await database.close();
    },
  };
}
