/**
 * Every route of the API, for the OpenAPI document (`GET /openapi.json`, `GET /docs`).
 *
 * TO ADD A ROUTE: add one entry to the `registry.add(...)` list below (or, for a group of routes, a
 * `registry.add(...)` call of your own in this file) with the method, the path exactly as Express mounts
 * it (`/v1/things/:id`), a summary, and the zod schemas the handler parses (`body`, `query`, `params`),
 * plus `success` (status, description, schema) when it is not a 200 JSON object. Export a schema from
 * its module to reference it here rather than copying it. test/unit/openapi.test.ts fails until every
 * mounted route is registered (and every registered route is mounted).
 */
import { z } from 'zod';
import { CreateAccountBody, CreateApiKeyBody, LoginBody } from '../../models/account.schema';
import { AiSettingsBody } from '../../models/ai.schema';
import { CreateBotBody, UpdateBotBody } from '../../models/bot.schema';
import { ActionBody, CreateConnectionBody, CreateEndpointBody, TestEndpointBody, UpdateConnectionBody, UpdateEndpointBody } from '../../models/connection.schema';
import { AgentMessageBody, CHANNELS, CONVERSATION_STATUSES, ConfirmBody, SendMessageBody, StartConversationBody } from '../../models/conversation.schema';
import { BotFlows } from '../../models/flow.schema';
import { ApproveDraftBody, DraftStatus, ImportKnowledgeBody, KnowledgeItemBody, KnowledgeSearchQuery, UpdateKnowledgeItemBody } from '../../models/knowledge.schema';
import { CreateWebhookBody, UpdateWebhookBody } from '../../models/webhook.schema';
import { CreateWebsiteBody, UpdateWebsiteBody, WidgetStartBody } from '../../models/website.schema';
import { TranscriptQuery } from '../routes/conversations/read';
import { PageQuery } from '../pagination';
import { RouteRegistry } from './registry';

const Page = z.strictObject(PageQuery);
const Id = z.string().min(1).max(64);
const ConversationId = z.object({ id: z.string().regex(/^conv_[a-z0-9]{1,40}$/) });
const Paginated = z.object({ data: z.array(z.record(z.string(), z.unknown())), hasMore: z.boolean(), nextAfter: z.string().nullable() });
/** A call log (api/routes/logs.ts `callLogView`); `run` links to the run that made the call in the Temporal Web UI. */
const CallLog = z.object({
  id: z.string(),
  connectionId: z.string(),
  endpointId: z.string().nullable(),
  kind: z.enum(['conversation', 'endpoint_test', 'connection_test']),
  request: z.object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()), body: z.string().nullable() }),
  response: z.object({ status: z.number().int(), headers: z.record(z.string(), z.string()), body: z.string().nullable(), truncated: z.boolean() }).nullable(),
  status: z.number().int().nullable(),
  success: z.boolean(),
  error: z.string().nullable(),
  durationMs: z.number(),
  attempt: z.number().int(),
  conversationId: z.string().nullable(),
  workflowId: z.string().nullable(),
  run: z.object({ workflowId: z.string(), runId: z.string(), url: z.string().describe('the run\'s history page in the Temporal Web UI (TEMPORAL_UI_URL)') }).nullable(),
  createdAt: z.string(),
});
const CallLogPage = z.object({ data: z.array(CallLog), hasMore: z.boolean(), nextAfter: z.string().nullable() });
const Force = z.strictObject({ force: z.enum(['true', 'false']).optional() });
const LogQuery = z.strictObject({ ...PageQuery, success: z.enum(['true', 'false']).optional(), connectionId: Id.optional(), endpointId: Id.optional(), conversationId: Id.optional() });

const Reply = z.object({
  id: z.string(),
  role: z.literal('bot'),
  type: z.literal('text'),
  text: z.string(),
  choices: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  sources: z.array(z.object({ id: z.string(), title: z.string() })).optional(),
  confirmation: z.object({ id: z.string(), action: z.string(), arguments: z.record(z.string(), z.unknown()), argsHash: z.string() }).optional(),
  createdAt: z.string(),
});
const Turn = z.object({ messageId: z.string().nullable(), replies: z.array(Reply), status: z.literal('pending').optional() });
const Conversation = z.object({
  id: z.string(),
  botId: z.string(),
  botVersion: z.number(),
  channel: z.enum(CHANNELS),
  websiteId: z.string().nullable(),
  externalUserId: z.string(),
  contact: z.record(z.string(), z.string()).nullable(),
  variables: z.record(z.string(), z.unknown()),
  status: z.enum(CONVERSATION_STATUSES),
  messageCount: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastMessageAt: z.string().nullable(),
  closedAt: z.string().nullable(),
});
const CodecPayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string().describe('base64')).optional(), data: z.string().describe('base64').optional() })),
});

