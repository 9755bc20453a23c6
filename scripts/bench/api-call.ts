/**
 * The connector scenario of `npm run bench`: one tenant API call per turn, beside the same call made
 * directly with axios from the bench process.
 *
 * The demo booking API (scripts/demo-api/app.ts) is served here, in the bench process, on 127.0.0.1
 * behind a bearer token. Through Parley's HTTP API the tenant gets a connection to it (bearer auth,
 * allowPrivateNetwork so the worker may call loopback), an endpoint GET /availability (a date query
 * parameter, the response field first_slot), a one-step action `check`, and a bot whose only flow,
 * triggered by "slots", runs that action and ends with "First slot {{slot}}". A flow that ends after the
 * call starts again on the next "slots", so every visitor message is a turn with exactly one call.
 */
import axios from 'axios';
import http from 'node:http';
import { createDemoApi } from '../demo-api/app';
import { listenTenantUrl } from '../../test/tenant-ports';

const TOKEN = 'bench-tenant-token-7c2e';
/** A day far ahead, with no bookings: its first slot is always 09:00. */
const DATE = '2099-06-01';
const MESSAGE = 'slots';
const EXPECTED_PREFIX = 'First slot 0';

const callFlow = {
  id: 'slots',
  name: 'First free slot',
  trigger: { keywords: [MESSAGE] },
  startBlockId: 'check',
  blocks: [
    { id: 'check', type: 'api_call', action: 'check', inputs: { date: DATE }, outputs: { slot: 'first_slot' }, next: 'done', onFailure: 'failed' },
    { id: 'done', type: 'end', text: 'First slot {{slot}}' },
    { id: 'failed', type: 'end', text: 'The call failed: {{last_error}}' },
  ],
};

export interface ApiCallScenario {
  /** One GET /availability with axios, straight from this process: the baseline. */
  directOp(loop: number): Promise<void>;
  /** One visitor message through Parley's HTTP API, answered after one call to the same API. */
  callTurnOp(loop: number): Promise<void>;
  /**
   * Runs one phase of either op and checks that the demo API served exactly one request per op
   * (warm-up included): no retried call, no missing one.
   */
  phase<T>(run: () => Promise<T>): Promise<T>;
  /** The request headers the demo API saw from the call path and from the direct call (host aside). */
  headers: { callPath: Record<string, string>; direct: Record<string, string> };
  close(): Promise<void>;
}

async function json(res: Response): Promise<any> {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * Starts the demo API and sets up the tenant's connection, endpoint, action and bot through Parley's
 * HTTP API (`base`, authorized by `headers`), with one conversation per caller.
 */
export async function setUpApiCallScenario(options: { base: string; headers: Record<string, string>; callers: number }): Promise<ApiCallScenario> {
  const { base, headers } = options;
  const demo = createDemoApi({ token: TOKEN });
  let served = 0;
  let lastHeaders: Record<string, string> = {};
  // A plain http server around the demo app, to count requests and see their headers.
  const server = http.createServer((req, res) => {
    served++;
    lastHeaders = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    demo.app(req, res);
  });
  // On the tenant port range the bench's worker allowlists (as an operator allowlists a tenant's network).
  const demoBase = await listenTenantUrl(server);
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };

  try {
    const post = async (path: string, body: unknown): Promise<any> => json(await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }));
    const connection = await post('/v1/connections', { name: 'Bench demo API', baseUrl: demoBase, auth: { type: 'bearer', token: TOKEN }, allowPrivateNetwork: true });
    const endpoint = await post(`/v1/connections/${connection.connection.id}/endpoints`, {
      name: 'Availability',
      method: 'GET',
      path: '/availability',
      parameters: [{ name: 'date', type: 'date', in: 'query', description: 'Day to check' }],
      responseFields: [{ name: 'first_slot', path: '$.first_slot' }],
    });
    await post('/v1/actions', { id: 'check', name: 'Check availability', steps: [{ id: 'check', endpointId: endpoint.endpoint.id }] });
    const bot = await post('/v1/bots', { name: 'Bench API call bot' });
    await json(await fetch(`${base}/v1/bots/${bot.bot.id}/flows`, { method: 'PUT', headers, body: JSON.stringify({ flows: [callFlow] }) }));
    await post(`/v1/bots/${bot.bot.id}/publish`, {});
    const conversationIds: string[] = [];
    for (let i = 0; i < options.callers; i++) {
      const started = await post('/v1/conversations', { botId: bot.bot.id, externalUserId: `bench-call-${i}` });
      conversationIds.push(started.conversation.id);
    }

    // What the call path sends (rendered request + bearer auth): the direct call sends the same.
    const directHeaders = { accept: 'application/json', authorization: `Bearer ${TOKEN}` };
    const agent = new http.Agent({ keepAlive: true });
    const url = `${demoBase}/availability?date=${DATE}`;
    let ops = 0;

    const directOp = async (): Promise<void> => {
      ops++;
      const res = await axios.get(url, { headers: directHeaders, httpAgent: agent, proxy: false, validateStatus: () => true });
      if (res.status !== 200 || typeof res.data?.first_slot !== 'string' || !res.data.first_slot.startsWith('0')) {
        throw new Error(`direct call answered ${res.status}: ${JSON.stringify(res.data)}`);
      }
    };
    const callTurnOp = async (loop: number): Promise<void> => {
      ops++;
      const res = await fetch(`${base}/v1/conversations/${conversationIds[loop]}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ message: { type: 'text', text: MESSAGE } }),
      });
      if (res.status !== 200) throw new Error(`turn with an API call answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { replies?: { text?: string }[] };
      const texts = (body.replies ?? []).map((r) => r.text ?? '');
      if (texts.length !== 1 || !texts[0]!.startsWith(EXPECTED_PREFIX)) {
        throw new Error(`turn with an API call (conversation ${conversationIds[loop]}) expected one reply starting "${EXPECTED_PREFIX}", got ${JSON.stringify(texts)}`);
      }
    };
    const phase = async <T>(run: () => Promise<T>): Promise<T> => {
      ops = 0;
      served = 0;
      const result = await run();
      if (served !== ops) throw new Error(`the demo API served ${served} requests for ${ops} operations (expected one each)`);
      demo.state.requests.length = 0; // the demo app remembers every request; the bench needs none of them
      return result;
    };

    // One of each, to check both paths and compare the headers they send.
    const withoutHost = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).filter(([name]) => name !== 'host'));
    await phase(() => callTurnOp(0));
    const callPath = withoutHost(lastHeaders);
    await phase(() => directOp());
    const direct = withoutHost(lastHeaders);

    return { directOp, callTurnOp, phase, headers: { callPath, direct }, close };
  } catch (error) {
    await close();
    throw error;
  }
}
