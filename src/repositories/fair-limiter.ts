// Fetch slots shared fairly between requests. Every request gets one slot of its own, always (so a request's first
// download never waits behind another client's hanging URLs), and competes for `shared` more slots: a freed shared
// slot goes to the waiting request that holds the fewest shared slots now, the longest-unserved first on a tie, so
// waiting requests take turns and one client's 1,000 slow URLs hold at most its own slot plus what nobody else
// wants of the pool, whatever their number. A request's tasks that have not started are dropped when
// its signal aborts (the client went away); tasks already running see the same signal and stop themselves.
import { invalidArgument } from '../domain/errors.js';

export interface FairShare {
  /** Runs `task` when this request's turn comes; rejects with the signal's reason once the request is aborted. */
  <T>(task: () => Promise<T>): Promise<T>;
  /** This request's running tasks. */
  readonly activeCount: number;
}

export interface FairLimiter {
  /** A handle for one request; `signal` aborts its waiting tasks. */
  forRequest(signal?: AbortSignal): FairShare;
  /** Tasks running now (own slots + shared pool), over all requests. */
  readonly activeCount: number;
  /** Tasks waiting, over all requests. */
  readonly pendingCount: number;
}

interface Job {
  start(slot: 'own' | 'shared'): void;
}

interface Requester {
  ownBusy: boolean;
  active: number;
  sharedHeld: number;
  /** When it last got a shared slot (a counter), for turn-taking between equals. */
  lastServed: number;
  queue: Job[];
}

export function createFairLimiter(shared: number): FairLimiter {
  if (!Number.isInteger(shared) || shared < 0) throw invalidArgument('a non-negative integer', 'shared', shared);
  let sharedActive = 0;
  let active = 0;
  let pending = 0;
  let served = 0;
  // Requesters with waiting tasks.
  const waiting = new Set<Requester>();

  const start = (r: Requester, slot: 'own' | 'shared'): void => {
    const job = r.queue.shift()!;
    pending--;
    active++;
    r.active++;
    if (slot === 'own') r.ownBusy = true;
    else {
      sharedActive++;
      r.sharedHeld++;
      r.lastServed = ++served;
    }
    if (!r.queue.length) waiting.delete(r);
    job.start(slot);
  };

  const pump = (): void => {
    for (const r of [...waiting]) if (!r.ownBusy) start(r, 'own');
    while (sharedActive < shared && waiting.size) {
      let next: Requester | null = null;
      for (const r of waiting) {
        if (next === null || r.sharedHeld < next.sharedHeld || (r.sharedHeld === next.sharedHeld && r.lastServed < next.lastServed)) next = r;
      }
      start(next!, 'shared');
    }
  };

  return {
    forRequest(signal?: AbortSignal): FairShare {
      const r: Requester = { ownBusy: false, active: 0, sharedHeld: 0, lastServed: 0, queue: [] };
      const share = <T>(task: () => Promise<T>): Promise<T> =>
        new Promise<T>((resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason);
          const onAbort = (): void => {
            const at = r.queue.indexOf(job);
            if (at < 0) return;
            r.queue.splice(at, 1);
            pending--;
            if (!r.queue.length) waiting.delete(r);
            reject(signal!.reason);
          };
          const job: Job = {
            start: (slot) => {
              signal?.removeEventListener('abort', onAbort);
              // Promise.resolve().then(task) turns a synchronous throw into a rejection too.
              Promise.resolve()
                .then(task)
                .then(resolve, reject)
                .finally(() => {
                  active--;
                  r.active--;
                  if (slot === 'own') r.ownBusy = false;
                  else {
                    sharedActive--;
                    r.sharedHeld--;
                  }
                  pump();
                });
            },
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          r.queue.push(job);
          pending++;
          waiting.add(r);
          pump();
        });
      Object.defineProperty(share, 'activeCount', { get: () => r.active });
      return share as FairShare;
    },
    get activeCount() {
      return active;
    },
    get pendingCount() {
      return pending;
    },
  };
}
