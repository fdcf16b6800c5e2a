// Uploaded images, kept content-addressed (sha256) under the data folder so that rerankers and the web page can read
// them again.
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LoupeError } from '../domain/errors.js';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Writes an upload under its sha256 atomically (temporary file + rename): an acknowledged document's image must not
 * be truncated by a crash while the same bytes are written again for another document or a re-send.
 */
export async function storeUpload(dir: string, hash: string, bytes: Uint8Array): Promise<void> {
  const target = join(dir, hash);
  const existing = await stat(target).catch(() => null);
  if (existing?.isFile() && existing.size === bytes.byteLength) return;
  await mkdir(dir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${randomUUID()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** The data folder's uploads as the indexing pipeline's UploadStore port. */
export class FileUploadStore {
  constructor(readonly dir: string) {}

  store(hash: string, bytes: Uint8Array): Promise<void> {
    return storeUpload(this.dir, hash, bytes);
  }

  /** The kept upload as a stream; IMAGE_FETCH_FAILED when the reference is not a sha256 or the file is gone. */
  async open(hash: string): Promise<{ size: number; head: Uint8Array; body: Readable }> {
    if (!SHA256.test(hash)) throw new LoupeError('IMAGE_FETCH_FAILED', `Stored upload reference ${JSON.stringify(hash.slice(0, 80))} is not a sha256`);
    let handle;
    try {
      handle = await open(join(this.dir, hash), 'r');
    } catch (e) {
      throw new LoupeError('IMAGE_FETCH_FAILED', `The uploaded image ${hash.slice(0, 12)}… is no longer stored`, { cause: e });
    }
    try {
      const { size } = await handle.stat();
      const head = new Uint8Array(Math.min(size, 64));
      await handle.read(head, 0, head.length, 0);
      // The stream owns the descriptor from here and closes it when it ends or is destroyed.
      const body = handle.createReadStream({ start: 0, autoClose: true });
      handle = undefined;
      return { size, head, body };
    } finally {
      await handle?.close();
    }
  }
}
