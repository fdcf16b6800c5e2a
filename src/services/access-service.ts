// Access control: API keys (stored hashed) with roles, per-key rate limits, and the rule that a server reachable
// from other machines needs keys. Keys are read from `x-api-key: <key>` or `Authorization: Bearer <key>`.
import { createHash, randomBytes } from 'node:crypto';
import type { AuthMode } from '../config.js';
import { ANONYMOUS, checkRole, KEY_PATTERN, KEY_PREFIX_LENGTH, type Principal, type Role } from '../domain/access.js';
import { checkText, invalidArgument, RequestError } from '../domain/errors.js';
import { preview } from '../domain/text.js';
import type { Logger } from '../log.js';
import { isLoopbackAddress } from '../repositories/address-policy.js';
import type { ApiKeyRepository, StoredApiKey } from '../repositories/api-key-repository.js';
import { SharedTokenBuckets, TokenBuckets, type BucketLimits } from './rate-limiter.js';

export interface AccessOptions {
  mode: AuthMode;
  /** The listen host: access control is required unless it is a loopback address (mode auto). */
  host: string;
  ratePerSecond: number;
  burst: number;
  /** Failed authentications (unknown, revoked or malformed keys) allowed per client address: per minute, and burst. */
  authFailuresPerMinute: number;
  authFailureBurst: number;
}

export interface CreateKeyInput {
  role: Role;
  name?: string;
  ratePerSec?: number | null;
  burst?: number | null;
}

export interface HeaderSource {
  get(name: string): string | null;
}

/** A revoked or newly created key is noticed by a running server within this time. */
export const KEY_CACHE_MS = 5_000;
const KEY_CACHE_MAX = 10_000;
const TOUCH_EVERY_MS = 60_000;

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A loopback name or address: `localhost`, `*.localhost` (RFC 6761), 127/8, ::1, ::ffff:127.x; brackets allowed. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isLoopbackAddress(h);
}

/** The key a request presents, or null; two different keys in the two headers are refused. */
export function presentedKey(headers: HeaderSource): string | null {
  const direct = headers.get('x-api-key')?.trim() || null;
  const auth = headers.get('authorization')?.trim() ?? '';
  // Other schemes (Basic from a proxy in front, ...) are not ours: they count as no key.
  const bearer = /^bearer\s+(\S+)$/i.exec(auth)?.[1] ?? null;
  if (direct && bearer && direct !== bearer) throw new RequestError('UNAUTHENTICATED', 'x-api-key and Authorization carry different keys');
  return direct ?? bearer;
}

