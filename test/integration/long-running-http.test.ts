/**
 * Long-running calls over real HTTP (issue 21), without a waiting run: `callEndpoint` hands a callback
 * endpoint its signed one-time URL (masked in the call log) and reads a polled call's job; `pollJob`
 * reads a status from a tenant API on 127.0.0.1 (pending, completed, failed; a Location elsewhere refused
 * before anything is sent; a 5xx thrown for Temporal to retry); and the callback route refuses what it
 * must without asking any run (forged, expired, malformed, not final, unknown run). The whole flow with a
 * waiting run is the action-run suite's.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createHttpActivities } from '../../activities/http/call-endpoint';
import { createOutboundNetwork } from '../../activities/http/network';
import { mintCallbackToken, verifyCallbackToken } from '../../models/callback-token';
import { EndpointParameter, LongRunning } from '../../models/connection.schema';
import { connectionModels } from '../../models/connection.model';
import { SecretBox } from '../../models/secret-box';
import { startStack, type Stack } from '../harness';
import { listenTenant, tenantNetworkPolicy } from '../tenant-ports';

const TOKEN = `tok-${randomBytes(8).toString('hex')}`;
const accountId = `acct_${randomBytes(4).toString('hex')}`;
const PUBLIC_URL = 'https://parley.example.com';

let stack: Stack;
let models: ReturnType<typeof connectionModels>;
let box: SecretBox;
let activities: ReturnType<typeof createHttpActivities>;
let tenant: http.Server;
let port: number;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
/** What `/api/jobs/<id>` answers next, per job id. */
const statuses = new Map<string, { status: number; body: unknown }>();

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://tenant');
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof value === 'string' ? value : JSON.stringify(value));
  };
  if (url.pathname === '/api/bookings') return json(202, { jobId: 'job-1', state: 'queued' });
  if (url.pathname === '/api/bookings-no-job') return json(202, { state: 'queued' });
  if (url.pathname === '/api/exports') return json(202, {}, { location: String(url.searchParams.get('to') ?? '/api/jobs/loc-1') });
  if (url.pathname === '/api/approvals') return json(202, { accepted: true });
  const job = /^\/api\/jobs\/([^/]+)$/.exec(url.pathname);
  if (job) {
    const answer = statuses.get(decodeURIComponent(job[1]!)) ?? { status: 404, body: { error: 'no such job' } };
    return json(answer.status, answer.body);
  }
  return json(404, { error: 'no route' });
}

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true });
  models = connectionModels(stack.db);
  box = new SecretBox(stack.secretKeys);
  tenant = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      route(req, res);
    });
  });
  port = await listenTenant(tenant);
  activities = createHttpActivities({ db: stack.db, secrets: box, http: { network: createOutboundNetwork(tenantNetworkPolicy()), publicUrl: PUBLIC_URL, callbackKeys: stack.secretKeys } });
});

afterAll(async () => {
  tenant?.closeAllConnections();
  await new Promise<void>((resolve) => tenant?.close(() => resolve()));
  await stack?.stop();
});

