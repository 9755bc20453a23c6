/**
 * `GET /v1/conversations/:id/events` — the conversation's events as Server-Sent Events: each message as
 * it is written (visitor, bot, agent), status changes (handoff, release, closed) and action outcomes.
 * Each event's SSE `id:` is its position in the conversation, so a client that reconnects with
 * `Last-Event-ID` (or `?after=`) gets exactly the events after it.
 *
 * A stream reads its conversation's events after its position with one indexed query (conversation,
 * position). When to read: on a MongoDB replica set, when the process's change stream (models/event-feed.ts,
 * one per process, not one per client) says an event of this conversation was written, and every
 * SSE_SAFETY_POLL_MS besides; on a store without change streams (FerretDB), or while the change stream is
 * down, every SSE_POLL_MS. Both paths read the same way, so what a client gets (order, resumption) is the
 * same. Streams per API process are capped (SSE_MAX_STREAMS).
 */
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { EventDoc } from '../../../models/webhook.model';
import { conversationOf } from '../../agent-access';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { parse } from '../../validate';
import { ConversationParams, parsePath } from '../../path-params';

/** An event's position (its SSE `id:`), or -1 for "before the first event": plain decimal digits. */
export const Position = z
  .string()
  .regex(/^(?:-1|[0-9]{1,15})$/, 'must be the id of an event of this stream')
  .transform(Number)
  .pipe(z.number().int().min(-1).max(999_999_999_999_999));
export const StreamQuery = z.strictObject({ after: Position.optional() });

export interface StreamOptions {
  pollMs: number;
  /** The interval while the change stream tells of new events. */
  safetyPollMs: number;
  heartbeatMs: number;
  maxStreams: number;
}

export function streamEvents(deps: ApiDeps, options: StreamOptions): RequestHandler {
  let open = 0;
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const query = parse(StreamQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    const header = req.get('last-event-id');
    let after = query.after ?? -1;
    if (header !== undefined && header.trim() !== '') {
      const parsed = Position.safeParse(header.trim());
      if (!parsed.success) throw new AppError(400, 'invalid_last_event_id', 'Last-Event-ID must be the id of an event of this stream');
      after = parsed.data;
    }
    await conversationOf(deps, res, id, { _id: 1 });
    if (open >= options.maxStreams) {
      res.setHeader('Retry-After', '5');
      throw new AppError(503, 'too_many_streams', 'too many open event streams on this server; retry shortly');
    }
    open++;
    try {
      await pump(deps, req, res, { conversationId: id, accountId, after }, options);
    } finally {
      open--;
    }
  };
}

async function pump(deps: ApiDeps, req: Request, res: Response, stream: { conversationId: string; accountId: string; after: number }, options: StreamOptions): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
  res.flushHeaders();
  res.write(`retry: 2000\n\n`);

  let closed = false;
  let wake: (() => void) | undefined;
  const onClose = (): void => {
    closed = true;
    wake?.();
  };
  req.on('close', onClose);
  res.on('close', onClose);
  const heartbeat = setInterval(() => {
    if (!closed) res.write(`: heartbeat\n\n`);
  }, options.heartbeatMs);

  let after = stream.after;
  // Told by the change stream: an event of this conversation, or `null` (events may have been missed).
  const signal = { told: false };
  const unsubscribe = deps.eventFeed.subscribe((event) => {
    if (event !== null && (event.conversationId !== stream.conversationId || event.accountId !== stream.accountId)) return;
    signal.told = true;
    wake?.();
  });
  try {
    while (!closed) {
      signal.told = false;
      const events = await deps.Event.find({ conversationId: stream.conversationId, accountId: stream.accountId, position: { $gt: after } })
        .sort({ position: 1 })
        .limit(100)
        .lean<EventDoc[]>();
      for (const event of events) {
        if (closed) break;
        res.write(frame(event));
        after = event.position;
      }
      if (events.length === 100 || signal.told) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deps.eventFeed.live ? options.safetyPollMs : options.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } catch (error) {
    // The headers are sent: a database error can only end the stream (the client reconnects and resumes).
    deps.log('event stream failed', error);
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    req.off('close', onClose);
    res.off('close', onClose);
    if (!res.writableEnded) res.end();
  }
}

function frame(event: EventDoc): string {
  const data = JSON.stringify({ id: event._id, type: event.type, createdAt: event.createdAt.toISOString(), data: event.data });
  return `id: ${event.position}\nevent: ${event.type}\ndata: ${data}\n\n`;
}
