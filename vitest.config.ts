import { configDefaults, defineConfig } from 'vitest/config';

// Four projects; `npm test` runs them all, `npm run test:unit` (vitest run --project unit) only the first:
// - unit: pure logic and single adapters, with fakes for the rest (no Postgres; seconds).
// - integration: real Postgres (embedded, started once by the global setup), real ONNX Runtime models, real FAISS.
// - browser: the HTTP server and the page in Debian's chromium (playwright-core), on the same Postgres.
// - scale: `loupe serve` replicas and `loupe worker` processes on one database of that Postgres (a few minutes).
const UNIT = [
  'test/unit/**/*.test.ts',
  'test/native/**/*.test.ts',
  'test/io/**/*.test.ts',
  'test/core/region-crop.test.ts',
  'test/core/vector-index.test.ts',
  'test/core/vector-store-kinds.test.ts',
];
const BROWSER = ['test/browser/**/*.test.ts'];
// The crash test kills server processes for minutes: its own script (npm run test:crash), run by .ci/run.
const CRASH = ['test/crash/**'];
// Two replicas and two workers as separate processes on one Postgres (issue 14): its own project, part of `npm test`.
const SCALE = ['test/scale/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Most suites are written for the hand-weighted colour models (queries like "red"): they pin them here. The
    // shipped emoji defaults have their own tests (test/core/emoji-defaults.test.ts, test/models/emoji-models.test.ts).
    env: {
      LOUPE_DEFAULT_MODEL: 'color-clip',
      LOUPE_DEFAULT_YOLOX_MODEL: 'color-yolox',
      LOUPE_DEFAULT_DINO_MODEL: 'color-dino',
      LOUPE_DEFAULT_RERANK_MODEL: 'color-owl',
    },
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT, ...BROWSER, ...CRASH, ...SCALE],
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'browser', include: BROWSER, globalSetup: ['test/helpers/global-setup.ts'] } },
      { extends: true, test: { name: 'scale', include: SCALE, testTimeout: 600_000, globalSetup: ['test/helpers/global-setup.ts'] } },
    ],
  },
});
