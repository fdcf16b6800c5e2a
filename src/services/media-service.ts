// Hands a document's image back to a viewer: the kept upload (streamed), a local file under the image root (read
// with the indexing guards), or a redirect to the image's URL (never proxied, so the server fetches nothing).
import type { Readable } from 'node:stream';
import { invalidArgument, LoupeError } from '../domain/errors.js';
import { FIELD_NAME } from '../domain/index-settings.js';
import { sniffImageType } from '../repositories/media-type.js';
import type { DocumentService } from './document-service.js';
import type { ImageLoader, UploadStore } from './ports.js';

export type MediaContent =
  | { kind: 'stream'; type: string; size: number; body: Readable; etag: string | null }
  | { kind: 'bytes'; type: string; size: number; body: Uint8Array; etag: string | null }
  | { kind: 'redirect'; url: string };

/** Raster types a browser shows as an image. SVG is never served (it would run script in our origin). */
const SERVED_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/tiff', 'image/heif']);
export class MediaService {
  constructor(
    private readonly documents: Pick<DocumentService, 'get'>,
    /** Local files, read with the indexing guards (the image root, the byte cap). */
    private readonly loader: ImageLoader,
    private readonly uploads: UploadStore,
  ) {}

  /** The image in `field` of document `id` of `index`; INDEX_NOT_FOUND, DOCUMENT_NOT_FOUND or IMAGE_FETCH_FAILED when missing. */
  async open(index: string, id: string, field: string): Promise<MediaContent> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 512) throw invalidArgument('a document id of 1-512 characters', 'id', id);
    if (typeof field !== 'string' || !FIELD_NAME.test(field)) throw invalidArgument('an image field name', 'field', field);
    const { document } = await this.documents.get(index, id);
    const media = Object.hasOwn(document.media, field) ? document.media[field] : undefined;
    if (!media) throw new LoupeError('IMAGE_FETCH_FAILED', `Document "${id}" in index "${index}" has no image in field "${field}"`);
    if (media.source === 'url') return { kind: 'redirect', url: checkedUrl(media.ref) };
    if (media.source === 'file') {
      const file = await this.loader.load({ kind: 'file', path: media.ref });
      return { kind: 'bytes', type: servedType(file.bytes, media.ref), size: file.bytes.length, body: file.bytes, etag: null };
    }
    const upload = await this.uploads.open(media.ref);
    try {
      return { kind: 'stream', type: servedType(upload.head, media.ref), size: upload.size, body: upload.body, etag: `"${media.ref}"` };
    } catch (e) {
      upload.body.destroy();
      throw e;
    }
  }
}

function servedType(head: Uint8Array, what: string): string {
  const type = sniffImageType(head);
  if (type === null || !SERVED_TYPES.has(type))
    throw new LoupeError(
      'UNSUPPORTED_MEDIA_TYPE',
      `The stored image ${JSON.stringify(what.slice(0, 80))} is not a raster image type that can be shown (${type ?? 'unknown'})`,
    );
  return type;
}

function checkedUrl(ref: string): string {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new LoupeError('IMAGE_FETCH_FAILED', `The stored image URL ${JSON.stringify(ref.slice(0, 80))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new LoupeError('IMAGE_FETCH_FAILED', `The stored image URL uses ${url.protocol}, not http(s)`);
  return url.toString();
}
