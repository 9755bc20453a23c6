/**
 * SLA clocks on Temporal's time-skipping test server: the deadlines of a handoff are durable timers in the
 * conversation's workflow. A first response breaches after its minutes (at risk before that), business
 * hours pause the clock (a target set outside them falls due inside them), an agent's reply stops the
 * next-response clock and the next visitor message starts it again, and the clocks survive continue-as-new.
 * The workflows are the real bundle, the activities the real ones on the test's FerretDB; the handoff
 * settings are set through the real API. Hours of waiting take milliseconds of wall time.
 *
 * The time-skipping server lacks update-with-start, so the conversation workflow is started with the input
 * the API would give it (as test/integration/durable-timers.test.ts does).
 */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { createActivities } from '../../activities';
import { addBusinessTime } from '../../core/sla/clock';
import type { BotSnapshot } from '../../models/bot.schema';
import type { ConversationInput } from '../../models/conversation.schema';
import { SecretBox } from '../../models/secret-box';
import { WEEKDAYS } from '../../models/sla.schema';
import { SEARCH_ATTRIBUTES } from '../../scripts/lib/infra';
import { conversationWorkflow } from '../../workflows/conversation';
import { agentMessageUpdate, inboxAgentChangedSignal, inboxWorkflowId, SA, visitorMessageUpdate } from '../../workflows/definitions';
import { eventually, signUp, startStack, testEnv, type Http, type Stack } from '../harness';

const MINUTE = 60_000;
const FLOWS = {
  flows: [{ id: 'human', name: 'Talk to a person', trigger: { keywords: ['human'] }, startBlockId: 'handoff', blocks: [{ id: 'handoff', type: 'handoff', text: 'Connecting you.' }] }],
};

