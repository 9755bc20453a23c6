/**
 * Replay: recorded conversation histories (test/fixtures/histories) must replay on the current workflow
 * code without a determinism error, so a change that would break conversations already running fails
 * the build. That is the guarantee AUTO_UPGRADE rests on (workflows/versioning.ts): a running
 * conversation moves to a new worker version at its next task by replaying its history there.
 * `RECORD_HISTORIES=1 npm test -- test/integration/replay.test.ts` records a fresh set from
 * the scenarios below (commit them when the workflow changes in a compatible way);
 * `RECORD_HISTORIES=smart-ai-booking` records only the named ones (comma-separated).
 *
 * The histories replay on the bundle built as the worker builds it (worker/replay.ts
 * bundleShippedWorkflows: `workflows/` with worker/workflow-bundle.ts's options), through the same code
 * as `npm run replay`, the operator's gate before a release, which is tested here too.
 */
import type { WorkflowBundle } from '@temporalio/worker';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureTemporalCli } from '../../scripts/lib/infra';
import { bundleShippedWorkflows, readHistories, replayHistories } from '../../worker/replay';
import type { Server } from 'node:http';
import { createDemoApi } from '../../scripts/demo-api/app';
import { eventually, signUp, startStack, type Http, type Stack, publishedFlowBot } from '../harness';
import { fn, startScriptedLlm, text, toolCall, type ScriptedLlm } from '../llm-server';
import { createServer } from 'node:http';
import { listenTenantUrl } from '../tenant-ports';
import { LONG_RUNNING_FLOWS, setUpLongRunning, startBusiness, type Business } from '../long-running-business';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const ROOT = path.resolve(__dirname, '..', '..');

const bookingFlows = {
  flows: [
    {
      id: 'booking',
      name: 'Book an appointment',
      trigger: { keywords: ['book'] },
      startBlockId: 'name',
      blocks: [
        { id: 'name', type: 'ask', question: 'Name?', variable: 'name', answer: { type: 'text' }, next: 'date' },
        { id: 'date', type: 'ask', question: 'Day, {{name}}?', variable: 'date', answer: { type: 'date' }, next: 'confirm' },
        { id: 'confirm', type: 'ask', question: 'Book {{date}}?', variable: 'ok', answer: { type: 'yes_no' }, next: 'check' },
        { id: 'check', type: 'condition', branches: [{ when: { variable: 'ok', op: 'equals', value: true }, next: 'done' }], else: 'human' },
        { id: 'done', type: 'end', text: 'Booked {{date}}.' },
        { id: 'human', type: 'handoff', text: 'A colleague will help.' },
      ],
    },
  ],
};

/** A bot with Smart AI whose model (scripted) checks availability, then books after the visitor confirms. */
async function smartAiBot(api: Http, llm: ScriptedLlm, demoBase: string): Promise<string> {
  const created = async (path: string, body: unknown) => (await api.post(path, body)).body;
  const conn = (await created('/v1/connections', { name: 'Demo', baseUrl: demoBase, auth: { type: 'bearer', token: 'replay-token' }, allowPrivateNetwork: true })).connection.id;
  const llmParam = (name: string, type: string, where = 'body') => ({ name, type, in: where, source: 'llm' });
  const avail = (await created(`/v1/connections/${conn}/endpoints`, { name: 'Availability', method: 'GET', path: '/availability', parameters: [llmParam('date', 'date', 'query')], responseFields: [{ name: 'first_slot', path: '$.first_slot' }] })).endpoint.id;
  const book = (await created(`/v1/connections/${conn}/endpoints`, { name: 'Book', method: 'POST', path: '/bookings', sideEffects: true, parameters: [llmParam('name', 'string'), llmParam('email', 'email'), llmParam('date', 'date'), llmParam('time', 'string')], responseFields: [{ name: 'booking_id', path: '$.id' }] })).endpoint.id;
  await created('/v1/actions', { id: 'availability', name: 'Availability', steps: [{ id: 's', endpointId: avail }] });
  await created('/v1/actions', { id: 'book', name: 'Book', steps: [{ id: 's', endpointId: book }] });
  const botId = await publishedFlowBot(api, bookingFlows, { name: 'Replay AI bot' });
  const put = await api.put(`/v1/bots/${botId}/ai`, {
    enabled: true, baseUrl: llm.baseUrl, model: 'scripted', apiKey: 'sk-replay', allowPrivateNetwork: true,
    tools: [{ actionId: 'availability', whenToUse: 'free slots' }, { actionId: 'book', whenToUse: 'to book' }],
  });
  expect(put.status).toBe(200);
  expect((await api.post(`/v1/bots/${botId}/publish`)).status).toBe(201);
  const lastTool = fn((req) => text(`Done: ${[...req.body.messages].reverse().find((m: any) => m.role === 'tool')?.content}`));
  llm.script(
    toolCall('availability', { date: '2099-05-05' }),
    lastTool,
    toolCall('book', { name: 'Ada', email: 'ada@example.com', date: '2099-05-05', time: '09:00' }),
    lastTool,
    text('You are welcome!'),
  );
  return botId;
}

