/**
 * The change-stream path (models/event-feed.ts) that a MongoDB replica set or Atlas takes, on a MongoDB-wire
 * server that has change streams: mongo-java-server (scripts/lib/mongo-java-server.ts), because no registry
 * here ships MongoDB and FerretDB has none. The whole stack (API, worker, Temporal) runs on it, through a TCP
 * proxy the test can cut, as a failover or a network partition cuts a primary.
 *
 * The polls are set to a minute, so what arrives sooner was pushed: SSE events of a turn, and a webhook for an
 * event the API writes (`agent.invited`, which no worker kicks). The polling path keeps its own tests on
 * FerretDB (events-stream, webhooks); here `auto` on FerretDB is shown to fall back to it, and `on` to refuse.
 */
import net from 'node:net';
import { openConversationEventFeed } from '../../models/event-feed';
import { connectDatabase } from '../../models/db';
import { freePort } from '../../scripts/lib/infra';
import { startMongoJavaServer } from '../../scripts/lib/mongo-java-server';
import type { ManagedServer } from '../../scripts/lib/infra';
import { eventually, publishedBot, signUp, sleep, startStack, testEnv, type Http, type Stack } from '../harness';
import { startReceiver, type Receiver } from '../webhook-receiver';

/** A TCP proxy to `target` that can drop every connection and refuse new ones for a while. */
interface CuttableProxy {
  port: number;
  connections: number;
  cut(ms: number): Promise<void>;
  close(): Promise<void>;
}

async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  let connections = 0;
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    get connections() {
      return connections;
    },
    async cut(ms) {
      refusing = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await sleep(ms);
      refusing = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface SseEvent {
  id: number;
  event: string;
  data: any;
}

/**
 * An EventSource as a browser runs one: it reconnects after the stream ends, with Last-Event-ID, until
 * closed. `events` is everything it received, `connects` how many times it (re)connected.
 */
function follow(baseUrl: string, key: string, conversationId: string): { events: SseEvent[]; connects: number; close(): void } {
  const state = { events: [] as SseEvent[], connects: 0, closed: false, controller: new AbortController() };
  void (async () => {
    while (!state.closed) {
      const last = state.events.at(-1);
      const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...(last ? { 'last-event-id': String(last.id) } : {}) };
      try {
        const res = await fetch(`${baseUrl}/v1/conversations/${conversationId}/events`, { headers, signal: state.controller.signal });
        state.connects++;
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const fields: Record<string, string> = {};
            for (const line of buffer.slice(0, end).split('\n')) {
              const colon = line.indexOf(':');
              if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
            }
            buffer = buffer.slice(end + 2);
            if (fields.data !== undefined) state.events.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data) });
          }
        }
      } catch {
        // The stream ended or could not open: reconnect after the server's `retry:` (2 s) as a browser would.
      }
      if (!state.closed) await sleep(2000);
    }
  })();
  return {
    get events() {
      return state.events;
    },
    get connects() {
      return state.connects;
    },
    close() {
      state.closed = true;
      state.controller.abort();
    },
  };
}

const MINUTE = '60000';

