/**
 * The operator's view (issue 10), on the real stack with a tenant API on 127.0.0.1: every conversation
 * and every action run is found in Temporal visibility by account, bot, channel, status and action; each
 * call log links to the run that made the call (its Web UI history page); and a failed booking says why
 * in plain words in its history, without the connection's API key or the visitor's personal data.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { ACTION_RUN_STATUS, SA } from '../../workflows/definitions';
import { eventually, publishedFlowBot, signUp, sleep, startStack, workflowHistoryText, type Http, type Stack } from '../harness';
import { listenTenantUrl } from '../tenant-ports';

const API_KEY = 'tenant-api-key-7f3c9e1d';
const VISITOR = { name: 'Jane Visitorova', email: 'jane.visitorova@example.com' };
const UI_URL = 'http://temporal-ui.test:8080';

let stack: Stack;
let api: Http;
let accountId: string;
let botId: string;
let tenant: Server;

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** The tenant: books 09:00, answers 409 for 10:00 (naming the visitor, as real APIs do), and 503 on /status. */
function startTenant(): Promise<string> {
  tenant = createServer((req, res) => {
    void (async () => {
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers['x-api-key'] !== API_KEY) return json(401, { message: 'unauthorized' });
      if (req.method === 'GET' && req.url === '/status') return json(503, { message: `down for maintenance (request key ${API_KEY})` });
      if (req.method === 'POST' && req.url === '/bookings') {
        const body = await readBody(req);
        if (body.time === '10:00') return json(409, { error: { code: 'slot_taken', message: `the slot is taken by ${String(body.name)} <${String(body.email)}>` } });
        return json(201, { id: 'BK-1', status: 'confirmed' });
      }
      json(404, { message: 'no such route' });
    })();
  });
  return listenTenantUrl(tenant);
}

async function create(path: string, body: unknown): Promise<any> {
  const res = await api.post(path, body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  const base = await startTenant();
  stack = await startStack({ api: { REPLY_WAIT_MS: '5000', TEMPORAL_UI_URL: `${UI_URL}/` } });
  ({ api, accountId } = await signUp(stack.baseUrl));
  const conn = (await create('/v1/connections', { name: 'Booking API', baseUrl: base, auth: { type: 'api_key', in: 'header', name: 'x-api-key', value: API_KEY }, allowPrivateNetwork: true })).connection.id;
  const book = await create(`/v1/connections/${conn}/endpoints`, {
    name: 'Create booking',
    method: 'POST',
    path: '/bookings',
    sideEffects: true,
    parameters: [
      { name: 'name', type: 'string', in: 'body' },
      { name: 'email', type: 'email', in: 'body' },
      { name: 'time', type: 'string', in: 'body' },
    ],
    responseFields: [{ name: 'booking_id', path: '$.id' }],
  });
  const status = await create(`/v1/connections/${conn}/endpoints`, { name: 'Status', method: 'GET', path: '/status', retry: { maxAttempts: 2, initialIntervalMs: 50 } });
  await create('/v1/actions', { id: 'book', name: 'Book a slot', steps: [{ id: 'create', endpointId: book.endpoint.id }] });
  await create('/v1/actions', { id: 'check_status', name: 'Check status', steps: [{ id: 'status', endpointId: status.endpoint.id }] });
  botId = await publishedFlowBot(api, {
    flows: [
      {
        id: 'booking',
        name: 'Booking',
        trigger: { keywords: ['book'] },
        startBlockId: 'name',
        blocks: [
          { id: 'name', type: 'ask', question: 'Name?', variable: 'name', answer: { type: 'text' }, next: 'email' },
          { id: 'email', type: 'ask', question: 'Email?', variable: 'email', answer: { type: 'email' }, next: 'time' },
          { id: 'time', type: 'ask', question: 'Time?', variable: 'time', answer: { type: 'text' }, next: 'call' },
          { id: 'call', type: 'api_call', action: 'book', inputs: { name: '{{name}}', email: '{{email}}', time: '{{time}}' }, outputs: { booking_id: 'booking_id' }, next: 'done', onFailure: 'sorry' },
          { id: 'done', type: 'end', text: 'Booked: {{booking_id}}' },
          { id: 'sorry', type: 'end', text: 'Could not book: {{last_error}}' },
        ],
      },
      {
        id: 'status',
        name: 'Status',
        trigger: { keywords: ['status'] },
        startBlockId: 'call',
        blocks: [
          { id: 'call', type: 'api_call', action: 'check_status', next: 'ok', onFailure: 'ko' },
          { id: 'ok', type: 'end', text: 'All good.' },
          { id: 'ko', type: 'end', text: '{{last_error}}' },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => tenant?.close(r));
});

async function say(id: string, text: string): Promise<string[]> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text }, clientMessageId: `${id}-${text.replace(/[^A-Za-z0-9]/g, '_')}` });
    if (res.status === 200) return res.body.replies.map((r: { text: string }) => r.text);
    if (res.status !== 202) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    await sleep(250);
  }
  throw new Error('never answered');
}

