// Opens Loupe's database: the configured server or an embedded one, migrated, with a Prisma client.
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import { repoRoot, type LoupeConfig } from '../../config.js';
import { defaultPgDataDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js';
import { applyMigrations } from './migrate.js';

export type Db = InstanceType<typeof PrismaClient>;

export interface Database {
  prisma: Db;
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
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
  await prisma.$connect();
  return {
    prisma,
    databaseUrl: url,
    embedded: embedded !== null,
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    async close(options = {}) {
      await prisma.$disconnect();
      if (options.leaveRunning && embedded?.adopted) return;
      await embedded?.stop();
    },
  };
}
