/**
 * New conversation events as they are written, for the two readers that would otherwise poll: the SSE
 * route (`GET /v1/conversations/:id/events`) and the webhook outbox's dispatcher.
 *
 * On a MongoDB replica set (or Atlas, or a sharded cluster) one change stream per process follows the
 * inserts into `events`, whichever process wrote them, and tells each subscriber. The readers then read what
 * they were told about with the same indexed queries as before (an SSE stream: its conversation's events
 * after its position; the dispatcher: the event by `_id`), so ordering, resumption from `Last-Event-ID`
 * and at-least-once delivery stay exactly as on the polling path, which the embedded store (FerretDB has no
 * change streams) keeps using and the tests keep exercising.
 *
 * `MONGODB_CHANGE_STREAMS`:
 * - `auto` (the default): a change stream when the server has them, polling when it answers that it has
 *   none (FerretDB, a standalone mongod);
 * - `on`: a change stream or the process does not start;
 * - `off`: polling.
 *
 * While the stream is down (a network error the driver could not resume from, a primary that stepped
 * down past what the driver retries) the subscribers are told `null` — "you may have missed events, look
 * again" — and the feed reopens after the last event it saw (`startAfter` its resume token), or from now
 * when the server no longer has that point (then `null` again). The readers also keep a slow safety poll,
 * so nothing depends on the stream being perfect: it only makes new events arrive at once.
 */
import type { Connection, mongo } from 'mongoose';
import { webhookModels, type EventDoc } from './webhook.model';

export const CHANGE_STREAM_SETTINGS = ['auto', 'on', 'off'] as const;
export type ChangeStreamSetting = (typeof CHANGE_STREAM_SETTINGS)[number];

/** An event the feed saw inserted, or `null`: events may have been missed, read again. */
export type FeedListener = (event: EventDoc | null) => void;

export interface EventFeed {
  /** `change-stream` while the process follows a change stream (even when it is reopening), else `poll`. */
  readonly mode: 'change-stream' | 'poll';
  /** Whether the stream is open now (false on the polling feed, and while a failed stream is reopened): readers poll fast when not. */
  readonly live: boolean;
  subscribe(listener: FeedListener): () => void;
  close(): Promise<void>;
}

export interface EventFeedOptions {
  setting: ChangeStreamSetting;
  log: (message: string, error?: unknown) => void;
  /** Wait before reopening a stream that failed (doubles up to 30 s while it keeps failing). Default 1 s. */
  reopenDelayMs?: number;
  /**
   * Pause after an empty batch. A MongoDB server holds each `getMore` up to `maxAwaitTimeMS` for new
   * events, so this only spaces out the next wait; a server that answers empty at once (an emulator) is not
   * asked in a tight loop. Default 50 ms.
   */
  idleMs?: number;
}

/** A feed that never tells anything: the readers poll. */
export const pollingFeed: EventFeed = { mode: 'poll', live: false, subscribe: () => () => {}, close: async () => {} };

/**
 * Error codes a server gives when it has no change streams: unknown `$changeStream` stage (40324), only on
 * replica sets (40573), not implemented (238, FerretDB), command not supported/found (115, 59).
 */
const UNSUPPORTED = new Set([40324, 40573, 238, 115, 59]);
/** The resume point is gone from the oplog (ChangeStreamHistoryLost), or the token is not one the server reads. */
const HISTORY_LOST = new Set([286, 280, 40647]);

const codeOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

/** Whether `error` is the server saying it has no change streams (not a network or auth failure). */
export function changeStreamsUnsupported(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && UNSUPPORTED.has(code)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /\$changeStream|change ?streams?/i.test(message) && /not (?:supported|implemented)|unrecognized|only supported/i.test(message);
}

/**
 * Opens the feed for `events` as `setting` asks. Resolves once the first stream is open (its first
 * round trip made, so an unsupported server is known now), or with the polling feed.
 */
export async function openEventFeed(events: mongo.Collection<EventDoc>, options: EventFeedOptions): Promise<EventFeed> {
  if (options.setting === 'off') return pollingFeed;
  const listeners = new Set<FeedListener>();
  const tell = (event: EventDoc | null): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        options.log('event feed: a subscriber failed', error);
      }
    }
  };
  const idleMs = options.idleMs ?? 50;
  const baseDelay = options.reopenDelayMs ?? 1000;
  let closed = false;
  let live = true;
  let stream: mongo.ChangeStream<EventDoc, mongo.ChangeStreamInsertDocument<EventDoc>> | undefined;
  let token: mongo.ResumeToken | undefined;
  let wakeSleep: (() => void) | undefined;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const open = async (): Promise<void> => {
    const pipeline = [{ $match: { operationType: 'insert' } }];
    stream = events.watch<EventDoc, mongo.ChangeStreamInsertDocument<EventDoc>>(pipeline, { maxAwaitTimeMS: 1000, ...(token ? { startAfter: token } : {}) });
    // The first round trip: an unsupported server or a lost resume point answers here.
    const first = await stream.tryNext();
    if (first) deliver(first);
  };
  const deliver = (change: mongo.ChangeStreamInsertDocument<EventDoc>): void => {
    token = change._id;
    tell(change.fullDocument);
  };

  try {
    await open();
  } catch (error) {
    await stream?.close().catch(() => {});
    if (options.setting === 'auto' && changeStreamsUnsupported(error)) {
      options.log(`event feed: the database has no change streams (${error instanceof Error ? error.message : String(error)}), so new events are polled`);
      return pollingFeed;
    }
    if (changeStreamsUnsupported(error)) {
      throw new Error(`MONGODB_CHANGE_STREAMS=on, but the database has no change streams (they need a replica set or a sharded cluster): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    throw error;
  }

  const follow = async (): Promise<void> => {
    let delay = baseDelay;
    while (!closed) {
      try {
        if (!stream) {
          await open().catch(async (error: unknown) => {
            if (!token || !HISTORY_LOST.has(codeOf(error) ?? -1)) throw error;
            // The point after the last event seen is gone: from now on, and the readers look again.
            options.log('event feed: the resume point is gone; following from now', error);
            token = undefined;
            await stream?.close().catch(() => {});
            await open();
          });
          delay = baseDelay;
          live = true;
          // Whatever was written while the stream was down is read by the subscribers themselves.
          tell(null);
        }
        const change = await stream!.tryNext();
        if (change) deliver(change);
        else await sleep(idleMs);
      } catch (error) {
        if (closed) return;
        // The driver resumes by itself after what it can (a network blip, an election); this is past that.
        options.log(`event feed: the change stream failed; reopening in ${delay} ms`, error);
        await stream?.close().catch(() => {});
        stream = undefined;
        live = false;
        tell(null);
        await sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  };
  const following = follow();

  return {
    mode: 'change-stream',
    get live() {
      return live && !closed;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      wakeSleep?.();
      await stream?.close().catch(() => {});
      await following;
      listeners.clear();
    },
  };
}

/** The feed of the `events` collection of `db`. */
export function openConversationEventFeed(db: Connection, options: EventFeedOptions): Promise<EventFeed> {
  return openEventFeed(webhookModels(db).Event.collection as unknown as mongo.Collection<EventDoc>, options);
}
