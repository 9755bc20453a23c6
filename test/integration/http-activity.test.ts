/**
 * The outbound HTTP activities (`callEndpoint`, `testConnection`) called as plain functions against a
 * real MongoDB-compatible server and a tenant API on 127.0.0.1: auth arrives as configured, private and
 * metadata addresses are refused, redirects are not followed, each status class has its outcome, and no
 * secret reaches a stored call log.
 */
import { asyncLocalStorage, ApplicationFailure, type Context } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Connection as MongoConnection } from 'mongoose';
import { createHttpActivities, type CallEndpointInput } from '../../activities/http/call-endpoint';
import { EndpointParameter, ResponseValidation } from '../../models/connection.schema';
import { connectionModels, type ConnectionDoc, type ConnectionSecrets, type EndpointDoc } from '../../models/connection.model';
import { connectDatabase } from '../../models/db';
import { SecretBox } from '../../models/secret-box';
import { testEnv } from '../harness';
import { closedTenantPort, listenTenant, tenantNetworkPolicy } from '../tenant-ports';
import { createOutboundNetwork } from '../../activities/http/network';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const API_KEY = `key-${randomBytes(8).toString('hex')}`;
const TOKEN = `tok-${randomBytes(8).toString('hex')}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const HEADER_SECRET = `hdr-${randomBytes(8).toString('hex')}`;
const BASIC = Buffer.from(`svc:${PASSWORD}`).toString('base64');
const SECRETS = [API_KEY, TOKEN, PASSWORD, HEADER_SECRET, BASIC];

let db: MongoConnection;
let models: ReturnType<typeof connectionModels>;
let tenant: http.Server;
let tenantBase: string;
let port: number;
const seen: Seen[] = [];
const box = new SecretBox(SecretBox.generateKey('k1'));
let activities: ReturnType<typeof createHttpActivities>;
const accountId = `acc_${randomBytes(4).toString('hex')}`;

function route(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://tenant');
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
  const status = /^\/api\/status\/(\d{3})$/.exec(url.pathname);
  if (status) return json(Number(status[1]), { error: 'tenant error text', detail: `echo ${req.headers.authorization ?? ''}` });
  switch (url.pathname) {
    case '/api':
    case '/api/':
      return json(200, { service: 'tenant' });
    case '/api/echo':
      // Echoes everything it received, credentials included: the call log must mask them.
      return json(200, { method: req.method, url: req.url, headers: req.headers, body });
    case '/api/orders/A-1':
      return json(200, { order: { id: 'A-1', email: 'ann@example.com', total: 42.5, items: [{ sku: 'S-1' }], internal: { margin: 0.4 } } });
    case '/api/slow': {
      const timer = setTimeout(() => json(200, {}), 3000);
      return void res.on('close', () => clearTimeout(timer));
    }
    case '/api/big':
      return json(200, { data: 'x'.repeat(100_000) });
    case '/api/html':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>hi</html>');
    case '/api/redirect':
      res.writeHead(302, { location: `http://127.0.0.1:${port}/api/echo` });
      return void res.end();
    case '/api/busy':
      return json(429, { error: 'slow down' }, { 'retry-after': '2' });
    case '/api/whoami':
      return req.headers.authorization === `Bearer ${TOKEN}` ? json(200, { ok: true }) : json(req.headers.authorization ? 403 : 401, {});
    default:
      return json(404, { error: 'no route' });
  }
}

beforeAll(async () => {
  db = await connectDatabase(`${testEnv('PARLEY_TEST_MONGODB_URI')}/parley_http_${randomBytes(4).toString('hex')}`);
  models = connectionModels(db);
  tenant = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      route(req, body, res);
    });
  });
  port = await listenTenant(tenant);
  tenantBase = `http://127.0.0.1:${port}/api`;
  activities = createHttpActivities({ db, secrets: box, http: { maxResponseBytes: 64 * 1024, network: createOutboundNetwork(tenantNetworkPolicy()) } });
});

afterAll(async () => {
  tenant?.closeAllConnections();
  await new Promise<void>((resolve) => tenant?.close(() => resolve()));
  await db?.dropDatabase().catch(() => undefined);
  await db?.close();
});

type AuthSpec =
  | { type: 'none' }
  | { type: 'api_key'; in: 'header' | 'query'; name: string; value: string }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string };

