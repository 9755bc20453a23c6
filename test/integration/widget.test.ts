/**
 * Websites and the public widget endpoints, through HTTP as a browser (and a hostile client) would call
 * them: website bindings per account, origin checks and CORS, visitor tokens that scope a browser to its
 * own conversation, signed visitor identity (HS256 with the website's secret), limits per website and per
 * client, token rotation, and the preview page. The widget script itself runs in Chromium in
 * widget-browser.test.ts.
 */
import { SignJWT } from 'jose';
import { publishedFlowBot, signUp, startStack, type Http, type Stack } from '../harness';

const SITE = 'https://shop.example.com';
const EVIL = 'https://evil.example.net';
let stack: Stack;
let api: Http;
let botId: string;

const FLOWS = {
  flows: [
    {
      id: 'hours',
      name: 'Opening hours',
      trigger: { keywords: ['hours'] },
      startBlockId: 'say',
      blocks: [
        { id: 'say', type: 'message', text: 'We are open 9 to 5.', next: 'end' },
        { id: 'end', type: 'end' },
      ],
    },
  ],
};

beforeAll(async () => {
  stack = await startStack({
    api: {
      WIDGET_RATE_LIMIT_PER_MINUTE: '60',
      WIDGET_CLIENT_RATE_LIMIT_PER_MINUTE: '30',
      WIDGET_CLIENT_MESSAGES_PER_MINUTE: '4',
      WIDGET_CLIENT_CONVERSATIONS_PER_HOUR: '3',
    },
  });
  ({ api } = await signUp(stack.baseUrl));
  botId = await publishedFlowBot(api, FLOWS, { name: 'Shop helper' });
});

afterAll(async () => {
  await stack?.stop();
});

let client = 0;
/** A distinct client address per test (the API trusts X-Forwarded-For from loopback), so per-client limits stay per test. */
const newClient = (): string => `203.0.113.${++client}`;

interface WidgetCall {
  status: number;
  body: any;
  headers: Headers;
}

