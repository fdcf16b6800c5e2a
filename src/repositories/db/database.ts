// Opens Loupe's database: the configured server or an embedded one, migrated, with a Prisma client.
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import { repoRoot, type LoupeConfig } from '../../config.js';
import { defaultPgDataDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js';
import { applyMigrations } from './migrate.js';

export type Db = InstanceType<typeof PrismaClient>;

export interface Database {
  prisma: Db;
  /** The connection pool under `prisma`, for the few hot-path reads that skip the ORM (a search's documents read:
   * 0.6 ms through pg against 3.0 ms through Prisma, bench/README.md). */
  pool: pg.Pool;
  databaseUrl: string;
  embedded: boolean;
  /** Resolves when the database answers a trivial query (the readiness check); rejects otherwise. */
  ping(): Promise<void>;
  /** Disconnects and stops the embedded server; `leaveRunning` keeps a server another process started (a running
   * `loupe serve` whose database a CLI command such as `loupe keys` joined). */
  close(options?: { leaveRunning?: boolean }): Promise<void>;
}

export async function openDatabase(config: LoupeConfig): Promise<Database> {
  let embedded: EmbeddedPostgresHandle | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.pgDataDir ?? defaultPgDataDir(config.dataDir));
    url = embedded.databaseUrl;
  }
  await applyMigrations(url, join(repoRoot, 'prisma', 'migrations'));
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  await prisma.$connect();
  return {
    prisma,
    pool,
    databaseUrl: url,
    embedded: embedded !== null,
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    async close(options = {}) {
      await prisma.$disconnect();
      // Prisma may or may not end a pool it was given; close() may be called twice.
      if (!pool.ended) await pool.end();
      if (options.leaveRunning && embedded?.adopted) return;
      await embedded?.stop();
    },
  };
}
