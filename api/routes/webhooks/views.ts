import type { NetworkPolicy } from '../../../core/http/network-policy';
import { privateNetworkAccess } from '../../outbound';
import type { WebhookDeliveryDoc, WebhookEndpointDoc } from '../../../models/webhook.model';

/** Built field by field (never by spreading the document), so `sealed` cannot leak into a response. */
export const webhookView = (w: WebhookEndpointDoc, policy: NetworkPolicy) => ({
  id: w._id,
  url: w.url,
  events: w.events,
  description: w.description ?? null,
  allowPrivateNetwork: w.allowPrivateNetwork,
  privateNetworkAccess: privateNetworkAccess(policy, w.url, w.allowPrivateNetwork),
  enabled: w.enabled,
  disabledReason: w.disabledReason ?? null,
  disabledAt: w.disabledAt ? w.disabledAt.toISOString() : null,
  /** When deliveries to it began failing (null while they succeed): with the schedule's ~3 days, when it will be disabled. */
  failingSince: w.failingSince ? w.failingSince.toISOString() : null,
  /** Events missed since it was last disabled, for `POST /v1/webhooks/:id/replay` (at most 1,000 are kept). */
  missedEvents: w.missedEvents ?? 0,
  createdAt: w.createdAt.toISOString(),
  updatedAt: w.updatedAt.toISOString(),
});

export const deliveryView = (d: WebhookDeliveryDoc) => ({
  id: d._id,
  endpointId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  attempt: d.attempt,
  status: d.status,
  responseStatus: d.responseStatus,
  responseBody: d.responseBody,
  error: d.error,
  durationMs: d.durationMs,
  nextRetryAt: d.nextRetryAt ? d.nextRetryAt.toISOString() : null,
  disabledEndpoint: d.disabledEndpoint,
  workflowId: d.workflowId,
  createdAt: d.createdAt.toISOString(),
});
