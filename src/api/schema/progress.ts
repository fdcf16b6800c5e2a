// Indexing progress as a GraphQL subscription (served over server-sent events by yoga): `addDocuments(jobId: ...)`
// reports each finished document to an in-memory job board, and `indexingProgress(jobId)` streams it. A subscriber
// that arrives late first gets the job's current state with every error so far, so the order in which a client
// opens the subscription and sends the mutation does not matter.
import { createGraphQLError, Repeater } from 'graphql-yoga';
import { internalMessage, invalidArgument, isLoupeError, LoupeError, type ErrorCode } from '../../domain/errors.js';
import type { DocumentResult } from '../../services/document-service.js';
import type { IndexingProgress } from '../../services/ports.js';
import type { Loupe } from '../../services/loupe.js';
import { builder } from '../builder.js';
import { ErrorCodeEnum } from './errors.js';

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
  subscribe(jobId: string): AsyncIterable<ProgressEvent> {
    checkJobId(jobId);
    const job = this.jobs.get(jobId) ?? this.create(jobId);
    return new Repeater<ProgressEvent>(async (push, stop) => {
      const listener = (e: ProgressEvent) => {
        void push(e);
        if (e.done) stop();
      };
      if (job.started) listener({ ...job.state, errors: [...job.allErrors] });
      if (!job.state.done) job.listeners.add(listener);
      await stop;
      job.listeners.delete(listener);
      if (!job.started && job.listeners.size === 0 && this.jobs.get(jobId) === job) this.jobs.delete(jobId);
    });
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

// One board per Loupe, so that two servers in one process (tests) never see each other's jobs.
const boards = new WeakMap<Loupe, IndexingJobBoard>();
export function jobBoard(loupe: Loupe): IndexingJobBoard {
  let board = boards.get(loupe);
  if (!board) boards.set(loupe, (board = new IndexingJobBoard()));
  return board;
}

const ItemErrorRef = builder.objectRef<ItemError>('IndexingItemError').implement({
  description: 'A document that could not be indexed',
  fields: (t) => ({
    id: t.exposeString('id'),
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
  }),
});

const ProgressEventRef = builder.objectRef<ProgressEvent>('IndexingProgress').implement({
  description: 'Progress of an addDocuments call that named a jobId',
  fields: (t) => ({
    jobId: t.exposeString('jobId'),
    index: t.exposeString('index'),
    processed: t.exposeInt('processed', { description: 'Documents finished, indexed or failed' }),
    failed: t.exposeInt('failed'),
    total: t.exposeInt('total'),
    done: t.exposeBoolean('done', { description: 'The last event of the job' }),
    errors: t.field({
      type: [ItemErrorRef],
      description: 'Per-item errors since the previous event (the first event a subscriber gets lists all so far)',
      resolve: (e) => e.errors,
    }),
    code: t.field({ type: ErrorCodeEnum, nullable: true, description: 'Why the whole batch failed, if it did', resolve: (e) => e.code }),
    message: t.exposeString('message', { nullable: true }),
  }),
});

// Subscription root lives here, the only file with subscription fields.
builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  indexingProgress: t.field({
    type: ProgressEventRef,
    description: 'Streams the progress of addDocuments(jobId: ...) over server-sent events; ends after the `done` event',
    args: { jobId: t.arg.string({ required: true }) },
    subscribe: (_r, { jobId }, ctx) => {
      try {
        return jobBoard(ctx.loupe).subscribe(jobId);
      } catch (e) {
        // An expected failure is shown to the client with its code; anything else stays masked.
        if (isLoupeError(e)) throw createGraphQLError(e.message, { extensions: { code: e.code } });
        throw e;
      }
    },
    resolve: (e) => e,
  }),
}));
