/**
 * Connections, endpoints, actions and call logs through the real API. Above all: credentials are
 * write-only (never in a response, never in the clear in MongoDB, sealed to the connection id and
 * readable after a key rotation), every resource belongs to one account (another account's ids answer
 * 404), and bad input is a 4xx `{ message, code, details }`, never a 500 or a half-written record.
 *
 * No worker: these routes only read and write configuration.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { createDeps } from '../../api/deps';
import type { ConnectionSecrets } from '../../models/connection.model';
import { SecretBox, type SealedSecret } from '../../models/secret-box';
import { http, signUp, startStack, type Http, type HttpResult, type Stack, recording } from '../harness';
import { TENANT_PORTS } from '../tenant-ports';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true, api: { ACCOUNT_SIGNUPS_PER_HOUR: '100' } });
});
afterAll(() => stack?.stop());

const MASK = '••••';
const unique = (tag: string) => `${tag}-${randomBytes(12).toString('hex')}`;
/** Every secret sent in this file; none may ever come back. */
const secrets: string[] = [];
const secret = (tag: string): string => {
  const value = unique(tag);
  secrets.push(value);
  return value;
};

/** Every response body seen through `recorded(...)` clients. */
const seen: string[] = [];
const recorded = (client: Http): Http => recording(client, seen);

/** The API key behind each client made by `account(...)`, to talk to a second server as the same caller. */
const keyOf = new WeakMap<Http, string>();
async function account(name: string): Promise<Http> {
  const { api, key } = await signUp(stack.baseUrl, name);
  const client = recorded(api);
  keyOf.set(client, key);
  return client;
}

function expectProblem(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { message: expect.any(String), code, details: res.body?.details } });
  expect(Object.keys(res.body).sort()).toEqual(['code', 'details', 'message']);
}

/** A 400 `code` whose details name `field` (a `{ field, message }` issue). */
function expectIssue(res: HttpResult, code: string, field: string): void {
  expectProblem(res, 400, code);
  expect(res.body.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
}

function expectNoSecret(res: HttpResult): void {
  const text = JSON.stringify(res.body);
  for (const s of secrets) expect(text).not.toContain(s);
}

const storedConnection = (id: string) => stack.db.collection<{ _id: string; sealed: SealedSecret; auth: object }>('connections').findOne({ _id: id });

const orderEndpoint = (over: Record<string, unknown> = {}) => ({
  name: 'Get order',
  method: 'GET',
  path: '/orders/{order_id}',
  parameters: [
    { name: 'order_id', type: 'string', in: 'path' },
    { name: 'email', type: 'email', in: 'query' },
  ],
  responseFields: [
    { name: 'status', path: '$.status' },
    { name: 'token', path: '$.token' },
  ],
  validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: 'No such order.' }],
  ...over,
});

async function newConnection(api: Http, over: Record<string, unknown> = {}): Promise<string> {
  const res = await api.post('/v1/connections', { name: 'Shop', baseUrl: 'https://shop.example.com', ...over });
  if (res.status !== 201) throw new Error(`connection create failed: ${JSON.stringify(res.body)}`);
  return res.body.connection.id;
}

async function newEndpoint(api: Http, connectionId: string, over: Record<string, unknown> = {}): Promise<string> {
  const res = await api.post(`/v1/connections/${connectionId}/endpoints`, orderEndpoint(over));
  if (res.status !== 201) throw new Error(`endpoint create failed: ${JSON.stringify(res.body)}`);
  return res.body.endpoint.id;
}

