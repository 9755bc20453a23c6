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
] as const;
export type EventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A delivery runs once per (event, endpoint): Temporal refuses a second run with the same id. */
export const webhookDeliveryWorkflowId = (eventId: string, endpointId: string): string => `webhook-${eventId}-${endpointId}`;

export interface WebhookDeliveryInput {
  accountId: string;
  endpointId: string;
  eventId: string;
  /** Delays before each attempt (ms); defaults to the standard schedule. Injectable for tests. */
  scheduleMs?: number[];
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'disabled' | 'skipped';

export interface WebhookDeliveryResult {
  outcome: 'delivered' | 'failed' | 'disabled' | 'skipped';
  attempts: number;
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
    /** Re-enables an endpoint disabled by a 410 (or pauses one). */
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one field' });