/** Drives the scenarios whose histories are recorded: a flow to the end, a handoff and release, Smart AI, a close. */
async function recordScenarios(stack: Stack, api: Http, ai: { llm: ScriptedLlm; demoBase: string }, business: Business): Promise<Record<string, string>> {
  const botId = await publishedFlowBot(api, bookingFlows, { name: 'Replay bot' });
  const show = (workflowId: string): string =>
    // The history as the Temporal CLI and Web UI export it (the format operators attach to bug reports).
    execFileSync(ensureTemporalCli(), ['workflow', 'show', '--workflow-id', workflowId, '--address', stack.temporalAddress, '--output', 'json'], { encoding: 'utf8' });
  const run = async (messages: string[], after?: (id: string) => Promise<void>, bot = botId, client = api): Promise<string> => {
    const api = client;
    const start = await api.post('/v1/conversations', { botId: bot, externalUserId: 'replay', contact: { name: 'Ada' }, message: { type: 'text', text: messages[0] } });
    const id = start.body.conversation.id as string;
    for (const text of messages.slice(1)) expect((await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text } })).status).toBe(200);
    await after?.(id);
    await api.post(`/v1/conversations/${id}/close`);
    const handle = stack.temporal.workflow.getHandle(`conversation-${id}`);
    await handle.result();
    return show(`conversation-${id}`);
  };
  // Long-running calls (issue 21), in an account of their own: a polled booking that the visitor asks
  // about, then done; the conversation's history and the run's (its polls on durable timers).
  const longRunning = async (): Promise<Record<string, string>> => {
    const { api: lrApi } = await signUp(stack.baseUrl, 'Long-running Co');
    await setUpLongRunning(lrApi, business.url, { pollSeconds: 1 });
    const bot = await publishedFlowBot(lrApi, LONG_RUNNING_FLOWS, { name: 'Replay long-running bot' });
    let runId = '';
    const conversation = await run(['I want to book', "what's the status?"], async (id) => {
      runId = `conversation-${id}-action-0-call-0`;
      const job = business.latestJob();
      await eventually(async () => job.polls >= 2, 20_000, 'two polls');
      job.status = 'done';
      await eventually(async () => ((await lrApi.get(`/v1/conversations/${id}/messages`)).body.data as { text: string }[]).some((m) => m.text.startsWith('Booked:')), 20_000, 'the booking to go on');
      await stack.temporal.workflow.getHandle(runId).result();
    }, bot, lrApi);
    return { 'long-running-poll': conversation, 'long-running-poll-run': show(runId) };
  };
  const slaBot = async (): Promise<string> => {
    const id = await publishedFlowBot(api, bookingFlows, { name: 'Replay SLA bot' });
    const put = await api.put(`/v1/bots/${id}/handoff`, { sla: { firstResponseMinutes: 30, nextResponseMinutes: 10, resolutionMinutes: 240 } });
    expect(put.status).toBe(200);
    return id;
  };
  return {
    'booking-flow': await run(['I want to book', 'nope', 'tomorrow', 'yes', 'thanks']),
    'handoff-release': await run(['book', 'next friday', 'no', 'hello?'], async (id) => {
      expect((await api.post(`/v1/conversations/${id}/release`)).status).toBe(200);
      await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'back to the bot' } });
    }),
    'smart-ai-booking': await run(['Anything free on 5 May 2099?', 'Book it for me, ada@example.com', 'yes', 'thanks'], undefined, await smartAiBot(api, ai.llm, ai.demoBase)),
    // The inbox (issue 20): a handoff with SLA timers running, answered, noted and released.
    'handoff-sla': await run(['book', 'next friday', 'no'], async (id) => {
      const say = (path: string, body: unknown) => api.post(`/v1/conversations/${id}/${path}`, body);
      expect((await say('agent-messages', { message: { type: 'text', text: 'Hello, how can I help?' } })).status).toBe(201);
      expect((await say('messages', { message: { type: 'text', text: 'my booking failed' } })).status).toBe(200);
      expect((await say('notes', { note: { type: 'text', text: 'check the calendar sync' } })).status).toBe(201);
      expect((await say('agent-messages', { message: { type: 'text', text: 'Fixed it.' } })).status).toBe(201);
      expect((await api.post(`/v1/conversations/${id}/release`)).status).toBe(200);
    }, await slaBot()),
    ...(await longRunning()),
  };
}

