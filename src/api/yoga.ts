// Builds the HTTP handler (GraphQL + GraphiQL + readiness). Exported for tests, which call yoga.fetch directly.
import { randomUUID } from 'node:crypto';
import { createFetch } from '@whatwg-node/fetch';
import { createYoga, useReadinessCheck, type GraphiQLOptions, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from '../log.js';
import type { Loupe } from '../services/loupe.js';
import type { ApiContext } from './builder.js';
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
    page ??= import('@graphql-yoga/render-graphiql').then((m) => m.renderGraphiQL(options)).catch((e: unknown) => {
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
    // Multipart uploads: at most maxUploadFiles files of maxImageBytes each (the body as a whole is capped by
    // Content-Length in the request guard).
    fetchAPI: createFetch({
      formDataLimits: { files: c.maxUploadFiles, fileSize: c.maxImageBytes, fieldSize: c.maxJsonBytes, fields: 1_000, parts: c.maxUploadFiles + 1_000, headerSize: 16 * 1024 },
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
        maxDepth: c.maxQueryDepth,
        maxAliases: c.maxAliases,
        maxCost: c.maxQueryCost,
      }),
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          await loupe.database.prisma.$queryRaw`SELECT 1`;
        },
      }),
    ],
  });
}
