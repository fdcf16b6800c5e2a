// Runtime configuration: environment variables with sensible defaults, overridable by CLI flags.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ExecutionProvider = 'cpu' | 'cuda' | 'tensorrt';

export interface LoupeConfig {
  /** Where Loupe keeps its state: embedded Postgres (unless DATABASE_URL), FAISS snapshots, uploads. */
  dataDir: string;
  /** External Postgres; when unset Loupe starts an embedded one under dataDir. */
  databaseUrl: string | null;
  /** Embedded Postgres data folder (default: <dataDir>/pg; as root: /var/lib/loupe/pg-<hash>). */
  pgDataDir: string | null;
  host: string;
  port: number;
  modelsDir: string;
  defaultModel: string;
  /** Default model folders for region proposals (yolox, dino-v1/v2) and for reranking. */
  defaultYoloxModel: string;
  defaultDinoModel: string;
  defaultRerankModel: string;
  /** The OCR model folder of indexes created with `ocr: true` (LOUPE_DEFAULT_OCR_MODEL). */
  defaultOcrModel: string;
  /** Most text lines OCR reads per image (LOUPE_OCR_MAX_LINES). */
  ocrMaxLines: number;
  provider: ExecutionProvider;
  /** Local image paths are accepted only under this folder (null: local paths refused). */
  imageRoot: string | null;
  allowPrivateNetwork: boolean;
  allowLoopback: boolean;
  maxImagePixels: number;
  maxImageBytes: number;
  fetchConnectTimeoutMs: number;
  fetchTotalTimeoutMs: number;
  fetchConcurrency: number;
  /** Decoded image pixels held at once by all indexing requests together, in bytes. */
  decodeBudgetBytes: number;
  /** Snapshot a FAISS index after this many applied changes (and on shutdown). */
  snapshotEvery: number;
  /** With the change feed connected, a search still re-reads its index's last sequence number this often (ms). */
  searchVerifyMs: number;
  /** A filtered tensor search scores up to this many matching chunks exactly; beyond, FAISS hits are post-filtered. */
  filterExactMax: number;
  /** Text-query embeddings kept per model (LOUPE_QUERY_CACHE_SIZE; 0 turns the cache off). */
  queryCacheSize: number;
  /** API keys: `auto` = required unless listening on loopback; `on` = always; `off` = never (warned off loopback). */
  auth: AuthMode;
  /** Origins allowed to call the API from a browser (CORS); same-origin requests are always allowed. */
  corsOrigins: string[];
  /** Per-key token bucket: sustained requests per second and burst size (a key may carry its own). */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Failed authentications (unknown, revoked, malformed keys) per client address: sustained per minute, burst. */
  authFailuresPerMinute: number;
  authFailureBurst: number;
  /** Images reranked per request, all searches of the request together (each search also at most 100). */
  maxRerankImages: number;
  /** GraphQL limits: query document bytes, selection depth, aliases, estimated cost. */
  maxQueryBytes: number;
  maxQueryDepth: number;
  maxAliases: number;
  maxQueryCost: number;
  /** Request bodies: JSON bytes, multipart bytes (Content-Length), files per multipart request. */
  maxJsonBytes: number;
  maxRequestBytes: number;
  maxUploadFiles: number;
  /** On SIGTERM, how long in-flight requests may take to finish before connections are closed. */
  shutdownTimeoutMs: number;
  /** `loupe serve` runs an indexing worker in-process (LOUPE_SERVE_WORKER; `--no-worker`): single-box use needs nothing else. */
  serveWorker: boolean;
  /** Indexing jobs one process runs at once (LOUPE_WORKER_CONCURRENCY). */
  workerConcurrency: number;
  /** Tries per document before a transient failure (network, unexpected error) is final (LOUPE_INDEX_MAX_ATTEMPTS). */
  indexMaxAttempts: number;
  /** Delay before an indexing retry, doubled for each further one (LOUPE_INDEX_RETRY_MS). */
  indexRetryMs: number;
}

export type AuthMode = 'auto' | 'on' | 'off';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

function envBool(name: string, fallback: boolean): boolean {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`Expected a non-negative integer for ${name} but received ${v}`);
  return n;
}

function envAuth(): AuthMode {
  const v = (process.env.LOUPE_AUTH ?? 'auto').toLowerCase();
  if (v === 'auto' || v === 'on' || v === 'off') return v;
  throw new Error(`Expected one of auto, on, off for LOUPE_AUTH but received ${v}`);
}

function envList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function envProvider(): ExecutionProvider {
  const v = (process.env.LOUPE_PROVIDER ?? 'cpu').toLowerCase();
  if (v === 'cpu' || v === 'cuda' || v === 'tensorrt') return v;
  throw new Error(`Expected one of cpu, cuda, tensorrt for LOUPE_PROVIDER but received ${v}`);
}

