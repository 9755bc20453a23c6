import { findOwned } from '../../../models/tenancy';
import type { WebhookEndpointDoc } from '../../../models/webhook.model';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';

/** The account's endpoint, read by its lone `_id` (an index on every store) and checked in code; else 404. */
export async function findWebhook(deps: ApiDeps, accountId: string, id: string): Promise<WebhookEndpointDoc> {
  const webhook = await findOwned(deps.WebhookEndpoint, id, accountId);
  if (!webhook) throw AppError.notFound('webhook');
  return webhook;
}
