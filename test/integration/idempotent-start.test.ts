/**
 * `POST /v1/conversations` is idempotent with a key (`clientMessageId` or an `Idempotency-Key` header):
 * a retried start answers the first result and runs nothing twice (one conversation, one tenant API call);
 * another body under the same key is 422, a key still in flight 409; keys are per account; a crashed
 * in-flight start is resumed; keys expire after 24 h.
 */
import type { Server } from 'node:http';
import { createDemoApi, type DemoApiState } from '../../scripts/demo-api/app';
import { purgeIdempotencyKeys } from '../../models/idempotency.model';
import { signUp, startStack, type Http, type Stack, publishedFlowBot } from '../harness';
import { createServer } from 'node:http';
import { listenTenantUrl } from '../tenant-ports';

const TOKEN = 'idem-tenant-token';
let stack: Stack;
let api: Http;
let key: string;
let demo: DemoApiState;
let demoServer: Server;
let botId: string;

beforeAll(async () => {
  const demoApi = createDemoApi({ token: TOKEN });
  demo = demoApi.state;
  demoServer = createServer(demoApi.app);
  const base = await listenTenantUrl(demoServer);
  stack = await startStack();
  ({ api, key } = await signUp(stack.baseUrl));
  const conn = (await api.post('/v1/connections', { name: 'Demo', baseUrl: base, auth: { type: 'bearer', token: TOKEN }, allowPrivateNetwork: true })).body.connection.id;
  const endpoint = (
    await api.post(`/v1/connections/${conn}/endpoints`, {
      name: 'Availability',
      method: 'GET',
      path: '/availability',
      parameters: [{ name: 'date', type: 'date', in: 'query' }],
      responseFields: [{ name: 'first_slot', path: '$.first_slot' }],
    })
  ).body.endpoint.id;
  expect((await api.post('/v1/actions', { id: 'check', name: 'Check', steps: [{ id: 's', endpointId: endpoint }] })).status).toBe(201);
  botId = await publishedFlowBot(api, {
    flows: [
      {
        id: 'slots',
        name: 'Slots',
        trigger: { keywords: ['slots'] },
        startBlockId: 'call',
        blocks: [
          { id: 'call', type: 'api_call', action: 'check', inputs: { date: '2099-07-01' }, outputs: { slot: 'first_slot' }, next: 'done', onFailure: 'ko' },
          { id: 'done', type: 'message', text: 'First slot: {{slot}}', next: 'end' },
          { id: 'end', type: 'end' },
          { id: 'ko', type: 'end', text: 'failed: {{last_error}}' },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => demoServer?.close(r));
});

const availabilityCalls = (): number => demo.requests.filter((r) => r.path === '/availability').length;
let n = 0;
const startBody = (extra: Record<string, unknown> = {}) => ({ botId, externalUserId: `visitor-${++n}`, message: { type: 'text', text: 'slots please' }, ...extra });

async function postStart(body: unknown, headers: Record<string, string> = {}, apiKey = key) {
  const res = await fetch(`${stack.baseUrl}/v1/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, replayed: res.headers.get('idempotent-replayed') };
}

describe('idempotent conversation start', () => {
  it('answers a retry with the first result and runs the first message once', async () => {
    const before = availabilityCalls();
    const body = startBody({ clientMessageId: 'start-1' });
    const first = await postStart(body);
    expect(first.status).toBe(201);
    expect(first.body.replies.map((r: { text: string }) => r.text)).toContain('First slot: 09:00');
    const again = await postStart(body);
    expect(again.status).toBe(201);
    expect(again.replayed).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(availabilityCalls()).toBe(before + 1);
    const list = await api.get(`/v1/conversations?botId=${botId}`);
    expect(list.body.data.filter((c: { externalUserId: string }) => c.externalUserId === body.externalUserId)).toHaveLength(1);
  });

  it('refuses the same key with another body (422) and a header that disagrees with clientMessageId (400)', async () => {
    const body = startBody({ clientMessageId: 'start-2' });
    expect((await postStart(body)).status).toBe(201);
    const other = await postStart({ ...body, message: { type: 'text', text: 'something else' } });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'idempotency_key_reused' });
    const mismatch = await postStart(startBody({ clientMessageId: 'a' }), { 'idempotency-key': 'b' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.code).toBe('idempotency_key_mismatch');
    const bad = await postStart(startBody(), { 'idempotency-key': 'not valid!' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('accepts the key as an Idempotency-Key header (also together with the same clientMessageId)', async () => {
    const before = availabilityCalls();
    const body = startBody();
    const first = await postStart(body, { 'idempotency-key': 'header-key-1' });
    expect(first.status).toBe(201);
    const again = await postStart(body, { 'idempotency-key': 'header-key-1' });
    expect(again.body.conversation.id).toBe(first.body.conversation.id);
    const both = await postStart({ ...body, clientMessageId: 'header-key-1' }, { 'idempotency-key': 'header-key-1' });
    expect(both.status).toBe(201);
    expect(both.body.conversation.id).toBe(first.body.conversation.id);
    expect(availabilityCalls()).toBe(before + 1);
  });

  it('answers concurrent duplicates with 409 in flight or the same result, and runs once', async () => {
    const before = availabilityCalls();
    const body = startBody({ clientMessageId: 'concurrent-1' });
    const results = await Promise.all([postStart(body), postStart(body), postStart(body)]);
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results) expect([201, 409]).toContain(r.status);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('idempotency_key_in_flight');
    expect(new Set(ok.map((r) => r.body.conversation.id)).size).toBe(1);
    const later = await postStart(body);
    expect(later.body.conversation.id).toBe(ok[0]!.body.conversation.id);
    expect(availabilityCalls()).toBe(before + 1);
  });

  it("keeps each account's keys apart", async () => {
    const other = await signUp(stack.baseUrl, 'Other Co');
    const otherBot = await publishedFlowBot(other.api, { flows: [] });
    const mine = await postStart(startBody({ clientMessageId: 'shared-key' }));
    const theirs = await postStart({ botId: otherBot, externalUserId: 'x', clientMessageId: 'shared-key' }, {}, other.key);
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.conversation.id).not.toBe(mine.body.conversation.id);
  });

  it('resumes a start whose request crashed while in flight (stale record), with the same conversation id', async () => {
    const before = availabilityCalls();
    const body = startBody({ clientMessageId: 'crashed-1' });
    // What a request that died before it started the workflow leaves behind: a fresh record blocks (409)...
    const first = await postStart(body);
    const conversationId = first.body.conversation.id as string;
    await stack.deps.IdempotencyKey.updateOne({ accountId: (await api.get('/v1/account')).body.account.id, key: 'crashed-1' }, { $set: { status: 'in_flight', started: false, response: null, updatedAt: new Date() } });
    expect((await postStart(body)).status).toBe(409);
    // ...a stale one is taken over: the workflow exists, so its first turn is answered from the Update.
    await stack.deps.IdempotencyKey.updateOne({ key: 'crashed-1' }, { $set: { updatedAt: new Date(Date.now() - 5 * 60_000) } });
    const resumed = await postStart(body);
    expect(resumed.status).toBe(201);
    expect(resumed.body.conversation.id).toBe(conversationId);
    expect(resumed.body.replies).toEqual(first.body.replies);
    expect(availabilityCalls()).toBe(before + 1);

    // A crash before the workflow started: the stale record's conversation is started afresh with its id.
    const body2 = startBody({ clientMessageId: 'crashed-2' });
    const accountId = (await api.get('/v1/account')).body.account.id;
    const now = new Date();
    await stack.deps.IdempotencyKey.create({
      _id: 'idem_manual_crashed_2',
      accountId,
      key: 'crashed-2',
      bodyHash: (await import('../../api/routes/conversations/idempotency')).canonicalBodyHash(body2 as never),
      conversationId: 'conv_00crashed2',
      status: 'in_flight',
      started: false,
      response: null,
      createdAt: now,
      updatedAt: new Date(now.getTime() - 5 * 60_000),
    });
    const started = await postStart(body2);
    expect(started.status).toBe(201);
    expect(started.body.conversation.id).toBe('conv_00crashed2');
    expect(started.body.replies.map((r: { text: string }) => r.text)).toContain('First slot: 09:00');
    expect((await postStart(body2)).body.conversation.id).toBe('conv_00crashed2');
  });

  it('forgets keys after 24 hours (periodic clean-up; an expired record no longer counts)', async () => {
    const body = startBody({ clientMessageId: 'old-key' });
    const first = await postStart(body);
    await stack.deps.IdempotencyKey.updateOne({ key: 'old-key' }, { $set: { createdAt: new Date(Date.now() - 25 * 3600_000) } });
    const fresh = await postStart(body);
    expect(fresh.status).toBe(201);
    expect(fresh.body.conversation.id).not.toBe(first.body.conversation.id);
    await stack.deps.IdempotencyKey.updateOne({ key: 'old-key' }, { $set: { createdAt: new Date(Date.now() - 25 * 3600_000) } });
    const total = await stack.deps.IdempotencyKey.countDocuments({});
    expect(await purgeIdempotencyKeys(stack.deps.IdempotencyKey)).toBe(1);
    expect(await stack.deps.IdempotencyKey.countDocuments({})).toBe(total - 1);
  });
});

describe('idempotent start answered 202 (no worker in time)', () => {
  it('resumes the pending first turn on a retry, then replays its answer', async () => {
    const slow = await startStack({ withoutWorker: true, api: { REPLY_WAIT_MS: '1000' } });
    try {
      const { api: slowApi, key: slowKey } = await signUp(slow.baseUrl);
      const slowBot = await publishedFlowBot(slowApi, { flows: [] });
      const body = { botId: slowBot, externalUserId: 'pending-1', message: { type: 'text', text: 'hi' }, clientMessageId: 'pending-key' };
      const post = async () => {
        const res = await fetch(`${slow.baseUrl}/v1/conversations`, { method: 'POST', headers: { authorization: `Bearer ${slowKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as any };
      };
      const first = await post();
      expect(first.status).toBe(202);
      const id = first.body.conversation.id;
      const stillPending = await post(); // not 409: the workflow runs, the retry asks its Update again
      expect(stillPending.status).toBe(202);
      expect(stillPending.body.conversation.id).toBe(id);
      await slow.startWorker();
      const answered = await post();
      expect(answered.status).toBe(201);
      expect(answered.body.conversation.id).toBe(id);
      expect(answered.body.replies.length).toBeGreaterThan(0);
      expect((await post()).body).toEqual(answered.body);
      expect((await slowApi.get('/v1/conversations')).body.data).toHaveLength(1);
    } finally {
      await slow.stop();
    }
  });
});
