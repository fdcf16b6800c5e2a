// Indexing progress as a GraphQL subscription (served over server-sent events by yoga): the GraphQL types and the
// `indexingProgress(jobId)` field. The job board itself is a service (services/indexing-jobs.ts, `loupe.jobs`).
import { createGraphQLError } from 'graphql-yoga';
import { isLoupeError } from '../../domain/errors.js';
import type { ItemError, ProgressEvent } from '../../services/indexing-jobs.js';
import { builder } from '../builder.js';
import { ErrorCodeEnum } from './errors.js';

const ItemErrorRef = builder.objectRef<ItemError>('IndexingItemError').implement({
  description: 'A document that could not be indexed',
  fields: (t) => ({
    id: t.exposeString('id'),
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
  }),
});

const ProgressEventRef = builder.objectRef<ProgressEvent>('IndexingProgress').implement({
  description: 'Progress of an addDocuments call that named a jobId',
  fields: (t) => ({
    jobId: t.exposeString('jobId'),
    index: t.exposeString('index'),
    processed: t.exposeInt('processed', { description: 'Documents finished, indexed or failed' }),
    failed: t.exposeInt('failed'),
    total: t.exposeInt('total'),
    done: t.exposeBoolean('done', { description: 'The last event of the job' }),
    errors: t.field({
      type: [ItemErrorRef],
      description: 'Per-item errors since the previous event (the first event a subscriber gets lists all so far)',
      resolve: (e) => e.errors,
    }),
    code: t.field({ type: ErrorCodeEnum, nullable: true, description: 'Why the whole batch failed, if it did', resolve: (e) => e.code }),
    message: t.exposeString('message', { nullable: true }),
  }),
});

// Subscription root lives here, the only file with subscription fields.
builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  indexingProgress: t.field({
    type: ProgressEventRef,
    description: 'Streams the progress of addDocuments(jobId: ...) over server-sent events; ends after the `done` event',
    args: { jobId: t.arg.string({ required: true }) },
    subscribe: (_r, { jobId }, ctx) => {
      try {
        return ctx.loupe.jobs.subscribe(jobId);
      } catch (e) {
        // An expected failure is shown to the client with its code; anything else stays masked.
        if (isLoupeError(e)) throw createGraphQLError(e.message, { extensions: { code: e.code } });
        throw e;
      }
    },
    resolve: (e) => e,
  }),
}));
