// A tiny concurrency limiter (p-limit-like): at most `n` tasks run at once, the rest wait in FIFO order.
import { invalidArgument } from '../domain/errors.js';

export interface Limiter {
  <T>(task: () => Promise<T> | T): Promise<T>;
  /** Tasks running now. */
  readonly activeCount: number;
  /** Tasks waiting for a free slot. */
  readonly pendingCount: number;
}

export function createLimiter(n: number): Limiter {
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('a positive integer', 'n', n);
  const queue: Array<() => void> = [];
  let active = 0;

  const next = (): void => {
    if (active >= n) return;
    const start = queue.shift();
    if (start) start();
  };

  const limit = <T>(task: () => Promise<T> | T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        active++;
        // Promise.resolve().then(task) turns a synchronous throw into a rejection too.
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });

  Object.defineProperties(limit, {
    activeCount: { get: () => active },
    pendingCount: { get: () => queue.length },
  });
  return limit as Limiter;
}
