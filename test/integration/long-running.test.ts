/**
 * Long-running calls (issue 21) on Temporal's time-skipping test server: a booking that is polled on its
 * backoff schedule, one that passes its deadline, one approved later through a one-time callback URL. The
 * workflows are the real bundle and the activities the real ones, on the test's FerretDB; the API (for
 * set-up and the callback route) runs against the same time-skipping server, and a real HTTP server on
 * 127.0.0.1 plays the business. Hours of waiting take milliseconds of wall time.
 *
 * The time-skipping server lacks update-with-start, so conversations are started with the input the API
 * would give them (as test/integration/sla-timers.test.ts does), and messages sent as the API sends them.
 */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { createActivities } from '../../activities';
import { createOutboundNetwork } from '../../activities/http/network';
import type { BotSnapshot } from '../../models/bot.schema';
import type { ConversationInput, TurnResult } from '../../models/conversation.schema';
import { SecretBox } from '../../models/secret-box';
import { SEARCH_ATTRIBUTES } from '../../scripts/lib/infra';
import { conversationWorkflow } from '../../workflows/conversation';
import { callDoneSignal, closeSignal, getStateQuery, SA, visitorMessageUpdate } from '../../workflows/definitions';
import { eventually, signUp, startStack, testEnv, type Http, type Stack } from '../harness';
import { LONG_RUNNING_FLOWS, setUpLongRunning, startBusiness, type Business } from '../long-running-business';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

let env: TestWorkflowEnvironment;
let stack: Stack;
let api: Http;
let accountId: string;
let worker: { worker: Worker; running: Promise<void> } | undefined;
// A worker killed while a call waits, and a callback that comes before the run waits: long-running-api.test.ts (dev server).
const taskQueue = `long-running-${randomBytes(4).toString('hex')}`;

let business: Business;

async function startWorker(): Promise<void> {
  const w = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE') },
    activities: createActivities({
      db: stack.db,
      secrets: new SecretBox(stack.secretKeys),
      // A client on the worker's own connection, as in production (what Eager Workflow Start needs).
      temporal: new Client({ connection: env.nativeConnection, namespace: env.namespace ?? 'default' }),
      taskQueue,
      http: { network: createOutboundNetwork(stack.deps.config.outbound), publicUrl: stack.baseUrl, callbackKeys: stack.secretKeys },
    }),
  });
  worker = { worker: w, running: w.run() };
}

async function stopWorker(): Promise<void> {
  if (!worker) return;
  worker.worker.shutdown();
  await worker.running;
  worker = undefined;
}

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testEnv('PARLEY_TEST_TIME_SKIPPING_SERVER') } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  business = await startBusiness();
  stack = await startStack({ withoutWorker: true, temporalAddress: env.address });
  ({ api, accountId } = await signUp(stack.baseUrl));
  await startWorker();
}, 120_000);

afterAll(async () => {
  await stopWorker();
  await env?.teardown();
  await stack?.stop();
  await business?.close();
});

/** A published bot with the flows above, as the API hands its version to the workflow. */
async function bot(settings: Record<string, unknown> = {}): Promise<BotSnapshot> {
  const id = (await api.post('/v1/bots', { name: 'Long', inactivityTimeoutSeconds: 10 * 60, ...settings })).body.bot.id as string;
  expect((await api.put(`/v1/bots/${id}/flows`, LONG_RUNNING_FLOWS)).status).toBe(200);
  expect((await api.post(`/v1/bots/${id}/publish`, {})).status).toBe(201);
  const version = await stack.deps.BotVersion.findOne({ accountId, botId: id }).sort({ version: -1 }).lean();
  return version!.snapshot as BotSnapshot;
}

async function converse(snapshot: BotSnapshot) {
  const input: ConversationInput = { conversationId: `conv_${randomBytes(8).toString('hex')}`, accountId, channel: 'api', externalUserId: 'visitor', bot: snapshot };
  const handle = await env.client.workflow.start(conversationWorkflow, { workflowId: `conversation-${input.conversationId}`, taskQueue, args: [input] });
  let n = 0;
  const say = async (text: string): Promise<string[]> => {
    const messageId = `m-${++n}`;
    const turn: TurnResult = await handle.executeUpdate(visitorMessageUpdate, { args: [{ messageId, text }], updateId: messageId });
    return turn.replies.map((r) => r.text).filter((text) => text !== snapshot.greeting);
  };
  const transcript = async () => (await stack.deps.Message.find({ conversationId: input.conversationId }).sort({ seq: 1 }).lean()).map((m) => ({ role: m.role, text: m.text, inReplyTo: m.inReplyTo ?? null }));
  const botSaid = async (text: string) => (await transcript()).filter((m) => m.role === 'bot' && m.text.includes(text));
  return { handle, id: input.conversationId, say, transcript, botSaid };
}

