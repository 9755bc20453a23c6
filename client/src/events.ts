/**
 * A conversation's Server-Sent Events (`GET /v1/conversations/{id}/events`) as an async iterator.
 * OpenAPI generators stop at `text/event-stream`, so this is the hand-written part: the request goes
 * through the typed client (path, `Last-Event-ID` header and key as generated), eventsource-parser reads
 * the frames, and each event's `data:` JSON is typed by the generated `StreamEvent`.
 *
 * A dropped connection is resumed with `Last-Event-ID` (each event's SSE id is its position in the
 * conversation), so nothing is missed or repeated; the server's `retry:` sets the wait. An error answer
 * (404, 403, ...) throws a `ParleyApiError`; a 503 `too_many_streams` is retried after its Retry-After.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { ParleyClient } from './client';
import { ok, ParleyApiError } from './errors';
import type { components } from './schema';

/** The JSON of one event: `{ id, type, createdAt, data }`, `data` typed by `type`. */
export type StreamEvent = components['schemas']['StreamEvent'];

/** An event as the iterator yields it, with `lastEventId`: its SSE id, to resume after it later. */
export type ReceivedEvent = StreamEvent & { lastEventId: string };

export interface ConversationEventsOptions {
  /** Start after this event (a `lastEventId` received before); default: from the conversation's first event. */
  lastEventId?: string;
  /** Ends the iteration (and the connection) when aborted. */
  signal?: AbortSignal;
  /** Reconnect after the connection drops, resuming after the last event (default true). */
  reconnect?: boolean;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });

/** `for await (const event of conversationEvents(parley, id, { signal })) ...` */
export async function* conversationEvents(parley: ParleyClient, conversationId: string, options: ConversationEventsOptions = {}): AsyncGenerator<ReceivedEvent> {
  const { signal, reconnect = true } = options;
  let lastEventId = options.lastEventId;
  let retryMs = 2000;
  while (!signal?.aborted) {
    let body: ReadableStream<Uint8Array>;
    try {
      const result = await parley.GET('/v1/conversations/{id}/events', {
        params: { path: { id: conversationId }, header: lastEventId === undefined ? undefined : { 'Last-Event-ID': lastEventId } },
        parseAs: 'stream',
        signal,
      });
      if (result.response.status === 503 && reconnect) {
        await sleep(Number(result.response.headers.get('retry-after') ?? 5) * 1000, signal);
        continue;
      }
      body = ok(result)!;
    } catch (error) {
      if (signal?.aborted) return;
      if (!reconnect || error instanceof ParleyApiError) throw error;
      await sleep(retryMs, signal);
      continue;
    }

    const frames: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (frame) => frames.push(frame), onRetry: (ms) => (retryMs = ms) });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        for (let frame = frames.shift(); frame; frame = frames.shift()) {
          if (frame.id === undefined) continue;
          lastEventId = frame.id;
          yield { ...(JSON.parse(frame.data) as StreamEvent), lastEventId: frame.id };
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      if (!reconnect) throw error;
    } finally {
      // Also on `break` out of a for-await: closes the connection.
      await reader.cancel().catch(() => undefined);
    }
    if (!reconnect) return;
    await sleep(retryMs, signal);
  }
}
