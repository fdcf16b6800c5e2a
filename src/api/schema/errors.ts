// Expected failures as typed results: one LoupeError object with a stable code.
import { LoupeError, type ErrorCode } from '../../domain/errors.js';
import { builder } from '../builder.js';

const codes: ErrorCode[] = [
  'INDEX_NOT_FOUND', 'INDEX_EXISTS', 'DOCUMENT_NOT_FOUND', 'INVALID_INPUT', 'IMAGE_UNREADABLE', 'IMAGE_TOO_LARGE',
  'IMAGE_FETCH_FAILED', 'UNSUPPORTED_MEDIA_TYPE', 'FORBIDDEN_ADDRESS', 'PATH_NOT_ALLOWED', 'MODEL_MISMATCH', 'MODEL_INVALID',
  'CANCELLED',
];

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'Stable machine-readable error codes',
  values: codes,
});

builder.objectType(LoupeError, {
  name: 'LoupeError',
  description: 'An expected failure: bad input, a missing index, an unreadable image, a model mismatch...',
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
  }),
});