describe('change streams (a MongoDB-wire server with an oplog)', () => {
  let mongo: ManagedServer;
  let proxy: CuttableProxy;
  let stack: Stack;
  let api: Http;
  let key: string;
  let accountId: string;
  let botId: string;
  let receiver: Receiver;

  beforeAll(async () => {
    mongo = await startMongoJavaServer({ port: await freePort() });
    proxy = await startProxy(mongo.port);
    receiver = await startReceiver();
    // `on`: the API and the worker refuse to start without a change stream. Polls at a minute: what arrives
    // sooner was pushed by the change stream.
    stack = await startStack({ mongoServer: `mongodb://127.0.0.1:${proxy.port}`, api: { MONGODB_CHANGE_STREAMS: 'on', SSE_POLL_MS: MINUTE, SSE_SAFETY_POLL_MS: MINUTE } });
    ({ api, key, accountId } = await signUp(stack.baseUrl));
    botId = await publishedBot(api);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
    await proxy?.close();
    await mongo?.stop();
  });

  it('pushes a turn\'s events to an open event stream at once, with the stream polling once a minute', async () => {
    expect(stack.deps.eventFeed.mode).toBe('change-stream');
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'cs-1' })).body.conversation.id;
    const stream = follow(stack.baseUrl, key, id);
    try {
      await eventually(async () => stream.events.length >= 2, 15_000, 'the greeting');
      const sent = Date.now();
      const turn = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'hello there' } });
      expect(turn.status).toBe(200);
      await eventually(async () => stream.events.length >= 4, 15_000, "the turn's events");
      // Well inside the minute the stream would otherwise wait.
      expect(Date.now() - sent).toBeLessThan(15_000);
      expect(stream.events.map((e) => (e.event === 'message.created' ? `${e.data.data.message.role}:${e.data.data.message.text}` : e.event))).toEqual([
        'conversation.started',
        'bot:Hello! I am the test bot.',
        'visitor:hello there',
        'bot:Sorry, I cannot help with that yet.',
      ]);
      expect(stream.connects).toBe(1);
    } finally {
      stream.close();
    }
  });

  it('delivers an event the API writes (agent.invited) through the change stream, with no sweep due for ten minutes', async () => {
    const hook = await api.post('/v1/webhooks', { url: `${receiver.baseUrl}/hooks/agents`, events: ['agent.invited'], allowPrivateNetwork: true });
    expect(hook.status).toBe(201);
    const invitedAt = Date.now();
    const invited = await api.post('/v1/agents', { name: 'Cora Stream', email: `cora+${invitedAt}@example.com` });
    expect(invited.status).toBe(201);
    const delivery = await eventually(async () => receiver.at('/hooks/agents')[0], 20_000, 'the agent.invited webhook');
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'agent.invited', data: { agent: { id: invited.body.agent.id } } });
    expect(delivery.at - invitedAt).toBeLessThan(20_000);
  });

  it('loses no turn and no event when the database drops every connection for 3 s (twice), and answers 503 past the wait', async () => {
    const hook = await api.post('/v1/webhooks', { url: `${receiver.baseUrl}/hooks/messages`, events: ['message.created'], allowPrivateNetwork: true });
    expect(hook.status).toBe(201);
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'cs-cut' })).body.conversation.id;
    const stream = follow(stack.baseUrl, key, id);
    try {
      await eventually(async () => stream.events.length >= 2, 15_000, 'the greeting');
      expect((await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'before the cut' } })).status).toBe(200);

      // A client retries a 503 with its clientMessageId, as the API tells it to; the same turn is never run twice.
      const sendUntilAnswered = async (text: string, clientMessageId: string, during: Promise<void>): Promise<string[]> => {
        let res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text }, clientMessageId });
        await during;
        if (res.status === 503) {
          // Past 2 s without the store, routes that run a turn fail closed (api/rate-limit.ts); reads wait for it.
          expect(['rate_limit_unavailable', 'database_unavailable']).toContain(res.body.code);
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text }, clientMessageId });
        }
        expect(res.status).toBe(200);
        return res.body.replies.map((r: { text: string }) => r.text);
      };
      // A turn whose worker writes while the database is away (the cut starts as the turn runs): the write is
      // retried by Temporal until the server is back.
      expect(await sendUntilAnswered('in flight', 'cut-0', (async () => { await sleep(15); await proxy.cut(3000); })())).toEqual(['Sorry, I cannot help with that yet.']);
      // A turn sent while the database is away.
      const cut = proxy.cut(3000);
      await sleep(200);
      expect(await sendUntilAnswered('during the cut', 'cut-1', cut)).toEqual(['Sorry, I cannot help with that yet.']);
      expect((await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'after the cut' } })).status).toBe(200);

      // Every event once, in order, whether pushed, read after the stream reopened, or read on reconnecting.
      await eventually(async () => stream.events.length >= 10, 30_000, 'every event of the conversation');
      const stored = await stack.deps.Event.find({ conversationId: id, accountId }).sort({ position: 1 }).lean();
      expect(stream.events.map((e) => e.id)).toEqual(stored.map((e) => e.position));
      expect(stream.events.filter((e) => e.event === 'message.created').map((e) => e.data.data.message.text)).toEqual([
        'Hello! I am the test bot.',
        'before the cut',
        'Sorry, I cannot help with that yet.',
        'in flight',
        'Sorry, I cannot help with that yet.',
        'during the cut',
        'Sorry, I cannot help with that yet.',
        'after the cut',
        'Sorry, I cannot help with that yet.',
      ]);
      // Each message.created reached the webhook, each once (by its webhook-id), the ones of the cut included.
      const messageIds = stored.filter((e) => e.type === 'message.created').map((e) => e._id);
      const delivered = await eventually(async () => {
        const ids = new Set(receiver.at('/hooks/messages').map((r) => r.headers['webhook-id']));
        return messageIds.every((m) => ids.has(m)) ? receiver.at('/hooks/messages') : undefined;
      }, 30_000, 'the webhooks of every message');
      const perId = new Map<string, number>();
      for (const r of delivered) perId.set(r.headers['webhook-id']!, (perId.get(r.headers['webhook-id']!) ?? 0) + 1);
      expect([...perId.values()].every((n) => n === 1)).toBe(true);
      // The feed followed again after the cut.
      await eventually(async () => stack.deps.eventFeed.live, 15_000, 'the change stream open again');
    } finally {
      stream.close();
    }

    // Longer than the driver waits for a server (10 s): a request is answered 503 with Retry-After, not 500.
    const longCut = proxy.cut(13_000);
    await sleep(200);
    const refused = await api.get(`/v1/conversations/${id}`);
    await longCut;
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'database_unavailable' });
    expect(refused.headers.get('retry-after')).toBe('2');
    expect((await api.get(`/v1/conversations/${id}`)).status).toBe(200);
  }, 120_000);
});

describe('MONGODB_CHANGE_STREAMS on a store without change streams (FerretDB)', () => {
  it('auto falls back to polling; on refuses to start, naming the setting', async () => {
    const db = await connectDatabase(`${testEnv('PARLEY_TEST_MONGODB_URI')}/parley_test_feed`);
    try {
      const logged: string[] = [];
      const auto = await openConversationEventFeed(db, { setting: 'auto', log: (message) => logged.push(message) });
      expect(auto.mode).toBe('poll');
      expect(logged.join('\n')).toMatch(/no change streams/);
      await expect(openConversationEventFeed(db, { setting: 'on', log: () => {} })).rejects.toThrow(/MONGODB_CHANGE_STREAMS=on, but the database has no change streams/);
      expect((await openConversationEventFeed(db, { setting: 'off', log: () => {} })).mode).toBe('poll');
    } finally {
      await db.close();
    }
  });
});
