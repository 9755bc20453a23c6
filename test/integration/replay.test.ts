/**
 * Replay: recorded conversation histories (test/fixtures/histories) must replay on the current workflow
 * code without a determinism error, so a change that would break conversations already running fails
 * the build. `RECORD_HISTORIES=1 npm test -- test/integration/replay.test.ts` records a fresh set from
 * the scenarios below (commit them when the workflow changes in a compatible way).
 */
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureTemporalCli } from '../../scripts/lib/infra';
import { signUp, startStack, testEnv, type Http, type Stack, publishedFlowBot } from '../harness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

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

/** Drives the scenarios whose histories are recorded: a flow to the end, a handoff and release, a close. */
async function recordScenarios(stack: Stack, api: Http): Promise<Record<string, string>> {
  const botId = await publishedFlowBot(api, bookingFlows, { name: 'Replay bot' });
  const run = async (messages: string[], after?: (id: string) => Promise<void>): Promise<string> => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'replay', contact: { name: 'Ada' }, message: { type: 'text', text: messages[0] } });
    const id = start.body.conversation.id as string;
    for (const text of messages.slice(1)) expect((await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text } })).status).toBe(200);
    await after?.(id);
    await api.post(`/v1/conversations/${id}/close`);
    const handle = stack.temporal.workflow.getHandle(`conversation-${id}`);
    await handle.result();
    // The history as the Temporal CLI and Web UI export it (the format operators attach to bug reports).
    return execFileSync(ensureTemporalCli(), ['workflow', 'show', '--workflow-id', `conversation-${id}`, '--address', stack.temporalAddress, '--output', 'json'], {
      encoding: 'utf8',
    });
  };
  return {
    'booking-flow': await run(['I want to book', 'nope', 'tomorrow', 'yes', 'thanks']),
    'handoff-release': await run(['book', 'next friday', 'no', 'hello?'], async (id) => {
      expect((await api.post(`/v1/conversations/${id}/release`)).status).toBe(200);
      await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'back to the bot' } });
    }),
  };
}

describe('workflow replay', () => {
  let stack: Stack;
  let api: Http;
  beforeAll(async () => {
    stack = await startStack();
    ({ api } = await signUp(stack.baseUrl));
  });
  afterAll(() => stack?.stop());

  const replay = async (histories: { workflowId: string; history: unknown }[]): Promise<string[]> => {
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE') }, replayName: 'parley-replay' },
      histories.map(({ workflowId, history }) => ({ workflowId, history })),
    );
    for await (const result of results) if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    return failures;
  };

  it('replays freshly recorded conversations (and records them on request)', async () => {
    const recorded = await recordScenarios(stack, api);
    if (process.env.RECORD_HISTORIES) {
      fs.mkdirSync(FIXTURES, { recursive: true });
      for (const [name, json] of Object.entries(recorded)) fs.writeFileSync(path.join(FIXTURES, `${name}.json`), `${json}\n`);
    }
    const failures = await replay(Object.entries(recorded).map(([name, json]) => ({ workflowId: name, history: JSON.parse(json) })));
    expect(failures).toEqual([]);
  });

  it('replays every committed history on the current workflow code', async () => {
    const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')) : [];
    expect(files.length).toBeGreaterThan(0);
    const failures = await replay(files.map((file) => ({ workflowId: file, history: JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) })));
    expect(failures).toEqual([]);
  });
});
