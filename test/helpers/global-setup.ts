// One embedded Postgres for the whole test run; each test file creates its own database in it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/repositories/db/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.LOUPE_TEST_DATABASE_URL) {
    project.provide('adminDatabaseUrl', process.env.LOUPE_TEST_DATABASE_URL);
    return;
  }
  // /tmp is reachable by the postgres OS user when the tests run as root.
  const dir = mkdtempSync(join(tmpdir(), 'loupe-test-pg-'));
  chmodSync(dir, 0o755); // the postgres OS user must reach its data folder inside
  const pg = await startEmbeddedPostgres(join(dir, 'data'), 'postgres');
  project.provide('adminDatabaseUrl', pg.databaseUrl);
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
