// An indexing job run by a queue worker (`loupe worker`, or the worker inside `loupe serve`): the job's queued tasks
// go through the same stages as ever (DocumentService.add: fetch → decode → propose → embed → write), each written
// keyed by (document, task version) so that a job run twice (at-least-once: a worker killed after its commit) never
// duplicates chunks. Per document:
// - indexed: the write marks the task in the same transaction (DocumentRepository.replaceMany);
// - a permanent failure (bad image, refused address, ...): recorded, final;
// - a transient one (network, unexpected error): retried with exponential backoff, and final after `maxAttempts`
//   tries. An attempt is counted when it starts, so a document that kills its worker also ends after `maxAttempts`.
import { isLoupeError, LoupeError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { ClaimedTask, IndexingTaskRepository } from '../repositories/indexing-task-repository.js';
import type { IndexJobRun } from '../repositories/job-queue.js';
import type { DocumentInput, DocumentResult, DocumentService, UploadedFile } from './document-service.js';

export interface IndexingWorkerOptions {
  /** Tries per document before its failure is final. */
  maxAttempts: number;
  /** Delay before the first retry (ms); doubled for each further one. */
  retryBaseMs: number;
}

/** graphile-worker's own attempts per queue job: ours are counted per document, this only bounds a failing handler. */
export const queueAttempts = (maxAttempts: number) => maxAttempts + 2;

type Tasks = Pick<IndexingTaskRepository, 'jobIndex' | 'claim' | 'fail' | 'requeue'>;

export class IndexingWorker {
  /** Jobs running here, to stop when their waiting client goes away (cancel()). */
  private readonly running = new Map<string, Set<AbortController>>();

  constructor(
    private readonly tasks: Tasks,
    private readonly documents: Pick<DocumentService, 'add'>,
    private readonly uploads: { read(hash: string): Promise<Uint8Array> },
    private readonly options: IndexingWorkerOptions,
    private readonly log: Logger,
  ) {}

  /** Stops a job running in this process: its downloads are cut and nothing new starts (see IndexingJobBoard.cancel). */
  cancel(jobId: string): void {
    for (const c of this.running.get(jobId) ?? []) c.abort(new LoupeError('CANCELLED', 'The indexing job was cancelled'));
  }

  /** Runs one attempt at a job (the queue's handler). Resolves when every task is final or requeued. */
  async run(job: IndexJobRun): Promise<void> {
    const stop = new AbortController();
    const set = this.running.get(job.jobId) ?? new Set();
    this.running.set(job.jobId, set.add(stop));
    try {
      await this.attempt(job.jobId, AbortSignal.any([job.signal, stop.signal]), stop.signal);
    } finally {
      set.delete(stop);
      if (!set.size) this.running.delete(job.jobId);
    }
  }

  /** `cancelled`: the job was cancelled (its tasks are final already); `signal` also aborts when the process stops. */
  private async attempt(jobId: string, signal: AbortSignal, cancelled: AbortSignal): Promise<void> {
    const index = await this.tasks.jobIndex(jobId);
    if (!index) return; // the job or its index was deleted: nothing left to do
    const claimed = await this.tasks.claim(jobId, this.options.maxAttempts);
    if (!claimed.length) return;
    const retry: ClaimedTask[] = [];
    const inputs: { task: ClaimedTask; input: DocumentInput }[] = [];
    this.log.debug('indexing job started', { jobId, requestId: index.requestId, documents: claimed.length });
    for (const task of claimed) {
      try {
        inputs.push({ task, input: await this.input(task) });
      } catch (e) {
        await this.record(task, this.asFailure(task, e), retry);
      }
    }
    if (inputs.length) {
      let results: DocumentResult[];
      try {
        results = await this.documents.add(
          index.name,
          inputs.map((i) => i.input),
          { signal, requestId: index.requestId ?? `job:${jobId}` },
        );
      } catch (e) {
        // The whole batch was refused (index deleted meanwhile, model mismatch): every document gets that answer.
        results = inputs.map(({ task }) => this.asFailure(task, e));
      }
      for (const [i, result] of results.entries()) await this.record(inputs[i]!.task, result, retry);
    }
    if (retry.length && !cancelled.aborted) {
      const tries = Math.max(...retry.map((t) => t.attempts));
      const delay = this.options.retryBaseMs * 2 ** (tries - 1);
      await this.tasks.requeue(jobId, delay, queueAttempts(this.options.maxAttempts));
      this.log.info('indexing job will retry documents', { jobId, documents: retry.length, attempt: tries, delayMs: delay });
    }
  }

  /** The task's stored input as add() takes it, its uploads read back from Postgres. */
  private async input(task: ClaimedTask): Promise<DocumentInput> {
    const uploads = await Promise.all(
      task.input.uploads.map(async ([field, u]): Promise<[string, UploadedFile]> => [
        field,
        { name: u.name, type: u.type, bytes: await this.uploads.read(u.sha256) },
      ]),
    );
    return { id: task.externalId, fields: task.input.fields, uploads, version: task.version };
  }

  private asFailure(task: ClaimedTask, e: unknown): Extract<DocumentResult, { ok: false }> {
    if (isLoupeError(e)) return { id: task.externalId, ok: false, code: e.code, message: e.message, ...(e.transient ? { transient: true as const } : {}) };
    this.log.error('indexing job failed unexpectedly', { version: String(task.version), error: (e as Error)?.stack ?? String(e) });
    return {
      id: task.externalId,
      ok: false,
      code: 'INTERNAL',
      message: 'Unexpected error while indexing this document; the worker log has the details',
      transient: true,
    };
  }

  private async record(task: ClaimedTask, result: DocumentResult, retry: ClaimedTask[]): Promise<void> {
    if (result.ok) return; // marked indexed by its write
    const again = (result.transient === true || result.code === 'CANCELLED') && task.attempts < this.options.maxAttempts;
    const message = result.transient && !again ? `Gave up after ${task.attempts} attempts: ${result.message}` : result.message;
    await this.tasks.fail(task.version, result.code, message, !again);
    if (again) retry.push(task);
  }
}
