// The Postgres job queue (graphile-worker, MIT): workers take jobs with SELECT ... FOR UPDATE SKIP LOCKED and are woken by
// LISTEN/NOTIFY when one is added, in any process against the same database. Loupe adds what graphile-worker 0.16
// leaves to its users:
// - dead workers: graphile-worker unlocks the jobs of a worker that died without a clean stop only after 4 hours. Each
//   Loupe queue process records its graphile worker ids with the Postgres backend (pid + start time) of a connection it
//   holds open (table queue_workers); every few seconds any queue process unlocks the jobs of workers whose backend
//   is gone (SIGKILL, power loss: Postgres drops the connection) so another worker takes them at once;
// - jobs that used up graphile-worker's own attempts (their handler kept failing before it could record anything)
//   are finished by the sweeper with their remaining documents failed, so no job stays in the queue for ever.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import pg from 'pg';
import { Logger as GraphileLogger, run, runMigrations, type Runner } from 'graphile-worker';
import type { Logger } from '../log.js';
import { INDEX_TASK } from './indexing-task-repository.js';

/** How often dead workers' jobs are looked for (ms). */
const SWEEP_EVERY_MS = 3_000;

export interface IndexJobRun {
  jobId: string;
  /** graphile-worker's attempt number of this run (1 on the first). */
  attempt: number;
  signal: AbortSignal;
}

export type IndexJobHandler = (run: IndexJobRun) => Promise<void>;

function graphileLogger(log: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    if (level === 'error') log.error(message, meta);
    else if (level === 'warning') log.warn(message, meta);
    else log.debug(message, meta);
  });
}

/** Serializes queue schema installs: "Loupe" + 1 (the migration runner holds "Loupe"). */
const QUEUE_INSTALL_LOCK = 0x4c6f757066;

/**
 * Installs or upgrades graphile-worker's schema (idempotent). graphile-worker 0.16 does not lock its first install:
 * two processes starting on a fresh database both ran CREATE SCHEMA graphile_worker and one failed (duplicate key in
 * pg_namespace), so Loupe holds a session advisory lock around it.
 */
export async function installQueue(databaseUrl: string, log: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [QUEUE_INSTALL_LOCK]);
    await runMigrations({ connectionString: databaseUrl, logger: graphileLogger(log) });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [QUEUE_INSTALL_LOCK]).catch(() => undefined);
    await client.end();
  }
}

/** Unlocks the jobs of dead Loupe queue workers; finishes jobs that used up their attempts. Any process may run it. */
export async function sweepQueue(client: pg.ClientBase, onGaveUp: (jobId: string, lastError: string | null) => Promise<void>): Promise<{ unlocked: number }> {
  const dead = await client.query<{ worker_id: string }>(`
    DELETE FROM queue_workers w WHERE NOT EXISTS (
      SELECT 1 FROM pg_stat_activity a WHERE a.pid = w.backend_pid AND a.backend_start = w.backend_start)
    RETURNING worker_id`);
  // Also workers that never got registered (killed between taking a job and recording their id) once their lock is old.
  const orphans = await client.query<{ locked_by: string }>(
    `SELECT DISTINCT locked_by FROM graphile_worker.jobs j
     WHERE j.task_identifier = $1 AND j.locked_by IS NOT NULL AND j.locked_at < now() - interval '60 seconds'
       AND NOT EXISTS (SELECT 1 FROM queue_workers w WHERE w.worker_id = j.locked_by)`,
    [INDEX_TASK],
  );
  const ids = [...dead.rows.map((r) => r.worker_id), ...orphans.rows.map((r) => r.locked_by)];
  if (ids.length) await client.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [ids]);
  const spent = await client.query<{ id: string; job_id: string | null; last_error: string | null }>(
    `SELECT j.id, p.payload->>'jobId' AS job_id, j.last_error FROM graphile_worker._private_jobs p
     JOIN graphile_worker.jobs j ON j.id = p.id
     WHERE j.task_identifier = $1 AND j.locked_at IS NULL AND j.attempts >= j.max_attempts`,
    [INDEX_TASK],
  );
  for (const job of spent.rows) {
    if (job.job_id) await onGaveUp(job.job_id, job.last_error);
    await client.query('SELECT graphile_worker.complete_jobs(ARRAY[$1::bigint])', [job.id]);
  }
  return { unlocked: ids.length };
}

