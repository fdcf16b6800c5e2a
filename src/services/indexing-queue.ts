// addDocuments as a queued use-case: check the documents (the same rules as the indexing path), then store what was
// given — fields, upload bytes, one task per document — and enqueue the job, in ONE Postgres transaction. The answer
// names the job and the documents' ids; with `wait` it comes once every document is final, with per-document results.
// Workers (indexing-worker.ts) in this or any other process do the indexing.
import { createHash, randomUUID } from 'node:crypto';
import type { IndexingTaskRepository, NewTask, StoredInput } from '../repositories/indexing-task-repository.js';
import type { DocumentInput, DocumentResult, DocumentService, UploadedFile } from './document-service.js';
import { checkJobId, type IndexingJobBoard } from './indexing-jobs.js';
import { queueAttempts } from './indexing-worker.js';

/** A document's answer: its result, or (without `wait`, or when the caller stopped waiting) queued for a worker. */
export type SubmittedResult = DocumentResult | { id: string; ok: true; queued: true };

export interface SubmitOptions {
  /** Names the job (progress subscription); generated when absent. A running job's id is refused. */
  jobId?: string | null;
  /** Answer once every document is indexed or failed, with per-document results (default: at once, queued). */
  wait?: boolean;
  /** With `wait`: the caller went away before its answer, so nothing was acknowledged: the job is cancelled. */
  signal?: AbortSignal;
  requestId?: string;
}

export interface Submitted {
  jobId: string;
  results: SubmittedResult[];
}

function uploadEntries(uploads: DocumentInput['uploads']): [string, UploadedFile][] {
  if (!uploads) return [];
  if (uploads instanceof Map) return [...uploads];
  if (Array.isArray(uploads)) return uploads as [string, UploadedFile][];
  return Object.entries(uploads as Record<string, UploadedFile>);
}

export class IndexingQueueService {
  constructor(
    private readonly documents: Pick<DocumentService, 'check'>,
    private readonly tasks: Pick<IndexingTaskRepository, 'submit' | 'results'>,
    private readonly board: IndexingJobBoard,
    private readonly maxAttempts: number,
  ) {}

  async submit(indexName: string, documents: DocumentInput[], opts: SubmitOptions = {}): Promise<Submitted> {
    const jobId = opts.jobId === null || opts.jobId === undefined ? randomUUID() : checkJobId(opts.jobId);
    let checked: Awaited<ReturnType<DocumentService['check']>>;
    try {
      checked = await this.documents.check(indexName, documents);
    } catch (e) {
      // The whole batch is refused: its subscribers hear it too (in every process).
      await this.board.refuse(jobId, indexName, e, opts.requestId);
      throw e;
    }
    const uploads = new Map<string, Uint8Array>();
    const tasks = checked.checked.map((c, i): NewTask => {
      if (!c.ok) return { externalId: c.id, refused: { code: c.code, message: c.message } };
      const stored: StoredInput = { fields: c.fields, uploads: [] };
      for (const [field, file] of uploadEntries(documents[i]!.uploads)) {
        const sha256 = createHash('sha256').update(file.bytes).digest('hex');
        uploads.set(sha256, file.bytes);
        stored.uploads.push([field, { name: file.name, ...(file.type ? { type: file.type } : {}), sha256 }]);
      }
      return { externalId: c.id, input: stored };
    });
    await this.tasks.submit({ id: jobId, indexId: checked.record.id, requestId: opts.requestId }, tasks, uploads, queueAttempts(this.maxAttempts));
    const queued = (): SubmittedResult[] => checked.checked.map((c) => (c.ok ? { id: c.id, ok: true, queued: true } : c));
    if (!opts.wait) return { jobId, results: queued() };
    const done = await this.board.waitFor(jobId, opts.signal);
    if (!done) {
      await this.board.cancel(jobId);
      return { jobId, results: queued() };
    }
    const results = await this.tasks.results(jobId);
    return {
      jobId,
      results: results.map((r, i): SubmittedResult => {
        const refused = checked.checked[i];
        if (refused && !refused.ok) return refused; // as refused, with the id as given (the stored copy is sanitised)
        if (r.status === 'indexed') return { id: r.id, ok: true, replaced: r.replaced };
        if (r.status === 'failed') return { id: r.id, ok: false, code: r.code, message: r.message };
        return { id: r.id, ok: true, queued: true };
      }),
    };
  }
}