describe('connections', () => {
  let api: Http;
  beforeAll(async () => {
    api = await account('Connections Co');
  });

  it('creates a connection, normalizes its base URL, and shows its credentials only as masks', async () => {
    const token = secret('bearer');
    const tenant = secret('tenant');
    const created = await api.post('/v1/connections', {
      name: '  Shop  ',
      baseUrl: 'HTTPS://Shop.Example.com:443/api/v2/',
      auth: { type: 'bearer', token },
      headers: { 'X-Tenant': tenant },
    });
    expect(created.status).toBe(201);
    const connection = created.body.connection;
    expect(connection).toEqual({
      id: expect.stringMatching(/^conn_/),
      name: 'Shop',
      baseUrl: 'https://shop.example.com/api/v2',
      auth: { type: 'bearer', token: MASK },
      headers: { 'X-Tenant': MASK },
      timeoutMs: 10_000,
      allowPrivateNetwork: false,
      privateNetworkAccess: 'not_requested',
      createdAt: expect.any(String),
      updatedAt: connection.createdAt,
    });
    expectNoSecret(created);

    const read = await api.get(`/v1/connections/${connection.id}`);
    expect(read).toMatchObject({ status: 200, body: { connection } });
    expectNoSecret(read);
    const list = await api.get('/v1/connections');
    expect(list.body.data).toContainEqual(connection);
    expectNoSecret(list);
  });

  it('masks every kind of auth, keeping only its non-secret parts', async () => {
    const cases = [
      [{ type: 'api_key', in: 'header', name: 'X-Api-Key', value: secret('key') }, { type: 'api_key', in: 'header', name: 'X-Api-Key', value: MASK }],
      [{ type: 'api_key', in: 'query', name: 'apikey', value: secret('key') }, { type: 'api_key', in: 'query', name: 'apikey', value: MASK }],
      [{ type: 'basic', username: 'ck_user', password: secret('pw') }, { type: 'basic', username: 'ck_user', password: MASK }],
      [{ type: 'none' }, { type: 'none' }],
    ] as const;
    for (const [auth, shown] of cases) {
      const res = await api.post('/v1/connections', { name: 'Kinds', baseUrl: 'https://kinds.example.com', auth });
      expect({ status: res.status, auth: res.body.connection?.auth }).toEqual({ status: 201, auth: shown });
      expectNoSecret(res);
      expect((await api.get(`/v1/connections/${res.body.connection.id}`)).body.connection.auth).toEqual(shown);
    }
    const bare = await api.post('/v1/connections', { name: 'Bare', baseUrl: 'https://bare.example.com' });
    expect(bare.body.connection).toMatchObject({ auth: { type: 'none' }, headers: {} });
  });

  it('stores no plaintext secret; the sealed value opens with the key, bound to the connection id', async () => {
    const password = secret('basic-pw');
    const header = secret('header');
    const id = await newConnection(api, { auth: { type: 'basic', username: 'shop-user', password }, headers: { 'X-Shop-Secret': header, 'X-Plain': 'x' } });
    const doc = await storedConnection(id);
    expect(doc).not.toBeNull();
    const text = JSON.stringify(doc);
    expect(text).not.toContain(password);
    expect(text).not.toContain(header);
    expect(doc).toMatchObject({ auth: { type: 'basic', username: 'shop-user' }, headerNames: ['X-Shop-Secret', 'X-Plain'] });
    expect(Object.keys(doc!.auth as object).sort()).toEqual(['type', 'username']);

    const box = new SecretBox(stack.secretKeys);
    expect(doc!.sealed.keyId).toBe('test');
    expect(box.open<ConnectionSecrets>(doc!.sealed, id)).toEqual({ auth: { password }, headers: { 'X-Shop-Secret': header, 'X-Plain': 'x' } });
    // Bound to its connection: the same sealed value does not open as another connection's.
    const other = await newConnection(api);
    expect(() => box.open(doc!.sealed, other)).toThrow();
    // And only with the right key.
    expect(() => new SecretBox(SecretBox.generateKey('test')).open(doc!.sealed, id)).toThrow();
  });

  it('keeps old connections readable after a key rotation, and re-seals with the new key on update', async () => {
    const token = secret('pre-rotation');
    const header = secret('pre-rotation-header');
    const id = await newConnection(api, { auth: { type: 'bearer', token }, headers: { 'X-Tenant': header } });
    const before = (await storedConnection(id))!;

    const rotatedKeys = `${SecretBox.generateKey('k2')},${stack.secretKeys}`;
    const rotated = new SecretBox(rotatedKeys);
    expect(rotated.open<ConnectionSecrets>(before.sealed, id)).toEqual({ auth: { token }, headers: { 'X-Tenant': header } });
    expect(rotated.seal({ a: 1 }, id).keyId).toBe('k2');

    // An API started with the rotated keys opens the old value to keep the headers while replacing the auth.
    const rotatedApi = await serveWith(rotatedKeys);
    try {
      const newToken = secret('post-rotation');
      const res = await rotatedApi.client(api).patch(`/v1/connections/${id}`, { auth: { type: 'bearer', token: newToken } });
      expect(res.status).toBe(200);
      expectNoSecret(res);
      const after = (await storedConnection(id))!;
      expect(after.sealed.keyId).toBe('k2');
      expect(rotated.open<ConnectionSecrets>(after.sealed, id)).toEqual({ auth: { token: newToken }, headers: { 'X-Tenant': header } });
      // The old key alone no longer opens it.
      expect(() => new SecretBox(stack.secretKeys).open(after.sealed, id)).toThrow();
    } finally {
      await rotatedApi.close();
    }
  });

  it('refuses a partial credential update when the stored secrets cannot be opened, and accepts a full one', async () => {
    const id = await newConnection(api, { auth: { type: 'bearer', token: secret('lost') }, headers: { 'X-Tenant': secret('lost-h') } });
    const lostKeyApi = await serveWith(SecretBox.generateKey('other'));
    try {
      const client = lostKeyApi.client(api);
      expectProblem(await client.patch(`/v1/connections/${id}`, { auth: { type: 'none' } }), 409, 'secrets_unreadable');
      expectProblem(await client.patch(`/v1/connections/${id}`, { headers: {} }), 409, 'secrets_unreadable');
      // Fields other than credentials need no key.
      expect((await client.patch(`/v1/connections/${id}`, { name: 'Renamed' })).status).toBe(200);
      const full = await client.patch(`/v1/connections/${id}`, { auth: { type: 'none' }, headers: {} });
      expect(full.status).toBe(200);
      expect(full.body.connection).toMatchObject({ name: 'Renamed', auth: { type: 'none' }, headers: {} });
    } finally {
      await lostKeyApi.close();
    }
  });

  it('updates any subset; auth and headers are replaced whole and sealed again', async () => {
    const token = secret('patch-token');
    const header = secret('patch-header');
    const id = await newConnection(api, { auth: { type: 'bearer', token }, headers: { 'X-A': header, 'X-B': 'b' } });
    const original = (await api.get(`/v1/connections/${id}`)).body.connection;
    const sealedBefore = (await storedConnection(id))!.sealed;

    const renamed = await api.patch(`/v1/connections/${id}`, { name: 'Renamed', timeoutMs: 5000 });
    expect(renamed.status).toBe(200);
    expect(renamed.body.connection).toEqual({ ...original, name: 'Renamed', timeoutMs: 5000, updatedAt: expect.any(String) });
    expect((await storedConnection(id))!.sealed).toEqual(sealedBefore);

    const password = secret('patch-pw');
    const reauthed = await api.patch(`/v1/connections/${id}`, { auth: { type: 'basic', username: 'u', password } });
    expect(reauthed.status).toBe(200);
    expect(reauthed.body.connection).toMatchObject({ auth: { type: 'basic', username: 'u', password: MASK }, headers: { 'X-A': MASK, 'X-B': MASK } });
    expectNoSecret(reauthed);
    const box = new SecretBox(stack.secretKeys);
    const afterAuth = (await storedConnection(id))!;
    expect(afterAuth.sealed.iv).not.toBe(sealedBefore.iv);
    expect(box.open(afterAuth.sealed, id)).toEqual({ auth: { password }, headers: { 'X-A': header, 'X-B': 'b' } });

    const newHeader = secret('patch-header-2');
    const reheadered = await api.patch(`/v1/connections/${id}`, { headers: { 'X-C': newHeader } });
    expect(reheadered.body.connection).toMatchObject({ auth: { type: 'basic', username: 'u', password: MASK }, headers: { 'X-C': MASK } });
    expect(Object.keys(reheadered.body.connection.headers)).toEqual(['X-C']);
    expectNoSecret(reheadered);
    const stored = (await storedConnection(id))!;
    expect(box.open(stored.sealed, id)).toEqual({ auth: { password }, headers: { 'X-C': newHeader } });
    expect(JSON.stringify(stored)).not.toContain(newHeader);
    expect(JSON.stringify(stored)).not.toContain(password);
    expectNoSecret(await api.get(`/v1/connections/${id}`));
  });

  it('refuses plain http unless private networks are allowed, and base URLs with credentials, a query or a fragment', async () => {
    const before = await stack.deps.ApiConnection.countDocuments({});
    const post = (baseUrl: string, extra: Record<string, unknown> = {}) => api.post('/v1/connections', { name: 'Bad', baseUrl, ...extra });
    expectProblem(await post('http://shop.example.com'), 400, 'validation_failed');
    expectIssue(await post('HTTP://shop.example.com'), 'invalid_connection', 'baseUrl');
    expectIssue(await post(`https://user:${secret('url-pw')}@shop.example.com`), 'invalid_connection', 'baseUrl');
    expectIssue(await post('https://user@shop.example.com'), 'invalid_connection', 'baseUrl');
    expectIssue(await post('https://shop.example.com/api?key=1'), 'invalid_connection', 'baseUrl');
    expectIssue(await post('https://shop.example.com/api?'), 'invalid_connection', 'baseUrl');
    expectIssue(await post('https://shop.example.com/#top'), 'invalid_connection', 'baseUrl');
    for (const url of ['ftp://shop.example.com', 'javascript:alert(1)', '/relative', 'not a url', '']) expectProblem(await post(url), 400, 'validation_failed');
    expect(await stack.deps.ApiConnection.countDocuments({})).toBe(before);

    // Plain http only inside the operator's allowlist (here the tests' tenant range), with the request.
    expectIssue(await post('http://127.0.0.1:8080/', { allowPrivateNetwork: true }), 'invalid_connection', 'baseUrl');
    const local = await post(`http://127.0.0.1:${TENANT_PORTS.from}/`, { allowPrivateNetwork: true });
    expect(local.status).toBe(201);
    expect(local.body.connection).toMatchObject({ baseUrl: `http://127.0.0.1:${TENANT_PORTS.from}`, allowPrivateNetwork: true, privateNetworkAccess: 'allowlisted' });
    // The allowance cannot be withdrawn while the URL is plain http.
    expectIssue(await api.patch(`/v1/connections/${local.body.connection.id}`, { allowPrivateNetwork: false }), 'invalid_connection', 'baseUrl');
    expectProblem(await api.patch(`/v1/connections/${local.body.connection.id}`, { baseUrl: 'https://x.example.com?x' }), 400, 'invalid_connection');
    expect((await api.get(`/v1/connections/${local.body.connection.id}`)).body.connection).toMatchObject({ baseUrl: `http://127.0.0.1:${TENANT_PORTS.from}`, allowPrivateNetwork: true });
  });

  it('asks for the credentials again when the base URL moves to another origin', async () => {
    const id = await newConnection(api, { auth: { type: 'bearer', token: secret('pinned') }, headers: { 'X-T': secret('pinned-h') } });
    const moved = await api.patch(`/v1/connections/${id}`, { baseUrl: 'https://attacker.example.net' });
    expectIssue(moved, 'invalid_connection', 'auth');
    expectIssue(moved, 'invalid_connection', 'headers');
    expectIssue(await api.patch(`/v1/connections/${id}`, { baseUrl: 'https://attacker.example.net', auth: { type: 'none' } }), 'invalid_connection', 'headers');
    expect((await api.get(`/v1/connections/${id}`)).body.connection.baseUrl).toBe('https://shop.example.com');
    // Another path on the same origin keeps them.
    expect((await api.patch(`/v1/connections/${id}`, { baseUrl: 'https://shop.example.com/v3/' })).body.connection.baseUrl).toBe('https://shop.example.com/v3');
    const resent = await api.patch(`/v1/connections/${id}`, { baseUrl: 'https://new.example.com', auth: { type: 'bearer', token: secret('new') }, headers: {} });
    expect(resent.status).toBe(200);
    expect(resent.body.connection).toMatchObject({ baseUrl: 'https://new.example.com', auth: { type: 'bearer', token: MASK }, headers: {} });
  });

  it('refuses headers that clash, are reserved, or would split the request', async () => {
    const before = await stack.deps.ApiConnection.countDocuments({});
    const post = (body: Record<string, unknown>) => api.post('/v1/connections', { name: 'Headers', baseUrl: 'https://h.example.com', ...body });
    expectIssue(await post({ headers: { 'X-Tenant': 'a', 'x-tenant': 'b' } }), 'invalid_connection', 'headers.x-tenant');
    expectIssue(await post({ headers: { Host: 'evil.example.com' } }), 'invalid_connection', 'headers.Host');
    expectIssue(await post({ headers: { 'Idempotency-Key': 'x' } }), 'invalid_connection', 'headers.Idempotency-Key');
    expectIssue(await post({ auth: { type: 'bearer', token: 't' }, headers: { Authorization: 'Bearer other' } }), 'invalid_connection', 'headers.Authorization');
    expectIssue(await post({ auth: { type: 'api_key', in: 'header', name: 'X-Key', value: 'v' }, headers: { 'x-key': 'w' } }), 'invalid_connection', 'headers.x-key');
    expectIssue(await post({ headers: { 'X-Split': 'a\r\nX-Injected: 1' } }), 'invalid_connection', 'headers.X-Split');
    expectIssue(await post({ auth: { type: 'bearer', token: 'a\nb' } }), 'invalid_connection', 'auth.token');
    expectIssue(await post({ auth: { type: 'api_key', in: 'header', name: 'Not a header', value: 'v' } }), 'invalid_connection', 'auth.name');
    expectIssue(await post({ auth: { type: 'basic', username: 'a:b', password: 'p' } }), 'invalid_connection', 'auth.username');
    expectProblem(await post({ headers: { 'Bad Header': 'x' } }), 400, 'validation_failed');
    expect(await stack.deps.ApiConnection.countDocuments({})).toBe(before);
    // A PATCH of auth alone is checked against the headers already stored.
    const id = await newConnection(api, { headers: { Authorization: 'Token abc' } });
    expectIssue(await api.patch(`/v1/connections/${id}`, { auth: { type: 'bearer', token: 't' } }), 'invalid_connection', 'headers.Authorization');
  });

  it('pages through connections with limit and after', async () => {
    const fresh = await account('Paging connections');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await newConnection(fresh, { name: `C${i}` }));
    const first = await fresh.get('/v1/connections?limit=2');
    expect(first.body).toMatchObject({ hasMore: true, nextAfter: ids[1] });
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 2));
    const second = await fresh.get(`/v1/connections?limit=2&after=${first.body.nextAfter}`);
    expect(second.body).toMatchObject({ hasMore: false, nextAfter: null });
    expect(second.body.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(2));
  });

  it('deletes a connection; one with endpoints only with force=true, which deletes them too', async () => {
    const empty = await newConnection(api);
    expect((await api.delete(`/v1/connections/${empty}`)).status).toBe(204);
    expectProblem(await api.get(`/v1/connections/${empty}`), 404, 'connection_not_found');
    expectProblem(await api.delete(`/v1/connections/${empty}`), 404, 'connection_not_found');

    const used = await newConnection(api);
    const endpoint = await newEndpoint(api, used);
    const actionId = unique('uses').slice(0, 40);
    expect((await api.post('/v1/actions', { id: actionId, name: 'Uses', steps: [{ id: 's', endpointId: endpoint }] })).status).toBe(201);
    const refused = await api.delete(`/v1/connections/${used}`);
    expectProblem(refused, 409, 'connection_in_use');
    expect(refused.body.details).toEqual({ endpoints: [endpoint], actions: [actionId] });
    expectProblem(await api.delete(`/v1/connections/${used}?force=yes`), 400, 'validation_failed');
    expect((await api.get(`/v1/connections/${used}/endpoints/${endpoint}`)).status).toBe(200);

    expect((await api.delete(`/v1/connections/${used}?force=true`)).status).toBe(204);
    expectProblem(await api.get(`/v1/connections/${used}`), 404, 'connection_not_found');
    expect(await stack.deps.Endpoint.countDocuments({ connectionId: used })).toBe(0);
  });
});

