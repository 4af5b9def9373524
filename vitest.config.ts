import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep network tests from starving each other.
    maxWorkers: 2,
    setupFiles: ['test/setup/fast-check.ts'],
  },
});
