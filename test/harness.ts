/**
 * The real stack for one test file: the API listening on 127.0.0.1, a worker, a database of its own,
 * all against the servers test/global-setup.ts started. Each file gets its own task queue and database,
 * so files run in parallel without seeing each other.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Connection as MongoConnection } from 'mongoose';
import { createApp } from '../api/app';
import { loadApiConfig, type ApiConfig } from '../api/config';
import { openConversationEventFeed } from '../models/event-feed';
import { createDeps, type ApiDeps } from '../api/deps';
import { connectDatabase, syncIndexes } from '../models/db';
import { temporalDataConverter } from '../models/payload-codec';
import { SecretBox } from '../models/secret-box';
import { createWorker } from '../worker/create-worker';
import { createOutboundNetwork } from '../activities/http/network';
import { TENANT_ALLOWLIST } from './tenant-ports';
import type { WorkerMetrics } from '../worker/metrics';

const ROOT = path.resolve(__dirname, '..');

export interface StackOptions {
  /** Overrides of the API's environment (REPLY_WAIT_MS, CONTINUE_AS_NEW_AFTER_EVENTS, ...). */
  api?: Record<string, string>;
  /** Start without an in-process worker (a test that runs its own, e.g. as a child process). */
  withoutWorker?: boolean;
  /** Use this MongoDB server (a URI without a database, e.g. mongo-java-server's) instead of the shared one. */
  mongoServer?: string;
  /** Use this Temporal server instead of the shared one. */
  temporalAddress?: string;
  /** Webhook retry delays (ms) for the in-process worker, e.g. a short schedule for retry tests. */
  webhookRetryScheduleMs?: number[];
  /** PARLEY_PAYLOAD_KEYS for the API's Temporal client and every worker (in-process or spawned): encrypted payloads. */
  payloadKeys?: string;
  /**
   * Another instance of `stack`'s deployment: the same database, task queue and PARLEY_SECRET_KEYS, with its
   * own API server, MongoDB and Temporal connections and worker (scale-out tests). Its stop() leaves the
   * shared database to `stack`'s.
   */
  join?: Pick<Stack, 'taskQueue' | 'mongoUri' | 'secretKeys'>;
  /** Where the in-process worker counts activity and action metrics (read its registry); a fresh one when absent. */
  workerMetrics?: WorkerMetrics;
}

export interface Stack {
  baseUrl: string;
  taskQueue: string;
  mongoUri: string;
  temporalAddress: string;
  db: MongoConnection;
  temporal: Client;
  deps: ApiDeps;
  /** The PARLEY_SECRET_KEYS the API seals connection credentials with (give a worker the same). */
  secretKeys: string;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** Runs `worker/main.ts` as its own process, as production does. */
  spawnWorkerProcess(): Promise<ChildProcess>;
  stop(): Promise<void>;
}

