// Uploaded images, kept content-addressed (sha256) so that workers, rerankers and the web page can read them again:
// in Postgres (PostgresUploadStore, what Loupe uses) or, as before issue 14, under the data folder (FileUploadStore).
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LoupeError } from '../domain/errors.js';
import type { Db } from './db/database.js';

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

/**
 * Uploaded originals in Postgres (table `uploads`, migration 0004), content-addressed: every API replica and every
 * indexing worker reads the same bytes with no shared file system, and addDocuments stores them in the transaction
 * that enqueues their indexing, so an acknowledged upload can never be missing for the worker that runs it.
 * Uploads kept as files by older versions (`legacyDir`) are still read from there.
 */
export class PostgresUploadStore {
  constructor(
    private readonly prisma: Db,
    private readonly legacyDir: string | null = null,
  ) {}

  async store(hash: string, bytes: Uint8Array): Promise<void> {
    if (!SHA256.test(hash)) throw new Error(`upload hash ${JSON.stringify(hash.slice(0, 80))} is not a sha256`);
    // Already stored (the usual case: addDocuments stored it before the worker ran): skip sending the bytes again.
    const [row] = await this.prisma.$queryRaw<{ n: number }[]>`SELECT 1 AS n FROM uploads WHERE sha256 = ${hash}`;
    if (row) return;
    await this.prisma
      .$executeRaw`INSERT INTO uploads (sha256, bytes) VALUES (${hash}, ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)}) ON CONFLICT DO NOTHING`;
  }

  /** The kept upload's bytes; IMAGE_FETCH_FAILED when the reference is not a sha256 or the upload is gone. */
  async read(hash: string): Promise<Buffer> {
    if (!SHA256.test(hash)) throw new LoupeError('IMAGE_FETCH_FAILED', `Stored upload reference ${JSON.stringify(hash.slice(0, 80))} is not a sha256`);
    const [row] = await this.prisma.$queryRaw<{ bytes: Uint8Array }[]>`SELECT bytes FROM uploads WHERE sha256 = ${hash}`;
    if (row) return Buffer.from(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    if (this.legacyDir) {
      const legacy = await readFile(join(this.legacyDir, hash)).catch(() => null);
      if (legacy) return legacy;
    }
    throw new LoupeError('IMAGE_FETCH_FAILED', `The uploaded image ${hash.slice(0, 12)}… is no longer stored`);
  }

  async open(hash: string): Promise<{ size: number; head: Uint8Array; body: Readable }> {
    const bytes = await this.read(hash);
    return { size: bytes.byteLength, head: bytes.subarray(0, 64), body: Readable.from([bytes]) };
  }
}
