// API keys in Postgres: only the SHA-256 of a key is stored; the prefix names the key in listings.
import type { Role } from '../domain/access.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Db } from './db/database.js';

export interface StoredApiKey {
  id: number;
  prefix: string;
  role: Role;
  name: string;
  ratePerSec: number | null;
  burst: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  prefix: string;
  keyHash: string;
  role: Role;
  name: string;
  ratePerSec: number | null;
  burst: number | null;
}

type Row = {
  id: number;
  prefix: string;
  role: string;
  name: string;
  ratePerSec: number | null;
  burst: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const toKey = (r: Row): StoredApiKey => ({ ...r, role: r.role as Role });
const select = { id: true, prefix: true, role: true, name: true, ratePerSec: true, burst: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;

export class ApiKeyRepository {
  constructor(private readonly prisma: Db) {}

  async create(key: NewApiKey): Promise<StoredApiKey> {
    return toKey(await this.prisma.apiKey.create({ data: key, select }));
  }

  async list(): Promise<StoredApiKey[]> {
    return (await this.prisma.apiKey.findMany({ orderBy: { id: 'asc' }, select })).map(toKey);
  }

  /** The active (not revoked) key with this hash, or null. */
  async findActiveByHash(keyHash: string): Promise<StoredApiKey | null> {
    const row = await this.prisma.apiKey.findFirst({ where: { keyHash, revokedAt: null }, select });
    return row ? toKey(row) : null;
  }

  async countActive(): Promise<number> {
    return this.prisma.apiKey.count({ where: { revokedAt: null } });
  }

  /** Revokes by id or prefix; returns the keys revoked now (none when unknown or already revoked). */
  async revoke(idOrPrefix: string): Promise<StoredApiKey[]> {
    const byId = /^\d{1,9}$/.test(idOrPrefix) ? Number(idOrPrefix) : null;
    const where = { revokedAt: null, ...(byId !== null ? { id: byId } : { prefix: idOrPrefix }) };
    const rows = await this.prisma.apiKey.findMany({ where, select });
    if (!rows.length) return [];
    await this.prisma.apiKey.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { revokedAt: new Date() } });
    return rows.map((r) => toKey({ ...r, revokedAt: new Date() }));
  }

  async touch(id: number, at: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
  }

  /**
   * The key's shared token bucket (table rate_buckets): refills it by the time elapsed at `rate` up to `burst`, takes
   * up to `want` whole tokens, in one statement (the row lock orders concurrent replicas). Returns what was taken and
   * what is left. A bucket seen for the first time starts full.
   */
  async leaseTokens(keyId: number, limits: { rate: number; burst: number }, want: number): Promise<{ taken: number; left: number }> {
    const burst = Prisma.sql`${limits.burst}::float8`;
    // What the locked row holds now (refilled since its last lease), and the whole tokens taken out of `available`.
    const available = Prisma.sql`LEAST(${burst}, b.tokens + ${limits.rate}::float8 * GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)::float8))`;
    const take = (tokens: Prisma.Sql) => Prisma.sql`LEAST(${want}::float8, floor(${tokens}))`;
    const [row] = await this.prisma.$queryRaw<{ taken: number; tokens: number }[]>`
      INSERT INTO rate_buckets AS b (key_id, tokens, taken, updated_at) VALUES (${keyId}::int, ${burst} - ${take(burst)}, ${take(burst)}, now())
      ON CONFLICT (key_id) DO UPDATE SET taken = ${take(available)}, tokens = ${available} - ${take(available)}, updated_at = GREATEST(b.updated_at, now())
      RETURNING b.taken, b.tokens`;
    if (!row) throw new Error(`rate bucket of key ${keyId}: the lease returned no row`);
    return { taken: Number(row.taken), left: Number(row.tokens) };
  }
}
