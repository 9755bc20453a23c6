/**
 * The data-growth phase of `npm run bench` (BENCH_PHASES=growth): does every request cost the same
 * however much data is stored (issue 18, item 1)?
 *
 * For each level of BENCH_GROWTH_LEVELS (default 0,100000,1000000: messages stored by 100 other
 * tenants), the level's data is loaded straight into its own database (scripts/bench/growth-load.ts:
 * the shapes Parley writes, `insertMany` in unordered batches of 5,000), with one big tenant that owns
 * conversations itself: as many as the other tenants together (level / 10), at most
 * BENCH_GROWTH_BIG (100,000), from level BENCH_GROWTH_BIG_FROM (100,000) up. Then a worker and an API
 * are started on that database, with a Temporal dev server of the level's own (or
 * BENCH_TEMPORAL_ADDRESS, shared), and, for a small tenant signed up
 * through the API in this run and for the big tenant, each operation of scripts/bench/growth-ops.ts is
 * timed, one at a time, and each process's memory read.
 *
 * A loaded level is kept (the FerretDB data directory under .data/bench/growth/, with a marker naming
 * what it holds and which FerretDB build wrote it) and copied before each run, so a rerun skips the load
 * and always starts from the same data; a new FerretDB build (its binary's name changes with its patch)
 * or a change to the generator (FORMAT) loads it again, as does BENCH_GROWTH_RELOAD=1. With
 * BENCH_MONGODB_URI each level is loaded into a new database there and dropped afterwards.
 *
 * Settings: BENCH_GROWTH_LEVELS, BENCH_GROWTH_TENANTS (100), BENCH_GROWTH_BIG, BENCH_GROWTH_BIG_FROM,
 * BENCH_GROWTH_SAMPLES (at most 40 per operation and tenant), BENCH_GROWTH_MIN_SAMPLES (4),
 * BENCH_GROWTH_SECONDS (6: past this, an operation stops at its minimum), BENCH_GROWTH_ROUNDS (2: the
 * samples and the time are split over this many passes through all operations),
 * BENCH_GROWTH_SETTLE_SECONDS (300: how long to wait at most for the database to go quiet after the
 * processes start, e.g. the API's clean-ups and new indexes), BENCH_GROWTH_RELOAD=1.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { SecretBox } from '../../models/secret-box';
import { TENANT_ALLOWLIST } from '../../test/tenant-ports';
import { DATA_DIR, ensureFerretDb, freePort, startFerretDb, startTemporal, type ManagedServer } from '../lib/infra';
import { rssMiB } from './live';
import { BULK_ACTION, loadHistory, loadVolatile, MESSAGES_PER_CONVERSATION, type TenantRefs, type TenantTemplate } from './growth-load';
import { setUpTenantScenario, signUpTenant, startReceiver, type Op, type TenantAccess } from './growth-ops';

/** The generator's format: a change to what growth-load.ts writes bumps it, and cached levels load again. */
const FORMAT = 1;
const CACHE_DIR = path.join(DATA_DIR, 'bench', 'growth');
const BENCH_REPLY_WAIT_MS = 120_000;

