/**
 * Webhooks and conversation events: the event types a conversation emits and what an endpoint
 * subscribes to. Shared by the API and the worker; workflow code imports types only (the Standard
 * Webhooks retry schedule lives zod-free in models/limits.ts).
 */
import { z } from 'zod';

/** Every event type a webhook endpoint can subscribe to (and the SSE stream carries). */
export const WEBHOOK_EVENT_TYPES = [
  'conversation.started',
  'conversation.closed',
  'conversation.handoff',
  'conversation.released',
  'message.created',
  'action.completed',
  'action.failed',
  // Of the account rather than a conversation: one of its endpoints stopped receiving (it answered 410, or
  // failed for the whole retry schedule). Its other endpoints can subscribe to hear it.
  'webhook.endpoint_disabled',
  // The inbox (issue 20): human agents, assignment and SLAs.
  'conversation.assigned',
  'conversation.unassigned',
  'note.created',
  'sla.breached',
  'sla.escalated',
  // Of the account: an agent was invited (the business's own mailer sends the link); a plan limit was reached.
  'agent.invited',
  'account.limit_reached',
] as const;
export type EventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A delivery runs once per (event, endpoint): Temporal refuses a second run with the same id. */
export const webhookDeliveryWorkflowId = (eventId: string, endpointId: string): string => `webhook-${eventId}-${endpointId}`;

/**
 * A replayed delivery: once per (event, endpoint, disabled period), so a replay asked for twice (or
 * retried after a timeout) queues each missed event once. `period` is when the endpoint was disabled (ms).
 */
export const webhookReplayWorkflowId = (eventId: string, endpointId: string, period: number): string => `webhook-${eventId}-${endpointId}-replay-${period.toString(36)}`;

/** Why an endpoint stopped receiving deliveries. */
export type DisabledReason = 'gone' | 'failing' | 'disabled_by_api';

export interface WebhookDeliveryInput {
  accountId: string;
  endpointId: string;
  eventId: string;
  /** Delays before each attempt (ms); defaults to the standard schedule. Injectable for tests. */
  scheduleMs?: number[];
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'disabled' | 'skipped';

/** A delivery workflow's result (shown as the run's result in the Temporal Web UI). */
export interface WebhookDeliveryResult {
  outcome: 'delivered' | 'failed' | 'disabled' | 'skipped';
  attempts: number;
  /** Set when this delivery disabled the endpoint: it answered 410, or the schedule ran out while it failed. */
  disabledReason?: 'gone' | 'failing';
  /** The last attempt's HTTP status (null: no response: timeout, refused, blocked). */
  lastStatus?: number | null;
}

const Events = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length).transform((events) => [...new Set(events)]);

export const CreateWebhookBody = z.strictObject({
  url: z.string().min(1).max(2000),
  events: Events,
  description: z.string().max(500).optional(),
  /** Lets the URL reach private, loopback and link-local addresses (and plain http). */
  allowPrivateNetwork: z.boolean().default(false),
  enabled: z.boolean().default(true),
});

export const UpdateWebhookBody = z
  .strictObject({
    url: z.string().min(1).max(2000).optional(),
    events: Events.optional(),
    description: z.string().max(500).nullable().optional(),
    allowPrivateNetwork: z.boolean().optional(),
    /**
     * Re-enables an endpoint disabled by a 410 or a failed schedule (or pauses one). What it missed
     * meanwhile is not sent by itself: `POST /v1/webhooks/:id/replay` re-queues it.
     */
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one field' });

/** `POST /v1/webhooks/:id/replay`: re-queue the events the endpoint missed while it was disabled. */
export const ReplayWebhookBody = z.strictObject({
  /** Only the missed events recorded at or after this time (ISO 8601); the others are dropped. */
  since: z.iso.datetime({ offset: true }).optional(),
});

/** The answer of `POST /v1/webhooks/:id/replay` (202). */
export const ReplayWebhookAnswer = z.object({
  queued: z.number().int().describe('deliveries queued now'),
  alreadyQueued: z.number().int().describe('missed events whose replay an earlier request queued (a retried request)'),
  skipped: z.number().int().describe('missed events not replayed: before `since`, past EVENT_RETENTION_DAYS, or of a type the endpoint no longer subscribes to'),
  missedSince: z.string().nullable().describe('when the endpoint was disabled (the period the events were missed in); null when it missed nothing'),
});
export type ReplayWebhookAnswer = z.infer<typeof ReplayWebhookAnswer>;
