import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The crash test kills server processes for minutes: its own script (npm run test:crash), run by .ci/run.
    exclude: [...configDefaults.exclude, 'test/crash/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Most suites are written for the hand-weighted colour models (queries like "red"): they pin them here. The
    // shipped emoji defaults have their own tests (test/core/emoji-defaults.test.ts, test/models/emoji-models.test.ts).
    env: { LOUPE_DEFAULT_MODEL: 'color-clip', LOUPE_DEFAULT_YOLOX_MODEL: 'color-yolox', LOUPE_DEFAULT_DINO_MODEL: 'color-dino', LOUPE_DEFAULT_RERANK_MODEL: 'color-owl' },
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
