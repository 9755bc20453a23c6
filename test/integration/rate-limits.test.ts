/**
 * Rate limits that hold, through the real HTTP API and the shared store (FerretDB): per-address limits
 * count an IPv6 client by its /64 (client addresses played with X-Forwarded-For, which the API believes
 * from loopback: TRUST_PROXY's default); Retry-After carries jitter; and when the store is unreachable, the
 * routes that spend money or run models answer 503 with Retry-After while the others go on.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { createApp } from '../../api/app';
import { createDeps } from '../../api/deps';
import { RETRY_AFTER_JITTER_SECONDS, STORE_RETRY_AFTER_SECONDS } from '../../api/rate-limit';
import { connectDatabase } from '../../models/db';
import { publishedBot, signUp, startStack, type Http, type Stack } from '../harness';

const SITE = 'https://shop.example.com';
const PASSWORD = 'correct horse battery staple';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ api: { ACCOUNT_SIGNUPS_PER_HOUR: '2', LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS: '2' } });
});
afterAll(async () => {
  await stack?.stop();
});

interface Answer {
  status: number;
  body: any;
  headers: Headers;
  ms: number;
}

/** A request as the client at `ip` (X-Forwarded-For), optionally with a key and more headers. */
async function call(baseUrl: string, method: string, path: string, options: { ip?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.ip) headers['x-forwarded-for'] = options.ip;
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const started = Date.now();
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, ms: Date.now() - started };
}

const email = (tag: string) => `${tag}+${randomBytes(5).toString('hex')}@example.com`;
const signUpAs = (baseUrl: string, ip: string) => call(baseUrl, 'POST', '/v1/accounts', { ip, body: { name: 'Co', email: email('limit'), password: PASSWORD } });
const loginAs = (ip: string) => call(stack.baseUrl, 'POST', '/v1/auth/login', { ip, body: { email: email('nobody'), password: 'not the password' } });
const retryAfterOf = (answer: Answer): number => Number(answer.headers.get('retry-after'));

interface Instance {
  baseUrl: string;
  logged: { message: string; error: unknown }[];
  close: () => Promise<void>;
}