let env: TestWorkflowEnvironment;
let stack: Stack;
let api: Http;
let accountId: string;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `sla-timers-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testEnv('PARLEY_TEST_TIME_SKIPPING_SERVER') } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  stack = await startStack({ withoutWorker: true });
  ({ api, accountId } = await signUp(stack.baseUrl));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE') },
    activities: createActivities({ db: stack.db, secrets: new SecretBox(stack.secretKeys), temporal: env.client, taskQueue }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await stack?.stop();
});

/** A published flow bot with these handoff settings, as the API hands its version to the workflow. */
async function botWith(handoff: Record<string, unknown>, settings: Record<string, unknown> = {}): Promise<BotSnapshot> {
  const bot = (await api.post('/v1/bots', { name: 'SLA', inactivityTimeoutSeconds: 30 * 60, ...settings })).body.bot.id as string;
  expect((await api.put(`/v1/bots/${bot}/flows`, FLOWS)).status).toBe(200);
  expect((await api.put(`/v1/bots/${bot}/handoff`, handoff)).status).toBe(200);
  expect((await api.post(`/v1/bots/${bot}/publish`, {})).status).toBe(201);
  const version = await stack.deps.BotVersion.findOne({ accountId, botId: bot }).sort({ version: -1 }).lean();
  return version!.snapshot as BotSnapshot;
}

/** Starts the conversation and hands it off; returns its handle and id. */
async function handedOff(bot: BotSnapshot, extra: Partial<ConversationInput> = {}) {
  const input: ConversationInput = { conversationId: `conv_${randomBytes(8).toString('hex')}`, accountId, channel: 'api', externalUserId: 'visitor', bot, ...extra };
  const handle = await env.client.workflow.start(conversationWorkflow, { workflowId: `conversation-${input.conversationId}`, taskQueue, args: [input] });
  await handle.executeUpdate(visitorMessageUpdate, { args: [{ messageId: 'm-1', text: 'human please' }], updateId: 'm-1' });
  return { handle, id: input.conversationId };
}

const conversation = async (id: string) => (await stack.deps.Conversation.findOne({ _id: id }).lean())!;
/** A breach recorded when its timer fired (the workflow task runs a few milliseconds after the due time). */
const firedAt = (due: number) => ({ asymmetricMatch: (at: number) => at >= due && at < due + 5_000, toString: () => `a time within 5 s after ${new Date(due).toISOString()}` });
const breaches = async (id: string) => (await stack.deps.Event.find({ conversationId: id, type: 'sla.breached' }).sort({ position: 1 }).lean()).map((e) => ({ target: (e.data as { target: string }).target, at: e.createdAt.getTime() }));
/** Lets the server skip `ms` of time (the workflow's timers fire on the way). */
const skip = (ms: number) => env.sleep(ms);

describe('SLA clocks on the time-skipping server', () => {
  it('turns at risk, then breaches the first response after its minutes, with events and the search attribute', async () => {
    const { handle, id } = await handedOff(await botWith({ sla: { firstResponseMinutes: 30, atRiskPercent: 25 } }));
    const handoffAt = (await conversation(id)).handoffAt!.getTime();
    expect(await conversation(id)).toMatchObject({ status: 'handoff', inbox: 'waiting', slaState: 'running' });
    expect((await conversation(id)).sla?.firstResponseDueAt?.getTime()).toBe(handoffAt + 30 * MINUTE);
    await skip(24 * MINUTE);
    await eventually(async () => (await conversation(id)).slaState === 'at_risk', 10_000, 'at risk after 22.5 minutes');
    expect(await breaches(id)).toEqual([]);
    await skip(7 * MINUTE);
    await eventually(async () => (await conversation(id)).slaState === 'breached', 10_000, 'breached after 30 minutes');
    const [breach] = await breaches(id);
    expect(breach).toEqual({ target: 'firstResponse', at: firedAt(handoffAt + 30 * MINUTE) });
    expect(await stack.deps.Event.countDocuments({ conversationId: id, type: 'sla.escalated' })).toBe(1);
    expect((await conversation(id)).sla?.breached).toEqual(['firstResponse']);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(SA.sla)).toBe('breached');
    // Still in handoff: the idle timer (30 minutes) does not close a conversation waiting for a person.
    expect((await conversation(id)).status).toBe('handoff');
    await handle.terminate('test over');
  });

  it('pauses outside business hours: a target set on a closed day falls due inside the next opening', async () => {
    const now = await env.currentTimeMs();
    // Open one hour, on the weekday two days from now only (UTC), so the handoff happens outside the hours.
    const openDay = new Date(now + 2 * 86_400_000);
    const weekday = WEEKDAYS[(openDay.getUTCDay() + 6) % 7]!;
    const hours = { timezone: 'UTC', days: { [weekday]: [{ from: '10:00', to: '11:00' }] }, holidays: [] };
    const { handle, id } = await handedOff(await botWith({ sla: { firstResponseMinutes: 30, businessHours: hours } }));
    const handoffAt = (await conversation(id)).handoffAt!.getTime();
    const due = Date.UTC(openDay.getUTCFullYear(), openDay.getUTCMonth(), openDay.getUTCDate(), 10, 30);
    expect(addBusinessTime(handoffAt, 30 * MINUTE, hours, 'UTC')).toBe(due);
    expect((await conversation(id)).sla?.firstResponseDueAt?.getTime()).toBe(due);
    // A day later (far past 30 wall-clock minutes): no business time has passed, nothing breached.
    await skip(24 * 60 * MINUTE);
    expect(await breaches(id)).toEqual([]);
    expect((await conversation(id)).slaState).toBe('running');
    await skip(due - (await env.currentTimeMs()) + MINUTE);
    await eventually(async () => (await breaches(id)).length === 1, 10_000, 'breached in business hours');
    expect(await breaches(id)).toEqual([{ target: 'firstResponse', at: firedAt(due) }]);
    await handle.terminate('test over');
  });

  it("restarts the next-response clock on each visitor message and stops it on the agent's reply", async () => {
    const { handle, id } = await handedOff(await botWith({ sla: { firstResponseMinutes: 60, nextResponseMinutes: 10 } }));
    await handle.executeUpdate(agentMessageUpdate, { args: [{ text: 'Hello, I am here.', agentId: null }] });
    expect((await conversation(id)).sla?.firstResponseAt).toBeTruthy();
    await handle.executeUpdate(visitorMessageUpdate, { args: [{ messageId: 'm-2', text: 'my order is late' }], updateId: 'm-2' });
    expect((await conversation(id)).sla?.nextResponseDueAt).toBeTruthy();
    await skip(5 * MINUTE);
    await handle.executeUpdate(agentMessageUpdate, { args: [{ text: 'Looking into it.', agentId: null }] });
    expect((await conversation(id)).sla?.nextResponseDueAt).toBeNull();
    // Ten quiet minutes after an answered message breach nothing.
    await skip(11 * MINUTE);
    expect(await breaches(id)).toEqual([]);
    await handle.executeUpdate(visitorMessageUpdate, { args: [{ messageId: 'm-3', text: 'any news?' }], updateId: 'm-3' });
    const asked = await env.currentTimeMs();
    await skip(11 * MINUTE);
    await eventually(async () => (await breaches(id)).length === 1, 10_000, 'next response breached');
    const [breach] = await breaches(id);
    expect(breach!.target).toBe('nextResponse');
    expect(breach!.at - asked).toBeGreaterThanOrEqual(10 * MINUTE - 1000);
    expect(breach!.at - asked).toBeLessThan(11 * MINUTE);
    await handle.terminate('test over');
  });

  it('keeps its deadlines across continue-as-new', async () => {
    const { handle, id } = await handedOff(await botWith({ sla: { firstResponseMinutes: 30 } }), { continueAsNewAfterEvents: 40 });
    const handoffAt = (await conversation(id)).handoffAt!.getTime();
    const firstRun = (await handle.describe()).runId;
    // Visitor messages while waiting grow the history past the limit: the run continues as new.
    for (let i = 0; i < 8; i++) await handle.executeUpdate(visitorMessageUpdate, { args: [{ messageId: `w-${i}`, text: `hello? ${i}` }], updateId: `w-${i}` });
    await eventually(async () => (await env.client.workflow.getHandle(handle.workflowId).describe()).runId !== firstRun, 10_000, 'continued as new');
    const current = env.client.workflow.getHandle(handle.workflowId);
    await skip(31 * MINUTE);
    await eventually(async () => (await breaches(id)).length === 1, 10_000, 'breached on the new run');
    expect(await breaches(id)).toEqual([{ target: 'firstResponse', at: firedAt(handoffAt + 30 * MINUTE) }]);
    expect((await current.describe()).typedSearchAttributes.get(SA.sla)).toBe('breached');
    await current.terminate('test over');
  });
});

describe('the inbox dispatcher on the time-skipping server', () => {
  /** An active agent of the account, written as the agents API writes one; the dispatcher is told of it. */
  async function agent(fields: Record<string, unknown> = {}): Promise<string> {
    const id = `agt_${randomBytes(12).toString('hex')}`;
    const now = new Date(await env.currentTimeMs());
    await stack.deps.Agent.create({ _id: id, accountId, name: 'Agent', email: `${id}@example.com`, role: 'agent', teams: [], capacity: 5, availability: 'online', status: 'active', invite: null, lastSeenAt: now, createdAt: now, updatedAt: now, ...fields });
    await env.client.workflow.signalWithStart('inboxWorkflow', { workflowId: inboxWorkflowId(accountId), taskQueue, args: [{ accountId }], signal: inboxAgentChangedSignal, signalArgs: [{ agentId: id }] });
    return id;
  }
  const holder = async (id: string) => ((await conversation(id)).inbox === 'assigned' ? (await conversation(id)).assignedAgentId : undefined);

  it("lapses an online agent without heartbeats to away, and gives their conversations to someone who answers", async () => {
    const lapsing = await agent();
    const bot = await botWith({});
    const { handle, id } = await handedOff(bot);
    await eventually(async () => (await holder(id)) === lapsing, 10_000, 'assigned to the online agent');
    // A second agent keeps sending heartbeats (as the inbox page does every 30 s).
    const present = await agent();
    for (let minute = 0; minute < 4; minute++) {
      await skip(60_000);
      await stack.deps.Agent.updateOne({ _id: present }, { $set: { lastSeenAt: new Date(await env.currentTimeMs()) } });
    }
    // 3 minutes without a heartbeat: away, and the conversation moves to the present agent.
    await eventually(async () => (await stack.deps.Agent.findOne({ _id: lapsing }).lean())?.availability === 'away', 10_000, 'lapsed to away');
    await eventually(async () => (await holder(id)) === present, 10_000, 'reassigned to the present agent');
    expect((await stack.deps.Agent.findOne({ _id: present }).lean())?.availability).toBe('online');
    await handle.terminate('test over');
    await stack.deps.Agent.updateMany({ _id: { $in: [lapsing, present] } }, { $set: { status: 'deactivated' } });
    await env.client.workflow.getHandle(inboxWorkflowId(accountId)).terminate('test over');
  });

  it('reassigns a conversation whose agent does not answer in time', async () => {
    const bot = await botWith({ reassignAfterSeconds: 120 });
    const first = await agent({ lastSeenAt: new Date(await env.currentTimeMs() + 86_400_000) });
    const { handle, id } = await handedOff(bot);
    await eventually(async () => (await holder(id)) === first, 10_000, 'assigned');
    const second = await agent({ lastSeenAt: new Date(await env.currentTimeMs() + 86_400_000) });
    await skip(3 * 60_000);
    await eventually(async () => (await holder(id)) === second, 10_000, 'reassigned after 2 minutes without an answer');
    const events = await stack.deps.Event.find({ conversationId: id, type: { $in: ['conversation.assigned', 'conversation.unassigned'] } }).sort({ position: 1 }).lean();
    // Taken back and given to the other in one decision: the conversation hears only its new holder.
    expect(events.map((e) => [e.type, (e.data as { agentId?: string }).agentId, (e.data as { previousAgentId?: string | null }).previousAgentId])).toEqual([
      ['conversation.assigned', first, null],
      ['conversation.assigned', second, first],
    ]);
    // The new holder answers: no further reassignment.
    await handle.executeUpdate(agentMessageUpdate, { args: [{ text: 'Here now.', agentId: second }] });
    await skip(5 * 60_000);
    expect(await holder(id)).toBe(second);
    await handle.terminate('test over');
    await stack.deps.Agent.updateMany({ _id: { $in: [first, second] } }, { $set: { status: 'deactivated' } });
    await env.client.workflow.getHandle(inboxWorkflowId(accountId)).terminate('test over');
  });

  it('escalates a breach as configured: names the admins, and takes the conversation to another agent', async () => {
    const bot = await botWith({ sla: { firstResponseMinutes: 5, escalation: { reassign: true, notifyAdmins: true } } });
    const later = new Date((await env.currentTimeMs()) + 86_400_000); // heartbeats that do not lapse during the test
    const admin = await agent({ role: 'admin', availability: 'away', lastSeenAt: later });
    const first = await agent({ lastSeenAt: later });
    const { handle, id } = await handedOff(bot);
    await eventually(async () => (await holder(id)) === first, 10_000, 'assigned');
    const second = await agent({ lastSeenAt: later });
    await skip(6 * 60_000);
    await eventually(async () => (await holder(id)) === second, 10_000, 'reassigned on the breach');
    const escalated = await stack.deps.Event.findOne({ conversationId: id, type: 'sla.escalated' }).lean();
    expect(escalated?.data).toMatchObject({ target: 'firstResponse', agentId: first, reassign: true });
    expect((escalated?.data as { admins: string[] }).admins).toContain(admin);
    expect((await conversation(id)).slaState).toBe('breached');
    await handle.terminate('test over');
    await stack.deps.Agent.updateMany({ _id: { $in: [admin, first, second] } }, { $set: { status: 'deactivated' } });
    await env.client.workflow.getHandle(inboxWorkflowId(accountId)).terminate('test over');
  });
});
