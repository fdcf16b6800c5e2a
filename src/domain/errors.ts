// Every error code Loupe answers with, defined once: the typed-result codes (ErrorCode, also the GraphQL enum) and
// the codes of whole-request refusals (RequestErrorCode). The API maps them to typed GraphQL errors and HTTP
// statuses, the CLI to messages.
import { preview, textProblem } from './text.js';

/** Codes of expected failures, answered as typed results (`... on LoupeError { code message }`). */
export const ERROR_CODES = [
  'INDEX_NOT_FOUND',
  'INDEX_EXISTS',
  'DOCUMENT_NOT_FOUND',
  'INVALID_INPUT',
  'IMAGE_UNREADABLE',
  'IMAGE_TOO_LARGE',
  'IMAGE_FETCH_FAILED',
  'UNSUPPORTED_MEDIA_TYPE',
  'FORBIDDEN_ADDRESS',
  'PATH_NOT_ALLOWED',
  'MODEL_MISMATCH',
  'MODEL_INVALID',
  // Work stopped because its client went away (documents already committed stay committed).
  'CANCELLED',
  // An unexpected failure: logged once with the request id; the message only names that id.
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class LoupeError extends Error {
  /** The same work may succeed later (a timeout, a refused connection, HTTP 5xx): indexing workers retry it. */
  readonly transient: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LoupeError';
    this.transient = options?.transient ?? false;
  }
}

export function isLoupeError(e: unknown): e is LoupeError {
  return e instanceof LoupeError;
}

/** The one message template for argument checks (STYLE.md). Long or deep values are shown shortened. */
export function invalidArgument(what: string, name: string, value: unknown): LoupeError {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return new LoupeError('INVALID_INPUT', `Expected ${what} for ${name} but received ${preview(value)} of type ${type}`);
}

/** `value` when it can be stored as text (no NUL, no unpaired surrogate); INVALID_INPUT naming `name` otherwise. */
export function checkText(value: string, name: string): string {
  if (textProblem(value) !== null) throw invalidArgument('text without NUL characters or unpaired UTF-16 surrogates', name, value);
  return value;
}

/** The message of an unexpected error as a client sees it: never the internal message, only where to look. */
export function internalMessage(requestId: string | undefined, what = 'Internal error'): string {
  return requestId ? `${what} (request id ${requestId}); the server log has the details` : `${what}; the server log has the details`;
}

/** An unexpected failure as a typed result (the original error is the cause, for the log only). */
export function internalError(requestId: string | undefined, cause: unknown, what?: string): LoupeError {
  return new LoupeError('INTERNAL', internalMessage(requestId, what), { cause });
}

/**
 * Refusals of a whole HTTP request before any resolver runs (access control, rate limits, size and complexity
 * limits, malformed bodies). They travel as GraphQL errors with `extensions.code` and the HTTP status, never as
 * typed results.
 */
export const REQUEST_ERROR_CODES = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  LENGTH_REQUIRED: 411,
  QUERY_TOO_COMPLEX: 400,
  BAD_REQUEST: 400,
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERROR_CODES;

export class RequestError extends Error {
  readonly status: number;
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    /** For RATE_LIMITED: whole seconds until a request would be accepted (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'RequestError';
    this.status = REQUEST_ERROR_CODES[code];
  }
}