describe('endpoints', () => {
  let api: Http;
  let conn: string;
  beforeAll(async () => {
    api = await account('Endpoints Co');
    conn = await newConnection(api);
  });

  it('creates, reads, lists, updates and deletes an endpoint', async () => {
    const created = await api.post(`/v1/connections/${conn}/endpoints`, orderEndpoint({ bodyTemplate: undefined }));
    expect(created.status).toBe(201);
    const endpoint = created.body.endpoint;
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^ep_/),
      connectionId: conn,
      name: 'Get order',
      description: '',
      method: 'GET',
      path: '/orders/{order_id}',
      parameters: [
        { name: 'order_id', type: 'string', in: 'path', required: true, description: '', source: 'visitor' },
        { name: 'email', type: 'email', in: 'query', required: true, description: '', source: 'visitor' },
      ],
      bodyTemplate: null,
      responseFields: [
        { name: 'status', path: '$.status' },
        { name: 'token', path: '$.token' },
      ],
      validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: 'No such order.' }],
      sideEffects: false,
      timeoutMs: null,
      retry: { maxAttempts: 3, initialIntervalMs: 500 },
      longRunning: null,
      imported: null,
      createdAt: expect.any(String),
      updatedAt: endpoint.createdAt,
    });
    expect((await api.get(`/v1/connections/${conn}/endpoints/${endpoint.id}`)).body.endpoint).toEqual(endpoint);
    expect((await api.get(`/v1/connections/${conn}/endpoints`)).body.data).toContainEqual(endpoint);

    // Only what is sent changes: the schema's defaults must not wipe the rest.
    const renamed = await api.patch(`/v1/connections/${conn}/endpoints/${endpoint.id}`, { name: 'Order lookup' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.endpoint).toEqual({ ...endpoint, name: 'Order lookup', updatedAt: expect.any(String) });

    const withBody = await api.patch(`/v1/connections/${conn}/endpoints/${endpoint.id}`, {
      method: 'POST',
      parameters: [
        { name: 'order_id', type: 'string', in: 'path' },
        { name: 'email', type: 'email', in: 'body' },
      ],
      bodyTemplate: { contact: { email: '{{email}}' }, tags: ['{{ email }}', 1] },
      timeoutMs: 2000,
    });
    expect(withBody.status).toBe(200);
    expect(withBody.body.endpoint).toMatchObject({ method: 'POST', bodyTemplate: { contact: { email: '{{email}}' }, tags: ['{{ email }}', 1] }, timeoutMs: 2000, name: 'Order lookup' });
    const cleared = await api.patch(`/v1/connections/${conn}/endpoints/${endpoint.id}`, { bodyTemplate: null });
    expect(cleared.body.endpoint).toMatchObject({ bodyTemplate: null, timeoutMs: 2000 });
    expect((await stack.deps.Endpoint.findById(endpoint.id).lean())).not.toHaveProperty('bodyTemplate');

    expect((await api.delete(`/v1/connections/${conn}/endpoints/${endpoint.id}`)).status).toBe(204);
    expectProblem(await api.get(`/v1/connections/${conn}/endpoints/${endpoint.id}`), 404, 'endpoint_not_found');
    expect((await api.get(`/v1/connections/${conn}/endpoints`)).body.data.map((e: { id: string }) => e.id)).not.toContain(endpoint.id);
  });

  it('refuses endpoints whose parts do not agree, naming each field, and writes nothing', async () => {
    const before = await stack.deps.Endpoint.countDocuments({});
    const post = (over: Record<string, unknown>) => api.post(`/v1/connections/${conn}/endpoints`, orderEndpoint(over));
    const q = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: 'string', in: 'query', ...extra });
    const p = (name: string) => ({ name, type: 'string', in: 'path' });
    const b = (name: string) => ({ name, type: 'string', in: 'body' });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ path: '/orders/{order_id}/{line}' }, 'path'],
      [{ path: '/orders' }, 'parameters[0].in'],
      [{ parameters: [p('order_id'), q('email'), q('line')], path: '/orders/{order_id}/{email}' }, 'path'],
      [{ parameters: [p('order_id'), q('email'), q('email')] }, 'parameters[2].name'],
      [{ parameters: [p('order_id'), q('email'), b('email')] }, 'parameters[2].name'],
      [{ path: '/orders/{order_id}/{bad-name}' }, 'path'],
      [{ path: '/orders/{order_id}/{' }, 'path'],
      [{ path: '/orders/../admin/{order_id}' }, 'path'],
      [{ path: '/orders/%2e%2e/{order_id}' }, 'path'],
      [{ validations: [{ input: 'nope', path: '$.a', op: 'equals', message: 'm' }] }, 'validations[0].input'],
      [{ validations: [{ path: '$.a', op: 'equals', message: 'm' }] }, 'validations[0]'],
      [{ validations: [{ input: 'email', value: 'x', path: '$.a', op: 'contains', message: 'm' }] }, 'validations[0]'],
      [{ validations: [{ path: '$.a', op: 'regex', value: '(?=lookahead)', message: 'm' }] }, 'validations[0].value'],
      [{ validations: [{ path: '$.a', op: 'regex', value: '(a)\\1', message: 'm' }] }, 'validations[0].value'],
      [{ validations: [{ path: '$.a', op: 'regex', value: 5, message: 'm' }] }, 'validations[0].value'],
      [{ validations: [{ path: '$.a', op: 'gt', value: 'ten', message: 'm' }] }, 'validations[0].value'],
      [{ method: 'POST', bodyTemplate: { email: '{{email}}' } }, 'bodyTemplate.email'],
      [{ method: 'POST', bodyTemplate: { who: '{{someone}}' } }, 'bodyTemplate.who'],
      [{ method: 'POST', bodyTemplate: { list: [{ x: '{{first name}}' }] } }, 'bodyTemplate.list[0].x'],
      [{ method: 'POST', bodyTemplate: { $where: 'x' } }, 'bodyTemplate.$where'],
      [{ method: 'POST', bodyTemplate: { 'a.b': 'x' } }, 'bodyTemplate.a.b'],
      [{ responseFields: [{ name: 'status', path: '$.a' }, { name: 'status', path: '$.b' }] }, 'responseFields[1].name'],
    ];
    for (const [over, field] of cases) {
      const res = await post(over);
      expect({ over, status: res.status, code: res.body.code }).toEqual({ over, status: 400, code: 'invalid_endpoint' });
      expectIssue(res, 'invalid_endpoint', field);
    }
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expectProblem(await post({ method: 'POST', bodyTemplate: deep }), 400, 'invalid_endpoint');
    // Too deep for a recursive walk (or for JSON.stringify here): sent as text.
    const deeper = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const raw = JSON.stringify(orderEndpoint({ method: 'POST', bodyTemplate: 'DEEP' })).replace('"DEEP"', deeper);
    const veryDeep = await api.raw('POST', `/v1/connections/${conn}/endpoints`, raw);
    expect(veryDeep.status).toBe(400);
    expect(['invalid_endpoint', 'invalid_json']).toContain(veryDeep.body.code);
    // Plain schema failures are validation_failed.
    expectProblem(await post({ method: 'TRACE' }), 400, 'validation_failed');
    expectProblem(await post({ path: 'orders/{order_id}' }), 400, 'validation_failed');
    expect(await stack.deps.Endpoint.countDocuments({})).toBe(before);
  });

  it('checks an update as a whole and leaves the endpoint unchanged when it fails', async () => {
    const id = await newEndpoint(api, conn);
    const before = (await api.get(`/v1/connections/${conn}/endpoints/${id}`)).body.endpoint;
    expectIssue(await api.patch(`/v1/connections/${conn}/endpoints/${id}`, { path: '/orders/{order_id}/{line}' }), 'invalid_endpoint', 'path');
    expectIssue(await api.patch(`/v1/connections/${conn}/endpoints/${id}`, { parameters: [{ name: 'order_id', type: 'string', in: 'path' }] }), 'invalid_endpoint', 'validations[0].input');
    expectProblem(await api.patch(`/v1/connections/${conn}/endpoints/${id}`, {}), 400, 'validation_failed');
    expect((await api.get(`/v1/connections/${conn}/endpoints/${id}`)).body.endpoint).toEqual(before);
  });

  it('refuses to break an action that uses the endpoint, and to delete it unless forced', async () => {
    const first = await newEndpoint(api, conn);
    const second = await newEndpoint(api, conn, { parameters: [{ name: 'order_id', type: 'string', in: 'path' }, { name: 'email', type: 'email', in: 'query' }, { name: 'auth', type: 'string', in: 'header' }] });
    const actionId = unique('chain').slice(0, 40);
    const action = {
      id: actionId,
      name: 'Chain',
      steps: [
        { id: 'one', endpointId: first },
        { id: 'two', endpointId: second, inputs: { auth: { from: 'step', step: 'one', field: 'token' } } },
      ],
    };
    expect((await api.post('/v1/actions', action)).status).toBe(201);

    const breaking = await api.patch(`/v1/connections/${conn}/endpoints/${first}`, { responseFields: [{ name: 'status', path: '$.status' }] });
    expectProblem(breaking, 409, 'endpoint_in_use');
    expect(breaking.body.details).toEqual([{ action: actionId, field: 'steps[1].inputs.auth.field', message: expect.any(String) }]);
    expectProblem(await api.patch(`/v1/connections/${conn}/endpoints/${second}`, { parameters: [{ name: 'order_id', type: 'string', in: 'path' }, { name: 'email', type: 'email', in: 'query' }] }), 409, 'endpoint_in_use');
    expect((await api.patch(`/v1/connections/${conn}/endpoints/${first}`, { description: 'fine' })).status).toBe(200);

    const refused = await api.delete(`/v1/connections/${conn}/endpoints/${second}`);
    expectProblem(refused, 409, 'endpoint_in_use');
    expect(refused.body.details).toEqual({ actions: [actionId] });
    expect((await api.delete(`/v1/connections/${conn}/endpoints/${second}?force=true`)).status).toBe(204);
    expectProblem(await api.get(`/v1/connections/${conn}/endpoints/${second}`), 404, 'endpoint_not_found');
  });

  it('answers 404 for an endpoint under the wrong connection', async () => {
    const other = await newConnection(api);
    const id = await newEndpoint(api, conn);
    expectProblem(await api.get(`/v1/connections/${other}/endpoints/${id}`), 404, 'endpoint_not_found');
    expectProblem(await api.patch(`/v1/connections/${other}/endpoints/${id}`, { name: 'x' }), 404, 'endpoint_not_found');
    expectProblem(await api.delete(`/v1/connections/${other}/endpoints/${id}`), 404, 'endpoint_not_found');
    expectProblem(await api.post('/v1/connections/conn_missing/endpoints', orderEndpoint()), 404, 'connection_not_found');
    expect((await api.get(`/v1/connections/${conn}/endpoints/${id}`)).body.endpoint.name).toBe('Get order');
  });
});

