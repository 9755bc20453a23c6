/**
 * `deliverWebhook`: one attempt of one event to one endpoint, signed with the Standard Webhooks scheme
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`), sent through the same SSRF-safe client as
 * tenant API calls (safe agents, no redirects, a deadline, a response cap). The endpoint's secret is
 * opened here and nowhere else: it is never in the workflow's history, a log row or an error.
 *
 * 2xx: delivered. 410: the endpoint is disabled and nothing more is sent to it. Anything else (3xx,
 * which is never followed, other 4xx, 5xx, network errors, timeouts): a failed attempt that the workflow
 * retries on its schedule; a 429 or 503 with Retry-After says how long to wait at least (returned as
 * data, capped at WEBHOOK_LIMITS.retryAfterMaxMs). When the last attempt of the schedule fails
 * (`nextDelayMs: null`) and nothing was delivered to the endpoint since this delivery began failing, the
 * endpoint is disabled (`failing`). Every attempt writes one delivery log row.
 *
 * An endpoint found disabled is sent nothing; the event goes to its ledger of missed events
 * (activities/webhook-endpoints.ts), for a replay once it is enabled again.
 */
import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { WEBHOOK_LIMITS } from '../models/limits';
import type { SecretBox } from '../models/secret-box';
import { findOwned } from '../models/tenancy';
import { webhookModels, type WebhookSecrets } from '../models/webhook.model';
import type { DeliveryOutcome } from '../models/webhook.schema';
import { nextAttemptDelay } from '../core/webhooks/schedule';
import { activitySignal, attemptInfo } from './http/activity-context';
import type { HttpOptions } from './http/connection';
import { createOutboundNetwork } from './http/network';
import { retryAfterMs } from './http/response';
import { sendRequest } from './http/send';
import { createEndpointHealth } from './webhook-endpoints';

export interface WebhookActivityDeps {
  db: Connection;
  secrets: SecretBox;
  http?: HttpOptions;
  /** Deadline of one delivery request. Default 15 s. */
  timeoutMs?: number;
  /** Told when an event was recorded for the outbox (an endpoint was disabled), so it goes out at once. */
  onEvents?: (eventIds: string[]) => void;
}

export interface DeliverWebhookInput {
  accountId: string;
  endpointId: string;
  eventId: string;
  /** 1-based attempt of the delivery schedule. */
  attempt: number;
  /** Delay before the next attempt if this one fails (jittered by the workflow); null for the last one. */
  nextDelayMs: number | null;
  /**
   * When this delivery's first failed attempt got its answer (its `attemptedAt`). The last attempt
   * disables the endpoint only if it has been failing since then at the latest. Absent in runs of the
   * older `webhookDeliveryWorkflow`: then it is enough that the endpoint is failing.
   */
  firstFailedAt?: number;
}

/** What one attempt did, as data for the workflow's schedule. */
export interface DeliverWebhookResult {
  outcome: DeliveryOutcome;
  status: number | null;
  /** The receiver's Retry-After on a 429 or 503, in ms and capped; null otherwise. */
  retryAfterMs: number | null;
  /** Set when this attempt disabled the endpoint (worker/interceptors.ts counts it). */
  disabledReason: 'gone' | 'failing' | null;
  /** When the answer came (ms): the time a failure set the endpoint's `failingSince` to. */
  attemptedAt: number;
}

/** Retry-After counts on these answers only: "slow down" (429) and "unavailable for now" (503). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** The wait a 429 or 503 asks for (seconds or an HTTP date), capped at WEBHOOK_LIMITS.retryAfterMaxMs; null otherwise. */
export function webhookRetryAfterMs(options: { status: number | null; headers: Record<string, string>; now?: number }): number | null {
  if (options.status === null || !RETRY_AFTER_STATUSES.has(options.status)) return null;
  return retryAfterMs(options.headers['retry-after'], options.now ?? Date.now(), WEBHOOK_LIMITS.retryAfterMaxMs) ?? null;
}