export function testEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the integration tests through jest (test/global-setup.ts)`);
  return value;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const suffix = randomBytes(4).toString('hex');
  const taskQueue = options.join?.taskQueue ?? `parley-test-${suffix}`;
  const mongoUri = options.join?.mongoUri ?? `${options.mongoServer ?? testEnv('PARLEY_TEST_MONGODB_URI')}/parley_test_${suffix}`;
  const temporalAddress = options.temporalAddress ?? testEnv('PARLEY_TEST_TEMPORAL_ADDRESS');
  const bundlePath = testEnv('PARLEY_TEST_WORKFLOW_BUNDLE');

  const db = await connectDatabase(mongoUri);
  const connection = await Connection.connect({ address: temporalAddress });
  const dataConverter = temporalDataConverter(options.payloadKeys);
  const temporal = new Client({ connection, ...(dataConverter ? { dataConverter } : {}) });
  // Listening first, so the API's configuration knows its port (refused to tenant traffic like any of Parley's).
  const server = createServer();
  // Idle keep-alive sockets stay open a minute: with Node's 5 s default, a test that pauses (a slow bulk
  // insert) can reuse a socket the server is closing at that moment, and the request fails with ECONNRESET.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const apiPort = (server.address() as AddressInfo).port;
  const secretKeys = options.api?.PARLEY_SECRET_KEYS ?? options.join?.secretKeys ?? SecretBox.generateKey('test');
  const config: ApiConfig = loadApiConfig({
    TEMPORAL_ADDRESS: temporalAddress,
    MONGODB_URI: mongoUri,
    PORT: String(apiPort),
    TASK_QUEUE: taskQueue,
    PARLEY_SECRET_KEYS: secretKeys,
    ...(options.payloadKeys ? { PARLEY_PAYLOAD_KEYS: options.payloadKeys } : {}),
    // Tests hammer the API: generous per-key limits unless a test sets its own (test/integration/platform-access.test.ts).
    RATE_LIMIT_PER_MINUTE: '1000000',
    MESSAGE_RATE_LIMIT_PER_MINUTE: '1000000',
    LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS: '1000000',
    LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL: '1000000',
    ACCOUNT_SIGNUPS_PER_DAY_PER_EMAIL: '1000000',
    // The tenant servers' range on loopback, and every port of the servers Parley runs on refused.
    OUTBOUND_ALLOWLIST: TENANT_ALLOWLIST,
    OUTBOUND_DENYLIST: process.env.PARLEY_TEST_DENYLIST ?? '',
    ...options.api,
  });
  const errors: unknown[] = [];
  // New events from a change stream when the store has them (mongo-java-server in change-streams.test.ts), else polled.
  const eventFeed = await openConversationEventFeed(db, { setting: config.MONGODB_CHANGE_STREAMS, log: (message, error) => console.warn(`[test] ${message}`, error ?? '') });
  const deps = createDeps({ db, temporal, config, log: (message, error) => errors.push({ message, error }), eventFeed });
  await syncIndexes(db);

  server.on('request', createApp(deps));
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  // The worker's network: the API's policy (its own port refused, as PORT is in the API's).
  const outbound = config.outbound;
  // Callback URLs of long-running calls point at this API, as in production at its PUBLIC_URL.
  const publicUrl = config.PUBLIC_URL ?? baseUrl;

  let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  const children = new Set<ChildProcess>();

  const startWorker = async (): Promise<void> => {
    if (worker) return;
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    const w = await createWorker({ connection: nativeConnection, db, secrets: new SecretBox(secretKeys), http: { network: createOutboundNetwork(outbound), publicUrl, callbackKeys: secretKeys }, taskQueue, changeStreams: config.MONGODB_CHANGE_STREAMS, workflowBundlePath: bundlePath, webhookRetryScheduleMs: options.webhookRetryScheduleMs, payloadKeys: options.payloadKeys, metrics: options.workerMetrics });
    worker = { worker: w, running: w.run(), connection: nativeConnection };
  };
  const stopWorker = async (): Promise<void> => {
    if (!worker) return;
    const { worker: w, running, connection: c } = worker;
    worker = undefined;
    w.shutdown();
    await running;
    await c.close();
  };

  const spawnWorkerProcess = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
      cwd: ROOT,
      // METRICS_PORT=0: no metrics server, so spawned workers never compete for port 9464.
      env: { ...process.env, METRICS_PORT: '0', TEMPORAL_ADDRESS: temporalAddress, MONGODB_URI: mongoUri, TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE_PATH: bundlePath, PARLEY_SECRET_KEYS: secretKeys, PUBLIC_URL: publicUrl, OUTBOUND_ALLOWLIST: config.OUTBOUND_ALLOWLIST, OUTBOUND_DENYLIST: `${config.OUTBOUND_DENYLIST ?? ''},127.0.0.1:${apiPort}`, ...(options.payloadKeys ? { PARLEY_PAYLOAD_KEYS: options.payloadKeys } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('polling task queue')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker process exited with ${code}: ${output}`)));
    });
    return child;
  };

  if (!options.withoutWorker) await startWorker();

  return {
    baseUrl,
    taskQueue,
    mongoUri,
    temporalAddress,
    db,
    temporal,
    deps,
    secretKeys,
    startWorker,
    stopWorker,
    spawnWorkerProcess,
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      await stopWorker();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await eventFeed.close();
      await connection.close();
      if (!options.join) await db.dropDatabase().catch(() => undefined);
      await db.close();
      if (errors.length > 0) console.error('[test] API logged errors:', errors);
    },
  };
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client for the API under test. */
export function http(baseUrl: string, key?: string) {
  const call = async <T = any>(method: string, url: string, body?: unknown, raw?: string): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${url}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // leave as text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = any>(url: string) => call<T>('GET', url),
    post: <T = any>(url: string, body?: unknown) => call<T>('POST', url, body),
    patch: <T = any>(url: string, body?: unknown) => call<T>('PATCH', url, body),
    put: <T = any>(url: string, body?: unknown) => call<T>('PUT', url, body),
    delete: <T = any>(url: string) => call<T>('DELETE', url),
    raw: <T = any>(method: string, url: string, raw: string) => call<T>(method, url, undefined, raw),
  };
}