describe('actions', () => {
  let api: Http;
  let conn: string;
  let lookup: string;
  let login: string;
  beforeAll(async () => {
    api = await account('Actions Co');
    conn = await newConnection(api);
    lookup = await newEndpoint(api, conn);
    login = await newEndpoint(api, conn, { name: 'Login', method: 'POST', path: '/login', parameters: [{ name: 'user', type: 'string', in: 'body' }], validations: [] });
  });

  it('creates, reads, lists, replaces and deletes an action', async () => {
    const body = {
      id: 'order_status',
      name: 'Order status',
      description: 'Looks up an order.',
      steps: [
        { id: 'login', endpointId: login, compensation: { endpointId: login, inputs: { user: { from: 'step', step: 'login', field: 'token' } } } },
        { id: 'order', endpointId: lookup, inputs: { email: { from: 'input', name: 'email_address' }, order_id: { from: 'step', step: 'login', field: 'status' } } },
      ],
      outputStep: 'order',
    };
    const created = await api.post('/v1/actions', body);
    expect(created.status).toBe(201);
    const action = created.body.action;
    expect(action).toEqual({
      id: 'order_status',
      name: 'Order status',
      description: 'Looks up an order.',
      steps: [{ ...body.steps[0], inputs: {} }, body.steps[1]],
      outputStep: 'order',
      createdAt: expect.any(String),
      updatedAt: action.createdAt,
    });
    expectProblem(await api.post('/v1/actions', body), 409, 'action_exists');
    expect((await api.get('/v1/actions/order_status')).body.action).toEqual(action);
    expect((await api.get('/v1/actions')).body.data).toContainEqual(action);
    // Ids are per account: another account may use the same one.
    const other = await account('Actions Co 2');
    const otherConn = await newConnection(other);
    expect((await other.post('/v1/actions', { ...body, steps: [{ id: 'order', endpointId: await newEndpoint(other, otherConn) }] })).status).toBe(201);

    const replaced = await api.put('/v1/actions/order_status', { id: 'order_status', name: 'Order status v2', steps: [{ id: 'only', endpointId: lookup }] });
    expect(replaced.status).toBe(200);
    expect(replaced.body.action).toEqual({
      id: 'order_status',
      name: 'Order status v2',
      description: '',
      steps: [{ id: 'only', endpointId: lookup, inputs: {} }],
      outputStep: null,
      createdAt: action.createdAt,
      updatedAt: expect.any(String),
    });
    expectProblem(await api.put('/v1/actions/order_status', { id: 'renamed', name: 'x', steps: [{ id: 's', endpointId: lookup }] }), 400, 'validation_failed');
    expectProblem(await api.put('/v1/actions/missing', { id: 'missing', name: 'x', steps: [{ id: 's', endpointId: lookup }] }), 404, 'action_not_found');

    expect((await api.delete('/v1/actions/order_status')).status).toBe(204);
    expectProblem(await api.get('/v1/actions/order_status'), 404, 'action_not_found');
    expectProblem(await api.delete('/v1/actions/order_status'), 404, 'action_not_found');
    expect((await other.get('/v1/actions/order_status')).status).toBe(200);
  });

  it('pages through actions in id order', async () => {
    const fresh = await account('Paging actions');
    const c = await newConnection(fresh);
    const e = await newEndpoint(fresh, c);
    for (const id of ['c-action', 'A_action', 'b-action']) expect((await fresh.post('/v1/actions', { id, name: id, steps: [{ id: 's', endpointId: e }] })).status).toBe(201);
    const first = await fresh.get('/v1/actions?limit=2');
    expect(first.body).toMatchObject({ hasMore: true, nextAfter: 'b-action' });
    expect(first.body.data.map((a: { id: string }) => a.id)).toEqual(['A_action', 'b-action']);
    const rest = await fresh.get(`/v1/actions?limit=2&after=${first.body.nextAfter}`);
    expect(rest.body).toMatchObject({ hasMore: false, nextAfter: null });
    expect(rest.body.data.map((a: { id: string }) => a.id)).toEqual(['c-action']);
  });

  it('refuses steps that name unknown endpoints, later steps, unknown fields or parameters', async () => {
    const before = await stack.deps.Action.countDocuments({});
    const post = (steps: unknown[], extra: Record<string, unknown> = {}) => api.post('/v1/actions', { id: unique('bad').slice(0, 40), name: 'Bad', steps, ...extra });
    const foreign = await (async () => {
      const other = await account('Foreign endpoints');
      return newEndpoint(other, await newConnection(other));
    })();
    const cases: Array<[unknown[], string, Record<string, unknown>?]> = [
      [[{ id: 's', endpointId: 'ep_missing' }], 'steps[0].endpointId'],
      [[{ id: 's', endpointId: foreign }], 'steps[0].endpointId'],
      [[{ id: 'a', endpointId: lookup, inputs: { email: { from: 'step', step: 'b', field: 'status' } } }, { id: 'b', endpointId: lookup }], 'steps[0].inputs.email.step'],
      [[{ id: 'a', endpointId: lookup, inputs: { email: { from: 'step', step: 'a', field: 'status' } } }], 'steps[0].inputs.email.step'],
      [[{ id: 'a', endpointId: lookup, inputs: { email: { from: 'step', step: 'nope', field: 'status' } } }], 'steps[0].inputs.email.step'],
      [[{ id: 'a', endpointId: login }, { id: 'b', endpointId: lookup, inputs: { email: { from: 'step', step: 'a', field: 'missing_field' } } }], 'steps[1].inputs.email.field'],
      [[{ id: 'a', endpointId: lookup, inputs: { not_a_param: { from: 'constant', value: 1 } } }], 'steps[0].inputs.not_a_param'],
      [[{ id: 'a', endpointId: lookup }, { id: 'a', endpointId: lookup }], 'steps[1].id'],
      [[{ id: 'a', endpointId: lookup, compensation: { endpointId: 'ep_missing' } }], 'steps[0].compensation.endpointId'],
      [[{ id: 'a', endpointId: lookup, compensation: { endpointId: lookup, inputs: { email: { from: 'step', step: 'b', field: 'status' } } } }, { id: 'b', endpointId: lookup }], 'steps[0].compensation.inputs.email.step'],
      [[{ id: 'a', endpointId: lookup }], 'outputStep', { outputStep: 'nope' }],
    ];
    for (const [steps, field, extra] of cases) {
      const res = await post(steps, extra);
      expect({ steps, status: res.status }).toEqual({ steps, status: 400 });
      expectIssue(res, 'invalid_action', field);
    }
    expectProblem(await post([]), 400, 'validation_failed');
    expectProblem(await api.post('/v1/actions', { id: 'has space', name: 'x', steps: [{ id: 's', endpointId: lookup }] }), 400, 'validation_failed');
    expect(await stack.deps.Action.countDocuments({})).toBe(before);
    // A replace is checked the same way.
    expect((await api.post('/v1/actions', { id: 'replace_me', name: 'R', steps: [{ id: 's', endpointId: lookup }] })).status).toBe(201);
    expectIssue(await api.put('/v1/actions/replace_me', { id: 'replace_me', name: 'R', steps: [{ id: 's', endpointId: 'ep_missing' }] }), 'invalid_action', 'steps[0].endpointId');
    expect((await api.get('/v1/actions/replace_me')).body.action.steps[0].endpointId).toBe(lookup);
  });

  it('serves two templates that the API itself accepts', async () => {
    const res = await api.get('/v1/action-templates');
    expect(res.status).toBe(200);
    expect(res.body.data.map((t: { name: string }) => t.name)).toEqual(['WooCommerce order status with email verification', 'Token authentication, then a protected call']);
    const fresh = await account('Templates Co');
    for (const template of res.body.data) {
      const connection = await fresh.post('/v1/connections', template.connection);
      expect(connection.status).toBe(201);
      const ids: Record<string, string> = {};
      for (const { ref, endpoint } of template.endpoints) {
        const created = await fresh.post(`/v1/connections/${connection.body.connection.id}/endpoints`, endpoint);
        expect({ ref, status: created.status, body: created.status === 201 ? null : created.body }).toEqual({ ref, status: 201, body: null });
        ids[ref] = created.body.endpoint.id;
      }
      const action = { ...template.action, steps: template.action.steps.map((s: { endpointId: string }) => ({ ...s, endpointId: ids[s.endpointId] })) };
      const created = await fresh.post('/v1/actions', action);
      expect({ status: created.status, body: created.status === 201 ? null : created.body }).toEqual({ status: 201, body: null });
    }
    const woo = res.body.data[0];
    expect(woo.connection.auth.type).toBe('basic');
    expect(woo.endpoints[0].endpoint).toMatchObject({ method: 'GET', path: '/wp-json/wc/v3/orders/{order_id}', validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case' }] });
    expect(woo.endpoints[0].endpoint.responseFields.map((f: { name: string }) => f.name)).toEqual(['status', 'total', 'date_created']);
    const chain = res.body.data[1].action;
    expect(chain.steps[1].inputs).toEqual({ authorization: { from: 'step', step: 'login', field: 'token' } });
  });
});

describe('call logs', () => {
  let a: Http;
  let aAccount: string;
  let conn: string;
  let ep: string;
  let otherEp: string;
  const view = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    connectionId: conn,
    endpointId: ep,
    kind: 'conversation',
    request: { method: 'GET', url: 'https://shop.example.com/orders/1', headers: { authorization: MASK }, body: null },
    response: { status: 200, headers: {}, body: '{"status":"done"}', truncated: false },
    status: 200,
    success: true,
    error: null,
    durationMs: 12,
    attempt: 1,
    conversationId: 'conv_1',
    workflowId: 'wf-1',
    run: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    ...over,
  });
  const insert = (id: string, accountId: string, over: Record<string, unknown> = {}) =>
    stack.deps.CallLog.create({
      _id: id,
      accountId,
      connectionId: conn,
      endpointId: ep,
      kind: 'conversation',
      request: { method: 'GET', url: 'https://shop.example.com/orders/1', headers: { authorization: MASK } },
      response: { status: 200, headers: {}, body: '{"status":"done"}', truncated: false },
      status: 200,
      success: true,
      durationMs: 12,
      attempt: 1,
      conversationId: 'conv_1',
      workflowId: 'wf-1',
      createdAt: new Date('2025-01-01T00:00:00.000Z'),
      ...over,
    });

  beforeAll(async () => {
    const signed = await signUp(stack.baseUrl, 'Logs Co');
    a = recorded(signed.api);
    aAccount = signed.accountId;
    conn = await newConnection(a);
    ep = await newEndpoint(a, conn);
    otherEp = await newEndpoint(a, conn);
    // Written by the callEndpoint activity in production; here directly, to test the reading side alone.
    await insert('log_001', aAccount, { runId: 'run-1' });
    await insert('log_002', aAccount, { success: false, status: 404, error: 'not found', conversationId: 'conv_2' });
    await insert('log_003', aAccount, { endpointId: otherEp, kind: 'endpoint_test', conversationId: undefined, workflowId: undefined });
    await insert('log_004', aAccount, { response: undefined, status: undefined, success: false, error: 'timeout' });
    await insert('log_005', 'acct_someone_else', { conversationId: 'conv_1' });
  });

  it('lists the account’s logs newest first, filtered and paged', async () => {
    const all = await a.get('/v1/logs');
    expect(all.status).toBe(200);
    expect(all.body.data.map((l: { id: string }) => l.id)).toEqual(['log_004', 'log_003', 'log_002', 'log_001']);
    // A log with its run links to that run's history in the Web UI (TEMPORAL_UI_URL, default namespace).
    expect(all.body.data[3]).toEqual(view('log_001', { run: { workflowId: 'wf-1', runId: 'run-1', url: 'http://localhost:8233/namespaces/default/workflows/wf-1/run-1/history' } }));
    expect(all.body.data[0]).toEqual(view('log_004', { response: null, status: null, success: false, error: 'timeout' }));
    expect(all.body.data[1]).toEqual(view('log_003', { endpointId: otherEp, kind: 'endpoint_test', conversationId: null, workflowId: null }));

    const ids = async (url: string) => ((await a.get(url)).body.data as Array<{ id: string }>).map((l) => l.id);
    expect(await ids('/v1/logs?success=false')).toEqual(['log_004', 'log_002']);
    expect(await ids('/v1/logs?success=true')).toEqual(['log_003', 'log_001']);
    expect(await ids(`/v1/logs?endpointId=${otherEp}`)).toEqual(['log_003']);
    expect(await ids('/v1/logs?conversationId=conv_1')).toEqual(['log_004', 'log_001']);
    expect(await ids(`/v1/logs?connectionId=${conn}&success=false`)).toEqual(['log_004', 'log_002']);
    expect(await ids('/v1/logs?connectionId=conn_other')).toEqual([]);

    const first = await a.get('/v1/logs?limit=3');
    expect(first.body).toMatchObject({ hasMore: true, nextAfter: 'log_002' });
    expect(await ids(`/v1/logs?limit=3&after=${first.body.nextAfter}`)).toEqual(['log_001']);

    expect(await ids(`/v1/connections/${conn}/endpoints/${ep}/logs`)).toEqual(['log_004', 'log_002', 'log_001']);
    expect(await ids(`/v1/connections/${conn}/endpoints/${ep}/logs?success=true`)).toEqual(['log_001']);
    expect(await ids(`/v1/connections/${conn}/endpoints/${otherEp}/logs`)).toEqual(['log_003']);
  });

  it('refuses bad filters', async () => {
    expectProblem(await a.get('/v1/logs?success=maybe'), 400, 'validation_failed');
    expectProblem(await a.get('/v1/logs?after[$gt]=x'), 400, 'validation_failed');
    expectProblem(await a.get('/v1/logs?limit=0'), 400, 'validation_failed');
    expectProblem(await a.get('/v1/logs?accountId=acct_someone_else'), 400, 'validation_failed');
    expectProblem(await a.get(`/v1/connections/${conn}/endpoints/${ep}/logs?connectionId=x`), 400, 'validation_failed');
  });

  it('never shows another account its logs', async () => {
    const b = await account('Logs intruder');
    expect((await b.get('/v1/logs')).body.data).toEqual([]);
    expect((await b.get(`/v1/logs?connectionId=${conn}`)).body.data).toEqual([]);
    expect((await b.get('/v1/logs?conversationId=conv_1')).body.data).toEqual([]);
    expectProblem(await b.get(`/v1/connections/${conn}/endpoints/${ep}/logs`), 404, 'connection_not_found');
  });
});

