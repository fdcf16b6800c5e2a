// Expected failures as typed results: one LoupeError object with a stable code.
import { ERROR_CODES, LoupeError } from '../../domain/errors.js';
import { builder } from '../builder.js';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'Stable machine-readable error codes (INTERNAL: an unexpected failure, logged under the request id in its message)',
  values: ERROR_CODES,
});

builder.objectType(LoupeError, {
  name: 'LoupeError',
  description: 'An expected failure: bad input, a missing index, an unreadable image, a model mismatch...',
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
  }),
});
