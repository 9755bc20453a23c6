/**
 * Accounts, API keys and bots through the real API, and the rule that every resource belongs to one
 * account: another account's ids answer 404 and never show up in its lists.
 */
import { randomBytes } from 'node:crypto';
import { eventually, http, publishedBot, signUp, startStack, type Http, type HttpResult, type Stack, recording } from '../harness';

let stack: Stack;

const PASSWORD = 'correct horse battery staple';
const uniqueEmail = (tag: string) => `${tag}+${randomBytes(5).toString('hex')}@example.com`;

function expectProblem(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { message: expect.any(String), code, details: res.body?.details } });
  expect(Object.keys(res.body).sort()).toEqual(['code', 'details', 'message']);
}

/** Every response body seen by `recorded(...)` clients, to prove what never appears in any of them. */
const seen: string[] = [];
const recorded = (client: Http): Http => recording(client, seen);

beforeAll(async () => {
  // Each file gets its own API process state; this one signs up more accounts than the hourly default.
  stack = await startStack({ api: { ACCOUNT_SIGNUPS_PER_HOUR: '100' } });
});
afterAll(() => stack?.stop());

describe('sign-up and API keys', () => {
  const anon = () => recorded(http(stack.baseUrl));

  it('creates an account with a pk_ key that is shown once', async () => {
    const email = uniqueEmail('Owner');
    const res = await anon().post('/v1/accounts', { name: '  Acme  ', email, password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      account: { id: expect.stringMatching(/^acct_/), name: 'Acme', email: email.toLowerCase(), createdAt: expect.any(String) },
      apiKey: {
        id: expect.stringMatching(/^key_/),
        name: 'Default key',
        prefix: expect.any(String),
        permissions: ['read', 'write', 'conversations'],
        createdAt: expect.any(String),
        key: expect.stringMatching(/^pk_[A-Za-z0-9_-]{40,}$/),
      },
    });
    const key: string = res.body.apiKey.key;
    expect(key.startsWith(res.body.apiKey.prefix)).toBe(true);
    expect(res.body.apiKey.prefix.length).toBeLessThan(key.length / 2);

    const api = recorded(http(stack.baseUrl, key));
    const me = await api.get('/v1/account');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ account: res.body.account });

    const keys = await api.get('/v1/api-keys');
    expect(keys.status).toBe(200);
    expect(keys.body.data).toEqual([
      { id: res.body.apiKey.id, name: 'Default key', prefix: res.body.apiKey.prefix, permissions: ['read', 'write', 'conversations'], createdAt: res.body.apiKey.createdAt },
    ]);
    expect(JSON.stringify(keys.body)).not.toContain(key);
    expect(JSON.stringify(me.body)).not.toContain(key);
    // Only its hash is stored.
    const stored = await stack.deps.ApiKey.findById(res.body.apiKey.id).lean();
    expect(stored?.hash).toMatch(/^[a-f0-9]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key);
  });

  it('answers a sign-up with a taken email exactly like a fresh one, and never links or touches the existing account', async () => {
    const email = uniqueEmail('dup');
    const first = await anon().post('/v1/accounts', { name: 'First', email, password: PASSWORD });
    expect(first.status).toBe(201);
    const [local, domain] = email.split('@') as [string, string];
    for (const [name, variant] of [['Second', email], ['Shouty', email.toUpperCase()], ['Mixed', `${local.toUpperCase()}@${domain}`]] as const) {
      const again = await anon().post('/v1/accounts', { name, email: variant, password: 'another password 123' });
      expect(again.status).toBe(201);
      expect(again.body).toEqual({
        account: { id: expect.stringMatching(/^acct_/), name, email: email.toLowerCase(), createdAt: expect.any(String) },
        apiKey: { id: expect.any(String), name: 'Default key', prefix: expect.any(String), permissions: ['read', 'write', 'conversations'], createdAt: expect.any(String), key: expect.stringMatching(/^pk_/) },
      });
      expect(again.body.account.id).not.toBe(first.body.account.id);
      // A separate account: its key sees only itself.
      const other = http(stack.baseUrl, again.body.apiKey.key);
      expect((await other.get('/v1/account')).body.account).toEqual(again.body.account);
    }
    // The email stays linked to the first account: its password opens it, and only it.
    expect(await stack.deps.Account.countDocuments({ email: email.toLowerCase() })).toBe(1);
    const login = await anon().post('/v1/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect((await http(stack.baseUrl, login.body.token).get('/v1/account')).body.account.id).toBe(first.body.account.id);
    // The later sign-ups' password opens one of their own accounts (as it would with a free email), never the first.
    const later = await anon().post('/v1/auth/login', { email, password: 'another password 123' });
    expect(later.status).toBe(200);
    expect((await http(stack.baseUrl, later.body.token).get('/v1/account')).body.account.id).not.toBe(first.body.account.id);
    expectProblem(await anon().post('/v1/auth/login', { email, password: 'a third password 123' }), 401, 'invalid_credentials');
  });

  it('links exactly one of several concurrent sign-ups with one email, answering all alike, leaving no orphan key', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => anon().post('/v1/accounts', { name: `Racer ${i}`, email: i % 2 ? email.toUpperCase() : email, password: PASSWORD })),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    for (const r of results) expect(r.body.account.email).toBe(email.toLowerCase());
    expect(await stack.deps.Account.countDocuments({ email: email.toLowerCase() })).toBe(1);
    expect(await stack.deps.Account.countDocuments({ unlinkedEmail: email.toLowerCase() })).toBe(4);
    const accountIds = new Set((await stack.deps.Account.find({}, { _id: 1 }).lean()).map((a) => a._id));
    const keys = await stack.deps.ApiKey.find({}, { accountId: 1 }).lean();
    expect(keys.filter((k) => !accountIds.has(k.accountId))).toEqual([]);
  });

  it('answers 401 { message, code, details } without a valid key', async () => {
    const { key } = await signUp(stack.baseUrl, 'Auth Co');
    const base = stack.baseUrl;
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: `Basic ${Buffer.from(`x:${key}`).toString('base64')}` },
      { authorization: key },
      { authorization: `bearer ${key}` },
      { authorization: 'Bearer pk_short' },
      { authorization: `Bearer pk_${'A'.repeat(43)}` },
      { authorization: `Bearer ${key}x` },
      { authorization: `Bearer ${key.slice(0, -1)}` },
      { authorization: `Bearer sk_${key.slice(3)}` },
    ];
    for (const headers of cases) {
      const res = await fetch(`${base}/v1/bots`, { headers });
      expect({ headers, status: res.status }).toEqual({ headers, status: 401 });
      const body = await res.json();
      expect(body).toEqual({ message: expect.any(String), code: 'unauthorized', details: null });
    }
    expect((await http(base, key).get('/v1/bots')).status).toBe(200);
  });

  it('creates and revokes extra API keys; a revoked key stops working at once', async () => {
    const { key: firstKey } = await signUp(stack.baseUrl, 'Keys Co');
    const first = recorded(http(stack.baseUrl, firstKey));
    const [firstKeyId] = (await first.get('/v1/api-keys')).body.data.map((k: { id: string }) => k.id);

    const created = await first.post('/v1/api-keys', { name: 'CI' });
    expect(created.status).toBe(201);
    expect(created.body.apiKey).toEqual({
      id: expect.stringMatching(/^key_/),
      name: 'CI',
      prefix: expect.any(String),
      permissions: ['read', 'write', 'conversations'],
      createdAt: expect.any(String),
      key: expect.stringMatching(/^pk_/),
    });
    expect(created.body.apiKey.key).not.toBe(firstKey);
    const unnamed = await first.post('/v1/api-keys');
    expect(unnamed.status).toBe(201);
    expect(unnamed.body.apiKey.name).toBe('API key');

    const second = recorded(http(stack.baseUrl, created.body.apiKey.key));
    const listed = await second.get('/v1/api-keys');
    expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([firstKeyId, created.body.apiKey.id, unnamed.body.apiKey.id]);
    for (const k of listed.body.data) expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'name', 'permissions', 'prefix']);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.apiKey.key);

    // The second key revokes the first; the first stops working immediately.
    expect((await second.delete(`/v1/api-keys/${firstKeyId}`)).status).toBe(204);
    expectProblem(await first.get('/v1/bots'), 401, 'unauthorized');
    expectProblem(await first.get('/v1/api-keys'), 401, 'unauthorized');
    expectProblem(await second.delete(`/v1/api-keys/${firstKeyId}`), 404, 'api_key_not_found');
    expect((await second.get('/v1/api-keys')).body.data.map((k: { id: string }) => k.id)).toEqual([created.body.apiKey.id, unnamed.body.apiKey.id]);

    // A key can revoke itself.
    expect((await second.delete(`/v1/api-keys/${created.body.apiKey.id}`)).status).toBe(204);
    expectProblem(await second.get('/v1/account'), 401, 'unauthorized');
    expect((await http(stack.baseUrl, unnamed.body.apiKey.key).get('/v1/account')).status).toBe(200);
  });

  it('rejects bad API key bodies', async () => {
    const { api } = await signUp(stack.baseUrl, 'Bad keys Co');
    for (const body of [{ name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 5 }, { name: 'ok', accountId: 'acct_other' }]) {
      expectProblem(await api.post('/v1/api-keys', body), 400, 'validation_failed');
    }
    expect((await api.get('/v1/api-keys')).body.data).toHaveLength(1);
  });

  it('never shows a password, a password hash or a key hash in any response', async () => {
    // Include failures that carry the password in the request, so an echo in an error would show up.
    await anon().post('/v1/accounts', { name: 'Echo', email: 'not-an-email', password: PASSWORD });
    await anon().post('/v1/accounts', { name: 'Echo', email: uniqueEmail('echo'), password: 'tiny-pw' });
    await anon().post('/v1/accounts', { name: 'Echo', email: uniqueEmail('echo'), password: PASSWORD, passwordHash: 'x' });
    expect(seen.length).toBeGreaterThan(20);

    const accounts = await stack.deps.Account.find({}).lean();
    const keys = await stack.deps.ApiKey.find({}).lean();
    expect(accounts.length).toBeGreaterThan(3);
    const secrets = [PASSWORD, 'tiny-pw', ...accounts.map((a) => a.passwordHash), ...keys.map((k) => k.hash)];
    for (const body of seen) {
      for (const secret of secrets) expect(body).not.toContain(secret);
      expect(body).not.toMatch(/"(password|passwordHash|hash)"\s*:/);
      expect(body).not.toContain('scrypt$');
    }
  });
});

