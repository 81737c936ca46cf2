import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests beside the code, and integration tests against a real
// kube-apiserver + etcd started once per run by the global setup (test/harness).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One API server for the whole run; files share it, isolated by namespace.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
