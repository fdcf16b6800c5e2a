import { describe, expect, it } from 'vitest';
import { createFairLimiter } from '../../src/repositories/fair-limiter.js';
import { createLimiter } from '../../src/repositories/limiter.js';
import { createMemoryBudget } from '../../src/repositories/memory-budget.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('createLimiter', () => {
  it('never runs more than n tasks at once and starts them in order', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        limit(async () => {
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await tick();
          running--;
          return i * 10;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect([limit.activeCount, limit.pendingCount]).toEqual([0, 0]);
  });

  it('passes failures (sync or async) to the caller and frees the slot', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      limit(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(await limit(() => 'still works')).toBe('still works');
  });

  it('reports active and pending counts', async () => {
    const limit = createLimiter(1);
    let release!: () => void;
    const first = limit(() => new Promise<void>((r) => (release = r)));
    const second = limit(async () => 2);
    await tick();
    expect([limit.activeCount, limit.pendingCount]).toEqual([1, 1]);
    release();
    await first;
    expect(await second).toBe(2);
  });

  it('checks n', () => {
    expect(() => createLimiter(0)).toThrow('Expected a positive integer for n but received 0 of type number');
  });
});

describe('createFairLimiter', () => {
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    return { open, opened };
  };

  it('gives a newcomer its own slot at once while another request holds the whole shared pool', async () => {
    const fair = createFairLimiter(3);
    const hog = fair.forRequest();
    const g = gate();
    const hogTasks = Array.from({ length: 100 }, () => hog(() => g.opened));
    await tick();
    // one own slot + the 3 shared ones
    expect([hog.activeCount, fair.activeCount, fair.pendingCount]).toEqual([4, 4, 96]);
    expect(await fair.forRequest()(async () => 'first')).toBe('first');
    g.open();
    await Promise.all(hogTasks);
    expect([fair.activeCount, fair.pendingCount]).toEqual([0, 0]);
  });

  it('hands freed shared slots out turn by turn between waiting requests', async () => {
    const fair = createFairLimiter(1);
    const order: string[] = [];
    const a = fair.forRequest();
    const b = fair.forRequest();
    const g = gate();
    // a and b each hold their own slot; the shared slot then alternates between their queues.
    const own = [a(() => g.opened), b(() => g.opened)];
    const queued = [...['a1', 'a2', 'a3'].map((n) => a(async () => void order.push(n))), ...['b1', 'b2', 'b3'].map((n) => b(async () => void order.push(n)))];
    await Promise.all(queued);
    expect(order).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
    g.open();
    await Promise.all(own);
  });

  it("drops a request's waiting tasks when its signal aborts, rejecting them with the reason", async () => {
    const fair = createFairLimiter(0);
    const ac = new AbortController();
    const share = fair.forRequest(ac.signal);
    const g = gate();
    const running = share(() => g.opened.then(() => 'ran'));
    let started = 0;
    const waiting = Array.from({ length: 5 }, () => share(async () => void started++));
    ac.abort(new Error('client left'));
    for (const w of waiting) await expect(w).rejects.toThrow('client left');
    expect(fair.pendingCount).toBe(0);
    g.open();
    expect(await running).toBe('ran');
    expect(started).toBe(0);
    await expect(share(async () => 1)).rejects.toThrow('client left');
  });
});

describe('createMemoryBudget', () => {
  it('never holds more than the limit, serves first come first served, and grants an oversized ask alone', async () => {
    const budget = createMemoryBudget(100);
    const order: string[] = [];
    const r1 = await budget.reserve(60);
    const big = budget.reserve(500).then((release) => (order.push('big'), release));
    const small = budget.reserve(10).then((release) => (order.push('small'), release));
    await tick();
    // 10 would fit beside 60, but the oversized ask came first: nobody overtakes it.
    expect(order).toEqual([]);
    r1();
    const releaseBig = await big;
    expect(budget.heldBytes).toBe(100);
    releaseBig();
    (await small)();
    expect(order).toEqual(['big', 'small']);
    expect([budget.heldBytes, budget.peakBytes, budget.pendingCount]).toEqual([0, 100, 0]);
  });

  it('gives bytes back once per release and lets an aborted waiter go', async () => {
    const budget = createMemoryBudget(10);
    const release = await budget.reserve(10);
    const ac = new AbortController();
    const waiter = budget.reserve(5, ac.signal);
    ac.abort(new Error('gone'));
    await expect(waiter).rejects.toThrow('gone');
    release();
    release();
    expect(budget.heldBytes).toBe(0);
    // Shrinking a reservation lets a waiter in at once; the rest is given back later.
    const whole = await budget.reserve(10);
    const next = budget.reserve(6);
    whole(4);
    const releaseNext = await next;
    expect(budget.heldBytes).toBe(10);
    whole(8); // never grows back
    expect(budget.heldBytes).toBe(10);
    whole();
    releaseNext();
    expect(budget.heldBytes).toBe(0);
    await expect(budget.reserve(-1)).rejects.toThrow('Expected a non-negative integer for bytes but received -1 of type number');
  });
});
