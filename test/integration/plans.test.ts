/**
 * Plans on the real stack (FerretDB on SQLite, which has no transactions and whose findAndModify is not
 * atomic): limits exact under parallel creates, given back on delete, all-or-nothing imports, the monthly
 * conversation and visitor-message caps (a polite reply and one `account.limit_reached` event), the
 * operator's route and its token, the account status figures, counters of accounts older than them, and
 * accounts kept apart.
 */
import { accountEventId } from '../../models/account-events';
import { changeCounter } from '../../models/plan-counter';
import { planModels } from '../../models/plan.model';
import { http, publishedBot, signUp, startStack, type Stack } from '../harness';

const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';
const UNAVAILABLE = 'We are taking a short break. Please come back later!';
const PLANS = {
  trial: { bots: 5 },
  small: { bots: 2, websites: 1, agents: 1, knowledgeItems: 3, conversationsPerMonth: 3, messagesPerMonth: 2 },
  chatty: { messagesPerMonth: 1 },
};

let stack: Stack;
const operator = () => http(stack.baseUrl, OPERATOR_TOKEN);

const bot = (name: string) => ({ name, greeting: 'Hello!', fallbackMessage: 'Sorry?' });
const item = (title: string) => ({ title, content: `About ${title}.` });

async function assign(accountId: string, plan: string | null): Promise<void> {
  const res = await operator().put(`/v1/operator/accounts/${accountId}/plan`, { plan });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  stack = await startStack({
    api: { PARLEY_PLANS: JSON.stringify(PLANS), PARLEY_DEFAULT_PLAN: 'trial', OPERATOR_TOKEN, PARLEY_PLAN_UNAVAILABLE_MESSAGE: UNAVAILABLE },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('limits under parallel requests', () => {
  it('admits exactly the limit of 30 parallel creates, gives a slot back on delete, and keeps accounts apart', async () => {
    const a = await signUp(stack.baseUrl, 'Parallel Co');
    const b = await signUp(stack.baseUrl, 'Neighbour Co');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => a.api.post('/v1/bots', bot(`Bot ${i}`))));
    const created = answers.filter((r) => r.status === 201);
    const refused = answers.filter((r) => r.status === 403);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(25);
    for (const r of refused) {
      expect(r.body.code).toBe('plan_limit_reached');
      expect(r.body.details).toEqual({ resource: 'bots', limit: 5, used: 5, plan: 'trial' });
    }
    expect(await stack.deps.Bot.countDocuments({ accountId: a.accountId })).toBe(5);

    // The other account's counter is its own.
    const theirs = await Promise.all(Array.from({ length: 3 }, (_, i) => b.api.post('/v1/bots', bot(`Theirs ${i}`))));
    expect(theirs.map((r) => r.status)).toEqual([201, 201, 201]);
    expect((await b.api.get('/v1/account/status')).body.usage.bots).toEqual({ used: 3, limit: 5, remaining: 2 });

    // A delete gives its slot back: one more create fits, the next does not.
    expect((await a.api.delete(`/v1/bots/${created[0]!.body.bot.id}`)).status).toBe(204);
    expect((await a.api.get('/v1/account/status')).body.usage.bots.used).toBe(4);
    expect((await a.api.post('/v1/bots', bot('Again'))).status).toBe(201);
    expect((await a.api.post('/v1/bots', bot('Too many'))).status).toBe(403);
    // The refusal told the business once this month.
    const event = await stack.db.collection('events').findOne({ _id: accountEventId('account.limit_reached', `${a.accountId}:bots:${new Date().toISOString().slice(0, 7)}`) as never });
    expect(event).toMatchObject({ accountId: a.accountId, type: 'account.limit_reached', data: { resource: 'bots', limit: 5, used: 5, plan: 'trial' } });
  });

  it('counts exactly on the store itself: 30 parallel increments against a limit of 5', async () => {
    const models = planModels(stack.db);
    const key = `acct_direct${Date.now().toString(36)}:bots`;
    const results = await Promise.all(Array.from({ length: 30 }, () => changeCounter(models, key, 1, { limit: 5, initial: async () => 0 })));
    expect(results.filter((r) => r.applied)).toHaveLength(5);
    expect((await models.UsageCounter.findOne({ _id: key }).lean())?.used).toBe(5);
    // Parallel give-backs and takes never lose one either.
    // (5 - 4 + 3 in any order: it never reaches 0, where a give-back stops.)
    await Promise.all([...Array.from({ length: 4 }, () => changeCounter(models, key, -1, { limit: null, initial: async () => 0 })), ...Array.from({ length: 3 }, () => changeCounter(models, key, 1, { limit: null, initial: async () => 0 }))]);
    expect((await models.UsageCounter.findOne({ _id: key }).lean())?.used).toBe(4);
  });

  it("needs the lease on this store: FerretDB's conditional findOneAndUpdate lets more than the limit through", async () => {
    // Why models/plan-counter.ts takes a lease: FerretDB 1.24 reads, updates in Go, and writes back by _id,
    // so the condition is checked on a stale read. If this starts failing, the store became atomic here.
    const counters = stack.db.collection<{ _id: string; used: number }>('naive_counters');
    await counters.insertOne({ _id: 'naive', used: 0 });
    const answers = await Promise.all(Array.from({ length: 30 }, () => counters.findOneAndUpdate({ _id: 'naive', used: { $lt: 5 } }, { $inc: { used: 1 } })));
    expect(answers.filter((a) => a !== null).length).toBeGreaterThan(5);
  });

  it('takes over a lease its holder abandoned once it expires', async () => {
    const a = await signUp(stack.baseUrl, 'Crashed Co');
    await planModels(stack.db).UsageLock.create({ _id: `${a.accountId}:bots`, owner: 'crashed', expiresAt: new Date(Date.now() - 1000) });
    expect((await a.api.post('/v1/bots', bot('After a crash'))).status).toBe(201);
    expect(await planModels(stack.db).UsageLock.countDocuments({ _id: { $in: [`${a.accountId}:bots`, `${a.accountId}:bots#crashed`] } })).toBe(0);
  });

  it('starts the counter of an account older than the counters from what it holds', async () => {
    const a = await signUp(stack.baseUrl, 'Old Co');
    const now = new Date();
    for (let i = 0; i < 4; i++) {
      await stack.deps.Bot.create({ _id: `bot_old${i}${Date.now().toString(36)}`, accountId: a.accountId, name: `Old ${i}`, greeting: 'Hi', fallbackMessage: '?', inactivityTimeoutSeconds: 600, timezone: 'UTC', publishedVersion: 0, createdAt: now, updatedAt: now });
    }
    expect((await a.api.get('/v1/account/status')).body.usage.bots.used).toBe(4);
    expect((await a.api.post('/v1/bots', bot('Fifth'))).status).toBe(201);
    expect((await a.api.post('/v1/bots', bot('Sixth'))).status).toBe(403);
  });
});

describe('knowledge items and websites', () => {
  it('imports all or nothing within the limit, and counts websites', async () => {
    const a = await signUp(stack.baseUrl, 'Knowledge Co');
    await assign(a.accountId, 'small');
    expect((await a.api.post('/v1/knowledge/import', { items: [item('One'), item('Two')] })).status).toBe(201);
    const over = await a.api.post('/v1/knowledge/import', { items: [item('Three'), item('Four')] });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ code: 'plan_limit_reached', details: { resource: 'knowledgeItems', limit: 3, used: 2 } });
    expect(await stack.deps.KnowledgeItem.countDocuments({ accountId: a.accountId })).toBe(2);
    expect((await a.api.post('/v1/knowledge', item('Three'))).status).toBe(201);
    expect((await a.api.post('/v1/knowledge', item('Four'))).status).toBe(403);
    const status = (await a.api.get('/v1/account/status')).body;
    expect(status.usage.knowledgeItems).toEqual({ used: 3, limit: 3, remaining: 0, technicalLimit: 5000 });

    const botId = (await a.api.post('/v1/bots', bot('Site bot'))).body.bot.id;
    const site = { botId, name: 'Shop', origins: ['https://shop.example.com'] };
    expect((await a.api.post('/v1/websites', site)).status).toBe(201);
    expect((await a.api.post('/v1/websites', site)).body.code).toBe('plan_limit_reached');
  });
});

