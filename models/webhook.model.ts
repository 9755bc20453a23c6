import { Schema, type Connection, type Model } from 'mongoose';
import type { DisabledReason, EventType } from './webhook.schema';
import type { SealedSecret } from './secret-box';
import { deleteExpiredInBatches, type BatchBounds } from './retention';

/**
 * One conversation event (a message written, a status change, an action's outcome). Written by the
 * worker's `saveTurn` with an id derived from what it describes, so at-least-once writes dedupe on `_id`,
 * and a `position` that grows with the conversation (the SSE stream's event id).
 */
export interface EventDoc {
  _id: string;
  accountId: string;
  conversationId: string;
  botId: string;
  position: number;
  type: EventType | 'webhook.test';
  data: Record<string, unknown>;
  createdAt: Date;
  /** False until the worker's dispatcher has started the deliveries of this event (an outbox). */
  dispatched: boolean;
}

const eventSchema = new Schema<EventDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    conversationId: { type: String, required: true },
    botId: { type: String, required: true },
    position: { type: Number, required: true },
    type: { type: String, required: true },
    data: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    dispatched: { type: Boolean, required: true },
  },
  { versionKey: false, minimize: false },
);
eventSchema.index({ conversationId: 1, position: 1 }, { unique: true });
// The webhook outbox (undispatched events, oldest first) and the retention clean-up (dispatched ones past the cut-off).
eventSchema.index({ dispatched: 1, createdAt: 1 });

/** What the sealed part of an endpoint holds. */
export interface WebhookSecrets {
  secret: string;
}

export interface WebhookEndpointDoc {
  _id: string;
  accountId: string;
  url: string;
  events: EventType[];
  description?: string | null;
  allowPrivateNetwork: boolean;
  enabled: boolean;
  /**
   * Why the endpoint stopped receiving deliveries: `gone` (it answered 410), `failing` (a delivery ran out
   * of attempts with nothing delivered to the endpoint since it began failing) or `disabled_by_api`.
   */
  disabledReason?: DisabledReason | null;
  disabledAt?: Date | null;
  /** When the first attempt failed since the last delivered one; null while deliveries succeed. */
  failingSince?: Date | null;
  /**
   * Events missed since the endpoint was last disabled (kept in `webhook_missed` for a replay), at most
   * WEBHOOK_LIMITS.missedEvents. Kept after re-enabling until a replay takes them or the next disable.
   */
  missedEvents?: number;
  /** The signing secret, sealed with PARLEY_SECRET_KEYS and bound to the endpoint id. */
  sealed: SealedSecret;
  createdAt: Date;
  updatedAt: Date;
}

const webhookEndpointSchema = new Schema<WebhookEndpointDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    url: { type: String, required: true },
    events: { type: [String], required: true },
    description: { type: String, default: null },
    allowPrivateNetwork: { type: Boolean, required: true },
    enabled: { type: Boolean, required: true },
    disabledReason: { type: String, default: null },
    disabledAt: { type: Date, default: null },
    failingSince: { type: Date, default: null },
    missedEvents: { type: Number, default: 0 },
    sealed: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
webhookEndpointSchema.index({ accountId: 1, _id: 1 });

/** One delivery attempt: what came back, never the secret or the signature. */
export interface WebhookDeliveryDoc {
  _id: string;
  accountId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  workflowId: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
  /** When the next attempt is due; null when none will follow. */
  nextRetryAt: Date | null;
  /** The endpoint was disabled by this attempt (it answered 410). */
  disabledEndpoint: boolean;
  createdAt: Date;
}

