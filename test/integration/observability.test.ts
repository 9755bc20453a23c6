/**
 * The operator's view on the real stack: the API's `/metrics` (behind METRICS_AUTH_TOKEN) counts requests
 * by route pattern, visitor turns by kind and outcome, and rate-limit refusals, with no account or
 * conversation id in any label; the worker's registry and its `/metrics` server count activities and
 * tenant API calls (through the activity interceptor) by outcome and failure code; the request log is one
 * JSON line per request with the route pattern, request id and account, and no key or query string.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../../api/app';
import { createDeps } from '../../api/deps';
import { createLogger } from '../../models/logger';
import { createWorkerMetrics, serveMetrics } from '../../worker/metrics';
import { createDemoApi } from '../../scripts/demo-api/app';
import { eventually, http, publishedFlowBot, signUp, sleep, startStack, testEnv, type Http, type Stack } from '../harness';
import { createServer as createHttpServer } from 'node:http';
import { listenTenantUrl } from '../tenant-ports';

const TENANT_TOKEN = 'tenant-secret-token-0bs3';
const METRICS_TOKEN = 'metrics-token-for-the-scraper-42';

let stack: Stack;
let api: Http;
let key: string;
let accountId: string;
let demoServer: Server;
let botId: string;
const workerMetrics = createWorkerMetrics();

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus' text format into samples (comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels (0 when absent: a counter never incremented). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value ?? 0;
}

async function scrape(url: string, token: string | null = METRICS_TOKEN): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

async function say(id: string, text: string): Promise<string[]> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text }, clientMessageId: `${id}-${text.replace(/[^A-Za-z0-9]/g, '_')}` });
    if (res.status === 200) return res.body.replies.map((r: { text: string }) => r.text);
    if (res.status !== 202) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    await sleep(500);
  }
  throw new Error('never answered');
}

async function create(path: string, body: unknown): Promise<any> {
  const res = await api.post(path, body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  const demo = createDemoApi({ token: TENANT_TOKEN });
  demoServer = createHttpServer(demo.app);
  const base = await listenTenantUrl(demoServer);

  stack = await startStack({ workerMetrics, api: { METRICS_AUTH_TOKEN: METRICS_TOKEN, LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL: '2' } });
  ({ api, key, accountId } = await signUp(stack.baseUrl));
  const connectionId = (await create('/v1/connections', { name: 'Demo shop', baseUrl: base, auth: { type: 'bearer', token: TENANT_TOKEN }, allowPrivateNetwork: true })).connection.id;
  const availability = (
    await create(`/v1/connections/${connectionId}/endpoints`, {
      name: 'Availability',
      method: 'GET',
      path: '/availability',
      parameters: [{ name: 'date', type: 'date', in: 'query' }],
      responseFields: [{ name: 'first_slot', path: '$.first_slot' }],
    })
  ).endpoint.id;
  const order = (
    await create(`/v1/connections/${connectionId}/endpoints`, {
      name: 'Order status',
      method: 'GET',
      path: '/orders/{order_id}',
      parameters: [
        { name: 'order_id', type: 'string', in: 'path' },
        { name: 'email', type: 'email', in: 'query' },
      ],
      responseFields: [{ name: 'order_status', path: '$.status' }],
      validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: 'That email does not match the order.' }],
    })
  ).endpoint.id;
  await create('/v1/actions', { id: 'check_availability', name: 'Check availability', steps: [{ id: 'check', endpointId: availability }] });
  await create('/v1/actions', { id: 'order_status', name: 'Order status', steps: [{ id: 'order', endpointId: order }] });
  botId = await publishedFlowBot(api, {
    flows: [
      {
        id: 'slots',
        name: 'Slots',
        trigger: { keywords: ['slots'] },
        startBlockId: 'date',
        blocks: [
          { id: 'date', type: 'ask', question: 'Day?', variable: 'date', answer: { type: 'date', allowPast: false }, next: 'check' },
          { id: 'check', type: 'api_call', action: 'check_availability', inputs: { date: '{{date}}' }, outputs: { time: 'first_slot' }, next: 'done', onFailure: 'sorry' },
          { id: 'done', type: 'end', text: 'First free slot: {{time}}.' },
          { id: 'sorry', type: 'end', text: 'Could not check: {{last_error}}' },
        ],
      },
      {
        id: 'order',
        name: 'Order status',
        trigger: { keywords: ['order'] },
        startBlockId: 'id',
        blocks: [
          { id: 'id', type: 'ask', question: 'Order number?', variable: 'order_id', answer: { type: 'text' }, next: 'email' },
          { id: 'email', type: 'ask', question: 'Billing email?', variable: 'email', answer: { type: 'email' }, skipIfKnown: false, next: 'call' },
          { id: 'call', type: 'api_call', action: 'order_status', inputs: { order_id: '{{order_id}}', email: '{{email}}' }, outputs: { status: 'order_status' }, next: 'ok', onFailure: 'ko' },
          { id: 'ok', type: 'end', text: 'Your order is {{status}}.' },
          { id: 'ko', type: 'end', text: '{{last_error}}' },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => demoServer?.close(r));
});

describe('API metrics', () => {
  let conversationIds: string[] = [];

  beforeAll(async () => {
    // Two conversations: one action that succeeds, one whose response fails validation.
    const start = async (externalUserId: string): Promise<string> => {
      const res = await api.post('/v1/conversations', { botId, externalUserId });
      expect(res.status).toBe(201);
      return res.body.conversation.id as string;
    };
    const slots = await start('visitor-slots');
    expect(await say(slots, 'slots please')).toEqual(['Day?']);
    expect(await say(slots, '2099-06-01')).toEqual(['First free slot: 09:00.']);
    const order = await start('visitor-order');
    expect(await say(order, 'order status')).toEqual(['Order number?']);
    expect(await say(order, '1001')).toEqual(['Billing email?']);
    expect(await say(order, 'eve@example.com')).toEqual(['That email does not match the order.']);
    // A confirmation that matches nothing: the workflow's update validator refuses it.
    const refused = await api.post(`/v1/conversations/${order}/confirm`, { confirmationId: 'cf_0123abcd', argsHash: 'a'.repeat(64), approved: true });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    conversationIds = [slots, order];
  });

  it('answers 401 in the usual error shape without the bearer token, and Prometheus text with it', async () => {
    for (const token of [null, 'not-the-metrics-token-at-all', key]) {
      const res = await scrape(`${stack.baseUrl}/metrics`, token);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toEqual({ message: expect.stringContaining('METRICS_AUTH_TOKEN'), code: 'unauthorized', details: null });
    }
    const res = await scrape(`${stack.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('# TYPE parley_http_requests_total counter');
    expect(res.text).toContain('# TYPE parley_turn_duration_seconds histogram');
  });

  it('counts requests by route pattern and status, turns by kind and outcome, and never an id in a label', async () => {
    await http(stack.baseUrl).get('/no/such/route/conv_x');
    const { text } = await scrape(`${stack.baseUrl}/metrics`);
    const samples = parseMetrics(text);
    const requests = (labels: Record<string, string>) => valueOf(samples, 'parley_http_requests_total', labels);
    expect(requests({ method: 'POST', route: '/v1/conversations', status: '201' })).toBe(2);
    expect(requests({ method: 'POST', route: '/v1/conversations/:id/messages', status: '200' })).toBe(5);
    expect(requests({ method: 'POST', route: '/v1/accounts', status: '201' })).toBe(1);
    expect(requests({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // The 401s of the previous test are counted under their route too.
    expect(requests({ method: 'GET', route: '/metrics', status: '401' })).toBe(3);
    expect(valueOf(samples, 'parley_http_request_duration_seconds_count', { method: 'POST', route: '/v1/conversations/:id/messages', status: '200' })).toBe(5);

    expect(valueOf(samples, 'parley_turns_total', { kind: 'start', outcome: 'ok' })).toBe(2);
    expect(valueOf(samples, 'parley_turns_total', { kind: 'message', outcome: 'ok' })).toBe(5);
    expect(valueOf(samples, 'parley_turns_total', { kind: 'confirm', outcome: 'error' })).toBe(1);
    expect(valueOf(samples, 'parley_turn_duration_seconds_count', { kind: 'message' })).toBe(5);
    expect(valueOf(samples, 'parley_turn_duration_seconds_sum', { kind: 'start' })).toBeGreaterThan(0);

    // Bounded labels: patterns, never the ids of accounts, conversations or keys.
    for (const sample of samples) {
      for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/conv_|acct_|pk_|bot_/);
    }
    expect(text).not.toContain(accountId);
    for (const id of conversationIds) expect(text).not.toContain(id);
  });

  it('counts requests refused by a rate limiter, by limiter name', async () => {
    const anonymous = http(stack.baseUrl);
    const login = { email: `nobody+${Date.now()}@example.com`, password: 'wrong password here' };
    expect((await anonymous.post('/v1/auth/login', login)).status).toBe(401);
    expect((await anonymous.post('/v1/auth/login', login)).status).toBe(401);
    expect((await anonymous.post('/v1/auth/login', login)).status).toBe(429);
    const samples = parseMetrics((await scrape(`${stack.baseUrl}/metrics`)).text);
    expect(valueOf(samples, 'parley_rate_limited_total', { limiter: 'login-email' })).toBe(1);
    expect(valueOf(samples, 'parley_http_requests_total', { method: 'POST', route: '/v1/auth/login', status: '429' })).toBe(1);
  });
});

describe('worker metrics', () => {
  it('counts activities and tenant API calls by outcome and failure code (through the activity interceptor)', async () => {
    const samples = parseMetrics(await workerMetrics.registry.metrics());
    expect(valueOf(samples, 'parley_actions_total', { kind: 'conversation', outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'parley_actions_total', { kind: 'conversation', outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'parley_action_failures_total', { kind: 'conversation', code: 'validation_failed' })).toBe(1);
    expect(valueOf(samples, 'parley_activity_total', { activity: 'callEndpoint', outcome: 'ok' })).toBe(2);
    expect(valueOf(samples, 'parley_activity_duration_seconds_count', { activity: 'callEndpoint' })).toBe(2);
    // Other activities are counted too (saving each turn's transcript, for one).
    expect(samples.filter((s) => s.name === 'parley_activity_total' && s.labels.activity !== 'callEndpoint' && s.value > 0).length).toBeGreaterThan(0);
  });

  it('serves the registry on its own /metrics endpoint, behind the same kind of bearer token', async () => {
    const server = await serveMetrics({ registry: workerMetrics.registry, port: 0, host: '127.0.0.1', token: METRICS_TOKEN });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const refused = await scrape(`${base}/metrics`, null);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text)).toMatchObject({ code: 'unauthorized', details: null });
      expect((await scrape(`${base}/other`)).status).toBe(404);
      const res = await scrape(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^text\/plain/);
      expect(valueOf(parseMetrics(res.text), 'parley_actions_total', { kind: 'conversation', outcome: 'ok' })).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('worker process', () => {
  it('logs JSON lines (Temporal\'s own included) and serves /metrics on METRICS_PORT', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'worker', 'main.ts')], {
      cwd: path.join(__dirname, '..', '..'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        MONGODB_URI: stack.mongoUri,
        // A queue of its own: this worker must not take the tasks of the stack's.
        TASK_QUEUE: `${stack.taskQueue}-spawned`,
        WORKFLOW_BUNDLE_PATH: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE'),
        PARLEY_SECRET_KEYS: stack.secretKeys,
        METRICS_PORT: String(port),
        METRICS_HOST: '127.0.0.1',
        METRICS_AUTH_TOKEN: METRICS_TOKEN,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await eventually(async () => stdout.includes('polling task queue'), 60_000, `the worker to start (stderr: ${stderr.slice(-500)})`);
      // The SDK holds its own lines ~100 ms to merge them in time order with core's forwarded ones: the
      // worker's first lifecycle line may follow "polling task queue".
      await eventually(async () => stdout.includes('"sdkComponent":"worker"'), 10_000, 'the SDK\'s worker lifecycle line');
      const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      expect(lines.every((l) => l.name === 'worker' && typeof l.level === 'string' && typeof l.time === 'string')).toBe(true);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: expect.stringContaining('polling task queue'), taskQueue: `${stack.taskQueue}-spawned` }));
      // The SDK's worker lifecycle logs go through the same logger (Runtime.install in worker/main.ts).
      expect(lines).toContainEqual(expect.objectContaining({ sdkComponent: 'worker' }));
      expect(stdout).not.toContain(stack.secretKeys);

      expect((await scrape(`http://127.0.0.1:${port}/metrics`, null)).status).toBe(401);
      const res = await scrape(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('# TYPE parley_activity_total counter');
      expect(res.text).toContain('# TYPE parley_actions_total counter');
      expect(res.text).toContain('process_cpu_user_seconds_total');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('request log', () => {
  it('writes one JSON line per request: route pattern, status, duration, request id, account; no key, no query string', async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const logger = createLogger({ name: 'api', level: 'info', destination });
    const deps = createDeps({ db: stack.db, temporal: stack.temporal, config: stack.deps.config, log: () => undefined, logger });
    const server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const headers = { authorization: `Bearer ${key}`, 'x-request-id': 'req-abc.123' };
      const own = await fetch(`${base}/v1/conversations/conv_zzz0nothere?token=query-secret-77`, { headers });
      expect(own.status).toBe(404);
      expect(own.headers.get('x-request-id')).toBe('req-abc.123');
      const generated = await fetch(`${base}/v1/bots`, { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'has spaces and {braces}' } });
      expect(generated.status).toBe(200);
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      await fetch(`${base}/v1/account`);

      await sleep(50); // 'finish' fires just after the response is flushed
      const lines = chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const requests = lines.filter((l) => typeof l.route === 'string');
      expect(requests).toEqual([
        expect.objectContaining({ level: 'info', name: 'api', requestId: 'req-abc.123', method: 'GET', route: '/v1/conversations/:id', status: 404, accountId, durationMs: expect.any(Number) }),
        expect.objectContaining({ requestId: generated.headers.get('x-request-id'), method: 'GET', route: '/v1/bots', status: 200, accountId }),
        expect.objectContaining({ method: 'GET', route: '/v1/account', status: 401 }),
      ]);
      expect(requests[2]).not.toHaveProperty('accountId');
      const text = chunks.join('');
      expect(text).not.toContain(key);
      expect(text).not.toContain('query-secret-77');
      expect(text).not.toContain('conv_zzz0nothere');
    } finally {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
    }
  });
});