export function loadConfig(overrides: Partial<LoupeConfig> = {}): LoupeConfig {
  const base: LoupeConfig = {
    dataDir: resolve(process.env.LOUPE_DATA_DIR ?? resolve(repoRoot, '.loupe')),
    databaseUrl: process.env.DATABASE_URL || null,
    pgDataDir: process.env.LOUPE_PG_DIR ? resolve(process.env.LOUPE_PG_DIR) : null,
    host: process.env.LOUPE_HOST ?? '127.0.0.1',
    port: envInt('LOUPE_PORT', 8700),
    modelsDir: resolve(process.env.LOUPE_MODELS_DIR ?? resolve(repoRoot, 'models')),
    defaultModel: process.env.LOUPE_DEFAULT_MODEL ?? 'emoji-clip',
    defaultYoloxModel: process.env.LOUPE_DEFAULT_YOLOX_MODEL ?? 'emoji-yolox',
    defaultDinoModel: process.env.LOUPE_DEFAULT_DINO_MODEL ?? 'emoji-dino',
    defaultRerankModel: process.env.LOUPE_DEFAULT_RERANK_MODEL ?? 'emoji-owl',
    defaultOcrModel: process.env.LOUPE_DEFAULT_OCR_MODEL ?? 'pp-ocrv4',
    ocrMaxLines: envInt('LOUPE_OCR_MAX_LINES', 500),
    provider: envProvider(),
    imageRoot: process.env.LOUPE_IMAGE_ROOT ? resolve(process.env.LOUPE_IMAGE_ROOT) : null,
    allowPrivateNetwork: envBool('LOUPE_ALLOW_PRIVATE_NETWORK', false),
    allowLoopback: envBool('LOUPE_ALLOW_LOOPBACK', false),
    maxImagePixels: envInt('LOUPE_MAX_IMAGE_PIXELS', 50_000_000),
    maxImageBytes: envInt('LOUPE_MAX_IMAGE_BYTES', 25 * 1024 * 1024),
    fetchConnectTimeoutMs: envInt('LOUPE_FETCH_CONNECT_TIMEOUT_MS', 5_000),
    fetchTotalTimeoutMs: envInt('LOUPE_FETCH_TOTAL_TIMEOUT_MS', 20_000),
    fetchConcurrency: envInt('LOUPE_FETCH_CONCURRENCY', 8),
    decodeBudgetBytes: envInt('LOUPE_DECODE_BUDGET_BYTES', 256 * 1024 * 1024),
    snapshotEvery: envInt('LOUPE_SNAPSHOT_EVERY', 2_000),
    searchVerifyMs: envInt('LOUPE_SEARCH_VERIFY_MS', 5_000),
    filterExactMax: envInt('LOUPE_FILTER_EXACT_MAX', 50_000),
    queryCacheSize: envInt('LOUPE_QUERY_CACHE_SIZE', 1024),
    auth: envAuth(),
    corsOrigins: envList('LOUPE_CORS_ORIGINS'),
    rateLimitPerSecond: envInt('LOUPE_RATE_LIMIT', 50),
    rateLimitBurst: envInt('LOUPE_RATE_BURST', 100),
    authFailuresPerMinute: envInt('LOUPE_AUTH_FAILURES_PER_MINUTE', 30),
    authFailureBurst: envInt('LOUPE_AUTH_FAILURE_BURST', 10),
    maxRerankImages: envInt('LOUPE_MAX_RERANK_IMAGES', 100),
    maxQueryBytes: envInt('LOUPE_MAX_QUERY_BYTES', 100_000),
    maxQueryDepth: envInt('LOUPE_MAX_QUERY_DEPTH', 15),
    maxAliases: envInt('LOUPE_MAX_ALIASES', 30),
    maxQueryCost: envInt('LOUPE_MAX_QUERY_COST', 250_000),
    maxJsonBytes: envInt('LOUPE_MAX_JSON_BYTES', 16 * 1024 * 1024),
    maxRequestBytes: envInt('LOUPE_MAX_REQUEST_BYTES', 256 * 1024 * 1024),
    maxUploadFiles: envInt('LOUPE_MAX_UPLOAD_FILES', 1_000),
    shutdownTimeoutMs: envInt('LOUPE_SHUTDOWN_TIMEOUT_MS', 30_000),
    serveWorker: envBool('LOUPE_SERVE_WORKER', true),
    workerConcurrency: Math.max(1, envInt('LOUPE_WORKER_CONCURRENCY', 4)),
    indexMaxAttempts: Math.max(1, envInt('LOUPE_INDEX_MAX_ATTEMPTS', 3)),
    indexRetryMs: envInt('LOUPE_INDEX_RETRY_MS', 2_000),
  };
  return { ...base, ...overrides };
}
