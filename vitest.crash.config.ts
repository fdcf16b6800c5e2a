// `npm run test:crash`: the crash-safety test alone (it starts its own embedded Postgres and server processes).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    // Most suites are written for the hand-weighted colour models (queries like "red"): they pin them here. The
    // shipped emoji defaults have their own tests (test/core/emoji-defaults.test.ts, test/models/emoji-models.test.ts).
    env: {
      LOUPE_DEFAULT_MODEL: 'color-clip',
      LOUPE_DEFAULT_YOLOX_MODEL: 'color-yolox',
      LOUPE_DEFAULT_DINO_MODEL: 'color-dino',
      LOUPE_DEFAULT_RERANK_MODEL: 'color-owl',
    },
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
