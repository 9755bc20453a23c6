/**
 * `npm run bench`: Parley's turn latency (POST a visitor message -> the bot's replies, through the HTTP
 * API, the Temporal Update and the transcript write) beside the engine floor (a bare Temporal Update on
 * an empty workflow) measured on the same server in the same run, at each concurrency. Two kinds of
 * turn: one the bot answers with its fallback (a bot with no flows), and a guided-flow turn, where every
 * message is a step of a booking flow whose answer is validated and normalized (text, date, time,
 * email, choice).
 *
 * And the connector scenario: a turn whose flow makes one call to a tenant API (the demo booking API,
 * served by this process on 127.0.0.1), beside the same request sent directly with axios from this
 * process. The turn with the call less the plain turn is what the call path (the action's own run,
 * started eagerly, making the call as a local activity) adds to a turn, set beside what the direct call costs.
 *
 * And Smart AI (scripts/bench/ai-turn.ts): a bot whose model (the tests' scripted OpenAI-compatible
 * server, test/llm-server.ts, served by this process on 127.0.0.1, about a millisecond a request) calls
 * one tool, the demo API's availability action, and answers from its result: a turn is two model round
 * trips (each a completeChat activity), one action run (actionRunWorkflow) calling the demo API, and an interim
 * reply written before the call. Beside it, a turn the model answers directly (one round trip). The
 * model is local and instant, so these measure what Parley adds around a model, not a model.
 *
 * Phases alternate (floor, turns, flow turns, direct calls, turns with a call, AI turns with a tool, AI
 * turns without, floor, ...) over several rounds so that machine noise lands on every side alike.
 * Everything runs on this machine: a Temporal dev server and FerretDB started here (or
 * BENCH_TEMPORAL_ADDRESS / BENCH_MONGODB_URI), the worker, the floor worker and the API as their own
 * processes, and the load generator (with the demo APIs and the scripted model) in this one.
 *
 * The bench's API waits up to 120 s for a turn's replies (REPLY_WAIT_MS; the default is 10 s, past which
 * a message POST is answered 202 and the replies come later), so every turn is measured to its replies;
 * operations slower than 10 s are counted apart in the output.
 *
 * And many live conversations (scripts/bench/live.ts): plain turns and process memory with 0 to 1,000
 * conversations open at once.
 *
 * And sizing (scripts/bench/sizing.ts, phase `sizing`): turns per worker CPU-second for a plain and a guided-flow
 * turn with the worker pinned to one CPU, every process's CPU per turn, and (with BENCH_LIVE) memory per
 * 1,000 open conversations; the figures of the README's "Running in production". BENCH_PHASES=sizing
 * measures only that and the live levels (BENCH_LIVE="" skips those).
 *
 * And data growth (scripts/bench/data-growth.ts, phase `growth`): every kind of request, for a small
 * tenant and a big one, with 0 to 1,000,000 messages of other tenants stored (BENCH_GROWTH_LEVELS), each
 * level on its own database, worker and API. BENCH_PHASES=growth runs it alone.
 *
 * Settings (environment): BENCH_CONCURRENCY="1,20", BENCH_SECONDS=5 (per phase), BENCH_ROUNDS=2,
 * BENCH_LIVE="0,250,500,1000" (live-conversation levels; empty to skip), BENCH_PHASES (say
 * "call,direct" to measure only those beside the floor and the plain turn; all by default).
 */
import { Client, Connection } from '@temporalio/client';
import { sdkConnectionOptions, temporalConnectionFromEnv } from '../models/temporal-connection';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setUpAiTurnScenario, type AiTurnScenario } from './bench/ai-turn';
import { setUpApiCallScenario, type ApiCallScenario } from './bench/api-call';
import { setUpLongRunningScenario, type LongRunningScenario } from './bench/long-running';
import { formatLiveTable, liveLevels, openConversations, rssMiB, type LiveLevel } from './bench/live';
import { runGrowthPhase, type GrowthHost } from './bench/data-growth';
import { formatSizing, runSizing, sizingSettings, type SizingReport } from './bench/sizing';
import { processCpuMs } from './bench/sizing-figures';
import { floorWorkflow, pingUpdate, stopSignal } from './bench/floor-workflow';
import { SecretBox } from '../models/secret-box';
import { freePort, ROOT, startFerretDb, startTemporal, type ManagedServer } from './lib/infra';
import { TENANT_ALLOWLIST } from '../test/tenant-ports';

const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,20').split(',').map(Number);
const phaseSeconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
/** The API's reply wait in the bench, far above its default (DEFAULT_REPLY_WAIT_MS) so every turn's reply is measured. */
const BENCH_REPLY_WAIT_MS = 120_000;
const DEFAULT_REPLY_WAIT_MS = 10_000;

