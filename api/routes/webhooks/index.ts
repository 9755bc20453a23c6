/**
 * Webhook endpoints of an account: where conversation events are POSTed, signed with the Standard
 * Webhooks scheme. The signing secret is shown once, in the creation response; after that it is sealed
 * (like connection credentials) and only the worker's delivery activity opens it. An endpoint disabled
 * (by a 410, a failed schedule or this API) keeps a ledger of what it missed; `POST .../replay` re-queues it
 * (./replay.ts).
 */
import { randomBytes } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { missedLedgerId, type WebhookEndpointDoc, type WebhookSecrets } from '../../../models/webhook.model';
import { CreateWebhookBody, UpdateWebhookBody, webhookDeliveryWorkflowId, type WebhookDeliveryInput } from '../../../models/webhook.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { page, PageQuery } from '../../pagination';
import { parse } from '../../validate';
import { parsePath, WebhookParams } from '../../path-params';
import { rejectIssues, type FieldIssue } from '../connections/issues';
import { findWebhook } from './lookup';
import { replayWebhook } from './replay';
import { checkWebhookUrl } from './url';
import { deliveryView, webhookView } from './views';

export const WebhookListQuery = z.strictObject(PageQuery);
export const DeliveriesQuery = z.strictObject({
  ...PageQuery,
  after: z.string().regex(/^whd_[a-z0-9]{1,40}$/, 'must be a delivery id from a previous page').optional(),
  eventId: z.string().regex(/^evt_[a-z0-9]{1,40}$/, 'must be an event id').optional(),
  status: z.enum(['succeeded', 'failed']).optional(),
});

/** A new Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export function webhooksRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/v1/webhooks', createWebhook(deps));
  router.get('/v1/webhooks', listWebhooks(deps));
  router.get('/v1/webhooks/:id', getWebhook(deps));
  router.patch('/v1/webhooks/:id', updateWebhook(deps));
  router.delete('/v1/webhooks/:id', deleteWebhook(deps));
  router.get('/v1/webhooks/:id/deliveries', listDeliveries(deps));
  router.post('/v1/webhooks/:id/test', testWebhook(deps));
  router.post('/v1/webhooks/:id/replay', replayWebhook(deps));
  return router;
}

/** `POST /v1/webhooks` — 201 `{webhook, secret}`; the secret is never shown again. */
function createWebhook(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const body = parse(CreateWebhookBody, req.body);
    const issues: FieldIssue[] = [];
    const url = await checkWebhookUrl(deps.config.outbound, body.url, body.allowPrivateNetwork, issues);
    rejectIssues('invalid_webhook', issues);
    const id = newId('whk');
    const secret = newSecret();
    const now = new Date();
    const webhook: WebhookEndpointDoc = {
      _id: id,
      accountId: callerOf(res).accountId,
      url,
      events: body.events,
      description: body.description ?? null,
      allowPrivateNetwork: body.allowPrivateNetwork,
      enabled: body.enabled,
      disabledReason: body.enabled ? null : 'disabled_by_api',
      disabledAt: body.enabled ? null : now,
      // Bound to the endpoint id: a sealed value copied onto another endpoint does not open.
      sealed: deps.secrets.seal({ secret } satisfies WebhookSecrets, id),
      createdAt: now,
      updatedAt: now,
    };
    await deps.WebhookEndpoint.create(webhook);
    res.status(201).json({ webhook: webhookView(webhook, deps.config.outbound), secret });
  };
}

/** `GET /v1/webhooks?limit=&after=` — oldest first. */
function listWebhooks(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const query = parse(WebhookListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.after) filter._id = { $gt: query.after };
    const webhooks = await deps.WebhookEndpoint.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
    res.json(page(webhooks.map((w) => webhookView(w, deps.config.outbound)), query.limit));
  };
}

/** `GET /v1/webhooks/:id` */
function getWebhook(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(WebhookParams, req.params);
    res.json({ webhook: webhookView(await findWebhook(deps, callerOf(res).accountId, id), deps.config.outbound) });
  };
}

/**
 * `PATCH /v1/webhooks/:id` — any subset; `enabled: true` re-enables a disabled endpoint (what it missed
 * stays in its ledger for a replay), `enabled: false` disables it and starts a new ledger.
 */