/** A second API instance on the stack's database and Temporal, whose limiter counts in `store`. */
async function instanceWithStore(store: mongoose.Connection, storeTimeoutMs: number): Promise<Instance> {
  const logged: Instance['logged'] = [];
  const deps = createDeps({ db: stack.db, temporal: stack.temporal, config: stack.deps.config, log: (message, error) => logged.push({ message, error }) });
  const server = createApp(deps, { rateLimitStore: store, rateLimitStoreTimeoutMs: storeTimeoutMs }).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logged,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('per-address limits', () => {
  it('count an IPv6 client by its /64: two addresses of one /64 share a limit, another /64 has its own', async () => {
    // Sign-ups: 2 an hour per address.
    const first = await signUpAs(stack.baseUrl, '2001:db8:17:1::a');
    expect([first.status, first.headers.get('x-ratelimit-remaining')]).toEqual([201, '1']);
    const neighbour = await signUpAs(stack.baseUrl, '2001:db8:17:1:ffff:ffff:ffff:b');
    expect([neighbour.status, neighbour.headers.get('x-ratelimit-remaining')]).toEqual([201, '0']);
    for (const ip of ['2001:db8:17:1::a', '2001:db8:17:1::c', '2001:DB8:17:1:0:0:0:d']) {
      const refused = await signUpAs(stack.baseUrl, ip);
      expect([refused.status, refused.body.code]).toEqual([429, 'rate_limited']);
    }
    const otherPrefix = await signUpAs(stack.baseUrl, '2001:db8:17:2::a');
    expect([otherPrefix.status, otherPrefix.headers.get('x-ratelimit-remaining')]).toEqual([201, '1']);
    const rows = stack.db.collection('rate_limits');
    expect((await rows.distinct('key', { key: { $regex: '^signup-address:2001:db8:17:' } })).sort()).toEqual(['signup-address:2001:db8:17:1::/64', 'signup-address:2001:db8:17:2::/64']);

    // Logins too (2 a minute per address).
    expect((await loginAs('2001:db8:18:1::1')).status).toBe(401);
    expect((await loginAs('2001:db8:18:1::2')).status).toBe(401);
    expect((await loginAs('2001:db8:18:1:abcd::3')).body.code).toBe('rate_limited');
    expect((await loginAs('2001:db8:18:2::1')).status).toBe(401);
  });

  it('count an IPv4-mapped IPv6 address as its IPv4 address, and IPv4 clients one by one', async () => {
    expect((await signUpAs(stack.baseUrl, '198.51.100.7')).status).toBe(201);
    expect((await signUpAs(stack.baseUrl, '::ffff:198.51.100.7')).status).toBe(201);
    expect((await signUpAs(stack.baseUrl, '198.51.100.7')).status).toBe(429);
    expect((await signUpAs(stack.baseUrl, '198.51.100.8')).status).toBe(201);
  });

  it('count the widget per client by /64 too', async () => {
    const { api } = await signUp(stack.baseUrl);
    const botId = await publishedBot(api);
    const { website } = (await api.post('/v1/websites', { botId, name: 'Shop', origins: [SITE] })).body;
    for (const ip of ['2001:db8:19:1::1', '2001:db8:19:1::2']) {
      expect((await call(stack.baseUrl, 'GET', `/widget/v1/${website.websiteToken}/config`, { ip, headers: { origin: SITE } })).status).toBe(200);
    }
    const row = await stack.db.collection('rate_limits').findOne({ key: `widget-client:${website.id}:2001:db8:19:1::/64` });
    expect(row?.points).toBe(2);
  });

  it('answer 429 with a Retry-After of the window reset plus 0..5 s of jitter, varying from one refusal to the next', async () => {
    const ip = '2001:db8:20:1::1';
    expect((await loginAs(ip)).status).toBe(401);
    expect((await loginAs(ip)).status).toBe(401);
    const seen = new Set<number>();
    for (let i = 0; i < 15; i++) {
      const refused = await loginAs(ip);
      expect([refused.status, refused.body.code]).toEqual([429, 'rate_limited']);
      const retryAfter = retryAfterOf(refused);
      const reset = Number(refused.headers.get('x-ratelimit-reset'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(Math.max(1, reset));
      expect(retryAfter).toBeLessThanOrEqual(reset + RETRY_AFTER_JITTER_SECONDS);
      expect(refused.body.details).toEqual({ limit: 2, retryAfterSeconds: retryAfter });
      seen.add(retryAfter - reset);
    }
    // 15 draws of 6 jitter values all equal: odds of about 1e-10.
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('when the rate-limit store is unreachable', () => {
  /** A second API instance on the stack's database whose limiter counts on a connection that is closed. */
  let down: Instance;
  let key: string;
  let healthy: Http;
  let conversationId: string;
  let websiteToken: string;

  beforeAll(async () => {
    ({ api: healthy, key } = await signUp(stack.baseUrl));
    const botId = await publishedBot(healthy);
    const start = await healthy.post('/v1/conversations', { botId, externalUserId: 'store-down' });
    expect(start.status).toBe(201);
    conversationId = start.body.conversation.id;
    websiteToken = (await healthy.post('/v1/websites', { botId, name: 'Shop', origins: [SITE] })).body.website.websiteToken;

    // Built on a connection of its own, closed once the app holds it: every count then fails.
    const store = await connectDatabase(stack.mongoUri);
    down = await instanceWithStore(store, 500);
    await store.close();
  });
  afterAll(async () => {
    await down?.close();
  });

  const expectUnavailable = (answer: Answer): void => {
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 503,
      body: { message: expect.any(String), code: 'rate_limit_unavailable', details: { retryAfterSeconds: retryAfterOf(answer) } },
    });
    expect(retryAfterOf(answer)).toBeGreaterThanOrEqual(STORE_RETRY_AFTER_SECONDS);
    expect(retryAfterOf(answer)).toBeLessThanOrEqual(STORE_RETRY_AFTER_SECONDS + RETRY_AFTER_JITTER_SECONDS);
    // Bounded by the store timeout (500 ms here), not by the driver's own timeouts.
    expect(answer.ms).toBeLessThan(3000);
  };

  it('refuses sign-ups with 503 and Retry-After, and creates nothing', async () => {
    const address = email('refused');
    const refused = await call(down.baseUrl, 'POST', '/v1/accounts', { ip: '203.0.113.50', body: { name: 'Co', email: address, password: PASSWORD } });
    expectUnavailable(refused);
    expect(await stack.deps.Account.countDocuments({ $or: [{ email: address }, { unlinkedEmail: address }] })).toBe(0);
  });

  it('refuses conversation starts, message sends, confirms and knowledge analysis (API and widget) with 503', async () => {
    const as = { key };
    expectUnavailable(await call(down.baseUrl, 'POST', '/v1/conversations', { ...as, body: { botId: 'bot_x', externalUserId: 'u' } }));
    expectUnavailable(await call(down.baseUrl, 'POST', `/v1/conversations/${conversationId}/messages`, { ...as, body: { message: { type: 'text', text: 'hi' } } }));
    expectUnavailable(await call(down.baseUrl, 'POST', `/v1/conversations/${conversationId}/confirm`, { ...as, body: { confirmationId: 'x', approve: true } }));
    expectUnavailable(await call(down.baseUrl, 'POST', '/v1/knowledge/analyze', { ...as, body: { conversationId } }));
    // Express routes in any letter case: so does the policy.
    expectUnavailable(await call(down.baseUrl, 'POST', `/V1/Conversations/${conversationId}/MESSAGES`, { ...as, body: { message: { type: 'text', text: 'hi' } } }));
    expectUnavailable(await call(down.baseUrl, 'POST', `/widget/v1/${websiteToken}/conversations`, { ip: '203.0.113.51', headers: { origin: SITE }, body: {} }));
    expectUnavailable(await call(down.baseUrl, 'POST', `/widget/v1/${websiteToken}/conversations/${conversationId}/messages`, { ip: '203.0.113.51', headers: { origin: SITE }, body: { message: { type: 'text', text: 'hi' } } }));
    // Nothing reached the conversation; the same send on the healthy instance goes through.
    expect((await healthy.get(`/v1/conversations/${conversationId}/messages`)).body.data.filter((m: { role: string }) => m.role === 'visitor')).toEqual([]);
    expect((await healthy.post(`/v1/conversations/${conversationId}/messages`, { message: { type: 'text', text: 'hi' } })).status).toBe(200);
  });

  it('lets the other routes through (fail open): reads, configuration, login, widget reads', async () => {
    const bots = await call(down.baseUrl, 'GET', '/v1/bots', { key });
    expect(bots.status).toBe(200);
    expect(bots.headers.get('x-ratelimit-limit')).toBeNull();
    expect(bots.ms).toBeLessThan(3000);
    expect((await call(down.baseUrl, 'GET', `/v1/conversations/${conversationId}`, { key })).status).toBe(200);
    expect((await call(down.baseUrl, 'POST', '/v1/bots', { key, body: { name: 'made while the store is down' } })).status).toBe(201);
    expect((await call(down.baseUrl, 'POST', '/v1/auth/login', { ip: '203.0.113.52', body: { email: email('nobody'), password: 'not the password' } })).status).toBe(401);
    expect((await call(down.baseUrl, 'GET', `/widget/v1/${websiteToken}/config`, { ip: '203.0.113.52', headers: { origin: SITE } })).status).toBe(200);
  });

  it('varies Retry-After from one refusal to the next, within bounds', async () => {
    const seen = new Set<number>();
    const refusals = await Promise.all(Array.from({ length: 12 }, (_, i) => call(down.baseUrl, 'POST', `/v1/conversations/${conversationId}/messages`, { key, body: { message: { type: 'text', text: `hi ${i}` } } })));
    for (const refused of refusals) {
      expectUnavailable(refused);
      seen.add(retryAfterOf(refused));
    }
    // 12 draws of 6 values all equal: odds of about 1e-8.
    expect(seen.size).toBeGreaterThan(1);
  });

  it('counts each store failure in parley_rate_limit_store_errors_total, and logs one line for them all', async () => {
    const metrics = await (await fetch(`${down.baseUrl}/metrics`)).text();
    const count = (limiter: string) => Number(new RegExp(`^parley_rate_limit_store_errors_total\\{limiter="${limiter}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('signup-address')).toBeGreaterThanOrEqual(1);
    expect(count('key-messages')).toBeGreaterThanOrEqual(12);
    expect(count('widget-client')).toBeGreaterThanOrEqual(1);
    const lines = down.logged.filter((line) => /rate limiter store unavailable/.test(line.message));
    // Once a minute at most, however many requests failed.
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toMatch(/answer 503, the others let requests through/);
    expect(lines[0]!.error).toBeInstanceOf(Error);
  });

  it('does not let a store that never answers hold requests: 503 or through after the store timeout', async () => {
    // Accepts connections and never says a word: the driver waits out its server selection (5 s here,
    // 10 s in models/db.ts), and mongoose buffers the operations meanwhile (3 s here, 10 s by default:
    // either way far longer than the limiter's 800 ms, and all of it over before the test ends).
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => silent.once('listening', () => resolve()));
    const store = mongoose.createConnection();
    store.config.bufferTimeoutMS = 3_000; // mongoose reads it from here (ConnectOptions' types lack it)
    store.on('error', () => undefined);
    store.openUri(`mongodb://127.0.0.1:${(silent.address() as AddressInfo).port}/parley`, { serverSelectionTimeoutMS: 5_000 }).catch(() => undefined);
    const hung = await instanceWithStore(store, 800);
    try {
      const send = await call(hung.baseUrl, 'POST', `/v1/conversations/${conversationId}/messages`, { key, body: { message: { type: 'text', text: 'hi' } } });
      expect([send.status, send.body.code]).toEqual([503, 'rate_limit_unavailable']);
      expect(send.ms).toBeGreaterThanOrEqual(700);
      expect(send.ms).toBeLessThan(3000);
      const read = await call(hung.baseUrl, 'GET', '/v1/bots', { key });
      expect(read.status).toBe(200);
      expect(read.ms).toBeLessThan(3000);
      expect(hung.logged.map((line) => line.message).join('\n')).toMatch(/store unavailable/);
    } finally {
      await hung.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      // Waits for the driver's server selection to give up (serverSelectionTimeoutMS).
      await store.close(true).catch(() => undefined);
    }
  });
});