async function connection(options: { baseUrl?: string; auth?: AuthSpec; headers?: Record<string, string>; allowPrivateNetwork?: boolean; timeoutMs?: number; account?: string } = {}): Promise<string> {
  const id = `con_${randomBytes(6).toString('hex')}`;
  const auth = options.auth ?? { type: 'none' };
  const secret: ConnectionSecrets['auth'] = auth.type === 'api_key' ? { value: auth.value } : auth.type === 'bearer' ? { token: auth.token } : auth.type === 'basic' ? { password: auth.password } : {};
  const shown: ConnectionDoc['auth'] = auth.type === 'api_key' ? { type: 'api_key', in: auth.in, name: auth.name } : auth.type === 'basic' ? { type: 'basic', username: auth.username } : { type: auth.type };
  const headers = options.headers ?? {};
  const now = new Date();
  await models.ApiConnection.create({
    _id: id,
    accountId: options.account ?? accountId,
    name: 'Tenant',
    baseUrl: options.baseUrl ?? tenantBase,
    auth: shown,
    headerNames: Object.keys(headers),
    sealed: box.seal({ auth: secret, headers } satisfies ConnectionSecrets, id),
    timeoutMs: options.timeoutMs ?? 5000, // generous: CI runs many suites at once on two cores
    allowPrivateNetwork: options.allowPrivateNetwork ?? true,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

type EndpointSpec = Partial<Omit<EndpointDoc, 'parameters' | 'validations'>> & { parameters?: unknown[]; validations?: unknown[] };

async function endpoint(connectionId: string, spec: EndpointSpec = {}): Promise<string> {
  const id = `ep_${randomBytes(6).toString('hex')}`;
  const now = new Date();
  await models.Endpoint.create({
    _id: id,
    accountId,
    connectionId,
    name: 'Endpoint',
    description: '',
    method: 'GET',
    path: '/echo',
    responseFields: [],
    sideEffects: false,
    retry: { maxAttempts: 3, initialIntervalMs: 500 },
    createdAt: now,
    updatedAt: now,
    ...spec,
    parameters: (spec.parameters ?? []).map((p) => EndpointParameter.parse(p)),
    validations: (spec.validations ?? []).map((v) => ResponseValidation.parse(v)),
  });
  return id;
}

const call = (endpointId: string, extra: Partial<CallEndpointInput> = {}) => activities.callEndpoint({ accountId, endpointId, values: {}, kind: 'conversation', ...extra });

/** Calls and returns the request the tenant received. */
async function received(endpointId: string, extra: Partial<CallEndpointInput> = {}): Promise<Seen> {
  const before = seen.length;
  const result = await call(endpointId, extra);
  expect(result.ok).toBe(true);
  expect(seen.length).toBe(before + 1);
  return seen[seen.length - 1]!;
}

describe('auth arrives at the tenant', () => {
  it('none', async () => {
    const req = await received(await endpoint(await connection()));
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers.accept).toBe('application/json');
  });
  it('API key in a header', async () => {
    const req = await received(await endpoint(await connection({ auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: API_KEY } })));
    expect(req.headers['x-api-key']).toBe(API_KEY);
  });
  it('API key in the query string', async () => {
    const req = await received(await endpoint(await connection({ auth: { type: 'api_key', in: 'query', name: 'api_key', value: API_KEY } })));
    expect(new URL(req.url, 'http://x').searchParams.get('api_key')).toBe(API_KEY);
  });
  it('bearer token', async () => {
    const req = await received(await endpoint(await connection({ auth: { type: 'bearer', token: TOKEN } })));
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
  it('basic', async () => {
    const req = await received(await endpoint(await connection({ auth: { type: 'basic', username: 'svc', password: PASSWORD } })));
    expect(req.headers.authorization).toBe(`Basic ${BASIC}`);
  });
  it('extra headers', async () => {
    const req = await received(await endpoint(await connection({ headers: { 'X-Tenant-Secret': HEADER_SECRET } })));
    expect(req.headers['x-tenant-secret']).toBe(HEADER_SECRET);
  });
});

describe('refused addresses', () => {
  it('refuses the tenant server when the connection does not allow private networks', async () => {
    const before = seen.length;
    const result = await call(await endpoint(await connection({ allowPrivateNetwork: false, auth: { type: 'bearer', token: TOKEN } })));
    expect(result).toMatchObject({ ok: false, code: 'blocked_address' });
    expect(seen.length).toBe(before);
  });
  it.each([
    'https://169.254.169.254',
    `https://[::1]:PORT/api`,
    `https://[::ffff:127.0.0.1]:PORT/api`,
    `https://2130706433:PORT/api`,
    `https://0x7f000001:PORT/api`,
    `https://0177.0.0.1:PORT/api`,
    `https://localhost:PORT/api`,
    `http://127.0.0.1:PORT/api`,
  ])('%s', async (baseUrl) => {
    const before = seen.length;
    const result = await call(await endpoint(await connection({ baseUrl: baseUrl.replace('PORT', String(port)), allowPrivateNetwork: false })));
    expect(result).toMatchObject({ ok: false, code: 'blocked_address' });
    expect(seen.length).toBe(before);
  });
  it('refuses the metadata address even with the private-network allowance', async () => {
    expect(await call(await endpoint(await connection({ baseUrl: 'http://169.254.169.254/latest', allowPrivateNetwork: true })))).toMatchObject({ ok: false, code: 'blocked_address' });
  });
  it("never lets the connection's flag alone reach a private network: without the operator's allowlist it is refused", async () => {
    const strict = createHttpActivities({ db, secrets: box });
    const result = await strict.callEndpoint({ accountId, endpointId: await endpoint(await connection()), values: {}, kind: 'conversation' });
    expect(result).toMatchObject({ ok: false, code: 'blocked_address' });
  });
  it('does not follow a redirect', async () => {
    const before = seen.length;
    const result = await call(await endpoint(await connection({ auth: { type: 'bearer', token: TOKEN } }), { path: '/redirect' }));
    expect(result).toMatchObject({ ok: false, status: 302, code: 'redirect' });
    expect(seen.length).toBe(before + 1);
  });
});

describe('outcomes', () => {
  let conn: string;
  beforeAll(async () => {
    conn = await connection();
  });
  it('4xx is an answer (not retried)', async () => {
    const result = await call(await endpoint(conn, { path: '/status/404' }));
    expect(result).toEqual({
      ok: false,
      status: 404,
      code: 'http_4xx',
      message: 'The service could not find what was asked for.',
      reason: 'Tenant answered 404 Not Found on GET /status/404: echo. Not retried: the same request would get the same answer.',
    });
  });
  it('5xx throws for Temporal to retry', async () => {
    const error = await call(await endpoint(conn, { path: '/status/503' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'TenantServerError', nonRetryable: false, message: 'Tenant answered 503 Service Unavailable on GET /status/503: echo. Temporary: Temporal retries it per the step\'s retry policy.' });
  });
  it('429 with Retry-After throws RateLimited with the delay', async () => {
    const error = await call(await endpoint(conn, { path: '/busy' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 2000 });
  });
  it('a timeout throws', async () => {
    await expect(call(await endpoint(conn, { path: '/slow', timeoutMs: 300 }))).rejects.toThrow('Tenant did not answer within 300 ms on GET /slow.');
  });
  it('a connection error throws', async () => {
    const closed = await connection({ baseUrl: `http://127.0.0.1:${await closedTenantPort()}/api` });
    await expect(call(await endpoint(closed))).rejects.toThrow();
  });
  it('an oversize response is a failure', async () => {
    expect(await call(await endpoint(conn, { path: '/big' }))).toMatchObject({ ok: false, code: 'response_too_large' });
  });
  it('a non-JSON response fails when fields are needed', async () => {
    const result = await call(await endpoint(conn, { path: '/html', responseFields: [{ name: 'x', path: 'x' }] }));
    expect(result).toEqual({
      ok: false,
      status: 200,
      code: 'invalid_response',
      message: 'The service answered in an unexpected format.',
      reason: 'Tenant answered 200 OK on GET /html, but not with the JSON its response fields or validation rules read. Not retried: the same request would get the same answer.',
    });
  });
  it('a non-JSON response is fine when nothing is read from it', async () => {
    expect(await call(await endpoint(conn, { path: '/html' }))).toMatchObject({ ok: true, status: 200, fields: {} });
  });
  it('reports transient failures instead of throwing for a Run Test', async () => {
    expect(await call(await endpoint(conn, { path: '/status/500' }), { kind: 'endpoint_test' })).toMatchObject({ ok: false, status: 500, code: 'http_5xx' });
    expect(await call(await endpoint(conn, { path: '/slow', timeoutMs: 300 }), { kind: 'endpoint_test' })).toMatchObject({ ok: false, code: 'timeout' });
  });
  it('is scoped by account', async () => {
    const id = await endpoint(conn);
    expect(await activities.callEndpoint({ accountId: 'someone_else', endpointId: id, values: {}, kind: 'conversation' })).toMatchObject({ ok: false, code: 'not_found' });
    const foreign = await connection({ account: 'someone_else' });
    expect(await call(await endpoint(foreign))).toMatchObject({ ok: false, code: 'not_found' });
  });
  it('refuses a hostile path value without calling', async () => {
    const before = seen.length;
    const id = await endpoint(conn, { path: '/orders/{id}', parameters: [{ name: 'id', type: 'string', in: 'path' }] });
    for (const value of ['../admin', '%2e%2e', 'a/b', 'http://evil']) {
      expect(await call(id, { values: { id: value } })).toMatchObject({ ok: false, code: 'invalid_value' });
    }
    expect(seen.length).toBe(before);
  });
});

describe('response fields and validation', () => {
  const order = {
    path: '/orders/{id}',
    parameters: [
      { name: 'id', type: 'string', in: 'path' },
      { name: 'email', type: 'email', in: 'query', source: 'contact', contactField: 'email' },
    ],
    responseFields: [
      { name: 'total', path: '$.order.total' },
      { name: 'first_sku', path: 'order.items[0].sku' },
      { name: 'items', path: 'order.items' },
      { name: 'missing', path: 'order.nope' },
    ],
    validations: [{ path: '$.order.email', op: 'equals_ignore_case', input: 'email', message: 'That email does not match this order.' }],
  };
  it('keeps only the listed fields when validation passes', async () => {
    const result = await call(await endpoint(await connection(), order), { values: { id: 'A-1' }, contact: { email: 'ANN@example.com' } });
    expect(result).toEqual({ ok: true, status: 200, durationMs: expect.any(Number), fields: { total: 42.5, first_sku: 'S-1', items: '[{"sku":"S-1"}]', missing: null } });
  });
  it('withholds everything when validation fails', async () => {
    const result = await call(await endpoint(await connection(), order), { values: { id: 'A-1', email: 'ann@example.com' }, contact: { email: 'bob@example.com' } });
    expect(result).toEqual({
      ok: false,
      status: 200,
      code: 'validation_failed',
      message: 'That email does not match this order.',
      reason:
        'Tenant answered 200 OK on GET /orders/{id}, but the response failed a validation rule ($.order.email equals_ignore_case input "email"): ' +
        '"That email does not match this order."; its data was withheld. Not retried: the same request would get the same answer.',
    });
  });
  it('returns the body only for a Run Test', async () => {
    const id = await endpoint(await connection(), order);
    const test = await call(id, { kind: 'endpoint_test', values: { id: 'A-1', email: 'ann@example.com' } });
    expect(test.ok && test.body).toMatchObject({ order: { internal: { margin: 0.4 } } });
    const conversation = await call(id, { values: { id: 'A-1' }, contact: { email: 'ann@example.com' } });
    expect(conversation).not.toHaveProperty('body');
  });
});

describe('Idempotency-Key', () => {
  it('is sent on POST', async () => {
    const id = await endpoint(await connection(), { method: 'POST', parameters: [{ name: 'qty', type: 'integer', in: 'body' }] });
    const req = await received(id, { values: { qty: '2' }, idempotencyKey: 'conversation-1:step-a' });
    expect(req.headers['idempotency-key']).toBe('conversation-1:step-a');
    expect(JSON.parse(req.body)).toEqual({ qty: 2 });
    expect(req.headers['content-type']).toBe('application/json');
  });
  it('is not sent on GET', async () => {
    const req = await received(await endpoint(await connection()), { idempotencyKey: 'conversation-1:step-a' });
    expect(req.headers['idempotency-key']).toBeUndefined();
  });
});

describe('call logs', () => {
  it('never hold a secret, even when the tenant echoes it back', async () => {
    const logAccount = `acc_${randomBytes(4).toString('hex')}`;
    const make = async (auth: AuthSpec, headers: Record<string, string> = {}) => {
      const c = await connection({ auth, headers, account: logAccount });
      const id = `ep_${randomBytes(6).toString('hex')}`;
      await models.Endpoint.create({ _id: id, accountId: logAccount, connectionId: c, name: 'Echo', method: 'POST', path: '/echo', parameters: [], bodyTemplate: { hello: 'world' }, responseFields: [{ name: 'echo', path: 'headers' }], validations: [], sideEffects: true, retry: { maxAttempts: 1, initialIntervalMs: 100 }, createdAt: new Date(), updatedAt: new Date() });
      return id;
    };
    const endpoints = [
      await make({ type: 'api_key', in: 'header', name: 'X-Api-Key', value: API_KEY }, { 'X-Tenant-Secret': HEADER_SECRET }),
      await make({ type: 'api_key', in: 'query', name: 'api_key', value: API_KEY }),
      await make({ type: 'bearer', token: TOKEN }),
      await make({ type: 'basic', username: 'svc', password: PASSWORD }),
    ];
    for (const endpointId of endpoints) {
      const result = await activities.callEndpoint({ accountId: logAccount, endpointId, values: {}, kind: 'endpoint_test', conversationId: 'conv_1', workflowId: 'wf_1' });
      expect(result.ok).toBe(true);
      // Fields and the Run Test body are masked too: they go into workflow history and API responses.
      const serialized = JSON.stringify(result);
      for (const secret of SECRETS) expect(serialized).not.toContain(secret);
    }
    const logs = await models.CallLog.find({ accountId: logAccount }).lean();
    expect(logs).toHaveLength(endpoints.length);
    const stored = JSON.stringify(logs);
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
    expect(stored).toContain('•••');
    expect(logs[0]).toMatchObject({ kind: 'endpoint_test', success: true, status: 200, attempt: 1, conversationId: 'conv_1', workflowId: 'wf_1', request: { method: 'POST', body: '{"hello":"world"}' } });
    expect(logs[0]!._id).toMatch(/^log_/);
  });

  it('logs every attempt with its number (from the activity context) and its outcome', async () => {
    const id = await endpoint(await connection(), { path: '/status/502' });
    const context = { info: { attempt: 3, workflowExecution: { workflowId: 'wf_ctx', runId: 'r' } }, cancellationSignal: new AbortController().signal, heartbeat: jest.fn() } as unknown as Context;
    await expect(asyncLocalStorage.run(context, () => call(id))).rejects.toThrow();
    const log = await models.CallLog.findOne({ endpointId: id }).lean();
    expect(log).toMatchObject({ attempt: 3, workflowId: 'wf_ctx', runId: 'r', success: false, status: 502, error: 'HTTP 502', response: { status: 502, truncated: false } });
    expect((context.heartbeat as jest.Mock).mock.calls.length).toBeGreaterThan(0);
  });
});

describe('testConnection', () => {
  const test = async (options: Parameters<typeof connection>[0]) => activities.testConnection({ accountId, connectionId: await connection(options) });
  it('succeeds against a reachable base URL with accepted credentials', async () => {
    expect(await test({ auth: { type: 'bearer', token: TOKEN } })).toEqual({ ok: true, status: 200, durationMs: expect.any(Number) });
  });
  it('says unauthorized for 401 and forbidden for 403', async () => {
    expect(await test({ baseUrl: `${tenantBase}/whoami` })).toMatchObject({ ok: false, code: 'unauthorized' });
    expect(await test({ baseUrl: `${tenantBase}/whoami`, auth: { type: 'bearer', token: 'wrong' } })).toMatchObject({ ok: false, code: 'forbidden' });
  });
  it('says refused for a closed port', async () => expect(await test({ baseUrl: `http://127.0.0.1:${await closedTenantPort()}` })).toMatchObject({ ok: false, code: 'refused' }));
  it('says dns for an unknown host', async () => expect(await test({ baseUrl: 'https://no-such-host.invalid' })).toMatchObject({ ok: false, code: 'dns' }));
  it('says tls when the server does not speak TLS', async () => expect(await test({ baseUrl: `https://127.0.0.1:${port}/api` })).toMatchObject({ ok: false, code: 'tls' }));
  it('says timeout', async () => expect(await test({ baseUrl: `${tenantBase}/slow`, timeoutMs: 300 })).toMatchObject({ ok: false, code: 'timeout' }));
  it('says blocked_address', async () => expect(await test({ allowPrivateNetwork: false, baseUrl: `https://localhost:${port}/api` })).toMatchObject({ ok: false, code: 'blocked_address' }));
  it('says http_error for a redirect or a 5xx', async () => {
    expect(await test({ baseUrl: `${tenantBase}/redirect` })).toMatchObject({ ok: false, code: 'http_error' });
    expect(await test({ baseUrl: `${tenantBase}/status/500` })).toMatchObject({ ok: false, code: 'http_error' });
  });
  it('says not_found for another account', async () => {
    expect(await activities.testConnection({ accountId: 'someone_else', connectionId: await connection() })).toMatchObject({ ok: false, code: 'not_found' });
  });
  it('is logged as connection_test, secrets masked', async () => {
    const connectionId = await connection({ auth: { type: 'api_key', in: 'query', name: 'key', value: API_KEY } });
    await activities.testConnection({ accountId, connectionId });
    const log = await models.CallLog.findOne({ connectionId }).lean();
    expect(log).toMatchObject({ kind: 'connection_test', success: true, request: { method: 'GET', url: `${tenantBase}?key=•••` } });
    expect(JSON.stringify(log)).not.toContain(API_KEY);
  });
});
