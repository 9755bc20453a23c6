/**
 * Access to the platform through the real HTTP API: per-key rate limits shared by every API instance
 * (counted in FerretDB), key permissions, login tokens, a sign-up that never tells whether an email is
 * taken, and input hygiene (JSON bodies only, strict decimal query numbers, reserved header names,
 * private base URLs refused at save).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { createDeps } from '../../api/deps';
import { generateApiKey } from '../../api/passwords';
import { createSharedLimiters, RETRY_AFTER_JITTER_SECONDS, sweepExpiredRateLimits } from '../../api/rate-limit';
import { createTokenService } from '../../api/tokens';
import { connectDatabase } from '../../models/db';
import { http, publishedBot, signUp, startStack, type Http, type HttpResult, type Stack } from '../harness';
import { TENANT_PORTS } from '../tenant-ports';

const PASSWORD = 'correct horse battery staple';
const uniqueEmail = (tag: string) => `${tag}+${randomBytes(5).toString('hex')}@example.com`;
const text = (t: string) => ({ message: { type: 'text', text: t } });

function expectProblem(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { message: expect.any(String), code, details: res.body?.details } });
}

/** The main stack keeps generous limits (the harness default); `tight` has small ones. */
let stack: Stack;
let tight: Stack;
const LIMIT = 8;
const MESSAGE_LIMIT = 3;

