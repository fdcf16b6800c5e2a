// SharedTokenBuckets: a key's rate holds across replicas (each replica leases tokens from one shared bucket), a
// refusal is remembered locally, and a database outage falls back to the replica's own bucket.
import { describe, expect, it } from 'vitest';
import { SharedTokenBuckets, type BucketLimits, type TokenLeaser } from '../../src/services/rate-limiter.js';

/** The bucket as rate_buckets holds it (refill by elapsed time, take up to `want`), on a fake clock. */
class FakeStore implements TokenLeaser {
  calls = 0;
  fail = false;
  private readonly rows = new Map<number, { tokens: number; at: number }>();
  constructor(private readonly clock: { t: number }) {}
  async leaseTokens(keyId: number, { rate, burst }: BucketLimits, want: number) {
    this.calls++;
    await Promise.resolve();
    if (this.fail) throw new Error('connection refused');
    const row = this.rows.get(keyId) ?? { tokens: burst, at: this.clock.t };
    const avail = Math.min(burst, row.tokens + (Math.max(0, this.clock.t - row.at) / 1000) * rate);
    const taken = Math.min(want, Math.floor(avail));
    this.rows.set(keyId, { tokens: avail - taken, at: this.clock.t });
    return { taken, left: avail - taken };
  }
}

const setup = () => {
  const clock = { t: 0 };
  const store = new FakeStore(clock);
  const fallbacks: string[] = [];
  const replica = () =>
    new SharedTokenBuckets(
      store,
      (e) => fallbacks.push(e.message),
      () => clock.t,
    );
  return { clock, store, fallbacks, replica };
};

describe('SharedTokenBuckets', () => {
  it('lets two replicas together take the burst once, not once each', async () => {
    const { replica } = setup();
    const a = replica();
    const b = replica();
    const limits = { rate: 0.01, burst: 10 };
    let ok = 0;
    for (let i = 0; i < 20; i++) if ((await (i % 2 ? a : b).take(7, limits)).ok) ok++;
    expect(ok).toBe(10);
    // Another key has its own bucket.
    expect((await a.take(8, limits)).ok).toBe(true);
  });

  it('hands out exactly the burst to concurrent requests', async () => {
    const { replica } = setup();
    const a = replica();
    const b = replica();
    const limits = { rate: 0.01, burst: 12 };
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 3 ? a : b).take(1, limits)));
    expect(results.filter((r) => r.ok).length).toBe(12);
  });

  it('leases a tenth of a second of the rate at a time, and remembers a refusal until a token is due', async () => {
    const { clock, store, replica } = setup();
    const a = replica();
    const limits = { rate: 50, burst: 20 };
    for (let i = 0; i < 20; i++) expect((await a.take(1, limits)).ok).toBe(true);
    expect(store.calls).toBe(4); // leases of 5
    const refused = await a.take(1, limits);
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 1 });
    const calls = store.calls;
    for (let i = 0; i < 100; i++) expect((await a.take(1, limits)).ok).toBe(false);
    expect(store.calls).toBe(calls); // no round trip while the bucket is known empty
    clock.t += 100; // 5 tokens back
    let ok = 0;
    for (let i = 0; i < 10; i++) if ((await a.take(1, limits)).ok) ok++;
    expect(ok).toBe(5);
  });

  it('says when to retry from the shared bucket', async () => {
    const { replica } = setup();
    const a = replica();
    const limits = { rate: 0.25, burst: 1 };
    expect((await a.take(1, limits)).ok).toBe(true);
    expect(await a.take(1, limits)).toEqual({ ok: false, retryAfterSeconds: 4 });
  });

  it("falls back to the replica's own bucket when the database is down, and reports it once", async () => {
    const { store, fallbacks, replica } = setup();
    const a = replica();
    store.fail = true;
    const limits = { rate: 0.01, burst: 3 };
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await a.take(1, limits)).ok);
    expect(results).toEqual([true, true, true, false, false]);
    expect(fallbacks).toEqual(['connection refused']);
  });
});
