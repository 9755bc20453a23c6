/**
 * Conversation events, recorded by `saveTurn` (the local activity every turn already runs, so the
 * conversation workflow's commands do not change) and handed to webhook deliveries by a dispatcher in
 * the worker (an outbox: events are written with `dispatched: false`, the dispatcher starts one
 * `eventDeliveryWorkflow` per subscribed endpoint, adds the event to the ledger of missed events of each
 * subscribed endpoint that is disabled, and marks them dispatched).
 *
 * Ids and positions derive from what an event describes, so a retried write is the same event:
 * - `conversation.started`: position 0 (the turn that writes transcript position 0);
 * - a message at transcript position `seq`: `(seq + 1) * 100`;
 * - the actions of a write whose first message is at `a`: `a * 100 + 10 + i` (before that message);
 * - after the write's last message (`messageCount` N): handoff `N*100+1`, release `N*100+2`, close `N*100+3`,
 *   inbox events (assignment, SLA) at `N*100+slot` with slots 4..99 (activities/transcript.ts `InboxEvent`).
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Connection, mongo } from 'mongoose';
import { webhookModels, type EventDoc } from '../models/webhook.model';
import { webhookDeliveryWorkflowId, type EventType, type WebhookDeliveryInput } from '../models/webhook.schema';
import { WEBHOOK_LIMITS } from '../models/limits';
import type { SaveTurnInput } from '../models/transcript.schema';
import { createEndpointHealth } from './webhook-endpoints';
import { acrossAccounts, guardedCollection } from '../models/tenancy';
import { pollingFeed, type EventFeed } from '../models/event-feed';

/** The webhook outbox serves every account of the deployment: events are found and marked by id. */
const OUTBOX = 'webhook outbox: every account\'s new events, found and marked by id';

const MAX_ACTIONS_PER_WRITE = 80;

const eventId = (kind: string, ref: string): string => `evt_${createHash('sha256').update(`${kind}\u0000${ref}`).digest('hex').slice(0, 32)}`;

/** The events one `saveTurn` write records (pure; the same input always gives the same events). */
export function turnEvents(input: SaveTurnInput): EventDoc[] {
  const c = input.conversation;
  const createdAt = new Date(input.at);
  const events: EventDoc[] = [];
  const add = (type: EventType, ref: string, position: number, data: Record<string, unknown>): void => {
    events.push({ _id: eventId(type, ref), accountId: c.accountId, conversationId: c.id, botId: c.botId, position, type, data: { conversationId: c.id, botId: c.botId, ...data }, createdAt, dispatched: false });
  };
  const N = input.messageCount;
  const first = N - input.messages.length;
  if (input.messages.some((m) => m.seq === 0)) {
    add('conversation.started', `${c.id}:started`, 0, { botVersion: c.botVersion, channel: c.channel, externalUserId: c.externalUserId });
  }
  (input.actions ?? []).slice(0, MAX_ACTIONS_PER_WRITE).forEach((action, i) => {
    const data = action.ok ? { actionId: action.actionId, run: action.key, outputs: action.outputs ?? {} } : { actionId: action.actionId, run: action.key, error: action.error ?? null };
    add(action.ok ? 'action.completed' : 'action.failed', `${c.id}:${action.key}`, first * 100 + 10 + i, data);
  });
  for (const m of input.messages) {
    const message = {
      id: m.id,
      seq: m.seq,
      role: m.role,
      type: 'text',
      text: m.text,
      ...(m.agentId ? { agentId: m.agentId } : {}),
      ...(m.choices ? { choices: m.choices } : {}),
      ...(m.sources ? { sources: m.sources } : {}),
      ...(m.confirmation ? { confirmation: m.confirmation } : {}),
      inReplyTo: m.inReplyTo ?? null,
      createdAt: m.createdAt,
    };
    // A note is the team's: its own event type, so nothing that relays messages to the visitor relays it.
    add(m.role === 'note' ? 'note.created' : 'message.created', m.id, (m.seq + 1) * 100, { message });
  }
  for (const event of input.events ?? []) {
    if (event.slot < 4 || event.slot > 99) continue;
    add(event.type, `${c.id}:${event.ref}`, N * 100 + event.slot, event.data);
  }
  if (input.handoffStarts) add('conversation.handoff', `${c.id}:handoff:${N}`, N * 100 + 1, { messageCount: N });
  // A write with no message that sets the status back to active is a release (nothing else does that).
  if (input.messages.length === 0 && input.status === 'active') add('conversation.released', `${c.id}:released:${N}`, N * 100 + 2, { messageCount: N });
  if (input.status === 'closed') add('conversation.closed', `${c.id}:closed`, N * 100 + 3, { reason: input.closeReason ?? 'closed', messageCount: N });
  return events;
}

export interface DispatcherOptions {
  db: Connection;
  temporal: Client;
  taskQueue: string;
  /** Delays before each delivery attempt; the Standard Webhooks schedule when absent. */
  retryScheduleMs?: number[];
  /**
   * How often every undispatched event is looked for (events whose writer's kick was lost: a worker that
   * died between the write and the dispatch). Default 30 s. Kicked events go out at once.
   */
  intervalMs?: number;
  log?: (message: string, error?: unknown) => void;
  /**
   * New events as they are written, whichever process wrote them (a change stream on a MongoDB replica
   * set, models/event-feed.ts): each is dispatched at once, as a kicked one. While the feed is live, the
   * sweep for undispatched events runs only every `feedSweepIntervalMs` (default 10 min), a safety net;
   * without a feed (FerretDB) or while it is down, every `intervalMs`. The feed is given to `start()`.
   */
  feedSweepIntervalMs?: number;
}

