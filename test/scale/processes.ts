// Loupe child processes for the multi-process test: `loupe serve` replicas (test/crash/server-process.ts) and
// `loupe worker` processes, started with their own environment and killed with any signal.
import { spawn, type ChildProcess } from 'node:child_process';

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  tail(): string;
}

/** Starts `loupe worker`; resolves once it says it is running. */
export async function spawnWorker(env: Record<string, string>, args: string[] = []): Promise<WorkerProcess> {
  const lines: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', ...args], {
    env: { ...process.env, LOUPE_LOG_LEVEL: 'warn', ...env },
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
  const proc: WorkerProcess = { child, exited, tail: () => lines.slice(-30).join('\n') };
  const deadline = Date.now() + 120_000;
  while (!lines.some((l) => l.includes('Loupe worker is running'))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited before running:\n${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`worker did not start in time:\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}
