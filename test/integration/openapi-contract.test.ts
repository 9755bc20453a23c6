/**
 * The OpenAPI document says exactly what the server does, checked by a property-based tool against the
 * real stack: Schemathesis (PyPI, installed into .tools/ by scripts/lib/infra.ts) reads `/openapi.json`
 * and runs all its checks (server errors, undocumented statuses, response bodies and headers against
 * their schemas, schema-valid input refused, invalid input accepted, authentication ignored, 405 and
 * `Allow`, resources usable after creation and gone after deletion) with about 25 examples per operation,
 * then its stateful phase, which chains operations through the links it infers from the answers.
 *
 * The run gets a fresh account and its limits raised, so 429s do not drown the signal, and real data to
 * work on (a published bot with a conversation, a connection to a tenant server with an endpoint and an
 * action, a webhook endpoint on it, a knowledge item and a draft, a website with a widget conversation, a
 * preview link): Schemathesis draws path ids from it as
 * often as it makes its own up. It authenticates with a login token, not an API key: the stateful phase
 * revokes every key it finds (`DELETE /v1/api-keys/{id}` after `GET /v1/api-keys`), its own included.
 *
 * Streaming is checked for its headers only there (an event stream never ends by itself); its events are
 * checked here, against the payload schemas the document describes them with (first: Schemathesis
 * deletes what it finds, the bot it was given included).
 *
 * The report (Schemathesis's console output and a JUnit XML file) goes to .data/openapi-contract/
 * (OPENAPI_CONTRACT_REPORT_DIR to change it); OPENAPI_CONTRACT_SEED runs another seed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { ConversationEvents } from '../../api/openapi/schemas';
import { DATA_DIR, ensureSchemathesis } from '../../scripts/lib/infra';
import { http, publishedBot, startStack, type Http, type Stack } from '../harness';
import { listenTenantUrl } from '../tenant-ports';

const SEED = Number(process.env.OPENAPI_CONTRACT_SEED ?? 20261203);
const REPORT_DIR = path.resolve(process.env.OPENAPI_CONTRACT_REPORT_DIR ?? path.join(DATA_DIR, 'openapi-contract'));
const CODEC_TOKEN = `codec-${randomBytes(12).toString('hex')}`;
const SHOP = 'https://shop.example.test';
const RAISED = '1000000';

let stack: Stack;
let tenant: Server;
let api: Http;
let token: string;
const data: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack({
    payloadKeys: `p1:${randomBytes(32).toString('base64')}`,
    api: {
      RATE_LIMIT_PER_MINUTE: RAISED,
      MESSAGE_RATE_LIMIT_PER_MINUTE: RAISED,
      ACCOUNT_SIGNUPS_PER_HOUR: RAISED,
      ACCOUNT_SIGNUPS_PER_DAY_PER_EMAIL: RAISED,
      LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS: RAISED,
      LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL: RAISED,
      WIDGET_RATE_LIMIT_PER_MINUTE: RAISED,
      WIDGET_CLIENT_RATE_LIMIT_PER_MINUTE: RAISED,
      WIDGET_CLIENT_MESSAGES_PER_MINUTE: RAISED,
      WIDGET_CLIENT_CONVERSATIONS_PER_HOUR: RAISED,
      CODEC_AUTH_TOKEN: CODEC_TOKEN,
      REPLY_WAIT_MS: '5000',
    },
  });
  // A fresh account: its first key sets the data up, a login token is what Schemathesis uses.
  const email = `contract+${randomBytes(5).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const signup = await http(stack.baseUrl).post('/v1/accounts', { name: 'Contract test', email, password });
  expect(signup.status).toBe(201);
  api = http(stack.baseUrl, signup.body.apiKey.key);
  const login = await http(stack.baseUrl).post('/v1/auth/login', { email, password });
  expect(login.status).toBe(200);
  token = login.body.token;

  data.botId = await publishedBot(api);
  const conversation = await api.post('/v1/conversations', { botId: data.botId, externalUserId: 'contract-visitor', message: { type: 'text', text: 'hello' } });
  expect(conversation.status).toBe(201);
  data.conversationId = conversation.body.conversation.id;

  tenant = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: req.url?.split('/').pop(), status: 'shipped' }));
  });
  const tenantUrl = await listenTenantUrl(tenant as never);
  const connection = await api.post('/v1/connections', { name: 'Shop', baseUrl: tenantUrl, allowPrivateNetwork: true });
  expect(connection.status).toBe(201);
  data.connectionId = connection.body.connection.id;
  const endpoint = await api.post(`/v1/connections/${data.connectionId}/endpoints`, {
    name: 'Order status',
    method: 'GET',
    path: '/orders/{order_id}',
    parameters: [{ name: 'order_id', type: 'string', in: 'path', source: 'llm', description: 'the order number' }],
    responseFields: [{ name: 'status', path: '$.status' }],
  });
  expect(endpoint.status).toBe(201);
  data.endpointId = endpoint.body.endpoint.id;
  const action = await api.post('/v1/actions', { id: 'order_status', name: 'Order status', steps: [{ id: 'lookup', endpointId: data.endpointId }] });
  expect(action.status).toBe(201);
  data.actionId = 'order_status';
  const webhook = await api.post('/v1/webhooks', { url: `${tenantUrl}/hooks`, events: ['message.created'], allowPrivateNetwork: true });
  expect(webhook.status).toBe(201);
  data.webhookId = webhook.body.webhook.id;
  const item = await api.post('/v1/knowledge', { title: 'Shipping', content: 'Orders ship within two days.' });
  expect(item.status).toBe(201);
  data.knowledgeItemId = item.body.item.id;
  // A draft as an analysis by the bot's model would leave it (the API never calls a model itself).
  data.draftId = `kd_${randomBytes(12).toString('hex')}000`;
  const now = new Date();
  await stack.deps.KnowledgeDraft.create({ _id: data.draftId, accountId: signup.body.account.id, botId: data.botId, conversationId: data.conversationId, analysisId: `ka_${randomBytes(12).toString('hex')}`, index: 0, question: 'How fast do orders ship?', answer: 'Within two days.', status: 'draft', itemId: null, createdAt: now, updatedAt: now });

  // Two websites: one whose id the run may change, rotate or delete, and the widget's own, on a bot of its
  // own, whose token and conversation the widget routes draw from.
  const website = await api.post('/v1/websites', { botId: data.botId, name: 'Shop', origins: [SHOP] });
  expect(website.status).toBe(201);
  data.websiteId = website.body.website.id;
  const widgetSite = await api.post('/v1/websites', { botId: await publishedBot(api), name: 'Widget', origins: [SHOP] });
  expect(widgetSite.status).toBe(201);
  data.websiteToken = widgetSite.body.website.websiteToken;
  const widget = await fetch(`${stack.baseUrl}/widget/v1/${data.websiteToken}/conversations`, { method: 'POST', headers: { origin: SHOP, 'content-type': 'application/json' }, body: '{}' });
  expect(widget.status).toBe(201);
  const started = (await widget.json()) as { conversation: { id: string }; visitorToken: string };
  data.widgetConversationId = started.conversation.id;
  data.visitorToken = started.visitorToken;
  const preview = await api.post(`/v1/bots/${data.botId}/preview`);
  expect(preview.status).toBe(201);
  data.previewToken = String(preview.body.url).split('/preview/')[1]!;
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => (tenant ? tenant.close(resolve) : resolve(undefined)));
});

/** Schemathesis's configuration: credentials, the data to draw ids from, and what each operation is checked for. */
function config(): string {
  const q = (value: string): string => JSON.stringify(value);
  const pick = (dictionary: string, probability = 0.5): string => `{ dictionary = ${q(dictionary)}, probability = ${probability} }`;
  return `
# Written by test/integration/openapi-contract.test.ts for one run.
request-timeout = 30

[auth.openapi.apiKey]
bearer = "\${PARLEY_CONTRACT_TOKEN}"
[auth.openapi.codecToken]
bearer = "\${PARLEY_CONTRACT_CODEC_TOKEN}"

[dictionaries]
bots = { values = [${q(data.botId!)}] }
conversations = { values = [${q(data.conversationId!)}] }
connections = { values = [${q(data.connectionId!)}] }
endpoints = { values = [${q(data.endpointId!)}] }
actions = { values = [${q(data.actionId!)}] }
knowledge = { values = [${q(data.knowledgeItemId!)}] }
websites = { values = [${q(data.websiteId!)}] }
widgetTokens = { values = [${q(data.websiteToken!)}] }
widgetConversations = { values = [${q(data.widgetConversationId!)}] }
previewTokens = { values = [${q(data.previewToken!)}] }
drafts = { values = [${q(data.draftId!)}] }
webhooks = { values = [${q(data.webhookId!)}] }

[[operations]]
include-path-regex = "^/v1/bots/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('bots')} }

[[operations]]
include-path-regex = "^/v1/conversations/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('conversations')} }

[[operations]]
include-path-regex = "^/v1/connections/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('connections')}, "path.eid" = ${pick('endpoints')} }

[[operations]]
include-path-regex = "^/v1/actions/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('actions')} }

[[operations]]
include-path-regex = "^/v1/knowledge/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('knowledge')} }

[[operations]]
include-path-regex = "^/v1/knowledge/drafts/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('drafts')} }

[[operations]]
include-path = "/v1/knowledge/analyze"
parameters = { "body.conversationId" = ${pick('conversations')} }

[[operations]]
include-path-regex = "^/v1/webhooks/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('webhooks')} }

[[operations]]
include-path-regex = "^/v1/websites/\\\\{id\\\\}"
parameters = { "path.id" = ${pick('websites')} }

# The widget: from the website's origin, with the visitor token of its conversation.
[[operations]]
include-path-regex = "^/widget/v1/"
headers = { Origin = ${q(SHOP)}, Authorization = ${q(`Bearer ${data.visitorToken}`)} }
parameters = { "path.token" = ${pick('widgetTokens', 0.8)}, "path.id" = ${pick('widgetConversations', 0.8)} }

[[operations]]
include-path = "/preview/{token}"
parameters = { "path.token" = ${pick('previewTokens')} }

# An event stream never ends by itself: headers only here (the test file checks its events), read briefly.
[[operations]]
include-path = "/v1/conversations/{id}/events"
request-timeout = 2
max-stream-events = 1
checks.response_schema_conformance.enabled = false

# Schema-valid bodies these routes refuse with a 400 for what no JSON Schema can state: references to the
# account's other resources (an action's endpoints, an AI tool's action, a flow's blocks), the outbound
# network policy on a URL, a body id that must be the path's; a transcript cursor that names no message of
# the conversation (400 invalid_cursor); an Idempotency-Key header that differs from clientMessageId (400)
# or is reused with another body (422); a pasted cURL command that is not one curl command on the
# connection's origin (400 invalid_curl, origin_mismatch); an OpenAPI document that is not valid, or a URL that
# cannot be fetched (400 invalid_document, document_unreachable, ...). Each is documented with its code in the document.
# An SLA policy's opening intervals must each start before they end (from < to): inbox and bot handoff settings.
[[operations]]
include-operation-id = ["postConnections", "patchConnectionsById", "postConnectionsByIdEndpoints", "postConnectionsByIdEndpointsFromCurl", "postConnectionsImport", "postConnectionsByIdImport", "patchConnectionsByIdEndpointsByEid", "postActions", "putActionsById", "putBotsByIdFlows", "putBotsByIdAi", "postWebhooks", "putInboxSettings", "putBotsByIdHandoff", "patchWebhooksById", "getConversationsByIdMessages", "getWidgetByTokenConversationsByIdMessages"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
include-operation-id = "postConversations"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]

# A long-running call's callback: a schema-valid token that no worker signed names no callback (404), and
# a signed one is refused when expired (410), used (409), not final (422) or its run is gone (410).
[[operations]]
include-operation-id = "postCallbacksByToken"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404", "409", "410", "422", "429"]
`;
}

