/**
 * Long-running calls (issue 21) through the API channel on the dev server, with the worker as its own
 * process: a visitor asks for an approval and a booking; the business calls back before the run even
 * waits; the worker is SIGKILLed while a polled job waits and a new one finishes it; each result reaches
 * the transcript once, and each call is its own run, found in visibility by action and status.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, publishedFlowBot, signUp, startStack, type Http, type Stack } from '../harness';
import { LONG_RUNNING_FLOWS, setUpLongRunning, startBusiness, type Business } from '../long-running-business';

let stack: Stack;
let api: Http;
let accountId: string;
let business: Business;
let botId: string;
let worker: ChildProcess;

beforeAll(async () => {
  business = await startBusiness();
  stack = await startStack({ withoutWorker: true });
  ({ api, accountId } = await signUp(stack.baseUrl));
  worker = await stack.spawnWorkerProcess();
  await setUpLongRunning(api, business.url, { pollSeconds: 1 });
  botId = await publishedFlowBot(api, LONG_RUNNING_FLOWS);
}, 120_000);

afterAll(async () => {
  worker?.kill('SIGTERM');
  await stack?.stop();
  await business?.close();
});

const transcript = async (id: string): Promise<{ role: string; text: string }[]> => (await api.get(`/v1/conversations/${id}/messages?limit=200`)).body.data;
const botSaid = async (id: string, text: string) => (await transcript(id)).filter((m) => m.role === 'bot' && m.text.includes(text));

async function runs(query: string): Promise<string[]> {
  const found: string[] = [];
  for await (const r of stack.temporal.workflow.list({ query: `ParleyAccountId = '${accountId}' AND ${query}` })) found.push(r.workflowId);
  return found;
}

describe('long-running calls through the API channel', () => {
  it('takes a callback that comes before the run waits, and the flow goes on once', async () => {
    business.callBackFirst = { status: 'approved', ref: 'EARLY-1' };
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'early', message: { type: 'text', text: 'approval please' } });
    expect(start.status).toBe(201);
    const id = start.body.conversation.id as string;
    expect(await business.earlyCallback).toBe(202);
    await eventually(async () => (await botSaid(id, 'Approved: EARLY-1')).length === 1, 20_000, 'the flow to go on');
    // Whether the run was still waiting when the conversation asked, the visitor hears the result once.
    await sleep(500);
    expect(await botSaid(id, 'Approved')).toHaveLength(1);
    const run = `conversation-${id}-action-0-call-0`;
    expect(await eventually(async () => (await runs(`ParleyAction = 'approve' AND ParleyStatus = 'succeeded'`)).includes(run) && true, 20_000, 'the run in visibility')).toBe(true);
  });

  it('survives a SIGKILLed worker while a polled job waits: a new worker polls, and the flow goes on once', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'kill', message: { type: 'text', text: 'book please' } });
    expect(start.status).toBe(201);
    const id = start.body.conversation.id as string;
    expect(start.body.replies.at(-1).text).toBe('Your booking is being processed; I will tell you here when it is confirmed.');
    const job = business.latestJob();
    const run = `conversation-${id}-action-0-call-0`;
    await eventually(async () => (await runs(`ParleyAction = 'book' AND ParleyStatus = 'waiting'`)).includes(run) && true, 20_000, 'the run waiting in visibility');
    await eventually(async () => job.polls >= 1, 20_000, 'a first poll');
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    job.status = 'done';
    await sleep(2000);
    expect(await botSaid(id, 'Booked:')).toHaveLength(0);
    worker = await stack.spawnWorkerProcess();
    await eventually(async () => (await botSaid(id, 'Booked:')).length === 1, 60_000, 'the flow to go on on a new worker');
    expect((await botSaid(id, 'Booked:'))[0]!.text).toBe(`Booked: R-${job.id.slice(-4)}`);
    // The visitor can read it in the transcript, and the run says it succeeded.
    const conversation = (await api.get(`/v1/conversations/${id}`)).body.conversation;
    expect(conversation.status).toBe('active');
    await eventually(async () => (await runs(`ParleyAction = 'book' AND ParleyStatus = 'succeeded'`)).includes(run) && true, 20_000, 'the run succeeded in visibility');
    await sleep(1000);
    expect(await botSaid(id, 'Booked:')).toHaveLength(1);
  });
});
