/**
 * Durability: conversations survive a SIGKILLed worker, a restarted Temporal server, a stopped worker
 * (202 pending, answered later) and continue-as-new, without losing a message or answering one twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { visitorMessageUpdate } from '../../workflows/definitions';
import { freePort, startTemporal } from '../../scripts/lib/infra';
import { eventually, publishedBot, signUp, sleep, startStack, testEnv, type Http, type Stack } from '../harness';

const FALLBACK = 'Sorry, I cannot help with that yet.';

/** Sends a message until it is answered, retrying with the same clientMessageId as a real client would. */
async function sendUntilAnswered(api: Http, conversationId: string, text: string, clientMessageId: string): Promise<any> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await api.post(`/v1/conversations/${conversationId}/messages`, { message: { type: 'text', text }, clientMessageId }).catch(() => undefined);
    if (res?.status === 200) return res.body;
    if (res && res.status !== 202 && res.status < 500) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
    await sleep(250);
  }
  throw new Error(`message ${clientMessageId} was never answered`);
}

/** Every visitor message exactly once, in order, each followed by exactly its one reply. */
async function expectCleanTranscript(api: Http, conversationId: string, texts: string[]): Promise<void> {
  const res = await api.get(`/v1/conversations/${conversationId}/messages?limit=200`);
  const messages = res.body.data as { role: string; text: string }[];
  const expected = [['bot', 'Hello! I am the test bot.'], ...texts.flatMap((t) => [['visitor', t], ['bot', FALLBACK]])];
  expect(messages.map((m) => [m.role, m.text])).toEqual(expected);
  const conversation = await api.get(`/v1/conversations/${conversationId}`);
  expect(conversation.body.conversation.messageCount).toBe(expected.length);
}

describe('a SIGKILLed worker', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ withoutWorker: true, api: { REPLY_WAIT_MS: '3000' } });
  });
  afterAll(() => stack?.stop());

  it('loses no message and answers none twice when killed mid-conversation', async () => {
    let worker = await stack.spawnWorkerProcess();
    const { api } = await signUp(stack.baseUrl);
    const botId = await publishedBot(api);
    const conversations = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => (await api.post('/v1/conversations', { botId, externalUserId: `kill-${i}` })).body.conversation.id as string),
    );
    const perConversation = 12;
    const sent = conversations.map(() => [] as string[]);
    const loops = conversations.map(async (id, c) => {
      for (let m = 0; m < perConversation; m++) {
        const text = `c${c} m${m}`;
        const turn = await sendUntilAnswered(api, id, text, `kill-${c}-${m}`);
        expect(turn.replies.map((r: { text: string }) => r.text)).toEqual([FALLBACK]);
        sent[c]!.push(text);
      }
    });
    // Kill while turns are in flight, then bring up a fresh worker process.
    await eventually(async () => sent.every((s) => s.length >= 2), 30_000, 'turns before the kill');
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const sentAtKill = sent.map((s) => s.length);
    await sleep(1000);
    worker = await stack.spawnWorkerProcess();
    await Promise.all(loops);
    expect(sentAtKill.every((n) => n < perConversation)).toBe(true);
    for (const [c, id] of conversations.entries()) await expectCleanTranscript(api, id, sent[c]!);
    worker.kill('SIGTERM');
  });
});

describe('no worker running', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ api: { REPLY_WAIT_MS: '1500' } });
  });
  afterAll(() => stack?.stop());

  it('answers 202 pending after the bounded wait, then the turn completes when a worker returns', async () => {
    const { api } = await signUp(stack.baseUrl);
    const botId = await publishedBot(api);
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'pending' });
    const id = start.body.conversation.id;
    await stack.stopWorker();

    const pending = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'anyone there?' }, clientMessageId: 'p-1' });
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ messageId: expect.stringMatching(/^msg_/), status: 'pending' });
    // The transcript is still readable with no worker.
    expect((await api.get(`/v1/conversations/${id}/messages`)).body.data).toHaveLength(1);

    await stack.startWorker();
    const transcript = await eventually(async () => {
      const res = await api.get(`/v1/conversations/${id}/messages`);
      return res.body.data.length === 3 ? res.body.data : undefined;
    }, 30_000, 'the pending turn to complete');
    expect(transcript[1]).toMatchObject({ id: pending.body.messageId, role: 'visitor', text: 'anyone there?' });
    expect(transcript[2]).toMatchObject({ role: 'bot', text: FALLBACK });

    // The client's retry now gets the stored answer, and nothing is added.
    const retry = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'anyone there?' }, clientMessageId: 'p-1' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ messageId: pending.body.messageId, replies: [expect.objectContaining({ id: transcript[2].id, text: FALLBACK })] });
    expect((await api.get(`/v1/conversations/${id}/messages`)).body.data).toHaveLength(3);
  });
});

