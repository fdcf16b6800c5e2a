// Indexing progress for the `indexingProgress(jobId)` subscription and for addDocuments(wait: true), in any process:
// the job's state lives in Postgres (indexing_tasks, written by whichever worker runs it), and every change is
// announced by NOTIFY (migration 0004's trigger, delivered through the change feed). A watcher re-reads the state
// when its job is announced, and every POLL_MS anyway (a feed reconnect can drop notifications). A subscriber that
// arrives late first gets the job's current state with every error so far, so the order in which a client opens the
// subscription and sends the mutation does not matter.
import { internalMessage, invalidArgument, isLoupeError, LoupeError, type ErrorCode } from '../domain/errors.js';
import type { IndexingTaskRepository, JobState } from '../repositories/indexing-task-repository.js';

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

/** Where job announcements come from (ChangeFeed) and where refusals are announced (Postgres NOTIFY). */
export interface JobAnnouncements {
  onJobChange(fn: (payload: string) => void): void;
  /** Announces a refused batch to every process (best effort). */
  announce(payload: string): Promise<void>;
}

const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Re-read a watched job at least this often, notifications or not. */
const POLL_MS = 1_000;
/** How long a refused batch stays readable for late subscribers. */
const REFUSAL_TTL_MS = 5 * 60_000;
/** Watchers at once (subscriptions and waiting mutations), against memory exhaustion. */
const MAX_WATCHERS = 10_000;

/** A job-channel payload: `<job id>` (its tasks changed) or `<job id>\t<json>` (a refused batch, or a cancel request). */
export type JobAnnouncement = { jobId: string; refusal?: Omit<Refusal, 'at'>; cancelled?: true };

export function parseJobAnnouncement(payload: string): JobAnnouncement | null {
  const tab = payload.indexOf('\t');
  if (tab < 0) return JOB_ID.test(payload) ? { jobId: payload } : null;
  const jobId = payload.slice(0, tab);
  if (!JOB_ID.test(jobId)) return null;
  try {
    const body = JSON.parse(payload.slice(tab + 1)) as { cancelled?: boolean; index?: string; code?: ErrorCode; message?: string };
    if (body.cancelled === true) return { jobId, cancelled: true };
    if (typeof body.code === 'string' && typeof body.message === 'string')
      return { jobId, refusal: { index: String(body.index ?? ''), code: body.code, message: body.message } };
  } catch {
    // not ours
  }
  return { jobId };
}

export function checkJobId(jobId: unknown): string {
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) throw invalidArgument('a job id of 1-128 letters, digits, "_" or "-"', 'jobId', jobId);
  return jobId;
}

interface Refusal {
  index: string;
  code: ErrorCode;
  message: string;
  at: number;
}

export class IndexingJobBoard {
  /** Wake-up counters of watched jobs: a watcher reads, then sleeps until its job's counter moves (or POLL_MS). */
  private readonly watched = new Map<string, { ticks: number; wake: Set<() => void> }>();
  private readonly refusals = new Map<string, Refusal>();
  private watchers = 0;

  constructor(
    private readonly store: Pick<IndexingTaskRepository, 'state' | 'failures' | 'cancel'>,
    private readonly announcements: JobAnnouncements,
  ) {
    announcements.onJobChange((payload) => {
      const a = parseJobAnnouncement(payload);
      if (!a) return;
      if (a.refusal) this.remember(a.jobId, a.refusal);
      this.poke(a.jobId);
    });
  }

  /**
   * The client of addDocuments(wait: true) went away before its answer: nothing was acknowledged, so the documents
   * not indexed yet fail with CANCELLED, and the worker running the job (any process) stops its downloads. What was
   * committed stays committed.
   */
  async cancel(jobId: string): Promise<void> {
    await this.store.cancel(jobId, 'The request was cancelled (its client disconnected) before this document was indexed');
    await this.announcements.announce(`${jobId}\t${JSON.stringify({ cancelled: true })}`).catch(() => undefined);
  }