describe('cross-account isolation', () => {
  let a: Http;
  let b: Http;
  let aConn: string;
  let aEp: string;
  let bConn: string;
  let bEp: string;

  beforeAll(async () => {
    a = await account('Tenant A');
    b = await account('Tenant B');
    aConn = await newConnection(a, { auth: { type: 'bearer', token: secret('a-token') } });
    aEp = await newEndpoint(a, aConn);
    expect((await a.post('/v1/actions', { id: 'a_action', name: 'A', steps: [{ id: 's', endpointId: aEp }] })).status).toBe(201);
    bConn = await newConnection(b);
    bEp = await newEndpoint(b, bConn);
  });

  it("answers 404 for another account's connection, endpoints and actions, whatever the verb, and changes nothing", async () => {
    const before = {
      connection: (await a.get(`/v1/connections/${aConn}`)).body,
      endpoint: (await a.get(`/v1/connections/${aConn}/endpoints/${aEp}`)).body,
      action: (await a.get('/v1/actions/a_action')).body,
      sealed: (await storedConnection(aConn))!.sealed,
    };
    const token = secret('hijack');
    expectProblem(await b.get(`/v1/connections/${aConn}`), 404, 'connection_not_found');
    expectProblem(await b.patch(`/v1/connections/${aConn}`, { name: 'Hijacked' }), 404, 'connection_not_found');
    expectProblem(await b.patch(`/v1/connections/${aConn}`, { auth: { type: 'bearer', token } }), 404, 'connection_not_found');
    expectProblem(await b.delete(`/v1/connections/${aConn}`), 404, 'connection_not_found');
    expectProblem(await b.delete(`/v1/connections/${aConn}?force=true`), 404, 'connection_not_found');
    expectProblem(await b.get(`/v1/connections/${aConn}/endpoints`), 404, 'connection_not_found');
    expectProblem(await b.post(`/v1/connections/${aConn}/endpoints`, orderEndpoint()), 404, 'connection_not_found');
    for (const conn of [aConn, bConn]) {
      const code = conn === aConn ? 'connection_not_found' : 'endpoint_not_found';
      expectProblem(await b.get(`/v1/connections/${conn}/endpoints/${aEp}`), 404, code);
      expectProblem(await b.patch(`/v1/connections/${conn}/endpoints/${aEp}`, { name: 'Hijacked' }), 404, code);
      expectProblem(await b.delete(`/v1/connections/${conn}/endpoints/${aEp}?force=true`), 404, code);
      expectProblem(await b.get(`/v1/connections/${conn}/endpoints/${aEp}/logs`), 404, code);
    }
    // B's own endpoint under A's connection id is no way in either.
    expectProblem(await b.get(`/v1/connections/${aConn}/endpoints/${bEp}`), 404, 'connection_not_found');
    expectProblem(await b.get('/v1/actions/a_action'), 404, 'action_not_found');
    expectProblem(await b.put('/v1/actions/a_action', { id: 'a_action', name: 'Hijacked', steps: [{ id: 's', endpointId: bEp }] }), 404, 'action_not_found');
    expectProblem(await b.delete('/v1/actions/a_action'), 404, 'action_not_found');
    // An action of B's cannot call A's endpoint: to B it does not exist.
    expectIssue(await b.post('/v1/actions', { id: 'steal', name: 'Steal', steps: [{ id: 's', endpointId: aEp }] }), 'invalid_action', 'steps[0].endpointId');
    expectIssue(await b.post('/v1/actions', { id: 'steal', name: 'Steal', steps: [{ id: 's', endpointId: bEp, compensation: { endpointId: aEp } }] }), 'invalid_action', 'steps[0].compensation.endpointId');

    expect((await a.get(`/v1/connections/${aConn}`)).body).toEqual(before.connection);
    expect((await a.get(`/v1/connections/${aConn}/endpoints/${aEp}`)).body).toEqual(before.endpoint);
    expect((await a.get('/v1/actions/a_action')).body).toEqual(before.action);
    expect((await storedConnection(aConn))!.sealed).toEqual(before.sealed);
  });

  it("never lists the other account's resources", async () => {
    expect((await b.get('/v1/connections?limit=200')).body.data.map((c: { id: string }) => c.id)).toEqual([bConn]);
    expect((await b.get('/v1/connections?after=conn_0')).body.data.map((c: { id: string }) => c.id)).toEqual([bConn]);
    expect((await b.get(`/v1/connections/${bConn}/endpoints`)).body.data.map((e: { id: string }) => e.id)).toEqual([bEp]);
    expect((await b.get('/v1/actions')).body.data).toEqual([]);
    expect((await a.get('/v1/actions')).body.data.map((x: { id: string }) => x.id)).toEqual(['a_action']);
  });
});

