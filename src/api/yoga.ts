// Builds the HTTP handler (GraphQL + GraphiQL + readiness). Exported for tests, which call yoga.fetch directly.
import { randomUUID } from 'node:crypto';
import { createFetch } from '@whatwg-node/fetch';
import { createGraphQLError, createYoga, useReadinessCheck, type GraphiQLOptions, type YogaServerInstance } from 'graphql-yoga';
import { internalMessage } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { Loupe } from '../services/loupe.js';
import type { ApiContext } from './builder.js';
import { isExpectedGraphQLError, isGraphQLError, useErrorStory } from './error-story.js';
import { graphiqlExamples } from './examples.js';
import { useRequestGuard } from './guard-plugins.js';
import { schema } from './schema/index.js';

export type LoupeYoga = YogaServerInstance<Record<string, unknown>, ApiContext>;

/** A client's request id is kept when it is short and plain; otherwise a new one is made. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(value: string | null | undefined): string {
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

/**
 * GraphiQL from the bundled @graphql-yoga/render-graphiql (scripts, styles and editor workers inline), so /graphql
 * works offline: yoga's default page loads them from unpkg. The 9 MB module is imported on the first GraphiQL request
 * only (half a second of parsing that a server which never shows GraphiQL does not pay); each server builds its page
 * once, as its options never change.
 */
function bundledGraphiQL(): (options?: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | null = null;
  return (options) => {
    page ??= import('@graphql-yoga/render-graphiql')
      .then((m) => m.renderGraphiQL(options))
      .catch((e: unknown) => {
        page = null;
        throw e;
      });
    return page;
  };
}

export function createApi(loupe: Loupe, log: Logger): LoupeYoga {
  const c = loupe.config;
  return createYoga<Record<string, unknown>, ApiContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'Loupe GraphiQL', defaultQuery: graphiqlExamples },
    renderGraphiQL: bundledGraphiQL(),
    // Bodies are capped by the request guard (JSON: LOUPE_MAX_JSON_BYTES, multipart: LOUPE_MAX_REQUEST_BYTES, with
    // documented codes), not by yoga's own 25 MB default. Multipart parts: at most maxUploadFiles files of maxImageBytes.
    maxRequestBodySize: false,
    fetchAPI: createFetch({
      formDataLimits: {
        files: c.maxUploadFiles,
        fileSize: c.maxImageBytes,
        fieldSize: c.maxJsonBytes,
        fields: 1_000,
        parts: c.maxUploadFiles + 1_000,
        headerSize: 16 * 1024,
      },
    }),
    // Browsers: same-origin always; other origins only when listed (LOUPE_CORS_ORIGINS).
    cors: c.corsOrigins.length
      ? {
          origin: c.corsOrigins.includes('*') ? '*' : c.corsOrigins,
          credentials: false,
          allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'x-request-id', 'graphql-require-preflight'],
          exposedHeaders: ['x-request-id', 'retry-after'],
          methods: ['GET', 'POST', 'OPTIONS'],
          maxAge: 600,
        }
      : false,
    // Errors outside execution that are not GraphQL errors (execution errors are presented by useErrorStory, with
    // the request id): masked, with the stable code; yoga logs the original once.
    maskedErrors: {
      maskError: (error: unknown): Error => {
        if (isExpectedGraphQLError(error)) return error as Error;
        const http = isGraphQLError(error) ? error.extensions?.http : undefined;
        return createGraphQLError(internalMessage(undefined), { extensions: { code: 'INTERNAL', ...(http ? { http } : {}) } });
      },
    },
    context: ({ request }) => ({
      loupe,
      requestId: requestIdOf(request.headers.get('x-request-id')),
      signal: request.signal,
    }),
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => log.error(args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(' ')),
    },
    plugins: [
      useRequestGuard(loupe.access, loupe.metrics, {
        corsOrigins: c.corsOrigins,
        maxQueryBytes: c.maxQueryBytes,
        maxJsonBytes: c.maxJsonBytes,
        maxRequestBytes: c.maxRequestBytes,
        maxUploadFiles: c.maxUploadFiles,
        maxImageBytes: c.maxImageBytes,
        maxDepth: c.maxQueryDepth,
        maxAliases: c.maxAliases,
        maxCost: c.maxQueryCost,
        maxRerankImages: c.maxRerankImages,
      }),
      useErrorStory(log.child({ component: 'graphql' })),
      useReadinessCheck({
        endpoint: '/ready',
        check: () => loupe.database.ping(),
      }),
    ],
  });
}