async function widget(token: string, method: string, path: string, options: { origin?: string | null; body?: unknown; visitor?: string; ip?: string; headers?: Record<string, string> } = {}): Promise<WidgetCall> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.origin !== null) headers.origin = options.origin ?? SITE;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.visitor) headers.authorization = `Bearer ${options.visitor}`;
  if (options.ip) headers['x-forwarded-for'] = options.ip;
  const res = await fetch(`${stack.baseUrl}/widget/v1/${token}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function createWebsite(extra: Record<string, unknown> = {}, as: Http = api) {
  const res = await as.post('/v1/websites', { botId, name: 'Shop', origins: [SITE, 'http://localhost:5173'], ...extra });
  expect(res.status).toBe(201);
  return res.body as { website: { id: string; websiteToken: string; origins: string[] }; snippet: string; identitySecret: string };
}

/** Polls every 500 ms: each poll counts against the website's limit (60 a minute in this file). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) if (await check()) return;
  throw new Error(`timed out waiting until ${what}`);
}

const sign = (secret: string, claims: Record<string, unknown>, exp: number | string = '1h', alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

describe('website bindings', () => {
  it('binds a website: a public token, the snippet, and an identity secret shown once', async () => {
    const created = await createWebsite({ origins: ['https://Shop.Example.com/', 'https://*.example.org', 'http://localhost:5173'] });
    expect(created.website.websiteToken).toMatch(/^wt_[a-f0-9]{40}$/);
    expect(created.website.origins).toEqual(['https://shop.example.com', 'https://*.example.org', 'http://localhost:5173']);
    expect(created.snippet).toBe(`<script src="${stack.baseUrl}/widget.js" data-parley-website="${created.website.websiteToken}" async></script>`);
    expect(created.identitySecret).toMatch(/^wis_[A-Za-z0-9_-]{43}$/);

    const read = await api.get(`/v1/websites/${created.website.id}`);
    expect(read.status).toBe(200);
    expect(read.body.snippet).toBe(created.snippet);
    expect(JSON.stringify(read.body)).not.toContain(created.identitySecret);
    const list = await api.get(`/v1/websites?botId=${botId}`);
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(created.website.id);
    expect(JSON.stringify(list.body)).not.toContain(created.identitySecret);
    // The secret is sealed at rest.
    const raw = await stack.db.collection('websites').findOne({ _id: created.website.id as never });
    expect(JSON.stringify(raw)).not.toContain(created.identitySecret);
  });

  it('refuses bad origins and bodies with 400 naming the field, and writes nothing', async () => {
    const before = await stack.db.collection('websites').countDocuments();
    const bad = await api.post('/v1/websites', { botId, name: 'Shop', origins: ['https://shop.example.com/path', 'https://*.com', 'ftp://x.example'] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(['body.origins.0', 'body.origins.1', 'body.origins.2']);
    expect((await api.post('/v1/websites', { botId, name: 'Shop', origins: [] })).status).toBe(400);
    expect((await api.post('/v1/websites', { botId, name: 'Shop', origins: [SITE], identity: 'sometimes' })).status).toBe(400);
    expect((await api.post('/v1/websites', { botId, name: 'Shop', origins: [SITE], extra: 1 })).status).toBe(400);
    expect((await api.patch('/v1/websites/site_nope', { name: 'x' })).status).toBe(404);
    expect((await api.raw('POST', '/v1/websites', 'origins=x')).status).toBe(400);
    expect(await stack.db.collection('websites').countDocuments()).toBe(before);
  });

  it('is scoped to its account: another account cannot bind its bot or see its websites', async () => {
    const created = await createWebsite();
    const other = await signUp(stack.baseUrl, 'Other Co');
    expect((await other.api.post('/v1/websites', { botId, name: 'Steal', origins: [EVIL] })).status).toBe(404);
    expect((await other.api.get(`/v1/websites/${created.website.id}`)).status).toBe(404);
    expect((await other.api.patch(`/v1/websites/${created.website.id}`, { origins: [EVIL] })).status).toBe(404);
    expect((await other.api.delete(`/v1/websites/${created.website.id}`)).status).toBe(404);
    expect((await other.api.post(`/v1/websites/${created.website.id}/rotate-identity-secret`)).status).toBe(404);
    expect((await other.api.get('/v1/websites')).body.data).toEqual([]);
  });
});

describe('public widget endpoints', () => {
  it('answer only pages on the website\'s origins, with CORS headers for them', async () => {
    const { website } = await createWebsite();
    const token = website.websiteToken;
    const ok = await widget(token, 'GET', '/config', { ip: newClient() });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ bot: { id: botId, name: 'Shop helper' }, title: 'Shop helper', channel: 'widget', identity: 'optional' });
    expect(ok.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(ok.headers.get('vary')).toContain('Origin');
    expect(ok.headers.get('x-ratelimit-limit')).toBeTruthy();

    const preflight = await widget(token, 'OPTIONS', '/conversations', { ip: newClient(), headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);

    for (const origin of [EVIL, 'https://shop.example.com.evil.net', 'http://shop.example.com', 'null']) {
      const refused = await widget(token, 'POST', '/conversations', { origin, body: {}, ip: newClient() });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('origin_not_allowed');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect((await widget(token, 'OPTIONS', '/conversations', { origin: EVIL, ip: newClient() })).status).toBe(403);
    const noOrigin = await widget(token, 'GET', '/config', { origin: null, ip: newClient() });
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.body.code).toBe('origin_not_allowed');
    // Only the preview page (same origin as the API) may leave Origin out of a same-origin GET.
    expect((await widget(token, 'GET', '/config', { origin: null, ip: newClient(), headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(403);
    // A wildcard origin covers subdomains.
    const wild = await createWebsite({ origins: ['https://*.example.org'] });
    expect((await widget(wild.website.websiteToken, 'GET', '/config', { origin: 'https://eu.example.org', ip: newClient() })).status).toBe(200);
    expect((await widget(wild.website.websiteToken, 'GET', '/config', { origin: 'https://example.org', ip: newClient() })).status).toBe(403);

    const unknown = await widget(`wt_${'0'.repeat(40)}`, 'GET', '/config', { ip: newClient() });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('website_not_found');
    expect((await widget('garbage', 'GET', '/config', { ip: newClient() })).status).toBe(404);
  });

  it('start a conversation, send and read with the visitor token; nobody else can', async () => {
    const { website } = await createWebsite();
    const token = website.websiteToken;
    const ip = newClient();
    const started = await widget(token, 'POST', '/conversations', { body: {}, ip });
    expect(started.status).toBe(201);
    expect(started.body.replies.map((r: { text: string }) => r.text)).toEqual(['Hello! I am the test bot.']);
    expect(started.body.visitorToken).toMatch(/^vt_/);
    expect(started.body.identified).toBe(false);
    const id = started.body.conversation.id as string;
    const visitor = started.body.visitorToken as string;

    const reply = await widget(token, 'POST', `/conversations/${id}/messages`, { body: { message: { type: 'text', text: 'your hours?' }, clientMessageId: 'm-1' }, visitor, ip });
    expect(reply.status).toBe(200);
    expect(reply.body.replies.map((r: { text: string }) => r.text)).toEqual(['We are open 9 to 5.']);
    const transcript = await widget(token, 'GET', `/conversations/${id}/messages`, { visitor, ip });
    expect(transcript.status).toBe(200);
    expect(transcript.body.conversation).toEqual({ id, status: 'active' });
    expect(transcript.body.data.map((m: { role: string; text: string }) => `${m.role}: ${m.text}`)).toEqual(['bot: Hello! I am the test bot.', 'visitor: your hours?', 'bot: We are open 9 to 5.']);
    const after = await widget(token, 'GET', `/conversations/${id}/messages?after=${reply.body.messageId}`, { visitor, ip });
    expect(after.body.data.map((m: { text: string }) => m.text)).toEqual(['We are open 9 to 5.']);

    // The account sees it as a widget conversation of this website, with an anonymous visitor.
    const seen = await api.get(`/v1/conversations/${id}`);
    expect(seen.body.conversation).toMatchObject({ channel: 'widget', websiteId: website.id, contact: null });
    expect(seen.body.conversation.externalUserId).toMatch(/^visitor_[a-f0-9]{24}$/);

    // Without the visitor token, with another conversation's, or through another website: refused.
    expect((await widget(token, 'GET', `/conversations/${id}/messages`, { ip })).body.code).toBe('invalid_visitor_token');
    const second = await widget(token, 'POST', '/conversations', { body: {}, ip });
    expect((await widget(token, 'GET', `/conversations/${id}/messages`, { visitor: second.body.visitorToken, ip })).status).toBe(401);
    expect((await widget(token, 'GET', `/conversations/${id}/messages`, { visitor: `${visitor.slice(0, -2)}AA`, ip })).status).toBe(401);
    const otherSite = await createWebsite();
    expect((await widget(otherSite.website.websiteToken, 'GET', `/conversations/${id}/messages`, { visitor, ip })).status).toBe(401);
    // An API-channel conversation of the same account is not reachable through the widget.
    const apiConversation = await api.post('/v1/conversations', { botId, externalUserId: 'api-user' });
    const apiId = apiConversation.body.conversation.id as string;
    expect((await widget(token, 'GET', `/conversations/${apiId}/messages`, { visitor, ip })).status).toBe(401);

    // Bad input: 4xx, never a 500.
    expect((await widget(token, 'POST', `/conversations/${id}/messages`, { body: { message: { type: 'text', text: '' } }, visitor, ip })).status).toBe(400);
    expect((await widget(token, 'POST', `/conversations/${id}/messages`, { body: { message: { type: 'text', text: 'x'.repeat(5000) } }, visitor, ip })).status).toBe(400);
    expect((await widget(token, 'POST', '/conversations', { body: { externalUserId: 'admin' }, ip })).status).toBe(400);
    // A malformed conversation id names nothing, like an unknown one: 404.
    expect((await widget(token, 'GET', `/conversations/not-a-conversation/messages`, { visitor, ip })).status).toBe(404);

    // A closed conversation refuses new messages with 409, and the transcript says it is closed.
    expect((await api.post(`/v1/conversations/${id}/close`)).status).toBeLessThan(300);
    await until(async () => (await widget(token, 'GET', `/conversations/${id}/messages`, { visitor, ip: newClient() })).body.conversation?.status === 'closed', 'the conversation is closed');
    const closed = await widget(token, 'POST', `/conversations/${id}/messages`, { body: { message: { type: 'text', text: 'hello?' } }, visitor, ip });
    expect(closed.status).toBe(409);
    expect(closed.body.code).toBe('conversation_closed');
  });

  it('take the visitor\'s identity only from a token signed with the website\'s secret', async () => {
    const { website, identitySecret } = await createWebsite({ identity: 'required' });
    const token = website.websiteToken;
    const ip = newClient();
    const anonymous = await widget(token, 'POST', '/conversations', { body: {}, ip });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('identity_required');

    const forged = await sign('wis_not-the-secret-at-all-but-long-enough-000', { sub: 'user-42', email: 'ada@example.com' });
    const expired = await sign(identitySecret, { sub: 'user-42' }, Math.floor(Date.now() / 1000) - 120);
    const noExpiry = await new SignJWT({ sub: 'user-42' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(identitySecret));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"user-42","exp":9999999999}').toString('base64url')}.`;
    for (const identityToken of [forged, expired, noExpiry, unsigned, 'not-a-jwt']) {
      const refused = await widget(token, 'POST', '/conversations', { body: { identityToken }, ip: newClient() });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('invalid_identity');
    }
    expect((await widget(token, 'POST', '/conversations', { body: { identityToken: expired }, ip: newClient() })).body.message).toMatch(/expired/);

    const valid = await sign(identitySecret, { sub: 'user-42', email: 'ada@example.com', name: 'Ada' });
    const started = await widget(token, 'POST', '/conversations', { body: { identityToken: valid }, ip: newClient() });
    expect(started.status).toBe(201);
    expect(started.body.identified).toBe(true);
    const seen = await api.get(`/v1/conversations/${started.body.conversation.id}`);
    expect(seen.body.conversation).toMatchObject({ externalUserId: 'user-42', contact: { email: 'ada@example.com', name: 'Ada' } });

    // Rotating the secret ends the old one.
    const rotated = await api.post(`/v1/websites/${website.id}/rotate-identity-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.identitySecret).not.toBe(identitySecret);
    expect((await widget(token, 'POST', '/conversations', { body: { identityToken: valid }, ip: newClient() })).status).toBe(401);
    const renewed = await sign(rotated.body.identitySecret, { sub: 'user-42' });
    expect((await widget(token, 'POST', '/conversations', { body: { identityToken: renewed }, ip: newClient() })).status).toBe(201);

    // `off`: identity tokens are not used at all; `optional`: anonymous or a valid token.
    const optional = await createWebsite();
    expect((await widget(optional.website.websiteToken, 'POST', '/conversations', { body: {}, ip: newClient() })).status).toBe(201);
    expect((await widget(optional.website.websiteToken, 'POST', '/conversations', { body: { identityToken: forged }, ip: newClient() })).status).toBe(401);
  });

  it('are limited per client and per website, with Retry-After', async () => {
    const { website } = await createWebsite();
    const token = website.websiteToken;
    const ip = newClient();
    // Conversations per client and hour (3 in this test's settings).
    const starts = [];
    for (let i = 0; i < 4; i++) starts.push(await widget(token, 'POST', '/conversations', { body: {}, ip }));
    expect(starts.map((s) => s.status)).toEqual([201, 201, 201, 429]);
    expect(starts[3]!.body.code).toBe('rate_limited');
    expect(Number(starts[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(starts[3]!.headers.get('access-control-expose-headers')).toContain('Retry-After');
    // Messages per client and minute (4).
    const { id } = starts[0]!.body.conversation;
    const visitor = starts[0]!.body.visitorToken;
    const sends = [];
    for (let i = 0; i < 5; i++) sends.push((await widget(token, 'POST', `/conversations/${id}/messages`, { body: { message: { type: 'text', text: `hi ${i}` } }, visitor, ip })).status);
    expect(sends).toEqual([200, 200, 200, 200, 429]);
    // Another client of the same website is not affected...
    expect((await widget(token, 'POST', '/conversations', { body: {}, ip: newClient() })).status).toBe(201);
    // ...until the website's own limit (60 a minute here, all clients together) is used up.
    const statuses: number[] = [];
    for (let i = 0; i < 55; i++) statuses.push((await widget(token, 'GET', '/config', { ip: newClient() })).status);
    // 10 requests were counted above: the 51st of these is the website's 61st this minute.
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(50).every((s) => s === 429)).toBe(true);
    // Other websites keep working.
    const other = await createWebsite();
    expect((await widget(other.website.websiteToken, 'GET', '/config', { ip: newClient() })).status).toBe(200);
  });

  it('stop working for a rotated token or a removed website', async () => {
    const { website } = await createWebsite();
    const old = website.websiteToken;
    expect((await widget(old, 'GET', '/config', { ip: newClient() })).status).toBe(200);
    const rotated = await api.post(`/v1/websites/${website.id}/rotate-token`);
    const fresh = rotated.body.website.websiteToken as string;
    expect(fresh).not.toBe(old);
    expect(rotated.body.snippet).toContain(fresh);
    expect((await widget(fresh, 'GET', '/config', { ip: newClient() })).status).toBe(200);
    await until(async () => (await widget(old, 'GET', '/config', { ip: newClient() })).status === 404, 'the old token is refused');

    // Changing the origins takes effect too.
    expect((await api.patch(`/v1/websites/${website.id}`, { origins: ['https://new.example.com'] })).status).toBe(200);
    await until(async () => (await widget(fresh, 'GET', '/config', { ip: newClient() })).status === 403, 'the old origin is refused');
    expect((await widget(fresh, 'GET', '/config', { origin: 'https://new.example.com', ip: newClient() })).status).toBe(200);

    expect((await api.delete(`/v1/websites/${website.id}`)).status).toBe(204);
    await until(async () => (await widget(fresh, 'GET', '/config', { origin: 'https://new.example.com', ip: newClient() })).status === 404, 'the removed website is refused');
  });
});

describe('the widget script and the preview page', () => {
  it('serves the widget script to any site', async () => {
    const res = await fetch(`${stack.baseUrl}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await res.text()).toContain('data-parley-website');
  });

  it('makes one-hour preview links that run the widget on the API\'s own origin only', async () => {
    const link = await api.post(`/v1/bots/${botId}/preview`);
    expect(link.status).toBe(201);
    expect(link.body.url).toMatch(new RegExp(`^${stack.baseUrl}/preview/ey`));
    expect(Date.parse(link.body.expiresAt) - Date.now()).toBeGreaterThan(55 * 60_000);
    const page = await fetch(link.body.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<title>Preview: Shop helper</title>');
    expect(html).toContain('data-parley-preview=');

    const previewToken = link.body.url.split('/preview/')[1] as string;
    const apiOrigin = new URL(stack.baseUrl).origin;
    const started = await widget(previewToken, 'POST', '/conversations', { origin: apiOrigin, body: {}, ip: newClient() });
    expect(started.status).toBe(201);
    const seen = await api.get(`/v1/conversations/${started.body.conversation.id}`);
    expect(seen.body.conversation.channel).toBe('preview');
    expect((await widget(previewToken, 'GET', `/conversations/${started.body.conversation.id}/messages`, { origin: apiOrigin, visitor: started.body.visitorToken, ip: newClient() })).status).toBe(200);
    expect((await widget(previewToken, 'POST', '/conversations', { origin: SITE, body: {}, ip: newClient() })).status).toBe(403);

    // A forged or tampered token, another account's bot, an unpublished bot.
    const tampered = `${previewToken.slice(0, -3)}abc`;
    expect((await fetch(`${stack.baseUrl}/preview/${tampered}`)).status).toBe(401);
    expect((await widget(tampered, 'GET', '/config', { origin: apiOrigin, ip: newClient() })).status).toBe(401);
    const other = await signUp(stack.baseUrl, 'Other Co');
    expect((await other.api.post(`/v1/bots/${botId}/preview`)).status).toBe(404);
    const draft = await api.post('/v1/bots', { name: 'Draft', greeting: 'hi', fallbackMessage: 'sorry' });
    const unpublished = await api.post(`/v1/bots/${draft.body.bot.id}/preview`);
    expect(unpublished.status).toBe(409);
    expect(unpublished.body.code).toBe('bot_not_published');
    // A read-only key may not make preview links (they start real conversations).
    const readOnly = await api.post('/v1/api-keys', { name: 'ro', permissions: ['read'] });
    expect(readOnly.status).toBe(201);
    const res = await fetch(`${stack.baseUrl}/v1/bots/${botId}/preview`, { method: 'POST', headers: { authorization: `Bearer ${readOnly.body.apiKey.key}` } });
    expect(res.status).toBe(403);
  });
});
