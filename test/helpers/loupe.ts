// A real Loupe for a test file: its own database in the shared embedded Postgres, its own data folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type LoupeConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createLoupe, type Loupe } from '../../src/services/loupe.js';
import { createApi, type LoupeYoga } from '../../src/api/yoga.js';

export interface TestLoupe {
  loupe: Loupe;
  yoga: LoupeYoga;
  config: LoupeConfig;
  imageRoot: string;
  /** Closes this Loupe (flushing snapshots) and opens a new one on the same database and data folder. */
  restart(between?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export async function createTestDatabase(): Promise<string> {
  const admin = inject('adminDatabaseUrl');
  const name = `loupe_t_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createTestLoupe(overrides: Partial<LoupeConfig> = {}): Promise<TestLoupe> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loupe-test-data-'));
  const imageRoot = mkdtempSync(join(tmpdir(), 'loupe-test-images-'));
  const config = loadConfig({
    dataDir,
    databaseUrl: await createTestDatabase(),
    imageRoot,
    allowLoopback: true, // test servers listen on 127.0.0.1
    fetchConnectTimeoutMs: 2_000,
    fetchTotalTimeoutMs: 5_000,
    ...overrides,
  });
  const log = createLogger({ test: true }, process.env.LOUPE_LOG_LEVEL ?? 'error');
  const state = { loupe: await createLoupe(config, log) } as { loupe: Loupe; yoga: LoupeYoga };
  state.yoga = createApi(state.loupe, log);
  const harness: TestLoupe = {
    get loupe() {
      return state.loupe;
    },
    get yoga() {
      return state.yoga;
    },
    config,
    imageRoot,
    async restart(between) {
      await state.loupe.close();
      await between?.();
      state.loupe = await createLoupe(config, log);
      state.yoga = createApi(state.loupe, log);
    },
    async close() {
      await state.loupe.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(imageRoot, { recursive: true, force: true });
    },
    async gql(query, variables = {}) {
      const res = await state.yoga.fetch('http://loupe.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: { message: string }[] };
      if (body.errors?.length) throw new Error(`GraphQL errors: ${body.errors.map((e) => e.message).join('; ')}`);
      return body.data as never;
    },
  };
  return harness;
}
