// The indexing queue's tables (migration 0004_jobs): jobs, their per-document tasks and the uploaded originals, written
// in the transaction that also enqueues the graphile-worker job that runs them. Task state is the source of truth for
// progress and results: every process (API replica or worker) reads it from here.
import { LoupeError, type ErrorCode } from '../domain/errors.js';
import type { DocumentFields } from '../domain/types.js';
import type { Db } from './db/database.js';

/** graphile-worker task name of an indexing job (payload: `{ "jobId": "..." }`). */
export const INDEX_TASK = 'loupe_index';

/** What a task holds to be indexed again by any worker: validated fields and references to stored uploads. */
export interface StoredInput {
  fields: DocumentFields;
  uploads: [string, { name: string; type?: string; sha256: string }][];
}

export type NewTask = { externalId: string; input: StoredInput } | { externalId: string; refused: { code: ErrorCode; message: string } };

export interface ClaimedTask {
  version: bigint;
  position: number;
  externalId: string;
  input: StoredInput;
  attempts: number;
}

export type TaskResult =
  | { id: string; status: 'queued'; attempts: number }
  | { id: string; status: 'indexed'; replaced: boolean }
  | { id: string; status: 'failed'; code: ErrorCode; message: string };

export interface JobState {
  jobId: string;
  index: string;
  total: number;
  processed: number;
  failed: number;
  done: boolean;
}

export interface JobFailure {
  position: number;
  id: string;
  code: ErrorCode;
  message: string;
}

interface TaskRow {
  version: bigint;
  position: number;
  external_id: string;
  input: StoredInput | null;
  status: 'queued' | 'indexed' | 'failed';
  attempts: number;
  replaced: boolean | null;
  code: string | null;
  message: string | null;
}

/**
 * Text Postgres can store: a refused document's id may hold what made it refused (NUL, a lone surrogate). Its answer
 * to the caller comes from memory; the stored copy (for progress) shows the bad characters as U+FFFD.
 */
