// The queue's schema install is safe when several processes start at once on a fresh database (graphile-worker 0.16
// alone is not: concurrent first installs race on CREATE SCHEMA graphile_worker).
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { installQueue } from '../../src/repositories/job-queue.js';
import { createTestDatabase } from '../helpers/loupe.js';

describe('installQueue', () => {
  it('installs the queue schema once when six starters race on a fresh database', async () => {
    const url = await createTestDatabase();
    const log = createLogger({ test: true }, 'error');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => installQueue(url, log)));
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(Array(6).fill('ok'));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'graphile_worker'");
      expect(Number(rows[0]!.n)).toBe(1);
      // And the installed schema works.
      await client.query("SELECT graphile_worker.add_job('noop', '{}'::json)");
    } finally {
      await client.end();
    }
  });
});
