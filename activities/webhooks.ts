/**
 * `deliverWebhook`: one attempt of one event to one endpoint, signed with the Standard Webhooks scheme
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`), sent through the same SSRF-safe client as
 * tenant API calls (safe agents, no redirects, a deadline, a response cap). The endpoint's secret is
 * opened here and nowhere else: it is never in the workflow's history, a log row or an error.
 *
 * 2xx: delivered. 410: the endpoint is disabled and nothing more is sent to it. Anything else (3xx,
 * which is never followed, other 4xx, 5xx, network errors, timeouts): a failed attempt that the workflow
 * retries on its schedule. Every attempt writes one delivery log row.
 */
import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import type { SecretBox } from '../models/secret-box';
import { webhookModels, type WebhookSecrets } from '../models/webhook.model';
import type { DeliveryOutcome } from '../models/webhook.schema';
import { activitySignal, attemptInfo } from './http/activity-context';
import type { HttpOptions } from './http/connection';
import { createOutboundNetwork } from './http/network';
import { sendRequest } from './http/send';

export interface WebhookActivityDeps {
  db: Connection;
  secrets: SecretBox;
  http?: HttpOptions;
  /** Deadline of one delivery request. Default 15 s. */
  timeoutMs?: number;
}

export interface DeliverWebhookInput {
  accountId: string;
  endpointId: string;
  eventId: string;
  /** 1-based attempt of the delivery schedule. */
  attempt: number;
  /** Delay before the next attempt if this one fails; null for the last one. */
  nextDelayMs: number | null;
}

const RESPONSE_BODY_KEPT = 2000;
const MAX_RESPONSE_BYTES = 256 * 1024;

export function createWebhookActivities(deps: WebhookActivityDeps) {
  const { Event, WebhookEndpoint, WebhookDelivery } = webhookModels(deps.db);
  const outbound = deps.http?.network ?? createOutboundNetwork();

  return {
    async deliverWebhook(input: DeliverWebhookInput): Promise<{ outcome: DeliveryOutcome; status: number | null }> {
      const endpoint = await WebhookEndpoint.findOne({ _id: input.endpointId, accountId: input.accountId }).lean();
      // Deleted, disabled (by a 410 or the API) or no longer subscribed: nothing more to send.
      if (!endpoint || !endpoint.enabled) return { outcome: 'skipped', status: null };
      const event = await Event.findOne({ _id: input.eventId, accountId: input.accountId }).lean();
      if (!event) return { outcome: 'skipped', status: null };
      if (event.type !== 'webhook.test' && !endpoint.events.includes(event.type)) return { outcome: 'skipped', status: null };

      let secret: string;
      try {
        secret = deps.secrets.open<WebhookSecrets>(endpoint.sealed, endpoint._id).secret;
      } catch {
        return { outcome: 'skipped', status: null };
      }
      const payload = JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data: event.data });
      const now = new Date();
      const signature = new Webhook(secret).sign(event._id, now, payload);
      const result = await sendRequest({
        request: {
          method: 'POST',
          url: endpoint.url,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Parley-Webhooks/1.0',
            'webhook-id': event._id,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body: payload,
        },
        agents: outbound.agents(endpoint.allowPrivateNetwork),
        timeoutMs: deps.timeoutMs ?? 15_000,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        signal: activitySignal(),
      });

      const status = result.kind === 'response' ? result.status : null;
      const outcome: DeliveryOutcome = status !== null && status >= 200 && status < 300 ? 'delivered' : status === 410 ? 'disabled' : 'retry';
      const retries = outcome === 'retry' && input.nextDelayMs !== null;
      const { workflowId = `webhook-${event._id}-${endpoint._id}` } = attemptInfo();
      const at = new Date();
      await WebhookDelivery.updateOne(
        { workflowId, attempt: input.attempt },
        {
          $set: {
            accountId: input.accountId,
            endpointId: endpoint._id,
            eventId: event._id,
            eventType: event.type,
            status: outcome === 'delivered' ? 'succeeded' : 'failed',
            responseStatus: status,
            responseBody: result.kind === 'response' ? trim(result.body) : null,
            error: result.kind === 'failure' ? result.message : status !== null && status >= 300 && status < 400 ? 'redirects are not followed' : null,
            durationMs: result.durationMs,
            nextRetryAt: retries ? new Date(at.getTime() + input.nextDelayMs!) : null,
            disabledEndpoint: outcome === 'disabled',
          },
          $setOnInsert: { _id: deliveryId(workflowId, input.attempt, at), createdAt: at },
        },
        { upsert: true },
      );
      if (outcome === 'disabled') {
        await WebhookEndpoint.updateOne({ _id: endpoint._id }, { $set: { enabled: false, disabledReason: 'gone', disabledAt: at, updatedAt: at } });
      }
      return { outcome, status };
    },
  };
}

function trim(body: string): string {
  return body.length > RESPONSE_BODY_KEPT ? `${body.slice(0, RESPONSE_BODY_KEPT)}…` : body;
}

/** Time-ordered (for listing newest first), unique per attempt. */
function deliveryId(workflowId: string, attempt: number, at: Date): string {
  const hash = createHash('sha256').update(`${workflowId}\u0000${attempt}`).digest('hex').slice(0, 16);
  return `whd_${at.getTime().toString(36).padStart(9, '0')}${hash}`;
}
