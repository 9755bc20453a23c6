/**
 * Quiet tests (jest `setupFilesAfterEnv`, every project): what a test file's code prints goes to that
 * file's log instead of the terminal, so a green run shows only a summary, and test/reporter.js prints the
 * log of a file that failed. Captured: the API's and the worker's pino loggers (models/logger.ts), and
 * console output (the test's own, gRPC's, libraries'). test/temporal-log-capture.ts adds the Temporal
 * SDK's logs for the integration tests.
 *
 * The log is `$PARLEY_TEST_LOG_DIR/<test file path, / as __>.log`, one directory per jest run
 * (jest.config.js); without PARLEY_TEST_LOG_DIR nothing is captured.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatWithOptions } from 'node:util';
import { setDefaultLogDestination } from '../models/logger';

const ROOT = path.resolve(__dirname, '..');

/** The log of a test file: test/reporter.js computes the same path to print it. */
export function testLogFile(dir: string, testPath: string): string {
  return path.join(dir, `${path.relative(ROOT, testPath).split(path.sep).join('__')}.log`);
}

const dir = process.env.PARLEY_TEST_LOG_DIR;
const testPath = expect.getState().testPath;
let fd: number | undefined;
if (dir && testPath) {
  fs.mkdirSync(dir, { recursive: true });
  fd = fs.openSync(testLogFile(dir, testPath), 'a');
}

/** Whether this test file's output is captured (PARLEY_TEST_LOG_DIR is set). */
export const capturing = fd !== undefined;

/** Appends a line to this test file's log (nothing when not capturing). */
export function writeTestLog(text: string): void {
  if (fd === undefined) return;
  // Synchronous, so the lines of a test that crashes the worker process are in the file.
  fs.writeSync(fd, text.endsWith('\n') ? text : `${text}\n`);
}

if (capturing) {
  setDefaultLogDestination({ write: writeTestLog });
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    // The console object's methods are replaced rather than the object: libraries that kept a reference
    // to it (gRPC's logger does) are captured too.
    console[method] = (...args: unknown[]) => writeTestLog(`[console.${method}] ${formatWithOptions({ depth: 6 }, ...args)}`);
  }
}
