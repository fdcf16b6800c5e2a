// Builds the HTTP handler (GraphQL + GraphiQL + readiness). Exported for tests, which call yoga.fetch directly.
import { randomUUID } from 'node:crypto';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from '../log.js';
import type { Loupe } from '../services/loupe.js';
import type { ApiContext } from './builder.js';
import { graphiqlExamples } from './examples.js';
import { schema } from './schema/index.js';

export type LoupeYoga = YogaServerInstance<Record<string, unknown>, ApiContext>;

export function createApi(loupe: Loupe, log: Logger): LoupeYoga {
  return createYoga<Record<string, unknown>, ApiContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'Loupe GraphiQL', defaultQuery: graphiqlExamples },
    context: ({ request }) => ({
      loupe,
      requestId: request.headers.get('x-request-id') ?? randomUUID(),
    }),
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => log.error(args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(' ')),
    },
    plugins: [
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          await loupe.database.prisma.$queryRaw`SELECT 1`;
        },
      }),
    ],
  });
}
