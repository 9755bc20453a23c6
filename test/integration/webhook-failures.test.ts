/**
 * Webhook endpoints that fail, through the real HTTP API and worker, with receivers on 127.0.0.1 and a
 * short retry schedule: Retry-After stretching a wait, a schedule that runs out disabling the endpoint
 * (the field on the endpoint, the account's event, the worker's metric, the run's result and search
 * attribute), an endpoint that other deliveries still reach staying enabled, and a replay after
 * re-enabling that delivers what was missed once.
 */
import { Worker } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { SA } from '../../workflows/definitions';
import { createWorkerMetrics, type WorkerMetrics } from '../../worker/metrics';
import { eventually, publishedBot, signUp, sleep, startStack, testEnv, type Http, type Stack } from '../harness';
import { startReceiver, type Receiver } from '../webhook-receiver';

let stack: Stack;
let api: Http;
let receiver: Receiver;
let botId: string;
let metrics: WorkerMetrics;

// Attempts immediately, after 1.5 s and after 0.5 s (each ±10%): room for another delivery in between.
const SCHEDULE = [0, 1500, 500];

beforeAll(async () => {
  receiver = await startReceiver();
  metrics = createWorkerMetrics();
  stack = await startStack({ webhookRetryScheduleMs: SCHEDULE, workerMetrics: metrics });
  api = (await signUp(stack.baseUrl)).api;
  botId = await publishedBot(api);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function createWebhook(path: string, events: string[]): Promise<{ id: string; secret: string }> {
  const res = await api.post('/v1/webhooks', { url: `${receiver.baseUrl}${path}`, events, allowPrivateNetwork: true });
  expect(res.status).toBe(201);
  return { id: res.body.webhook.id, secret: res.body.secret };
}

/** Starts a conversation (its `conversation.started` event goes to subscribed endpoints); returns its id. */
async function startConversation(externalUserId: string): Promise<string> {
  const res = await api.post('/v1/conversations', { botId, externalUserId });
  expect(res.status).toBe(201);
  return res.body.conversation.id as string;
}

const webhookOf = async (id: string) => (await api.get(`/v1/webhooks/${id}`)).body.webhook;
const disabledCount = async (reason: string): Promise<number> => (await metrics.webhookEndpointsDisabled.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
const bodies = (path: string) => receiver.at(path).map((r) => JSON.parse(r.body) as { type: string; data: any });

describe('webhook endpoints that fail', () => {
  it('waits at least as long as a 429 Retry-After says before the next attempt', async () => {
    receiver.script('/busy', { status: 429, headers: { 'retry-after': '3' }, body: 'slow down' }, { status: 200 });
    const hook = await createWebhook('/busy', ['conversation.started']);
    await startConversation('wh-429');
    await eventually(async () => receiver.at('/busy').length >= 2, 20_000, 'the second attempt');
    const [first, second] = receiver.at('/busy');
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    // The schedule alone would have tried again after 1.35-1.65 s.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(3000);
    const [attempt2, attempt1] = (await api.get(`/v1/webhooks/${hook.id}/deliveries`)).body.data;
    expect(attempt1).toMatchObject({ attempt: 1, status: 'failed', responseStatus: 429 });
    expect(Date.parse(attempt1.nextRetryAt) - Date.parse(attempt1.createdAt)).toBeGreaterThanOrEqual(3000);
    expect(attempt2).toMatchObject({ attempt: 2, status: 'succeeded' });
    // A success leaves it healthy.
    expect(await webhookOf(hook.id)).toMatchObject({ enabled: true, failingSince: null });
    await api.delete(`/v1/webhooks/${hook.id}`);
  });

  it('disables an endpoint whose schedule runs out, tells the account and counts it; a replay after re-enabling delivers what it missed once', async () => {
    const watcher = await createWebhook('/watch', ['webhook.endpoint_disabled']);
    receiver.script('/down', { status: 500, body: 'down' });
    const hook = await createWebhook('/down', ['conversation.started']);
    const before = await disabledCount('failing');

    const first = await startConversation('wh-down-1');
    const disabled = await eventually(async () => {
      const webhook = await webhookOf(hook.id);
      return webhook.enabled === false ? webhook : undefined;
    }, 20_000, 'the endpoint disabled');
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'failing', disabledAt: expect.any(String), failingSince: expect.any(String), missedEvents: 1 });
    expect(Date.parse(disabled.failingSince)).toBeLessThanOrEqual(Date.parse(disabled.disabledAt));
    expect(receiver.at('/down')).toHaveLength(SCHEDULE.length);
    const eventId = receiver.at('/down')[0]!.headers['webhook-id']!;

    // The log: every attempt failed, the last one disabled the endpoint and has no retry.
    const rows = (await api.get(`/v1/webhooks/${hook.id}/deliveries`)).body.data;
    expect(rows.map((row: any) => [row.attempt, row.status, row.responseStatus, row.disabledEndpoint])).toEqual([
      [3, 'failed', 500, true],
      [2, 'failed', 500, false],
      [1, 'failed', 500, false],
    ]);
    expect(rows[0].nextRetryAt).toBeNull();

    // The account's other endpoint hears it, signed like any event.
    await eventually(async () => bodies('/watch').some((e) => e.type === 'webhook.endpoint_disabled'), 20_000, 'the endpoint_disabled event');
    const told = receiver.at('/watch').find((r) => r.body.includes('webhook.endpoint_disabled'))!;
    expect(new Webhook(watcher.secret).verify(told.body, told.headers)).toMatchObject({
      type: 'webhook.endpoint_disabled',
      data: { webhookId: hook.id, reason: 'failing', url: `${receiver.baseUrl}/down`, disabledAt: disabled.disabledAt, failingSince: disabled.failingSince },
    });
    expect(await disabledCount('failing')).toBe(before + 1);

    // In the Web UI: the run's result and its search attributes say what happened.
    const handle = stack.temporal.workflow.getHandle(`webhook-${eventId}-${hook.id}`);
    expect(await handle.result()).toEqual({ outcome: 'disabled', attempts: 3, lastStatus: 500, disabledReason: 'failing' });
    const description = await handle.describe();
    expect(description.type).toBe('eventDeliveryWorkflow');
    expect(description.typedSearchAttributes.get(SA.status)).toBe('endpoint_disabled');
    // Its jittered timers replay: the waits come from the SDK's seeded Math.random, not the machine's.
    await Worker.runReplayHistory({ workflowBundle: { codePath: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE') } }, await handle.fetchHistory(), handle.workflowId);

    // While disabled it is sent nothing; what it misses is kept.
    const second = await startConversation('wh-down-2');
    await eventually(async () => (await webhookOf(hook.id)).missedEvents === 2, 20_000, 'the missed event recorded');
    expect(receiver.at('/down')).toHaveLength(SCHEDULE.length);

    // Replaying needs it enabled; re-enabling alone sends nothing.
    expect((await api.post(`/v1/webhooks/${hook.id}/replay`, {})).body.code).toBe('webhook_disabled');
    receiver.script('/down', { status: 200 });
    const enabled = await api.patch(`/v1/webhooks/${hook.id}`, { enabled: true });
    expect(enabled.body.webhook).toMatchObject({ enabled: true, disabledReason: null, failingSince: null, missedEvents: 2 });
    await sleep(1000);
    expect(receiver.at('/down')).toHaveLength(SCHEDULE.length);

    const replay = await api.post(`/v1/webhooks/${hook.id}/replay`, {});
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ queued: 2, alreadyQueued: 0, skipped: 0, missedSince: disabled.disabledAt });
    await eventually(async () => receiver.at('/down').length === SCHEDULE.length + 2, 20_000, 'the replayed deliveries');
    const replayed = receiver.at('/down').slice(SCHEDULE.length);
    expect(replayed.map((r) => (JSON.parse(r.body) as { data: { conversationId: string } }).data.conversationId).sort()).toEqual([first, second].sort());
    expect(replayed.map((r) => r.headers['webhook-id'])).toContain(eventId);
    for (const delivery of replayed) expect(() => new Webhook(hook.secret).verify(delivery.body, delivery.headers)).not.toThrow();

    // Once: asking again queues nothing, and nothing more arrives.
    expect((await api.post(`/v1/webhooks/${hook.id}/replay`, {})).body).toEqual({ queued: 0, alreadyQueued: 0, skipped: 0, missedSince: null });
    expect((await webhookOf(hook.id)).missedEvents).toBe(0);
    await sleep(1000);
    expect(receiver.at('/down')).toHaveLength(SCHEDULE.length + 2);
    await api.delete(`/v1/webhooks/${hook.id}`);
    await api.delete(`/v1/webhooks/${watcher.id}`);
  });

  it('keeps an endpoint enabled when another delivery reached it after this one began failing', async () => {
    // The first attempt of the first event fails, the second event is delivered, the rest of the first fails.
    receiver.script('/picky', { status: 500 }, { status: 200 }, { status: 500 });
    const hook = await createWebhook('/picky', ['conversation.started']);
    const before = await disabledCount('failing');
    await startConversation('wh-picky-1');
    await eventually(async () => receiver.at('/picky').length === 1, 20_000, 'the first attempt');
    await startConversation('wh-picky-2');
    await eventually(async () => receiver.at('/picky').length === 2 + 2, 20_000, 'every attempt');
    const [a1, b1, a2, a3] = receiver.at('/picky').map((r) => r.headers['webhook-id']!);
    expect(b1).not.toBe(a1);
    expect([a2, a3]).toEqual([a1, a1]);
    const handle = stack.temporal.workflow.getHandle(`webhook-${a1}-${hook.id}`);
    expect(await handle.result()).toEqual({ outcome: 'failed', attempts: 3, lastStatus: 500 });
    expect((await handle.describe()).typedSearchAttributes.get(SA.status)).toBe('failed');
    expect(await webhookOf(hook.id)).toMatchObject({ enabled: true, disabledReason: null, failingSince: expect.any(String), missedEvents: 0 });
    expect(await disabledCount('failing')).toBe(before);
    await api.delete(`/v1/webhooks/${hook.id}`);
  });

  it('replays only what was missed since `since` after a pause by the API, and refuses what it cannot', async () => {
    const hook = await createWebhook('/paused', ['conversation.started']);
    expect((await api.patch(`/v1/webhooks/${hook.id}`, { enabled: false })).body.webhook).toMatchObject({ enabled: false, disabledReason: 'disabled_by_api', missedEvents: 0 });
    await startConversation('wh-paused-1');
    await eventually(async () => (await webhookOf(hook.id)).missedEvents === 1, 20_000, 'the first missed event');
    await sleep(50);
    const since = new Date().toISOString();
    const later = await startConversation('wh-paused-2');
    await eventually(async () => (await webhookOf(hook.id)).missedEvents === 2, 20_000, 'the second missed event');
    expect(receiver.at('/paused')).toHaveLength(0);

    expect((await api.patch(`/v1/webhooks/${hook.id}`, { enabled: true })).status).toBe(200);
    expect((await api.post(`/v1/webhooks/${hook.id}/replay`, { since: 'yesterday' })).status).toBe(400);
    expect((await api.post(`/v1/webhooks/${hook.id}/replay`, { since, extra: true })).status).toBe(400);
    const other = (await signUp(stack.baseUrl, 'Other Co')).api;
    expect((await other.post(`/v1/webhooks/${hook.id}/replay`, {})).status).toBe(404);

    const replay = await api.post(`/v1/webhooks/${hook.id}/replay`, { since });
    expect(replay.body).toMatchObject({ queued: 1, alreadyQueued: 0, skipped: 1 });
    await eventually(async () => receiver.at('/paused').length === 1, 20_000, 'the replayed delivery');
    await sleep(500);
    expect(bodies('/paused').map((e) => e.data.conversationId)).toEqual([later]);
    await api.delete(`/v1/webhooks/${hook.id}`);
  });
});
