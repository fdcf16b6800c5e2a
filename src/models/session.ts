// ONNX Runtime sessions with execution-provider choice: the requested provider when it loads, else the CPU with one
// logged warning (a GPU build or driver missing must not stop Loupe from serving).
import * as ort from 'onnxruntime-node';
import { invalidArgument } from '../domain/errors.js';
import { modelLog, type Logger } from '../log.js';

export type ExecutionProvider = 'cpu' | 'cuda' | 'tensorrt';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'tensorrt'];

export interface SessionOptions {
  /** Requested provider; default 'cpu'. */
  provider?: ExecutionProvider;
  /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (all cores). */
  intraOpThreads?: number;
  logger?: Logger;
}

export interface LoadedSession {
  session: ort.InferenceSession;
  /** The provider the session actually runs on (differs from the requested one after a fallback). */
  provider: ExecutionProvider;
}

// TensorRT leaves the nodes it cannot take to the next provider in the list: CUDA, as ONNX Runtime recommends.
const PROVIDER_LISTS: Record<ExecutionProvider, string[]> = { cpu: ['cpu'], cuda: ['cuda'], tensorrt: ['tensorrt', 'cuda'] };

export function checkSessionOptions(opts: SessionOptions, name = 'opts'): { provider: ExecutionProvider; intraOpThreads: number | undefined } {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('a SessionOptions object', name, opts);
  const provider = opts.provider ?? 'cpu';
  if (!EXECUTION_PROVIDERS.includes(provider)) throw invalidArgument("'cpu', 'cuda' or 'tensorrt'", `${name}.provider`, opts.provider);
  const threads = opts.intraOpThreads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 1024)) {
    throw invalidArgument('an integer from 1 to 1024', `${name}.intraOpThreads`, threads);
  }
  return { provider, intraOpThreads: threads };
}

/**
 * Creates an ONNX Runtime session for the model file at `path` on the requested provider. When that provider cannot be
 * used (its libraries are not installed, no GPU, ...) the session is created on the CPU and one warning is logged.
 * Errors that are not about the provider (a missing or corrupt file) reject as they are.
 */
export async function createSession(path: string, opts: SessionOptions = {}): Promise<LoadedSession> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('a model file path', 'path', path);
  const { provider, intraOpThreads } = checkSessionOptions(opts);
  const logger = opts.logger ?? modelLog();
  // ONNX Runtime's pool threads spin after each run by default; on a few cores shared with FAISS, libvips and Postgres
  // that spinning takes the CPU from the next step of the same request (bench/README.md, search latency). Off here.
  const base: ort.InferenceSession.SessionOptions = {
    ...(intraOpThreads === undefined ? {} : { intraOpNumThreads: intraOpThreads }),
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  const cpu = () => ort.InferenceSession.create(path, { ...base, executionProviders: ['cpu'] });
  if (provider === 'cpu') return { session: await cpu(), provider };
  let reason: unknown;
  try {
    return { session: await ort.InferenceSession.create(path, { ...base, executionProviders: PROVIDER_LISTS[provider] }), provider };
  } catch (e) {
    reason = e;
  }
  // Only a failure that the CPU does not share is a provider problem; otherwise report the original error.
  let session: ort.InferenceSession;
  try {
    session = await cpu();
  } catch {
    throw reason;
  }
  logger.warn(`Execution provider '${provider}' is unavailable for ${path}; running on the CPU instead`, {
    requested: provider,
    provider: 'cpu',
    reason: reason instanceof Error ? reason.message : String(reason),
  });
  return { session, provider: 'cpu' };
}
