/**
 * Quiet tests, the jest reporter (plain CommonJS: jest loads reporters without transforming them).
 *
 * Every test file's output (the API's and worker's logs, Temporal's, console) goes to a log of its own
 * (test/log-capture.ts); this reporter prints that log, the end of it, under a file that failed, so a real
 * failure comes with what the servers said and a green run prints none of it.
 *
 * Options: `{ quiet: true }` (CI and `npm test`, jest.config.js) also replaces jest's default reporter: no
 * line per passing file, a progress line (overwritten in a terminal, one line per PROGRESS_EVERY files in
 * a log), the failures in full, and the totals. Without it, it only adds the logs of failed files to the
 * default reporter's output.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** Lines of a failed file's log printed: its end, where the failure is. */
const LOG_TAIL_LINES = 150;
/** A longer line (a record with a large payload) is cut. */
const MAX_LINE = 1000;
/** Run directories kept in .data/test-logs (this one included). */
const KEEP_RUNS = 10;
const PROGRESS_EVERY = 25;

/** The log of a test file: the same path test/log-capture.ts writes. */
const testLogFile = (dir, testPath) => path.join(dir, `${path.relative(ROOT, testPath).split(path.sep).join('__')}.log`);

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

class ParleyReporter {
  constructor(globalConfig, options = {}) {
    this.quiet = Boolean(options.quiet);
    this.dir = process.env.PARLEY_TEST_LOG_DIR;
    this.out = process.stderr;
    this.tty = Boolean(this.out.isTTY);
    this.done = 0;
    this.failedFiles = [];
    this.total = 0;
    this.statusShown = false;
  }

  onRunStart(results) {
    this.total = results.numTotalTestSuites;
    this.started = Date.now();
    if (this.dir) pruneOldRuns(path.dirname(this.dir), path.basename(this.dir));
    if (this.quiet) this.write(`jest: ${plural(this.total, 'test file')}; each one's output goes to ${this.relDir()}/, printed here only if it fails\n`);
  }

  onTestResult(_test, result, aggregated) {
    this.done += 1;
    const failed = result.numFailingTests > 0 || Boolean(result.testExecError) || Boolean(result.failureMessage);
    const rel = path.relative(ROOT, result.testFilePath);
    if (failed) {
      this.failedFiles.push(rel);
      if (this.quiet) {
        this.clearStatus();
        const seconds = ((result.perfStats.end - result.perfStats.start) / 1000).toFixed(1);
        this.write(`\nFAIL ${rel} (${seconds} s)\n`);
        this.write(result.failureMessage || (result.testExecError && (result.testExecError.stack || result.testExecError.message)) || '(no failure message)\n');
      }
      this.printLog(result.testFilePath, rel);
    }
    if (this.quiet) this.progress(aggregated);
  }

  onRunComplete(_contexts, results) {
    if (!this.quiet) return;
    this.clearStatus();
    const tests = [`${results.numPassedTests} passed`];
    if (results.numFailedTests) tests.push(`${results.numFailedTests} failed`);
    if (results.numPendingTests) tests.push(`${results.numPendingTests} skipped`);
    if (results.numTodoTests) tests.push(`${results.numTodoTests} todo`);
    const files = [`${results.numPassedTestSuites} passed`];
    if (results.numFailedTestSuites) files.push(`${results.numFailedTestSuites} failed`);
    if (results.numPendingTestSuites) files.push(`${results.numPendingTestSuites} skipped`);
    this.write(
      [
        '',
        `Test files: ${files.join(', ')}, ${results.numTotalTestSuites} total`,
        `Tests:      ${tests.join(', ')}, ${results.numTotalTests} total`,
        `Time:       ${((Date.now() - results.startTime) / 1000).toFixed(1)} s`,
        ...(this.failedFiles.length > 0 ? ['Failed:', ...this.failedFiles.map((file) => `  ${file}`)] : []),
        ...(results.wasInterrupted ? ['(interrupted)'] : []),
        '',
      ].join('\n'),
    );
  }

  /** The end of a failed file's log, with where the whole of it is. */
  printLog(testPath, rel) {
    if (!this.dir) return;
    const file = testLogFile(this.dir, testPath);
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      this.write(`\n(no log captured for ${rel})\n`);
      return;
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const shown = lines.slice(-LOG_TAIL_LINES).map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)} …[${line.length - MAX_LINE} more characters]` : line));
    const whole = path.relative(process.cwd(), file);
    const what = lines.length > shown.length ? `its last ${shown.length} of ${lines.length} lines; all in ${whole}` : `${plural(lines.length, 'line')}, in ${whole}`;
    this.write(`\n---- log of ${rel} (${what}) ----\n${shown.join('\n')}${shown.length ? '\n' : ''}---- end of the log of ${rel} ----\n`);
  }

  progress(aggregated) {
    const failed = aggregated.numFailedTestSuites + aggregated.numRuntimeErrorTestSuites;
    const status = `${this.done}/${this.total} test files, ${aggregated.numPassedTests} tests passed${failed ? `, ${plural(failed, 'file')} failed` : ''} (${Math.round((Date.now() - this.started) / 1000)} s)`;
    if (this.tty) {
      this.out.write(`\r\x1b[K${status}`);
      this.statusShown = true;
    } else if (this.done % PROGRESS_EVERY === 0 && this.done < this.total) {
      this.write(`${status}\n`);
    }
  }

  clearStatus() {
    if (!this.statusShown) return;
    this.out.write('\r\x1b[K');
    this.statusShown = false;
  }

  relDir() {
    return this.dir ? path.relative(process.cwd(), this.dir) : '(nowhere: PARLEY_TEST_LOG_DIR unset)';
  }

  write(text) {
    this.out.write(text);
  }

  getLastError() {
    return undefined;
  }
}

/** Keeps the newest KEEP_RUNS run directories of .data/test-logs (their names start with an ISO time). */
function pruneOldRuns(parent, current) {
  let names;
  try {
    names = fs.readdirSync(parent).filter((name) => /^\d{4}-\d\d-\d\dT/.test(name) && name !== current);
  } catch {
    return;
  }
  for (const name of names.sort().slice(0, Math.max(0, names.length - (KEEP_RUNS - 1)))) {
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

module.exports = ParleyReporter;
