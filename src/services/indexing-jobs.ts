// The running and recently finished indexing jobs of one Loupe (owned by the composition root, services/loupe.ts):
// `addDocuments(jobId: ...)` reports each finished document here and `indexingProgress(jobId)` streams it. A subscriber
// that arrives late first gets the job's current state with every error so far, so the order in which a client
// opens the subscription and sends the mutation does not matter.
import { internalMessage, invalidArgument, isLoupeError, LoupeError, type ErrorCode } from '../domain/errors.js';
import type { DocumentResult } from './document-service.js';
import type { IndexingProgress } from './ports.js';

export interface ItemError {
  id: string;
  code: ErrorCode;
  message: string;
}

export interface ProgressEvent {
  jobId: string;
  index: string;
  processed: number;
  failed: number;
  total: number;
  done: boolean;
  /** Per-item errors since the previous event; a subscriber's first event lists all errors so far. */
  errors: ItemError[];
  /** Set when the whole batch failed (unknown index, bad input) rather than single documents. */
  code: ErrorCode | null;
  message: string | null;
}

const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** How long a finished job stays readable for late subscribers. */
const FINISHED_TTL_MS = 5 * 60_000;
/** Jobs tracked at once (running, finished or only awaited), against memory exhaustion. */
const MAX_JOBS = 10_000;

interface Job {
  state: ProgressEvent;
  allErrors: ItemError[];
  started: boolean;
  listeners: Set<(e: ProgressEvent) => void>;
  expiry?: NodeJS.Timeout;
}

export function checkJobId(jobId: unknown): string {
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) throw invalidArgument('a job id of 1-128 letters, digits, "_" or "-"', 'jobId', jobId);
  return jobId;
}

/** The running and recently finished indexing jobs of one Loupe. */
export class IndexingJobBoard {
  private readonly jobs = new Map<string, Job>();

  /** Registers a running job; refuses an id that is already running. `requestId` names the request in an INTERNAL failure. */
  start(jobId: string, index: string, requestId?: string): JobReporter {
    checkJobId(jobId);
    const job = this.jobs.get(jobId) ?? this.create(jobId);
    if (job.started && !job.state.done) throw new LoupeError('INVALID_INPUT', `Indexing job "${jobId}" is already running`);
    clearTimeout(job.expiry);
    job.started = true;
    job.allErrors = [];
    job.state = { ...emptyState(jobId), index };
    return {
      progress: (p, item) => {
        const errors = item && !item.ok ? [{ id: item.id, code: item.code, message: item.message }] : [];
        this.emit(job, { ...job.state, ...p, errors });
      },
      finish: (failure) => {
        // An unexpected failure is logged once, where the mutation's error is presented (api/error-story.ts).
        const expected = isLoupeError(failure);
        const code = failure === undefined ? null : expected ? failure.code : 'INTERNAL';
        const message = failure === undefined ? null : expected ? failure.message : internalMessage(requestId);
        this.emit(job, { ...job.state, errors: [], done: true, code, message });
        job.expiry = setTimeout(() => this.jobs.delete(jobId), FINISHED_TTL_MS).unref();
      },
    };
  }

  /** Streams a job's events: its current state first (when it has started), then every change until it is done. */
  subscribe(jobId: string): AsyncIterableIterator<ProgressEvent> {
    checkJobId(jobId);
    const job = this.jobs.get(jobId) ?? this.create(jobId);
    const queue: ProgressEvent[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    const listener = (e: ProgressEvent) => {
      queue.push(e);
      wake?.();
    };
    // Ends the stream: after the `done` event, or when the client goes away (return()), whichever comes first.
    const close = () => {
      if (closed) return;
      closed = true;
      job.listeners.delete(listener);
      wake?.();
      if (!job.started && job.listeners.size === 0 && this.jobs.get(jobId) === job) this.jobs.delete(jobId);
    };
    if (job.started) queue.push({ ...job.state, errors: [...job.allErrors] });
    if (!job.state.done) job.listeners.add(listener);
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<ProgressEvent>> {
        for (;;) {
          const event = queue.shift();
          if (event) {
            if (event.done) close();
            return { value: event, done: false };
          }
          if (closed) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      },
      async return(): Promise<IteratorResult<ProgressEvent>> {
        close();
        queue.length = 0;
        return { value: undefined, done: true };
      },
    };
  }

  private create(jobId: string): Job {
    if (this.jobs.size >= MAX_JOBS) throw new LoupeError('INVALID_INPUT', `Too many indexing jobs are tracked (${MAX_JOBS}); try again later`);
    const job: Job = { state: emptyState(jobId), allErrors: [], started: false, listeners: new Set() };
    this.jobs.set(jobId, job);
    return job;
  }

  private emit(job: Job, event: ProgressEvent): void {
    job.state = event;
    job.allErrors.push(...event.errors);
    for (const l of [...job.listeners]) l(event);
  }
}

export interface JobReporter {
  /** Feeds DocumentService.add's onProgress. */
  progress(p: IndexingProgress, item?: DocumentResult): void;
  /** Marks the job done; `failure` when the whole batch was refused. */
  finish(failure?: unknown): void;
}

function emptyState(jobId: string): ProgressEvent {
  return { jobId, index: '', processed: 0, failed: 0, total: 0, done: false, errors: [], code: null, message: null };
}
