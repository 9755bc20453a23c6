import { http, publishedBot, signUp, startStack, type Http, type Stack } from '../harness';

let stack: Stack;
let api: Http;
let botId: string;

beforeAll(async () => {
  stack = await startStack();
  ({ api } = await signUp(stack.baseUrl));
  botId = await publishedBot(api);
});
afterAll(() => stack?.stop());

describe('the API channel', () => {
  it('starts a conversation and answers with the greeting', async () => {
    const res = await api.post('/v1/conversations', { botId, externalUserId: 'visitor-1' });
    expect(res.status).toBe(201);
    expect(res.body.conversation).toMatchObject({ botId, status: 'active', botVersion: 1 });
    expect(res.body.conversation.id).toMatch(/^conv_/);
    expect(res.body.replies).toEqual([
      { id: expect.stringMatching(/^msg_/), role: 'bot', type: 'text', text: 'Hello! I am the test bot.', createdAt: expect.any(String) },
    ]);
  });

  it('answers a first message in the same response (update-with-start)', async () => {
    const res = await api.post('/v1/conversations', {
      botId,
      externalUserId: 'visitor-2',
      contact: { name: 'Ada', email: 'ada@example.com' },
      message: { type: 'text', text: 'Hi there' },
    });
    expect(res.status).toBe(201);
    expect(res.body.replies.map((r: { text: string }) => r.text)).toEqual(['Hello! I am the test bot.', 'Sorry, I cannot help with that yet.']);
    const transcript = await api.get(`/v1/conversations/${res.body.conversation.id}/messages`);
    expect(transcript.body.data.map((m: { role: string; text: string }) => [m.role, m.text])).toEqual([
      ['visitor', 'Hi there'],
      ['bot', 'Hello! I am the test bot.'],
      ['bot', 'Sorry, I cannot help with that yet.'],
    ]);
  });

  it('answers each message synchronously and persists the transcript', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'visitor-3' });
    const id = start.body.conversation.id;
    const sent = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'Where is my order?' } });
    expect(sent.status).toBe(200);
    expect(sent.body.messageId).toMatch(/^msg_[a-f0-9]{32}$/);
    expect(sent.body.replies).toHaveLength(1);
    expect(sent.body.replies[0].text).toBe('Sorry, I cannot help with that yet.');

    const conversation = await api.get(`/v1/conversations/${id}`);
    expect(conversation.body.conversation).toMatchObject({ id, status: 'active', messageCount: 3 });
    const transcript = await api.get(`/v1/conversations/${id}/messages`);
    expect(transcript.body.data.map((m: { id: string }) => m.id)).toEqual([start.body.replies[0].id, sent.body.messageId, sent.body.replies[0].id]);
  });

  it('answers a retried clientMessageId once, with the same reply', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'visitor-4' });
    const id = start.body.conversation.id;
    const body = { message: { type: 'text', text: 'once only' }, clientMessageId: 'client-msg-1' };
    const [a, b] = await Promise.all([api.post(`/v1/conversations/${id}/messages`, body), api.post(`/v1/conversations/${id}/messages`, body)]);
    const c = await api.post(`/v1/conversations/${id}/messages`, body);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(b.body).toEqual(a.body);
    expect(c.body).toEqual(a.body);
    const transcript = await api.get(`/v1/conversations/${id}/messages`);
    expect(transcript.body.data.filter((m: { text: string }) => m.text === 'once only')).toHaveLength(1);
    expect(transcript.body.data).toHaveLength(3);
  });

  it('pages through a transcript with after/limit', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'visitor-5' });
    const id = start.body.conversation.id;
    for (let i = 0; i < 3; i++) await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: `m${i}` } });
    const first = await api.get(`/v1/conversations/${id}/messages?limit=4`);
    expect(first.body.data).toHaveLength(4);
    expect(first.body.hasMore).toBe(true);
    const second = await api.get(`/v1/conversations/${id}/messages?limit=4&after=${first.body.nextAfter}`);
    expect(second.body.data).toHaveLength(3);
    expect(second.body.hasMore).toBe(false);
    const texts = [...first.body.data, ...second.body.data].map((m: { text: string }) => m.text);
    expect(texts.filter((t) => t.startsWith('m'))).toEqual(['m0', 'm1', 'm2']);
  });

  it('lists conversations by bot and status, newest first', async () => {
    const otherBot = await publishedBot(api, { name: 'Other' });
    const a = await api.post('/v1/conversations', { botId: otherBot, externalUserId: 'l-1' });
    const b = await api.post('/v1/conversations', { botId: otherBot, externalUserId: 'l-2' });
    const list = await api.get(`/v1/conversations?botId=${otherBot}&status=active`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([b.body.conversation.id, a.body.conversation.id]);
  });

  it('closes a conversation on request and refuses new messages', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'visitor-6' });
    const id = start.body.conversation.id;
    expect((await api.post(`/v1/conversations/${id}/close`)).status).toBe(202);
    const closed = await waitForStatus(api, id, 'closed');
    expect(closed.closedAt).toEqual(expect.any(String));
    const refused = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'hello?' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ message: expect.any(String), code: 'conversation_closed', details: null });
  });

  it('closes itself after the bot inactivity timeout', async () => {
    const quickBot = await publishedBot(api, { name: 'Quick', inactivityTimeoutSeconds: 2 });
    const start = await api.post('/v1/conversations', { botId: quickBot, externalUserId: 'idle' });
    const id = start.body.conversation.id;
    await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'still here' } });
    const closed = await waitForStatus(api, id, 'closed');
    expect(closed.messageCount).toBe(3);
    const handle = stack.temporal.workflow.getHandle(`conversation-${id}`);
    expect(await handle.result()).toMatchObject({ status: 'closed', reason: 'inactivity' });
  });
});

async function waitForStatus(api: Http, id: string, status: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await api.get(`/v1/conversations/${id}`);
    if (res.body.conversation?.status === status) return res.body.conversation;
    if (Date.now() > deadline) throw new Error(`conversation ${id} never became ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

void http;
