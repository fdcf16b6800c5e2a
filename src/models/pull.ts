// `loupe models pull`: downloads a public model from a Hugging Face hub (or a mirror) into the models folder.
// Files are staged in `<models>/.<name>.pull/`, each downloaded into a `.part` file that a later try resumes with an
// HTTP Range request, verified against the hub's own hashes (sha256 of LFS files, git blob sha1 of small files), then
// the folder is completed with the configs the contract needs, checked, and moved into place in one rename.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { invalidArgument, LoupeError } from '../domain/errors.js';
import { inspectModelFolder, type ModelReport } from './inspect.js';
import type { Json, JsonObject } from './folder.js';
import { PUBLIC_MODELS, type PublicModel } from './public-models.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

export interface PullProgress {
  /** Local path of the file inside the model folder. */
  file: string;
  /** Bytes of this file on disk so far (a resumed file starts above 0). */
  received: number;
  /** Expected size of this file. */
  total: number;
  /** Bytes of all files on disk so far, and their expected total. */
  allReceived: number;
  allTotal: number;
}

export interface PullOptions {
  /** The models folder (LOUPE_MODELS_DIR). */
  modelsDir: string;
  /** Hub base URL; default https://huggingface.co. */
  endpoint?: string;
  /** Another repository (owner/name) to take the same files from, e.g. a mirror or a re-export. */
  repo?: string;
  revision?: string;
  /** Further attempts per file after a broken connection, each resuming where the last stopped; default 3. */
  retries?: number;
  /** A request that sends nothing for this long is abandoned (and retried); default 60 s. */
  idleTimeoutMs?: number;
  /** Replace an installed folder of the same name. */
  force?: boolean;
  onProgress?: (p: PullProgress) => void;
  /** For tests: the fetch implementation. */
  fetch?: typeof fetch;
}

export interface PullResult {
  name: string;
  dir: string;
  /** sha256 of every file as installed. */
  files: { path: string; size: number; sha256: string; resumedFrom: number }[];
  report: ModelReport;
  note?: string;
}

interface HubEntry {
  path: string;
  size: number;
  /** git blob sha1 of the file (non-LFS files) */
  oid: string;
  /** sha256 of the content, for LFS files. */
  sha256?: string;
}

function pullFailed(message: string, cause?: unknown): LoupeError {
  return new LoupeError('MODEL_INVALID', message, cause === undefined ? undefined : { cause });
}

export function publicModel(name: string): PublicModel {
  const m = Object.hasOwn(PUBLIC_MODELS, name) ? PUBLIC_MODELS[name] : undefined;
  if (!m) throw new LoupeError('INVALID_INPUT', `Unknown public model ${JSON.stringify(String(name).slice(0, 80))} (known: ${Object.keys(PUBLIC_MODELS).join(', ')})`);
  return m;
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

async function listRepo(f: typeof fetch, endpoint: string, repo: string, revision: string, idleMs: number): Promise<Map<string, HubEntry>> {
  const url = `${endpoint}/api/models/${encodePath(repo)}/tree/${encodeURIComponent(revision)}?recursive=true`;
  let res: Response;
  try {
    res = await f(url, { signal: AbortSignal.timeout(idleMs) });
  } catch (e) {
    throw pullFailed(`Cannot list ${repo}@${revision} at ${endpoint}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  if (!res.ok) throw pullFailed(`Cannot list ${repo}@${revision} at ${endpoint}: HTTP ${res.status}`);
  const body = (await res.json()) as unknown;
  if (!Array.isArray(body)) throw pullFailed(`The hub's file list for ${repo} is not a JSON array`);
  const out = new Map<string, HubEntry>();
  for (const e of body as { type?: string; path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown; size?: unknown } }[]) {
    if (e.type !== 'file' || typeof e.path !== 'string' || typeof e.size !== 'number' || typeof e.oid !== 'string') continue;
    const lfs = e.lfs && typeof e.lfs.oid === 'string' ? e.lfs.oid.replace(/^sha256:/, '') : undefined;
    const size = lfs && typeof e.lfs?.size === 'number' ? e.lfs.size : e.size;
    out.set(e.path, { path: e.path, size, oid: e.oid, ...(lfs ? { sha256: lfs } : {}) });
  }
  return out;
}

async function hashes(path: string): Promise<{ sha256: string; gitSha1: string; size: number }> {
  const { size } = await stat(path);
  const sha256 = createHash('sha256');
  const git = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer);
    git.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), gitSha1: git.digest('hex'), size };
}

