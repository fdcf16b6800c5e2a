// typescript-eslint, plus the layer table of the architecture as import rules: each folder of src/ may import only
// the layers below it (api → services → repositories / models / localize / native → domain). A rule fails the build
// (`npm test` runs `npm run lint`) with the message saying which way the dependency must go.
import tseslint from 'typescript-eslint';

/** A relative import that climbs out of the folder into `layer` (e.g. '../../repositories/x.js'). */
const into = (...layers) => `^(\\.\\./)+(${layers.join('|')})(/|\\.js$)`;

/** no-restricted-imports for one folder: relative imports into `layers`, and the named packages. */
function layer(files, layers, packages, why) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [...(layers.length ? [{ regex: into(...layers), message: why }] : []), ...(packages.length ? [{ group: packages, message: why }] : [])],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'models/**', 'src/generated/**', 'src/client/generated/**', '.cache/**', '.loupe/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // Unused bindings are errors, except deliberately ignored ones (`_name`) and rest siblings used to omit keys.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests and benchmarks read loosely typed JSON answers (GraphQL bodies, fixtures) all the time.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  layer(
    ['src/api/**/*.ts'],
    ['repositories', 'generated', 'native', 'models', 'localize'],
    ['@prisma/*', 'pg', 'onnxruntime-node', 'sharp'],
    'The API layer reaches storage, models and the addon only through services (src/services/loupe.ts wires them).',
  ),
  layer(
    ['src/services/**/*.ts'],
    ['api', 'cli', 'web'],
    ['graphql', 'graphql-yoga', '@pothos/*', '@graphql-yoga/*'],
    'Services are use-cases: they never import the API (GraphQL) or its clients.',
  ),
  layer(
    ['src/localize/**/*.ts'],
    ['api', 'services', 'repositories', 'cli', 'web'],
    [],
    'Region proposers and rerankers are pure logic over models and the addon.',
  ),
  layer(
    ['src/models/**/*.ts'],
    ['api', 'services', 'repositories', 'localize', 'cli', 'web'],
    [],
    'The model layer loads model folders and runs them; it knows nothing of region logic, storage or services.',
  ),
  layer(
    ['src/repositories/**/*.ts'],
    ['api', 'services', 'models', 'localize', 'cli', 'web'],
    [],
    'Repositories are I/O adapters: services call them, never the other way.',
  ),
  layer(
    ['src/native/**/*.ts'],
    ['api', 'services', 'repositories', 'models', 'localize', 'cli', 'web'],
    [],
    'src/native is the one place that loads the addon; it depends on nothing but domain types.',
  ),
  layer(
    ['src/domain/**/*.ts'],
    ['api', 'services', 'repositories', 'models', 'localize', 'native', 'cli', 'web', 'client', 'config', 'log', 'metrics', 'generated'],
    [],
    'Domain types and checks depend on nothing else in src/.',
  ),
  {
    // src/web/build.ts is the Node script that bundles the page, not page code.
    ...layer(
      ['src/web/**/*.ts', 'src/client/**/*.ts'],
      ['api', 'services', 'repositories', 'models', 'localize', 'native', 'cli', 'config', 'generated'],
      ['@prisma/*', 'pg', 'onnxruntime-node', 'sharp', 'node:*'],
      'The page and the GraphQL client talk to the server over HTTP only.',
    ),
    ignores: ['src/web/build.ts'],
  },
  layer(
    ['src/cli/**/*.ts'],
    ['repositories', 'generated', 'native'],
    ['@prisma/*', 'pg'],
    'The CLI goes through services (src/services/loupe.ts) or the HTTP client.',
  ),
);
