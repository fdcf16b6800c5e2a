import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/repositories/limiter.js';

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