/** Runs the Schemathesis CLI (asynchronously: the API under test answers from this process). */
async function schemathesis(configFile: string): Promise<{ code: number | null; output: string }> {
  const cli = ensureSchemathesis();
  const args = [
    ...cli.args,
    '--config-file',
    configFile,
    'run',
    `${stack.baseUrl}/openapi.json`,
    '--max-examples',
    '25',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--seed',
    String(SEED),
    // One worker: Python 3.11.7's ast module is not thread-safe, and Hypothesis's strategies for free-form
    // JSON crash on it now and then with two ("AST constructor recursion depth mismatch").
    '--workers',
    '1',
    '--report',
    'junit',
    '--report-dir',
    REPORT_DIR,
    '--no-color',
  ];
  const child = spawn(cli.command, args, {
    cwd: REPORT_DIR,
    env: { ...process.env, ...cli.env, PARLEY_CONTRACT_TOKEN: token, PARLEY_CONTRACT_CODEC_TOKEN: CODEC_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, output };
}

describe('the event stream', () => {
  interface Event {
    id: string;
    event: string;
    data: string;
  }

  /** Reads a conversation's stream until `count` events came, then hangs up. */
  async function readEvents(conversationId: string, count: number): Promise<{ headers: Headers; events: Event[] }> {
    const controller = new AbortController();
    const res = await fetch(`${stack.baseUrl}/v1/conversations/${conversationId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    const events: Event[] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const deadline = Date.now() + 10_000;
    while (events.length < count && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
        if (fields.data !== undefined) events.push(fields as unknown as Event);
      }
    }
    controller.abort();
    return { headers: res.headers, events };
  }

  it('answers text/event-stream with the documented headers, and each event as the document describes it', async () => {
    const botId = await publishedBot(api);
    const conversation = await api.post('/v1/conversations', { botId, externalUserId: 'stream-visitor', message: { type: 'text', text: 'hi' } });
    expect(conversation.status).toBe(201);
    const id = conversation.body.conversation.id as string;
    expect((await api.post(`/v1/conversations/${id}/close`)).status).toBe(202);
    // started, the visitor's message, the greeting and the fallback reply, closed.
    const { headers, events } = await readEvents(id, 5);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(headers.get('cache-control')).toBe('no-cache, no-transform');
    for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) expect(headers.get(name)).toMatch(/^[0-9]+$/);
    expect(events[0]!.event).toBe('conversation.started');
    expect(events.at(-1)!.event).toBe('conversation.closed');
    expect(events.filter((e) => e.event === 'message.created')).toHaveLength(3);
    for (const event of events) {
      expect(event.id).toMatch(/^[0-9]+$/);
      const schema = ConversationEvents[event.event as keyof typeof ConversationEvents];
      expect(schema).toBeDefined();
      // Parsing strips any field the schema lacks, at any depth: equal means every field is described.
      const payload = JSON.parse(event.data);
      const parsed = schema.safeParse(payload);
      expect([event.event, parsed.success ? 'ok' : parsed.error.message]).toEqual([event.event, 'ok']);
      expect(parsed.data).toEqual(payload);
    }
  });
});

describe('the OpenAPI document against the real server', () => {
  it('passes every Schemathesis check, with about 25 examples per operation and the stateful phase', async () => {
    fs.rmSync(REPORT_DIR, { recursive: true, force: true });
    fs.mkdirSync(REPORT_DIR, { recursive: true });
    const configFile = path.join(REPORT_DIR, 'schemathesis.toml');
    fs.writeFileSync(configFile, config());
    // Every operation the configuration names exists, so none of its settings is silently lost.
    const doc = (await http(stack.baseUrl).get('/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string }>> };
    const ids = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId)));
    const named = [...config().matchAll(/include-operation-id = (\[[^\]]*\]|"[^"]*")/g)].flatMap((m) => JSON.parse(m[1]!.startsWith('[') ? m[1]! : `[${m[1]}]`) as string[]);
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
    expect(named.length).toBeGreaterThan(10);
    const started = Date.now();
    const { code, output } = await schemathesis(configFile);
    fs.writeFileSync(path.join(REPORT_DIR, 'output.txt'), output);
    const summary = output.slice(output.lastIndexOf('SUMMARY'));
    // One line, not Schemathesis' summary: its pytest-style closing line ("== 2 warnings in 182.70s ==")
    // in the test run's output reads to CI as a pytest run that executed no test.
    const cases = /Test cases:\s+([^\n]+)/.exec(summary)?.[1]?.trim() ?? 'no count';
    process.stderr.write(`\n[openapi-contract] Schemathesis exited ${code} after ${((Date.now() - started) / 1000).toFixed(0)} s: ${cases} (seed ${SEED}; full report in ${REPORT_DIR}/output.txt)\n`);
    if (code !== 0) {
      // The failures section names each operation, the check, the answer and a curl to reproduce it.
      const failures = output.includes('FAILURES') ? output.slice(output.indexOf('FAILURES'), output.lastIndexOf('SUMMARY')) : output.slice(-20_000);
      throw new Error(`Schemathesis found failures (exit ${code}); full report in ${REPORT_DIR}\n\n${failures.slice(0, 60_000)}\n${summary}`);
    }
    // A run that tested nothing would pass too: it must have tested every operation it selected.
    const operations = /Selected: (\d+)\/(\d+)\s+Tested: (\d+)/.exec(output);
    expect(operations?.[3]).toBe(operations?.[1]);
  }, 900_000);
});