describe('agents', () => {
  it('counts invited and active agents as seats, and frees a seat on deactivation', async () => {
    const a = await signUp(stack.baseUrl, 'Team Co');
    await assign(a.accountId, 'small');
    const first = await a.api.post('/v1/agents', { name: 'Ann', email: `ann+${a.accountId}@example.com` });
    expect(first.status).toBe(201);
    const second = await a.api.post('/v1/agents', { name: 'Bob', email: `bob+${a.accountId}@example.com` });
    expect(second.status).toBe(403);
    expect(second.body.details).toMatchObject({ resource: 'agents', limit: 1, used: 1 });
    expect((await a.api.post(`/v1/agents/${first.body.agent.id}/deactivate`)).status).toBe(200);
    // Deactivating again frees nothing more.
    expect((await a.api.post(`/v1/agents/${first.body.agent.id}/deactivate`)).status).toBe(200);
    expect((await a.api.get('/v1/account/status')).body.usage.agents).toEqual({ used: 0, limit: 1, remaining: 1 });
    expect((await a.api.post('/v1/agents', { name: 'Bob', email: `bob+${a.accountId}@example.com` })).status).toBe(201);
    expect((await a.api.post('/v1/agents', { name: 'Cy', email: `cy+${a.accountId}@example.com` })).status).toBe(403);
  });
});

