// Pothos builder: plugins and scalars only; every type lives in its own file under schema/.
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import { GraphQLError } from 'graphql';
import { LoupeError } from '../domain/errors.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../domain/text.js';
import type { Loupe } from '../services/loupe.js';

export interface ApiContext {
  loupe: Loupe;
  requestId: string;
  /** Aborted when the client disconnects before the answer is sent (long mutations stop their work). */
  signal?: AbortSignal;
}

export const builder = new SchemaBuilder<{
  Context: ApiContext;
  DefaultFieldNullability: false;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    File: { Input: File; Output: never };
  };
}>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: { defaultTypes: [LoupeError], directResult: true },
});

builder.scalarType('JSON', {
  description: `Any JSON value, nested at most ${MAX_JSON_DEPTH} levels deep`,
  serialize: (v) => v,
  // Checked here, once for every JSON input, so that nothing downstream walks (or prints) a value 100,000 levels deep.
  parseValue: (v) => {
    if (jsonDepth(v) > MAX_JSON_DEPTH)
      throw new GraphQLError(`Expected JSON nested at most ${MAX_JSON_DEPTH} levels deep but received a deeper value`, {
        extensions: { code: 'INVALID_INPUT' },
      });
    return v;
  },
});

builder.scalarType('File', {
  description: 'A file sent with a GraphQL multipart request',
  serialize: () => {
    throw new Error('File is an input-only scalar');
  },
  parseValue: (v) => {
    // yoga hands over its own File implementation, so check the shape rather than the class.
    const f = v as File | null;
    if (!f || typeof f !== 'object' || typeof f.arrayBuffer !== 'function' || typeof f.name !== 'string')
      throw new TypeError('Expected a file part of a multipart request');
    return f;
  },
});

builder.queryType({});
builder.mutationType({});
