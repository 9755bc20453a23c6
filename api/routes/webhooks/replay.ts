/**
 * `POST /v1/webhooks/:id/replay {since?}` — re-queues what an endpoint missed while it was disabled, once
 * it is enabled again: the event it was failing on, the deliveries in flight that found it disabled, and
 * the events recorded meanwhile (its ledger, models/webhook.model.ts `WebhookMissedDoc`), each of a type
 * it still subscribes to, recorded at or after `since` and within EVENT_RETENTION_DAYS; at most
 * WEBHOOK_LIMITS.missedEvents. Answers 202 with how many were queued.
 *
 * Served by indexes on every store: the endpoint and the ledger are each read by a lone `_id` (the ledger's
 * holds the account), never by a scan of the events. Each replayed delivery is its own
 * `eventDeliveryWorkflow` with an id from the event, the endpoint and the disabled period, so a replay
 * retried after a timeout queues nothing twice; the ledger is dropped once every delivery is queued.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { RequestHandler } from 'express';
import { WEBHOOK_LIMITS } from '../../../models/limits';
import { withOwnedId } from '../../../models/tenancy';
import { missedLedgerId, type MissedEvent } from '../../../models/webhook.model';
import { ReplayWebhookBody, webhookReplayWorkflowId, type EventType, type ReplayWebhookAnswer, type WebhookDeliveryInput } from '../../../models/webhook.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { parse } from '../../validate';
import { parsePath, WebhookParams } from '../../path-params';
import { findWebhook } from './lookup';

/** Deliveries started at once: 1,000 starts take about a second instead of fifteen. */
const STARTS_IN_PARALLEL = 16;

export function replayWebhook(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(WebhookParams, req.params);
    const body = parse(ReplayWebhookBody, req.body ?? {});
    const accountId = callerOf(res).accountId;
    const webhook = await findWebhook(deps, accountId, id);
    if (!webhook.enabled) throw new AppError(409, 'webhook_disabled', 'the webhook is disabled; enable it first (PATCH with enabled: true), then replay', { disabledReason: webhook.disabledReason ?? null });
    const ledgerId = missedLedgerId(accountId, id);
    const ledger = await deps.WebhookMissed.findOne({ _id: ledgerId }).lean();
    if (!ledger) {
      res.status(202).json({ queued: 0, alreadyQueued: 0, skipped: 0, missedSince: null } satisfies ReplayWebhookAnswer);
      return;
    }

    const from = Math.max(Date.now() - deps.config.EVENT_RETENTION_DAYS * 86_400_000, body.since ? Date.parse(body.since) : 0);
    const distinct = [...new Map(ledger.events.map((e) => [e.id, e])).values()];
    const chosen = distinct.filter((e) => webhook.events.includes(e.type as EventType) && e.at.getTime() >= from).slice(0, WEBHOOK_LIMITS.missedEvents);
    const period = ledger.since.getTime();
    const start = async (event: MissedEvent): Promise<'queued' | 'already'> => {
      const input: WebhookDeliveryInput = { accountId, endpointId: id, eventId: event.id };
      try {
        await deps.temporal.workflow.start('eventDeliveryWorkflow', {
          workflowId: webhookReplayWorkflowId(event.id, id, period),
          taskQueue: deps.config.TASK_QUEUE,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
        return 'queued';
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already';
        throw error;
      }
    };
    const outcomes: ('queued' | 'already')[] = [];
    try {
      for (let i = 0; i < chosen.length; i += STARTS_IN_PARALLEL) outcomes.push(...(await Promise.all(chosen.slice(i, i + STARTS_IN_PARALLEL).map(start))));
    } catch {
      // The ledger stays: asking again queues the rest (what is queued already is recognised by its id).
      throw new AppError(503, 'temporal_unavailable', 'not every missed event could be queued; ask again to queue the rest', { queued: outcomes.filter((o) => o === 'queued').length });
    }
    await deps.WebhookMissed.deleteOne({ _id: ledgerId });
    await withOwnedId('the endpoint findWebhook just read for this account', () => deps.WebhookEndpoint.updateOne({ _id: id }, { $set: { missedEvents: 0 } }).exec());
    res.status(202).json({
      queued: outcomes.filter((o) => o === 'queued').length,
      alreadyQueued: outcomes.filter((o) => o === 'already').length,
      skipped: distinct.length - chosen.length,
      missedSince: ledger.since.toISOString(),
    } satisfies ReplayWebhookAnswer);
  };
}
