/**
 * Webhooks through the real HTTP API and worker, with receivers on 127.0.0.1: Standard Webhooks
 * signatures that verify with the secret shown at creation, every event type, retries on the (short,
 * injected) schedule, 3xx as a failure that is never followed, 410 disabling the endpoint, URLs refused
 * at save, the secret absent from everything but the creation response, and account isolation.
 */
import { Webhook } from 'standardwebhooks';
import { eventually, publishedFlowBot, recording, signUp, sleep, startStack, workflowHistoryText, type Http, type Stack } from '../harness';
import { startReceiver, type Receiver } from '../webhook-receiver';

let stack: Stack;
let api: Http;
let receiver: Receiver;
let botId: string;
const seen: string[] = [];

const flows = {
  flows: [
    {
      id: 'check',
      name: 'Check',
      trigger: { keywords: ['check'] },
      startBlockId: 'call',
      blocks: [
        { id: 'call', type: 'api_call', action: 'ok_action', inputs: {}, outputs: { v: 'value' }, next: 'done', onFailure: 'failed' },
        { id: 'done', type: 'end', text: 'All good: {{v}}' },
        { id: 'failed', type: 'end', text: 'Failed: {{last_error}}' },
      ],
    },
    {
      id: 'broken',
      name: 'Broken',
      trigger: { keywords: ['broken'] },
      startBlockId: 'call',
      blocks: [
        { id: 'call', type: 'api_call', action: 'fail_action', inputs: {}, next: 'done', onFailure: 'failed' },
        { id: 'done', type: 'end', text: 'Unexpected' },
        { id: 'failed', type: 'end', text: 'That did not work.' },
      ],
    },
    { id: 'human', name: 'Human', trigger: { keywords: ['human'] }, startBlockId: 'h', blocks: [{ id: 'h', type: 'handoff', text: 'Connecting you to a colleague.' }] },
  ],
};

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.script('/tenant/ok', { status: 200, body: '{"value":"fine"}' });
  receiver.script('/tenant/fail', { status: 400, body: '{"error":"nope"}' });
  stack = await startStack({ webhookRetryScheduleMs: [0, 300, 300] });
  api = recording((await signUp(stack.baseUrl)).api, seen);
  const conn = (await api.post('/v1/connections', { name: 'Tenant', baseUrl: `${receiver.baseUrl}/tenant`, auth: { type: 'none' }, allowPrivateNetwork: true })).body.connection.id;
  const ok = (await api.post(`/v1/connections/${conn}/endpoints`, { name: 'Ok', method: 'GET', path: '/ok', parameters: [], responseFields: [{ name: 'value', path: '$.value' }] })).body.endpoint.id;
  const fail = (await api.post(`/v1/connections/${conn}/endpoints`, { name: 'Fail', method: 'GET', path: '/fail', parameters: [] })).body.endpoint.id;
  expect((await api.post('/v1/actions', { id: 'ok_action', name: 'Ok', steps: [{ id: 's', endpointId: ok }] })).status).toBe(201);
  expect((await api.post('/v1/actions', { id: 'fail_action', name: 'Fail', steps: [{ id: 's', endpointId: fail }] })).status).toBe(201);
  botId = await publishedFlowBot(api, flows);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function createWebhook(path: string, events: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await api.post('/v1/webhooks', { url: `${receiver.baseUrl}${path}`, events, allowPrivateNetwork: true, ...extra });
  expect(res.status).toBe(201);
  expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
  return { id: res.body.webhook.id, secret: res.body.secret };
}

async function say(id: string, text: string): Promise<string[]> {
  const res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text } });
  expect(res.status).toBe(200);
  return res.body.replies.map((r: { text: string }) => r.text);
}

const parsed = (path: string) => receiver.at(path).map((r) => JSON.parse(r.body) as { type: string; timestamp: string; data: any });