async function conversation(...messages: string[]): Promise<{ id: string; last: string[] }> {
  const id = (await api.post('/v1/conversations', { botId, externalUserId: `op-${messages.join('-')}` })).body.conversation.id as string;
  let last: string[] = [];
  for (const text of messages) last = await say(id, text);
  return { id, last };
}

/** Visibility is eventually consistent: polls `query` until `ready` accepts what it lists. */
async function listed(query: string, ready: (found: WorkflowExecutionInfo[]) => boolean): Promise<WorkflowExecutionInfo[]> {
  return eventually(async () => {
    const found: WorkflowExecutionInfo[] = [];
    for await (const wf of stack.temporal.workflow.list({ query })) found.push(wf);
    return ready(found) && found;
  }, 20_000, `visibility: ${query}`);
}

/** Every failure message in a run's history (activity and workflow failures, with their causes). */
async function failureMessages(workflowId: string): Promise<string[]> {
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  type Failure = { message?: string | null; cause?: Failure | null; applicationFailureInfo?: { type?: string | null } | null };
  const out: string[] = [];
  const walk = (failure: Failure | null | undefined): void => {
    if (!failure) return;
    out.push(`${failure.applicationFailureInfo?.type ?? ''}: ${failure.message ?? ''}`);
    walk(failure.cause);
  };
  for (const event of history.events ?? []) {
    walk(event.activityTaskFailedEventAttributes?.failure as Failure | undefined);
    // Calls run as local activities: the last attempt's failure is in the activity's marker.
    walk(event.markerRecordedEventAttributes?.failure as Failure | undefined);
    walk(event.workflowExecutionFailedEventAttributes?.failure as Failure | undefined);
  }
  return out;
}

const expectNoSecretOrPii = (text: string): void => {
  expect(text).not.toContain(API_KEY);
  expect(text.toLowerCase()).not.toContain(VISITOR.email);
  expect(text).not.toContain(VISITOR.name);
  expect(text).not.toContain('Visitorova');
};