describe('bots', () => {
  let api: Http;
  beforeAll(async () => {
    ({ api } = await signUp(stack.baseUrl, 'Bots Co'));
  });

  it('creates, reads, updates and deletes a bot', async () => {
    const created = await api.post('/v1/bots', { name: 'Helper' });
    expect(created.status).toBe(201);
    const bot = created.body.bot;
    expect(bot).toEqual({
      id: expect.stringMatching(/^bot_/),
      name: 'Helper',
      greeting: 'Hi! How can I help you today?',
      fallbackMessage: "Sorry, I didn't understand that. Could you rephrase?",
      inactivityTimeoutSeconds: 1800,
      timezone: 'UTC',
      publishedVersion: null,
      ai: null,
      createdAt: expect.any(String),
      updatedAt: bot.createdAt,
    });
    expect(await api.get(`/v1/bots/${bot.id}`)).toMatchObject({ status: 200, body: { bot } });

    const patched = await api.patch(`/v1/bots/${bot.id}`, { name: 'Helper 2', timezone: 'Europe/Paris', inactivityTimeoutSeconds: 60 });
    expect(patched.status).toBe(200);
    expect(patched.body.bot).toEqual({ ...bot, name: 'Helper 2', timezone: 'Europe/Paris', inactivityTimeoutSeconds: 60, updatedAt: expect.any(String) });
    expect(Date.parse(patched.body.bot.updatedAt)).toBeGreaterThanOrEqual(Date.parse(bot.updatedAt));
    expect((await api.get(`/v1/bots/${bot.id}`)).body.bot).toEqual(patched.body.bot);
    expect((await api.get('/v1/bots')).body.data.map((b: { id: string }) => b.id)).toContain(bot.id);

    expect((await api.delete(`/v1/bots/${bot.id}`)).status).toBe(204);
    expectProblem(await api.get(`/v1/bots/${bot.id}`), 404, 'bot_not_found');
    expect((await api.get('/v1/bots')).body.data.map((b: { id: string }) => b.id)).not.toContain(bot.id);
  });

  it('pages through bots with limit and after, each bot exactly once', async () => {
    const { api: fresh } = await signUp(stack.baseUrl, 'Paging Co');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await fresh.post('/v1/bots', { name: `Bot ${i}` })).body.bot.id);

    const seenIds: string[] = [];
    const pages: Array<{ size: number; hasMore: boolean }> = [];
    let url = '/v1/bots?limit=2';
    for (;;) {
      const res = await fresh.get(url);
      expect(res.status).toBe(200);
      seenIds.push(...res.body.data.map((b: { id: string }) => b.id));
      pages.push({ size: res.body.data.length, hasMore: res.body.hasMore });
      if (!res.body.hasMore) {
        expect(res.body.nextAfter).toBeNull();
        break;
      }
      expect(res.body.nextAfter).toBe(res.body.data[res.body.data.length - 1].id);
      url = `/v1/bots?limit=2&after=${res.body.nextAfter}`;
    }
    expect(pages).toEqual([
      { size: 2, hasMore: true },
      { size: 2, hasMore: true },
      { size: 1, hasMore: false },
    ]);
    expect(seenIds).toEqual([...ids].sort());
    const all = await fresh.get('/v1/bots');
    expect(all.body).toMatchObject({ hasMore: false, nextAfter: null });
    expect(all.body.data).toHaveLength(5);
  });

  it('publishes immutable versions 1, 2, ...', async () => {
    const id = (await api.post('/v1/bots', { name: 'Versioned', greeting: 'Greeting one' })).body.bot.id;
    expect((await api.get(`/v1/bots/${id}/versions`)).body.data).toEqual([]);

    const v1 = await api.post(`/v1/bots/${id}/publish`);
    expect(v1.status).toBe(201);
    expect(v1.body.version).toEqual({
      version: 1,
      botId: id,
      createdAt: expect.any(String),
      snapshot: {
        botId: id,
        version: 1,
        name: 'Versioned',
        greeting: 'Greeting one',
        fallbackMessage: "Sorry, I didn't understand that. Could you rephrase?",
        inactivityTimeoutSeconds: 1800,
        timezone: 'UTC',
        flows: { flows: [], settings: expect.objectContaining({ cancelPhrases: ['cancel', 'stop'] }) },
        actions: {},
      },
    });
    expect((await api.get(`/v1/bots/${id}`)).body.bot.publishedVersion).toBe(1);

    // Editing the bot does not touch the published snapshot.
    await api.patch(`/v1/bots/${id}`, { greeting: 'Greeting two', name: 'Versioned II' });
    const afterEdit = await api.get(`/v1/bots/${id}/versions`);
    expect(afterEdit.body.data).toEqual([v1.body.version]);
    expect((await api.get(`/v1/bots/${id}`)).body.bot).toMatchObject({ greeting: 'Greeting two', publishedVersion: 1 });

    const v2 = await api.post(`/v1/bots/${id}/publish`);
    expect(v2.status).toBe(201);
    expect(v2.body.version.version).toBe(2);
    expect(v2.body.version.snapshot).toMatchObject({ version: 2, name: 'Versioned II', greeting: 'Greeting two' });

    const versions = await api.get(`/v1/bots/${id}/versions`);
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(versions.body.data[1]).toEqual(v1.body.version);
    expect((await api.get(`/v1/bots/${id}`)).body.bot.publishedVersion).toBe(2);

    const v3 = await api.post(`/v1/bots/${id}/publish`);
    expect(v3.body.version.version).toBe(3);
  });

  it('numbers concurrent publishes without gaps or duplicates', async () => {
    const id = (await api.post('/v1/bots', { name: 'Busy' })).body.bot.id;
    const results = await Promise.all(Array.from({ length: 4 }, () => api.post(`/v1/bots/${id}/publish`)));
    const ok = results.filter((r) => r.status === 201);
    for (const r of results.filter((r) => r.status !== 201)) expectProblem(r, 409, 'publish_conflict');
    expect(ok.map((r) => r.body.version.version).sort()).toEqual(Array.from({ length: ok.length }, (_, i) => i + 1));
    expect((await api.get(`/v1/bots/${id}`)).body.bot.publishedVersion).toBe(ok.length);
  });

  it('pins each conversation to the latest version published when it starts', async () => {
    const id = (await api.post('/v1/bots', { name: 'Pinned', greeting: 'G1', fallbackMessage: 'F1' })).body.bot.id;
    await api.post(`/v1/bots/${id}/publish`);
    const c1 = await api.post('/v1/conversations', { botId: id, externalUserId: 'pin-1' });
    expect(c1.status).toBe(201);
    expect(c1.body.conversation.botVersion).toBe(1);
    expect(c1.body.replies.map((r: { text: string }) => r.text)).toEqual(['G1']);

    // An edit that is not published yet changes nothing for new conversations.
    await api.patch(`/v1/bots/${id}`, { greeting: 'G2', fallbackMessage: 'F2' });
    const c2 = await api.post('/v1/conversations', { botId: id, externalUserId: 'pin-2' });
    expect(c2.body.conversation.botVersion).toBe(1);
    expect(c2.body.replies.map((r: { text: string }) => r.text)).toEqual(['G1']);

    await api.post(`/v1/bots/${id}/publish`);
    const c3 = await api.post('/v1/conversations', { botId: id, externalUserId: 'pin-3', message: { type: 'text', text: 'hello' } });
    expect(c3.body.conversation.botVersion).toBe(2);
    expect(c3.body.replies.map((r: { text: string }) => r.text)).toEqual(['G2', 'F2']);

    // Conversations started earlier keep running version 1.
    const old = await api.post(`/v1/conversations/${c1.body.conversation.id}/messages`, { message: { type: 'text', text: 'still v1?' } });
    expect(old.body.replies.map((r: { text: string }) => r.text)).toEqual(['F1']);
    expect((await api.get(`/v1/conversations/${c1.body.conversation.id}`)).body.conversation.botVersion).toBe(1);
  });
});