beforeAll(async () => {
  [stack, tight] = await Promise.all([
    startStack({ api: { ACCOUNT_SIGNUPS_PER_HOUR: '1000' } }),
    startStack({ api: { RATE_LIMIT_PER_MINUTE: String(LIMIT), MESSAGE_RATE_LIMIT_PER_MINUTE: String(MESSAGE_LIMIT), LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS: '1000', LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL: '3' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), tight?.stop()]);
});

describe('rate limits per API key', () => {
  it('sets X-RateLimit-* on every authenticated response, success or failure', async () => {
    const { api } = await signUp(stack.baseUrl);
    for (const res of [await api.get('/v1/account'), await api.get('/v1/bots'), await api.get('/v1/bots/bot_000000000nothere'), await api.post('/v1/bots', { name: '' })]) {
      expect(Number(res.headers.get('x-ratelimit-limit'))).toBe(1_000_000);
      expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(60);
    }
    const first = Number((await api.get('/v1/account')).headers.get('x-ratelimit-remaining'));
    expect(Number((await api.get('/v1/account')).headers.get('x-ratelimit-remaining'))).toBe(first - 1);
  });

  it('answers 429 rate_limited with Retry-After once a key used its limit, per key and not per account', async () => {
    const { api, accountId } = await signUp(tight.baseUrl);
    const seen: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const res = await api.get('/v1/account');
      expect(res.status).toBe(200);
      seen.push(Number(res.headers.get('x-ratelimit-remaining')));
    }
    expect(seen).toEqual(Array.from({ length: LIMIT }, (_, i) => LIMIT - 1 - i));
    const refused = await api.get('/v1/account');
    expectProblem(refused, 429, 'rate_limited');
    expect(refused.body.details).toEqual({ limit: LIMIT, retryAfterSeconds: expect.any(Number) });
    const retryAfter = Number(refused.headers.get('retry-after'));
    // The window's reset (X-RateLimit-Reset, exact) plus a few seconds of jitter.
    expect(retryAfter).toBeGreaterThanOrEqual(Number(refused.headers.get('x-ratelimit-reset')));
    expect(retryAfter).toBeLessThanOrEqual(60 + RETRY_AFTER_JITTER_SECONDS);
    expect(refused.body.details.retryAfterSeconds).toBe(retryAfter);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');

    // Another key of the same account has its own count (it was created directly: the first is spent).
    const other = http(tight.baseUrl, await extraKey(tight, accountId));
    expect((await other.get('/v1/account')).status).toBe(200);
    expect((await other.get('/v1/account')).headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - 2));
  });

  it('counts message sends against a separate, tighter limit', async () => {
    const { api, accountId } = await signUp(tight.baseUrl);
    // Set-up requests through a key that is not the one under test.
    const setup = http(tight.baseUrl, await extraKey(tight, accountId));
    const botId = await publishedBot(setup);
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'limited' });
    expect(start.status).toBe(201);
    expect(start.headers.get('x-ratelimit-limit')).toBe(String(MESSAGE_LIMIT));
    expect(start.headers.get('x-ratelimit-remaining')).toBe(String(MESSAGE_LIMIT - 1));
    const id = start.body.conversation.id;
    for (let i = 1; i < MESSAGE_LIMIT; i++) expect((await api.post(`/v1/conversations/${id}/messages`, text(`hi ${i}`))).status).toBe(200);
    const refused = await api.post(`/v1/conversations/${id}/messages`, text('one too many'));
    expectProblem(refused, 429, 'rate_limited');
    expect(refused.body.details.limit).toBe(MESSAGE_LIMIT);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expectProblem(await api.post(`/v1/conversations/${id}/confirm`, { confirmationId: 'x', approve: true }), 429, 'rate_limited');
    // Reading is not a send: the general limit still has room.
    const read = await api.get(`/v1/conversations/${id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
  });

  it('shares the counts between two API instances on the same database', async () => {
    const { api, key } = await signUp(tight.baseUrl);
    const second = await secondInstance(tight);
    try {
      const there = http(second.baseUrl, key);
      for (let i = 0; i < LIMIT / 2; i++) {
        expect((await api.get('/v1/account')).status).toBe(200);
        expect((await there.get('/v1/account')).status).toBe(200);
      }
      expectProblem(await there.get('/v1/account'), 429, 'rate_limited');
      expectProblem(await api.get('/v1/account'), 429, 'rate_limited');
    } finally {
      await second.close();
    }
  });

  it('stores its counts in plain rows (no TTL index), starts a new window over an expired row, and sweeps expired rows', async () => {
    const rows = tight.db.collection('rate_limits');
    const indexes = await rows.indexes();
    expect(indexes.some((i) => i.unique && JSON.stringify(i.key) === '{"key":1}')).toBe(true);
    expect(indexes.some((i) => i.expireAfterSeconds !== undefined)).toBe(false);

    // A row left over from a window that is over (no TTL index removed it) is replaced on next use.
    const { api, accountId } = await signUp(tight.baseUrl);
    const keyId = (await tight.deps.ApiKey.findOne({ accountId }).lean())!._id;
    await rows.updateOne({ key: `key:${keyId}` }, { $set: { points: 999, expire: new Date(Date.now() - 1000) } });
    const res = await api.get('/v1/account');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - 1));

    await rows.insertOne({ key: `key:gone-${randomBytes(4).toString('hex')}`, points: 1, expire: new Date(Date.now() - 1000) });
    expect(await sweepExpiredRateLimits(tight.db)).toBeGreaterThanOrEqual(1);
    expect(await rows.countDocuments({ expire: { $lte: new Date() } })).toBe(0);
    expect(await rows.countDocuments({ key: `key:${keyId}` })).toBe(1);
  });
});

describe('sign-ups per client address', () => {
  it('answers 429 with Retry-After past the hourly limit, counted in the shared store', async () => {
    const small = await startStack({ withoutWorker: true, api: { ACCOUNT_SIGNUPS_PER_HOUR: '2' } });
    try {
      const signUpOnce = (n: number) => http(small.baseUrl).post('/v1/accounts', { name: `Co ${n}`, email: `limit-${n}@example.com`, password: 'correct horse battery' });
      expect((await signUpOnce(1)).status).toBe(201);
      const second = await signUpOnce(2);
      expect([second.status, second.headers.get('x-ratelimit-remaining')]).toEqual([201, '0']);
      const third = await signUpOnce(3);
      expect([third.status, third.body.code]).toEqual([429, 'rate_limited']);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await small.deps.ApiKey.db.collection('rate_limits').countDocuments({ key: { $regex: '^signup-address' } })).toBe(1);
    } finally {
      await small.stop();
    }
  });

  it('limits sign-ups per email too, taken or not, so few accounts can claim one address', async () => {
    const small = await startStack({ withoutWorker: true, api: { ACCOUNT_SIGNUPS_PER_HOUR: '100', ACCOUNT_SIGNUPS_PER_DAY_PER_EMAIL: '2' } });
    try {
      const signUpWith = (email: string) => http(small.baseUrl).post('/v1/accounts', { name: 'Co', email, password: 'correct horse battery' });
      const email = uniqueEmail('per-email');
      expect((await signUpWith(email)).status).toBe(201);
      expect((await signUpWith(email)).status).toBe(201);
      const third = await signUpWith(email);
      expect([third.status, third.body.code]).toEqual([429, 'rate_limited']);
      expect(await small.deps.Account.countDocuments({ $or: [{ email }, { unlinkedEmail: email }] })).toBe(2);
      expect((await signUpWith(uniqueEmail('other'))).status).toBe(201);
    } finally {
      await small.stop();
    }
  });
});

describe('a limiter whose store is unreachable', () => {
  it('answers unavailable within the store timeout, counts the failure and logs a warning, instead of throwing', async () => {
    const db = await connectDatabase(stack.mongoUri);
    await db.close();
    const logged: string[] = [];
    const failures: string[] = [];
    const limiters = createSharedLimiters({ db, log: (message) => logged.push(message), onStoreError: (limiter) => failures.push(limiter) });
    const started = Date.now();
    expect(await limiters.create('down', 1, 60).consume('k')).toEqual({ unavailable: true, limiter: 'down' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failures).toEqual(['down']);
    expect(logged.join('\n')).toMatch(/store unavailable \(limiter down\)/);
    limiters.close();
  });
});

describe('API key permissions', () => {
  let owner: Http;
  let botId: string;
  let convId: string;
  const keyWith = async (permissions: string[]): Promise<Http> => {
    const res = await owner.post('/v1/api-keys', { name: permissions.join('+'), permissions });
    expect(res.status).toBe(201);
    expect(res.body.apiKey.permissions).toEqual(permissions);
    return http(stack.baseUrl, res.body.apiKey.key);
  };
  beforeAll(async () => {
    ({ api: owner } = await signUp(stack.baseUrl, 'Perms Co'));
    botId = await publishedBot(owner);
    convId = (await owner.post('/v1/conversations', { botId, externalUserId: 'perm' })).body.conversation.id;
  });

  it('gives the sign-up key all permissions and lists every key with its own', async () => {
    await keyWith(['read']);
    const listed = (await owner.get('/v1/api-keys')).body.data;
    expect(listed[0].permissions).toEqual(['read', 'write', 'conversations']);
    expect(listed.map((k: { permissions: string[] }) => k.permissions)).toContainEqual(['read']);
    // A key stored before permissions existed may do everything.
    const legacy = await owner.post('/v1/api-keys', { name: 'legacy' });
    expect(legacy.body.apiKey.permissions).toEqual(['read', 'write', 'conversations']);
    await stack.deps.ApiKey.updateOne({ _id: legacy.body.apiKey.id }, { $unset: { permissions: 1 } });
    const legacyApi = http(stack.baseUrl, legacy.body.apiKey.key);
    expect((await legacyApi.post('/v1/bots', { name: 'from legacy' })).status).toBe(201);
    expect((await owner.get('/v1/api-keys')).body.data.find((k: { id: string }) => k.id === legacy.body.apiKey.id).permissions).toEqual(['read', 'write', 'conversations']);
  });

  it('lets a read key read, and refuses it writes and the channel with 403 forbidden naming what is needed', async () => {
    const reader = await keyWith(['read']);
    expect((await reader.get('/v1/bots')).status).toBe(200);
    expect((await reader.get(`/v1/conversations/${convId}`)).status).toBe(200);
    expect((await reader.get('/v1/api-keys')).status).toBe(200);
    for (const res of [
      await reader.post('/v1/bots', { name: 'x' }),
      await reader.patch(`/v1/bots/${botId}`, { name: 'x' }),
      await reader.post(`/v1/bots/${botId}/publish`),
      await reader.post('/v1/api-keys', { name: 'escalate' }),
      await reader.post('/v1/connections', { name: 'c', baseUrl: 'https://shop.example.com' }),
    ]) {
      expectProblem(res, 403, 'forbidden');
      expect(res.body.details.required).toEqual(expect.arrayContaining([expect.stringMatching(/write/)]));
    }
    const send = await reader.post(`/v1/conversations/${convId}/messages`, text('hi'));
    expectProblem(send, 403, 'forbidden');
    expect(send.body.details).toEqual({ required: ['conversations'] });
    expectProblem(await reader.post('/v1/conversations', { botId, externalUserId: 'r' }), 403, 'forbidden');
  });

  it('lets a conversations key use the channel and read conversations, nothing else', async () => {
    const channel = await keyWith(['conversations']);
    const start = await channel.post('/v1/conversations', { botId, externalUserId: 'channel' });
    expect(start.status).toBe(201);
    const id = start.body.conversation.id;
    expect((await channel.post(`/v1/conversations/${id}/messages`, text('hello'))).status).toBe(200);
    expect((await channel.get(`/v1/conversations/${id}/messages`)).status).toBe(200);
    expect((await channel.get('/v1/conversations')).status).toBe(200);
    const bots = await channel.get('/v1/bots');
    expectProblem(bots, 403, 'forbidden');
    expect(bots.body.details).toEqual({ required: ['read'] });
    expectProblem(await channel.post('/v1/bots', { name: 'x' }), 403, 'forbidden');
    expect((await channel.post(`/v1/conversations/${id}/close`)).status).toBe(202);
  });

  it('lets a write key configure but not use the channel or read', async () => {
    const writer = await keyWith(['write']);
    expect((await writer.post('/v1/bots', { name: 'writer bot' })).status).toBe(201);
    expectProblem(await writer.get('/v1/bots'), 403, 'forbidden');
    expectProblem(await writer.post('/v1/conversations', { botId, externalUserId: 'w' }), 403, 'forbidden');
    // It cannot mint a key that may do more than itself.
    const escalate = await writer.post('/v1/api-keys', { name: 'more', permissions: ['read', 'write'] });
    expectProblem(escalate, 403, 'forbidden');
    expect(escalate.body.details).toEqual({ required: ['read'] });
    expect((await writer.post('/v1/api-keys', { name: 'same', permissions: ['write'] })).status).toBe(201);
  });

  it('rejects bad permission lists', async () => {
    for (const permissions of [[], ['admin'], ['read', 'read'], 'read', [null]]) {
      expectProblem(await owner.post('/v1/api-keys', { name: 'bad', permissions }), 400, 'validation_failed');
    }
  });
});

describe('login tokens', () => {
  it('logs in with email and password and accepts the token like a key, with every permission', async () => {
    const email = uniqueEmail('login');
    const signup = await http(stack.baseUrl).post('/v1/accounts', { name: 'Login Co', email, password: PASSWORD });
    const login = await http(stack.baseUrl).post('/v1/auth/login', { email: email.toUpperCase(), password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), tokenType: 'Bearer', expiresAt: expect.any(String) });
    const ttl = Date.parse(login.body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    const api = http(stack.baseUrl, login.body.token);
    expect((await api.get('/v1/account')).body.account.id).toBe(signup.body.account.id);
    const bot = await api.post('/v1/bots', { name: 'by token' });
    expect(bot.status).toBe(201);
    expect(bot.headers.get('x-ratelimit-limit')).toBeTruthy();
    expect((await api.get('/v1/bots')).body.data.map((b: { id: string }) => b.id)).toContain(bot.body.bot.id);
  });

  it('refuses an expired, tampered or foreign token with 401', async () => {
    const { accountId } = await signUp(stack.baseUrl);
    const tokens = createTokenService(stack.deps.config);
    const now = Math.floor(Date.now() / 1000);
    const valid = await tokens.sign({ sub: accountId, iat: now, exp: now + 60 });
    expect((await http(stack.baseUrl, valid).get('/v1/account')).status).toBe(200);
    const expired = await tokens.sign({ sub: accountId, iat: now - 1000, exp: now - 10 });
    expectProblem(await http(stack.baseUrl, expired).get('/v1/account'), 401, 'unauthorized');
    const [h, p, s] = valid.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), exp: now + 999_999 })).toString('base64url');
    expectProblem(await http(stack.baseUrl, `${h}.${forged}.${s}`).get('/v1/account'), 401, 'unauthorized');
    const foreign = await createTokenService({ ...stack.deps.config, PARLEY_JWT_SECRET: 'x'.repeat(40) }).sign({ sub: accountId, iat: now, exp: now + 60 });
    expectProblem(await http(stack.baseUrl, foreign).get('/v1/account'), 401, 'unauthorized');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    expectProblem(await http(stack.baseUrl, none).get('/v1/account'), 401, 'unauthorized');
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const email = uniqueEmail('known');
    await http(stack.baseUrl).post('/v1/accounts', { name: 'Known', email, password: PASSWORD });
    const anon = http(stack.baseUrl);
    const time = async (body: unknown): Promise<[HttpResult, number]> => {
      const started = performance.now();
      const res = await anon.post('/v1/auth/login', body);
      return [res, performance.now() - started];
    };
    const [wrong, wrongMs] = await time({ email, password: 'not the password' });
    const [unknown, unknownMs] = await time({ email: uniqueEmail('nobody'), password: 'not the password' });
    expectProblem(wrong, 401, 'invalid_credentials');
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.status).toBe(wrong.status);
    // Both paths verify one scrypt hash: the unknown email is not answered markedly faster.
    expect(unknownMs).toBeGreaterThan(wrongMs / 4);
  });

  it('limits login attempts per email', async () => {
    const email = uniqueEmail('brute');
    await http(tight.baseUrl).post('/v1/accounts', { name: 'Brute', email, password: PASSWORD });
    const anon = http(tight.baseUrl);
    for (let i = 0; i < 3; i++) expectProblem(await anon.post('/v1/auth/login', { email, password: `guess ${i} guess` }), 401, 'invalid_credentials');
    const refused = await anon.post('/v1/auth/login', { email, password: PASSWORD });
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('sign-up with a taken email', () => {
  it('answers exactly like a fresh sign-up and leaves the existing account alone', async () => {
    const email = uniqueEmail('taken');
    const anon = http(stack.baseUrl);
    const first = await anon.post('/v1/accounts', { name: 'Owner', email, password: PASSWORD });
    const again = await anon.post('/v1/accounts', { name: 'Prober', email, password: 'prober password 1' });
    const fresh = await anon.post('/v1/accounts', { name: 'Prober', email: uniqueEmail('fresh'), password: 'prober password 1' });
    expect(again.status).toBe(fresh.status);
    const shape = (r: HttpResult) => JSON.stringify(r.body, (_k, v) => (typeof v === 'string' ? typeof v : v));
    expect(shape(again)).toBe(shape(fresh));
    expect(again.body.account.email).toBe(email);
    // The prober's account is its own; the owner's login, data and key are untouched.
    const owner = http(stack.baseUrl, first.body.apiKey.key);
    expect((await owner.get('/v1/account')).body.account).toEqual(first.body.account);
    expect((await http(stack.baseUrl, again.body.apiKey.key).get('/v1/bots')).body.data).toEqual([]);
    expect((await anon.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
  });

  it('lets the prober log in to its own account exactly as with a free email, so a login tells nothing either', async () => {
    const anon = http(stack.baseUrl);
    const taken = uniqueEmail('taken-login');
    const free = uniqueEmail('free-login');
    const owner = await anon.post('/v1/accounts', { name: 'Owner', email: taken, password: PASSWORD });
    const probes = [];
    for (const email of [taken, free]) {
      const signup = await anon.post('/v1/accounts', { name: 'Prober', email, password: 'prober password 2' });
      const login = await anon.post('/v1/auth/login', { email, password: 'prober password 2' });
      const wrong = await anon.post('/v1/auth/login', { email, password: 'not the password' });
      expect(login.status).toBe(200);
      expect(wrong.status).toBe(401);
      // The token opens the prober's own account, never the owner's.
      const me = await http(stack.baseUrl, login.body.token).get('/v1/account');
      expect(me.body.account.id).toBe(signup.body.account.id);
      probes.push({ signup: signup.status, login: login.status, wrong: wrong.body.code });
    }
    expect(probes[0]).toEqual(probes[1]);
    // The owner still logs in to the owner's account.
    const ownerLogin = await anon.post('/v1/auth/login', { email: taken, password: PASSWORD });
    expect((await http(stack.baseUrl, ownerLogin.body.token).get('/v1/account')).body.account.id).toBe(owner.body.account.id);
  });
});

describe('input hygiene', () => {
  let api: Http;
  let key: string;
  beforeAll(async () => {
    ({ api, key } = await signUp(stack.baseUrl, 'Hygiene Co'));
  });

  it('answers 415 unsupported_media_type for a non-JSON body on POST, PUT and PATCH', async () => {
    const botId = (await api.post('/v1/bots', { name: 'b' })).body.bot.id;
    const cases: Array<[string, string, string | undefined]> = [
      ['POST', '/v1/bots', 'text/plain'],
      ['POST', '/v1/bots', 'application/x-www-form-urlencoded'],
      ['PATCH', `/v1/bots/${botId}`, 'text/plain'],
      ['PUT', `/v1/bots/${botId}/flows`, 'multipart/form-data; boundary=x'],
      ['POST', '/v1/knowledge/import', 'text/csv'],
    ];
    for (const [method, url, type] of cases) {
      const res = await fetch(`${stack.baseUrl}${url}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': type! }, body: '{"name":"x"}' });
      expectProblem({ status: res.status, body: await res.json(), headers: res.headers }, 415, 'unsupported_media_type');
    }
    // Sign-up and login too, before any key.
    const anon = await fetch(`${stack.baseUrl}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(anon.status).toBe(415);
    // No body at all is fine, and so is JSON with a charset.
    expect((await api.post(`/v1/bots/${botId}/publish`)).status).toBe(201);
    const utf8 = await fetch(`${stack.baseUrl}/v1/bots`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json; charset=utf-8' }, body: '{"name":"utf8"}' });
    expect(utf8.status).toBe(201);
  });

  it('reads numbers in query strings as plain decimal digits only', async () => {
    expect((await api.get('/v1/bots?limit=5')).status).toBe(200);
    expect((await api.get('/v1/bots?limit=100')).status).toBe(200);
    for (const limit of ['1e2', '0x10', '%205', '5%20', '%2B5', '5.0', '-1', '', '0', '1e1', 'Infinity', '0b1', '0o7']) {
      for (const route of ['/v1/bots', '/v1/conversations', '/v1/actions', '/v1/logs', '/v1/connections', '/v1/knowledge', '/v1/knowledge/drafts']) {
        const res = await api.get(`${route}?limit=${limit}`);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.details[0].path).toBe('query.limit');
      }
    }
  });

  it('refuses reserved header names for an API key sent in a header', async () => {
    for (const name of ['Host', 'content-length', 'Transfer-Encoding', 'Connection', 'Idempotency-Key']) {
      const res = await api.post('/v1/connections', { name: 'k', baseUrl: 'https://shop.example.com', auth: { type: 'api_key', in: 'header', name, value: 'secret-value' } });
      expectProblem(res, 400, 'invalid_connection');
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'auth.name' })]);
    }
    const ok = await api.post('/v1/connections', { name: 'k', baseUrl: 'https://shop.example.com', auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: 'secret-value' } });
    expect(ok.status).toBe(201);
    // A query parameter may be called anything.
    expect((await api.post('/v1/connections', { name: 'q', baseUrl: 'https://shop.example.com', auth: { type: 'api_key', in: 'query', name: 'host', value: 'v' } })).status).toBe(201);
    // On update too.
    const patched = await api.patch(`/v1/connections/${ok.body.connection.id}`, { auth: { type: 'api_key', in: 'header', name: 'Host', value: 'v' } });
    expectProblem(patched, 400, 'invalid_connection');
  });

  it('refuses a private, loopback, link-local or metadata base URL at save unless the operator allowlists it and the connection asks', async () => {
    const refused = [
      'https://127.0.0.1',
      'https://127.1:8443/api',
      'https://localhost/api',
      'https://api.localhost',
      'https://10.0.0.5',
      'https://192.168.1.10',
      'https://172.16.0.1',
      'https://169.254.10.10',
      'https://[::1]',
      'https://[fe80::1]',
      'https://[::ffff:127.0.0.1]',
      'https://0x7f000001',
      'https://2130706433',
      'https://0.0.0.0',
    ];
    for (const baseUrl of refused) {
      const res = await api.post('/v1/connections', { name: 'p', baseUrl });
      expectProblem(res, 400, 'invalid_connection');
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'baseUrl' })]));
      // The tenant's flag alone never suffices: none of these is in the deployment's allowlist.
      expectProblem(await api.post('/v1/connections', { name: 'p', baseUrl, allowPrivateNetwork: true }), 400, 'invalid_connection');
    }
    const tenantPort = `https://127.0.0.1:${TENANT_PORTS.from + 1}`;
    expectProblem(await api.post('/v1/connections', { name: 'p', baseUrl: tenantPort }), 400, 'invalid_connection');
    expect((await api.post('/v1/connections', { name: 'p', baseUrl: tenantPort, allowPrivateNetwork: true })).status).toBe(201);
    for (const baseUrl of ['https://169.254.169.254', 'http://169.254.169.254/latest', 'https://[fd00:ec2::254]', 'https://100.100.100.200']) {
      expectProblem(await api.post('/v1/connections', { name: 'm', baseUrl, allowPrivateNetwork: true }), 400, 'invalid_connection');
    }
    // A host name is left to the worker, which checks every address it resolves to.
    expect((await api.post('/v1/connections', { name: 'n', baseUrl: 'https://internal.example.com' })).status).toBe(201);
    // Turning the allowance off, or moving to a private address, is refused on update.
    const local = await api.post('/v1/connections', { name: 'l', baseUrl: tenantPort, allowPrivateNetwork: true });
    expectProblem(await api.patch(`/v1/connections/${local.body.connection.id}`, { allowPrivateNetwork: false }), 400, 'invalid_connection');
    const pub = await api.post('/v1/connections', { name: 'pub', baseUrl: 'https://shop.example.com' });
    expectProblem(await api.patch(`/v1/connections/${pub.body.connection.id}`, { baseUrl: 'https://192.168.0.1' }), 400, 'invalid_connection');
  });
});

/** A new key for the account, written directly (the API may be refusing `api` by now). */
async function extraKey(on: Stack, accountId: string): Promise<string> {
  const generated = generateApiKey();
  await on.deps.ApiKey.create({ _id: `key_${randomBytes(8).toString('hex')}`, accountId, name: 'extra', prefix: generated.prefix, hash: generated.hash, createdAt: new Date() });
  return generated.key;
}

/** A second API instance on the stack's database, with its own mongoose connection, as another process would. */
async function secondInstance(on: Stack): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const db = await connectDatabase(on.mongoUri);
  const deps = createDeps({ db, temporal: on.temporal, config: on.deps.config, log: () => undefined });
  const server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.close();
    },
  };
}
