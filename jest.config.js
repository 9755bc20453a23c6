/**
 * Two projects: `unit` (pure code, no servers) and `integration` (the real stack: a Temporal dev server
 * and FerretDB started once by test/global-setup.ts, tenant APIs on 127.0.0.1).
 * @type {import('jest').Config}
 */
// Every API request and activity under test fails a query on an account's collection that is neither
// scoped to an account nor says why (models/tenancy.ts); spawned workers and APIs inherit it.
process.env.PARLEY_TENANCY_GUARD ??= 'throw';

// Quiet tests: what each test file prints (the API's and worker's logs, Temporal's, console) goes to a log
// of its own in this run's directory (test/log-capture.ts), which test/reporter.js prints when the file
// fails. Set here, in jest's main process, so every worker writes where the reporter reads.
process.env.PARLEY_TEST_LOG_DIR ??= require('node:path').join(__dirname, '.data', 'test-logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
// In CI and `npm test` (scripts/test.ts sets PARLEY_QUIET_TESTS), no line per passing file: progress,
// failures with their logs, totals. A jest run by hand keeps jest's own reporter, plus the failed files' logs.
const quiet = Boolean(process.env.CI) || process.env.PARLEY_QUIET_TESTS === '1';

const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };

module.exports = {
  // Integration tests drive real servers (a worker kill waits out Temporal's sticky-queue timeout).
  testTimeout: 120_000,
  reporters: quiet ? [['<rootDir>/test/reporter.js', { quiet: true }]] : ['default', '<rootDir>/test/reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/{core,api,models,activities,workflows,scripts}/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/log-capture.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/log-capture.ts', '<rootDir>/test/temporal-log-capture.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
