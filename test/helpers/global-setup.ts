// One embedded Postgres for the whole test run; each test file creates its own database in it. Only the projects
// that need a database list this setup (vitest.config.ts): the integration and browser projects share one server
// (a count of the projects using it, on the main process's globalThis), and `npm run test:unit` starts none.
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

interface SharedPostgres {
  url: Promise<string>;
  users: number;
  stop(): Promise<void>;
}

const KEY = Symbol.for('loupe.test.postgres');
const shared = globalThis as { [KEY]?: SharedPostgres };

function acquire(): SharedPostgres {
  const existing = shared[KEY];
  if (existing) {
    existing.users += 1;
    return existing;
  }
  // /tmp is reachable by the postgres OS user when the tests run as root.
  const dir = mkdtempSync(join(tmpdir(), 'loupe-test-pg-'));
  chmodSync(dir, 0o755); // the postgres OS user must reach its data folder inside
  const started = startEmbeddedPostgres(join(dir, 'data'), 'postgres');
  const entry: SharedPostgres = {
    url: started.then((pg) => pg.databaseUrl),
    users: 1,
    async stop() {
      await (await started).stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  shared[KEY] = entry;
  return entry;
}

export default async function setup(project: TestProject) {
  if (process.env.LOUPE_TEST_DATABASE_URL) {
    project.provide('adminDatabaseUrl', process.env.LOUPE_TEST_DATABASE_URL);
    return;
  }
  const pg = acquire();
  project.provide('adminDatabaseUrl', await pg.url);
  return async () => {
    pg.users -= 1;
    if (pg.users > 0) return;
    delete shared[KEY];
    await pg.stop();
  };
}