describe('webhooks', () => {
  it('delivers every event type, signed so that standardwebhooks verifies it with the secret shown once', async () => {
    const all = ['conversation.started', 'conversation.closed', 'conversation.handoff', 'conversation.released', 'message.created', 'action.completed', 'action.failed'];
    const hook = await createWebhook('/all', all);
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'wh-1', message: { type: 'text', text: 'check please' } });
    expect(start.status).toBe(201);
    const id = start.body.conversation.id;
    expect(start.body.replies.map((r: { text: string }) => r.text)).toEqual(['Hello! I am the test bot.', 'All good: fine']);
    expect(await say(id, 'broken')).toEqual(['That did not work.']);
    expect(await say(id, 'human')).toEqual(['Connecting you to a colleague.']);
    expect((await api.post(`/v1/conversations/${id}/agent-messages`, { message: { type: 'text', text: 'Sam here.' } })).status).toBe(201);
    expect((await api.post(`/v1/conversations/${id}/release`)).status).toBe(200);
    expect((await api.post(`/v1/conversations/${id}/close`)).status).toBe(202);

    await eventually(async () => parsed('/all').some((e) => e.type === 'conversation.closed'), 30_000, 'the closed event');
    await sleep(500);
    const deliveries = receiver.at('/all');
    const webhook = new Webhook(hook.secret);
    for (const delivery of deliveries) {
      expect(delivery.headers['webhook-id']).toMatch(/^evt_/);
      expect(delivery.headers['webhook-signature']).toMatch(/^v1,/);
      expect(() => webhook.verify(delivery.body, delivery.headers)).not.toThrow();
      // Another secret does not verify it.
      expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(delivery.body, delivery.headers)).toThrow();
    }
    // Once per event.
    const ids = deliveries.map((d) => d.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);

    const events = parsed('/all').filter((e) => e.data.conversationId === id);
    const types = new Set(events.map((e) => e.type));
    for (const type of all) expect(types).toContain(type);
    const roles = events.filter((e) => e.type === 'message.created').map((e) => `${e.data.message.role}:${e.data.message.text}`);
    expect(roles).toEqual(expect.arrayContaining(['visitor:check please', 'bot:Hello! I am the test bot.', 'bot:All good: fine', 'visitor:broken', 'bot:Connecting you to a colleague.', 'agent:Sam here.']));
    expect(events.find((e) => e.type === 'action.completed')!.data).toMatchObject({ conversationId: id, botId, actionId: 'ok_action', outputs: { value: 'fine' } });
    expect(events.find((e) => e.type === 'action.failed')!.data).toMatchObject({ actionId: 'fail_action', error: expect.any(String) });
    expect(events.find((e) => e.type === 'conversation.closed')!.data).toMatchObject({ reason: 'closed_by_api' });
    expect(events.find((e) => e.type === 'conversation.started')!.data).toMatchObject({ externalUserId: 'wh-1', channel: 'api' });

    // The delivery log: one succeeded attempt per event, never the secret.
    const log = await api.get(`/v1/webhooks/${hook.id}/deliveries?limit=200`);
    expect(log.status).toBe(200);
    expect(log.body.data.length).toBe(deliveries.length);
    expect(log.body.data.every((row: any) => row.status === 'succeeded' && row.responseStatus === 200 && row.attempt === 1 && row.nextRetryAt === null)).toBe(true);

    // Nothing secret in the delivery workflows' histories, nor in the conversation's.
    const runs = [...new Set<string>(log.body.data.map((row: any) => row.workflowId as string))].slice(0, 5);
    for (const run of [...runs, `conversation-${id}`]) expect(await workflowHistoryText(stack.temporal, run)).not.toContain(hook.secret.slice(6));
    // The secret appeared in exactly one response: the creation.
    expect(seen.filter((body) => body.includes(hook.secret.slice(6))).length).toBe(1);
    const shown = await api.get(`/v1/webhooks/${hook.id}`);
    expect(shown.body.webhook).not.toHaveProperty('secret');
    expect(JSON.stringify(shown.body)).not.toContain('sealed');
    expect((await api.delete(`/v1/webhooks/${hook.id}`)).status).toBe(204);
  });

  it('retries a receiver that answers 500, on the schedule, with the same webhook-id', async () => {
    receiver.script('/flaky', { status: 500, body: 'try later' }, { status: 200 });
    const hook = await createWebhook('/flaky', ['conversation.started']);
    await api.post('/v1/conversations', { botId, externalUserId: 'wh-retry' });
    await eventually(async () => receiver.at('/flaky').length >= 2, 20_000, 'the retry');
    const [first, second] = receiver.at('/flaky');
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(250);
    const rows = await eventually(async () => {
      const log = (await api.get(`/v1/webhooks/${hook.id}/deliveries`)).body.data;
      return log.length === 2 ? log : undefined;
    });
    const [attempt2, attempt1] = rows; // newest first
    expect(attempt1).toMatchObject({ attempt: 1, status: 'failed', responseStatus: 500, responseBody: 'try later', nextRetryAt: expect.any(String) });
    expect(attempt2).toMatchObject({ attempt: 2, status: 'succeeded', responseStatus: 200, nextRetryAt: null });
    expect(attempt1.durationMs).toEqual(expect.any(Number));
    await sleep(800);
    expect(receiver.at('/flaky').length).toBe(2);
    await api.delete(`/v1/webhooks/${hook.id}`);
  });

  it('counts a 3xx as a failure and never follows it', async () => {
    receiver.script('/moved', { status: 302, headers: { location: `${receiver.baseUrl}/moved-target` } });
    const hook = await createWebhook('/moved', ['conversation.started']);
    await api.post('/v1/conversations', { botId, externalUserId: 'wh-3xx' });
    const rows = await eventually(async () => {
      const log = (await api.get(`/v1/webhooks/${hook.id}/deliveries`)).body.data;
      return log.length === 3 ? log : undefined;
    });
    expect(rows.every((row: any) => row.status === 'failed' && row.responseStatus === 302)).toBe(true);
    expect(rows.find((row: any) => row.attempt === 3).nextRetryAt).toBeNull();
    expect(receiver.at('/moved').length).toBe(3);
    expect(receiver.at('/moved-target').length).toBe(0);
    await api.delete(`/v1/webhooks/${hook.id}`);
  });

  it('disables an endpoint that answers 410 and sends it nothing more', async () => {
    receiver.script('/gone', { status: 410 });
    const hook = await createWebhook('/gone', ['conversation.started']);
    await api.post('/v1/conversations', { botId, externalUserId: 'wh-410' });
    const disabled = await eventually(async () => {
      const res = await api.get(`/v1/webhooks/${hook.id}`);
      return res.body.webhook.enabled === false ? res.body.webhook : undefined;
    });
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'gone', disabledAt: expect.any(String) });
    const log = (await api.get(`/v1/webhooks/${hook.id}/deliveries`)).body.data;
    expect(log).toEqual([expect.objectContaining({ attempt: 1, status: 'failed', responseStatus: 410, disabledEndpoint: true, nextRetryAt: null })]);
    const count = receiver.at('/gone').length;
    expect(count).toBe(1);
    await api.post('/v1/conversations', { botId, externalUserId: 'wh-410-again' });
    await sleep(2000);
    expect(receiver.at('/gone').length).toBe(count);
    // Re-enabled by the API, it receives again.
    receiver.script('/gone', { status: 204 });
    expect((await api.patch(`/v1/webhooks/${hook.id}`, { enabled: true })).body.webhook).toMatchObject({ enabled: true, disabledReason: null });
    await api.post('/v1/conversations', { botId, externalUserId: 'wh-410-back' });
    await eventually(async () => receiver.at('/gone').length > count, 20_000, 'a delivery after re-enabling');
    await api.delete(`/v1/webhooks/${hook.id}`);
  });

  it('refuses private, loopback, metadata and plain-http URLs without allowPrivateNetwork', async () => {
    const refused = async (url: string, allowPrivateNetwork = false) => {
      const res = await api.post('/v1/webhooks', { url, events: ['message.created'], allowPrivateNetwork });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_webhook');
      expect(res.body.details[0].field).toBe('url');
    };
    await refused('https://127.0.0.1/hook');
    await refused('https://10.1.2.3/hook');
    await refused('https://[::1]/hook');
    await refused('https://[::ffff:192.168.0.1]/hook');
    await refused('https://localhost/hook');
    await refused(`${receiver.baseUrl}/hook`);
    await refused('http://example.com/hook');
    await refused('https://169.254.169.254/latest', true);
    await refused('https://user:pw@example.com/hook');
    await refused('ftp://example.com/hook');
    const bad = await api.post('/v1/webhooks', { url: 'https://example.com/hook', events: ['message.sent'] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    // A public https URL is fine; so is a private one with the allowance.
    const ok = await api.post('/v1/webhooks', { url: 'https://93.184.215.14/hook', events: ['message.created'] });
    expect(ok.status).toBe(201);
    // Moving it to a private address later is refused too.
    const moved = await api.patch(`/v1/webhooks/${ok.body.webhook.id}`, { url: 'https://192.168.1.1/hook' });
    expect(moved.status).toBe(400);
    await api.delete(`/v1/webhooks/${ok.body.webhook.id}`);
  });

  it('sends a signed test event on demand', async () => {
    const hook = await createWebhook('/test-hook', ['message.created']);
    const res = await api.post(`/v1/webhooks/${hook.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.delivery).toMatchObject({ attempt: 1, status: 'succeeded', responseStatus: 200, eventType: 'webhook.test' });
    const [delivery] = receiver.at('/test-hook');
    expect(new Webhook(hook.secret).verify(delivery!.body, delivery!.headers)).toMatchObject({ type: 'webhook.test' });
    expect(JSON.stringify(res.body)).not.toContain(hook.secret.slice(6));
    await api.delete(`/v1/webhooks/${hook.id}`);
  });

  it("answers 404 for another account's webhooks", async () => {
    const hook = await createWebhook('/mine', ['message.created']);
    const other = (await signUp(stack.baseUrl, 'Other Co')).api;
    expect((await other.get(`/v1/webhooks/${hook.id}`)).status).toBe(404);
    expect((await other.patch(`/v1/webhooks/${hook.id}`, { enabled: false })).status).toBe(404);
    expect((await other.get(`/v1/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    expect((await other.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(404);
    expect((await other.delete(`/v1/webhooks/${hook.id}`)).status).toBe(404);
    expect((await other.get('/v1/webhooks')).body.data).toEqual([]);
    expect((await api.get(`/v1/webhooks/${hook.id}`)).body.webhook).toMatchObject({ id: hook.id, enabled: true });
    expect((await api.get('/v1/webhooks/whk_nope')).status).toBe(404);
    // Not even an id: it names nothing, so 404 as for an unknown one.
    expect((await api.get('/v1/webhooks/not-an-id')).status).toBe(404);
  });
});
