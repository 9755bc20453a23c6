/**
 * The business that long-running calls talk to in tests (issue 21), a real HTTP server on 127.0.0.1: a
 * booking job that is polled until the test marks it done (DELETE cancels it: the compensation), and an
 * approval answered later through the one-time callback URL it is given. With the account's connection,
 * endpoints, actions and the guided flows that use them.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Http } from './harness';
import { listenTenantUrl } from './tenant-ports';

export interface Job {
  id: string;
  status: 'pending' | 'done' | 'failed';
  polls: number;
  cancelled: boolean;
}

export interface Business {
  server: Server;
  url: string;
  jobs: Map<string, Job>;
  approvals: { callbackUrl: string; name: string }[];
  /** Answer the next approval request by calling back before answering it (a callback that arrives before the run waits). */
  callBackFirst?: { status: string; ref: string };
  /** The status the API gave that early callback. */
  earlyCallback?: Promise<number>;
  latestJob(): Job;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
};


export async function startBusiness(): Promise<Business> {
  const business = { jobs: new Map<string, Job>(), approvals: [] } as unknown as Business;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://tenant');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/jobs') {
      await readBody(req);
      const job: Job = { id: `job_${randomBytes(4).toString('hex')}`, status: 'pending', polls: 0, cancelled: false };
      business.jobs.set(job.id, job);
      json(202, { job_id: job.id });
      return;
    }
    const polled = /^\/jobs\/([\w-]+)$/.exec(url.pathname);
    if (polled) {
      const job = business.jobs.get(polled[1]!);
      if (!job) return json(404, { error: 'no such job' });
      if (req.method === 'DELETE') {
        job.cancelled = true;
        return json(200, { cancelled: true });
      }
      job.polls++;
      return json(200, { status: job.status, ref: job.status === 'done' ? `R-${job.id.slice(-4)}` : null });
    }
    if (req.method === 'POST' && url.pathname === '/approvals') {
      const body = await readBody(req);
      business.approvals.push({ callbackUrl: String(body.callback_url), name: String(body.name) });
      if (business.callBackFirst) {
        // The business calls back before it has even answered the request (the run is still in its call).
        const answer = business.callBackFirst;
        business.callBackFirst = undefined;
        business.earlyCallback = fetch(String(body.callback_url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) }).then((r) => r.status);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      json(202, { request_id: `apr_${business.approvals.length}` });
      return;
    }
    json(404, { error: 'not found' });
  });
  business.server = server;
  business.url = await listenTenantUrl(server);
  business.latestJob = () => [...business.jobs.values()].at(-1)!;
  business.close = () => new Promise((resolve) => server.close(() => resolve()));
  return business;
}

/** A connection to the business with a polled booking, a cancellation endpoint and an approval by callback. */
export async function setUpLongRunning(api: Http, tenantUrl: string, options: { deadlineSeconds?: number; callbackDeadlineSeconds?: number; pollSeconds?: number } = {}): Promise<void> {
  const conn = (await api.post('/v1/connections', { name: 'Bookings', baseUrl: tenantUrl, auth: { type: 'none' }, allowPrivateNetwork: true })).body.connection.id as string;
  const book = await api.post(`/v1/connections/${conn}/endpoints`, {
    name: 'Start booking',
    method: 'POST',
    path: '/jobs',
    parameters: [{ name: 'name', type: 'string', in: 'body', source: 'visitor' }],
    bodyTemplate: { name: '{{name}}' },
    responseFields: [{ name: 'job_id', path: '$.job_id' }],
    sideEffects: true,
    longRunning: {
      mode: 'poll',
      job: { from: 'body', path: '$.job_id' },
      statusPath: '/jobs/{job}',
      schedule: { initialSeconds: options.pollSeconds ?? 10, factor: 2, maxSeconds: 60 },
      completeWhen: { path: '$.status', op: 'equals', value: 'done' },
      failWhen: { path: '$.status', op: 'equals', value: 'failed' },
      deadlineSeconds: options.deadlineSeconds ?? 3600,
      resultFields: [{ name: 'ref', path: '$.ref' }],
      pendingMessage: 'Your booking is being processed; I will tell you here when it is confirmed.',
    },
  });
  expect(book.status).toBe(201);
  const cancel = await api.post(`/v1/connections/${conn}/endpoints`, {
    name: 'Cancel booking',
    method: 'DELETE',
    path: '/jobs/{job_id}',
    parameters: [{ name: 'job_id', type: 'string', in: 'path', source: 'visitor' }],
    sideEffects: true,
  });
  expect(cancel.status).toBe(201);
  const approve = await api.post(`/v1/connections/${conn}/endpoints`, {
    name: 'Ask for approval',
    method: 'POST',
    path: '/approvals',
    parameters: [
      { name: 'name', type: 'string', in: 'body', source: 'visitor' },
      { name: 'callback_url', type: 'string', in: 'body', source: 'callback' },
    ],
    bodyTemplate: { name: '{{name}}', callback_url: '{{callback_url}}' },
    sideEffects: true,
    longRunning: {
      mode: 'callback',
      completeWhen: { path: '$.status', op: 'equals', value: 'approved' },
      failWhen: { path: '$.status', op: 'equals', value: 'rejected' },
      deadlineSeconds: options.callbackDeadlineSeconds ?? 2 * 3600,
      resultFields: [
        { name: 'ref', path: '$.ref' },
        { name: 'reason', path: '$.reason' },
      ],
      failureMessage: 'The team said no: {{reason}}',
      pendingMessage: 'I have asked the team to approve it; I will tell you here.',
    },
  });
  expect(approve.status).toBe(201);
  const actions = [
    { id: 'book', name: 'Booking', steps: [{ id: 'start', endpointId: book.body.endpoint.id, compensation: { endpointId: cancel.body.endpoint.id, inputs: { job_id: { from: 'step', step: 'start', field: 'job_id' } } } }] },
    { id: 'approve', name: 'Approval', steps: [{ id: 'ask', endpointId: approve.body.endpoint.id }] },
  ];
  for (const action of actions) {
    const res = await api.post('/v1/actions', action);
    expect(res.status).toBe(201);
  }
}

export const LONG_RUNNING_FLOWS = {
  flows: [
    {
      id: 'book',
      name: 'Book',
      trigger: { keywords: ['book'] },
      startBlockId: 'call',
      blocks: [
        { id: 'call', type: 'api_call', action: 'book', inputs: { name: 'Ada' }, outputs: { ref: 'ref' }, next: 'done', onFailure: 'ko' },
        { id: 'done', type: 'end', text: 'Booked: {{ref}}' },
        { id: 'ko', type: 'end', text: 'No booking: {{last_error}}' },
      ],
    },
    {
      id: 'approve',
      name: 'Approve',
      trigger: { keywords: ['approval'] },
      startBlockId: 'call',
      blocks: [
        { id: 'call', type: 'api_call', action: 'approve', inputs: { name: 'Grace' }, outputs: { ref: 'ref' }, next: 'done', onFailure: 'ko' },
        { id: 'done', type: 'end', text: 'Approved: {{ref}}' },
        { id: 'ko', type: 'end', text: 'Not approved: {{last_error}}' },
      ],
    },
    {
      id: 'survey',
      name: 'Survey',
      trigger: { keywords: ['survey'] },
      startBlockId: 'ask',
      blocks: [
        { id: 'ask', type: 'ask', question: 'What is your favourite colour?', variable: 'colour', answer: { type: 'text' }, skipIfKnown: false, next: 'thanks' },
        { id: 'thanks', type: 'end', text: 'Thanks, {{colour}} it is.' },
      ],
    },
  ],
};

