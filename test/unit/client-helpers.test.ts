/**
 * The typed client's hand-written helpers, against fakes: `ok` (data or a ParleyApiError), the event
 * stream iterator (frames parsed, typed JSON, resumed with Last-Event-ID after a dropped connection,
 * errors thrown, the connection closed on break) and webhook verification (Standard Webhooks).
 */
import { Webhook } from 'standardwebhooks';
import { conversationEvents, createParleyClient, ok, ParleyApiError, verifyWebhook, WebhookVerificationError } from '../../client/src';

const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;

describe('ok', () => {
  it('returns the data of a 2xx answer', () => {
    expect(ok({ data: { a: 1 }, response: new Response('{}', { status: 201 }) })).toEqual({ a: 1 });
  });

  it('throws the error body as a ParleyApiError', () => {
    const error = { message: 'no such bot', code: 'bot_not_found', details: null };
    expect(() => ok({ error, response: new Response('{}', { status: 404 }) })).toThrow(new ParleyApiError(404, 'bot_not_found', 'no such bot', null));
    try {
      ok({ error, response: new Response('{}', { status: 404 }) });
    } catch (caught) {
      expect(caught).toMatchObject({ status: 404, code: 'bot_not_found', details: null, message: '404 bot_not_found: no such bot' });
    }
  });
});

/** A fake server for the event stream: one scripted answer per connection, and the requests it got. */
function fakeStream(answers: Array<() => Response>) {
  const requests: Request[] = [];
  const parley = createParleyClient({
    baseUrl: 'http://parley.test/',
    apiKey: 'pk_test',
    fetch: async (request) => {
      requests.push(request);
      const answer = answers.shift();
      // No answer scripted: hangs, as fetch does, until the request is aborted.
      if (!answer) return new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
      return answer();
    },
  });
  return { parley, requests };
}

const sse = (text: string): Response => new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
const frame = (position: number, type: string, text: string): string =>
  `id: ${position}\nevent: ${type}\ndata: ${JSON.stringify({ id: `evt_${position}`, type, createdAt: '2026-12-01T10:00:00.000Z', data: { conversationId: 'conv_1', botId: 'bot_1', message: { id: `msg_${position}`, text, role: 'bot' } } })}\n\n`;

describe('conversationEvents', () => {
  it('yields each event typed, and resumes after a dropped connection with Last-Event-ID', async () => {
    const { parley, requests } = fakeStream([
      () => sse(`retry: 1\n\n: heartbeat\n\n${frame(100, 'message.created', 'Hello')}${frame(200, 'message.created', 'Hi again')}`),
      () => sse(frame(300, 'message.created', 'After the reconnect')),
    ]);
    const seen: string[] = [];
    for await (const event of conversationEvents(parley, 'conv_1')) {
      if (event.type === 'message.created') seen.push(`${event.lastEventId}:${event.data.message.text}`);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['100:Hello', '200:Hi again', '300:After the reconnect']);
    expect(requests.map((r) => r.url)).toEqual(['http://parley.test/v1/conversations/conv_1/events', 'http://parley.test/v1/conversations/conv_1/events']);
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer pk_test');
    expect(requests[0]!.headers.get('last-event-id')).toBeNull();
    expect(requests[1]!.headers.get('last-event-id')).toBe('200');
  });

  it('starts after a given lastEventId, and throws an error answer as a ParleyApiError', async () => {
    const { parley, requests } = fakeStream([() => new Response(JSON.stringify({ message: 'no such conversation', code: 'conversation_not_found', details: null }), { status: 404, headers: { 'content-type': 'application/json' } })]);
    await expect(conversationEvents(parley, 'conv_9', { lastEventId: '700' }).next()).rejects.toMatchObject({ status: 404, code: 'conversation_not_found' });
    expect(requests[0]!.headers.get('last-event-id')).toBe('700');
  });

  it('ends when its signal is aborted while waiting for an event', async () => {
    const { parley } = fakeStream([]);
    const controller = new AbortController();
    const next = conversationEvents(parley, 'conv_1', { signal: controller.signal }).next();
    setTimeout(() => controller.abort(), 20);
    await expect(next).resolves.toEqual({ done: true, value: undefined });
  }, 5_000);

  it('without reconnect, ends when the connection ends', async () => {
    const { parley, requests } = fakeStream([() => sse(frame(100, 'message.created', 'Only'))]);
    const seen: string[] = [];
    for await (const event of conversationEvents(parley, 'conv_1', { reconnect: false })) seen.push(event.id);
    expect(seen).toEqual(['evt_100']);
    expect(requests).toHaveLength(1);
  });
});

describe('verifyWebhook', () => {
  const body = JSON.stringify({ type: 'message.created', timestamp: '2026-12-01T10:00:00.000Z', data: { conversationId: 'conv_1', botId: 'bot_1', message: { text: 'Hi' } } });
  const signed = (at = new Date()) => ({ 'webhook-id': 'evt_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign('evt_1', at, body) });

  it('returns the body of a delivery signed with the secret (Node headers, fetch Headers, a Buffer body)', () => {
    const payload = verifyWebhook({ secret, body, headers: signed() });
    expect(payload.type).toBe('message.created');
    if (payload.type === 'message.created') expect(payload.data.message.text).toBe('Hi');
    expect(verifyWebhook({ secret, body: Buffer.from(body), headers: new Headers(signed()) }).type).toBe('message.created');
    expect(verifyWebhook({ secret, body, headers: Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k.toUpperCase(), [v]])) }).type).toBe('message.created');
  });

  it('throws for another secret, a changed body, or an old timestamp', () => {
    const other = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    expect(() => verifyWebhook({ secret: other, body, headers: signed() })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook({ secret, body: body.replace('Hi', 'Ho'), headers: signed() })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook({ secret, body, headers: signed(new Date(Date.now() - 10 * 60_000)) })).toThrow(WebhookVerificationError);
  });
});
