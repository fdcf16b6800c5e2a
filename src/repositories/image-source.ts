// Where image bytes come from: an http(s) URL, a local file under the allowed root, or an upload. One entry point,
// one policy; decoding is image-decoder.ts's job.
import { fileURLToPath } from 'node:url';
import { LoupeError, invalidArgument } from '../domain/errors.js';
import { preview } from '../domain/text.js';
import { fetchImageOverHttp } from './http-image-fetch.js';
import { imageSourcePolicy } from './image-source-policy.js';
import type { ImageSourcePolicy } from './image-source-policy.js';
import { readLocalImageFile } from './local-image-file.js';
import { sniffImageType } from './media-type.js';

export { DEFAULT_IMAGE_SOURCE_POLICY, imageSourcePolicy, systemResolver } from './image-source-policy.js';
export type { HostResolver, ImageSourcePolicy, ResolvedAddress } from './image-source-policy.js';

export type ImageSource =
  { kind: 'url'; url: string } | { kind: 'file'; path: string } | { kind: 'upload'; name: string; bytes: Buffer | Uint8Array; type?: string };

export interface LoadedImageBytes {
  bytes: Buffer;
  /** Declared by the server or the upload, else sniffed from the bytes when recognisable. */
  contentType?: string;
  /** Final URL after redirects, real file path, or `upload:<name>`. */
  origin: string;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/**
 * Tells an image reference given as text apart: `http(s)://…` is a URL, `file://…` and anything without a scheme is
 * a local path. Other schemes (ftp:, data:, …) are refused. Drive letters (one-letter "schemes") count as paths.
 */
export function classifyImageReference(value: string): ImageSource {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidArgument('an http(s) URL or a local file path', 'image', value);
  }
  const text = value.trim();
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', path: text };
  if (scheme === 'http' || scheme === 'https') return { kind: 'url', url: text };
  if (scheme === 'file') {
    try {
      return { kind: 'file', path: fileURLToPath(text) };
    } catch {
      throw invalidArgument('an http(s) URL or a local file path', 'image', value);
    }
  }
  throw invalidArgument('an http(s) URL or a local file path', 'image', value);
}

function checkSource(source: unknown): asserts source is ImageSource {
  const s = source as Partial<Record<string, unknown>> | null;
  if (s === null || typeof s !== 'object') throw invalidArgument('an image source object', 'source', source);
  if (s.kind === 'url') {
    if (typeof s.url !== 'string' || s.url === '') throw invalidArgument('a URL string', 'source.url', s.url);
  } else if (s.kind === 'file') {
    if (typeof s.path !== 'string' || s.path === '') throw invalidArgument('a file path', 'source.path', s.path);
  } else if (s.kind === 'upload') {
    if (typeof s.name !== 'string') throw invalidArgument('a string', 'source.name', s.name);
    if (!(s.bytes instanceof Uint8Array)) throw invalidArgument('a Buffer or Uint8Array', 'source.bytes', s.bytes);
    if (s.type !== undefined && typeof s.type !== 'string') throw invalidArgument('a string', 'source.type', s.type);
  } else {
    throw invalidArgument('one of "url", "file", "upload"', 'source.kind', s.kind);
  }
}

/**
 * Loads the raw bytes of an image under the policy (defaults: DEFAULT_IMAGE_SOURCE_POLICY). Failures are
 * LoupeErrors: INVALID_INPUT, FORBIDDEN_ADDRESS, PATH_NOT_ALLOWED, IMAGE_FETCH_FAILED (HTTP status, timeouts,
 * unreachable, missing file), IMAGE_TOO_LARGE (byte cap), UNSUPPORTED_MEDIA_TYPE (non-image Content-Type).
 * `signal` cancels a download in progress (it rejects with the signal's reason).
 */
export async function loadImageBytes(source: ImageSource, policy: Partial<ImageSourcePolicy> = {}, signal?: AbortSignal): Promise<LoadedImageBytes> {
  checkSource(source);
  const p = imageSourcePolicy(policy);
  switch (source.kind) {
    case 'url':
      return fetchImageOverHttp(source.url, p, signal);
    case 'file': {
      const file = await readLocalImageFile(source.path, p);
      const contentType = sniffImageType(file.bytes) ?? undefined;
      return contentType === undefined ? file : { ...file, contentType };
    }
    case 'upload': {
      if (source.bytes.byteLength > p.maxBytes) {
        throw new LoupeError(
          'IMAGE_TOO_LARGE',
          `The upload ${preview(source.name)} has ${source.bytes.byteLength} bytes, over the limit of ${p.maxBytes} bytes`,
        );
      }
      const bytes = Buffer.isBuffer(source.bytes) ? source.bytes : Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
      const contentType = source.type ?? sniffImageType(bytes) ?? undefined;
      return { bytes, origin: `upload:${source.name}`, ...(contentType === undefined ? {} : { contentType }) };
    }
  }
}

/** `loadImageBytes` bound to one policy: the services' ImageLoader port. */
export function policyImageLoader(policy: ImageSourcePolicy): { load(source: ImageSource, signal?: AbortSignal): Promise<LoadedImageBytes> } {
  return { load: (source, signal) => loadImageBytes(source, policy, signal) };
}