describe('monthly conversations and visitor messages', () => {
  it('answers a visitor past the message cap politely, keeps the message from the bot, and tells the business once', async () => {
    const a = await signUp(stack.baseUrl, 'Busy Co');
    const botId = await publishedBot(a.api);
    await assign(a.accountId, 'small');

    const started = await a.api.post('/v1/conversations', { botId, externalUserId: 'v1', message: { type: 'text', text: 'Hello' } });
    expect(started.status).toBe(201);
    const id = started.body.conversation.id as string;
    expect((await a.api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'Second' } })).status).toBe(200);

    const third = await a.api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'Third' } });
    expect(third.status).toBe(200);
    expect(third.body.replies).toEqual([expect.objectContaining({ role: 'bot', type: 'text', text: UNAVAILABLE })]);
    const fourth = await a.api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'Fourth' } });
    expect(fourth.body.replies[0].text).toBe(UNAVAILABLE);

    const transcript = (await a.api.get(`/v1/conversations/${id}/messages`)).body.data as { role: string; text: string }[];
    expect(transcript.filter((m) => m.role === 'visitor').map((m) => m.text)).toEqual(['Hello', 'Second']);
    const month = new Date().toISOString().slice(0, 7);
    const events = await stack.db.collection('events').find({ accountId: a.accountId, type: 'account.limit_reached' }).toArray();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ _id: accountEventId('account.limit_reached', `${a.accountId}:messagesPerMonth:${month}`), data: { resource: 'messagesPerMonth', limit: 2, used: 2, plan: 'small', month } });

    // A start with a first message is refused past the message cap; without one it counts a conversation.
    const withMessage = await a.api.post('/v1/conversations', { botId, externalUserId: 'v2', message: { type: 'text', text: 'Hi' } });
    expect(withMessage.status).toBe(403);
    expect(withMessage.body.details).toMatchObject({ resource: 'messagesPerMonth', limit: 2, used: 2 });
    expect((await a.api.post('/v1/conversations', { botId, externalUserId: 'v3' })).status).toBe(201);
    expect((await a.api.post('/v1/conversations', { botId, externalUserId: 'v4' })).status).toBe(201);
    const fourthStart = await a.api.post('/v1/conversations', { botId, externalUserId: 'v5' });
    expect(fourthStart.status).toBe(403);
    expect(fourthStart.body.details).toMatchObject({ resource: 'conversationsPerMonth', limit: 3, used: 3 });

    const status = (await a.api.get('/v1/account/status')).body;
    expect(status.usage.conversationsPerMonth).toEqual({ used: 3, limit: 3, remaining: 0 });
    expect(status.usage.messagesPerMonth).toEqual({ used: 2, limit: 2, remaining: 0 });
  });
});

