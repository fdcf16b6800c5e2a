// A `loupe serve` child process for the crash test: started on a free port against a given database and data
// folder, readiness-polled, killed with any signal, with its peak RSS read from /proc before it dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the server wrote on stderr (for failure messages). */
  tail(): string;
  /** Peak resident memory so far (VmHWM), in bytes; 0 once the process is gone. */
  peakRss(): number;
}

export function spawnServer(env: Record<string, string>): Promise<ServerProcess> & { early: ServerProcess } {
  const lines: string[] = [];
  // Spawned at once (port 0: any free port, read back from its "ready" line); `early` gives access before readiness.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, LOUPE_LOG_LEVEL: 'warn', ...env, LOUPE_PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    for (const l of s.split('\n')) if (l.trim()) lines.push(l);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: ServerProcess = {
    child,
    url: '',
    exited,
    tail: () => lines.slice(-30).join('\n'),
    peakRss: () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : 0;
      } catch {
        return 0;
      }
    },
  };
  const ready = (async () => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const m = lines.map((l) => /"url":"(http:\/\/[^"]+)"/.exec(l) ?? /ready: search page at (http:\/\/\S+?)\//.exec(l)).find(Boolean);
      if (m) {
        proc.url = m[1]!;
        break;
      }
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited before listening:\n${proc.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!proc.url) throw new Error(`server did not start in time:\n${proc.tail()}`);
    for (;;) {
      const ok = await fetch(`${proc.url}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return proc;
      if (Date.now() > deadline) throw new Error(`server not ready:\n${proc.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return Object.assign(ready, { early: proc });
}
