// Reads an image file that must lie inside the allowed root, judged on the real path (symbolic links resolved) so
// neither `..` nor a link can escape it; the opened descriptor is checked again where /proc can name it.
import { constants } from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { LoupeError } from '../domain/errors.js';
import { preview } from '../domain/text.js';
import type { ImageSourcePolicy } from './image-source-policy.js';

export interface LocalImageFile {
  bytes: Buffer;
  /** The real path read. */
  origin: string;
}

/** True when `child` is strictly inside `root` (both absolute and normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function notAllowed(path: string, why: string): LoupeError {
  return new LoupeError('PATH_NOT_ALLOWED', `Refusing to read ${preview(path)}: ${why}`);
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

export async function readLocalImageFile(path: string, policy: ImageSourcePolicy): Promise<LocalImageFile> {
  if (policy.allowedRoot === null) {
    throw notAllowed(path, 'local image paths are disabled (no allowed root is configured)');
  }
  if (path.includes('\0')) throw notAllowed(path, 'the path contains a NUL byte');
  const root = resolve(policy.allowedRoot);
  const candidate = resolve(root, path);
  // Lexical check first: a path that names something outside the root is refused without touching the disk, so
  // the answer never reveals whether it exists.
  if (!isInside(root, candidate)) throw notAllowed(path, 'it is outside the allowed image folder');

  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (e) {
    throw notAllowed(path, `the allowed image folder is unavailable (${errnoCode(e) ?? 'error'})`);
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new LoupeError('IMAGE_FETCH_FAILED', `No such image file: ${preview(path)}`, { cause: e });
    }
    if (code === 'ELOOP') throw notAllowed(path, 'too many levels of symbolic links');
    throw new LoupeError('IMAGE_FETCH_FAILED', `Could not read image file ${preview(path)} (${code})`, { cause: e });
  }
  if (!isInside(realRoot, real)) throw notAllowed(path, 'it resolves (through a symbolic link) outside the allowed image folder');

  let handle: FileHandle;
  try {
    // O_NOFOLLOW: the real path has no link left in its last component; a link swapped in since is refused.
    // O_NONBLOCK: opening a FIFO must not hang; it is rejected below as not a regular file.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ELOOP') throw notAllowed(path, 'the file was replaced by a symbolic link');
    throw new LoupeError('IMAGE_FETCH_FAILED', `Could not open image file ${preview(path)} (${code})`, { cause: e });
  }
  try {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (opened !== null && !isInside(realRoot, opened)) {
      throw notAllowed(path, 'the opened file lies outside the allowed image folder');
    }
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new LoupeError('IMAGE_FETCH_FAILED', `Not a regular file: ${preview(path)}`);
    }
    if (stat.size > policy.maxBytes) {
      throw new LoupeError('IMAGE_TOO_LARGE', `The image file ${preview(path)} has ${stat.size} bytes, over the limit of ${policy.maxBytes} bytes`);
    }
    return { bytes: await readAtMost(handle, path, policy.maxBytes), origin: real };
  } finally {
    await handle.close();
  }
}

/** Reads to the end but never more than `maxBytes` (a file may grow after fstat). */
async function readAtMost(handle: FileHandle, path: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) {
      throw new LoupeError('IMAGE_TOO_LARGE', `The image file ${preview(path)} is over the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}