describe('bad input', () => {
  let api: Http;
  let conn: string;
  let ep: string;
  beforeAll(async () => {
    api = await account('Bad input Co');
    conn = await newConnection(api);
    ep = await newEndpoint(api, conn);
    expect((await api.post('/v1/actions', { id: 'act', name: 'A', steps: [{ id: 's', endpointId: ep }] })).status).toBe(201);
  });

  it('answers every malformed body with a 4xx { message, code, details }, never a 500', async () => {
    const writes: Array<[string, string]> = [
      ['POST', '/v1/connections'],
      ['PATCH', `/v1/connections/${conn}`],
      ['POST', `/v1/connections/${conn}/endpoints`],
      ['PATCH', `/v1/connections/${conn}/endpoints/${ep}`],
      ['POST', '/v1/actions'],
      ['PUT', '/v1/actions/act'],
    ];
    const bodies = [
      '',
      'null',
      '42',
      '"text"',
      '[]',
      '{',
      '{}',
      '{"__proto__":{"admin":true}}',
      '{"name":{"$gt":""}}',
      `{"name":"${'x'.repeat(70_000)}"}`,
      '{"name":"x","baseUrl":"https://a.example.com","auth":{"type":"bearer"}}',
      '{"name":"x","baseUrl":"https://a.example.com","headers":{"X-A":1}}',
      '{"name":"x","baseUrl":"https://a.example.com","timeoutMs":1e400}',
      '{"name":"x","method":"GET","path":"/a","parameters":[{"name":"constructor","type":"enum","in":"query"}]}',
      '{"name":"x","method":"GET","path":"/a/{__proto__}","parameters":[]}',
      '{"id":"act","name":"x","steps":[{"id":"s","endpointId":{"$ne":null}}]}',
      '{"id":"act","name":"x","steps":[{"id":"s","endpointId":"e","inputs":{"$where":{"from":"input","name":"x"}}}]}',
      '{"id":"act","name":"x","steps":[{"id":"s","endpointId":"e","inputs":{"a":{"from":"nowhere"}}}]}',
    ];
    for (const [method, url] of writes) {
      for (const body of bodies) {
        const res = await api.raw(method, url, body);
        const summary = { method, url, body: body.slice(0, 80), status: res.status };
        expect(summary).toEqual({ ...summary, status: expect.any(Number) });
        if (res.status < 400 || res.status >= 500) throw new Error(`${method} ${url} ${body.slice(0, 80)} -> ${res.status} ${JSON.stringify(res.body)}`);
        expect(Object.keys(res.body).sort()).toEqual(['code', 'details', 'message']);
      }
    }
    expect((await api.get(`/v1/connections/${conn}`)).body.connection.name).toBe('Shop');
    expect((await api.get(`/v1/connections/${conn}/endpoints/${ep}`)).body.endpoint.name).toBe('Get order');
    expect((await api.get('/v1/actions/act')).body.action.name).toBe('A');
  });

  it('refuses bad ids, cursors and query parameters', async () => {
    for (const url of [
      '/v1/connections?limit=abc',
      '/v1/connections?after=not-an-id!',
      '/v1/connections?after[$gt]=',
      '/v1/connections?unknown=1',
      `/v1/connections/${conn}/endpoints?limit=1000`,
      '/v1/actions?after=has space',
      '/v1/logs?limit=-1',
    ]) {
      const res = await api.get(url);
      expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status: 400, code: 'validation_failed' });
    }
    // An id that is not one names nothing: 404, as for an unknown id.
    expectProblem(await api.get(`/v1/connections/${'x'.repeat(65)}`), 404, 'connection_not_found');
    expectProblem(await api.get('/v1/connections/%E0%A4%A'), 400, 'invalid_path');
    expectProblem(await api.get('/v1/connections/conn_doesnotexist'), 404, 'connection_not_found');
    expectProblem(await api.delete(`/v1/connections/${conn}/endpoints/${ep}?force=1`), 400, 'validation_failed');
    expectProblem(await http(stack.baseUrl).get('/v1/connections'), 401, 'unauthorized');
    expectProblem(await http(stack.baseUrl).get('/v1/action-templates'), 401, 'unauthorized');
    expectProblem(await http(stack.baseUrl).get('/v1/logs'), 401, 'unauthorized');
  });
});

describe('write-only credentials', () => {
  it('never returns a secret in any response of this file, success or failure', () => {
    expect(seen.length).toBeGreaterThan(150);
    expect(secrets.length).toBeGreaterThan(20);
    for (const body of seen) {
      for (const s of secrets) expect(body).not.toContain(s);
      expect(body).not.toMatch(/"sealed"/);
    }
  });
});

/** A second API process on the same database with other keys, as after a rotation (or a lost key). */
async function serveWith(keys: string): Promise<{ client: (like: Http) => Http; close: () => Promise<void> }> {
  const deps = createDeps({ db: stack.db, temporal: stack.temporal, config: { ...stack.deps.config, PARLEY_SECRET_KEYS: keys }, log: () => undefined });
  const server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    client: (like: Http) => recorded(http(base, keyOf.get(like))),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