describe('cross-account isolation', () => {
  let a: Http;
  let b: Http;
  let aBot: string;
  let aDraftBot: string;
  let aConv: string;
  let aMessageId: string;
  let aKeyId: string;
  let bBot: string;
  let bConv: string;

  beforeAll(async () => {
    ({ api: a } = await signUp(stack.baseUrl, 'Tenant A'));
    ({ api: b } = await signUp(stack.baseUrl, 'Tenant B'));
    aBot = await publishedBot(a, { name: 'A bot' });
    aDraftBot = (await a.post('/v1/bots', { name: 'A draft' })).body.bot.id;
    const start = await a.post('/v1/conversations', { botId: aBot, externalUserId: 'a-visitor', message: { type: 'text', text: 'private to A' } });
    aConv = start.body.conversation.id;
    aMessageId = start.body.messageId;
    aKeyId = (await a.get('/v1/api-keys')).body.data[0].id;
    bBot = await publishedBot(b, { name: 'B bot' });
    bConv = (await b.post('/v1/conversations', { botId: bBot, externalUserId: 'b-visitor' })).body.conversation.id;
  });

  it("answers 404 for another account's bot, whatever the verb, and changes nothing", async () => {
    const before = (await a.get(`/v1/bots/${aBot}`)).body.bot;
    for (const id of [aBot, aDraftBot]) {
      expectProblem(await b.get(`/v1/bots/${id}`), 404, 'bot_not_found');
      expectProblem(await b.patch(`/v1/bots/${id}`, { name: 'Hijacked' }), 404, 'bot_not_found');
      expectProblem(await b.post(`/v1/bots/${id}/publish`), 404, 'bot_not_found');
      expectProblem(await b.get(`/v1/bots/${id}/versions`), 404, 'bot_not_found');
      expectProblem(await b.delete(`/v1/bots/${id}`), 404, 'bot_not_found');
    }
    expect((await a.get(`/v1/bots/${aBot}`)).body.bot).toEqual(before);
    expect((await a.get(`/v1/bots/${aBot}/versions`)).body.data.map((v: { version: number }) => v.version)).toEqual([1]);
    expect((await a.get(`/v1/bots/${aDraftBot}`)).body.bot).toMatchObject({ name: 'A draft', publishedVersion: null });
  });

  it("cannot start a conversation on another account's bot (published or not)", async () => {
    const res = await b.post('/v1/conversations', { botId: aBot, externalUserId: 'intruder' });
    expectProblem(res, 404, 'bot_not_found');
    // Not 409 bot_not_published: that would tell B the draft exists.
    expectProblem(await b.post('/v1/conversations', { botId: aDraftBot, externalUserId: 'intruder' }), 404, 'bot_not_found');
    expectProblem(
      await b.post('/v1/conversations', { botId: aBot, externalUserId: 'intruder', message: { type: 'text', text: 'hi' } }),
      404,
      'bot_not_found',
    );
    expect(await stack.deps.Conversation.countDocuments({ botId: aBot, externalUserId: 'intruder' })).toBe(0);
  });

  it("answers 404 for another account's conversation and leaves it untouched", async () => {
    const before = (await a.get(`/v1/conversations/${aConv}`)).body.conversation;
    expectProblem(await b.get(`/v1/conversations/${aConv}`), 404, 'conversation_not_found');
    expectProblem(await b.get(`/v1/conversations/${aConv}/messages`), 404, 'conversation_not_found');
    expectProblem(await b.post(`/v1/conversations/${aConv}/messages`, { message: { type: 'text', text: 'injected' } }), 404, 'conversation_not_found');
    expectProblem(
      await b.post(`/v1/conversations/${aConv}/messages`, { message: { type: 'text', text: 'replay' }, clientMessageId: 'x' }),
      404,
      'conversation_not_found',
    );
    expectProblem(await b.post(`/v1/conversations/${aConv}/close`), 404, 'conversation_not_found');

    const after = (await a.get(`/v1/conversations/${aConv}`)).body.conversation;
    expect(after).toEqual(before);
    expect(after.status).toBe('active');
    const transcript = await a.get(`/v1/conversations/${aConv}/messages`);
    expect(transcript.body.data.map((m: { text: string }) => m.text)).not.toContain('injected');
    // The close signal never reached A's workflow: it still answers.
    expect((await a.post(`/v1/conversations/${aConv}/messages`, { message: { type: 'text', text: 'still open' } })).status).toBe(200);
  });

  it("cannot use another account's message id as a transcript cursor", async () => {
    const res = await b.get(`/v1/conversations/${bConv}/messages?after=${aMessageId}`);
    expectProblem(res, 400, 'invalid_cursor');
    expect(JSON.stringify(res.body)).not.toContain('private to A');
  });

  it("cannot revoke another account's API key", async () => {
    expectProblem(await b.delete(`/v1/api-keys/${aKeyId}`), 404, 'api_key_not_found');
    expect((await a.get('/v1/api-keys')).body.data.map((k: { id: string }) => k.id)).toEqual([aKeyId]);
    expect((await a.get('/v1/account')).status).toBe(200);
  });

  it("never lists the other account's resources", async () => {
    const bBots = await b.get('/v1/bots?limit=200');
    expect(bBots.body.data.map((x: { id: string }) => x.id)).toEqual([bBot]);
    // A cursor below every id does not widen the list to other accounts.
    expect((await b.get('/v1/bots?after=bot_0')).body.data.map((x: { id: string }) => x.id)).toEqual([bBot]);

    const bConvs = await b.get('/v1/conversations?limit=200');
    expect(bConvs.body.data.map((x: { id: string }) => x.id)).toEqual([bConv]);
    expect((await b.get(`/v1/conversations?botId=${aBot}`)).body.data).toEqual([]);
    expect((await b.get(`/v1/conversations?after=conv_zzzzzzzzzzzzzz`)).body.data.map((x: { id: string }) => x.id)).toEqual([bConv]);

    const bKeys = await b.get('/v1/api-keys');
    expect(bKeys.body.data).toHaveLength(1);
    expect(bKeys.body.data[0].id).not.toBe(aKeyId);

    const bAccount = await b.get('/v1/account');
    expect(bAccount.body.account.name).toBe('Tenant B');

    // And A, in turn, sees only its own.
    const aBots = (await a.get('/v1/bots')).body.data.map((x: { id: string }) => x.id);
    expect(aBots.sort()).toEqual([aBot, aDraftBot].sort());
    expect((await a.get('/v1/conversations')).body.data.map((x: { id: string }) => x.id)).toEqual([aConv]);
  });

  it("closing one's own conversation works while the other's stays open", async () => {
    expect((await b.post(`/v1/conversations/${bConv}/close`)).status).toBe(202);
    await eventually(async () => (await b.get(`/v1/conversations/${bConv}`)).body.conversation.status === 'closed', 20_000, 'B closed');
    expect((await a.get(`/v1/conversations/${aConv}`)).body.conversation.status).toBe('active');
  });
});