/**
 * The measured phases: the engine floor, a turn the bot answers with its fallback, a guided-flow turn, a
 * direct axios call to the demo API (the connector baseline), a turn whose flow calls that API once, a
 * Smart AI turn whose model calls that API once as a tool, and a Smart AI turn answered without a tool;
 * then a conversation's start with a first message the bot answers, beside a start whose first message
 * hands off to a person (issue 20: the handoff settings read, the SLA clocks started, the conversation's
 * inbox fields written, the account's inbox dispatcher signalled; nobody online, so it waits in the queue);
 * and long-running calls (issue 21, scripts/bench/long-running.ts): a start whose first message runs an
 * action that then waits for a callback (the visitor hears it is under way), and the callback that resumes
 * it, from its POST to the flow's reply in the transcript.
 */
const KINDS = ['floor', 'turn', 'flow', 'direct', 'call', 'ai', 'aiText', 'start', 'handoff', 'wait', 'resume'] as const;
type Kind = (typeof KINDS)[number];
/**
 * BENCH_PHASES="floor,turn,call": measure only these phases (the floor and the plain turn are always kept,
 * for the ratios). `growth` and `sizing` are modes of their own: named alone, no phase above is measured.
 */
const phases = new Set<Kind>(KINDS);
const named = (process.env.BENCH_PHASES ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
/** The sizing phase (scripts/bench/sizing.ts), after the phases above and before the live levels. */
const sizingPhase = named.length === 0 || named.includes('sizing');
/** The data-growth phase (scripts/bench/data-growth.ts) runs on a stack of its own; alone, nothing else is measured. */
const growthPhase = !process.env.BENCH_PHASES || process.env.BENCH_PHASES.split(',').some((k) => k.trim() === 'growth');
const growthOnly = growthPhase && !!process.env.BENCH_PHASES && process.env.BENCH_PHASES.split(',').every((k) => k.trim() === 'growth');
if (named.length > 0) {
  const latency = named.filter((k) => k !== 'growth' && k !== 'sizing');
  const unknown = latency.filter((k) => !(KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown phase ${unknown.join(', ')} (phases: ${KINDS.join(', ')}, growth, sizing)`);
  phases.clear();
  if (latency.length > 0 || !sizingPhase) for (const kind of ['floor', 'turn', ...latency] as Kind[]) phases.add(kind);
}

/**
 * The guided-flow bot's one flow. No ask skips a known variable (skipIfKnown: false), so every pass asks
 * every question again and each message in FLOW_SCRIPT is an answer the interpreter validates, stores
 * and follows with the next prompt.
 */
const benchFlow = {
  id: 'booking',
  name: 'Book an appointment',
  trigger: { keywords: ['book'] },
  startBlockId: 'ask_name',
  blocks: [
    { id: 'ask_name', type: 'ask', question: 'What is your name?', variable: 'name', answer: { type: 'text', minLength: 2, maxLength: 100 }, skipIfKnown: false, next: 'ask_date' },
    { id: 'ask_date', type: 'ask', question: 'Which day, {{name}}?', variable: 'date', answer: { type: 'date', allowPast: false }, skipIfKnown: false, next: 'ask_time' },
    { id: 'ask_time', type: 'ask', question: 'What time?', variable: 'time', answer: { type: 'time' }, skipIfKnown: false, next: 'ask_email' },
    { id: 'ask_email', type: 'ask', question: 'Your email?', variable: 'email', answer: { type: 'email' }, skipIfKnown: false, next: 'confirm' },
    {
      id: 'confirm',
      type: 'choice',
      text: 'Book {{date}} at {{time}} for {{name}} ({{email}})?',
      variable: 'confirmed',
      options: [
        { label: 'Yes, book it', value: 'yes', synonyms: ['yes'], next: 'done' },
        { label: 'No', value: 'no', synonyms: ['no'], next: 'not_booked' },
      ],
    },
    { id: 'done', type: 'end', text: 'Booked {{date}} at {{time}} for {{name}}.' },
    { id: 'not_booked', type: 'end', text: 'Nothing was booked.' },
  ],
};

/** What each caller says, in turn and cycling, and the one reply each message must get. */
const FLOW_SCRIPT: { say: string; expect: RegExp }[] = [
  { say: 'book', expect: /^What is your name\?$/ },
  { say: 'Ada', expect: /^Which day, Ada\?$/ },
  { say: 'tomorrow', expect: /^What time\?$/ },
  { say: '2pm', expect: /^Your email\?$/ },
  { say: 'Ada@Example.com', expect: /^Book \d{4}-\d{2}-\d{2} at 14:00 for Ada \(ada@example\.com\)\?\n1\. Yes, book it\n2\. No$/ },
  { say: 'yes', expect: /^Booked \d{4}-\d{2}-\d{2} at 14:00 for Ada\.$/ },
];

interface Sample {
  latenciesMs: number[];
  ops: number;
  seconds: number;
  /** CPU milliseconds each process spent during the phase. */
  cpuMs: Record<string, number>;
}

/** Processes whose CPU time is accounted per phase (Linux /proc), to show where a turn's time goes. */
const watched = new Map<string, number>();

function cpuTimes(): Record<string, number> {
  const times: Record<string, number> = {};
  for (const [name, pid] of watched) {
    try {
      times[name] = processCpuMs({ stat: fs.readFileSync(`/proc/${pid}/stat`, 'utf8') });
    } catch {
      // not Linux, or the process is gone: no accounting for it
    }
  }
  return times;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

function summarize(samples: Sample[]) {
  const all = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const ops = samples.reduce((n, s) => n + s.ops, 0);
  const seconds = samples.reduce((n, s) => n + s.seconds, 0);
  const cpuMsPerOp: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.cpuMs)) cpuMsPerOp[k] = (cpuMsPerOp[k] ?? 0) + v / ops;
  return { n: all.length, p50: percentile(all, 50), p95: percentile(all, 95), p99: percentile(all, 99), perSecond: ops / seconds, cpuMsPerOp };
}

/** Runs `op` in `concurrency` loops for `seconds`, after a short warm-up that is not recorded. */
async function load(concurrency: number, seconds: number, op: (loop: number) => Promise<void>): Promise<Sample> {
  const warmupUntil = Date.now() + 500;
  while (Date.now() < warmupUntil) await Promise.all(Array.from({ length: concurrency }, (_, i) => op(i)));
  const latenciesMs: number[] = [];
  const cpuBefore = cpuTimes();
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op(i);
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  const cpuAfter = cpuTimes();
  const cpuMs = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k]! - (cpuBefore[k] ?? 0)]));
  return { latenciesMs, ops: latenciesMs.length, seconds: (performance.now() - started) / 1000, cpuMs };
}

function startProcess(name: string, script: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  // BENCH_PROFILE=1 writes a V8 CPU profile of each process to .data/bench/profiles (open in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, '.data', 'bench', 'profiles', name.replace(/\W/g, '-'))}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(ready)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${stderr.slice(-2000)}`)));
  });
}

