/**
 * One event delivered to one webhook endpoint, over about three days: an attempt after each delay of the
 * schedule (WEBHOOK_RETRY_SCHEDULE_MS: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 12 h, 12 h,
 * 20 h), each delay spread by ±10% jitter and stretched by the receiver's Retry-After (429 or 503, at most
 * an hour), durable timers in between, until the endpoint answers 2xx, answers 410 (it is then disabled),
 * or the schedule runs out (the last attempt disables the endpoint when it has been failing throughout).
 *
 * It replaces `webhookDeliveryWorkflow` (a fixed schedule, no jitter), which stays registered so runs
 * started before keep replaying: a new workflow type rather than `patched()`, which would cost every
 * delivery a marker and a TemporalChangeVersion upsert (as action runs did, workflows/api-chain.ts).
 *
 * The id derives from the event and the endpoint (`webhook-<eventId>-<endpointId>`, or a replay's own),
 * so an event is delivered once per endpoint. Its input holds ids only: the payload and the signing
 * secret are read by the activity, never recorded in this history. A run that ends without delivering
 * says so in its result (`outcome`, `disabledReason`, `lastStatus`) and in the search attribute
 * `ParleyStatus` (`failed`, or `endpoint_disabled`), so the Web UI finds the runs that disabled an endpoint.
 */
import { proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import { jitterDelay, nextAttemptDelay } from '../core/webhooks/schedule';
import { WEBHOOK_LIMITS, WEBHOOK_RETRY_SCHEDULE_MS } from '../models/limits';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from '../models/webhook.schema';
import { SA } from './definitions';
import { activityOptions } from './activity-policies';

// The HTTP outcome is data (the workflow's schedule retries it); these retries are for the activity
// itself failing (database unreachable, a worker that died mid-attempt).
const { deliverWebhook } = proxyActivities<ConversationActivities>(activityOptions('deliverWebhook'));

/** `ParleyStatus` of a delivery that ended undelivered (a delivered or skipped one upserts nothing: no cost). */
export const DELIVERY_STATUS = { failed: 'failed', endpointDisabled: 'endpoint_disabled' } as const;

/**
 * The jittered wait for schedule entry `delayMs`. `Math.random()` inside the workflow sandbox is the SDK's
 * seeded generator (seeded from the run's history), so a replay draws the same numbers in the same order.
 */
const jittered = (delayMs: number): number => jitterDelay({ delayMs, random: Math.random(), ratio: WEBHOOK_LIMITS.jitter });

export async function eventDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const schedule = input.scheduleMs && input.scheduleMs.length > 0 ? input.scheduleMs : WEBHOOK_RETRY_SCHEDULE_MS;
  let wait = jittered(schedule[0]!);
  let firstFailedAt: number | undefined;
  let lastStatus: number | null = null;
  for (let i = 0; i < schedule.length; i++) {
    if (wait > 0) await sleep(wait);
    const next = i + 1 < schedule.length ? jittered(schedule[i + 1]!) : null;
    const result = await deliverWebhook({
      accountId: input.accountId,
      endpointId: input.endpointId,
      eventId: input.eventId,
      attempt: i + 1,
      nextDelayMs: next,
      ...(firstFailedAt !== undefined ? { firstFailedAt } : {}),
    });
    lastStatus = result.status;
    if (result.outcome === 'delivered' || result.outcome === 'skipped') return { outcome: result.outcome, attempts: i + 1, lastStatus };
    if (result.outcome === 'disabled') {
      // Disabled by this attempt (a 410, or the last attempt of a failing endpoint), or a 410 that found it
      // disabled already.
      finish(input, DELIVERY_STATUS.endpointDisabled);
      return { outcome: 'disabled', attempts: i + 1, lastStatus, ...(result.disabledReason ? { disabledReason: result.disabledReason } : {}) };
    }
    // The activity's own clock (it also set the endpoint's `failingSince` with it), as data from the
    // history: never the workflow's clock, which is the server's and may be skewed from the worker's.
    firstFailedAt ??= result.attemptedAt;
    if (next !== null) wait = nextAttemptDelay({ scheduledMs: next, retryAfterMs: result.retryAfterMs });
  }
  finish(input, DELIVERY_STATUS.failed);
  return { outcome: 'failed', attempts: schedule.length, lastStatus };
}

/** Labels a run that ended undelivered, for the Web UI's filters (keywords, no PII). */
function finish(input: WebhookDeliveryInput, status: (typeof DELIVERY_STATUS)[keyof typeof DELIVERY_STATUS]): void {
  upsertSearchAttributes([
    { key: SA.accountId, value: input.accountId },
    { key: SA.status, value: status },
  ]);
}