/** One process's queue workers: graphile-worker's runner for the indexing task, with its liveness record and sweeper. */
export class JobQueue {
  private runner: Runner | null = null;
  private alive: pg.Client | null = null;
  private readonly workerIds = new Set<string>();
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Queries on the liveness connection, one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly onGaveUp: (jobId: string, lastError: string | null) => Promise<void>,
  ) {}

  /** Starts `concurrency` workers that run indexing jobs with `handler`; a handler that throws is retried by the queue. */
  async start(handler: IndexJobHandler, options: { concurrency: number; pollIntervalMs?: number }): Promise<void> {
    await this.connectAlive();
    const events = new EventEmitter();
    events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => {
      this.workerIds.add(worker.workerId);
      void this.register([worker.workerId]);
    });
    this.runner = await run({
      connectionString: this.databaseUrl,
      concurrency: options.concurrency,
      pollInterval: options.pollIntervalMs ?? 2_000,
      noHandleSignals: true, // the CLI owns SIGTERM / SIGINT and stops the queue as part of its shutdown
      logger: graphileLogger(this.log),
      events: events as never,
      taskList: {
        [INDEX_TASK]: async (payload, helpers) => {
          const jobId = (payload as { jobId?: unknown } | null)?.jobId;
          if (typeof jobId !== 'string') throw new Error(`indexing job without a jobId: ${JSON.stringify(payload)?.slice(0, 200)}`);
          await handler({ jobId, attempt: helpers.job.attempts, signal: helpers.abortSignal ?? new AbortController().signal });
        },
      },
    });
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Stops taking jobs, waits for the running ones, then forgets this process's workers. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await this.runner?.stop().catch((e: Error) => this.log.warn('stopping the queue runner failed', { error: e.message }));
    this.runner = null;
    if (this.workerIds.size)
      await this.serial((client) => client.query('DELETE FROM queue_workers WHERE worker_id = ANY($1::text[])', [[...this.workerIds]])).catch(() => undefined);
    await this.alive?.end().catch(() => undefined);
    this.alive = null;
  }

  private async connectAlive(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, keepAlive: true });
    client.on('error', (e) => {
      if (this.alive !== client) return;
      this.alive = null;
      this.log.warn('queue liveness connection lost; reconnecting', { error: e.message });
      void this.reconnect();
    });
    await client.connect();
    this.alive = client;
  }

  private async reconnect(): Promise<void> {
    for (let delay = 200; !this.stopped; delay = Math.min(delay * 2, 5_000)) {
      try {
        await this.connectAlive();
        await this.register([...this.workerIds]);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private serial<T>(fn: (client: pg.Client) => Promise<T>): Promise<T | undefined> {
    const run = this.chain.then(() => (this.alive ? fn(this.alive) : undefined));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Records worker ids with this process's live backend (a new backend after a reconnect replaces the old one). */
  private async register(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.serial((client) =>
      client.query(
        `INSERT INTO queue_workers (worker_id, backend_pid, backend_start, host, pid)
         SELECT w, a.pid, a.backend_start, $2, $3 FROM unnest($1::text[]) AS w, pg_stat_activity a WHERE a.pid = pg_backend_pid()
         ON CONFLICT (worker_id) DO UPDATE SET backend_pid = excluded.backend_pid, backend_start = excluded.backend_start`,
        [ids, hostname(), process.pid],
      ),
    ).catch((e: Error) => this.log.warn('registering queue workers failed', { error: e.message }));
  }

  private async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      const swept = await this.serial((client) => sweepQueue(client, this.onGaveUp));
      if (swept?.unlocked) this.log.warn('unlocked the jobs of dead queue workers', { workers: swept.unlocked });
    } catch (e) {
      this.log.warn('queue sweep failed', { error: (e as Error).message });
    }
  }
}
