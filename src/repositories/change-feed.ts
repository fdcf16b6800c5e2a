// Index change feed: LISTEN on one dedicated Postgres connection for the NOTIFY that the trigger on `indexes` sends
// from every writing transaction (prisma/migrations/0003_change_feed), whichever process wrote.
//
// Derived state trusts the feed only while it is connected: `epoch` grows on each successful LISTEN, and a reader
// that last verified against Postgres in an older epoch (or while disconnected) must verify again (one cheap read
// of indexes.last_seq). So a write committed while nobody listened, or during a reconnect, is never missed.
import pg from 'pg';
import type { Logger } from '../log.js';

export const CHANGE_CHANNEL = 'loupe_index_changes';
/** Indexing job progress (prisma/migrations/0004_jobs): the payload is a job id, or `<job id>\t<json>` for a refusal. */
export const JOB_CHANNEL = 'loupe_job_changes';

export type IndexChange = { indexId: number; seq: bigint } | { indexId: number; deleted: true };

export function parseChange(payload: string | undefined): IndexChange | null {
  const m = /^(\d{1,10}):(deleted|\d{1,19})$/.exec(payload ?? '');
  if (!m) return null;
  const indexId = Number(m[1]);
  return m[2] === 'deleted' ? { indexId, deleted: true } : { indexId, seq: BigInt(m[2]!) };
}

export interface ChangeSource {
  /** Grows on every successful LISTEN; 0 until the first. */
  readonly epoch: number;
  /** True while LISTEN is active on a live connection. */
  readonly connected: boolean;
  /** Highest sequence number announced for an index in the current epoch. */
  announced(indexId: number): bigint;
  onChange(fn: (change: IndexChange) => void): void;
}

export class ChangeFeed implements ChangeSource {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;
  private readonly seqs = new Map<number, bigint>();
  private readonly handlers: ((change: IndexChange) => void)[] = [];
  private readonly jobHandlers: ((payload: string) => void)[] = [];
  epoch = 0;
  connected = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  /** Connects and LISTENs; resolves either way (when it cannot, readers verify against Postgres every time). */
  async start(): Promise<void> {
    await this.connect();
  }

  announced(indexId: number): bigint {
    return this.seqs.get(indexId) ?? 0n;
  }

  onChange(fn: (change: IndexChange) => void): void {
    this.handlers.push(fn);
  }

  /** Job progress notifications (see JOB_CHANNEL), from every process; none while disconnected (`epoch` tells). */
  onJobChange(fn: (payload: string) => void): void {
    this.jobHandlers.push(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.connected = false;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  /** The backend pid of the listening connection (tests terminate it to exercise the fallback). */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, keepAlive: true });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (n) => {
      if (client !== this.client) return;
      if (n.channel === JOB_CHANNEL) for (const h of this.jobHandlers) h(n.payload ?? '');
      if (n.channel !== CHANGE_CHANNEL) return;
      this.deliver(parseChange(n.payload));
    });
    this.client = client; // the current attempt: events of older clients are ignored
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}; LISTEN ${JOB_CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      this.lost(client, e as Error);
      return;
    }
    if (this.closed || client !== this.client) {
      await client.end().catch(() => undefined);
      return;
    }
    this.seqs.clear(); // announcements of an older epoch are not evidence for this one
    this.epoch++;
    this.connected = true;
    this.retryMs = 100;
  }

  private deliver(change: IndexChange | null): void {
    if (!change) return;
    if ('seq' in change) {
      if (change.seq > this.announced(change.indexId)) this.seqs.set(change.indexId, change.seq);
    } else {
      this.seqs.delete(change.indexId);
    }
    for (const h of this.handlers) {
      try {
        h(change);
      } catch (e) {
        this.log.warn('change handler failed', { error: (e as Error).message });
      }
    }
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (client !== this.client) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.client = null;
    if (this.closed || this.timer) return;
    if (wasConnected) this.log.warn('change feed disconnected; verifying against Postgres until it is back', { error: error?.message });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }
}