export interface EventDispatcher {
  /** Dispatches these events now (saveTurn calls this with the ids it wrote); with no ids, looks for every undispatched one. */
  kick(eventIds?: string[]): void;
  /** Starts dispatching; with a feed (see `feedSweepIntervalMs`), new events as it tells of them. */
  start(feed?: EventFeed): void;
  stop(): Promise<void>;
}

/**
 * Starts the webhook deliveries of new events. Several workers may run one each: a delivery's workflow
 * id derives from the event and the endpoint, so a second start of the same delivery is refused.
 */
export function createEventDispatcher(options: DispatcherOptions): EventDispatcher {
  const { Event, WebhookEndpoint } = webhookModels(options.db);
  const health = createEndpointHealth(options.db);
  const events = guardedCollection(Event.collection as unknown as mongo.Collection<EventDoc>, 'Event');
  const log = options.log ?? ((message, error) => console.error(`[worker] ${message}`, error instanceof Error ? error.message : ''));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  /** Ids kicked since the last run: fetched one by one by `_id`, which every store answers from its primary key. */
  const kicked = new Set<string>();
  let sweep = true;
  let lastSweepAt = 0;
  let feed: EventFeed = pollingFeed;
  let unsubscribe: (() => void) | undefined;

  /**
   * Dispatches kicked events, or (a sweep) the oldest undispatched ones. A sweep's `dispatched: false`
   * filter is a scan on stores that do not use secondary indexes for it (FerretDB on SQLite), so sweeps are
   * rare and a turn's own events are found by id.
   */
  const dispatchOnce = async (): Promise<boolean> => {
    let batch: EventDoc[];
    if (kicked.size > 0) {
      const ids = [...kicked].slice(0, 200);
      for (const id of ids) kicked.delete(id);
      // One findOne per id: an `_id` equality is what every store answers from its primary key (FerretDB on
      // SQLite scans the whole collection for `$in`, even on `_id`).
      const found = await acrossAccounts(OUTBOX, () => Promise.all(ids.map((id) => events.findOne({ _id: id }))));
      batch = found.filter((e): e is NonNullable<typeof e> => e !== null && !e.dispatched);
      batch.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.position - b.position);
    } else if (sweep) {
      lastSweepAt = Date.now();
      batch = await acrossAccounts(OUTBOX, () => events.find({ dispatched: false }).sort({ createdAt: 1 }).limit(200).toArray());
      sweep = batch.length === 200;
    } else {
      return false;
    }
    if (batch.length > 0) await deliver(batch);
    return kicked.size > 0 || sweep;
  };

  /**
   * Starts the deliveries of `batch` to every subscribed endpoint, records the events a disabled one misses
   * (while its ledger has room), then marks the events dispatched.
   */
  const deliver = async (batch: EventDoc[]): Promise<void> => {
    const accounts = [...new Set(batch.map((e) => e.accountId))];
    const endpoints = await WebhookEndpoint.find({ accountId: { $in: accounts } }, { _id: 1, accountId: 1, events: 1, createdAt: 1, enabled: 1, disabledAt: 1, missedEvents: 1 }).lean();
    const missed = new Map<(typeof endpoints)[number], EventDoc[]>();
    for (const event of batch) {
      for (const endpoint of endpoints) {
        if (endpoint.accountId !== event.accountId || !endpoint.events.includes(event.type as EventType)) continue;
        // An endpoint receives what happened after it was created.
        if (endpoint.createdAt.getTime() > event.createdAt.getTime()) continue;
        if (!endpoint.enabled) {
          if ((endpoint.missedEvents ?? 0) < WEBHOOK_LIMITS.missedEvents) missed.set(endpoint, [...(missed.get(endpoint) ?? []), event]);
          continue;
        }
        const input: WebhookDeliveryInput = { accountId: event.accountId, endpointId: endpoint._id, eventId: event._id, ...(options.retryScheduleMs ? { scheduleMs: options.retryScheduleMs } : {}) };
        try {
          await options.temporal.workflow.start('eventDeliveryWorkflow', {
            workflowId: webhookDeliveryWorkflowId(event._id, endpoint._id),
            taskQueue: options.taskQueue,
            args: [input],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
      }
    }
    for (const [endpoint, list] of missed) await health.recordMissed(endpoint, list);
    await acrossAccounts(OUTBOX, () => Promise.all(batch.map((e) => events.updateOne({ _id: e._id }, { $set: { dispatched: true } }))));
  };

  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while (!stopped && (await dispatchOnce()));
        } while (again && !stopped);
      } catch (error) {
        // What this run held is found again by the next sweep, at the next tick even while a feed is live.
        sweep = true;
        lastSweepAt = 0;
        log('event dispatch failed (retried on the next sweep)', error);
      } finally {
        running = undefined;
      }
    })();
  };

  return {
    kick(eventIds) {
      if (eventIds) for (const id of eventIds) kicked.add(id);
      else sweep = true;
      run();
    },
    start(eventFeed) {
      if (!stopped) return;
      stopped = false;
      feed = eventFeed ?? pollingFeed;
      // Every process sees every insert: a second start of the same delivery is refused by its workflow id,
      // and an event another worker already dispatched is skipped when read.
      unsubscribe = feed.subscribe((event) => {
        if (event === null) sweep = true;
        else if (!event.dispatched) kicked.add(event._id);
        run();
      });
      const feedSweepMs = options.feedSweepIntervalMs ?? 600_000;
      timer = setInterval(() => {
        if (feed.live && Date.now() - lastSweepAt < feedSweepMs) return;
        sweep = true;
        run();
      }, options.intervalMs ?? 30_000);
      timer.unref();
      run();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
