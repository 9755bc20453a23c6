/**
 * Issue 17's attack, replayed: a fresh self-service account points a connection at Temporal's HTTP API
 * on the same loopback as Parley (to read any tenant's conversation history) and at Parley's own codec
 * endpoint (to decrypt it). Both are refused, whatever the tenant's `allowPrivateNetwork` says, at save
 * and, for a value stored before the fix, at call time; the same policy covers webhooks and Smart AI
 * provider URLs. The tests' tenant servers are allowlisted by address *and* port (test/tenant-ports.ts),
 * so they keep working beside Parley's refused services on 127.0.0.1.
 */
import express from 'express';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { publishedBot, signUp, startStack, testEnv, type Http, type Stack } from '../harness';
import { listenTenantUrl } from '../tenant-ports';

let stack: Stack;
let api: Http;
let accountId: string;
let tenant: Server;
let tenantBase: string;
let temporalHttp: string;
let historyPath: string;

beforeAll(async () => {
  const app = express();
  app.get('/slots', (_req, res) => res.json({ slots: ['09:00'] }));
  tenant = createServer(app);
  tenantBase = await listenTenantUrl(tenant);
  stack = await startStack();
  ({ api, accountId } = await signUp(stack.baseUrl, 'Mallory'));
  temporalHttp = `http://127.0.0.1:${testEnv('PARLEY_TEST_TEMPORAL_HTTP_PORT')}`;
  // A conversation of another account: the history the attack was after.
  const victim = await signUp(stack.baseUrl, 'Victim Co');
  const botId = await publishedBot(victim.api);
  const started = await victim.api.post('/v1/conversations', { botId, externalUserId: 'victim-1' });
  expect(started.status).toBeLessThan(300);
  historyPath = `/api/v1/namespaces/default/workflows/conversation-${started.body.conversation.id}/history`;
});

afterAll(async () => {
  await stack?.stop();
  tenant?.closeAllConnections();
  await new Promise((r) => tenant?.close(r));
});

