/**
 * Quiet tests, integration project (jest `setupFilesAfterEnv`, after test/log-capture.ts): the Temporal
 * SDK's logs (worker state changes, activity failures the tests provoke on purpose, core's warnings) go
 * to the test file's log instead of stderr.
 *
 * The options of the Runtime the SDK creates on first use (and again after it shut down once its last
 * worker and connection closed), rather than `Runtime.install()`: a runtime that forwards core's logs
 * holds a native callback that keeps the process alive until the runtime shuts down, so one installed
 * eagerly in a test file that never uses Temporal would keep its jest worker from exiting. Set here,
 * before the test file is loaded; jest gives each test file its own module registry, so each file has its
 * own Runtime, as it had its own default one before.
 */
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { inspect } from 'node:util';
import { capturing, writeTestLog } from './log-capture';

function line(level: LogLevel, message: string, meta: LogMetadata | undefined, timestampNanos: bigint): string {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  const fields = meta && Object.keys(meta).length > 0 ? ` ${inspect(meta, { depth: 6, breakLength: Infinity })}` : '';
  return `${time} [temporal ${level}] ${message}${fields}`;
}

if (capturing) {
  Runtime.defaultOptions = {
    logger: new DefaultLogger('INFO', (entry) => writeTestLog(line(entry.level, entry.message, entry.meta, entry.timestampNanos))),
    // Core's own lines (TMPRL1104 and other warnings) through that logger too, instead of straight to stderr.
    telemetryOptions: { logging: { forward: {} } },
  };
}
