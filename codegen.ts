// GraphQL Code Generator: typed operations for the CLI, the tests and the web page, from the committed schema.graphql.
// `npm run codegen` writes src/client/generated/graphql.ts; `npm run codegen:check` fails when it is stale, so a schema
// change that breaks an operation breaks `npm test`.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/client/operations.graphql', 'src/web/operations.graphql'],
  generates: {
    'src/client/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        // Plain strings (TypedDocumentString): no graphql-js needed in the page bundle or the CLI to send them.
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { JSON: 'unknown', File: 'File' },
      },
    },
  },
};

export default config;
