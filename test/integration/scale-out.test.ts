/**
 * Scale-out: two API instances and two workers (each its own Express server, MongoDB connection,
 * Temporal client and worker, as separate processes would have) against one Temporal server and one
 * database, sharing one task queue and the same secrets. Whatever instance a request lands on, and
 * whichever worker picks a task up, the visitor sees one conversation: the API keeps no state of its own
 * (rate-limit counts, idempotency keys and events live in the database), and any worker can run any
 * workflow (Temporal replays its history on a worker that has not cached it).
 */
import { randomBytes } from 'node:crypto';
import { AesGcmPayloadCodec } from '../../models/payload-codec';
import { eventually, http, publishedBot, signUp, sleep, startStack, type Http, type Stack } from '../harness';

const GREETING = 'Hello! I am the test bot.';
const FALLBACK = 'Sorry, I cannot help with that yet.';
/** Message sends per key per minute, on both instances: small enough to exhaust in a test. */
const MESSAGE_LIMIT = 10;
const text = (t: string) => ({ message: { type: 'text', text: t } });
const replyTexts = (body: { replies: { text: string }[] }): string[] => body.replies.map((r) => r.text);

let one: Stack;
let two: Stack;

beforeAll(async () => {
  // What a deployment shares: database, task queue, PARLEY_SECRET_KEYS (from `join`), payload keys, the
  // login-token key and the limits.
  const payloadKeys = AesGcmPayloadCodec.generateKey('scale');
  const api = {
    PARLEY_JWT_SECRET: randomBytes(32).toString('base64'),
    MESSAGE_RATE_LIMIT_PER_MINUTE: String(MESSAGE_LIMIT),
    REPLY_WAIT_MS: '30000',
  };
  one = await startStack({ api, payloadKeys });
  two = await startStack({ api, payloadKeys, join: one });
});
afterAll(async () => {
  // The second instance first: the first one's stop drops the shared database.
  await two?.stop();
  await one?.stop();
});

/** One account's API key, as a client on each API instance. */
async function clients(): Promise<{ viaOne: Http; viaTwo: Http; key: string }> {
  const { key } = await signUp(one.baseUrl);
  return { viaOne: http(one.baseUrl, key), viaTwo: http(two.baseUrl, key), key };
}

it('runs two API servers and two workers on one task queue and one database', () => {
  expect(one.baseUrl).not.toBe(two.baseUrl);
  expect(two.taskQueue).toBe(one.taskQueue);
  expect(two.mongoUri).toBe(one.mongoUri);
  expect(two.secretKeys).toBe(one.secretKeys);
  expect(two.db).not.toBe(one.db);
});

