import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own name (scenarios import the API as 'mqttlab/sim', package.json "exports").
  resolve: { alias: { 'mqttlab/sim': fileURLToPath(new URL('./sim/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep network tests from starving each other.
    maxWorkers: 2,
    setupFiles: ['test/setup/fast-check.ts'],
  },
});