/** The run of the conversation's long-running call (its own workflow). */
const runOf = (conversationId: string, key: string) => env.client.workflow.getHandle(`conversation-${conversationId}-${key}`);
const statusOf = async (handle: { describe(): Promise<{ typedSearchAttributes: { get(key: typeof SA.status): string | undefined } }> }) => (await handle.describe()).typedSearchAttributes.get(SA.status);

/** The durations of the run's timers, in seconds, in the order they were started. */
async function timerSeconds(runId: string): Promise<number[]> {
  const history = await env.client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes)
    .map((e) => {
      const d = e.timerStartedEventAttributes!.startToFireTimeout!;
      return Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9;
    });
}

const latestJob = () => business.latestJob();
const skip = (ms: number) => env.sleep(ms);

describe('long-running calls on the time-skipping server', () => {
  beforeAll(() => setUpLongRunning(api, business.url, { deadlineSeconds: 3600, callbackDeadlineSeconds: 2 * 3600 }));

  it('polls on its backoff schedule with durable timers, answers "what is the status?" from the run, and continues the flow once the job is done', async () => {
    const c = await converse(await bot());
    expect(await c.say('I want to book')).toEqual(['Your booking is being processed; I will tell you here when it is confirmed.']);
    const job = latestJob();
    const key = 'action-0-call-0';
    const run = runOf(c.id, key);
    expect(await statusOf(run)).toBe('waiting');
    // 10 s, then doubling to the 60 s cap: polls at 10, 30, 70, 130 and 190 s.
    await skip(200 * SECOND);
    await eventually(async () => job.polls === 5, 30_000, 'five polls');
    expect((await timerSeconds(run.workflowId)).slice(0, 5)).toEqual([10, 20, 40, 60, 60]);
    const status = await c.say("what's the status?");
    expect(status[0]).toMatch(/"Booking" \(started 3 minutes ago, checked 5 times\): in progress\./);
    // The visitor goes on with another flow meanwhile.
    expect(await c.say('survey please')).toEqual(['What is your favourite colour?']);
    expect(await c.say('green')).toEqual(['Thanks, green it is.']);
    job.status = 'done';
    await skip(61 * SECOND);
    await eventually(async () => (await c.botSaid('Booked: R-')).length === 1, 30_000, 'the flow to go on');
    const said = await c.botSaid('Booked: R-');
    expect(said).toEqual([{ role: 'bot', text: `Booked: R-${job.id.slice(-4)}`, inReplyTo: null }]);
    expect(await statusOf(run)).toBe('succeeded');
    expect(await run.result()).toMatchObject({ ok: true, outputs: { ref: `R-${job.id.slice(-4)}`, job_id: job.id } });
    const events = await stack.deps.Event.find({ conversationId: c.id, type: 'action.completed' }).lean();
    expect(events).toHaveLength(1);
    // Exactly once: the same end sent again is dropped (the conversation no longer waits for it).
    await c.handle.signal(callDoneSignal, { callId: run.workflowId, ok: true, outputs: { ref: 'R-again' }, outcome: 'succeeded' });
    await c.say('thanks');
    expect(await c.botSaid('Booked: R-')).toHaveLength(1);
    expect(job.cancelled).toBe(false);
    await c.handle.terminate('test over');
  });

  it('says a result that arrives while another question is open at once, and resumes its flow when none is', async () => {
    const c = await converse(await bot());
    await c.say('book');
    const job = latestJob();
    expect(await c.say('survey')).toEqual(['What is your favourite colour?']);
    job.status = 'done';
    await skip(11 * SECOND);
    await eventually(async () => (await c.botSaid('Update on "Booking": it is done.')).length === 1, 30_000, 'the notice');
    expect((await c.botSaid('Booked:')).length).toBe(0);
    // The answer ends the survey; the booking's flow then goes on in the same turn.
    expect(await c.say('blue')).toEqual(['Thanks, blue it is.', `Booked: R-${job.id.slice(-4)}`]);
    await c.handle.terminate('test over');
  });

  it('gives up at the deadline: the flow takes its failure branch and the job is undone; the idle timer waits for the call', async () => {
    const conn = await converse(await bot({ inactivityTimeoutSeconds: 60 }));
    await conn.say('book');
    const job = latestJob();
    // Far past the 60 s idle timeout: the conversation stays open while its call waits (deadline: 1 hour).
    await skip(30 * MINUTE);
    expect((await conn.handle.query(getStateQuery)).status).toBe('active');
    await skip(31 * MINUTE);
    await eventually(async () => (await conn.botSaid('No booking:')).length === 1, 30_000, 'the failure branch');
    expect((await conn.botSaid('No booking:'))[0]!.text).toBe('No booking: Sorry, that request took too long and was stopped.');
    const run = runOf(conn.id, 'action-0-call-0');
    expect(await statusOf(run)).toBe('timed_out');
    // The compensation of the step ran (the job may still have been live).
    expect(job.cancelled).toBe(true);
    // With no call waiting, the idle timer closes it again.
    await skip(2 * MINUTE);
    await eventually(async () => (await conn.handle.describe()).status.name === 'COMPLETED', 30_000, 'closed for inactivity');
  });

  it('cancels a waiting call when the conversation closes, running its compensation; and when the visitor cancels', async () => {
    const a = await converse(await bot());
    await a.say('book');
    const jobA = latestJob();
    await a.handle.signal(closeSignal, { reason: 'test' });
    const runA = runOf(a.id, 'action-0-call-0');
    expect(await runA.result()).toMatchObject({ ok: false, ended: 'cancelled' });
    expect(await statusOf(runA)).toBe('cancelled');
    expect(jobA.cancelled).toBe(true);

    const b = await converse(await bot());
    await b.say('book');
    const jobB = latestJob();
    expect(await b.say('cancel')).toEqual(['OK, I\'m cancelling "Booking". I\'ll confirm here once it\'s done.']);
    await eventually(async () => (await b.botSaid('"Booking" was cancelled.')).length === 1, 30_000, 'the cancellation said');
    expect(jobB.cancelled).toBe(true);
    await b.handle.terminate('test over');
  });

  it('bounds the calls a conversation may have waiting', async () => {
    const c = await converse(await bot());
    for (let i = 0; i < 5; i++) expect(await c.say('book')).toEqual(['Your booking is being processed; I will tell you here when it is confirmed.']);
    expect(await c.say('book')).toEqual(['No booking: You already have 5 requests in progress. Let\'s wait for one of them to finish first.']);
    await c.handle.signal(closeSignal, { reason: 'test' });
    await c.handle.result();
  });

  it('resumes a flow through the one-time callback URL: forged and repeated callbacks are refused, and the flow goes on once', async () => {
    const c = await converse(await bot());
    expect(await c.say('approval please')).toEqual(['I have asked the team to approve it; I will tell you here.']);
    const { callbackUrl } = business.approvals.at(-1)!;
    expect(callbackUrl.startsWith(`${stack.baseUrl}/v1/callbacks/`)).toBe(true);
    // The URL never enters the run's history.
    const run = runOf(c.id, 'action-0-call-0');
    expect(JSON.stringify(await run.fetchHistory())).not.toContain(callbackUrl.split('/').at(-1)!);
    const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const token = callbackUrl.split('/').at(-1)!;
    const forged = `${callbackUrl.slice(0, -3)}${token.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`;
    expect((await post(forged, { status: 'approved', ref: 'X' })).status).toBe(404);
    expect((await post(callbackUrl, { status: 'maybe' })).status).toBe(422);
    expect((await post(callbackUrl, { status: 'approved', ref: 'B-7' })).status).toBe(202);
    await eventually(async () => (await c.botSaid('Approved: B-7')).length === 1, 30_000, 'the flow to go on');
    // A different result later is refused; the flow never continues twice.
    expect([409, 410]).toContain((await post(callbackUrl, { status: 'rejected' })).status);
    expect((await c.botSaid('Approved')).length).toBe(1);
    expect((await c.botSaid('Not approved')).length).toBe(0);
    expect(await statusOf(run)).toBe('succeeded');
    await c.handle.terminate('test over');
  });

  it("tells the visitor the business's reason for a failure, through the endpoint's failureMessage", async () => {
    const c = await converse(await bot());
    await c.say('approval');
    const { callbackUrl } = business.approvals.at(-1)!;
    const res = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'rejected', reason: 'we are fully booked that day' }) });
    expect(res.status).toBe(202);
    await eventually(async () => (await c.botSaid('Not approved:')).length === 1, 30_000, 'the failure branch');
    expect((await c.botSaid('Not approved:'))[0]!.text).toBe('Not approved: The team said no: we are fully booked that day');
    expect(await statusOf(runOf(c.id, 'action-0-call-0'))).toBe('failed');
    await c.handle.terminate('test over');
  });

  it('refuses a callback that arrives after the deadline; the flow has taken its failure branch', async () => {
    const late = await converse(await bot());
    await late.say('approval');
    const { callbackUrl } = business.approvals.at(-1)!;
    await skip(2 * 3600 * SECOND + MINUTE);
    await eventually(async () => (await late.botSaid('Not approved:')).length === 1, 30_000, 'the deadline');
    const res = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'approved', ref: 'LATE' }) });
    expect(res.status).toBe(410);
    expect((await late.botSaid('Approved')).length).toBe(0);
    await late.handle.terminate('test over');
  });
});
