// A process-wide budget of bytes (decoded pixels): a holder reserves what it is about to allocate before it does, and
// gives it back when the memory is no longer needed. Waiters are served first come, first served, so a large
// reservation is never starved by a stream of small ones. A reservation larger than the whole budget is granted
// alone (nothing else held), so one image over the budget still decodes rather than waiting forever.
import { invalidArgument } from '../domain/errors.js';

export interface MemoryBudget {
  /**
   * Waits until `bytes` fit, then holds them. The returned function gives them back: all of them, or all but `keep`
   * (a holder that no longer needs the whole amount shrinks its share without ever waiting); calling it again with
   * no argument gives back the rest.
   */
  reserve(bytes: number, signal?: AbortSignal): Promise<Release>;
  /** Bytes held now. */
  readonly heldBytes: number;
  /** Most bytes ever held at once. */
  readonly peakBytes: number;
  readonly limitBytes: number;
  /** Reservations waiting. */
  readonly pendingCount: number;
}

export type Release = (keep?: number) => void;

export function createMemoryBudget(limitBytes: number): MemoryBudget {
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 1) throw invalidArgument('a positive integer', 'limitBytes', limitBytes);
  let held = 0;
  let peak = 0;
  const queue: Array<{ bytes: number; grant: () => void }> = [];

  const pump = (): void => {
    while (queue.length) {
      const head = queue[0]!;
      const cost = Math.min(head.bytes, limitBytes);
      if (held + cost > limitBytes) return;
      queue.shift();
      head.grant();
    }
  };

  return {
    reserve(bytes: number, signal?: AbortSignal): Promise<Release> {
      if (!Number.isSafeInteger(bytes) || bytes < 0) return Promise.reject(invalidArgument('a non-negative integer', 'bytes', bytes));
      if (signal?.aborted) return Promise.reject(signal.reason);
      const cost = Math.min(bytes, limitBytes);
      return new Promise((resolve, reject) => {
        const onAbort = (): void => {
          const at = queue.indexOf(entry);
          if (at < 0) return;
          queue.splice(at, 1);
          reject(signal!.reason);
          pump();
        };
        const entry = {
          bytes,
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            held += cost;
            peak = Math.max(peak, held);
            let mine = cost;
            resolve((keep = 0) => {
              const next = Math.min(mine, Math.max(0, keep));
              if (next === mine) return;
              held -= mine - next;
              mine = next;
              pump();
            });
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(entry);
        pump();
      });
    },
    get heldBytes() {
      return held;
    },
    get peakBytes() {
      return peak;
    },
    limitBytes,
    get pendingCount() {
      return queue.length;
    },
  };
}