describe('workflow replay', () => {
  let stack: Stack;
  let api: Http;
  let llm: ScriptedLlm;
  let demo: Server;
  let demoBase: string;
  let business: Business;
  let shipped: WorkflowBundle;
  beforeAll(async () => {
    shipped = await bundleShippedWorkflows();
    llm = await startScriptedLlm();
    business = await startBusiness();
    demo = createServer(createDemoApi({ token: 'replay-token' }).app);
    demoBase = await listenTenantUrl(demo);
    stack = await startStack();
    ({ api } = await signUp(stack.baseUrl));
  });
  afterAll(async () => {
    await stack?.stop();
    await llm?.close();
    await new Promise((r) => demo?.close(r));
    await business?.close();
  });

  const replay = async (histories: { workflowId: string; history: unknown }[]): Promise<string[]> => {
    // Under the recorded run's own id (child workflow ids derive from it): worker/replay.ts.
    const outcomes = await replayHistories({ histories: histories.map(({ workflowId, history }) => ({ source: workflowId, history })), workflowBundle: shipped });
    expect(outcomes).toHaveLength(histories.length);
    return outcomes.flatMap((o) => (o.error ? [`${o.source} (${o.workflowId}): ${o.error.message}`] : []));
  };

  it('replays freshly recorded conversations (and records them on request)', async () => {
    const recorded = await recordScenarios(stack, api, { llm, demoBase }, business);
    const only = process.env.RECORD_HISTORIES;
    if (only) {
      fs.mkdirSync(FIXTURES, { recursive: true });
      for (const [name, json] of Object.entries(recorded)) {
        if (only === '1' || only.split(',').includes(name)) fs.writeFileSync(path.join(FIXTURES, `${name}.json`), `${json}\n`);
      }
    }
    const failures = await replay(Object.entries(recorded).map(([name, json]) => ({ workflowId: name, history: JSON.parse(json) })));
    expect(failures).toEqual([]);
  });

  it('replays every committed history on the current workflow code', async () => {
    const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')) : [];
    expect(files.length).toBeGreaterThan(0);
    const failures = await replay(files.map((file) => ({ workflowId: file, history: JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) })));
    expect(failures).toEqual([]);
    // `npm run replay -- test/fixtures/histories` reads exactly these files.
    expect(readHistories(FIXTURES).map((h) => h.source)).toEqual(files.sort().map((file) => path.join(FIXTURES, file)));
  });

  describe('npm run replay (scripts/replay.ts)', () => {
    const replayScript = async (...args: string[]): Promise<{ code: number; out: string }> => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'replay.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
        return { code: 0, out: stdout + stderr };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
      }
    };
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(process.env.PARLEY_TEST_DIR ?? '/tmp', 'replay-'));
      fs.mkdirSync(path.join(dir, 'good'));
      fs.copyFileSync(path.join(FIXTURES, 'booking-flow.json'), path.join(dir, 'good', 'booking-flow.json'));
      // The same conversation as recorded by a build whose first local activity had another name: what
      // renaming or reordering a step does to a run in flight.
      const history = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'booking-flow.json'), 'utf8'));
      const marker = history.events.find((e: any) => e.markerRecordedEventAttributes?.details?.data);
      const payload = marker.markerRecordedEventAttributes.details.data.payloads[0];
      const data = Buffer.from(payload.data, 'base64').toString('utf8');
      expect(data).toContain('"activity_type":"saveTurn"');
      payload.data = Buffer.from(data.replace('"activity_type":"saveTurn"', '"activity_type":"saveTurnBeforeRename"')).toString('base64');
      fs.mkdirSync(path.join(dir, 'mixed'));
      fs.copyFileSync(path.join(FIXTURES, 'booking-flow.json'), path.join(dir, 'mixed', 'a-booking-flow.json'));
      fs.writeFileSync(path.join(dir, 'mixed', 'b-renamed-step.json'), JSON.stringify(history));
      fs.writeFileSync(path.join(dir, 'shipped-bundle.js'), shipped.code);
    });

    it('passes a history the code replays, bundling workflows/ as the worker does', async () => {
      const { code, out } = await replayScript(path.join(dir, 'good'));
      expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('1 history replays on this build of workflows/: safe to make this version current.') });
      expect(out).toMatch(/^ok {4}conversationWorkflow conversation-\S+ \(.*booking-flow\.json\)$/m);
    });

    it('fails, naming the history and the nondeterminism, when one does not replay', async () => {
      const { code, out } = await replayScript('--bundle', path.join(dir, 'shipped-bundle.js'), path.join(dir, 'mixed'));
      expect(code).toBe(1);
      expect(out).toMatch(/^ok {4}conversationWorkflow .*a-booking-flow\.json\)$/m);
      expect(out).toMatch(/^FAIL {2}conversationWorkflow .*b-renamed-step\.json\)\n {6}NONDETERMINISM: .*Activity type of recorded marker 'saveTurnBeforeRename' does not match activity type of local activity command 'saveTurn'/m);
      expect(out).toContain('1 of 2 histories do not replay');
      expect(out).toContain('patched()');
    });

    it('refuses a path without histories, with its usage', async () => {
      expect(await replayScript()).toEqual({ code: 2, out: expect.stringContaining('usage: npm run replay --') });
      expect(await replayScript(path.join(dir, 'nothing-here'))).toEqual({ code: 2, out: expect.stringContaining('nothing-here') });
    });
  });
});
