import { z } from 'zod';
import { findOwned } from '../../../models/tenancy';
import type { WebhookEndpointDoc } from '../../../models/webhook.model';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';

export const WebhookParams = z.object({ id: z.string().regex(/^whk_[a-z0-9]{1,40}$/, 'must be a webhook id') });

/** The account's endpoint, read by its lone `_id` (an index on every store) and checked in code; else 404. */
export async function findWebhook(deps: ApiDeps, accountId: string, id: string): Promise<WebhookEndpointDoc> {
  const webhook = await findOwned(deps.WebhookEndpoint, id, accountId);
  if (!webhook) throw AppError.notFound('webhook');
  return webhook;
}
