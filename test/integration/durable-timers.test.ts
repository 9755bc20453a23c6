/**
 * Durable timers, on Temporal's time-skipping test server: a conversation nobody writes to closes after
 * its bot's inactivity timeout (30 minutes here, skipped in milliseconds), and a side-effecting action
 * whose confirmation never comes never runs: the conversation closes on the same timer with the booking
 * never sent. The workflows are the real bundle, the activities the real ones on the test's FerretDB, the
 * model the scripted provider and the business API the demo API on tenant ports.
 *
 * The API starts conversations with update-with-start, which the time-skipping server does not
 * implement, so these tests start the conversation workflow with the input the API would give it (the
 * published version read back from the database) and send Updates to it, as the API's message route does.
 */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createActivities } from '../../activities';
import { createOutboundNetwork } from '../../activities/http/network';
import { createDemoApi, type DemoApiState } from '../../scripts/demo-api/app';
import { SEARCH_ATTRIBUTES } from '../../scripts/lib/infra';
import type { BotSnapshot } from '../../models/bot.schema';
import type { ConversationInput, TurnResult } from '../../models/conversation.schema';
import { SecretBox } from '../../models/secret-box';
import { conversationWorkflow } from '../../workflows/conversation';
import { visitorMessageUpdate } from '../../workflows/definitions';
import { signUp, startStack, testEnv, type Http, type Stack } from '../harness';
import { startScriptedLlm, toolCall, type ScriptedLlm } from '../llm-server';
import { startReceiver, type Receiver } from '../webhook-receiver';
import { eventDeliveryWorkflow } from '../../workflows/event-delivery';
import { WEBHOOK_RETRY_SCHEDULE_MS } from '../../models/limits';
import { listenTenantUrl, tenantNetworkPolicy } from '../tenant-ports';

const TENANT_TOKEN = 'durable-timers-token';
const THIRTY_MINUTES = 30 * 60;

let env: TestWorkflowEnvironment;
let stack: Stack;
let api: Http;
let accountId: string;
let worker: Worker;
let running: Promise<void>;
let llm: ScriptedLlm;
let demo: DemoApiState;
let demoServer: Server;
let receiver: Receiver;
const taskQueue = `timers-${randomBytes(4).toString('hex')}`;

async function created(path: string, body: unknown): Promise<any> {
  const res = await api.post(path, body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The published version of a new bot, as the API would hand it to the conversation workflow. */
async function publishedSnapshot(settings: Record<string, unknown>, ai?: Record<string, unknown>): Promise<BotSnapshot> {
  const bot = await created('/v1/bots', { name: 'Timers', greeting: 'Hello!', fallbackMessage: 'Sorry.', inactivityTimeoutSeconds: THIRTY_MINUTES, ...settings });
  const id = bot.bot.id as string;
  if (ai) expect((await api.put(`/v1/bots/${id}/ai`, ai)).status).toBe(200);
  await created(`/v1/bots/${id}/publish`, {});
  const version = await stack.deps.BotVersion.findOne({ accountId, botId: id }).sort({ version: -1 }).lean();
  return version!.snapshot as BotSnapshot;
}

function conversationInput(bot: BotSnapshot): ConversationInput {
  return { conversationId: `conv_${randomBytes(8).toString('hex')}`, accountId, channel: 'api', externalUserId: 'visitor-1', bot };
}

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testEnv('PARLEY_TEST_TIME_SKIPPING_SERVER') } } });
  // Parley's search attributes, registered as the dev server's start-up registers them (their keyword type).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  llm = await startScriptedLlm();
  receiver = await startReceiver();
  const demoApi = createDemoApi({ token: TENANT_TOKEN });
  demo = demoApi.state;
  demoServer = createServer(demoApi.app);
  const demoBase = await listenTenantUrl(demoServer);
  // The dev-server stack serves the configuration API only: conversations run on the time-skipping server.
  stack = await startStack({ withoutWorker: true });
  ({ api, accountId } = await signUp(stack.baseUrl));
  const conn = (await created('/v1/connections', { name: 'Bookings', baseUrl: demoBase, auth: { type: 'bearer', token: TENANT_TOKEN }, allowPrivateNetwork: true })).connection.id;
  const book = (
    await created(`/v1/connections/${conn}/endpoints`, {
      name: 'Create booking',
      method: 'POST',
      path: '/bookings',
      sideEffects: true,
      parameters: ['name', 'email', 'date', 'time'].map((name) => ({ name, type: name === 'email' ? 'email' : name === 'date' ? 'date' : 'string', in: 'body', source: 'llm', description: name })),
      responseFields: [{ name: 'booking_id', path: '$.id' }],
    })
  ).endpoint.id;
  await created('/v1/actions', { id: 'book', name: 'Book an appointment', steps: [{ id: 'book', endpointId: book }] });

  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE') },
    activities: createActivities({ db: stack.db, secrets: new SecretBox(stack.secretKeys), http: { network: createOutboundNetwork(tenantNetworkPolicy()) }, temporal: env.client, taskQueue }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await stack?.stop();
  await llm?.close();
  await receiver?.close();
  demoServer?.closeAllConnections();
  await new Promise((r) => demoServer?.close(r));
});

