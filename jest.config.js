/**
 * Two projects: `unit` (pure code, no servers) and `integration` (the real stack: a Temporal dev server
 * and FerretDB started once by test/global-setup.ts, tenant APIs on 127.0.0.1).
 * @type {import('jest').Config}
 */
// Every API request and activity under test fails a query on an account's collection that is neither
// scoped to an account nor says why (models/tenancy.ts); spawned workers and APIs inherit it.
process.env.PARLEY_TENANCY_GUARD ??= 'throw';

const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };

module.exports = {
  // Integration tests drive real servers (a worker kill waits out Temporal's sticky-queue timeout).
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/{core,api,models,activities,workflows,scripts}/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
