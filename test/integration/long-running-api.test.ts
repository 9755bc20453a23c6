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
import { fn, startScriptedLlm, text, toolCall, type ScriptedLlm } from '../llm-server';

let stack: Stack;
let api: Http;
let accountId: string;
let business: Business;
let botId: string;
let worker: ChildProcess;
let llm: ScriptedLlm;

beforeAll(async () => {
  business = await startBusiness();
  stack = await startStack({ withoutWorker: true });
  ({ api, accountId } = await signUp(stack.baseUrl));
  worker = await stack.spawnWorkerProcess();
  await setUpLongRunning(api, business.url, { pollSeconds: 1 });
  botId = await publishedFlowBot(api, LONG_RUNNING_FLOWS);
  llm = await startScriptedLlm();
}, 120_000);

afterAll(async () => {
  worker?.kill('SIGTERM');
  await stack?.stop();
  await business?.close();
  await llm?.close();
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
    // It goes out as the visitor's channels read it: a message.created event (SSE, webhooks) and an action.completed.
    const events = await stack.deps.Event.find({ conversationId: id }).sort({ position: 1 }).lean();
    const booked = events.filter((e) => e.type === 'message.created' && (e.data as { message: { text: string } }).message.text.startsWith('Booked:'));
    expect(booked).toHaveLength(1);
    expect(events.filter((e) => e.type === 'action.completed')).toHaveLength(1);
  });

  it('lets Smart AI start a long-running call: the visitor is told at once, and the model answers with the result when it arrives', async () => {
    const connection = (await api.get('/v1/connections')).body.data[0].id as string;
    const endpoint = await api.post(`/v1/connections/${connection}/endpoints`, {
      name: 'Start booking for the assistant',
      method: 'POST',
      path: '/jobs',
      parameters: [{ name: 'name', type: 'string', in: 'body', source: 'llm', description: "The visitor's name" }],
      bodyTemplate: { name: '{{name}}' },
      responseFields: [{ name: 'job_id', path: '$.job_id' }],
      longRunning: {
        mode: 'poll',
        job: { from: 'body', path: '$.job_id' },
        statusPath: '/jobs/{job}',
        schedule: { initialSeconds: 1, factor: 1, maxSeconds: 1 },
        completeWhen: { path: '$.status', op: 'equals', value: 'done' },
        resultFields: [{ name: 'ref', path: '$.ref' }],
        pendingMessage: 'Booking started; I will tell you here when it is confirmed.',
      },
    });
    expect(endpoint.status).toBe(201);
    expect((await api.post('/v1/actions', { id: 'ai_book', name: 'Assistant booking', description: 'Starts a booking.', steps: [{ id: 'start', endpointId: endpoint.body.endpoint.id }] })).status).toBe(201);
    const bot = (await api.post('/v1/bots', { name: 'AI', greeting: 'Hello!', fallbackMessage: 'Sorry.' })).body.bot.id as string;
    const ai = await api.put(`/v1/bots/${bot}/ai`, { enabled: true, baseUrl: llm.baseUrl, model: 'scripted', apiKey: 'sk-test-key', allowPrivateNetwork: true, tools: [{ actionId: 'ai_book', whenToUse: 'When the visitor wants a booking.' }] });
    expect(ai.status).toBe(200);
    expect((await api.post(`/v1/bots/${bot}/publish`)).status).toBe(201);

    llm.script(toolCall('ai_book', { name: 'Ada' }), text('I have started your booking, Ada.'));
    const start = await api.post('/v1/conversations', { botId: bot, externalUserId: 'ai', message: { type: 'text', text: 'Book me in please, I am Ada' } });
    expect(start.status).toBe(201);
    const id = start.body.conversation.id as string;
    const said = start.body.replies.map((r: { text: string }) => r.text);
    expect(said).toContain('Booking started; I will tell you here when it is confirmed.');
    expect(said.at(-1)).toBe('I have started your booking, Ada.');
    // The model was told the call is under way, not that it is done.
    const toolResult = llm.requests.at(-1)!.body.messages.filter((m: { role: string }) => m.role === 'tool').at(-1);
    expect(JSON.parse(toolResult.content)).toMatchObject({ ok: true, data: { status: 'in progress' } });

    const job = business.latestJob();
    let seen: unknown;
    llm.script(
      fn((request) => {
        seen = request.body.messages.slice(-2);
        const result = JSON.parse(request.body.messages.at(-1).content) as { data: { result: { ref: string } } };
        return text(`Your booking is confirmed: ${result.data.result.ref}.`);
      }),
    );
    job.status = 'done';
    await eventually(async () => (await botSaid(id, 'Your booking is confirmed')).length === 1, 30_000, 'the model to answer with the result');
    expect((await botSaid(id, 'Your booking is confirmed'))[0]!.text).toBe(`Your booking is confirmed: R-${job.id.slice(-4)}.`);
    // It read the result as the answer of a request_status lookup.
    expect(seen).toMatchObject([{ role: 'assistant', tool_calls: [{ function: { name: 'request_status' } }] }, { role: 'tool' }]);
  });
});
