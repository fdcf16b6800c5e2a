// Expected failures carry a stable code; the API maps them to typed GraphQL errors and the CLI to messages.
export type ErrorCode =
  | 'INDEX_NOT_FOUND'
  | 'INDEX_EXISTS'
  | 'DOCUMENT_NOT_FOUND'
  | 'INVALID_INPUT'
  | 'IMAGE_UNREADABLE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_FETCH_FAILED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'FORBIDDEN_ADDRESS'
  | 'PATH_NOT_ALLOWED'
  | 'MODEL_MISMATCH'
  | 'MODEL_INVALID'
  | 'CANCELLED';

export class LoupeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LoupeError';
  }
}

export function isLoupeError(e: unknown): e is LoupeError {
  return e instanceof LoupeError;
}

/** The one message template for argument checks (STYLE.md). */
export function invalidArgument(what: string, name: string, value: unknown): LoupeError {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  try {
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return new LoupeError('INVALID_INPUT', `Expected ${what} for ${name} but received ${shown} of type ${type}`);
}

/**
 * Refusals of a whole HTTP request before any resolver runs (access control, rate limits, size and complexity
 * limits). They travel as GraphQL errors with `extensions.code` and the HTTP status, never as typed results.
 */
export type RequestErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'PAYLOAD_TOO_LARGE' | 'LENGTH_REQUIRED' | 'QUERY_TOO_COMPLEX';

const REQUEST_STATUS: Record<RequestErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  LENGTH_REQUIRED: 411,
  QUERY_TOO_COMPLEX: 400,
};

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
    this.status = REQUEST_STATUS[code];
  }
}