const webhookDeliverySchema = new Schema<WebhookDeliveryDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    endpointId: { type: String, required: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    workflowId: { type: String, required: true },
    attempt: { type: Number, required: true },
    status: { type: String, required: true },
    responseStatus: { type: Number, default: null },
    responseBody: { type: String, default: null },
    error: { type: String, default: null },
    durationMs: { type: Number, required: true },
    nextRetryAt: { type: Date, default: null },
    disabledEndpoint: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// One row per attempt of a delivery (a retried activity rewrites its row), listed newest first.
webhookDeliverySchema.index({ workflowId: 1, attempt: 1 }, { unique: true });
webhookDeliverySchema.index({ endpointId: 1, _id: -1 });
// The deliveries list filtered by event ("what happened to event X") or by status ("what failed"): each
// reads its page from an index instead of the endpoint's deliveries until a page matches.
webhookDeliverySchema.index({ endpointId: 1, eventId: 1, _id: -1 });
webhookDeliverySchema.index({ endpointId: 1, status: 1, _id: -1 });
// The retention clean-up: the oldest rows first, past the cut-off.
webhookDeliverySchema.index({ createdAt: 1 });

/** One event a disabled endpoint missed: enough to filter a replay without reading the event. */
export interface MissedEvent {
  id: string;
  type: string;
  /** The event's `createdAt`. */
  at: Date;
}

/**
 * What one disabled endpoint missed, for a replay once it is enabled again: the event it was failing on
 * when disabled, deliveries in flight that found it disabled, and the events recorded while it was.
 *
 * The `_id` is `<accountId>/<endpointId>` (`missedLedgerId`): the account is part of the key, and every
 * read and write here is by that lone `_id`, the one filter FerretDB on SQLite answers from an index
 * (events themselves can only be found by `_id` or by conversation there). No `accountId` field: the key
 * is the scope. Replaced when the endpoint is disabled again; at most WEBHOOK_LIMITS.missedEvents events.
 */
export interface WebhookMissedDoc {
  _id: string;
  endpointId: string;
  /** When the endpoint was disabled: the period these events were missed in. */
  since: Date;
  events: MissedEvent[];
  updatedAt: Date;
}

const webhookMissedSchema = new Schema<WebhookMissedDoc>(
  {
    _id: { type: String, required: true },
    endpointId: { type: String, required: true },
    since: { type: Date, required: true },
    events: { type: [{ _id: false, id: String, type: { type: String }, at: Date }], required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const missedLedgerId = (accountId: string, endpointId: string): string => `${accountId}/${endpointId}`;

export function webhookModels(db: Connection): {
  Event: Model<EventDoc>;
  WebhookEndpoint: Model<WebhookEndpointDoc>;
  WebhookDelivery: Model<WebhookDeliveryDoc>;
  WebhookMissed: Model<WebhookMissedDoc>;
} {
  return {
    Event: db.models.Event ?? db.model<EventDoc>('Event', eventSchema, 'events'),
    WebhookEndpoint: db.models.WebhookEndpoint ?? db.model<WebhookEndpointDoc>('WebhookEndpoint', webhookEndpointSchema, 'webhook_endpoints'),
    WebhookDelivery: db.models.WebhookDelivery ?? db.model<WebhookDeliveryDoc>('WebhookDelivery', webhookDeliverySchema, 'webhook_deliveries'),
    WebhookMissed: db.models.WebhookMissed ?? db.model<WebhookMissedDoc>('WebhookMissed', webhookMissedSchema, 'webhook_missed'),
  };
}

/**
 * Deletes events and delivery log rows older than `retentionDays` (FerretDB has no TTL indexes, so the
 * API runs this hourly), in bounded batches (models/retention.ts): a run deletes at most
 * `maxBatches` × `batchSize` of each, and the next run carries on. An event not yet handed to its webhooks
 * is kept whatever its age.
 */
export async function purgeOldEvents(
  models: { Event: Model<EventDoc>; WebhookDelivery: Model<WebhookDeliveryDoc> },
  retentionDays: number,
  now = new Date(),
  bounds: BatchBounds = {},
): Promise<{ events: number; deliveries: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 3600_000);
  // An operator job over every account's history: the same cut-off for all. Each filter and sort is the
  // prefix of an index declared above, in its order.
  const [events, deliveries] = await Promise.all([
    deleteExpiredInBatches(models.Event.collection, {
      reason: 'retention: dispatched events older than the cut-off, in every account',
      filter: { dispatched: true, createdAt: { $lt: cutoff } },
      sort: { createdAt: 1 },
      ...bounds,
    }),
    deleteExpiredInBatches(models.WebhookDelivery.collection, {
      reason: 'retention: webhook delivery logs older than the cut-off, in every account',
      filter: { createdAt: { $lt: cutoff } },
      sort: { createdAt: 1 },
      ...bounds,
    }),
  ]);
  return { events: events.deleted, deliveries: deliveries.deleted };
}
