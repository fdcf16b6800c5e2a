// Errors as Marqo 2.x sends them: an HTTP status and `{message, code, type, link}`, which py-marqo turns into a
// MarqoWebError carrying `code` and `type` (its IndexNotFoundError, IndexAlreadyExistsError, InvalidArgError, ...).
// Every Loupe code (domain/errors.ts) and request refusal maps here, once.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http-errors.js';
import { isLoupeError, RequestError, type ErrorCode, type RequestErrorCode } from '../../domain/errors.js';

export interface MarqoErrorShape {
  status: number;
  code: string;
  type: 'invalid_request' | 'internal';
}

const INVALID = (status: number, code: string): MarqoErrorShape => ({ status, code, type: 'invalid_request' });

/** Loupe's typed-result codes as Marqo's (Marqo's own names where it has one). */
const BY_LOUPE_CODE: ReadonlyMap<ErrorCode, MarqoErrorShape> = new Map<ErrorCode, MarqoErrorShape>([
  ['INDEX_NOT_FOUND', INVALID(404, 'index_not_found')],
  ['INDEX_EXISTS', INVALID(409, 'index_already_exists')],
  ['DOCUMENT_NOT_FOUND', INVALID(404, 'document_not_found')],
  ['INVALID_INPUT', INVALID(400, 'invalid_argument')],
  ['IMAGE_UNREADABLE', INVALID(400, 'invalid_argument')],
  ['IMAGE_TOO_LARGE', INVALID(400, 'invalid_argument')],
  ['IMAGE_FETCH_FAILED', INVALID(400, 'invalid_argument')],
  ['UNSUPPORTED_MEDIA_TYPE', INVALID(400, 'invalid_argument')],
  ['FORBIDDEN_ADDRESS', INVALID(400, 'invalid_argument')],
  ['PATH_NOT_ALLOWED', INVALID(400, 'invalid_argument')],
  ['MODEL_INVALID', INVALID(400, 'invalid_argument')],
  // The index was built with a model this server no longer has: the request is fine, the index cannot serve.
  ['MODEL_MISMATCH', INVALID(409, 'model_mismatch')],
  ['CANCELLED', INVALID(400, 'request_cancelled')],
  ['INTERNAL', { status: 500, code: 'internal', type: 'internal' }],
]);

const BY_REQUEST_CODE: ReadonlyMap<RequestErrorCode, MarqoErrorShape> = new Map<RequestErrorCode, MarqoErrorShape>([
  ['UNAUTHENTICATED', INVALID(401, 'unauthorized')],
  ['FORBIDDEN', INVALID(403, 'forbidden')],
  ['RATE_LIMITED', INVALID(429, 'too_many_requests')],
  ['PAYLOAD_TOO_LARGE', INVALID(413, 'request_too_large')],
  ['LENGTH_REQUIRED', INVALID(411, 'length_required')],
  ['QUERY_TOO_COMPLEX', INVALID(400, 'invalid_argument')],
  ['BAD_REQUEST', INVALID(400, 'bad_request')],
]);

/** A refusal made by the Marqo routes themselves (unknown path, wrong method). */
export class MarqoRouteError extends Error {
  constructor(
    readonly shape: MarqoErrorShape,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'MarqoRouteError';
  }
}

export const notFound = (message: string) => new MarqoRouteError(INVALID(404, 'not_found'), message);
export const methodNotAllowed = (allowed: string[], message: string) =>
  new MarqoRouteError(INVALID(405, 'method_not_allowed'), message, { allow: allowed.join(', ') });

/** The Marqo status, code and type of an expected error; null for an unexpected one (the caller logs it as internal). */
export function marqoShapeOf(e: unknown): { shape: MarqoErrorShape; headers: Record<string, string> } | null {
  if (e instanceof MarqoRouteError) return { shape: e.shape, headers: e.headers };
  if (isLoupeError(e)) return { shape: BY_LOUPE_CODE.get(e.code) ?? INVALID(400, 'invalid_argument'), headers: {} };
  if (e instanceof RequestError) {
    const headers: Record<string, string> = e.retryAfterSeconds !== undefined ? { 'retry-after': String(e.retryAfterSeconds) } : {};
    if (e.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="loupe"';
    return { shape: BY_REQUEST_CODE.get(e.code) ?? INVALID(e.status, 'bad_request'), headers };
  }
  return null;
}

/** The code a per-document failure carries in an add-documents result (`items[i].code`). */
export function marqoCodeOf(code: ErrorCode): MarqoErrorShape {
  return BY_LOUPE_CODE.get(code) ?? INVALID(400, 'invalid_argument');
}

export function marqoErrorBody(shape: MarqoErrorShape, message: string): string {
  return JSON.stringify({ message, code: shape.code, type: shape.type, link: '' });
}

/**
 * The front door's refusals (Host rule, shutting down, an unexpected failure) on a /marqo path, in Marqo's shape:
 * `code` is a request-refusal code (RequestErrorCode) or one of the front door's own (SHUTTING_DOWN, INTERNAL).
 */
export function sendMarqoError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const shape = BY_REQUEST_CODE.get(code as RequestErrorCode) ?? {
    status,
    code: code.toLowerCase(),
    type: status >= 500 ? ('internal' as const) : ('invalid_request' as const),
  };
  sendJson(res, status, marqoErrorBody(shape, message), headers);
}