export type Http = ReturnType<typeof http>;

/** Signs up a fresh account and returns a client authenticated with its first API key. */
export async function signUp(baseUrl: string, name = 'Test Co'): Promise<{ api: Http; key: string; accountId: string }> {
  const email = `owner+${randomBytes(5).toString('hex')}@example.com`;
  const res = await http(baseUrl).post('/v1/accounts', { name, email, password: 'correct horse battery' });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  const key = res.body.apiKey.key as string;
  return { api: http(baseUrl, key), key, accountId: res.body.account.id as string };
}

/** Creates a bot with the given settings and publishes it. */
export async function publishedBot(api: Http, settings: Record<string, unknown> = {}): Promise<string> {
  const created = await api.post('/v1/bots', {
    name: 'Support bot',
    greeting: 'Hello! I am the test bot.',
    fallbackMessage: 'Sorry, I cannot help with that yet.',
    ...settings,
  });
  if (created.status !== 201) throw new Error(`bot create failed: ${JSON.stringify(created.body)}`);
  const published = await api.post(`/v1/bots/${created.body.bot.id}/publish`);
  if (published.status !== 201) throw new Error(`publish failed: ${JSON.stringify(published.body)}`);
  return created.body.bot.id as string;
}

/** Saves a draft's flows (`{ flows: [...] }`) and publishes them; throws when either is refused. */
export async function publishFlows(api: Http, botId: string, flows: unknown): Promise<void> {
  const saved = await api.put(`/v1/bots/${botId}/flows`, flows);
  if (saved.status !== 200) throw new Error(`flows rejected: ${JSON.stringify(saved.body)}`);
  const published = await api.post(`/v1/bots/${botId}/publish`);
  if (published.status !== 201) throw new Error(`publish failed: ${JSON.stringify(published.body)}`);
}

/** A published bot (with `settings`) running `flows`. */
export async function publishedFlowBot(api: Http, flows: unknown, settings: Record<string, unknown> = {}): Promise<string> {
  const botId = await publishedBot(api, settings);
  await publishFlows(api, botId, flows);
  return botId;
}

/** Wraps a client so that every response body it sees is pushed to `seen` (to prove what never appears). */
export function recording(client: Http, seen: string[]): Http {
  const wrap =
    <A extends unknown[]>(fn: (...args: A) => Promise<HttpResult>) =>
    async (...args: A) => {
      const res = await fn(...args);
      seen.push(typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? null));
      return res;
    };
  return { get: wrap(client.get), post: wrap(client.post), patch: wrap(client.patch), put: wrap(client.put), delete: wrap(client.delete), raw: wrap(client.raw) };
}

/** Every string and decoded byte payload in a workflow's history, as one text (to prove what never appears). */
export async function workflowHistoryText(temporal: Client, workflowId: string): Promise<string> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    else if (typeof value === 'string') parts.push(value);
  };
  walk(history);
  return parts.join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