async function json(res: Response): Promise<any> {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

async function main(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  const servers: ManagedServer[] = [];
  const children: ChildProcess[] = [];
  let apiCalls: ApiCallScenario | undefined;
  let aiTurns: AiTurnScenario | undefined;
  let longRunningCalls: LongRunningScenario | undefined;
  const cleanup = async (): Promise<void> => {
    await apiCalls?.close();
    await longRunningCalls?.close();
    await aiTurns?.close();
    await Promise.all(
      children.map((child) => (child.exitCode === null ? new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }) : undefined)),
    );
    await Promise.all(servers.map((s) => s.stop()));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    // Data growth starts a stack of its own per level (scripts/bench/data-growth.ts).
    const growthHost: GrowthHost = { startProcess, log, children, servers };
    if (growthOnly) {
      console.log(['', ...(await runGrowthPhase(growthHost)).lines].join('\n'));
      await cleanup();
      process.exit(0);
    }
    const temporalAddress =
      process.env.BENCH_TEMPORAL_ADDRESS ??
      (await (async () => {
        const server = await startTemporal({ port: await freePort(), dbFile: path.join(workDir, 'temporal.db'), logFile: path.join(workDir, 'temporal.log') });
        servers.push(server);
        return server.address;
      })());
    const mongoUri =
      process.env.BENCH_MONGODB_URI ??
      (await (async () => {
        const server = await startFerretDb({ port: await freePort(), dataDir: path.join(workDir, 'ferretdb'), logFile: path.join(workDir, 'ferretdb.log') });
        servers.push(server);
        return `${server.address}_bench_${Date.now()}`;
      })());

    const apiPort = await freePort();
    // PUBLIC_URL: the callback URLs of long-running calls point at the bench's API.
    const common = { TEMPORAL_ADDRESS: temporalAddress, MONGODB_URI: mongoUri, TASK_QUEUE: 'bench-parley', PARLEY_SECRET_KEYS: SecretBox.generateKey('bench'), OUTBOUND_ALLOWLIST: TENANT_ALLOWLIST, PUBLIC_URL: `http://127.0.0.1:${apiPort}` };
    log(`servers up (Temporal ${temporalAddress}); starting worker, floor worker and API processes ...`);
    children.push(
      ...(await Promise.all([
        // The scenarios' tenant API and model server are on loopback: allowlisted by their port range.
        startProcess('worker', 'worker/main.ts', common, 'polling task queue'),
        startProcess('floor worker', 'scripts/bench/floor-worker.ts', { TEMPORAL_ADDRESS: temporalAddress, TASK_QUEUE: 'bench-floor' }, 'polling task queue'),
        // A turn slower than the API's reply wait would be answered 202 (replies later) and not measured:
        // the bench waits for every reply, and counts the turns past the default wait apart.
        startProcess('api', 'api/main.ts', { ...common, PORT: String(apiPort), HOST: '127.0.0.1', REPLY_WAIT_MS: String(BENCH_REPLY_WAIT_MS), RATE_LIMIT_PER_MINUTE: '100000000', MESSAGE_RATE_LIMIT_PER_MINUTE: '100000000' }, 'listening on'),
      ])),
    );
    for (const [name, child] of [['worker', children[0]], ['floor-worker', children[1]], ['api', children[2]]] as const) watched.set(name, child!.pid!);
    for (const server of servers) watched.set(server.address.startsWith('mongodb') ? 'ferretdb' : 'temporal', server.process.pid!);
    watched.set('load generator', process.pid);
    const base = `http://127.0.0.1:${apiPort}`;
    // BENCH_TEMPORAL_ADDRESS may be a secured server: TEMPORAL_TLS_* / TEMPORAL_API_KEY* apply here and in every child (they inherit them).
    const client = new Client({ connection: await Connection.connect(sdkConnectionOptions(temporalConnectionFromEnv(process.env, { address: temporalAddress }))) });

    // A tenant with a published bot, and one conversation per concurrent caller.
    const signup = await json(await fetch(`${base}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Bench', email: `bench-${Date.now()}@example.com`, password: 'bench-password-123' }) }));
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${signup.apiKey.key}` };
    const bot = await json(await fetch(`${base}/v1/bots`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench bot' }) }));
    await json(await fetch(`${base}/v1/bots/${bot.bot.id}/publish`, { method: 'POST', headers }));

    const maxConcurrency = Math.max(...concurrencies);
    /** Conversations of each kind, one per caller: the sizing phase may drive more callers than the phases. */
    const callers = Math.max(maxConcurrency, sizingPhase ? sizingSettings.concurrency : 0);
    const startLatencies: number[] = [];
    const conversationIds: string[] = [];
    for (let i = 0; i < callers; i++) {
      const t0 = performance.now();
      const started = await json(await fetch(`${base}/v1/conversations`, { method: 'POST', headers, body: JSON.stringify({ botId: bot.bot.id, externalUserId: `bench-${i}`, message: { type: 'text', text: 'hello' } }) }));
      startLatencies.push(performance.now() - t0);
      conversationIds.push(started.conversation.id);
    }

    // A second bot whose published flow turns every visitor message into a validated flow step. Each
    // caller walks FLOW_SCRIPT in its own conversation, round and round.
    const flowBot = await json(await fetch(`${base}/v1/bots`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench flow bot' }) }));
    await json(await fetch(`${base}/v1/bots/${flowBot.bot.id}/flows`, { method: 'PUT', headers, body: JSON.stringify({ flows: [benchFlow] }) }));
    await json(await fetch(`${base}/v1/bots/${flowBot.bot.id}/publish`, { method: 'POST', headers }));
    const flowConversationIds: string[] = [];
    for (let i = 0; i < callers; i++) {
      const started = await json(await fetch(`${base}/v1/conversations`, { method: 'POST', headers, body: JSON.stringify({ botId: flowBot.bot.id, externalUserId: `bench-flow-${i}` }) }));
      flowConversationIds.push(started.conversation.id);
    }
    /** Where each caller is in FLOW_SCRIPT. */
    const flowSteps = new Array<number>(callers).fill(0);

    // The connector scenario: the demo API in this process, and a bot whose every turn calls it once.
    apiCalls = await setUpApiCallScenario({ base, headers, callers: maxConcurrency });
    const sameHeaders = JSON.stringify(Object.entries(apiCalls.headers.direct).sort()) === JSON.stringify(Object.entries(apiCalls.headers.callPath).sort());
    if (sameHeaders) log(`demo API up; the direct call sends the call path's request headers (${Object.keys(apiCalls.headers.direct).sort().join(', ')})`);
    else log(`demo API up; WARNING: request headers differ, call path ${JSON.stringify(apiCalls.headers.callPath)} vs direct ${JSON.stringify(apiCalls.headers.direct)}`);
    const scenario = apiCalls;

    // Smart AI: the scripted model and a demo API in this process, and two bots with Smart AI on.
    aiTurns = await setUpAiTurnScenario({ base, headers, callers: maxConcurrency });
    const ai = aiTurns;
    log('scripted model up; Smart AI turns checked (two model requests and one API call per turn with a tool, one model request without)');

    const floorHandles = await Promise.all(
      Array.from({ length: maxConcurrency }, (_, i) => client.workflow.start(floorWorkflow, { taskQueue: 'bench-floor', workflowId: `bench-floor-${Date.now()}-${i}` })),
    );

    let counter = 0;
    const floorOp = async (loop: number): Promise<void> => {
      await floorHandles[loop]!.executeUpdate(pingUpdate, { args: ['ping'] });
    };
    const turnOp = async (loop: number): Promise<void> => {
      const res = await fetch(`${base}/v1/conversations/${conversationIds[loop]}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ message: { type: 'text', text: `message ${counter++}` } }),
      });
      if (res.status !== 200) throw new Error(`turn answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const flowOp = async (loop: number): Promise<void> => {
      const step = FLOW_SCRIPT[flowSteps[loop]! % FLOW_SCRIPT.length]!;
      const res = await fetch(`${base}/v1/conversations/${flowConversationIds[loop]}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ message: { type: 'text', text: step.say } }),
      });
      if (res.status !== 200) throw new Error(`flow turn "${step.say}" answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { replies?: { text?: string }[] };
      const texts = (body.replies ?? []).map((r) => r.text ?? '');
      // Exactly the next prompt: an invalid answer would get a reason and the question again.
      if (texts.length !== 1 || !step.expect.test(texts[0]!)) {
        throw new Error(`flow turn "${step.say}" (conversation ${flowConversationIds[loop]}) expected one reply matching ${step.expect}, got ${JSON.stringify(texts)}`);
      }
      flowSteps[loop]! += 1;
    };

    const results = new Map<number, Record<Kind, Sample[]>>();
    // Starts: a plain one (the fallback bot) and one that hands off (a flow bot with an SLA policy).
    const handoffBot = await json(await fetch(`${base}/v1/bots`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench handoff bot' }) }));
    const handoffFlow = { id: 'human', name: 'Talk to a person', trigger: { keywords: ['human'] }, startBlockId: 'handoff', blocks: [{ id: 'handoff', type: 'handoff', text: 'Connecting you to a colleague.' }] };
    await json(await fetch(`${base}/v1/bots/${handoffBot.bot.id}/flows`, { method: 'PUT', headers, body: JSON.stringify({ flows: [handoffFlow] }) }));
    await json(await fetch(`${base}/v1/bots/${handoffBot.bot.id}/handoff`, { method: 'PUT', headers, body: JSON.stringify({ sla: { firstResponseMinutes: 30, nextResponseMinutes: 10, resolutionMinutes: 240 } }) }));
    await json(await fetch(`${base}/v1/bots/${handoffBot.bot.id}/publish`, { method: 'POST', headers }));
    let starts = 0;
    const startWith = (botId: string, text: string) => async (): Promise<string> => {
      const res = await fetch(`${base}/v1/conversations`, { method: 'POST', headers, body: JSON.stringify({ botId, externalUserId: `bench-start-${starts++}`, message: { type: 'text', text } }) });
      if (res.status !== 201) throw new Error(`start answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { conversation: { id: string } }).conversation.id;
    };
    const plainStart = startWith(bot.bot.id, 'hello');
    const handoffStart = startWith(handoffBot.bot.id, 'human please');
    const plainStartOp = async (): Promise<void> => void (await plainStart());
    const handoffStartOp = async (): Promise<void> => void (await handoffStart());
    // Checked once, outside the timed phases: the start hands off and its SLA clocks run.
    const checked = await json(await fetch(`${base}/v1/conversations/${await handoffStart()}`, { headers }));
    if (checked.conversation.status !== 'handoff') throw new Error(`the handoff start left the conversation ${checked.conversation.status}`);
    const inbox = await json(await fetch(`${base}/v1/inbox?limit=1`, { headers }));
    if (inbox.waiting[0]?.sla?.state !== 'running') throw new Error(`the handoff's SLA clocks are not running: ${JSON.stringify(inbox.waiting[0])}`);

    const longRunning = await setUpLongRunningScenario({ base, headers });
    longRunningCalls = longRunning;
    for (const c of concurrencies) results.set(c, { floor: [], turn: [], flow: [], direct: [], call: [], ai: [], aiText: [], start: [], handoff: [], wait: [], resume: [] });
    for (let round = 1; round <= rounds; round++) {
      for (const c of concurrencies) {
        const measured: { kind: Kind; what: string; run: () => Promise<Sample> }[] = [
          { kind: 'floor', what: 'floor', run: () => load(c, phaseSeconds, floorOp) },
          { kind: 'turn', what: 'turns', run: () => load(c, phaseSeconds, turnOp) },
          { kind: 'flow', what: 'guided flow turns', run: () => load(c, phaseSeconds, flowOp) },
          { kind: 'direct', what: 'direct axios calls to the demo API', run: () => scenario.phase(() => load(c, phaseSeconds, scenario.directOp)) },
          { kind: 'call', what: 'turns with one API call', run: () => scenario.phase(() => load(c, phaseSeconds, scenario.callTurnOp)) },
          { kind: 'ai', what: 'Smart AI turns with one tool call', run: () => ai.phase('tool', () => load(c, phaseSeconds, ai.toolTurnOp)) },
          { kind: 'aiText', what: 'Smart AI turns without a tool', run: () => ai.phase('text', () => load(c, phaseSeconds, ai.textTurnOp)) },
          { kind: 'start', what: 'starts with a first message', run: () => load(c, phaseSeconds, plainStartOp) },
          { kind: 'handoff', what: 'starts that hand off', run: () => load(c, phaseSeconds, handoffStartOp) },
          { kind: 'wait', what: 'starts whose call waits for a callback', run: () => load(c, phaseSeconds, longRunning.waitOp) },
          {
            kind: 'resume',
            what: 'callbacks, to the flow going on',
            run: async () => {
              // Enough calls waiting for the whole phase (a resume takes one each), started untimed.
              await longRunning.fill(40 + phaseSeconds * 12 * c, c);
              const sample = await load(c, phaseSeconds, longRunning.resumeOp);
              if (longRunning.fallbacks() > 0) log(`WARNING: ${longRunning.fallbacks()} resumes found no waiting call and started one (their time includes it)`);
              return sample;
            },
          },
        ];
        for (const { kind, what, run } of measured) {
          if (!phases.has(kind)) continue;
          log(`round ${round}/${rounds}, ${c} concurrent: ${what} ...`);
          results.get(c)![kind].push(await run());
        }
      }
    }
    await Promise.all(floorHandles.map((h) => h.signal(stopSignal)));

    // Sizing (scripts/bench/sizing.ts): the worker pinned to one CPU, the plain and the flow turn driven to
    // as many turns per second as the machine gives, CPU per turn of every process.
    let sizing: SizingReport | undefined;
    if (sizingPhase) {
      const kinds = [
        { kind: 'turn', what: 'plain turn', op: turnOp },
        { kind: 'flow', what: 'guided flow turn', op: flowOp },
      ];
      sizing = await runSizing({ kinds, workerPid: watched.get('worker')!, rounds, cpuTimes, log, cpus: os.cpus().length });
    }

    // Many live conversations (scripts/bench/live.ts): open more and more, and measure the same plain
    // turns and each process's memory at each level.
    const liveResults: LiveLevel[] = [];
    let opened = 0;
    for (const level of liveLevels()) {
      log(`live conversations: opening ${level - opened} more (to ${level}) ...`);
      const opensPerSecond = await openConversations(level - opened, 10, async (i) => {
        await json(await fetch(`${base}/v1/conversations`, { method: 'POST', headers, body: JSON.stringify({ botId: bot.bot.id, externalUserId: `live-${opened + i}` }) }));
      });
      opened = Math.max(opened, level);
      const turnP50Ms: Record<number, number> = {};
      let cpuMsPerTurn: Record<string, number> = {};
      for (const c of concurrencies) {
        log(`live conversations: ${level} open, ${c} concurrent turns ...`);
        const summary = summarize([await load(c, phaseSeconds, turnOp)]);
        turnP50Ms[c] = summary.p50;
        cpuMsPerTurn = summary.cpuMsPerOp; // the last (highest) concurrency's
      }
      const rss: Record<string, number> = {};
      for (const name of ['worker', 'api', 'temporal', 'ferretdb']) if (watched.has(name)) rss[name] = rssMiB(watched.get(name)!);
      liveResults.push({ live: level, opensPerSecond, rssMiB: rss, turnP50Ms, cpuMsPerTurn });
    }

    const growth = growthPhase ? await runGrowthPhase(growthHost) : undefined;

    const fmt = (n: number): string => n.toFixed(1).padStart(8);
    const lines = [
      '',
      `Parley bench: ${rounds} rounds x ${phaseSeconds} s per phase, ${os.cpus().length} CPUs, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`,
      `conversation start with a first message (update-with-start), sequential: p50 ${percentile([...startLatencies].sort((a, b) => a - b), 50).toFixed(1)} ms over ${startLatencies.length}`,
    ];
    const report: Record<string, unknown> = { rounds, phaseSeconds, cpus: os.cpus().length, node: process.version, results: {} };
    // Only sizing (and the live levels): no latency phase to tabulate.
    const latencyPhases = phases.size > 0;
    if (latencyPhases) lines.push('', 'concurrency  what                      n      p50 ms   p95 ms   p99 ms    ops/s   p50 ratio');
    const callPathLines: string[] = [];
    const aiLines: string[] = [];
    for (const c of latencyPhases ? concurrencies : []) {
      const floor = summarize(results.get(c)!.floor);
      const turn = summarize(results.get(c)!.turn);
      const flow = summarize(results.get(c)!.flow);
      const direct = summarize(results.get(c)!.direct);
      const call = summarize(results.get(c)!.call);
      const aiTool = summarize(results.get(c)!.ai);
      const aiText = summarize(results.get(c)!.aiText);
      const start = summarize(results.get(c)!.start);
      const handoff = summarize(results.get(c)!.handoff);
      const wait = summarize(results.get(c)!.wait);
      const resume = summarize(results.get(c)!.resume);
      const ratio = turn.p50 / floor.p50;
      const flowRatio = flow.p50 / floor.p50;
      const callRatio = call.p50 / floor.p50;
      const aiRatio = aiTool.p50 / floor.p50;
      const aiTextRatio = aiText.p50 / floor.p50;
      lines.push(`${String(c).padStart(11)}  engine floor (bare Update) ${String(floor.n).padStart(6)} ${fmt(floor.p50)} ${fmt(floor.p95)} ${fmt(floor.p99)} ${fmt(floor.perSecond)}`);
      lines.push(`${String(c).padStart(11)}  Parley turn (HTTP API)     ${String(turn.n).padStart(6)} ${fmt(turn.p50)} ${fmt(turn.p95)} ${fmt(turn.p99)} ${fmt(turn.perSecond)}   ${ratio.toFixed(2)}x`);
      lines.push(`${String(c).padStart(11)}  Parley guided flow turn    ${String(flow.n).padStart(6)} ${fmt(flow.p50)} ${fmt(flow.p95)} ${fmt(flow.p99)} ${fmt(flow.perSecond)}   ${flowRatio.toFixed(2)}x`);
      lines.push(`${String(c).padStart(11)}  direct axios (no Parley)   ${String(direct.n).padStart(6)} ${fmt(direct.p50)} ${fmt(direct.p95)} ${fmt(direct.p99)} ${fmt(direct.perSecond)}`);
      lines.push(`${String(c).padStart(11)}  Parley turn + 1 API call   ${String(call.n).padStart(6)} ${fmt(call.p50)} ${fmt(call.p95)} ${fmt(call.p99)} ${fmt(call.perSecond)}   ${callRatio.toFixed(2)}x`);
      lines.push(`${String(c).padStart(11)}  AI turn + 1 tool call      ${String(aiTool.n).padStart(6)} ${fmt(aiTool.p50)} ${fmt(aiTool.p95)} ${fmt(aiTool.p99)} ${fmt(aiTool.perSecond)}   ${aiRatio.toFixed(2)}x`);
      lines.push(`${String(c).padStart(11)}  AI turn without tool       ${String(aiText.n).padStart(6)} ${fmt(aiText.p50)} ${fmt(aiText.p95)} ${fmt(aiText.p99)} ${fmt(aiText.perSecond)}   ${aiTextRatio.toFixed(2)}x`);
      lines.push(`${String(c).padStart(11)}  start + first message      ${String(start.n).padStart(6)} ${fmt(start.p50)} ${fmt(start.p95)} ${fmt(start.p99)} ${fmt(start.perSecond)}   ${(start.p50 / floor.p50).toFixed(2)}x`);
      lines.push(`${String(c).padStart(11)}  start that hands off (SLA) ${String(handoff.n).padStart(6)} ${fmt(handoff.p50)} ${fmt(handoff.p95)} ${fmt(handoff.p99)} ${fmt(handoff.perSecond)}   ${(handoff.p50 / floor.p50).toFixed(2)}x  (${(handoff.p50 / start.p50).toFixed(2)}x a plain start)`);
      lines.push(`${String(c).padStart(11)}  start whose call waits     ${String(wait.n).padStart(6)} ${fmt(wait.p50)} ${fmt(wait.p95)} ${fmt(wait.p99)} ${fmt(wait.perSecond)}   ${(wait.p50 / floor.p50).toFixed(2)}x  (${(wait.p50 / start.p50).toFixed(2)}x a plain start)`);
      lines.push(`${String(c).padStart(11)}  callback -> flow's reply   ${String(resume.n).padStart(6)} ${fmt(resume.p50)} ${fmt(resume.p95)} ${fmt(resume.p99)} ${fmt(resume.perSecond)}   ${(resume.p50 / floor.p50).toFixed(2)}x  (${(resume.p50 / turn.p50).toFixed(2)}x a plain turn)`);

      // What the call path adds to a turn: the turn with a call less the plain turn, both p50, set
      // against the same request sent directly.
      const addedMs = call.p50 - turn.p50;
      // (The floor worker is idle in both phases; its background CPU over few ops is noise, not the call.)
      const addedCpuMsPerTurn = Object.fromEntries(
        Object.entries(call.cpuMsPerOp)
          .filter(([k]) => k !== 'floor-worker')
          .map(([k, v]) => [k, v - (turn.cpuMsPerOp[k] ?? 0)]),
      );
      const callPath = {
        directP50Ms: direct.p50,
        callTurnP50Ms: call.p50,
        plainTurnP50Ms: turn.p50,
        addedP50Ms: addedMs,
        addedOverDirect: addedMs / direct.p50,
        callTurnOverDirect: call.p50 / direct.p50,
        callTurnOverFloor: callRatio,
        addedCpuMsPerTurn,
      };
      const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
      const cpuParts = Object.entries(addedCpuMsPerTurn).filter(([, v]) => Math.abs(v) >= 0.05).map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
      const directCpu = Object.values(direct.cpuMsPerOp).reduce((a, b) => a + b, 0);
      callPathLines.push(
        `${String(c).padStart(3)} concurrent: direct axios p50 ${ms(direct.p50)}; Parley turn with one call p50 ${ms(call.p50)} vs plain turn ${ms(turn.p50)}`,
        `                → the call adds ${ms(addedMs)} (starting the action run and its local activity), ${callPath.addedOverDirect.toFixed(1)}x the direct call;`,
        `                  the whole turn with the call is ${callPath.callTurnOverDirect.toFixed(1)}x the direct call, ${callRatio.toFixed(2)}x the engine floor`,
        `                  CPU ms the call adds per turn: ${cpuParts.join(', ')} (a direct call: ${directCpu.toFixed(2)}, client and demo API)`,
      );

      // Smart AI: what a model round trip adds to a plain turn (the AI turn without a tool less the plain
      // turn), and what the tool call adds to that (the AI turn with a tool less the one without: a second
      // model round trip, the child workflow and its activity, the interim reply's transcript write).
      const cpuDelta = (a: Record<string, number>, b: Record<string, number>): string =>
        Object.entries(a)
          .filter(([k]) => k !== 'floor-worker')
          .map(([k, v]) => [k, v - (b[k] ?? 0)] as const)
          .filter(([, v]) => Math.abs(v) >= 0.05)
          .map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toFixed(2)}`)
          .join(', ');
      const aiPath = {
        aiToolP50Ms: aiTool.p50,
        aiTextP50Ms: aiText.p50,
        plainTurnP50Ms: turn.p50,
        modelRoundTripAddsP50Ms: aiText.p50 - turn.p50,
        toolCallAddsP50Ms: aiTool.p50 - aiText.p50,
        aiToolOverFloor: aiRatio,
        aiTextOverFloor: aiTextRatio,
      };
      aiLines.push(
        `${String(c).padStart(3)} concurrent: AI turn + 1 tool call p50 ${ms(aiTool.p50)}, AI turn without tool ${ms(aiText.p50)}, plain turn ${ms(turn.p50)}, turn + 1 API call (flow) ${ms(call.p50)}`,
        `                → one model round trip adds ${ms(aiPath.modelRoundTripAddsP50Ms)} to a plain turn; the tool call (+ the second round trip) adds ${ms(aiPath.toolCallAddsP50Ms)} more`,
        `                  CPU ms per turn, AI without tool less plain turn: ${cpuDelta(aiText.cpuMsPerOp, turn.cpuMsPerOp)}`,
        `                  CPU ms per turn, AI with tool less AI without:    ${cpuDelta(aiTool.cpuMsPerOp, aiText.cpuMsPerOp)}`,
      );
      (report.results as Record<string, unknown>)[c] = {
        floor,
        turn,
        flow,
        direct,
        call,
        ai: aiTool,
        aiText,
        start,
        handoff,
        handoffOverStart: handoff.p50 / start.p50,
        wait,
        resume,
        waitOverStart: wait.p50 / start.p50,
        resumeOverTurn: resume.p50 / turn.p50,
        p50Ratio: ratio,
        flowP50Ratio: flowRatio,
        callP50Ratio: callRatio,
        aiP50Ratio: aiRatio,
        aiTextP50Ratio: aiTextRatio,
        callPath,
        aiPath,
      };
    }
    const slow: string[] = [];
    for (const c of concurrencies) {
      for (const kind of KINDS) {
        const latencies = results.get(c)![kind].flatMap((s) => s.latenciesMs);
        const over = latencies.filter((ms) => ms > DEFAULT_REPLY_WAIT_MS).length;
        if (over > 0) slow.push(`${String(c).padStart(11)}  ${kind.padEnd(6)} ${over} of ${latencies.length} took longer`);
      }
    }
    if (slow.length > 0) {
      lines.push('', `Operations slower than the API's default reply wait (${DEFAULT_REPLY_WAIT_MS / 1000} s; a message POST would have been answered 202 and its replies delivered later; the bench API waits ${BENCH_REPLY_WAIT_MS / 1000} s):`, ...slow);
    }
    if (latencyPhases) {
      lines.push('', 'API call path (one call to the demo API per turn, and the same GET sent directly, in this run):', ...callPathLines);
      lines.push('', 'Smart AI (a scripted local model, ~1 ms a request; the tool is the same demo API GET, in this run):', ...aiLines);
    }
    if (sizing) {
      lines.push('', ...formatSizing(sizing));
      report.sizing = sizing;
    }
    if (liveResults.length > 0) {
      lines.push('', 'Live conversations (open, each a running workflow waiting for its visitor; plain turns measured on other conversations; RSS read from /proc):', ...formatLiveTable(liveResults, concurrencies));
      report.live = liveResults;
    }
    if (growth) {
      lines.push('', ...growth.lines);
      report.growth = growth.results;
    }
    if (latencyPhases) lines.push('', 'CPU milliseconds per operation, by process (where the time goes; the demo APIs and the scripted model run in the load generator):');
    for (const c of latencyPhases ? concurrencies : []) {
      for (const kind of KINDS) {
        const { cpuMsPerOp } = summarize(results.get(c)![kind]);
        const parts = Object.entries(cpuMsPerOp).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k} ${v.toFixed(2)}`);
        const total = Object.values(cpuMsPerOp).reduce((a, b) => a + b, 0);
        lines.push(`${String(c).padStart(11)}  ${kind.padEnd(6)} total ${total.toFixed(2)}: ${parts.join(', ')}`);
      }
    }
    if (latencyPhases) lines.push('', 'Goals: a plain turn p50 <= 2x the engine floor p50 at 20 concurrent; a turn with one API call p50 <= 3x the floor at 1 and at 20 concurrent.');
    console.log(lines.join('\n'));
    const out = path.join(ROOT, '.data', 'bench');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'latest.json'), JSON.stringify(report, null, 2));
    log(`figures also written to .data/bench/latest.json`);
  } finally {
    await cleanup();
  }
  process.exit(0);
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

main().catch((error: unknown) => {
  console.error('[bench] failed:', error);
  process.exit(1);
});