describe("the operator's view in the Temporal Web UI", () => {
  let booked: { id: string; last: string[] };
  let refused: { id: string; last: string[] };
  let runs: WorkflowExecutionInfo[];

  beforeAll(async () => {
    booked = await conversation('I want to book', VISITOR.name, VISITOR.email, '09:00');
    refused = await conversation('book please', VISITOR.name, VISITOR.email, '10:00');
    const scope = `ParleyAccountId = '${accountId}' AND ParleyBotId = '${botId}' AND ParleyChannel = 'api'`;
    runs = await listed(`ParleyAction = 'book' AND ${scope}`, (found) => found.length === 2);
  });

  it('runs the flow: one booking made, one refused with the visitor-safe message', () => {
    expect(booked.last).toEqual(['Booked: BK-1']);
    expect(refused.last).toEqual(['Could not book: The service reported a conflict with the current state.']);
  });

  it('finds each action run by account, bot, channel, action and status', async () => {
    expect(runs.every((r) => r.type === 'actionRunWorkflow')).toBe(true);
    const ok = runs.find((r) => r.workflowId.startsWith(`conversation-${booked.id}-`))!;
    const ko = runs.find((r) => r.workflowId.startsWith(`conversation-${refused.id}-`))!;
    expect(ok && ko).toBeTruthy();
    expect(ok.typedSearchAttributes.get(SA.action)).toBe('book');
    expect(ok.typedSearchAttributes.get(SA.accountId)).toBe(accountId);

    const scope = `ParleyAction = 'book' AND ParleyAccountId = '${accountId}'`;
    const succeeded = await listed(`${scope} AND ParleyStatus = '${ACTION_RUN_STATUS.succeeded}'`, (found) => found.length === 1);
    expect(succeeded.map((r) => r.workflowId)).toEqual([ok.workflowId]);
    const failed = await listed(`${scope} AND ParleyStatus = '${ACTION_RUN_STATUS.failed}'`, (found) => found.length === 1);
    expect(failed.map((r) => r.workflowId)).toEqual([ko.workflowId]);
    // Another account's id finds nothing.
    expect(await listed(`ParleyAction = 'book' AND ParleyAccountId = 'acc_nobody'`, () => true)).toEqual([]);
  });

  it('finds the conversations by account, bot, channel and status', async () => {
    const scope = `WorkflowType = 'conversationWorkflow' AND ParleyAccountId = '${accountId}' AND ParleyBotId = '${botId}' AND ParleyChannel = 'api'`;
    const wanted = [`conversation-${booked.id}`, `conversation-${refused.id}`];
    const active = await listed(`${scope} AND ParleyStatus = 'active'`, (found) => wanted.every((id) => found.some((r) => r.workflowId === id)));
    expect(active.every((r) => r.typedSearchAttributes.get(SA.action) === undefined)).toBe(true);
    expect((await api.post(`/v1/conversations/${booked.id}/close`)).status).toBe(202);
    const closed = await listed(`${scope} AND ParleyStatus = 'closed'`, (found) => found.length === 1);
    expect(closed[0]!.workflowId).toBe(`conversation-${booked.id}`);
  });

  it("links each call log to the run that made the call, as a Web UI history URL", async () => {
    for (const conv of [booked, refused]) {
      const run = runs.find((r) => r.workflowId.startsWith(`conversation-${conv.id}-`))!;
      const logs = await api.get(`/v1/logs?conversationId=${conv.id}`);
      expect(logs.body.data).toHaveLength(1);
      const [log] = logs.body.data;
      expect(log.run).toEqual({
        workflowId: run.workflowId,
        runId: run.runId,
        url: `${UI_URL}/namespaces/default/workflows/${encodeURIComponent(run.workflowId)}/${run.runId}/history`,
      });
      expect(log.workflowId).toBe(run.workflowId);
      expect(JSON.stringify(log)).not.toContain(API_KEY);
    }
  });

  it('says in plain words why the booking failed, without the API key or the visitor', async () => {
    const run = runs.find((r) => r.workflowId.startsWith(`conversation-${refused.id}-`))!;
    const result = await stack.temporal.workflow.getHandle(run.workflowId).result();
    expect(result).toMatchObject({ ok: false, failedStep: 'create', error: 'The service reported a conflict with the current state.' });
    expect(result.reason).toBe(
      'Action "Book a slot" (book) failed at step "create": Booking API answered 409 Conflict on POST /bookings: ' +
        'the slot is taken by [redacted] <[redacted]>. Not retried: the same request would get the same answer.',
    );
    expectNoSecretOrPii(result.reason);
    // The activity's own result (in history) carries the same words; the key is nowhere in the history.
    const history = await workflowHistoryText(stack.temporal, run.workflowId);
    expect(history).toContain('Booking API answered 409 Conflict on POST /bookings: the slot is taken by [redacted]');
    expect(history).not.toContain(API_KEY);
  });

  it('says in plain words that a failing call was retried, and when no attempts were left', async () => {
    const conv = await conversation('status please');
    expect(conv.last).toEqual(['Sorry, that service is not responding right now. Please try again later.']);
    const [run] = await listed(`ParleyAction = 'check_status' AND ParleyAccountId = '${accountId}' AND ParleyStatus = 'failed'`, (found) => found.length === 1);
    expect(run!.workflowId.startsWith(`conversation-${conv.id}-`)).toBe(true);
    const failures = await failureMessages(run!.workflowId);
    expect(failures).toContain('TenantServerError: Booking API answered 503 Service Unavailable on GET /status: down for maintenance (request key •••). No attempts left (attempt 2 of 2).');
    const result = await stack.temporal.workflow.getHandle(run!.workflowId).result();
    expect(result.reason).toBe(
      'Action "Check status" (check_status) failed at step "status": Booking API answered 503 Service Unavailable on GET /status: ' +
        'down for maintenance (request key •••). No attempts left (attempt 2 of 2).',
    );
    for (const text of [...failures, result.reason]) expectNoSecretOrPii(text);
    expect(await workflowHistoryText(stack.temporal, run!.workflowId)).not.toContain(API_KEY);
  });
});
