/**
 * `GET /v1/conversations/:id/events` through the real HTTP API: the events of a turn arrive as
 * Server-Sent Events, a reconnect with Last-Event-ID resumes without duplicates or gaps, heartbeats keep
 * the connection open, another account's conversation is 404, and streams per process are capped and
 * freed when the client goes away.
 */
import { eventually, publishedBot, signUp, sleep, startStack, type Http, type Stack } from '../harness';

let stack: Stack;
let api: Http;
let key: string;
let botId: string;

beforeAll(async () => {
  stack = await startStack({ api: { SSE_POLL_MS: '50', SSE_HEARTBEAT_MS: '300', SSE_MAX_STREAMS: '3' } });
  ({ api, key } = await signUp(stack.baseUrl));
  botId = await publishedBot(api);
});

afterAll(async () => {
  await stack?.stop();
});

interface SseEvent {
  id: string;
  event: string;
  data: any;
}

interface Stream {
  status: number;
  events: SseEvent[];
  comments: string[];
  body: string;
  close(): void;
}

async function openStream(conversationId: string, options: { lastEventId?: string; key?: string; query?: string } = {}): Promise<Stream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? key}` };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const res = await fetch(`${stack.baseUrl}/v1/conversations/${conversationId}/events${options.query ?? ''}`, { headers, signal: controller.signal });
  const stream: Stream = { status: res.status, events: [], comments: [], body: '', close: () => controller.abort() };
  if (res.status !== 200) {
    stream.body = await res.text();
    return stream;
  }
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments.push(line);
            else {
              const colon = line.indexOf(':');
              fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
            }
          }
          if (fields.data !== undefined) stream.events.push({ id: fields.id!, event: fields.event!, data: JSON.parse(fields.data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return stream;
}

const until = (stream: Stream, predicate: (events: SseEvent[]) => boolean, what: string) => eventually(async () => predicate(stream.events), 15_000, what);

describe('conversation event stream', () => {
  it("streams a turn's messages as they are written, and resumes after Last-Event-ID without duplicates or gaps", async () => {
    const started = await api.post('/v1/conversations', { botId, externalUserId: 'sse-1' });
    const id = started.body.conversation.id;
    const first = await openStream(id);
    expect(first.status).toBe(200);
    await until(first, (e) => e.some((x) => x.event === 'message.created'), 'the greeting');
    expect(first.events.map((e) => e.event)).toEqual(['conversation.started', 'message.created']);
    expect(first.events[1]!.data.data.message).toMatchObject({ role: 'bot', text: 'Hello! I am the test bot.' });

    const turn = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'what can you do?' } });
    expect(turn.status).toBe(200);
    await until(first, (e) => e.length >= 4, 'the turn');
    expect(first.events.slice(2).map((e) => [e.data.data.message.role, e.data.data.message.text])).toEqual([
      ['visitor', 'what can you do?'],
      ['bot', 'Sorry, I cannot help with that yet.'],
    ]);
    expect(first.events[3]!.data.data.message.id).toBe(turn.body.replies[0].id);
    // This account has no webhooks: its events are written already dispatched, so the webhook outbox
    // never reads or marks them (the stream has them all the same).
    expect(await stack.deps.Event.countDocuments({ conversationId: id })).toBeGreaterThanOrEqual(4);
    expect(await stack.deps.Event.countDocuments({ conversationId: id, dispatched: false })).toBe(0);
    // Ids are positions, increasing.
    const positions = first.events.map((e) => Number(e.id));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
    first.close();

    // While disconnected: two more turns, then the close.
    await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'second' } });
    await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'third' } });
    await api.post(`/v1/conversations/${id}/close`);
    const last = first.events.at(-1)!.id;
    const resumed = await openStream(id, { lastEventId: last });
    await until(resumed, (e) => e.some((x) => x.event === 'conversation.closed'), 'the resumed events');
    expect(resumed.events.map((e) => (e.event === 'message.created' ? `${e.data.data.message.role}:${e.data.data.message.text}` : e.event))).toEqual([
      'visitor:second',
      'bot:Sorry, I cannot help with that yet.',
      'visitor:third',
      'bot:Sorry, I cannot help with that yet.',
      'conversation.closed',
    ]);

    // The whole stream from the start is exactly the two parts joined.
    const whole = await openStream(id);
    await until(whole, (e) => e.length >= first.events.length + resumed.events.length, 'the whole stream');
    await sleep(300);
    expect(whole.events.map((e) => e.id)).toEqual([...first.events, ...resumed.events].map((e) => e.id));
    // `?after=` works like Last-Event-ID.
    resumed.close();
    whole.close();
    const after = await openStream(id, { query: `?after=${whole.events.at(-2)!.id}` });
    await until(after, (e) => e.length >= 1, 'the last event');
    await sleep(200);
    expect(after.events.map((e) => e.event)).toEqual(['conversation.closed']);
    after.close();
  });

  it('sends heartbeat comments while nothing happens', async () => {
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'sse-hb' })).body.conversation.id;
    const stream = await openStream(id);
    await eventually(async () => stream.comments.length >= 2, 5000, 'two heartbeats');
    expect(stream.comments[0]).toBe(': heartbeat');
    stream.close();
  });

  it("answers 404 for another account's conversation, and 400 for a bad Last-Event-ID", async () => {
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'sse-mine' })).body.conversation.id;
    const other = await signUp(stack.baseUrl, 'Other Co');
    const foreign = await openStream(id, { key: other.key });
    expect(foreign.status).toBe(404);
    expect(JSON.parse(foreign.body).code).toBe('conversation_not_found');
    expect((await openStream('conv_doesnotexist')).status).toBe(404);
    expect((await openStream(id, { lastEventId: 'nope' })).status).toBe(400);
    const unauthenticated = await fetch(`${stack.baseUrl}/v1/conversations/${id}/events`);
    expect(unauthenticated.status).toBe(401);
  });

  it('caps open streams per process and frees a slot when a client disconnects', async () => {
    const id = (await api.post('/v1/conversations', { botId, externalUserId: 'sse-cap' })).body.conversation.id;
    await sleep(500); // streams of earlier tests have closed
    const streams = [await openStream(id), await openStream(id), await openStream(id)];
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await openStream(id);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).code).toBe('too_many_streams');
    streams[0]!.close();
    const reopened = await eventually(async () => {
      const s = await openStream(id);
      return s.status === 200 ? s : undefined;
    }, 5000, 'a free slot');
    reopened.close();
    for (const s of streams) s.close();
  });
});
