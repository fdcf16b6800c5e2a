// GET /media/:index/:id/:field — a document's image for the web page: the upload streamed, a local file, or a
// redirect to its URL. Failures are typed JSON: { "error": { "code", "message" } } with a matching HTTP status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { internalMessage, isLoupeError, type ErrorCode } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { MediaService } from '../services/media-service.js';
import { sendJsonError } from './http-errors.js';

export const MEDIA_PREFIX = '/media/';

const STATUS: Partial<Record<ErrorCode, number>> = {
  INDEX_NOT_FOUND: 404,
  DOCUMENT_NOT_FOUND: 404,
  IMAGE_FETCH_FAILED: 404,
  INVALID_INPUT: 400,
  PATH_NOT_ALLOWED: 403,
  IMAGE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** The URL path of a document's image, each part percent-encoded (ids may hold "/"). */
export function mediaPath(index: string, id: string, field: string): string {
  return `${MEDIA_PREFIX}${[index, id, field].map(encodeURIComponent).join('/')}`;
}

function parse(pathname: string): [string, string, string] | null {
  const parts = pathname.slice(MEDIA_PREFIX.length).split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return null;
  try {
    return parts.map(decodeURIComponent) as [string, string, string];
  } catch {
    return null;
  }
}

export async function handleMediaRequest(req: IncomingMessage, res: ServerResponse, pathname: string, media: MediaService, log: Logger): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJsonError(res, 405, 'INVALID_INPUT', `Expected GET or HEAD for ${MEDIA_PREFIX} but received ${req.method}`);
  }
  const parts = parse(pathname);
  if (!parts) return sendJsonError(res, 404, 'INVALID_INPUT', 'Expected a path of the form /media/<index>/<document id>/<image field>');
  let content;
  try {
    content = await media.open(...parts);
  } catch (e) {
    if (isLoupeError(e)) return sendJsonError(res, STATUS[e.code] ?? 400, e.code, e.message);
    const requestId = String(req.headers['x-request-id'] ?? '');
    log.error('serving an image failed', { requestId, path: pathname.slice(0, 200), error: (e as Error)?.stack ?? String(e) });
    return sendJsonError(res, 500, 'INTERNAL', internalMessage(requestId || undefined, 'Unexpected error while reading the image'));
  }
  if (content.kind === 'redirect') {
    res.writeHead(302, { location: content.url, 'cache-control': 'no-cache', 'referrer-policy': 'no-referrer' }).end();
    return;
  }
  const headers: Record<string, string | number> = {
    'content-type': content.type,
    'content-length': content.size,
    // A document can be replaced under the same path: revalidate, cheaply for uploads (content-addressed ETag).
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  };
  if (content.etag) headers.etag = content.etag;
  if (content.etag && req.headers['if-none-match'] === content.etag) {
    if (content.kind === 'stream') content.body.destroy();
    delete headers['content-length'];
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    if (content.kind === 'stream') content.body.destroy();
    res.end();
    return;
  }
  if (content.kind === 'bytes') {
    res.end(content.body);
    return;
  }
  await pipeline(content.body, res).catch((e: Error) => {
    // A viewer that goes away mid-image is normal; anything else is worth a line.
    if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn('streaming an image failed', { path: pathname, error: e.message });
  });
}