it('answers through API 2 a conversation started through API 1, and both read the same transcript', async () => {
  const { viaOne, viaTwo } = await clients();
  const botId = await publishedBot(viaOne);
  const started = await viaOne.post('/v1/conversations', { botId, externalUserId: 'visitor-a', ...text('hello') });
  expect(started.status).toBe(201);
  expect(replyTexts(started.body)).toEqual([GREETING, FALLBACK]);
  const id = started.body.conversation.id as string;

  const turn = await viaTwo.post(`/v1/conversations/${id}/messages`, { ...text('anyone?'), clientMessageId: 'a-2' });
  expect(turn.status).toBe(200);
  expect(replyTexts(turn.body)).toEqual([FALLBACK]);
  // A retry of the same message on the other instance gets the same answer and adds nothing.
  const retried = await viaOne.post(`/v1/conversations/${id}/messages`, { ...text('anyone?'), clientMessageId: 'a-2' });
  expect(retried.status).toBe(200);
  expect(retried.body).toEqual(turn.body);

  // A first message is written before the greeting it gets back.
  const expected = [
    ['visitor', 'hello'],
    ['bot', GREETING],
    ['bot', FALLBACK],
    ['visitor', 'anyone?'],
    ['bot', FALLBACK],
  ];
  for (const client of [viaOne, viaTwo]) {
    const transcript = await client.get(`/v1/conversations/${id}/messages`);
    expect(transcript.body.data.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual(expected);
  }
});

it('shares per-key rate-limit counts between the two API instances', async () => {
  const { viaOne, viaTwo } = await clients();
  const botId = await publishedBot(viaOne);
  const remaining: string[] = [];
  // MESSAGE_LIMIT sends in all, alternating instances: each instance sees the other's count.
  for (let i = 0; i < MESSAGE_LIMIT; i++) {
    const client = i % 2 === 0 ? viaOne : viaTwo;
    const res = await client.post('/v1/conversations', { botId, externalUserId: `limit-${i}` });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-ratelimit-limit')).toBe(String(MESSAGE_LIMIT));
    remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
  }
  expect(remaining).toEqual(Array.from({ length: MESSAGE_LIMIT }, (_, i) => String(MESSAGE_LIMIT - 1 - i)));
  for (const client of [viaOne, viaTwo]) {
    const refused = await client.post('/v1/conversations', { botId, externalUserId: 'one-too-many' });
    expect([refused.status, refused.body.code]).toEqual([429, 'rate_limited']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }
  // Refused sends started nothing: still MESSAGE_LIMIT conversations.
  const list = await viaTwo.get(`/v1/conversations?botId=${botId}&limit=100`);
  expect(list.body.data).toHaveLength(MESSAGE_LIMIT);
});

it('answers an idempotent start retried on the other instance with the first result, running nothing twice', async () => {
  const { viaOne, viaTwo } = await clients();
  const botId = await publishedBot(viaOne);
  const body = { botId, externalUserId: 'visitor-idem', clientMessageId: 'start-1', ...text('hi there') };
  const first = await viaOne.post('/v1/conversations', body);
  expect(first.status).toBe(201);
  expect(first.headers.get('idempotent-replayed')).toBeNull();

  const retried = await viaTwo.post('/v1/conversations', body);
  expect(retried.status).toBe(201);
  expect(retried.headers.get('idempotent-replayed')).toBe('true');
  expect(retried.body).toEqual(first.body);

  // Another body under the same key is refused on either instance.
  const reused = await viaTwo.post('/v1/conversations', { ...body, externalUserId: 'someone-else' });
  expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reused']);
  const list = await viaOne.get(`/v1/conversations?botId=${botId}`);
  expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([first.body.conversation.id]);
  const transcript = await viaTwo.get(`/v1/conversations/${first.body.conversation.id}/messages`);
  expect(transcript.body.data.map((m: { text: string }) => m.text)).toEqual(['hi there', GREETING, FALLBACK]);
});

it('accepts on API 2 a login token issued by API 1 (the same PARLEY_JWT_SECRET)', async () => {
  const email = `scale+${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  expect((await http(one.baseUrl).post('/v1/accounts', { name: 'Scale Co', email, password })).status).toBe(201);
  const login = await http(one.baseUrl).post('/v1/auth/login', { email, password });
  expect(login.status).toBe(200);
  const account = await http(two.baseUrl, login.body.token).get('/v1/account');
  expect(account.status).toBe(200);
});

it('streams, through API 2, the events of a conversation API 1 started, and resumes after the last id seen', async () => {
  const { viaOne, key } = await clients();
  const botId = await publishedBot(viaOne);
  const started = await viaOne.post('/v1/conversations', { botId, externalUserId: 'visitor-sse', ...text('hello') });
  const id = started.body.conversation.id as string;
  const read = async (after?: string): Promise<{ id: string; data: string }[]> => {
    const res = await fetch(`${two.baseUrl}/v1/conversations/${id}/events${after ? `?after=${after}` : ''}`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(1500),
    });
    let raw = '';
    try {
      const reader = res.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        raw += Buffer.from(value).toString('utf8');
      }
    } catch {
      // the stream stays open; the timeout ends this read
    }
    return [...raw.matchAll(/^id: (\S+)\nevent: message\.created\ndata: (.*)$/gm)].map((m) => ({ id: m[1]!, data: m[2]! }));
  };
  const events = await eventually(async () => {
    const seen = await read();
    return seen.length === 3 ? seen : undefined;
  }, 20_000, 'three message events');
  expect(events.map((e) => (JSON.parse(e.data) as { data: { message: { text: string } } }).data.message.text)).toEqual(['hello', GREETING, FALLBACK]);
  // Resuming after the first event gives exactly the other two.
  expect((await read(events[0]!.id)).map((e) => e.id)).toEqual([events[1]!.id, events[2]!.id]);
});

it('keeps answering a conversation through the other worker when the one running it stops', async () => {
  const { viaOne, viaTwo } = await clients();
  const botId = await publishedBot(viaOne);
  // Only worker 1 runs: it takes the conversation's first turns (and holds it in its sticky cache).
  await two.stopWorker();
  const started = await viaOne.post('/v1/conversations', { botId, externalUserId: 'visitor-w', ...text('first') });
  expect(started.status).toBe(201);
  const id = started.body.conversation.id as string;
  expect(replyTexts((await viaTwo.post(`/v1/conversations/${id}/messages`, { ...text('second'), clientMessageId: 'w-2' })).body)).toEqual([FALLBACK]);

  // Worker 2 comes up, worker 1 stops mid-conversation: the next turns are worker 2's, replaying the history.
  await two.startWorker();
  await one.stopWorker();
  try {
    for (const [i, client] of [viaOne, viaTwo, viaOne].entries()) {
      const turn = await client.post(`/v1/conversations/${id}/messages`, { ...text(`after ${i}`), clientMessageId: `w-after-${i}` });
      expect({ status: turn.status, replies: replyTexts(turn.body) }).toEqual({ status: 200, replies: [FALLBACK] });
    }
  } finally {
    await one.startWorker();
  }
  const transcript = await viaTwo.get(`/v1/conversations/${id}/messages`);
  expect(transcript.body.data.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual([
    ['visitor', 'first'],
    ['bot', GREETING],
    ['bot', FALLBACK],
    ...['second', 'after 0', 'after 1', 'after 2'].flatMap((t) => [['visitor', t], ['bot', FALLBACK]]),
  ]);
  expect((await viaOne.get(`/v1/conversations/${id}`)).body.conversation.messageCount).toBe(11);
});

it('takes over, on the other worker, the conversations of a worker killed in the middle of their turns', async () => {
  const { viaOne, viaTwo } = await clients();
  const botId = await publishedBot(viaOne);
  // A worker process of its own (so it can be SIGKILLed) is the only worker: every conversation is its.
  await Promise.all([one.stopWorker(), two.stopWorker()]);
  const doomed = await one.spawnWorkerProcess();
  try {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const started = await viaOne.post('/v1/conversations', { botId, externalUserId: `kill-${i}`, ...text('before') });
      expect(replyTexts(started.body)).toEqual([GREETING, FALLBACK]);
      ids.push(started.body.conversation.id as string);
    }
    // The other worker comes up; the first one dies while the next turns are on their way to it.
    await two.startWorker();
    const turns = ids.map((id, i) => sendUntilAnswered(i % 2 === 0 ? viaOne : viaTwo, id, 'after the kill', `kill-${i}`));
    doomed.kill('SIGKILL');
    for (const turn of await Promise.all(turns)) expect(replyTexts(turn)).toEqual([FALLBACK]);
    for (const id of ids) {
      const transcript = await viaTwo.get(`/v1/conversations/${id}/messages`);
      expect(transcript.body.data.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual([
        ['visitor', 'before'],
        ['bot', GREETING],
        ['bot', FALLBACK],
        ['visitor', 'after the kill'],
        ['bot', FALLBACK],
      ]);
    }
  } finally {
    doomed.kill('SIGKILL');
    await one.startWorker();
  }
});

/** Sends a message until it is answered (200), retrying with the same clientMessageId as a real client would. */
async function sendUntilAnswered(client: Http, conversationId: string, message: string, clientMessageId: string): Promise<{ replies: { text: string }[] }> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const res = await client.post(`/v1/conversations/${conversationId}/messages`, { ...text(message), clientMessageId });
    if (res.status === 200) return res.body;
    if (res.status !== 202 && res.status < 500) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
    await sleep(250);
  }
  throw new Error(`message ${clientMessageId} was never answered`);
}
