/**
 * What the data-growth bench (scripts/bench/data-growth.ts) measures for one tenant, through the real
 * HTTP API: the tenant's objects (set up through the API too, so each answer's payload is the same at
 * every level) and one operation per row of the table.
 *
 * Every page is read with a fixed `limit`, and what it lists is made by the run itself and is the
 * tenant's newest: 45 conversations for the conversation lists, 20 webhook test deliveries, at least 20
 * call logs of the call-turn scenario's endpoint. So a row compares the same answer at every level, and
 * only what the store must get through to find it grows.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setUpApiCallScenario, type ApiCallScenario } from './api-call';
import { listenTenantUrl } from '../../test/tenant-ports';
import { LIMITS } from '../../models/limits';

/** The website origin the widget calls come from. */
const ORIGIN = 'https://shop.example.com';
const PAGE = 20;
const LIST_CONVERSATIONS = 45;
const TEST_DELIVERIES = 20;
const KNOWLEDGE_ITEMS = 20;
const TURN_CONVERSATION_TURNS = 12;

export interface TenantAccess {
  /** `Authorization` and content type. */
  headers: Record<string, string>;
  /** The published bot the tenant's conversations talk to (and, for the big tenant, its stored ones). */
  botId: string;
  /** The webhook endpoint deliveries are listed for (the big tenant's has its stored deliveries). */
  webhookId: string;
}

/** One measured operation: resolves with its own duration when only part of it is timed. */
export interface Op {
  name: string;
  run(): Promise<number | void>;
}

async function json(res: Response, what: string): Promise<any> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Signs up an account through the API and gives it a published bot (no inactivity close during a run) and a webhook endpoint. */
export async function signUpTenant(base: string, name: string, webhookUrl: string): Promise<TenantAccess & { accountId: string; apiKey: string }> {
  const signup = await json(
    await fetch(`${base}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, email: `${name.toLowerCase().replace(/\W+/g, '-')}-${randomUUID().slice(0, 8)}@example.com`, password: 'bench-password-123' }) }),
    'sign-up',
  );
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${signup.apiKey.key}` };
  const post = async (path: string, body: unknown): Promise<any> => json(await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }), `POST ${path}`);
  const bot = await post('/v1/bots', { name: `${name} bot`, inactivityTimeoutSeconds: LIMITS.inactivityTimeoutMax });
  await post(`/v1/bots/${bot.bot.id}/publish`, {});
  const webhook = await post('/v1/webhooks', { url: webhookUrl, events: ['conversation.closed', 'conversation.handoff'], allowPrivateNetwork: true });
  return { accountId: signup.account.id, apiKey: signup.apiKey.key, headers, botId: bot.bot.id, webhookId: webhook.webhook.id };
}

