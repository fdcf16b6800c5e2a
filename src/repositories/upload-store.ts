// Uploaded images, kept content-addressed (sha256) under the data folder so that rerankers and the web page can read
// them again.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
}