const storable = (s: string) => s.replace(/\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

export class IndexingTaskRepository {
  constructor(private readonly prisma: Db) {}

  /**
   * Stores a job with its tasks and uploads and enqueues it, in ONE transaction: when it commits, nothing the caller
   * was told about can be lost. A finished job's id may be used again (it then names the new job); a running one's not.
   */
  async submit(
    job: { id: string; indexId: number; requestId?: string },
    tasks: NewTask[],
    uploads: Map<string, Uint8Array>,
    maxAttempts: number,
  ): Promise<{ versions: bigint[] }> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`
          DELETE FROM indexing_jobs j WHERE j.id = ${job.id}
            AND NOT EXISTS (SELECT 1 FROM indexing_tasks t WHERE t.job_id = j.id AND t.status = 'queued')`;
        const created = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO indexing_jobs (id, index_id, total, request_id) VALUES (${job.id}, ${job.indexId}, ${tasks.length}, ${job.requestId ?? null})
          ON CONFLICT (id) DO NOTHING RETURNING id`;
        if (!created.length) throw new LoupeError('INVALID_INPUT', `Indexing job "${job.id}" is already running`);
        for (const [sha256, bytes] of uploads) {
          await tx.$executeRaw`
            INSERT INTO uploads (sha256, bytes) SELECT ${sha256}, ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)}
            WHERE NOT EXISTS (SELECT 1 FROM uploads WHERE sha256 = ${sha256})
            ON CONFLICT DO NOTHING`;
        }
        const refused = (t: NewTask) => ('refused' in t ? t.refused : null);
        const rows = await tx.$queryRaw<{ version: bigint; position: number }[]>`
          INSERT INTO indexing_tasks (job_id, position, external_id, input, status, code, message)
          SELECT ${job.id}, u.position - 1, u.external_id, u.input::jsonb, u.status, u.code, u.message
          FROM unnest(${tasks.map((t) => storable(t.externalId))}::text[], ${tasks.map((t) => ('input' in t ? JSON.stringify(t.input) : null))}::text[],
                      ${tasks.map((t) => (refused(t) ? 'failed' : 'queued'))}::text[], ${tasks.map((t) => refused(t)?.code ?? null)}::text[],
                      ${tasks.map((t) => {
                        const r = refused(t);
                        return r ? storable(r.message) : null;
                      })}::text[])
               WITH ORDINALITY AS u(external_id, input, status, code, message, position)
          ORDER BY u.position
          RETURNING version, position`;
        if (tasks.some((t) => 'input' in t))
          await tx.$executeRaw`
            SELECT graphile_worker.add_job(${INDEX_TASK}::text, json_build_object('jobId', ${job.id}::text), max_attempts => ${maxAttempts}::int,
              job_key => ${job.id}::text, job_key_mode => 'replace')`;
        return { versions: rows.sort((a, b) => a.position - b.position).map((r) => r.version) };
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  /** Enqueues a job's next attempt to run no earlier than `delayMs` from now (retry with backoff). */
  async requeue(jobId: string, delayMs: number, maxAttempts: number): Promise<void> {
    await this.prisma.$executeRaw`
      SELECT graphile_worker.add_job(${INDEX_TASK}::text, json_build_object('jobId', ${jobId}::text),
        run_at => now() + make_interval(secs => ${delayMs / 1000}::float8), max_attempts => ${maxAttempts}::int,
        job_key => ${jobId}::text, job_key_mode => 'replace')`;
  }

  /** NOTIFY on the job channel (a refused batch, for subscribers in other processes). */
  async announce(payload: string): Promise<void> {
    await this.prisma.$executeRaw`SELECT pg_notify('loupe_job_changes', ${payload})`;
  }

  /** The index a job writes to and the request that submitted it (null: the job or its index is gone). */
  async jobIndex(jobId: string): Promise<{ id: number; name: string; requestId: string | null } | null> {
    const [row] = await this.prisma.$queryRaw<{ id: number; name: string; request_id: string | null }[]>`
      SELECT i.id, i.name, j.request_id FROM indexing_jobs j JOIN indexes i ON i.id = j.index_id WHERE j.id = ${jobId}`;
    return row ? { id: row.id, name: row.name, requestId: row.request_id } : null;
  }

  /**
   * Starts one attempt at a job's queued tasks: tasks tried `maxAttempts` times already fail for good (with their last
   * error, or "the worker stopped" when it died with them), the others count this attempt and are returned.
   * Counting before the work means a document that kills its worker still ends, failed, after `maxAttempts` runs.
   */
  async claim(jobId: string, maxAttempts: number): Promise<ClaimedTask[]> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        UPDATE indexing_tasks SET status = 'failed', updated_at = now(), code = coalesce(code, 'INTERNAL'),
          message = ${`Gave up after ${maxAttempts} attempts: `} || coalesce(message, 'the worker stopped (crashed or was killed) while indexing it')
        WHERE job_id = ${jobId} AND status = 'queued' AND attempts >= ${maxAttempts}`;
      const rows = await tx.$queryRaw<TaskRow[]>`
        UPDATE indexing_tasks SET attempts = attempts + 1, updated_at = now(), code = NULL, message = NULL
        WHERE job_id = ${jobId} AND status = 'queued'
        RETURNING version, position, external_id, input, status, attempts, replaced, code, message`;
      return rows
        .sort((a, b) => a.position - b.position)
        .map((r) => ({ version: r.version, position: r.position, externalId: r.external_id, input: r.input!, attempts: r.attempts }));
    });
  }

  /** Records a task's failure: for good, or as the last error of a task that will be retried. */
  async fail(version: bigint, code: ErrorCode, message: string, permanent: boolean): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE indexing_tasks SET code = ${code}, message = ${message.slice(0, 2000)}, updated_at = now(),
        status = CASE WHEN ${permanent} THEN 'failed' ELSE status END
      WHERE version = ${version} AND status = 'queued'`;
  }

  /** Fails a job's queued tasks with CANCELLED (its waiting client went away); returns how many. */
  async cancel(jobId: string, message: string): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE indexing_tasks SET status = 'failed', code = 'CANCELLED', message = ${message}, updated_at = now()
      WHERE job_id = ${jobId} AND status = 'queued'`;
  }

  /** Fails every queued task of a job for good (its queue job gave up). */
  async failRemaining(jobId: string, message: string): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE indexing_tasks SET status = 'failed', code = coalesce(code, 'INTERNAL'), updated_at = now(),
        message = ${message} || coalesce(': ' || message, '')
      WHERE job_id = ${jobId} AND status = 'queued'`;
  }

  async state(jobId: string): Promise<JobState | null> {
    const [row] = await this.prisma.$queryRaw<{ index: string; total: number; processed: bigint; failed: bigint; queued: bigint }[]>`
      SELECT i.name AS index, j.total,
             count(*) FILTER (WHERE t.status <> 'queued') AS processed,
             count(*) FILTER (WHERE t.status = 'failed') AS failed,
             count(*) FILTER (WHERE t.status = 'queued') AS queued
      FROM indexing_jobs j JOIN indexes i ON i.id = j.index_id LEFT JOIN indexing_tasks t ON t.job_id = j.id
      WHERE j.id = ${jobId} GROUP BY i.name, j.total`;
    if (!row) return null;
    return { jobId, index: row.index, total: row.total, processed: Number(row.processed), failed: Number(row.failed), done: row.queued === 0n };
  }

  /** A job's failed documents, in submission order. */
  async failures(jobId: string): Promise<JobFailure[]> {
    const rows = await this.prisma.$queryRaw<TaskRow[]>`
      SELECT position, external_id, code, message FROM indexing_tasks WHERE job_id = ${jobId} AND status = 'failed' ORDER BY position`;
    return rows.map((r) => ({ position: r.position, id: r.external_id, code: r.code as ErrorCode, message: r.message ?? '' }));
  }

  /** Every document of a job with its outcome so far, in submission order. */
  async results(jobId: string): Promise<TaskResult[]> {
    const rows = await this.prisma.$queryRaw<TaskRow[]>`
      SELECT position, external_id, status, attempts, replaced, code, message FROM indexing_tasks WHERE job_id = ${jobId} ORDER BY position`;
    return rows.map((r): TaskResult => {
      if (r.status === 'indexed') return { id: r.external_id, status: 'indexed', replaced: r.replaced ?? false };
      if (r.status === 'failed') return { id: r.external_id, status: 'failed', code: r.code as ErrorCode, message: r.message ?? '' };
      return { id: r.external_id, status: 'queued', attempts: r.attempts };
    });
  }

  /** Forgets finished jobs older than `olderThanMs` (their documents stay; only the job's bookkeeping goes). */
  async forgetFinished(olderThanMs: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM indexing_jobs j WHERE j.created_at < now() - make_interval(secs => ${olderThanMs / 1000}::float8)
        AND NOT EXISTS (SELECT 1 FROM indexing_tasks t WHERE t.job_id = j.id AND t.status = 'queued')`;
  }
}