  /** A batch refused before anything was stored: its subscribers (here and in other processes) get it as `done`. */
  async refuse(jobId: string, index: string, failure: unknown, requestId?: string): Promise<void> {
    // An unexpected failure is logged once, where the mutation's error is presented (api/error-story.ts).
    const code: ErrorCode = isLoupeError(failure) ? failure.code : 'INTERNAL';
    const message = isLoupeError(failure) ? failure.message.slice(0, 2000) : internalMessage(requestId);
    this.remember(jobId, { index, code, message });
    this.poke(jobId);
    await this.announcements.announce(`${jobId}\t${JSON.stringify({ index, code, message })}`).catch(() => undefined);
  }

  /** Resolves with the job's final state once every document is final; null when `signal` aborts first. */
  async waitFor(jobId: string, signal?: AbortSignal): Promise<JobState | null> {
    return this.watch(jobId, signal, async () => {
      const state = await this.store.state(jobId);
      return state?.done ? state : null;
    });
  }

  /** Streams a job's events: its current state first (once it exists), then every change until it is done. */
  subscribe(jobId: string): AsyncIterableIterator<ProgressEvent> {
    checkJobId(jobId);
    if (this.watchers >= MAX_WATCHERS) throw new LoupeError('INVALID_INPUT', `Too many indexing jobs are watched (${MAX_WATCHERS}); try again later`);
    const stop = new AbortController();
    const queue: ProgressEvent[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    const reported = new Set<number>();
    let last = '';
    const loop = this.watch(jobId, stop.signal, async () => {
      const state = await this.store.state(jobId);
      if (!state) {
        const refusal = this.refusals.get(jobId);
        if (!refusal) return null;
        push({ jobId, index: refusal.index, processed: 0, failed: 0, total: 0, done: true, errors: [], code: refusal.code, message: refusal.message });
        return true;
      }
      const errors = state.failed > reported.size ? (await this.store.failures(jobId)).filter((f) => !reported.has(f.position)) : [];
      for (const f of errors) reported.add(f.position);
      const key = `${state.processed}/${state.failed}/${state.total}/${state.done}`;
      if (key !== last || errors.length) {
        last = key;
        const { index, processed, failed, total, done } = state;
        push({
          jobId,
          index,
          processed,
          failed,
          total,
          done,
          errors: errors.map(({ id, code, message }) => ({ id, code, message })),
          code: null,
          message: null,
        });
      }
      return state.done ? true : null;
    });
    const push = (e: ProgressEvent) => {
      queue.push(e);
      wake?.();
    };
    void loop.finally(() => {
      finished = true;
      wake?.();
    });
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<ProgressEvent>> {
        for (;;) {
          const event = queue.shift();
          if (event) return { value: event, done: false };
          if (finished) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      },
      async return(): Promise<IteratorResult<ProgressEvent>> {
        stop.abort();
        queue.length = 0;
        return { value: undefined, done: true };
      },
    };
  }

  /** Runs `check` now and after each announcement of the job (or POLL_MS) until it returns non-null or `signal` aborts. */
  private async watch<T>(jobId: string, signal: AbortSignal | undefined, check: () => Promise<T | null>): Promise<T | null> {
    let entry = this.watched.get(jobId);
    if (!entry) this.watched.set(jobId, (entry = { ticks: 0, wake: new Set() }));
    this.watchers++;
    let sleeper: (() => void) | null = null;
    const onAbort = () => sleeper?.();
    signal?.addEventListener('abort', onAbort);
    entry.wake.add(onAbort);
    try {
      for (;;) {
        if (signal?.aborted) return null;
        const ticks = entry.ticks;
        const found = await check().catch(() => null); // a failed read is retried on the next round
        if (found !== null) return found;
        if (entry.ticks !== ticks) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          sleeper = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        sleeper = null;
      }
    } finally {
      this.watchers--;
      signal?.removeEventListener('abort', onAbort);
      entry.wake.delete(onAbort);
      if (entry.wake.size === 0 && this.watched.get(jobId) === entry) this.watched.delete(jobId);
    }
  }

  private poke(jobId: string): void {
    const entry = this.watched.get(jobId);
    if (!entry) return;
    entry.ticks++;
    for (const w of [...entry.wake]) w();
  }

  private remember(jobId: string, r: Omit<Refusal, 'at'>): void {
    const now = Date.now();
    for (const [id, old] of this.refusals) if (now - old.at > REFUSAL_TTL_MS) this.refusals.delete(id);
    if (this.refusals.size < MAX_WATCHERS) this.refusals.set(jobId, { ...r, at: now });
  }
}
