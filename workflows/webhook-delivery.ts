/**
 * The first webhook delivery workflow, kept registered (and unchanged) so runs started before
 * `eventDeliveryWorkflow` (workflows/event-delivery.ts) replaced it keep replaying; nothing starts it now.
 *
 * One event delivered to one webhook endpoint, with the Standard Webhooks retry schedule: an attempt
 * after each delay (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), durable timers in between,
 * until the endpoint answers 2xx, answers 410 (it is then disabled), or the schedule runs out.
 *
 * Its id derives from the event and the endpoint (`webhook-<eventId>-<endpointId>`), so an event is
 * delivered once per endpoint. Its input holds ids only: the payload and the signing secret are read
 * by the activity, never recorded in this history.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import { STANDARD_RETRY_SCHEDULE_MS } from '../models/limits';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from '../models/webhook.schema';
import { activityOptions } from './activity-policies';

// The HTTP outcome is data (the workflow's schedule retries it); these retries are for the activity
// itself failing (database unreachable, a worker that died mid-attempt).
const { deliverWebhook } = proxyActivities<ConversationActivities>(activityOptions('deliverWebhook'));

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const schedule = input.scheduleMs && input.scheduleMs.length > 0 ? input.scheduleMs : STANDARD_RETRY_SCHEDULE_MS;
  for (let i = 0; i < schedule.length; i++) {
    const delay = schedule[i]!;
    if (delay > 0) await sleep(delay);
    const { outcome } = await deliverWebhook({
      accountId: input.accountId,
      endpointId: input.endpointId,
      eventId: input.eventId,
      attempt: i + 1,
      nextDelayMs: schedule[i + 1] ?? null,
    });
    if (outcome !== 'retry') return { outcome: outcome === 'delivered' ? 'delivered' : outcome, attempts: i + 1 };
  }
  return { outcome: 'failed', attempts: schedule.length };
}