describe('on the time-skipping server', () => {
  it("closes a conversation nobody writes to after its bot's inactivity timeout", async () => {
    const input = conversationInput(await publishedSnapshot({}));
    const before = await env.currentTimeMs();
    const wallStart = Date.now();
    const handle = await env.client.workflow.start(conversationWorkflow, { workflowId: `conversation-${input.conversationId}`, taskQueue, args: [input] });
    // Awaiting the result lets the server skip time while the workflow only waits on its timer.
    expect(await handle.result()).toEqual({ status: 'closed', reason: 'inactivity', messageCount: 0 });
    const skipped = (await env.currentTimeMs()) - before;
    expect(skipped).toBeGreaterThanOrEqual(THIRTY_MINUTES * 1000);
    expect(Date.now() - wallStart).toBeLessThan(30_000);
    const stored = await stack.deps.Conversation.findOne({ _id: input.conversationId, accountId }).lean();
    expect(stored).toMatchObject({ status: 'closed', closeReason: 'inactivity' });
  });

  it('never runs a side-effecting action whose confirmation never comes, and closes on the same timer', async () => {
    const bot = await publishedSnapshot({}, { enabled: true, baseUrl: llm.baseUrl, model: 'scripted', allowPrivateNetwork: true, tools: [{ actionId: 'book', whenToUse: 'When the visitor wants to book.' }] });
    const input = conversationInput(bot);
    const handle = await env.client.workflow.start(conversationWorkflow, { workflowId: `conversation-${input.conversationId}`, taskQueue, args: [input] });
    const args = { name: 'Ada', email: 'ada@example.com', date: '2099-04-01', time: '09:00' };
    llm.script(toolCall('book', args));
    const bookings = demo.bookings.length;
    const turn: TurnResult = await handle.executeUpdate(visitorMessageUpdate, { args: [{ messageId: 'msg_timers_1', text: 'Book me in, Ada, ada@example.com, 1 April 2099 at 9' }], updateId: 'msg_timers_1' });
    expect(turn.replies.at(-1)?.confirmation).toMatchObject({ action: 'book', arguments: args });

    // Nobody answers: the timer closes the conversation and the booking is never sent.
    expect(await handle.result()).toMatchObject({ status: 'closed', reason: 'inactivity' });
    expect(demo.bookings.length).toBe(bookings);
    const stored = await stack.deps.Conversation.findOne({ _id: input.conversationId, accountId }).lean();
    expect(stored).toMatchObject({ status: 'closed', closeReason: 'inactivity' });
  });

  it('runs the webhook schedule over about three days, then disables an endpoint that failed throughout', async () => {
    receiver.script('/down', { status: 500, body: '{"error":"down"}' });
    const hook = await created('/v1/webhooks', { url: `${receiver.baseUrl}/down`, events: ['message.created'], allowPrivateNetwork: true });
    const endpointId = hook.webhook.id as string;
    const eventId = `evt_${randomBytes(8).toString('hex')}`;
    await stack.deps.Event.create({ _id: eventId, accountId, conversationId: 'conv_timers', botId: 'bot_timers', position: 0, type: 'message.created', data: { message: { text: 'hi' } }, createdAt: new Date(), dispatched: true });
    const before = await env.currentTimeMs();
    const handle = await env.client.workflow.start(eventDeliveryWorkflow, { workflowId: `webhook-${eventId}-${endpointId}`, taskQueue, args: [{ accountId, endpointId, eventId }] });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'disabled', attempts: WEBHOOK_RETRY_SCHEDULE_MS.length, lastStatus: 500 });
    expect(receiver.at('/down')).toHaveLength(WEBHOOK_RETRY_SCHEDULE_MS.length);
    // The schedule's total, less at most its 10% jitter.
    const total = WEBHOOK_RETRY_SCHEDULE_MS.reduce((sum, ms) => sum + ms, 0);
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(total * 0.9);
    const endpoint = await stack.deps.WebhookEndpoint.findOne({ _id: endpointId, accountId }).lean();
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: 'failing' });
  });
});