const num = (name: string, fallback: number): number => {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number >= 0, not ${JSON.stringify(value)}`);
  return n;
};

export interface GrowthSettings {
  levels: number[];
  tenants: number;
  bigMax: number;
  bigFrom: number;
  maxSamples: number;
  minSamples: number;
  rounds: number;
  opSeconds: number;
  settleSeconds: number;
  reload: boolean;
}

export function growthSettings(): GrowthSettings {
  const spec = process.env.BENCH_GROWTH_LEVELS ?? '0,100000,1000000';
  const levels = spec.trim() === '' ? [] : [...new Set(spec.split(',').map((s) => Number(s.trim())))].sort((a, b) => a - b);
  for (const level of levels) {
    if (!Number.isInteger(level) || level < 0 || level % MESSAGES_PER_CONVERSATION !== 0) {
      throw new Error(`BENCH_GROWTH_LEVELS: each level is a whole number of messages, a multiple of ${MESSAGES_PER_CONVERSATION} (got ${spec})`);
    }
  }
  return {
    levels,
    tenants: Math.max(1, Math.floor(num('BENCH_GROWTH_TENANTS', 100))),
    bigMax: Math.floor(num('BENCH_GROWTH_BIG', 100_000)),
    bigFrom: num('BENCH_GROWTH_BIG_FROM', 100_000),
    maxSamples: Math.max(1, Math.floor(num('BENCH_GROWTH_SAMPLES', 40))),
    minSamples: Math.max(1, Math.floor(num('BENCH_GROWTH_MIN_SAMPLES', 4))),
    rounds: Math.max(1, Math.floor(num('BENCH_GROWTH_ROUNDS', 2))),
    opSeconds: num('BENCH_GROWTH_SECONDS', 6),
    settleSeconds: num('BENCH_GROWTH_SETTLE_SECONDS', 300),
    reload: process.env.BENCH_GROWTH_RELOAD === '1',
  };
}

/** Other tenants at a level: none in the empty database. */
export const tenantsAt = (level: number, s: GrowthSettings): number => (level > 0 ? s.tenants : 0);

/** The big tenant's own conversations at a level. */
export const bigConversationsAt = (level: number, s: GrowthSettings): number => (level > 0 && level >= s.bigFrom ? Math.min(s.bigMax, level / MESSAGES_PER_CONVERSATION) : 0);

/** What bench.ts lends the phase. */
export interface GrowthHost {
  startProcess(name: string, script: string, env: Record<string, string>, ready: string): Promise<ChildProcess>;
  log(message: string): void;
  /** The bench's lists of what to stop on Ctrl-C: the phase adds what it starts and takes out what it stopped. */
  children: ChildProcess[];
  servers: ManagedServer[];
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

async function startServer(host: GrowthHost, dataDir: string, logFile: string): Promise<ManagedServer> {
  const server = await startFerretDb({ port: await freePort(), dataDir, logFile });
  host.servers.push(server);
  return server;
}

/** A Temporal dev server of the level's own (BENCH_TEMPORAL_ADDRESS: that one, shared), so no level runs on another's history. */
async function startTemporalServer(host: GrowthHost, dir: string): Promise<{ address: string; server?: ManagedServer }> {
  if (process.env.BENCH_TEMPORAL_ADDRESS) return { address: process.env.BENCH_TEMPORAL_ADDRESS };
  const server = await startTemporal({ port: await freePort(), dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log') });
  host.servers.push(server);
  return { address: server.address, server };
}

async function stopServer(host: GrowthHost, server: ManagedServer): Promise<void> {
  await server.stop();
  remove(host.servers, server);
}

async function startChild(host: GrowthHost, name: string, script: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = await host.startProcess(name, script, env, ready);
  host.children.push(child);
  return child;
}

async function stopChild(host: GrowthHost, child: ChildProcess): Promise<void> {
  await stop(child);
  remove(host.children, child);
}

/** What a loaded level holds (marker.json beside its data). */
interface Marker {
  format: number;
  ferretdb: string;
  level: number;
  bigConversations: number;
  tenants: number;
  loadedAt: string;
  loadSeconds: number;
  counts: Record<string, number>;
  /** PARLEY_SECRET_KEYS of the level: the big tenant's sealed values open with it. */
  secretKeys: string;
  big: TenantRefs & { apiKey: string };
  fillers: TenantRefs[];
}

interface OpResult {
  p50: number;
  p90: number;
  n: number;
  error?: string;
}

export interface LevelResult {
  level: number;
  bigConversations: number;
  storedMessages: number;
  counts: Record<string, number>;
  loadSeconds: number;
  cached: boolean;
  dataMiB: number | null;
  settleSeconds: number;
  /** `<tenant>: <operation>` → latencies. */
  ops: Record<string, OpResult>;
  rssMiB: Record<string, number>;
  /** CPU seconds each process spent while this level was measured (after settling). */
  cpuSeconds: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function dirMiB(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    bytes += entry.isDirectory() ? dirMiB(full) * 1024 * 1024 : fs.statSync(full).size;
  }
  return bytes / 1024 / 1024;
}

function copyDir(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(to), { recursive: true });
  // A reflink where the filesystem has them (instant), else a plain copy.
  const cp = spawnSync('cp', ['-a', '--reflink=auto', from, to], { stdio: 'ignore' });
  if (cp.status !== 0) fs.cpSync(from, to, { recursive: true });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Waits until the database's process has used under 10% of a CPU for two seconds running (or the limit). */
async function settle(pid: number | undefined, limitSeconds: number): Promise<number> {
  const t0 = performance.now();
  if (pid === undefined) return 0;
  let quiet = 0;
  while ((performance.now() - t0) / 1000 < limitSeconds) {
    const before = cpuSecondsOf(pid);
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpuSecondsOf(pid) - before;
    if (!Number.isFinite(used)) break;
    quiet = used < 0.1 ? quiet + 1 : 0;
    if (quiet >= 2) break;
  }
  return (performance.now() - t0) / 1000;
}

/** A database of its own on the given MongoDB URI. */
function withDatabase(uri: string, name: string): string {
  const url = new URL(uri);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * One round of `op`, run sequentially into `ms`: in the first round one warm-up first (kept when slower
 * than a second: then the operation is slow, not cold), then samples until this round's share of the
 * samples or of the time budget is spent (but at least its share of the minimum). Answers an error.
 */
async function sampleRound(op: Op, s: GrowthSettings, round: number, ms: number[]): Promise<string | undefined> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const own = await op.run();
    return typeof own === 'number' ? own : performance.now() - t0;
  };
  const share = (n: number): number => Math.ceil((n * (round + 1)) / s.rounds);
  try {
    if (round === 0) {
      const warm = await once();
      if (warm > 1000) ms.push(warm);
    }
    const started = performance.now();
    while (ms.length < share(s.maxSamples) && (ms.length < share(s.minSamples) || (performance.now() - started) / 1000 < s.opSeconds / s.rounds)) ms.push(await once());
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.slice(0, 300) : String(error);
  }
}

function summarize(ms: number[], error: string | undefined): OpResult {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), n: sorted.length, ...(error ? { error } : {}) };
}

/**
 * The FerretDB build every level of this run uses: the current one, copied aside (FERRETDB_BIN points at
 * the copy while the phase runs), so a patch that lands mid-run (its build replaces the older one in
 * .tools/bin) cannot put two builds in one table. Answers its name, which cached levels must match.
 */
function pinFerretDb(): { name: string; restore(): void } {
  const original = ensureFerretDb();
  const name = path.basename(original);
  const dir = path.join(CACHE_DIR, 'bin');
  fs.mkdirSync(dir, { recursive: true });
  for (const other of fs.readdirSync(dir)) if (other !== name) fs.rmSync(path.join(dir, other), { force: true });
  const copy = path.join(dir, name);
  if (!fs.existsSync(copy)) {
    fs.copyFileSync(original, `${copy}.partial`);
    fs.chmodSync(`${copy}.partial`, 0o755);
    fs.renameSync(`${copy}.partial`, copy);
  }
  const before = process.env.FERRETDB_BIN;
  process.env.FERRETDB_BIN = copy;
  return {
    name,
    restore: () => {
      if (before === undefined) delete process.env.FERRETDB_BIN;
      else process.env.FERRETDB_BIN = before;
    },
  };
}

export async function runGrowthPhase(host: GrowthHost, s = growthSettings()): Promise<{ lines: string[]; results: LevelResult[] }> {
  const external = process.env.BENCH_MONGODB_URI;
  const results: LevelResult[] = [];
  const ferretdb = external ? undefined : pinFerretDb();
  if (ferretdb) host.log(`growth: every level runs on ${ferretdb.name}`);
  try {
    for (const level of s.levels) {
      results.push(await runLevel(host, s, level, external, ferretdb?.name ?? 'external'));
      const r = results.at(-1)!;
      host.log(`growth: level ${level.toLocaleString('en-US')} measured (${Object.values(r.ops).filter((o) => o.error).length} operations failed)`);
    }
  } finally {
    ferretdb?.restore();
  }
  const lines = formatGrowth(results, s);
  fs.mkdirSync(path.join(DATA_DIR, 'bench'), { recursive: true });
  fs.writeFileSync(path.join(DATA_DIR, 'bench', 'growth-latest.json'), JSON.stringify({ settings: s, cpus: os.cpus().length, node: process.version, results }, null, 2));
  return { lines, results };
}

function processEnv(common: Record<string, string>): { api: (port: number) => Record<string, string>; worker: Record<string, string> } {
  return {
    api: (port) => ({
      ...common,
      PORT: String(port),
      HOST: '127.0.0.1',
      REPLY_WAIT_MS: String(BENCH_REPLY_WAIT_MS),
      RATE_LIMIT_PER_MINUTE: '100000000',
      MESSAGE_RATE_LIMIT_PER_MINUTE: '100000000',
      WIDGET_RATE_LIMIT_PER_MINUTE: '100000000',
      WIDGET_CLIENT_RATE_LIMIT_PER_MINUTE: '100000000',
      WIDGET_CLIENT_MESSAGES_PER_MINUTE: '100000000',
      WIDGET_CLIENT_CONVERSATIONS_PER_HOUR: '100000000',
      ACCOUNT_SIGNUPS_PER_HOUR: '100000000',
      ACCOUNT_SIGNUPS_PER_DAY_PER_EMAIL: '100000000',
      // The stored history is up to 28 days old when loaded and is reused later: kept whatever its age.
      EVENT_RETENTION_DAYS: '3650',
    }),
    worker: { ...common, METRICS_PORT: '0' },
  };
}

/** Loads a level: the big tenant through the API (its documents are the filler tenants' template), then the history. */
async function loadLevel(host: GrowthHost, s: GrowthSettings, level: number, mongoUri: string, ferretdb: string, temporalAddress: string): Promise<Marker> {
  const t0 = performance.now();
  const big = bigConversationsAt(level, s);
  const secretKeys = SecretBox.generateKey('growth');
  const env = processEnv({ TEMPORAL_ADDRESS: temporalAddress, MONGODB_URI: mongoUri, TASK_QUEUE: `bench-growth-${level}`, PARLEY_SECRET_KEYS: secretKeys, OUTBOUND_ALLOWLIST: TENANT_ALLOWLIST });
  const apiPort = await freePort();
  const api = await startChild(host, `growth api (load ${level})`, 'api/main.ts', env.api(apiPort), 'listening on');
  const client = await mongoose.mongo.MongoClient.connect(mongoUri);
  try {
    const base = `http://127.0.0.1:${apiPort}`;
    // The big tenant, as a user makes it. Its webhook and connection point at tenant ports that need not
    // listen now: a run points the webhook at its receiver, and the connection is only shown in call logs.
    const demoBaseUrl = 'http://127.0.0.1:10999';
    const tenant = await signUpTenant(base, 'Big tenant', `${demoBaseUrl}/hooks`);
    const post = async (p: string, body: unknown): Promise<any> => {
      const res = await fetch(`${base}${p}`, { method: 'POST', headers: tenant.headers, body: JSON.stringify(body) });
      const answer = await res.json();
      if (!res.ok) throw new Error(`POST ${p} answered ${res.status}: ${JSON.stringify(answer)}`);
      return answer;
    };
    const connection = await post('/v1/connections', { name: 'Booking system', baseUrl: demoBaseUrl, auth: { type: 'bearer', token: 'growth-token-not-a-secret' }, allowPrivateNetwork: true });
    const endpoint = await post(`/v1/connections/${connection.connection.id}/endpoints`, {
      name: 'Availability',
      method: 'GET',
      path: '/availability',
      parameters: [{ name: 'date', type: 'date', in: 'query', description: 'Day to check' }],
      responseFields: [{ name: 'first_slot', path: '$.first_slot' }],
    });
    await post('/v1/actions', { id: BULK_ACTION, name: 'Look up availability', steps: [{ id: BULK_ACTION, endpointId: endpoint.endpoint.id }] });
    const db = client.db();
    const one = async <T>(collection: string, filter: Record<string, unknown>): Promise<T> => {
      const doc = await db.collection(collection).findOne(filter);
      if (!doc) throw new Error(`the big tenant's ${collection} document is missing`);
      return doc as unknown as T;
    };
    const template: TenantTemplate = {
      account: await one('accounts', { _id: tenant.accountId }),
      bot: await one('bots', { _id: tenant.botId }),
      botVersion: await one('bot_versions', { _id: `${tenant.botId}.v1` }),
      connection: await one('connections', { _id: connection.connection.id }),
      endpoint: await one('endpoints', { _id: endpoint.endpoint.id }),
      action: await one('actions', { _id: `${tenant.accountId}:${BULK_ACTION}` }),
      webhook: await one('webhook_endpoints', { _id: tenant.webhookId }),
    };
    const apiKeyId = ((await db.collection('api_keys').findOne({ accountId: tenant.accountId })) as { _id: unknown } | null)?._id as string;
    const bigRefs: TenantRefs = { accountId: tenant.accountId, apiKeyId, botId: tenant.botId, connectionId: connection.connection.id, endpointId: endpoint.endpoint.id, webhookId: tenant.webhookId };
    const fillerConversations = level / MESSAGES_PER_CONVERSATION;
    host.log(`growth: loading level ${level.toLocaleString('en-US')}: ${tenantsAt(level, s)} tenants with ${fillerConversations.toLocaleString('en-US')} conversations, the big tenant with ${big.toLocaleString('en-US')} ...`);
    let lastReport = performance.now();
    const loaded = await loadHistory(db, {
      fillerConversations,
      bigConversations: big,
      tenants: tenantsAt(level, s),
      now: Date.now(),
      big: bigRefs,
      template,
      demoBaseUrl,
      progress: (done, total) => {
        if (performance.now() - lastReport < 15_000) return;
        lastReport = performance.now();
        host.log(`growth: ... ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} conversations (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      },
    });
    const loadSeconds = (performance.now() - t0) / 1000;
    host.log(`growth: level ${level.toLocaleString('en-US')} loaded in ${loadSeconds.toFixed(0)} s: ${JSON.stringify(loaded.counts)}`);
    return {
      format: FORMAT,
      ferretdb,
      level,
      bigConversations: big,
      tenants: tenantsAt(level, s),
      loadedAt: new Date().toISOString(),
      loadSeconds,
      counts: loaded.counts,
      secretKeys,
      big: { ...bigRefs, apiKey: tenant.apiKey },
      fillers: loaded.fillers,
    };
  } finally {
    await client.close();
    await stopChild(host, api);
  }
}

async function runLevel(host: GrowthHost, s: GrowthSettings, level: number, external: string | undefined, ferretdb: string): Promise<LevelResult> {
  const big = bigConversationsAt(level, s);
  const name = `L${level}-B${big}-T${tenantsAt(level, s)}`;
  const servers: ManagedServer[] = [];
  const children: ChildProcess[] = [];
  let marker: Marker;
  let cached = false;
  let mongoUri: string;
  let dataDir: string | undefined;
  const work = path.join(CACHE_DIR, 'work');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    const temporal = await startTemporalServer(host, work);
    if (temporal.server) servers.push(temporal.server);
    if (external) {
      mongoUri = withDatabase(external, `parley_growth_${level}_${Date.now()}`);
      marker = await loadLevel(host, s, level, mongoUri, 'external', temporal.address);
    } else {
      const levelDir = path.join(CACHE_DIR, name);
      const markerFile = path.join(levelDir, 'marker.json');
      const existing = fs.existsSync(markerFile) ? (JSON.parse(fs.readFileSync(markerFile, 'utf8')) as Marker) : undefined;
      if (existing && !s.reload && existing.format === FORMAT && existing.ferretdb === ferretdb) {
        marker = existing;
        cached = true;
        host.log(`growth: level ${level.toLocaleString('en-US')} is loaded already (${path.relative(process.cwd(), levelDir)}, ${existing.loadedAt}); copying it ...`);
      } else {
        if (existing) host.log(`growth: level ${level.toLocaleString('en-US')} was loaded ${existing.ferretdb !== ferretdb ? `by another FerretDB build (${existing.ferretdb})` : existing.format !== FORMAT ? 'by an older generator' : 'but BENCH_GROWTH_RELOAD=1'}; loading it again`);
        fs.rmSync(levelDir, { recursive: true, force: true });
        const server = await startServer(host, path.join(levelDir, 'ferretdb'), path.join(levelDir, 'ferretdb.log'));
        try {
          marker = await loadLevel(host, s, level, server.address, ferretdb, temporal.address);
        } finally {
          await stopServer(host, server);
        }
        fs.writeFileSync(markerFile, JSON.stringify(marker, null, 2));
      }
      // Measured on a copy: the loaded level stays as it was for the next run.
      dataDir = path.join(work, 'ferretdb');
      copyDir(path.join(levelDir, 'ferretdb'), dataDir);
      const server = await startServer(host, dataDir, path.join(work, 'ferretdb.log'));
      servers.push(server);
      mongoUri = server.address;
    }

    // The rows that expire, current again.
    const client = await mongoose.mongo.MongoClient.connect(mongoUri);
    try {
      const conversations = level / MESSAGES_PER_CONVERSATION + marker.bigConversations;
      const volatile = await loadVolatile(client.db(), [...marker.fillers, ...(marker.bigConversations > 0 ? [marker.big] : [])], conversations);
      for (const [k, v] of Object.entries(volatile)) marker.counts[k] = v;
    } finally {
      await client.close();
    }

    const env = processEnv({ TEMPORAL_ADDRESS: temporal.address, MONGODB_URI: mongoUri, TASK_QUEUE: `bench-growth-${level}`, PARLEY_SECRET_KEYS: marker.secretKeys, OUTBOUND_ALLOWLIST: TENANT_ALLOWLIST });
    const apiPort = await freePort();
    host.log(`growth: level ${level.toLocaleString('en-US')}: starting the worker and the API ...`);
    const [worker, api] = await Promise.all([startChild(host, `growth worker (${level})`, 'worker/main.ts', env.worker, 'polling task queue'), startChild(host, `growth api (${level})`, 'api/main.ts', env.api(apiPort), 'listening on')]);
    children.push(worker, api);
    const ferretPid = servers.find((server) => server.address.startsWith('mongodb'))?.process.pid;
    const settleSeconds = await settle(ferretPid, s.settleSeconds);
    host.log(`growth: level ${level.toLocaleString('en-US')}: the database settled after ${settleSeconds.toFixed(0)} s; setting up the tenants ...`);

    const pids: Record<string, number | undefined> = { worker: worker.pid, api: api.pid, ferretdb: ferretPid, temporal: temporal.server?.process.pid };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
    const base = `http://127.0.0.1:${apiPort}`;
    const receiver = await startReceiver();
    const small = await signUpTenant(base, 'Small tenant', receiver.url);
    const bigAccess: TenantAccess = { headers: { 'content-type': 'application/json', authorization: `Bearer ${marker.big.apiKey}` }, botId: marker.big.botId, webhookId: marker.big.webhookId };
    const scenarios = { small: await setUpTenantScenario(base, small, receiver.url), big: await setUpTenantScenario(base, bigAccess, receiver.url) };
    // Every operation in turn, for each tenant, and all of them again in the next round (machine noise
    // then lands on every row alike); an operation that failed is not run again.
    const samples = new Map<string, { ms: number[]; error?: string }>();
    try {
      for (let round = 0; round < s.rounds; round++) {
        host.log(`growth: level ${level.toLocaleString('en-US')}: round ${round + 1} of ${s.rounds} over ${scenarios.small.ops.length} operations, both tenants ...`);
        for (let i = 0; i < scenarios.small.ops.length; i++) {
          for (const tenant of ['small', 'big'] as const) {
            const op = scenarios[tenant].ops[i]!;
            const key = `${tenant}: ${op.name}`;
            const entry = samples.get(key) ?? { ms: [] };
            samples.set(key, entry);
            if (entry.error) continue;
            entry.error = await sampleRound(op, s, round, entry.ms);
            if (entry.error) host.log(`growth: level ${level.toLocaleString('en-US')}, ${key} failed: ${entry.error}`);
          }
        }
      }
    } finally {
      await scenarios.small.close();
      await scenarios.big.close();
      await receiver.close();
    }
    const ops: Record<string, OpResult> = Object.fromEntries([...samples].map(([key, entry]) => [key, summarize(entry.ms, entry.error)]));
    const rss: Record<string, number> = {};
    for (const [k, pid] of Object.entries(pids)) if (pid !== undefined) rss[k] = rssMiB(pid);
    const cpuSeconds = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid) - cpuBefore[k]!]));
    const storedMessages = (marker.counts.messages ?? 0);
    return { level, bigConversations: marker.bigConversations, storedMessages, counts: marker.counts, loadSeconds: marker.loadSeconds, cached, dataMiB: dataDir ? dirMiB(dataDir) : null, settleSeconds, ops, rssMiB: rss, cpuSeconds };
  } finally {
    await Promise.all(children.map((child) => stopChild(host, child)));
    await Promise.all(servers.map((server) => stopServer(host, server)));
    if (!external) fs.rmSync(work, { recursive: true, force: true });
    else {
      const client = await mongoose.mongo.MongoClient.connect(mongoUri!).catch(() => undefined);
      await client?.db().dropDatabase().catch(() => undefined);
      await client?.close();
    }
  }
}

