/**
 * `npm test`: type-check, lint, then every jest test (unit, then integration against a real Temporal
 * dev server and FerretDB, which jest's global setup starts and, on first use, installs into .tools/).
 * Extra arguments go to jest, e.g. `npm test -- test/integration/conversations.test.ts`.
 * The output is short: what each test file prints (servers' logs, Temporal's, console) goes to
 * .data/test-logs/<run>/, and is shown only under a file that fails; PARLEY_QUIET_TESTS=0 brings back
 * jest's own reporter.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureFerretDb, ensureModelServer, ensureTemporalCli, ensureTemporalTestServer, InfraError, ROOT } from './lib/infra';

function step(name: string, command: string, args: string[]): void {
  process.stdout.write(`\n== ${name}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stdout.write(`\n${name} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`== ${name}: ok in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const bin = (name: string): string => path.join(ROOT, 'node_modules', '.bin', name);
const jestArgs = process.argv.slice(2);

if (jestArgs.length === 0) {
  step('typecheck', bin('tsc'), ['--noEmit']);
  step('lint', bin('eslint'), ['.', '--max-warnings=0']);
}

process.stdout.write('\n== servers for the integration tests\n');
try {
  process.stdout.write(`temporal: ${ensureTemporalCli()}\ntime-skipping test server: ${ensureTemporalTestServer()}\nferretdb: ${ensureFerretDb()}\nferretdb as built before the pushdown (the upgrade test): ${ensureFerretDb('id-index')}\nmodel server (llama.cpp, SmolLM2-135M; the real-model test): ${ensureModelServer().model}\n`);
} catch (error) {
  if (error instanceof InfraError) {
    process.stderr.write(`\ncannot run the integration tests: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

// The Helm chart test's tools (helm and the manifest validator, scripts/lib/helm-tools.ts), built from the
// Go module proxy before jest starts, so that a first build (about 3 minutes) does not compete with timed
// tests for the CPU. Not fatal here: test/integration/helm-chart.test.ts reports what is missing.
if (jestArgs.length === 0 || jestArgs.some((arg) => arg.includes('helm'))) {
  process.stdout.write('\n== helm and the manifest validator (the Helm chart test)\n');
  const helmTools = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'lib', 'helm-tools.ts')], { cwd: ROOT, stdio: 'inherit' });
  if (helmTools.status !== 0) process.stdout.write('not built: the Helm chart test will fail and say why\n');
}

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-jest-')), 'results.json');
process.stdout.write('\n== jest\n');
// Quiet: a line of progress, the failures with each failed file's captured log, and the totals (test/reporter.js).
const jest = spawnSync(bin('jest'), ['--json', `--outputFile=${report}`, ...jestArgs], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, PARLEY_QUIET_TESTS: process.env.PARLEY_QUIET_TESTS ?? '1' } });
if (fs.existsSync(report)) {
  const results = JSON.parse(fs.readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number };
  // One plain closing line that any CI reader understands, and the last line printed.
  process.stdout.write(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`);
}
process.exit(jest.status ?? 1);
