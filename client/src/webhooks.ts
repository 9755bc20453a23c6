/**
 * Webhook deliveries are signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,...`) with the endpoint's `whsec_...` secret, shown once when the webhook is
 * created. `verifyWebhook` checks a delivery with the `standardwebhooks` package (signature, and a
 * timestamp within five minutes) and returns its body, typed.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { StreamEvent } from './events';

export { WebhookVerificationError };

/** A delivery's body for a conversation event: the same `type` and `data` as on the event stream. */
type ConversationWebhook = StreamEvent extends infer E ? (E extends StreamEvent ? { type: E['type']; timestamp: string; data: E['data'] } : never) : never;

/** The body of a delivery: `{ type, timestamp, data }`. */
export type WebhookPayload =
  | ConversationWebhook
  | { type: 'webhook.test' | 'webhook.endpoint_disabled' | 'agent.invited' | 'account.limit_reached'; timestamp: string; data: Record<string, unknown> };

/** The request's headers, as Node gives them (`req.headers`) or as a fetch `Headers`. */
export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

export interface VerifyWebhookInput {
  /** The endpoint's signing secret, `whsec_...`. */
  secret: string;
  /** The raw request body, exactly as received (not re-serialized JSON). */
  body: string | Buffer;
  headers: WebhookHeaders;
}

/** The verified body; throws `WebhookVerificationError` when the signature or timestamp does not check out. */
export function verifyWebhook({ secret, body, headers }: VerifyWebhookInput): WebhookPayload {
  const flat: Record<string, string> = {};
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  for (const [name, value] of entries) if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return new Webhook(secret).verify(typeof body === 'string' ? body : body.toString('utf8'), flat) as WebhookPayload;
}