/**
 * The 503 of the routes that spend money or run models when the rate-limit store fails (they fail closed;
 * every other route lets the request through): api/rate-limit.ts `failsClosed`, which a test keeps equal
 * to the routes carrying this answer.
 */
const LIMITER_DOWN = '`rate_limit_unavailable`: the rate-limit store cannot be reached, and this route spends money or runs models, so it is refused rather than let through unmetered; retry after `Retry-After` seconds';

export const registry = new RouteRegistry();

registry.add(
  // Meta
  { method: 'get', path: '/healthz', summary: 'Liveness check', tag: 'meta', security: 'none', success: { schema: z.object({ status: z.literal('ok') }) } },
  { method: 'get', path: '/openapi.json', summary: 'This OpenAPI 3.1 document', tag: 'meta', security: 'none' },
  { method: 'get', path: '/docs', summary: 'The API reference as an HTML page', tag: 'meta', security: 'none', success: { contentType: 'text/html', schema: z.string() } },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this API process (text exposition format)',
    description: 'For the operator\'s scraper, not for tenants. With `METRICS_AUTH_TOKEN` set it takes `Authorization: Bearer <METRICS_AUTH_TOKEN>`; unset it is open, so keep it off the public network.',
    tag: 'meta',
    security: 'none',
    success: { contentType: 'text/plain', schema: z.string() },
    responses: { 401: 'METRICS_AUTH_TOKEN is set and the request does not carry it' },
  },

  // Accounts and keys
  { method: 'post', path: '/v1/accounts', summary: 'Sign up: an account and its first API key (shown once)', security: 'none', body: CreateAccountBody, success: { status: 201 }, responses: { 409: '`email_taken`', 429: 'too many sign-ups from this address (an IPv6 client counts by its /64)', 503: LIMITER_DOWN } },
  { method: 'post', path: '/v1/auth/login', summary: 'Log in with email and password: a short-lived bearer token', tag: 'auth', security: 'none', body: LoginBody, responses: { 429: 'too many attempts' } },
  { method: 'get', path: '/v1/account', summary: 'Your account' },
  { method: 'get', path: '/v1/api-keys', summary: 'Your active API keys (prefixes only)' },
  { method: 'post', path: '/v1/api-keys', summary: 'Create an API key (shown once)', body: CreateApiKeyBody, success: { status: 201 } },
  { method: 'delete', path: '/v1/api-keys/:id', summary: 'Revoke an API key', success: { status: 204 } },

  // Bots
  { method: 'post', path: '/v1/bots', summary: 'Create a bot', body: CreateBotBody, success: { status: 201 } },
  { method: 'get', path: '/v1/bots', summary: 'List bots', query: Page, success: { schema: Paginated } },
  { method: 'get', path: '/v1/bots/:id', summary: 'A bot' },
  { method: 'patch', path: '/v1/bots/:id', summary: 'Change a bot', body: UpdateBotBody },
  { method: 'delete', path: '/v1/bots/:id', summary: 'Delete a bot', success: { status: 204 } },
  { method: 'post', path: '/v1/bots/:id/publish', summary: 'Freeze the settings as the next immutable version', success: { status: 201 }, responses: { 409: '`publish_conflict`' } },
  { method: 'get', path: '/v1/bots/:id/versions', summary: 'Published versions, newest first' },
  { method: 'get', path: '/v1/bots/:id/flows', summary: "The draft's guided flows", success: { schema: BotFlows } },
  { method: 'put', path: '/v1/bots/:id/flows', summary: "Save the draft's guided flows (validated as a graph)", body: BotFlows, success: { schema: BotFlows } },
  { method: 'get', path: '/v1/bots/:id/ai', summary: 'Smart AI settings (the provider key shown as ••••)', tag: 'bots' },
  { method: 'put', path: '/v1/bots/:id/ai', summary: 'Set the Smart AI settings', tag: 'bots', body: AiSettingsBody },
  { method: 'delete', path: '/v1/bots/:id/ai', summary: 'Remove the Smart AI settings', tag: 'bots' },

  // Conversations
  {
    method: 'post',
    path: '/v1/conversations',
    summary: 'Start a conversation (and send its first message)',
    description:
      'Idempotent with `clientMessageId` or an `Idempotency-Key` header (they must agree): a retry with the same key and body answers the first result (201, `Idempotent-Replayed: true`). 202 `{status:"pending"}` when the bot takes longer than REPLY_WAIT_MS.',
    headers: [{ name: 'Idempotency-Key', description: 'the idempotency key (letters, digits and . _ : -), instead of or equal to `clientMessageId`' }],
    body: StartConversationBody,
    success: { status: 201, schema: Turn.extend({ conversation: Conversation }) },
    responses: { 202: 'started; the replies are pending', 409: '`bot_not_published`, `idempotency_key_in_flight`', 422: '`idempotency_key_reused`: the key was used with another body', 503: LIMITER_DOWN },
  },
  { method: 'get', path: '/v1/conversations', summary: 'List conversations, newest first', query: z.strictObject({ ...PageQuery, botId: Id.optional(), status: z.enum(CONVERSATION_STATUSES).optional() }), success: { schema: Paginated } },
  { method: 'get', path: '/v1/conversations/:id', summary: 'A conversation', params: ConversationId, success: { schema: z.object({ conversation: Conversation }) } },
  { method: 'post', path: '/v1/conversations/:id/messages', summary: "Send a visitor message; answers with the bot's replies", params: ConversationId, body: SendMessageBody, success: { schema: Turn }, responses: { 202: 'the replies are pending', 409: '`conversation_closed`', 503: LIMITER_DOWN } },
  { method: 'get', path: '/v1/conversations/:id/messages', summary: 'The transcript, oldest first', params: ConversationId, query: z.strictObject({ limit: PageQuery.limit, after: z.string().optional() }), success: { schema: Paginated } },
  { method: 'get', path: '/v1/conversations/:id/events', summary: 'Server-sent events of a conversation (`Last-Event-ID` resumes)', params: ConversationId, headers: [{ name: 'Last-Event-ID', description: 'the id of the last event received: the stream resumes after it' }], query: z.strictObject({ after: z.string().optional() }), success: { contentType: 'text/event-stream', schema: z.string() } },
  { method: 'post', path: '/v1/conversations/:id/confirm', summary: 'Approve or decline the action Smart AI proposed', params: ConversationId, body: ConfirmBody, success: { schema: Turn }, responses: { 409: '`confirmation_mismatch`', 503: LIMITER_DOWN } },
  { method: 'post', path: '/v1/conversations/:id/close', summary: 'Close a conversation', params: ConversationId, success: { status: 202 } },
  { method: 'post', path: '/v1/conversations/:id/release', summary: 'Give a handed-off conversation back to the bot', params: ConversationId },
  { method: 'post', path: '/v1/conversations/:id/agent-messages', summary: 'A person answers the visitor during a handoff', params: ConversationId, body: AgentMessageBody, success: { status: 201 }, responses: { 409: '`not_in_handoff`' } },

  // Connections, endpoints, actions, logs
  { method: 'post', path: '/v1/connections', summary: 'Create a connection (credentials are write-only)', body: CreateConnectionBody, success: { status: 201 } },
  { method: 'get', path: '/v1/connections', summary: 'List connections', query: Page, success: { schema: Paginated } },
  { method: 'get', path: '/v1/connections/:id', summary: 'A connection' },
  { method: 'patch', path: '/v1/connections/:id', summary: 'Change a connection', body: UpdateConnectionBody },
  { method: 'delete', path: '/v1/connections/:id', summary: 'Delete a connection', query: Force, success: { status: 204 }, responses: { 409: 'still used by actions (`?force=true` deletes anyway)' } },
  { method: 'post', path: '/v1/connections/:id/test', summary: 'Test Connection: reachability and auth', tag: 'connections' },
  { method: 'post', path: '/v1/connections/:id/endpoints', summary: 'Create an endpoint', tag: 'connections', body: CreateEndpointBody, success: { status: 201 } },
  { method: 'get', path: '/v1/connections/:id/endpoints', summary: "List a connection's endpoints", tag: 'connections', query: Page, success: { schema: Paginated } },
  { method: 'get', path: '/v1/connections/:id/endpoints/:eid', summary: 'An endpoint', tag: 'connections' },
  { method: 'patch', path: '/v1/connections/:id/endpoints/:eid', summary: 'Change an endpoint', tag: 'connections', body: UpdateEndpointBody },
  { method: 'delete', path: '/v1/connections/:id/endpoints/:eid', summary: 'Delete an endpoint', tag: 'connections', query: Force, success: { status: 204 } },
  { method: 'post', path: '/v1/connections/:id/endpoints/:eid/test', summary: 'Run Test: call the endpoint once and show the real response', tag: 'connections', body: TestEndpointBody },
  { method: 'get', path: '/v1/connections/:id/endpoints/:eid/logs', summary: "An endpoint's call logs, newest first", tag: 'logs', query: z.strictObject({ ...PageQuery, success: z.enum(['true', 'false']).optional() }), success: { schema: CallLogPage } },
  { method: 'post', path: '/v1/actions', summary: 'Create an action (one endpoint or a chain of steps)', body: ActionBody, success: { status: 201 } },
  { method: 'get', path: '/v1/actions', summary: 'List actions', query: Page, success: { schema: Paginated } },
  { method: 'get', path: '/v1/actions/:id', summary: 'An action' },
  { method: 'put', path: '/v1/actions/:id', summary: 'Replace an action', body: ActionBody },
  { method: 'delete', path: '/v1/actions/:id', summary: 'Delete an action', success: { status: 204 } },
  { method: 'get', path: '/v1/action-templates', summary: 'Action templates', tag: 'actions' },
  { method: 'get', path: '/v1/logs', summary: 'Outbound call logs, newest first', query: LogQuery, success: { schema: CallLogPage } },

  // Knowledge
  { method: 'post', path: '/v1/knowledge', summary: 'Create a knowledge item', body: KnowledgeItemBody, success: { status: 201 } },
  { method: 'get', path: '/v1/knowledge', summary: 'List knowledge items', query: z.strictObject({ ...PageQuery, category: z.string().optional() }), success: { schema: Paginated } },
  { method: 'get', path: '/v1/knowledge/search', summary: 'Search the knowledge base as the AI does', query: KnowledgeSearchQuery },
  { method: 'post', path: '/v1/knowledge/import', summary: 'Import up to 500 items, all or nothing (5 MB body)', body: ImportKnowledgeBody, success: { status: 201 }, responses: { 413: 'body larger than 5 MB' } },
  { method: 'post', path: '/v1/knowledge/analyze', summary: 'Q&A drafts from a conversation, by its bot\'s LLM', body: z.strictObject({ conversationId: z.string().regex(/^conv_[a-z0-9]{1,40}$/) }), success: { status: 201 }, responses: { 409: '`ai_not_configured`', 502: '`llm_unavailable`', 503: LIMITER_DOWN } },
  { method: 'get', path: '/v1/knowledge/drafts', summary: 'Q&A drafts', query: z.strictObject({ ...PageQuery, status: DraftStatus.optional(), conversationId: Id.optional() }), success: { schema: Paginated } },
  { method: 'post', path: '/v1/knowledge/drafts/:id/approve', summary: 'Approve a draft (optionally edited) into an item', body: ApproveDraftBody, success: { status: 201 }, responses: { 409: '`draft_not_pending`' } },
  { method: 'post', path: '/v1/knowledge/drafts/:id/discard', summary: 'Discard a draft', responses: { 409: '`draft_not_pending`' } },
  { method: 'get', path: '/v1/knowledge/:id', summary: 'A knowledge item' },
  { method: 'patch', path: '/v1/knowledge/:id', summary: 'Change a knowledge item', body: UpdateKnowledgeItemBody },
  { method: 'delete', path: '/v1/knowledge/:id', summary: 'Delete a knowledge item', success: { status: 204 } },

  // Webhooks
  { method: 'post', path: '/v1/webhooks', summary: 'Create a webhook endpoint (its signing secret is shown once)', body: CreateWebhookBody, success: { status: 201 } },
  { method: 'get', path: '/v1/webhooks', summary: 'List webhook endpoints', query: Page, success: { schema: Paginated } },
  { method: 'get', path: '/v1/webhooks/:id', summary: 'A webhook endpoint' },
  { method: 'patch', path: '/v1/webhooks/:id', summary: 'Change a webhook endpoint', body: UpdateWebhookBody },
  { method: 'delete', path: '/v1/webhooks/:id', summary: 'Delete a webhook endpoint', success: { status: 204 } },
  { method: 'get', path: '/v1/webhooks/:id/deliveries', summary: 'Delivery attempts, newest first', query: z.strictObject({ ...PageQuery, eventId: z.string().optional(), status: z.enum(['succeeded', 'failed']).optional() }), success: { schema: Paginated } },
  { method: 'post', path: '/v1/webhooks/:id/test', summary: 'Send a test event' },

  // Websites and the chat widget
  { method: 'post', path: '/v1/websites', summary: 'Bind a website: its widget token, snippet and identity secret (shown once)', body: CreateWebsiteBody, success: { status: 201 } },
  { method: 'get', path: '/v1/websites', summary: 'List website bindings', query: z.strictObject({ ...PageQuery, botId: Id.optional() }), success: { schema: Paginated } },
  { method: 'get', path: '/v1/websites/:id', summary: 'A website binding and its snippet' },
  { method: 'patch', path: '/v1/websites/:id', summary: 'Change a website binding (origins, bot, identity mode, appearance)', body: UpdateWebsiteBody },
  { method: 'delete', path: '/v1/websites/:id', summary: 'Remove a website binding (its widget stops working)', success: { status: 204 } },
  { method: 'post', path: '/v1/websites/:id/rotate-token', summary: 'A new website token (the old snippet stops working)' },
  { method: 'post', path: '/v1/websites/:id/rotate-identity-secret', summary: 'A new identity secret, shown once' },
  { method: 'post', path: '/v1/bots/:id/preview', summary: 'A one-hour link to the bot preview page', tag: 'bots', success: { status: 201, schema: z.object({ url: z.string(), expiresAt: z.string() }) }, responses: { 409: '`bot_not_published`' } },
  { method: 'get', path: '/widget.js', summary: 'The embeddable chat widget script', tag: 'widget', security: 'none', success: { contentType: 'application/javascript', schema: z.string() } },
  { method: 'get', path: '/preview/:token', summary: 'The bot preview page (from a preview link)', tag: 'widget', security: 'none', success: { contentType: 'text/html', schema: z.string() }, responses: { 401: '`preview_expired`' } },
  { method: 'get', path: '/widget/v1/:token/config', summary: 'Widget: the bot name and appearance (public; origin-checked)', tag: 'widget', security: 'none', responses: { 403: '`origin_not_allowed`', 404: '`website_not_found`', 429: 'per-website or per-client limit' } },
  { method: 'post', path: '/widget/v1/:token/conversations', summary: 'Widget: start a conversation; answers the greeting and the visitor token', tag: 'widget', security: 'none', body: WidgetStartBody, success: { status: 201 }, responses: { 401: '`identity_required` or `invalid_identity`', 403: '`origin_not_allowed`', 429: 'per-website or per-client limit', 503: LIMITER_DOWN } },
  { method: 'post', path: '/widget/v1/:token/conversations/:id/messages', summary: 'Widget: send a visitor message (Authorization: Bearer vt_...)', tag: 'widget', security: 'none', body: SendMessageBody, success: { schema: Turn }, responses: { 401: '`invalid_visitor_token`', 403: '`origin_not_allowed`', 409: '`conversation_closed`', 429: 'per-website or per-client limit', 503: LIMITER_DOWN } },
  { method: 'get', path: '/widget/v1/:token/conversations/:id/messages', summary: 'Widget: the transcript, oldest first (Authorization: Bearer vt_...)', tag: 'widget', security: 'none', query: TranscriptQuery, responses: { 401: '`invalid_visitor_token`', 403: '`origin_not_allowed`' } },

  // Temporal Web UI codec server
  { method: 'post', path: '/codec/encode', summary: 'Encrypt payloads (Temporal remote codec protocol)', tag: 'codec', security: 'codec', body: CodecPayloads, success: { schema: CodecPayloads }, responses: { 404: '`codec_disabled`: PARLEY_PAYLOAD_KEYS or CODEC_AUTH_TOKEN unset' } },
  { method: 'post', path: '/codec/decode', summary: 'Decrypt payloads for the Temporal Web UI and CLI', tag: 'codec', security: 'codec', body: CodecPayloads, success: { schema: CodecPayloads }, responses: { 404: '`codec_disabled`: PARLEY_PAYLOAD_KEYS or CODEC_AUTH_TOKEN unset' } },
);
