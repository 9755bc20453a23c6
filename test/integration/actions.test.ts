/**
 * API actions end to end, through the HTTP API on the real stack, against the demo booking API served on
 * 127.0.0.1: a guided flow that checks availability and books; a chain that logs in and passes the token;
 * compensation when a later step fails; Run Test and Test Connection; secrets absent from workflow
 * histories; and a worker SIGKILLed while the booking call is in flight: exactly one booking, and the
 * visitor gets the confirmation.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDemoApi, type DemoApiState } from '../../scripts/demo-api/app';
import { eventually, signUp, sleep, startStack, type Http, type Stack, publishedFlowBot, workflowHistoryText } from '../harness';
import { createServer } from 'node:http';
import { closedTenantPort, listenTenant, listenTenantUrl } from '../tenant-ports';

const TOKEN = 'tenant-secret-token-4b1d';

let stack: Stack;
let api: Http;
let demo: DemoApiState;
let demoServer: Server;
let connectionId: string;
const endpoints: Record<string, string> = {};

async function create(path: string, body: unknown): Promise<any> {
  const res = await api.post(path, body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  const demoApi = createDemoApi({ token: TOKEN });
  demo = demoApi.state;
  demoServer = createServer(demoApi.app);
  const base = await listenTenantUrl(demoServer);

  stack = await startStack({ withoutWorker: true, api: { REPLY_WAIT_MS: '2000' } });
  ({ api } = await signUp(stack.baseUrl));
  connectionId = (await create('/v1/connections', { name: 'Demo bookings', baseUrl: base, auth: { type: 'bearer', token: TOKEN }, allowPrivateNetwork: true })).connection.id;
  const endpoint = async (key: string, body: unknown) => (endpoints[key] = (await create(`/v1/connections/${connectionId}/endpoints`, body)).endpoint.id);
  await endpoint('availability', {
    name: 'Availability',
    method: 'GET',
    path: '/availability',
    parameters: [{ name: 'date', type: 'date', in: 'query', description: 'Day to check' }],
    responseFields: [
      { name: 'first_slot', path: '$.first_slot' },
      { name: 'available', path: '$.available' },
    ],
  });
  await endpoint('book', {
    name: 'Create booking',
    method: 'POST',
    path: '/bookings',
    sideEffects: true,
    parameters: ['name', 'email', 'date', 'time'].map((name) => ({ name, type: name === 'email' ? 'email' : name === 'date' ? 'date' : 'string', in: 'body' })),
    responseFields: [
      { name: 'booking_id', path: '$.id' },
      { name: 'status', path: '$.status' },
    ],
  });
  await endpoint('cancel', { name: 'Cancel booking', method: 'DELETE', path: '/bookings/{booking_id}', sideEffects: true, parameters: [{ name: 'booking_id', type: 'string', in: 'path' }] });
  await endpoint('order', {
    name: 'Order status',
    method: 'GET',
    path: '/orders/{order_id}',
    parameters: [
      { name: 'order_id', type: 'string', in: 'path' },
      { name: 'email', type: 'email', in: 'query' },
    ],
    responseFields: [{ name: 'order_status', path: '$.status' }],
    validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: 'That email does not match the order.' }],
  });
  await endpoint('login', {
    name: 'Log in',
    method: 'POST',
    path: '/auth/token',
    parameters: [
      { name: 'username', type: 'string', in: 'body', source: 'constant', constant: 'demo' },
      { name: 'password', type: 'string', in: 'body', source: 'constant', constant: 'demo-password' },
    ],
    responseFields: [{ name: 'token', path: 'access_token' }],
  });
  await endpoint('me', { name: 'Profile', method: 'GET', path: '/me', parameters: [{ name: 'x-session', type: 'string', in: 'header' }], responseFields: [{ name: 'plan', path: 'plan' }] });

  await create('/v1/actions', { id: 'check_availability', name: 'Check availability', steps: [{ id: 'check', endpointId: endpoints.availability }] });
  await create('/v1/actions', { id: 'book', name: 'Book', steps: [{ id: 'book', endpointId: endpoints.book }] });
  await create('/v1/actions', { id: 'order_status', name: 'Order status', steps: [{ id: 'order', endpointId: endpoints.order }] });
  await create('/v1/actions', {
    id: 'profile',
    name: 'Log in, then read the profile',
    steps: [
      // Constant parameters are the endpoint's own: a caller's values for them are ignored (provenance).
      { id: 'login', endpointId: endpoints.login, inputs: { username: { from: 'constant', value: 'mallory' }, password: { from: 'constant', value: 'guess' } } },
      { id: 'me', endpointId: endpoints.me, inputs: { 'x-session': { from: 'step', step: 'login', field: 'token' } } },
    ],
  });
  await create('/v1/actions', {
    id: 'book_then_check_order',
    name: 'Book, then a step that fails',
    steps: [
      { id: 'book', endpointId: endpoints.book, compensation: { endpointId: endpoints.cancel, inputs: { booking_id: { from: 'step', step: 'book', field: 'booking_id' } } } },
      { id: 'order', endpointId: endpoints.order, inputs: { order_id: { from: 'constant', value: '9999' } } },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => demoServer?.close(r));
});

const bookingFlow = (action = 'book') => ({
  flows: [
    {
      id: 'booking',
      name: 'Booking',
      trigger: { keywords: ['book'] },
      startBlockId: 'name',
      blocks: [
        { id: 'name', type: 'ask', question: 'Name?', variable: 'name', answer: { type: 'text' }, next: 'date' },
        { id: 'date', type: 'ask', question: 'Day?', variable: 'date', answer: { type: 'date', allowPast: false }, next: 'check' },
        { id: 'check', type: 'api_call', action: 'check_availability', inputs: { date: '{{date}}' }, outputs: { time: 'first_slot' }, next: 'email', onFailure: 'sorry' },
        { id: 'email', type: 'ask', question: 'First free slot is {{time}}. Email?', variable: 'email', answer: { type: 'email' }, next: 'confirm' },
        { id: 'confirm', type: 'ask', question: 'Book {{date}} {{time}}?', variable: 'ok', answer: { type: 'yes_no' }, next: 'book' },
        { id: 'book', type: 'api_call', action, inputs: { name: '{{name}}', email: '{{email}}', date: '{{date}}', time: '{{time}}' }, outputs: { booking_id: 'booking_id' }, next: 'done', onFailure: 'sorry' },
        { id: 'done', type: 'end', text: 'Booked: {{booking_id}}' },
        { id: 'sorry', type: 'end', text: 'Could not book: {{last_error}}' },
      ],
    },
  ],
});

const flowBot = (flows: unknown): Promise<string> => publishedFlowBot(api, flows);

async function say(id: string, text: string, clientMessageId = `${id}-${text.replace(/[^A-Za-z0-9._:-]/g, '_')}`): Promise<string[]> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text }, clientMessageId });
    if (res.status === 200) return res.body.replies.map((r: { text: string }) => r.text);
    if (res.status !== 202) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    await sleep(500);
  }
  throw new Error('never answered');
}

const historyText = (workflowId: string): Promise<string> => workflowHistoryText(stack.temporal, workflowId);

describe('API actions in a conversation', () => {
  beforeAll(() => stack.startWorker());

  it('checks availability and books through the tenant API, with an Idempotency-Key', async () => {
    const botId = await flowBot(bookingFlow());
    const { body } = await api.post('/v1/conversations', { botId, externalUserId: 'book-1' });
    const id = body.conversation.id;
    expect(await say(id, 'I want to book')).toEqual(['Name?']);
    expect(await say(id, 'Ada')).toEqual(['Day?']);
    expect(await say(id, '2099-06-01')).toEqual(['First free slot is 09:00. Email?']);
    await say(id, 'ada@example.com');
    const before = demo.bookings.length;
    const [done] = await say(id, 'yes');
    expect(done).toMatch(/^Booked: BK-[0-9A-F]{6}$/);
    expect(demo.bookings.length).toBe(before + 1);
    expect(demo.bookings.at(-1)).toMatchObject({ name: 'Ada', email: 'ada@example.com', date: '2099-06-01', time: '09:00' });
    const post = demo.requests.filter((r) => r.method === 'POST' && r.path === '/bookings').at(-1)!;
    expect(post.idempotencyKey).toMatch(/action/);
    expect(demo.requests.filter((r) => r.method === 'GET').every((r) => r.idempotencyKey === undefined)).toBe(true);

    // Every call is logged, secrets masked, tied to the conversation.
    const logs = await api.get(`/v1/logs?conversationId=${id}`);
    expect(logs.body.data.length).toBe(2);
    expect(JSON.stringify(logs.body)).not.toContain(TOKEN);
    // Nothing secret in the conversation's workflow history nor in its action runs.
    const runs = [`conversation-${id}`, ...(await listChildren(id))];
    expect(runs.length).toBe(3);
    for (const run of runs) expect(await historyText(run)).not.toContain(TOKEN);
  });

  it('withholds data that fails response validation and says the rule message', async () => {
    const botId = await flowBot({
      flows: [
        {
          id: 'order',
          name: 'Order status',
          trigger: { keywords: ['order'] },
          startBlockId: 'id',
          blocks: [
            { id: 'id', type: 'ask', question: 'Order number?', variable: 'order_id', answer: { type: 'text' }, next: 'email' },
            { id: 'email', type: 'ask', question: 'Billing email?', variable: 'email', answer: { type: 'email' }, skipIfKnown: false, next: 'call' },
            { id: 'call', type: 'api_call', action: 'order_status', inputs: { order_id: '{{order_id}}', email: '{{email}}' }, outputs: { status: 'order_status' }, next: 'ok', onFailure: 'ko' },
            { id: 'ok', type: 'end', text: 'Your order is {{status}}.' },
            { id: 'ko', type: 'end', text: '{{last_error}}' },
          ],
        },
      ],
    });
    const start = async () => (await api.post('/v1/conversations', { botId, externalUserId: 'o' })).body.conversation.id as string;
    const good = await start();
    await say(good, 'order status');
    await say(good, '1001');
    expect(await say(good, 'ADA@example.com')).toEqual(['Your order is processing.']);
    const bad = await start();
    await say(bad, 'order status');
    await say(bad, '1001');
    expect(await say(bad, 'mallory@example.com')).toEqual(['That email does not match the order.']);

    // Look-alikes of the owner's address (ada@example.com) are refused before any call: a fullwidth
    // letter, a Cyrillic "а", a zero-width space, a Kelvin sign in the domain. No order data is shown.
    const ordersBefore = demo.requests.filter((r) => r.path === '/orders/1001').length;
    for (const spoof of ['\uFF41da@example.com', '\u0430da@example.com', 'ada@exa\u200Bmple.com', 'ada@\u212Aexample.com']) {
      const conv = await start();
      await say(conv, 'order status');
      await say(conv, '1001');
      const replies = await say(conv, spoof);
      expect(replies.join(' ')).not.toContain('processing');
      expect(replies[0]).toMatch(/doesn't look like an email address/);
    }
    expect(demo.requests.filter((r) => r.path === '/orders/1001').length).toBe(ordersBefore);
    // Run Test with a look-alike never sends it either.
    const test = await api.post(`/v1/connections/${connectionId}/endpoints/${endpoints.order}/test`, { values: { order_id: '1001', email: '\u0430da@example.com' } });
    expect(test.body.result).toMatchObject({ ok: false, code: 'invalid_value' });
    expect(JSON.stringify(test.body)).not.toContain('processing');
  });

  it('runs a chain that logs in and passes the token to the protected call', async () => {
    const botId = await flowBot({
      flows: [
        {
          id: 'plan',
          name: 'Plan',
          trigger: { keywords: ['plan'] },
          startBlockId: 'call',
          blocks: [
            { id: 'call', type: 'api_call', action: 'profile', outputs: { plan: 'plan' }, next: 'ok', onFailure: 'ko' },
            { id: 'ok', type: 'end', text: 'You are on {{plan}}.' },
            { id: 'ko', type: 'end', text: 'Failed: {{last_error}}' },
          ],
        },
      ],
    });
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'p' })).body.conversation.id;
    expect(await say(id, 'which plan am I on?')).toEqual(['You are on pro.']);
    const me = demo.requests.filter((r) => r.path === '/me').at(-1);
    expect(me).toBeDefined();
  });

  it('compensates earlier steps in reverse when a later step fails', async () => {
    const botId = await flowBot(bookingFlow('book_then_check_order'));
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'comp' })).body.conversation.id;
    await say(id, 'book');
    await say(id, 'Grace');
    await say(id, '2099-07-01');
    await say(id, 'grace@example.com');
    const before = demo.bookings.length;
    const [reply] = await say(id, 'yes');
    expect(reply).toMatch(/^Could not book: /);
    // The booking made by step 1 was cancelled by its compensation.
    expect(demo.bookings.length).toBe(before);
    expect(demo.requests.filter((r) => r.method === 'DELETE').length).toBeGreaterThan(0);
  });
});

describe('parameter provenance', () => {
  beforeAll(() => stack.startWorker());

  it("fills a contact parameter from the conversation's contact, not from what the flow passes", async () => {
    const ep = await create(`/v1/connections/${connectionId}/endpoints`, {
      name: 'Order status (verified contact)',
      method: 'GET',
      path: '/orders/{order_id}',
      parameters: [
        { name: 'order_id', type: 'string', in: 'path' },
        { name: 'email', type: 'email', in: 'query', source: 'contact', contactField: 'email' },
      ],
      responseFields: [{ name: 'order_status', path: '$.status' }],
      validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: 'Not your order.' }],
    });
    await create('/v1/actions', { id: 'my_order', name: 'My order', steps: [{ id: 'o', endpointId: ep.endpoint.id }] });
    const botId = await flowBot({
      flows: [{ id: 'mine', name: 'Mine', trigger: { keywords: ['mine'] }, startBlockId: 'call', blocks: [
        // The flow tries to pass the order's real billing email: ignored, the contact's is used.
        { id: 'call', type: 'api_call', action: 'my_order', inputs: { order_id: '1001', email: 'ada@example.com' }, outputs: { s: 'order_status' }, next: 'ok', onFailure: 'ko' },
        { id: 'ok', type: 'end', text: 'Order {{s}}' },
        { id: 'ko', type: 'end', text: '{{last_error}}' },
      ] }],
    });
    const start = async (email: string) => (await api.post('/v1/conversations', { botId, externalUserId: email, contact: { email } })).body.conversation.id as string;
    expect(await say(await start('ada@example.com'), 'mine')).toEqual(['Order processing']);
    expect(await say(await start('mallory@example.com'), 'mine')).toEqual(['Not your order.']);
  });
});

describe('retries', () => {
  beforeAll(() => stack.startWorker());

  it("retries a failing call with the endpoint's own policy, then fails with a visitor-safe reason", async () => {
    let hits = 0;
    const flaky = (await import('node:http')).createServer((_req, res) => {
      hits++;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
    });
    await listenTenant(flaky);
    try {
      const conn = await create('/v1/connections', { name: 'Flaky', baseUrl: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`, allowPrivateNetwork: true });
      const ep = await create(`/v1/connections/${conn.connection.id}/endpoints`, { name: 'Down', method: 'GET', path: '/x', retry: { maxAttempts: 2, initialIntervalMs: 50 } });
      await create('/v1/actions', { id: 'flaky', name: 'Flaky', steps: [{ id: 'x', endpointId: ep.endpoint.id }] });
      const botId = await flowBot({
        flows: [{ id: 'f', name: 'Flaky', trigger: { keywords: ['try'] }, startBlockId: 'call', blocks: [
          { id: 'call', type: 'api_call', action: 'flaky', next: 'ok', onFailure: 'ko' },
          { id: 'ok', type: 'end', text: 'worked' },
          { id: 'ko', type: 'end', text: '{{last_error}}' },
        ] }],
      });
      const id = (await api.post('/v1/conversations', { botId, externalUserId: 'r' })).body.conversation.id;
      expect(await say(id, 'try it')).toEqual(['Sorry, that service is not responding right now. Please try again later.']);
      expect(hits).toBe(2);
    } finally {
      flaky.close();
    }
  });
});

describe('Run Test and Test Connection', () => {
  beforeAll(() => stack.startWorker());

  it('runs an endpoint with sample values and shows the real response', async () => {
    const res = await api.post(`/v1/connections/${connectionId}/endpoints/${endpoints.availability}/test`, { values: { date: '2099-01-01' } });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ ok: true, status: 200, fields: { first_slot: '09:00', available: true } });
    const logs = await api.get(`/v1/connections/${connectionId}/endpoints/${endpoints.availability}/logs`);
    expect(logs.body.data[0]).toMatchObject({ kind: 'endpoint_test', success: true, status: 200 });
    expect(JSON.stringify(logs.body)).not.toContain(TOKEN);
  });

  it('says plainly when the connection is refused or unauthorized', async () => {
    expect((await api.post(`/v1/connections/${connectionId}/test`)).body.result).toMatchObject({ ok: true });
    const wrong = await create('/v1/connections', { name: 'Wrong token', baseUrl: `http://127.0.0.1:${(demoServer.address() as AddressInfo).port}`, auth: { type: 'bearer', token: 'nope' }, allowPrivateNetwork: true });
    expect((await api.post(`/v1/connections/${wrong.connection.id}/test`)).body.result).toMatchObject({ ok: false, code: 'unauthorized' });
    // A loopback literal is refused at save without allowPrivateNetwork; a connection whose host only
    // resolves to one (simulated by clearing the flag in the database) is refused by the worker.
    const closed = `https://127.0.0.1:${await closedTenantPort()}`;
    expect((await api.post('/v1/connections', { name: 'Not allowed', baseUrl: closed, auth: { type: 'none' } })).status).toBe(400);
    const blocked = await create('/v1/connections', { name: 'Not allowed', baseUrl: closed, auth: { type: 'none' }, allowPrivateNetwork: true });
    await stack.deps.ApiConnection.updateOne({ _id: blocked.connection.id }, { $set: { allowPrivateNetwork: false } });
    expect((await api.post(`/v1/connections/${blocked.connection.id}/test`)).body.result).toMatchObject({ ok: false, code: 'blocked_address' });
  });
});

describe('a worker SIGKILLed while the booking call is in flight', () => {
  beforeAll(() => stack.stopWorker());

  it('ends with exactly one booking and the visitor gets the confirmation', async () => {
    let worker = await stack.spawnWorkerProcess();
    const botId = await flowBot(bookingFlow());
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'kill' })).body.conversation.id;
    await say(id, 'book');
    await say(id, 'Alan');
    await say(id, '2099-08-01');
    await say(id, 'alan@example.com');
    const before = demo.bookings.length;
    const postsBefore = demo.requests.filter((r) => r.method === 'POST' && r.path === '/bookings').length;
    demo.bookingDelayMs = 3000;
    try {
      const answer = say(id, 'yes', 'kill-confirm');
      await eventually(async () => demo.requests.filter((r) => r.method === 'POST' && r.path === '/bookings').length > postsBefore, 20_000, 'the booking call');
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
      worker = await stack.spawnWorkerProcess();
      expect(await answer).toEqual([expect.stringMatching(/^Booked: BK-/)]);
    } finally {
      demo.bookingDelayMs = 0;
      worker.kill('SIGTERM');
    }
    expect(demo.bookings.length).toBe(before + 1);
    const posts = demo.requests.filter((r) => r.method === 'POST' && r.path === '/bookings').slice(postsBefore);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(posts.map((p) => p.idempotencyKey)).size).toBe(1);
  });
});

/** The action runs of a conversation, found by their ids. */
async function listChildren(conversationId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of stack.temporal.workflow.list({ query: `WorkflowType = 'actionRunWorkflow'` })) {
    if (wf.workflowId.startsWith(`conversation-${conversationId}-action-`)) ids.push(wf.workflowId);
  }
  return ids;
}
