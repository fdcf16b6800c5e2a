// Token buckets: `rate` tokens per second up to `burst`; each request takes one. One set per API key (requests) and
// one per client address (failed authentications).
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