/** Creates a connection the way a tenant would have before the fix: stored with `allowPrivateNetwork: true`, unchecked. */
async function storedConnection(baseUrl: string): Promise<string> {
  const id = `conn_${randomBytes(8).toString('hex')}`;
  const now = new Date();
  await stack.deps.ApiConnection.create({
    _id: id,
    accountId,
    name: 'Stored before the fix',
    baseUrl,
    auth: { type: 'none' },
    headerNames: [],
    sealed: stack.deps.secrets.seal({ auth: {}, headers: {} }, id),
    timeoutMs: 5000,
    allowPrivateNetwork: true,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

async function runTest(connectionId: string, method: 'GET' | 'POST', path: string) {
  const endpoint = await api.post(`/v1/connections/${connectionId}/endpoints`, { name: 'probe', method, path });
  expect(endpoint.status).toBe(201);
  const res = await api.post(`/v1/connections/${connectionId}/endpoints/${endpoint.body.endpoint.id}/test`, { values: {} });
  expect(res.status).toBe(200);
  return res.body.result;
}

describe('the attack from issue 17', () => {
  it('is live: Temporal answers the history request when asked directly (so a refusal below is meaningful)', async () => {
    const direct = await fetch(`${temporalHttp}${historyPath}`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain('WORKFLOW_EXECUTION_STARTED');
  });

  it("refuses to save a connection to Temporal's HTTP API, even with allowPrivateNetwork", async () => {
    const res = await api.post('/v1/connections', { name: 'Temporal', baseUrl: temporalHttp, allowPrivateNetwork: true });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_connection', details: [expect.objectContaining({ field: 'baseUrl' })] });
    expect(res.body.message).toMatch(/one of the deployment's own services|allowlist/);
  });

  it("refuses a stored connection's Run Test against Temporal's HTTP API at call time", async () => {
    const id = await storedConnection(temporalHttp);
    const view = await api.get(`/v1/connections/${id}`);
    expect(view.body.connection).toMatchObject({ allowPrivateNetwork: true, privateNetworkAccess: 'not_allowlisted' });
    const result = await runTest(id, 'GET', historyPath);
    expect(result).toMatchObject({ ok: false, code: 'blocked_address' });
    expect(JSON.stringify(result)).not.toContain('WORKFLOW_EXECUTION_STARTED');
    const logs = await api.get(`/v1/logs?connectionId=${id}`);
    expect(logs.status).toBe(200);
    expect(logs.body.data[0]).toMatchObject({ success: false, response: null });
  });

  it("refuses a stored connection's call to Parley's own codec endpoint", async () => {
    const id = await storedConnection(stack.baseUrl);
    const result = await runTest(id, 'POST', '/codec/decode');
    expect(result).toMatchObject({ ok: false, code: 'blocked_address' });
  });

  it('refuses the cloud metadata address and a public host on a non-https port at save', async () => {
    for (const baseUrl of ['http://169.254.169.254/latest', 'https://api.example.com:6379/', 'http://api.example.com/']) {
      const res = await api.post('/v1/connections', { name: 'x', baseUrl, allowPrivateNetwork: true });
      expect({ baseUrl, status: res.status, code: res.body.code }).toEqual({ baseUrl, status: 400, code: 'invalid_connection' });
    }
  });

  it('lets the allowlisted tenant server through, and only for a connection that asks for private networks', async () => {
    const asked = await api.post('/v1/connections', { name: 'Tenant', baseUrl: tenantBase, allowPrivateNetwork: true });
    expect(asked.status).toBe(201);
    expect(asked.body.connection.privateNetworkAccess).toBe('allowlisted');
    expect(await runTest(asked.body.connection.id, 'GET', '/slots')).toMatchObject({ ok: true, status: 200 });
    const notAsked = await api.post('/v1/connections', { name: 'Tenant', baseUrl: tenantBase.replace('http:', 'https:'), allowPrivateNetwork: false });
    expect(notAsked.status).toBe(400);
  });
});

describe('webhooks and Smart AI providers', () => {
  it('refuses webhooks to internal services, metadata and non-https ports', async () => {
    for (const url of [`${temporalHttp}/api/v1/namespaces`, `${stack.baseUrl}/codec/decode`, 'http://169.254.169.254/', 'https://hooks.example.com:8443/']) {
      const res = await api.post('/v1/webhooks', { url, events: ['message.created'], allowPrivateNetwork: true });
      expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status: 400, code: 'invalid_webhook' });
    }
    const ok = await api.post('/v1/webhooks', { url: `${tenantBase}/hook`, events: ['message.created'], allowPrivateNetwork: true });
    expect(ok.status).toBe(201);
    expect(ok.body.webhook.privateNetworkAccess).toBe('allowlisted');
  });

  it('refuses a Smart AI provider on a metadata or internal address', async () => {
    const botId = await publishedBot(api);
    for (const baseUrl of ['http://169.254.169.254/v1', `${temporalHttp}/v1`, 'https://llm.example.com:6379/v1']) {
      const res = await api.put(`/v1/bots/${botId}/ai`, { enabled: true, baseUrl, model: 'm', allowPrivateNetwork: true });
      expect({ baseUrl, status: res.status, code: res.body.code }).toEqual({ baseUrl, status: 400, code: 'invalid_ai_settings' });
    }
    const ok = await api.put(`/v1/bots/${botId}/ai`, { enabled: true, baseUrl: `${tenantBase}/v1`, model: 'm', allowPrivateNetwork: true });
    expect(ok.status).toBe(200);
    expect(ok.body.ai.privateNetworkAccess).toBe('allowlisted');
  });
});

describe('an operator allowlist that covers all of loopback', () => {
  let wide: Stack;
  let wideApi: Http;
  beforeAll(async () => {
    wide = await startStack({ api: { OUTBOUND_ALLOWLIST: '127.0.0.0/8' } });
    ({ api: wideApi } = await signUp(wide.baseUrl, 'Wide'));
  });
  afterAll(async () => wide?.stop());

  it("still refuses Temporal's and Parley's own ports, and lets the tenant through", async () => {
    const refused = await wideApi.post('/v1/connections', { name: 'Temporal', baseUrl: temporalHttp, allowPrivateNetwork: true });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/own services/);
    const self = await wideApi.post('/v1/connections', { name: 'Parley', baseUrl: wide.baseUrl, allowPrivateNetwork: true });
    expect(self.status).toBe(400);
    const tenantConn = await wideApi.post('/v1/connections', { name: 'Tenant', baseUrl: tenantBase, allowPrivateNetwork: true });
    expect(tenantConn.status).toBe(201);
  });
});