export class AccessService {
  private readonly cache = new Map<string, { key: StoredApiKey | null; until: number }>();
  /** Requests per key: one bucket per key in Postgres, shared by every replica (leased a few tokens at a time). */
  private readonly buckets: SharedTokenBuckets;
  /** Failed authentications per client address: each may cost a database lookup, so they are rate-limited. */
  private readonly failures = new TokenBuckets();
  private readonly failureLimits: BucketLimits;
  private readonly touched = new Map<number, number>();
  /** Whether a request without a key is refused. */
  readonly required: boolean;
  /** Whether the server listens on a loopback address only. */
  readonly loopback: boolean;

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly options: AccessOptions,
    private readonly log: Logger,
  ) {
    this.loopback = isLoopbackHost(options.host);
    this.required = options.mode === 'on' || (options.mode === 'auto' && !this.loopback);
    this.failureLimits = { rate: Math.max(options.authFailuresPerMinute, 1e-6) / 60, burst: Math.max(options.authFailureBurst, 1) };
    this.buckets = new SharedTokenBuckets(repo, (e) =>
      this.log.warn('shared rate limits unavailable (database); this replica enforces its own until it is back', { error: e.message }),
    );
  }

  /**
   * Against DNS rebinding: a loopback server without keys can be reached by any web page through a name that its
   * attacker rebinds to 127.0.0.1, and the browser then sends that name as Host (with no Origin on a same-origin
   * GET). So such a server answers only requests addressed to a loopback name, on every route. A request that
   * presents a key is exempt (the key is checked; a rebinding page cannot know one).
   */
  checkHost(host: string | null | undefined, presentsKey: boolean): void {
    if (!this.loopback || this.required || presentsKey) return;
    let name: string | null = null;
    try {
      name = host ? new URL(`http://${host}`).hostname : null;
    } catch {
      name = null;
    }
    if (name !== null && isLoopbackHost(name)) return;
    throw new RequestError(
      'FORBIDDEN',
      `Host ${host ? preview(host) : '(none)'} is not a loopback name: a loopback server without API keys answers only requests to localhost, 127.0.0.1 or [::1] (DNS rebinding protection)`,
    );
  }

  /** Refuses to serve a non-loopback address without any key; warns when access control is switched off there. */
  async assertServable(): Promise<void> {
    const loopback = this.loopback;
    if (this.options.mode === 'off') {
      if (!loopback)
        this.log.warn('access control is OFF on a non-loopback address: anyone who can reach this port may change indexes', { host: this.options.host });
      return;
    }
    if (!this.required) return;
    if ((await this.repo.countActive()) === 0) {
      throw new Error(
        `Refusing to listen on ${this.options.host} without API keys: ${loopback ? 'LOUPE_AUTH=on requires them' : 'it is not a loopback address'}. ` +
          'Create a key first with `loupe keys create --role admin` (same DATABASE_URL / LOUPE_DATA_DIR), ' +
          'or listen on 127.0.0.1 (LOUPE_HOST).',
      );
    }
  }

  async createKey(input: CreateKeyInput): Promise<{ key: string; stored: StoredApiKey }> {
    const role = checkRole(input.role);
    const name = input.name ?? '';
    if (typeof name !== 'string' || name.length > 200) throw invalidArgument('a name of at most 200 characters', 'name', name);
    checkText(name, 'name');
    const rate = input.ratePerSec ?? null;
    if (rate !== null && !(Number.isFinite(rate) && rate > 0 && rate <= 1e6))
      throw invalidArgument('a number of requests per second in (0, 1000000]', 'ratePerSec', rate);
    const burst = input.burst ?? null;
    if (burst !== null && !(Number.isInteger(burst) && burst > 0 && burst <= 1e7)) throw invalidArgument('an integer burst in 1..10000000', 'burst', burst);
    const key = `lp_${randomBytes(32).toString('base64url')}`;
    const stored = await this.repo.create({ prefix: key.slice(0, KEY_PREFIX_LENGTH), keyHash: hashKey(key), role, name, ratePerSec: rate, burst });
    return { key, stored };
  }

  listKeys(): Promise<StoredApiKey[]> {
    return this.repo.list();
  }

  async revokeKey(idOrPrefix: string): Promise<StoredApiKey[]> {
    if (typeof idOrPrefix !== 'string' || idOrPrefix === '' || idOrPrefix.length > 200) throw invalidArgument('a key id or prefix', 'key', idOrPrefix);
    checkText(idOrPrefix, 'key');
    const revoked = await this.repo.revoke(idOrPrefix);
    this.cache.clear();
    return revoked;
  }

  /**
   * Who is calling: the key's principal (rate-limited), or the anonymous admin when no key is sent and access control
   * is not required. A key that is sent is always checked, even where none is required. Failed authentications are
   * counted per client address; past the allowance, that address gets RATE_LIMITED for any key not already known
   * good, before any database lookup.
   */
  async authenticate(headers: HeaderSource, client = 'unknown'): Promise<Principal> {
    const key = presentedKey(headers);
    if (key === null) {
      if (this.required) throw new RequestError('UNAUTHENTICATED', 'This server requires an API key: send `x-api-key: <key>` or `Authorization: Bearer <key>`');
      return ANONYMOUS;
    }
    const hash = hashKey(key);
    if (!this.knownGood(hash)) {
      const allowed = this.failures.peek(client, this.failureLimits);
      if (!allowed.ok)
        throw new RequestError(
          'RATE_LIMITED',
          `Too many failed authentications from this address; retry in ${allowed.retryAfterSeconds} s`,
          allowed.retryAfterSeconds,
        );
    }
    const stored = KEY_PATTERN.test(key) ? await this.lookup(hash) : null;
    if (!stored) {
      this.failures.take(client, this.failureLimits);
      throw new RequestError('UNAUTHENTICATED', 'Unknown or revoked API key');
    }
    const taken = await this.buckets.take(stored.id, { rate: stored.ratePerSec ?? this.options.ratePerSecond, burst: stored.burst ?? this.options.burst });
    if (!taken.ok)
      throw new RequestError('RATE_LIMITED', `Rate limit exceeded for key ${stored.prefix}; retry in ${taken.retryAfterSeconds} s`, taken.retryAfterSeconds);
    this.touch(stored.id);
    return { keyId: stored.id, name: stored.prefix, role: stored.role };
  }

  private knownGood(hash: string): boolean {
    const hit = this.cache.get(hash);
    return hit !== undefined && hit.key !== null && hit.until > Date.now();
  }

  private async lookup(hash: string): Promise<StoredApiKey | null> {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.key;
    const key = await this.repo.findActiveByHash(hash);
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { key, until: now + KEY_CACHE_MS });
    return key;
  }

  private touch(id: number): void {
    const now = Date.now();
    if ((this.touched.get(id) ?? 0) + TOUCH_EVERY_MS > now) return;
    this.touched.set(id, now);
    this.repo.touch(id, new Date(now)).catch((e: Error) => this.log.warn('could not record key use', { keyId: id, error: e.message }));
  }
}