describe('continue-as-new', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ api: { CONTINUE_AS_NEW_AFTER_EVENTS: '40' } });
  });
  afterAll(() => stack?.stop());

  it('carries the conversation across runs without losing or repeating a message', async () => {
    const { api } = await signUp(stack.baseUrl);
    const botId = await publishedBot(api);
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'long' });
    const id = start.body.conversation.id;
    const handle = stack.temporal.workflow.getHandle(`conversation-${id}`);
    const firstRun = (await handle.describe()).runId;

    const texts: string[] = [];
    for (let burst = 0; burst < 8; burst++) {
      // Concurrent messages, so some arrive while a run is handing over to the next.
      const batch = Array.from({ length: 4 }, (_, i) => `b${burst} m${i}`);
      const results = await Promise.all(batch.map((text) => sendUntilAnswered(api, id, text, text.replace(' ', '-'))));
      for (const r of results) expect(r.replies).toHaveLength(1);
      texts.push(...batch);
    }
    const lastRun = (await handle.describe()).runId;
    expect(lastRun).not.toBe(firstRun);

    // Turns are serialized in acceptance order; compare as sets per burst, then check every reply once.
    const res = await api.get(`/v1/conversations/${id}/messages?limit=200`);
    const messages = res.body.data as { role: string; text: string }[];
    expect(messages).toHaveLength(1 + texts.length * 2);
    expect(messages.filter((m) => m.role === 'visitor').map((m) => m.text).sort()).toEqual([...texts].sort());
    for (let i = 1; i < messages.length; i += 2) {
      expect(messages[i]!.role).toBe('visitor');
      expect(messages[i + 1]).toMatchObject({ role: 'bot', text: FALLBACK });
    }

    // A retry of an early message reaches the latest run, which answers it from carried memory.
    const early = texts[0]!;
    const firstTurn = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: early }, clientMessageId: early.replace(' ', '-') });
    const direct = await handle.executeUpdate(visitorMessageUpdate, { args: [{ messageId: firstTurn.body.messageId, text: early }], updateId: firstTurn.body.messageId });
    expect(direct).toEqual(firstTurn.body);
    expect((await api.get(`/v1/conversations/${id}/messages?limit=200`)).body.data).toHaveLength(messages.length);
  });
});

describe('a restarted Temporal server', () => {
  it('keeps the conversation going on the same run after the server comes back', async () => {
    const dir = fs.mkdtempSync(path.join(testEnv('PARLEY_TEST_DIR'), 'restart-'));
    const port = await freePort();
    const dbFile = path.join(dir, 'temporal.db');
    let temporal = await startTemporal({ port, dbFile, logFile: path.join(dir, 'temporal.log') });
    const stack = await startStack({ temporalAddress: temporal.address, api: { REPLY_WAIT_MS: '5000' } });
    try {
      const { api } = await signUp(stack.baseUrl);
      const botId = await publishedBot(api);
      const start = await api.post('/v1/conversations', { botId, externalUserId: 'restart' });
      const id = start.body.conversation.id;
      await sendUntilAnswered(api, id, 'before restart', 'r-1');
      const runBefore = (await stack.temporal.workflow.getHandle(`conversation-${id}`).describe()).runId;
      // The dev server's file is in write-ahead-log mode (scripts/lib/infra.ts): commits go to the log,
      // and this restart reads them back.
      expect(fs.statSync(`${dbFile}-wal`).size).toBeGreaterThan(0);

      await temporal.stop();
      temporal = await startTemporal({ port, dbFile, logFile: path.join(dir, 'temporal.log') });

      await sendUntilAnswered(api, id, 'after restart', 'r-2');
      await expectCleanTranscript(api, id, ['before restart', 'after restart']);
      expect((await stack.temporal.workflow.getHandle(`conversation-${id}`).describe()).runId).toBe(runBefore);
    } finally {
      await stack.stop();
      await temporal.stop();
    }
  });
});