const RESPONSE_BODY_KEPT = 2000;
const MAX_RESPONSE_BYTES = 256 * 1024;

export function createWebhookActivities(deps: WebhookActivityDeps) {
  const { Event, WebhookEndpoint, WebhookDelivery } = webhookModels(deps.db);
  const outbound = deps.http?.network ?? createOutboundNetwork();
  const health = createEndpointHealth(deps.db, deps.onEvents);
  const skipped = (): DeliverWebhookResult => ({ outcome: 'skipped', status: null, retryAfterMs: null, disabledReason: null, attemptedAt: Date.now() });

  return {
    async deliverWebhook(input: DeliverWebhookInput): Promise<DeliverWebhookResult> {
      // By `_id` (an index on every store), the account checked in code.
      const endpoint = await findOwned(WebhookEndpoint, input.endpointId, input.accountId);
      if (!endpoint) return skipped();
      const event = await findOwned(Event, input.eventId, input.accountId);
      // Deleted, or no longer subscribed: nothing more to send.
      if (!event) return skipped();
      if (event.type !== 'webhook.test' && !endpoint.events.includes(event.type)) return skipped();
      if (!endpoint.enabled) {
        // Disabled (a 410, a failed schedule, the API): kept for a replay. A retried attempt that finds
        // the endpoint disabled may be the one that disabled it before its worker died: the account
        // event is written again (the same id, so at most once).
        if (event.type !== 'webhook.test') await health.recordMissed(endpoint, [event]);
        if (attemptInfo().attempt > 1) await health.tellAccount(endpoint);
        return skipped();
      }

      let secret: string;
      try {
        secret = deps.secrets.open<WebhookSecrets>(endpoint.sealed, endpoint._id).secret;
      } catch {
        return skipped();
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
      let outcome: DeliveryOutcome = status !== null && status >= 200 && status < 300 ? 'delivered' : status === 410 ? 'disabled' : 'retry';
      const at = new Date();
      const retryAfter = result.kind === 'response' ? webhookRetryAfterMs({ status, headers: result.headers, now: at.getTime() }) : null;
      const retries = outcome === 'retry' && input.nextDelayMs !== null;
      let disabledReason: DeliverWebhookResult['disabledReason'] = null;
      if (outcome === 'delivered') await health.markHealthy(endpoint);
      if (outcome === 'retry') await health.markFailing(endpoint, at);
      if (outcome === 'disabled' && (await health.disable({ endpoint, reason: 'gone', at, missed: event.type === 'webhook.test' ? null : event }))) disabledReason = 'gone';
      if (outcome === 'retry' && input.nextDelayMs === null && event.type !== 'webhook.test') {
        // The schedule ran out. Disabled only if nothing reached the endpoint since this delivery began
        // failing (read again: another delivery may have succeeded meanwhile), so one event the receiver
        // keeps refusing does not cut off the others.
        const fresh = await findOwned(WebhookEndpoint, endpoint._id, input.accountId);
        const failingSince = fresh?.failingSince?.getTime();
        if (fresh?.enabled && failingSince !== undefined && failingSince <= (input.firstFailedAt ?? Number.POSITIVE_INFINITY)) {
          if (await health.disable({ endpoint: fresh, reason: 'failing', at, missed: event })) {
            disabledReason = 'failing';
            outcome = 'disabled';
          }
        }
      }
      const { workflowId = `webhook-${event._id}-${endpoint._id}` } = attemptInfo();
      await WebhookDelivery.updateOne(
        { workflowId, attempt: input.attempt, accountId: input.accountId },
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
            nextRetryAt: retries ? new Date(at.getTime() + nextAttemptDelay({ scheduledMs: input.nextDelayMs!, retryAfterMs: retryAfter })) : null,
            disabledEndpoint: disabledReason !== null,
          },
          $setOnInsert: { _id: deliveryId(workflowId, input.attempt, at), createdAt: at },
        },
        { upsert: true },
      );
      return { outcome, status, retryAfterMs: retries ? retryAfter : null, disabledReason, attemptedAt: at.getTime() };
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
