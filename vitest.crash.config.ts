// `npm run test:crash`: the crash-safety test alone (it starts its own embedded Postgres and server processes).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