function updateWebhook(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(WebhookParams, req.params);
    const body = parse(UpdateWebhookBody, req.body);
    const accountId = callerOf(res).accountId;
    const current = await findWebhook(deps, accountId, id);
    const now = new Date();
    const set: Record<string, unknown> = { updatedAt: now };
    if (body.url !== undefined || body.allowPrivateNetwork !== undefined) {
      const issues: FieldIssue[] = [];
      set.url = await checkWebhookUrl(deps.config.outbound, body.url ?? current.url, body.allowPrivateNetwork ?? current.allowPrivateNetwork, issues);
      rejectIssues('invalid_webhook', issues);
      if (body.allowPrivateNetwork !== undefined) set.allowPrivateNetwork = body.allowPrivateNetwork;
    }
    if (body.events !== undefined) set.events = body.events;
    if (body.description !== undefined) set.description = body.description;
    // Re-enabled, it starts healthy: a failing endpoint gets a whole schedule again before it is disabled.
    if (body.enabled === true && !current.enabled) Object.assign(set, { enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
    if (body.enabled === false && current.enabled) Object.assign(set, { enabled: false, disabledReason: 'disabled_by_api', disabledAt: now, missedEvents: 0 });
    // A new disabled period: what was missed in an earlier one and never replayed is dropped (first, while
    // the endpoint is still enabled and nothing records into the ledger).
    if (set.enabled === false) await deps.WebhookMissed.deleteOne({ _id: missedLedgerId(accountId, id) });
    const updated = await deps.WebhookEndpoint.findOneAndUpdate({ _id: id, accountId }, { $set: set }, { returnDocument: 'after' }).lean();
    if (!updated) throw AppError.notFound('webhook');
    res.json({ webhook: webhookView(updated, deps.config.outbound) });
  };
}

/** `DELETE /v1/webhooks/:id` — deliveries in progress stop at their next attempt. */
function deleteWebhook(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(WebhookParams, req.params);
    const accountId = callerOf(res).accountId;
    const deleted = await deps.WebhookEndpoint.deleteOne({ _id: id, accountId });
    if (deleted.deletedCount === 0) throw AppError.notFound('webhook');
    await deps.WebhookMissed.deleteOne({ _id: missedLedgerId(accountId, id) });
    res.status(204).end();
  };
}

/** `GET /v1/webhooks/:id/deliveries?eventId=&status=&after=&limit=` — every attempt, newest first. */
function listDeliveries(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(WebhookParams, req.params);
    const query = parse(DeliveriesQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    await findWebhook(deps, accountId, id);
    const filter: Record<string, unknown> = { endpointId: id, accountId };
    if (query.eventId) filter.eventId = query.eventId;
    if (query.status) filter.status = query.status;
    if (query.after) filter._id = { $lt: query.after };
    const rows = await deps.WebhookDelivery.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
    res.json(page(rows.map(deliveryView), query.limit));
  };
}

/**
 * `POST /v1/webhooks/:id/test` — sends a signed `webhook.test` event now (one attempt, no retries) and
 * answers with its delivery log row.
 */
function testWebhook(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(WebhookParams, req.params);
    const accountId = callerOf(res).accountId;
    const webhook = await findWebhook(deps, accountId, id);
    if (!webhook.enabled) throw new AppError(409, 'webhook_disabled', 'the webhook is disabled; enable it first', { disabledReason: webhook.disabledReason ?? null });
    const eventId = newId('evt');
    const now = new Date();
    // A test event belongs to no conversation: its own id stands in (the stream never shows it).
    await deps.Event.create({ _id: eventId, accountId, conversationId: eventId, botId: '-', position: 0, type: 'webhook.test', data: { webhookId: id, message: 'This is a test event from Parley.' }, createdAt: now, dispatched: true });
    const workflowId = webhookDeliveryWorkflowId(eventId, id);
    const input: WebhookDeliveryInput = { accountId, endpointId: id, eventId, scheduleMs: [0] };
    try {
      await deps.temporal.withDeadline(Date.now() + 30_000, () =>
        deps.temporal.workflow.execute('eventDeliveryWorkflow', { workflowId, taskQueue: deps.config.TASK_QUEUE, args: [input] }),
      );
    } catch {
      throw new AppError(503, 'temporal_unavailable', 'the delivery did not finish in time; see the delivery log');
    }
    const row = await deps.WebhookDelivery.findOne({ accountId, workflowId, attempt: 1 }).lean();
    res.json({ eventId, delivery: row ? deliveryView(row) : null });
  };
}
