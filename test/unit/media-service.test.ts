// GET /media's use-case over fakes: which stored image a viewer gets, and what is refused.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LoupeError } from '../../src/domain/errors.js';
import type { MediaInfo } from '../../src/domain/search.js';
import { MediaService } from '../../src/services/media-service.js';

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>');
const HASH = 'a'.repeat(64);

function service(media: Record<string, MediaInfo>, files: Record<string, Uint8Array> = {}) {
  const opened: string[] = [];
  const documents = {
    get: async (_index: string, id: string) => ({ document: { pk: 1n, id, fields: {}, media, createdAt: new Date(0), updatedAt: new Date(0) }, chunks: [] }),
  };
  const loader = {
    load: async (source: { kind: string; path?: string }) => {
      const bytes = source.kind === 'file' ? files[source.path!] : undefined;
      if (!bytes) throw new LoupeError('PATH_NOT_ALLOWED', `not under the image root: ${source.path}`);
      return { bytes: Buffer.from(bytes), origin: source.path! };
    },
  };
  const uploads = {
    store: async () => {},
    open: async (hash: string) => {
      const bytes = files[hash];
      if (!bytes) throw new LoupeError('IMAGE_FETCH_FAILED', `The uploaded image ${hash.slice(0, 12)}… is no longer stored`);
      opened.push(hash);
      return { size: bytes.length, head: bytes.subarray(0, 64), body: Readable.from([Buffer.from(bytes)]) };
    },
  };
  return { media: new MediaService(documents, loader as never, uploads), opened };
}

describe('MediaService over fakes', () => {
  it('streams a kept upload with its type and an etag of its hash', async () => {
    const { media, opened } = service({ image: { source: 'upload', ref: HASH, width: 1, height: 1 } }, { [HASH]: PNG });
    const content = await media.open('idx', 'doc', 'image');
    expect(content).toMatchObject({ kind: 'stream', type: 'image/png', size: PNG.length, etag: `"${HASH}"` });
    expect(opened).toEqual([HASH]);
  });

  it('redirects to an image URL (never fetched by the server) and reads a local file through the loader', async () => {
    const url = service({ image: { source: 'url', ref: 'https://images.test/a.png', width: 1, height: 1 } });
    expect(await url.media.open('idx', 'doc', 'image')).toEqual({ kind: 'redirect', url: 'https://images.test/a.png' });
    const file = service({ image: { source: 'file', ref: '/images/a.png', width: 1, height: 1 } }, { '/images/a.png': PNG });
    expect(await file.media.open('idx', 'doc', 'image')).toMatchObject({ kind: 'bytes', type: 'image/png', size: PNG.length });
  });

  it('refuses what a browser must not be shown, and says what is missing', async () => {
    const svg = service({ image: { source: 'upload', ref: HASH, width: 1, height: 1 } }, { [HASH]: SVG });
    await expect(svg.media.open('idx', 'doc', 'image')).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const js = service({ image: { source: 'url', ref: 'javascript:alert(1)', width: 1, height: 1 } });
    await expect(js.media.open('idx', 'doc', 'image')).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      message: 'The stored image URL uses javascript:, not http(s)',
    });
    const none = service({});
    await expect(none.media.open('idx', 'doc', 'image')).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      message: 'Document "doc" in index "idx" has no image in field "image"',
    });
    const gone = service({ image: { source: 'upload', ref: HASH, width: 1, height: 1 } });
    await expect(gone.media.open('idx', 'doc', 'image')).rejects.toMatchObject({ code: 'IMAGE_FETCH_FAILED' });
    await expect(none.media.open('idx', 'doc', '__proto__')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