/** Verifies a downloaded file against the hub's entry; returns its sha256 or throws (and deletes the file). */
async function verify(path: string, entry: HubEntry, label: string): Promise<string> {
  const h = await hashes(path);
  let problem: string | null = null;
  if (h.size !== entry.size) problem = `size ${h.size}, expected ${entry.size}`;
  else if (entry.sha256 && h.sha256 !== entry.sha256.toLowerCase()) problem = `sha256 ${h.sha256}, expected ${entry.sha256}`;
  else if (!entry.sha256 && h.gitSha1 !== entry.oid.toLowerCase()) problem = `git sha1 ${h.gitSha1}, expected ${entry.oid}`;
  if (problem) {
    await rm(path, { force: true });
    throw pullFailed(`Checksum mismatch for ${label}: ${problem}; the download was discarded`);
  }
  return h.sha256;
}

interface Transfer {
  f: typeof fetch;
  url: string;
  part: string;
  entry: HubEntry;
  idleMs: number;
  onBytes: (n: number) => void;
}

/** One GET of the rest of `part` (Range from its current size); resolves when the response ends. */
async function fetchRest(t: Transfer): Promise<void> {
  const have = existsSync(t.part) ? (await stat(t.part)).size : 0;
  if (have === t.entry.size) return;
  if (have > t.entry.size) await rm(t.part, { force: true });
  const start = have > t.entry.size ? 0 : have;
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(new Error(`no data for ${t.idleMs} ms`)), t.idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${t.idleMs} ms`)), t.idleMs);
  };
  try {
    const res = await t.f(t.url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, signal: controller.signal, redirect: 'follow' });
    if (res.status === 416 && start > 0) {
      // The server has nothing past our end: the part is complete or wrong; verification decides.
      await res.body?.cancel();
      return;
    }
    if (!res.ok || !res.body) throw pullFailed(`HTTP ${res.status} for ${t.url}`);
    // 200 to a Range request: the server ignored it, so start over.
    const append = res.status === 206 && start > 0;
    if (start > 0 && !append) t.onBytes(-start);
    const out = createWriteStream(t.part, { flags: append ? 'a' : 'w' });
    const done = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
    });
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        t.onBytes(chunk.length);
      }
    } finally {
      out.end();
      await done;
    }
  } finally {
    clearTimeout(timer);
  }
}

function completeConfig(existing: JsonObject | null, spec: { defaults?: JsonObject; set?: JsonObject }): JsonObject {
  const out: JsonObject = { ...(spec.defaults ?? {}), ...(existing ?? {}), ...(spec.set ?? {}) };
  return out;
}

/**
 * Downloads the public model `name` (see PUBLIC_MODELS) into `<modelsDir>/<name>`. Resumes files a previous try left
 * in the staging folder, verifies every file, adds the configs the public repo lacks, and loads the folder once to
 * check its inputs and outputs against the contract before it is moved into place.
 */
export async function pullModel(name: string, opts: PullOptions): Promise<PullResult> {
  if (typeof name !== 'string' || name === '') throw invalidArgument('a public model name', 'name', name);
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('a PullOptions object', 'opts', opts);
  if (typeof opts.modelsDir !== 'string' || opts.modelsDir === '') throw invalidArgument('a folder path', 'opts.modelsDir', opts.modelsDir);
  const retries = opts.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) throw invalidArgument('an integer from 0 to 100', 'opts.retries', opts.retries);
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  if (!Number.isFinite(idleMs) || idleMs <= 0) throw invalidArgument('a positive number of milliseconds', 'opts.idleTimeoutMs', opts.idleTimeoutMs);
  const model = publicModel(name);
  const endpoint = (opts.endpoint ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(endpoint)) throw invalidArgument('an http(s) URL', 'opts.endpoint', opts.endpoint);
  const repo = opts.repo ?? model.repo;
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw invalidArgument('a repository id owner/name', 'opts.repo', opts.repo);
  const revision = opts.revision ?? model.revision;
  const f = opts.fetch ?? fetch;
  const finalDir = join(opts.modelsDir, model.name);
  if (existsSync(finalDir) && !opts.force) throw new LoupeError('INVALID_INPUT', `${finalDir} already exists (use --force to replace it)`);
  const staging = join(opts.modelsDir, `.${model.name}.pull`);
  await mkdir(staging, { recursive: true });

  const listing = await listRepo(f, endpoint, repo, revision, idleMs);
  const entries = model.files.map((file) => {
    const entry = listing.get(file.remote);
    if (!entry) throw pullFailed(`${repo}@${revision} has no file ${file.remote} (it has: ${[...listing.keys()].slice(0, 20).join(', ')})`);
    return { file, entry };
  });
  const allTotal = entries.reduce((s, e) => s + e.entry.size, 0);
  let allReceived = 0;
  const sizes = new Map<string, number>();
  for (const { file } of entries) {
    const target = join(staging, file.local);
    const part = `${target}.part`;
    const size = existsSync(target) ? (await stat(target)).size : existsSync(part) ? (await stat(part)).size : 0;
    sizes.set(file.local, size);
    allReceived += size;
  }

  const installed: PullResult['files'] = [];
  for (const { file, entry } of entries) {
    const target = join(staging, file.local);
    const part = `${target}.part`;
    const label = `${repo}/${file.remote}`;
    await mkdir(dirname(target), { recursive: true });
    const resumedFrom = sizes.get(file.local) ?? 0;
    if (existsSync(target)) {
      // Verified by an earlier try; a file that no longer verifies is fetched again.
      try {
        installed.push({ path: file.local, size: entry.size, sha256: await verify(target, entry, label), resumedFrom: entry.size });
        continue;
      } catch {
        allReceived -= resumedFrom;
        sizes.set(file.local, 0);
      }
    }
    let received = existsSync(part) ? (await stat(part)).size : 0;
    const report = () => opts.onProgress?.({ file: file.local, received, total: entry.size, allReceived, allTotal });
    report();
    const url = `${endpoint}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(file.remote)}`;
    const transfer: Transfer = { f, url, part, entry, idleMs, onBytes: (n) => ((received += n), (allReceived += n), report()) };
    for (let attempt = 0; ; attempt++) {
      try {
        await fetchRest(transfer);
        break;
      } catch (e) {
        if (e instanceof LoupeError || attempt >= retries) {
          const have = existsSync(part) ? (await stat(part)).size : 0;
          throw pullFailed(`Download of ${label} failed after ${attempt + 1} attempt(s) at ${have} of ${entry.size} bytes (${e instanceof Error ? e.message : String(e)}); run the pull again to resume`, e);
        }
      }
    }
    if (!existsSync(part)) await writeFile(part, ''); // an empty file has no body to write
    const sha256 = await verify(part, entry, label);
    await rename(part, target);
    installed.push({ path: file.local, size: entry.size, sha256, resumedFrom });
  }

  for (const [file, spec] of Object.entries(model.configs ?? {})) {
    const path = join(staging, file);
    let existing: JsonObject | null = null;
    if (existsSync(path)) {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as Json;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw pullFailed(`${label(repo, file)} is not a JSON object`);
      existing = parsed;
    }
    await writeFile(path, `${JSON.stringify(completeConfig(existing, spec), null, 2)}\n`);
  }
  await writeFile(
    join(staging, 'PULLED.json'),
    `${JSON.stringify({ name: model.name, repo, revision, endpoint, pulledAt: new Date().toISOString(), files: installed.map(({ path, size, sha256 }) => ({ path, size, sha256 })) }, null, 2)}\n`,
  );
  const report = await inspectModelFolder(staging);
  if (opts.force) await rm(finalDir, { recursive: true, force: true });
  await rename(staging, finalDir);
  return { name: model.name, dir: finalDir, files: installed, report: { ...report, dir: finalDir }, ...(model.note ? { note: model.note } : {}) };
}

const label = (repo: string, file: string) => `${repo}/${file}`;