/** A webhook receiver on a tenant port: answers every delivery 204. */
export async function startReceiver(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  const base = await listenTenantUrl(server);
  return {
    url: `${base}/hooks`,
    received: () => received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface TenantScenario {
  ops: Op[];
  close(): Promise<void>;
}

/**
 * Sets up what the operations read (through the API) and answers them in measuring order: writes first
 * (starts, turns, call turns), then reads of what they wrote.
 */
export async function setUpTenantScenario(base: string, tenant: TenantAccess, receiverUrl: string): Promise<TenantScenario> {
  const { headers, botId } = tenant;
  const get = async (path: string, extra: Record<string, string> = {}): Promise<any> => json(await fetch(`${base}${path}`, { headers: { ...headers, ...extra } }), `GET ${path}`);
  const send = async (method: string, path: string, body: unknown, extra: Record<string, string> = {}): Promise<any> =>
    json(await fetch(`${base}${path}`, { method, headers: { ...headers, ...extra }, body: JSON.stringify(body) }), `${method} ${path}`);

  // The webhook delivers to this run's receiver (the big tenant's was made when its data was loaded).
  await send('PATCH', `/v1/webhooks/${tenant.webhookId}`, { url: receiverUrl });
  for (let k = 0; k < KNOWLEDGE_ITEMS; k++) {
    const topic = ['parking', 'opening hours', 'refunds', 'delivery', 'prices'][k % 5]!;
    await send('POST', '/v1/knowledge', { title: `About ${topic} (${k + 1})`, content: `What customers ask about ${topic}. `.repeat(8), category: 'faq', tags: [topic.split(' ')[0]!] });
  }
  let counter = 0;
  for (let i = 0; i < LIST_CONVERSATIONS; i++) await send('POST', '/v1/conversations', { botId, externalUserId: `growth-list-${i}` });
  const turnConversation = (await send('POST', '/v1/conversations', { botId, externalUserId: 'growth-turns', message: { type: 'text', text: 'hello' } })).conversation.id as string;
  for (let i = 0; i < TURN_CONVERSATION_TURNS; i++) await send('POST', `/v1/conversations/${turnConversation}/messages`, { message: { type: 'text', text: `setting up ${i}` } });

  // The widget: a website bound to the bot, a visitor's conversation with a few messages.
  const website = await send('POST', '/v1/websites', { botId, name: 'Growth shop', origins: [ORIGIN] });
  const widgetBase = `${base}/widget/v1/${website.website.websiteToken}`;
  const widgetHeaders = { 'content-type': 'application/json', origin: ORIGIN };
  const visitor = await json(await fetch(`${widgetBase}/conversations`, { method: 'POST', headers: widgetHeaders, body: '{}' }), 'widget start');
  const widgetConversation = visitor.conversation.id as string;
  const visitorHeaders = { ...widgetHeaders, authorization: `Bearer ${visitor.visitorToken}` };
  let lastWidgetMessage = '';
  for (let i = 0; i < 3; i++) {
    const turn = await json(await fetch(`${widgetBase}/conversations/${widgetConversation}/messages`, { method: 'POST', headers: visitorHeaders, body: JSON.stringify({ message: { type: 'text', text: `widget question ${i}` } }) }), 'widget message');
    lastWidgetMessage = turn.replies.at(-1).id;
  }

  // Deliveries: test events through the real delivery workflow, to the receiver.
  for (let i = 0; i < TEST_DELIVERIES; i++) await send('POST', `/v1/webhooks/${tenant.webhookId}/test`, {});

  // The connector scenario of the main bench: its demo API, connection, endpoint, action `check` and bot.
  const calls: ApiCallScenario = await setUpApiCallScenario({ base, headers, callers: 1 });
  let callTurns = 1; // its own check made one

  const startBody = (): string => JSON.stringify({ botId, externalUserId: `growth-start-${counter++}`, message: { type: 'text', text: 'hello' } });
  const expectStatus = async (res: Response, status: number, what: string): Promise<void> => {
    if (res.status !== status) throw new Error(`${what} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    await res.arrayBuffer();
  };

  // Read operations read the state the writes left; filled in once they have run.
  const state = { afterMessage: '', nextAfter: '', callEndpoint: '', lastPosition: 0 };
  const prepareReads = async (): Promise<void> => {
    // At least a page of call logs on the scenario's endpoint.
    while (callTurns < PAGE + 1) {
      await calls.phase(() => calls.callTurnOp(0));
      callTurns++;
    }
    const transcript = await get(`/v1/conversations/${turnConversation}/messages?limit=5`);
    state.afterMessage = transcript.data[4].id;
    const newest = await get(`/v1/conversations?limit=${PAGE}`);
    if (!newest.nextAfter) throw new Error('expected a second page of conversations');
    state.nextAfter = newest.nextAfter;
    state.callEndpoint = (await get('/v1/logs?limit=1')).data[0].endpointId;
    const conversation = await get(`/v1/conversations/${turnConversation}`);
    // Each message at transcript position seq is the event at (seq + 1) * 100 (activities/events.ts).
    state.lastPosition = conversation.conversation.messageCount * 100;
  };

  const getOk = async (path: string, extra: Record<string, string> = {}): Promise<void> => expectStatus(await fetch(`${base}${path}`, { headers: { ...headers, ...extra } }), 200, `GET ${path}`);

  let prepared = false;
  const reading = (fn: () => Promise<number | void>) => async (): Promise<number | void> => {
    if (!prepared) {
      await prepareReads();
      prepared = true;
    }
    return fn();
  };

  const ops: Op[] = [
    { name: 'start + 1st message', run: async () => expectStatus(await fetch(`${base}/v1/conversations`, { method: 'POST', headers, body: startBody() }), 201, 'start') },
    {
      name: 'start + 1st message, Idempotency-Key',
      run: async () => expectStatus(await fetch(`${base}/v1/conversations`, { method: 'POST', headers: { ...headers, 'idempotency-key': randomUUID() }, body: startBody() }), 201, 'start with a key'),
    },
    { name: 'turn', run: async () => expectStatus(await fetch(`${base}/v1/conversations/${turnConversation}/messages`, { method: 'POST', headers, body: JSON.stringify({ message: { type: 'text', text: `message ${counter++}` } }) }), 200, 'turn') },
    {
      name: 'turn, clientMessageId',
      run: async () =>
        expectStatus(await fetch(`${base}/v1/conversations/${turnConversation}/messages`, { method: 'POST', headers, body: JSON.stringify({ clientMessageId: randomUUID(), message: { type: 'text', text: `message ${counter++}` } }) }), 200, 'turn with a clientMessageId'),
    },
    {
      name: 'turn + 1 API call',
      run: async () => {
        await calls.phase(() => calls.callTurnOp(0));
        callTurns++;
      },
    },
    { name: 'transcript, first page', run: reading(() => getOk(`/v1/conversations/${turnConversation}/messages?limit=5`)) },
    { name: 'transcript, after= page', run: reading(() => getOk(`/v1/conversations/${turnConversation}/messages?limit=5&after=${state.afterMessage}`)) },
    {
      name: 'widget poll',
      run: reading(async () =>
        expectStatus(await fetch(`${widgetBase}/conversations/${widgetConversation}/messages?limit=100&after=${encodeURIComponent(lastWidgetMessage)}`, { headers: { origin: ORIGIN, authorization: visitorHeaders.authorization } }), 200, 'widget poll'),
      ),
    },
    { name: 'SSE catch-up (Last-Event-ID)', run: reading(() => catchUp(`${base}/v1/conversations/${turnConversation}/events`, headers, state.lastPosition - 1000, state.lastPosition)) },
    { name: 'GET conversation', run: reading(() => getOk(`/v1/conversations/${turnConversation}`)) },
    { name: 'list conversations, newest page', run: reading(() => getOk(`/v1/conversations?limit=${PAGE}`)) },
    { name: 'list conversations by bot', run: reading(() => getOk(`/v1/conversations?botId=${botId}&limit=${PAGE}`)) },
    { name: 'list conversations by status', run: reading(() => getOk(`/v1/conversations?status=active&limit=${PAGE}`)) },
    { name: 'list conversations, next page', run: reading(() => getOk(`/v1/conversations?limit=${PAGE}&after=${state.nextAfter}`)) },
    { name: 'call logs by endpoint', run: reading(() => getOk(`/v1/logs?endpointId=${state.callEndpoint}&limit=${PAGE}`)) },
    { name: 'call logs, newest page', run: reading(() => getOk(`/v1/logs?limit=${PAGE}`)) },
    { name: 'webhook deliveries', run: reading(() => getOk(`/v1/webhooks/${tenant.webhookId}/deliveries?limit=${PAGE}`)) },
    { name: 'knowledge search', run: reading(() => getOk('/v1/knowledge/search?q=parking')) },
    {
      name: 'new API key (auth cache miss)',
      run: reading(async () => {
        const created = await send('POST', '/v1/api-keys', { name: `growth ${counter++}` });
        const t0 = performance.now();
        await expectStatus(await fetch(`${base}/v1/conversations/${turnConversation}`, { headers: { authorization: `Bearer ${created.apiKey.key}` } }), 200, 'GET with a new key');
        return performance.now() - t0;
      }),
    },
  ];
  return { ops, close: () => calls.close() };
}

/**
 * Opens the conversation's event stream after position `from` (`Last-Event-ID`) and answers how long
 * it took until the event at position `last` arrived; then hangs up.
 */
async function catchUp(url: string, headers: Record<string, string>, from: number, last: number): Promise<number> {
  const controller = new AbortController();
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: headers.authorization!, 'last-event-id': String(from) }, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`event stream answered ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const wanted = `id: ${last}\n`;
  try {
    while (!text.includes(wanted)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the event stream ended before event ${last}`);
      text += decoder.decode(value, { stream: true });
    }
    return performance.now() - t0;
  } finally {
    controller.abort();
    await reader.cancel().catch(() => undefined);
  }
}
