/**
 * The long-running scenario of `npm run bench` (issue 21): a start whose first message runs an action
 * that waits for a callback, and the callback that resumes it.
 *
 * A small business API is served here, in the bench process, on 127.0.0.1: `POST /approvals` keeps the
 * callback URL it is given (by the `op` it is sent) and answers 202. Through Parley's HTTP API the tenant
 * gets a connection to it, a callback-mode endpoint, a one-step action and a bot whose flow, triggered by
 * "approval", calls it and ends with "Approved: {{ref}}".
 *
 * - `waitOp`: starts a conversation with "approval" (its `op` as the contact's name): the reply is the
 *   endpoint's pending message, said once the action's run waits (the `settled` update). Set beside the
 *   plain start with a first message.
 * - `resumeOp`: takes a call `waitOp` left waiting, POSTs its callback (the signed URL, the callback
 *   route, the run's `callback` update, its `callDone` signal, the conversation's turn that continues the
 *   flow) and reads the transcript until the flow's reply is there (polled every 5 ms).
 */
import http from 'node:http';
import { listenTenantUrl } from '../../test/tenant-ports';

const PENDING = 'Sent for approval; I will tell you here.';

const flow = {
  id: 'approve',
  name: 'Approval',
  trigger: { keywords: ['approval'] },
  startBlockId: 'call',
  blocks: [
    { id: 'call', type: 'api_call', action: 'approve', inputs: { op: '{{contact.name}}' }, outputs: { ref: 'ref' }, next: 'done', onFailure: 'failed' },
    { id: 'done', type: 'end', text: 'Approved: {{ref}}' },
    { id: 'failed', type: 'end', text: 'Not approved: {{last_error}}' },
  ],
};

export interface LongRunningScenario {
  waitOp(loop: number): Promise<void>;
  resumeOp(loop: number): Promise<void>;
  /** Calls left waiting (started by `waitOp`, not yet resumed). */
  waiting(): number;
  /** Starts waiting calls (untimed, `concurrency` at a time) until `count` wait; run before the resume phase. */
  fill(count: number, concurrency: number): Promise<void>;
  /** Resumes that found no waiting call and started one first (their time includes it); 0 in a sound run. */
  fallbacks(): number;
  close(): Promise<void>;
}

async function json(res: Response): Promise<any> {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function setUpLongRunningScenario(options: { base: string; headers: Record<string, string> }): Promise<LongRunningScenario> {
  const { base, headers } = options;
  /** op -> the callback URL the business was given for it. */
  const urls = new Map<string, string>();
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as { op?: string; callback_url?: string }) : {};
      if (req.method === 'POST' && req.url === '/approvals' && body.op && body.callback_url) {
        urls.set(body.op, body.callback_url);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"pending"}');
        return;
      }
      res.writeHead(404).end();
    });
  });
  const tenant = await listenTenantUrl(server);
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };

  const post = async (path: string, body: unknown): Promise<any> => json(await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }));
  const connection = await post('/v1/connections', { name: 'Bench approvals', baseUrl: tenant, auth: { type: 'none' }, allowPrivateNetwork: true });
  const endpoint = await post(`/v1/connections/${connection.connection.id}/endpoints`, {
    name: 'Ask for approval',
    method: 'POST',
    path: '/approvals',
    parameters: [
      { name: 'op', type: 'string', in: 'body' },
      { name: 'callback_url', type: 'string', in: 'body', source: 'callback' },
    ],
    bodyTemplate: { op: '{{op}}', callback_url: '{{callback_url}}' },
    sideEffects: true,
    longRunning: { mode: 'callback', completeWhen: { path: '$.status', op: 'equals', value: 'approved' }, deadlineSeconds: 3600, resultFields: [{ name: 'ref', path: '$.ref' }], pendingMessage: PENDING },
  });
  await post('/v1/actions', { id: 'approve', name: 'Approval', steps: [{ id: 'ask', endpointId: endpoint.endpoint.id }] });
  const bot = await post('/v1/bots', { name: 'Bench long-running bot' });
  await json(await fetch(`${base}/v1/bots/${bot.bot.id}/flows`, { method: 'PUT', headers, body: JSON.stringify({ flows: [flow] }) }));
  await post(`/v1/bots/${bot.bot.id}/publish`, {});

  let ops = 0;
  let fallbacks = 0;
  const pending: { op: string; conversationId: string }[] = [];

  const waitOp = async (): Promise<void> => {
    const op = `op-${ops++}`;
    const started = await post('/v1/conversations', { botId: bot.bot.id, externalUserId: `bench-lr-${op}`, contact: { name: op }, message: { type: 'text', text: 'approval' } });
    const texts = (started.replies ?? []).map((r: { text?: string }) => r.text);
    if (texts.at(-1) !== PENDING) throw new Error(`a waiting start answered ${JSON.stringify(texts)}`);
    if (!urls.has(op)) throw new Error(`the business got no callback URL for ${op}`);
    pending.push({ op, conversationId: started.conversation.id });
  };

  const resumeOp = async (): Promise<void> => {
    // `fill` leaves enough calls waiting; should it not, this resume starts one first (and is counted).
    if (pending.length === 0) {
      fallbacks++;
      await waitOp();
    }
    const call = pending.shift()!;
    const ref = `R-${call.op}`;
    const res = await fetch(urls.get(call.op)!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'approved', ref }) });
    if (res.status !== 202) throw new Error(`the callback answered ${res.status}: ${await res.text()}`);
    urls.delete(call.op);
    for (;;) {
      const transcript = await json(await fetch(`${base}/v1/conversations/${call.conversationId}/messages?limit=50`, { headers }));
      if ((transcript.data as { text: string }[]).some((m) => m.text === `Approved: ${ref}`)) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  const fill = async (count: number, concurrency: number): Promise<void> => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (pending.length < count) await waitOp();
      }),
    );
  };

  return { waitOp, resumeOp, waiting: () => pending.length, fill, fallbacks: () => fallbacks, close };
}