const fmtMs = (n: number): string => (Number.isNaN(n) ? '-' : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : n.toFixed(n < 10 ? 2 : 1));
const thousands = (n: number): string => n.toLocaleString('en-US');

/** One row per operation, one column per level (p50, p90, and p50 as a multiple of the first level's). */
export function formatGrowth(results: LevelResult[], s: GrowthSettings): string[] {
  if (results.length === 0) return [];
  const first = results[0]!;
  const width = 28;
  const label = 44;
  const cell = (text: string): string => text.padEnd(width);
  const lines = [
    `Data growth (scripts/bench/data-growth.ts): ${s.tenants} other tenants and one big tenant, 10 messages a conversation; each operation sequential, p50 / p90 ms (n), and the p50 as a multiple of level ${thousands(first.level)}'s`,
    `${'level: other tenants\' messages'.padEnd(label)}${results.map((r) => cell(thousands(r.level))).join('')}`,
    `${'  the big tenant\'s conversations'.padEnd(label)}${results.map((r) => cell(thousands(r.bigConversations))).join('')}`,
    `${'  messages stored, all tenants'.padEnd(label)}${results.map((r) => cell(thousands(r.storedMessages))).join('')}`,
    `${'  events / call logs / deliveries'.padEnd(label)}${results.map((r) => cell(`${thousands(r.counts.events ?? 0)} / ${thousands(r.counts.call_logs ?? 0)} / ${thousands(r.counts.webhook_deliveries ?? 0)}`)).join('')}`,
    `${'  loaded in (s; cached: loaded earlier)'.padEnd(label)}${results.map((r) => cell(`${r.loadSeconds.toFixed(0)}${r.cached ? ' (cached)' : ''}`)).join('')}`,
    `${'  database size (MiB)'.padEnd(label)}${results.map((r) => cell(r.dataMiB === null ? '-' : r.dataMiB.toFixed(0))).join('')}`,
    `${'  waited for the database to settle (s)'.padEnd(label)}${results.map((r) => cell(r.settleSeconds.toFixed(0))).join('')}`,
    '',
  ];
  const names = Object.keys(first.ops);
  for (const key of names) {
    const base = first.ops[key]!;
    const cells = results.map((r) => {
      const o = r.ops[key];
      if (!o) return cell('-');
      const ratio = r === first || Number.isNaN(base.p50) ? '' : ` ${(o.p50 / base.p50).toFixed(2)}x`;
      return cell(`${fmtMs(o.p50)} / ${fmtMs(o.p90)} (${o.n})${ratio}${o.error ? ' ERROR' : ''}`);
    });
    lines.push(`${key.padEnd(label)}${cells.join('')}`);
  }
  lines.push('');
  for (const p of Object.keys(first.rssMiB)) {
    lines.push(`${`RSS MiB, ${p}`.padEnd(label)}${results.map((r) => cell((r.rssMiB[p] ?? NaN).toFixed(0))).join('')}`);
  }
  for (const p of Object.keys(first.cpuSeconds)) {
    lines.push(`${`CPU s while measured, ${p}`.padEnd(label)}${results.map((r) => cell((r.cpuSeconds[p] ?? NaN).toFixed(1))).join('')}`);
  }
  const newest = 'list conversations, newest page';
  lines.push(
    `${'big tenant\'s newest page / small tenant\'s'.padEnd(label)}${results.map((r) => cell(`${((r.ops[`big: ${newest}`]?.p50 ?? NaN) / (r.ops[`small: ${newest}`]?.p50 ?? NaN)).toFixed(2)}x`)).join('')}`,
  );
  const errors = results.flatMap((r) => Object.entries(r.ops).filter(([, o]) => o.error).map(([k, o]) => `  level ${thousands(r.level)}, ${k}: ${o.error}`));
  if (errors.length > 0) lines.push('', 'Failed operations (their figures are from the samples before the failure):', ...errors);
  lines.push('', `Goal (issue 18): every row <= 1.5x its empty-database p50 at 1,000,000 messages, and the big tenant's newest page as fast as a small tenant's.`);
  return lines;
}