async function connection(baseUrl = `http://127.0.0.1:${port}/api`): Promise<string> {
  const id = `conn_${randomBytes(6).toString('hex')}`;
  const now = new Date();
  await models.ApiConnection.create({
    _id: id,
    accountId,
    name: 'Tenant',
    baseUrl,
    auth: { type: 'bearer' },
    headerNames: [],
    sealed: box.seal({ auth: { token: TOKEN }, headers: {} }, id),
    timeoutMs: 5000,
    allowPrivateNetwork: true,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

async function endpoint(connectionId: string, spec: { method?: 'GET' | 'POST'; path: string; parameters?: unknown[]; longRunning: unknown }): Promise<string> {
  const id = `ep_${randomBytes(6).toString('hex')}`;
  const now = new Date();
  await models.Endpoint.create({
    _id: id,
    accountId,
    connectionId,
    name: 'Long',
    description: '',
    method: spec.method ?? 'POST',
    path: spec.path,
    parameters: (spec.parameters ?? []).map((p) => EndpointParameter.parse(p)),
    responseFields: [],
    validations: [],
    sideEffects: true,
    retry: { maxAttempts: 3, initialIntervalMs: 500 },
    longRunning: LongRunning.parse(spec.longRunning),
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

const pollSettings = (over: Record<string, unknown> = {}) => ({
  mode: 'poll',
  job: { from: 'body', path: 'jobId' },
  statusPath: '/jobs/{job}',
  completeWhen: { path: 'state', op: 'equals', value: 'done' },
  failWhen: { path: 'state', op: 'equals', value: 'rejected' },
  resultFields: [{ name: 'ref', path: 'booking.ref' }],
  ...over,
});
const callbackSettings = { mode: 'callback', completeWhen: { path: 'status', op: 'equals', value: 'approved' }, failWhen: { path: 'status', op: 'equals', value: 'declined' }, resultFields: [{ name: 'ref', path: 'ref' }] };
const callbackParam = { name: 'callback_url', type: 'string', in: 'body', source: 'callback' };

describe('callEndpoint on a long-running endpoint', () => {
  it('gives the callback parameter a signed URL on PUBLIC_URL, bound to the run, and masks it in the call log', async () => {
    const ep = await endpoint(await connection(), { path: '/approvals', parameters: [callbackParam], longRunning: callbackSettings });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const result = await activities.callEndpoint({ accountId, endpointId: ep, values: { callback_url: 'https://attacker.example/steal' }, kind: 'conversation', workflowId: 'action-run-x', callback: { runId: 'action-run-x', expiresAt } });
    expect(result).toMatchObject({ ok: true, status: 202 });
    const sent = JSON.parse(seen.at(-1)!.body) as { callback_url: string };
    expect(sent.callback_url.startsWith(`${PUBLIC_URL}/v1/callbacks/`)).toBe(true);
    const claims = verifyCallbackToken(stack.secretKeys, sent.callback_url.slice(`${PUBLIC_URL}/v1/callbacks/`.length));
    expect(claims).toMatchObject({ a: accountId, r: 'action-run-x', e: ep });
    expect(JSON.stringify(result)).not.toContain(sent.callback_url);
    const log = await models.CallLog.findOne({ accountId, endpointId: ep }).lean();
    expect(JSON.stringify(log)).not.toContain(sent.callback_url.split('/').pop());
    expect(log?.request.body).toContain('•••');
  });

  it('refuses a callback endpoint called outside a long-running step, and sends Run Test a URL that calls nothing back', async () => {
    const ep = await endpoint(await connection(), { path: '/approvals', parameters: [callbackParam], longRunning: callbackSettings });
    const before = seen.length;
    const result = await activities.callEndpoint({ accountId, endpointId: ep, values: {}, kind: 'conversation' });
    expect(result).toMatchObject({ ok: false, code: 'bad_endpoint', reason: expect.stringMatching(/outside a long-running step/) });
    expect(seen.length).toBe(before);
    const test = await activities.callEndpoint({ accountId, endpointId: ep, values: {}, kind: 'endpoint_test' });
    expect(test.ok).toBe(true);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ callback_url: 'https://callback.invalid/run-test' });
  });

  it('says why when the worker has no PUBLIC_URL', async () => {
    const bare = createHttpActivities({ db: stack.db, secrets: box, http: { network: createOutboundNetwork(tenantNetworkPolicy()) } });
    const ep = await endpoint(await connection(), { path: '/approvals', parameters: [callbackParam], longRunning: callbackSettings });
    const result = await bare.callEndpoint({ accountId, endpointId: ep, values: {}, kind: 'conversation', callback: { runId: 'r', expiresAt: new Date(Date.now() + 60_000).toISOString() } });
    expect(result).toMatchObject({ ok: false, code: 'bad_endpoint', reason: expect.stringMatching(/no PUBLIC_URL/) });
  });

  it("returns a polled call's job from its body or Location, and fails without one", async () => {
    const conn = await connection();
    expect(await activities.callEndpoint({ accountId, endpointId: await endpoint(conn, { path: '/bookings', longRunning: pollSettings() }), values: {}, kind: 'conversation' })).toMatchObject({ ok: true, job: 'job-1' });
    const byLocation = await endpoint(conn, { path: '/exports', longRunning: pollSettings({ job: { from: 'location' }, statusPath: undefined }) });
    expect(await activities.callEndpoint({ accountId, endpointId: byLocation, values: {}, kind: 'conversation' })).toMatchObject({ ok: true, job: '/api/jobs/loc-1' });
    const none = await activities.callEndpoint({ accountId, endpointId: await endpoint(conn, { path: '/bookings-no-job', longRunning: pollSettings() }), values: {}, kind: 'conversation' });
    expect(none).toMatchObject({ ok: false, code: 'invalid_response', status: 202, reason: expect.stringMatching(/no job reference at jobId/) });
  });
});

describe('pollJob', () => {
  it('reads the status at statusPath with the job and the connection\'s auth: pending, then completed with the result fields', async () => {
    const ep = await endpoint(await connection(), { path: '/bookings', longRunning: pollSettings() });
    const job = `j ${randomBytes(3).toString('hex')}`; // a space: encoded as one path segment
    statuses.set(job, { status: 200, body: { state: 'running' } });
    expect(await activities.pollJob({ accountId, endpointId: ep, job })).toMatchObject({ state: 'pending', status: 200, fields: {} });
    const request = seen.at(-1)!;
    expect(request).toMatchObject({ method: 'GET', url: `/api/jobs/${encodeURIComponent(job)}` });
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    statuses.set(job, { status: 200, body: { state: 'done', booking: { ref: `B-7 ${TOKEN}` } } });
    expect(await activities.pollJob({ accountId, endpointId: ep, job })).toEqual({ state: 'completed', status: 200, fields: { ref: 'B-7 •••' }, reason: expect.stringMatching(/the job is done/) });
  });

  it('is failed when the failure rule holds, on a 4xx, and on a status that is not JSON', async () => {
    const ep = await endpoint(await connection(), { path: '/bookings', longRunning: pollSettings() });
    statuses.set('f1', { status: 200, body: { state: 'rejected', booking: { ref: 'B-8' } } });
    expect(await activities.pollJob({ accountId, endpointId: ep, job: 'f1' })).toMatchObject({ state: 'failed', fields: { ref: 'B-8' }, reason: expect.stringMatching(/the job failed/) });
    expect(await activities.pollJob({ accountId, endpointId: ep, job: 'missing' })).toMatchObject({ state: 'failed', status: 404, reason: expect.stringMatching(/404 Not Found.*Not retried/) });
    statuses.set('html', { status: 200, body: '<html>working</html>' });
    expect(await activities.pollJob({ accountId, endpointId: ep, job: 'html' })).toMatchObject({ state: 'failed', status: 200, reason: expect.stringMatching(/not with the JSON/) });
  });

  it('throws a 5xx for Temporal to retry, and the retry reads the status', async () => {
    const ep = await endpoint(await connection(), { path: '/bookings', longRunning: pollSettings() });
    statuses.set('busy', { status: 503, body: { error: 'maintenance' } });
    const error = await activities.pollJob({ accountId, endpointId: ep, job: 'busy' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'TenantServerError', nonRetryable: false });
    statuses.set('busy', { status: 200, body: { state: 'done' } });
    expect(await activities.pollJob({ accountId, endpointId: ep, job: 'busy' })).toMatchObject({ state: 'completed' });
    const logs = await models.CallLog.find({ accountId, endpointId: ep }).sort({ _id: 1 }).lean();
    expect(logs.map((l) => l.status)).toEqual([503, 200]);
  });

  it('follows a Location on the connection, and refuses one elsewhere before sending anything', async () => {
    const ep = await endpoint(await connection(), { path: '/exports', longRunning: pollSettings({ job: { from: 'location' }, statusPath: undefined }) });
    statuses.set('loc-2', { status: 200, body: { state: 'done' } });
    expect(await activities.pollJob({ accountId, endpointId: ep, job: '/api/jobs/loc-2' })).toMatchObject({ state: 'completed' });
    expect(seen.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const before = seen.length;
    for (const job of ['http://127.0.0.2:1/api/jobs/loc-2', `http://localhost:${port}/api/jobs/loc-2`, '/other/jobs/loc-2', '/api/../other']) {
      expect(await activities.pollJob({ accountId, endpointId: ep, job })).toMatchObject({ state: 'failed', status: 0, reason: expect.stringMatching(/another origin|outside the connection's base path/) });
    }
    expect(seen.length).toBe(before);
  });

  it('is failed for an endpoint of another account or no longer polled', async () => {
    const ep = await endpoint(await connection(), { path: '/approvals', parameters: [callbackParam], longRunning: callbackSettings });
    expect(await activities.pollJob({ accountId, endpointId: ep, job: 'x' })).toMatchObject({ state: 'failed', reason: expect.stringMatching(/no longer polled/) });
    expect(await activities.pollJob({ accountId: 'acct_other', endpointId: ep, job: 'x' })).toMatchObject({ state: 'failed', reason: expect.stringMatching(/does not exist in this account/) });
  });
});

describe('POST /v1/callbacks/:token', () => {
  let ep: string;
  beforeAll(async () => {
    ep = await endpoint(await connection(), { path: '/approvals', parameters: [callbackParam], longRunning: callbackSettings });
  });
  const mint = (over: { runId?: string; expiresAt?: string; endpointId?: string } = {}) =>
    mintCallbackToken(stack.secretKeys, { accountId, runId: over.runId ?? `action-run-${randomBytes(4).toString('hex')}`, endpointId: over.endpointId ?? ep, expiresAt: over.expiresAt ?? new Date(Date.now() + 3_600_000).toISOString() });
  const post = (token: string, body: string, contentType = 'application/json') => fetch(`${stack.baseUrl}/v1/callbacks/${token}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const answer = async (response: Response) => ({ status: response.status, body: (await response.json()) as { message: string; code: string; details: unknown } });

  it('answers a forged, malformed or foreign token as an unknown one: 404, never why', async () => {
    const token = mint();
    const [payload, mac] = token.split('.') as [string, string];
    const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), r: 'action-run-other' })).toString('base64url')}.${mac}`;
    const foreign = mintCallbackToken(SecretBox.generateKey('test'), { accountId, runId: 'r', endpointId: ep, expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const answers = await Promise.all([forged, 'not-a-token', `${payload}.${'A'.repeat(43)}`, foreign].map(async (t) => answer(await post(t, '{"status":"approved"}'))));
    for (const a of answers) expect(a).toEqual({ status: 404, body: { message: 'no callback is expected at this URL', code: 'callback_not_found', details: null } });
  });

  it('answers 404 when the endpoint was deleted', async () => {
    expect(await answer(await post(mint({ endpointId: 'ep_deleted' }), '{"status":"approved"}'))).toMatchObject({ status: 404, body: { code: 'callback_not_found' } });
  });

  it('answers 410 once the call\'s deadline has passed', async () => {
    expect(await answer(await post(mint({ expiresAt: new Date(Date.now() - 1000).toISOString() }), '{"status":"approved"}'))).toMatchObject({ status: 410, body: { code: 'callback_expired' } });
  });

  it('answers 400 to a body that is not JSON, or not a JSON object', async () => {
    const token = mint();
    expect(await answer(await post(token, '{"status":'))).toMatchObject({ status: 400, body: { code: 'invalid_json' } });
    expect(await answer(await post(token, '["approved"]'))).toMatchObject({ status: 400, body: { code: 'invalid_body' } });
    expect((await post(token, 'status=approved', 'application/x-www-form-urlencoded')).status).toBe(415);
  });

  it('answers 422 to a body that is neither completion nor failure, leaving the URL usable', async () => {
    expect(await answer(await post(mint(), '{"status":"in_review"}'))).toEqual({
      status: 422,
      body: { message: expect.stringMatching(/neither the completion nor the failure/), code: 'callback_not_final', details: { completeWhen: { path: 'status', op: 'equals' }, failWhen: { path: 'status', op: 'equals' } } },
    });
  });

  it('answers 410 when no run has this id (it ended long ago, or never waited)', async () => {
    expect(await answer(await post(mint({ runId: `action-run-gone-${randomBytes(4).toString('hex')}` }), '{"status":"approved","ref":"B-1"}'))).toMatchObject({ status: 410, body: { code: 'callback_expired' } });
  });

  it('never puts the token in the API log', async () => {
    const token = mint();
    const lines: string[] = [];
    const original = stack.deps.logger.info.bind(stack.deps.logger);
    stack.deps.logger.info = ((...args: unknown[]) => {
      lines.push(JSON.stringify(args));
      return (original as (...a: unknown[]) => void)(...args);
    }) as typeof stack.deps.logger.info;
    try {
      await post(token, '{"status":"in_review"}');
    } finally {
      stack.deps.logger.info = original;
    }
    expect(lines.join('\n')).toContain('/v1/callbacks/:token');
    expect(lines.join('\n')).not.toContain(token.split('.')[1]);
  });
});