describe('the chat widget', () => {
  it("answers a widget visitor past the account's message cap with the polite reply", async () => {
    const a = await signUp(stack.baseUrl, 'Widget Co');
    const botId = await publishedBot(a.api);
    await assign(a.accountId, 'chatty');
    const site = 'https://shop.example.com';
    const token = (await a.api.post('/v1/websites', { botId, name: 'Shop', origins: [site] })).body.website.websiteToken as string;
    const call = async (path: string, body: unknown, visitor?: string) => {
      const res = await fetch(`${stack.baseUrl}/widget/v1/${token}${path}`, {
        method: 'POST',
        headers: { origin: site, 'content-type': 'application/json', ...(visitor ? { authorization: `Bearer ${visitor}` } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const started = await call('/conversations', {});
    expect(started.status).toBe(201);
    const { id } = started.body.conversation as { id: string };
    const visitor = started.body.visitorToken as string;
    const first = await call(`/conversations/${id}/messages`, { message: { type: 'text', text: 'Hello' } }, visitor);
    expect(first.status).toBe(200);
    expect(first.body.replies[0].text).not.toBe(UNAVAILABLE);
    const second = await call(`/conversations/${id}/messages`, { message: { type: 'text', text: 'Are you there?' } }, visitor);
    expect(second.status).toBe(200);
    expect(second.body.replies.map((r: { text: string }) => r.text)).toEqual([UNAVAILABLE]);
  });
});

describe('the operator and the account status', () => {
  it('assigns plans only with the operator token', async () => {
    const a = await signUp(stack.baseUrl, 'Assigned Co');
    const path = `/v1/operator/accounts/${a.accountId}/plan`;
    expect((await http(stack.baseUrl).put(path, { plan: 'small' })).status).toBe(401);
    expect((await http(stack.baseUrl, 'operator-token-0123456789abcdeX').put(path, { plan: 'small' })).status).toBe(401);
    // An account's API key is no operator token.
    expect((await a.api.put(path, { plan: 'small' })).status).toBe(401);
    expect((await operator().put(path, { plan: 'gold' })).body).toMatchObject({ code: 'unknown_plan', details: { plans: ['self-hosted', 'trial', 'small', 'chatty'] } });
    expect((await operator().put('/v1/operator/accounts/acct_nobody/plan', { plan: 'small' })).status).toBe(404);

    const assigned = await operator().put(path, { plan: 'small' });
    expect(assigned.status).toBe(200);
    expect(assigned.body.plan).toEqual({ name: 'small', assigned: true, limits: { ...PLANS.small } });
    expect((await a.api.get('/v1/account/status')).body.plan.name).toBe('small');
    expect((await operator().get(path)).body.plan.name).toBe('small');
    expect((await operator().get('/v1/operator/plans')).body.data.map((p: { name: string; default: boolean }) => [p.name, p.default])).toEqual([
      ['self-hosted', false],
      ['trial', true],
      ['small', false],
      ['chatty', false],
    ]);

    const back = await operator().put(path, { plan: null });
    expect(back.body.plan).toMatchObject({ name: 'trial', assigned: false });

    // A counter left too high (a process died between a reservation and its write) is counted again.
    await a.api.post('/v1/bots', bot('Kept'));
    await planModels(stack.db).UsageCounter.updateOne({ _id: `${a.accountId}:bots` }, { $set: { used: 5 } });
    expect((await a.api.post('/v1/bots', bot('Refused'))).status).toBe(403);
    expect((await http(stack.baseUrl).post(`/v1/operator/accounts/${a.accountId}/recount`)).status).toBe(401);
    const recounted = await operator().post(`/v1/operator/accounts/${a.accountId}/recount`);
    expect(recounted.status).toBe(200);
    expect(recounted.body.usage.bots).toEqual({ used: 1, limit: 5, remaining: 4 });
  });

  it('reports the plan, every figure and when the monthly counters reset', async () => {
    const a = await signUp(stack.baseUrl, 'Status Co');
    await a.api.post('/v1/bots', bot('One'));
    const res = await a.api.get('/v1/account/status');
    expect(res.status).toBe(200);
    const now = new Date();
    expect(res.body).toEqual({
      accountId: a.accountId,
      plan: { name: 'trial', assigned: false, limits: { bots: 5, websites: null, agents: null, knowledgeItems: null, conversationsPerMonth: null, messagesPerMonth: null } },
      usage: {
        bots: { used: 1, limit: 5, remaining: 4 },
        websites: { used: 0, limit: null, remaining: null },
        agents: { used: 0, limit: null, remaining: null },
        knowledgeItems: { used: 0, limit: null, remaining: 5000, technicalLimit: 5000 },
        conversationsPerMonth: { used: 0, limit: null, remaining: null },
        messagesPerMonth: { used: 0, limit: null, remaining: null },
      },
      period: {
        month: now.toISOString().slice(0, 7),
        startedAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
        resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
      },
    });
  });
});

describe('without OPERATOR_TOKEN', () => {
  let plain: Stack;
  beforeAll(async () => {
    plain = await startStack({ withoutWorker: true });
  });
  afterAll(async () => {
    await plain?.stop();
  });

  it('has no operator routes, and every account is on the unlimited self-hosted plan', async () => {
    const a = await signUp(plain.baseUrl, 'Self-hosted Co');
    expect((await http(plain.baseUrl, 'anything-at-all-0123456789').put(`/v1/operator/accounts/${a.accountId}/plan`, { plan: 'self-hosted' })).status).toBe(404);
    const status = (await a.api.get('/v1/account/status')).body as { plan: { name: string; limits: Record<string, unknown> } };
    expect(status.plan.name).toBe('self-hosted');
    expect(Object.values(status.plan.limits).every((v) => v === null)).toBe(true);
  });
});
