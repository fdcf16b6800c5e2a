// Reads a document's image again (for reranking): an upload kept in Postgres, a local file under the
// image root, or the URL — with the same guards as indexing — decoded, and cached by total decoded bytes.
import type { MediaInfo } from '../domain/search.js';
import type { DecodedImage } from '../domain/types.js';
import { decodeImage } from './image-decoder.js';
import { loadImageBytes, type ImageSourcePolicy } from './image-source.js';

/** Where kept uploads are read (PostgresUploadStore). */
export interface UploadBytes {
  read(hash: string): Promise<Uint8Array>;
}

export class MediaStore {
  private readonly cache = new Map<string, Promise<DecodedImage>>();
  private readonly sizes = new Map<string, number>();
  private cachedBytes = 0;

  constructor(
    private readonly uploads: UploadBytes,
    private readonly policy: ImageSourcePolicy,
    private readonly maxPixels: number,
    /** Upper bound of decoded pixels kept in memory (RGB bytes). */
    private readonly cacheBytes = 256 * 1024 * 1024,
  ) {}

  async bytes(media: MediaInfo): Promise<Uint8Array> {
    if (media.source === 'upload') return this.uploads.read(media.ref);
    const loaded = await loadImageBytes(media.source === 'url' ? { kind: 'url', url: media.ref } : { kind: 'file', path: media.ref }, this.policy);
    return loaded.bytes;
  }

  /** The decoded, upright image; concurrent and repeated reads of one image share the work. */
  decoded(media: MediaInfo): Promise<DecodedImage> {
    const key = `${media.source}:${media.ref}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key); // refresh its place in the LRU order
      this.cache.set(key, hit);
      return hit;
    }
    const pending = this.bytes(media).then((b) => decodeImage(b, { maxPixels: this.maxPixels }));
    this.cache.set(key, pending);
    pending.then(
      (img) => {
        if (this.cache.get(key) !== pending) return;
        this.sizes.set(key, img.data.byteLength);
        this.cachedBytes += img.data.byteLength;
        this.evict();
      },
      () => this.cache.delete(key),
    );
    return pending;
  }

  private evict(): void {
    for (const key of this.cache.keys()) {
      if (this.cachedBytes <= this.cacheBytes) return;
      const size = this.sizes.get(key);
      if (size === undefined) continue; // still loading
      this.cache.delete(key);
      this.sizes.delete(key);
      this.cachedBytes -= size;
    }
  }
}
