/**
 * @parley/client: a typed client for the Parley API.
 *
 * - `createParleyClient` is openapi-fetch over the types openapi-typescript generates from the API's
 *   OpenAPI document (schema.d.ts, `npm run client:generate`): every path, parameter, body and answer is
 *   typed; a call answers `{ data, response }` or `{ error, response }` (`error`: `{message, code, details}`).
 * - `ok` turns such an answer into its data, or throws a `ParleyApiError`.
 * - `conversationEvents` reads a conversation's Server-Sent Events as an async iterator, resuming with
 *   `Last-Event-ID` after a dropped connection (generators stop at `text/event-stream`).
 * - `verifyWebhook` checks a webhook delivery's Standard Webhooks signature and returns its typed body.
 */
export type { components, operations, paths } from './schema';
export { createParleyClient, type Answer, type ApiError, type Conversation, type Message, type ParleyClient, type ParleyClientOptions, type Reply } from './client';
export { ok, ParleyApiError } from './errors';
export { conversationEvents, type ConversationEventsOptions, type ReceivedEvent, type StreamEvent } from './events';
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookInput, type WebhookHeaders, type WebhookPayload } from './webhooks';
