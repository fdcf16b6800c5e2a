// Token buckets: `rate` tokens per second up to `burst`; each request takes one. Requests per API key use
// SharedTokenBuckets (one bucket per key in Postgres, leased by every replica); failed authentications per client
// address, and the fallback while the database is unreachable, use this process's own TokenBuckets.
export interface BucketLimits {
  rate: number;
  burst: number;
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets that are full again are dropped first when this many keys are tracked (bounds memory). */
const MAX_BUCKETS = 100_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  take(key: string, limits: BucketLimits): Take {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.prune(t, limits);
      b = { tokens: limits.burst, at: t };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(limits.burst, b.tokens + ((t - b.at) / 1000) * limits.rate);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / limits.rate)) };
  }

  /** Whether `take` would succeed now, without taking anything. */
  peek(key: string, limits: BucketLimits): Take {
    const b = this.buckets.get(key);
    if (!b) return { ok: true };
    const tokens = Math.min(limits.burst, b.tokens + ((this.now() - b.at) / 1000) * limits.rate);
    return tokens >= 1 ? { ok: true } : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limits.rate)) };
  }

  private prune(t: number, limits: BucketLimits): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * limits.rate >= limits.burst) this.buckets.delete(k);
    if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
  }
}

/** Where shared buckets live (ApiKeyRepository over Postgres): refill, take up to `want`, say what is left. */
export interface TokenLeaser {
  leaseTokens(keyId: number, limits: BucketLimits, want: number): Promise<{ taken: number; left: number }>;
}

/** A replica leases about this much of a second's rate at a time: few round trips, little held back from the others. */
const LEASE_SECONDS = 0.1;
const WARN_EVERY_MS = 60_000;

interface Lease {
  tokens: number;
  /** While the shared bucket is known empty, refuse here without asking again. */
  emptyUntil: number;
  pending: Promise<void> | null;
}

/**
 * Token buckets shared by every replica: each key's bucket is a row in Postgres and a replica takes tokens from it in
 * small leases (a tenth of a second's rate, at least 1, at most the burst), so N replicas together allow the key's
 * rate, not N times it. A refusal is remembered until the bucket can hold a token again, so a client over its limit
 * costs no round trips. If the database cannot be reached, the replica falls back to its own buckets (logged) rather
 * than refuse every request.
 */
export class SharedTokenBuckets {
  private readonly leases = new Map<number, Lease>();
  private readonly local: TokenBuckets;
  private warnedAt = -Infinity;

  constructor(
    private readonly store: TokenLeaser,
    private readonly onFallback: (e: Error) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.local = new TokenBuckets(now);
  }

  async take(keyId: number, limits: BucketLimits): Promise<Take> {
    let lease = this.leases.get(keyId);
    if (!lease) {
      if (this.leases.size >= MAX_BUCKETS) this.leases.clear();
      lease = { tokens: 0, emptyUntil: -Infinity, pending: null };
      this.leases.set(keyId, lease);
    }
    // Each round either hands out a token, or learns the shared bucket is empty: the loop ends.
    for (;;) {
      if (lease.tokens >= 1) {
        lease.tokens -= 1;
        return { ok: true };
      }
      const t = this.now();
      if (lease.emptyUntil > t) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((lease.emptyUntil - t) / 1000)) };
      if (!lease.pending) {
        const l = lease;
        l.pending = this.refill(keyId, l, limits).finally(() => (l.pending = null));
      }
      try {
        await lease.pending;
      } catch (e) {
        const t2 = this.now();
        if (t2 - this.warnedAt >= WARN_EVERY_MS) {
          this.warnedAt = t2;
          this.onFallback(e as Error);
        }
        return this.local.take(String(keyId), limits);
      }
    }
  }

  private async refill(keyId: number, lease: Lease, limits: BucketLimits): Promise<void> {
    const want = Math.max(1, Math.min(Math.floor(limits.burst), Math.ceil(limits.rate * LEASE_SECONDS)));
    const { taken, left } = await this.store.leaseTokens(keyId, limits, want);
    lease.tokens += taken;
    if (taken < 1) lease.emptyUntil = this.now() + (Math.max(0, 1 - left) / limits.rate) * 1000;
  }
}
