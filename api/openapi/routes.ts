/**
 * Every route of the API, for the OpenAPI document (`GET /openapi.json`, `GET /docs`).
 *
 * TO ADD A ROUTE: add one entry to the `registry.add(...)` list below (or, for a group of routes, a
 * `registry.add(...)` call of your own in this file) with the method, the path exactly as Express mounts
 * it (`/v1/things/:id`), a summary, the zod schemas the handler parses (`params` from api/path-params.ts,
 * `body`, `query`: export them from the route's module rather than copying them), `success` (status and
 * the answer's schema from ./schemas.ts, field by field) and `responses` for every other status it can
 * answer beyond the ones every route of its kind has (registry.ts `standardAnswers`: 400, 401, 403, 404,
 * 413, 415, 429). test/unit/openapi.test.ts fails until every mounted route is registered (and every
 * registered route is mounted); test/integration/openapi-contract.test.ts checks the real server against it.
 */
import { z } from 'zod';
import { CreateAccountBody, CreateApiKeyBody, LoginBody } from '../../models/account.schema';
import { AiSettingsBody } from '../../models/ai.schema';
import { CreateBotBody, UpdateBotBody } from '../../models/bot.schema';
import { ActionBody, CreateConnectionBody, CreateEndpointBody, TestEndpointBody, UpdateConnectionBody, UpdateEndpointBody } from '../../models/connection.schema';
import { AgentMessageBody, ClientMessageId, ConfirmBody, SendMessageBody, StartConversationBody } from '../../models/conversation.schema';
import { BotFlows } from '../../models/flow.schema';
import { ApproveDraftBody, ImportKnowledgeBody, KnowledgeItemBody, KnowledgeSearchQuery, UpdateKnowledgeItemBody } from '../../models/knowledge.schema';
import { CreateWebhookBody, ReplayWebhookAnswer, ReplayWebhookBody, UpdateWebhookBody } from '../../models/webhook.schema';
import { WidgetStartBody } from '../../models/website.schema';
import { CreateWebsiteBody, UpdateWebsiteBody } from '../routes/website-bodies';
import { ActionListQuery } from '../routes/actions';
import { BotListQuery } from '../routes/bots';
import { CodecBody } from '../routes/codec';
import { ReadyAnswer } from '../readiness';
import { ConnectionListQuery, ForceQuery } from '../routes/connections/connections';
import { EndpointListQuery } from '../routes/connections/endpoints';
import { Position, StreamQuery } from '../routes/conversations/events-stream';
import { ConversationListQuery, TranscriptQuery, VisitorTranscriptQuery } from '../routes/conversations/read';
import { AnalyzeBody } from '../routes/knowledge/analyze';
import { DraftListQuery } from '../routes/knowledge/drafts';
import { KnowledgeListQuery } from '../routes/knowledge/items';
import { EndpointLogQuery, LogQuery } from '../routes/logs';
import { DeliveriesQuery, WebhookListQuery } from '../routes/webhooks';
import { WebsiteListQuery } from '../routes/websites';
import { PreviewParams } from '../widget/pages';
import { KNOWLEDGE_LIMITS } from '../../models/limits';
import {
  ActionParams,
  ApiKeyParams,
  BotParams,
  ConnectionParams,
  ConversationParams,
  DraftParams,
  EndpointParams,
  KnowledgeItemParams,
  WebhookParams,
  WebsiteParams,
  WidgetConversationParams,
  WidgetParams,
} from '../path-params';
import { registerCallbackRoutes } from './callbacks';
import { registerCurlImportRoutes } from './curl-import';
import { registerOpenApiImportRoutes } from './openapi-import';
import { registerInboxPage } from './inbox-page';
import { registerAgentRoutes } from './agents';
import { registerInboxRoutes } from './inbox';
import { registerPlanRoutes } from './plans';
import { registerSlaRoutes } from './sla';
import { RouteRegistry } from './registry';
import * as S from './schemas';


/**
 * The 503 of the routes that spend money or run models when the rate-limit store fails (they fail closed;
 * every other route lets the request through): api/rate-limit.ts `failsClosed`, which a test keeps equal
 * to the routes carrying this answer.
 */
const LIMITER_DOWN = '`rate_limit_unavailable`: the rate-limit store cannot be reached, and this route spends money or runs models, so it is refused rather than let through unmetered; retry after `Retry-After` seconds';
/** The conversation routes that wait for the conversation's workflow. */
const ENGINE_DOWN = '`temporal_unavailable`: the conversation engine is unreachable or did not answer in time';
const ENGINE_OR_LIMITER_DOWN = `${LIMITER_DOWN}; or ${ENGINE_DOWN}`;
const CLOSED = '`conversation_closed`: the conversation is closed (start a new one)';

export const registry = new RouteRegistry();

registry.add(
  // Meta
  { method: 'get', path: '/healthz', summary: 'Liveness check', tag: 'meta', security: 'none', success: { schema: z.object({ status: z.literal('ok') }) } },
  {
    method: 'get',
    path: '/ready',
    summary: 'Readiness check: Temporal and MongoDB both answer',
    description: 'For load balancers and Kubernetes\' readinessProbe: 200 while this instance reaches both the Temporal frontend and MongoDB (each checked with a short deadline, the result shared for a second), 503 otherwise. `GET /healthz` is the liveness check.',
    tag: 'meta',
    security: 'none',
    success: { schema: ReadyAnswer },
    responses: { 503: '`not_ready`: Temporal or MongoDB did not answer in time (`details` says which)' },
  },
  { method: 'get', path: '/openapi.json', summary: 'This OpenAPI 3.1 document', tag: 'meta', security: 'none', success: { schema: S.OpenApiDocument } },
  { method: 'get', path: '/docs', summary: 'The API reference page (Scalar): search, request examples, and Test Request with your key', tag: 'meta', security: 'none', success: { contentType: 'text/html', schema: z.string() } },
  { method: 'get', path: '/docs/scalar.js', summary: 'The reference page\'s script: Scalar\'s standalone bundle, from the installed package', tag: 'meta', security: 'none', success: { contentType: 'application/javascript', schema: z.string() } },
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
  {
    method: 'post',
    path: '/v1/accounts',
    summary: 'Sign up: an account and its first API key (shown once)',
    description: 'Always 201 with a new account, whether or not the email already has one (the answer never tells).',
    security: 'none',
    body: CreateAccountBody,
    success: { status: 201, schema: S.SignUpAnswer },
    responses: { 429: '`rate_limited`: too many sign-ups from this address (an IPv6 client counts by its /64) or with this email', 503: LIMITER_DOWN },
  },
  {
    method: 'post',
    path: '/v1/auth/login',
    summary: 'Log in with email and password: a short-lived bearer token',
    tag: 'auth',
    security: 'none',
    body: LoginBody,
    success: { schema: S.LoginAnswer },
    responses: { 401: '`invalid_credentials`: the email or the password is wrong (the same answer for both)', 429: '`rate_limited`: too many attempts from this address or for this email' },
  },
  { method: 'get', path: '/v1/account', summary: 'Your account', success: { schema: z.object({ account: S.AccountView }) } },
  { method: 'get', path: '/v1/api-keys', summary: 'Your active API keys (prefixes only)', success: { schema: z.object({ data: z.array(S.ApiKeyView) }) } },
  {
    method: 'post',
    path: '/v1/api-keys',
    summary: 'Create an API key (shown once)',
    body: CreateApiKeyBody,
    bodyOptional: true,
    success: { status: 201, schema: S.NewApiKeyAnswer },
    responses: { 403: '`forbidden`: the key lacks the write permission, or asks for a permission the calling key does not have' },
  },
  { method: 'delete', path: '/v1/api-keys/:id', summary: 'Revoke an API key', params: ApiKeyParams, success: { status: 204 } },

  // Bots
  { method: 'post', path: '/v1/bots', summary: 'Create a bot', body: CreateBotBody, success: { status: 201, schema: z.object({ bot: S.BotView }) } },
  { method: 'get', path: '/v1/bots', summary: 'List bots', query: BotListQuery, success: { schema: S.pageOf(S.BotView) } },
  { method: 'get', path: '/v1/bots/:id', summary: 'A bot', params: BotParams, success: { schema: z.object({ bot: S.BotView }) } },
  { method: 'patch', path: '/v1/bots/:id', summary: 'Change a bot', params: BotParams, body: UpdateBotBody, success: { schema: z.object({ bot: S.BotView }) } },
  { method: 'delete', path: '/v1/bots/:id', summary: 'Delete a bot', params: BotParams, success: { status: 204 } },
  {
    method: 'post',
    path: '/v1/bots/:id/publish',
    summary: 'Freeze the settings as the next immutable version',
    params: BotParams,
    success: { status: 201, schema: z.object({ version: S.BotVersionView }) },
    responses: { 409: '`publish_conflict`: publishes of this bot kept colliding; try again' },
  },
  { method: 'get', path: '/v1/bots/:id/versions', summary: 'Published versions, newest first (the latest 100)', params: BotParams, success: { schema: z.object({ data: z.array(S.BotVersionView) }) } },
  { method: 'get', path: '/v1/bots/:id/flows', summary: "The draft's guided flows", params: BotParams, success: { schema: BotFlows } },
  {
    method: 'put',
    path: '/v1/bots/:id/flows',
    summary: "Save the draft's guided flows (validated as a graph)",
    params: BotParams,
    body: BotFlows,
    success: { schema: BotFlows },
    responses: { 400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_flows`: the flows are not a sound graph (a start or next block that does not exist, an unreachable block, ...), each issue naming flow, block and field' },
  },
  { method: 'get', path: '/v1/bots/:id/ai', summary: 'Smart AI settings (the provider key shown as ••••), null when unset', tag: 'bots', params: BotParams, success: { schema: z.object({ ai: S.AiView.nullable() }) } },
  {
    method: 'put',
    path: '/v1/bots/:id/ai',
    summary: 'Set the Smart AI settings',
    tag: 'bots',
    params: BotParams,
    body: AiSettingsBody,
    success: { schema: z.object({ ai: S.AiView }) },
    responses: { 400: "invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_ai_settings`: a tool names an action the account lacks or one the model could not fill, or the provider's URL is refused by the outbound network policy" },
  },
  { method: 'delete', path: '/v1/bots/:id/ai', summary: 'Remove the Smart AI settings', tag: 'bots', params: BotParams, success: { status: 204 } },

  // Conversations
  {
    method: 'post',
    path: '/v1/conversations',
    summary: 'Start a conversation (and send its first message)',
    description:
      'Idempotent with `clientMessageId` or an `Idempotency-Key` header (they must agree): a retry with the same key and body answers the first result (201, `Idempotent-Replayed: true`). 202 `{status:"pending"}` when the bot takes longer than REPLY_WAIT_MS.',
    headers: [{ name: 'Idempotency-Key', description: 'the idempotency key (letters, digits and . _ : -), instead of or equal to `clientMessageId`', schema: ClientMessageId }],
    body: StartConversationBody,
    success: { status: 201, schema: S.StartAnswer },
    responses: {
      202: { description: 'started; the replies are pending (read them from the transcript, or retry with the same key)', schema: S.StartAnswer },
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `idempotency_key_mismatch`: the header and `clientMessageId` differ; `invalid_message`',
      404: '`bot_not_found`: no such bot in this account',
      409: '`bot_not_published`: the bot has no published version; `idempotency_key_in_flight`: the first request with this key is still running',
      422: '`idempotency_key_reused`: the key was used with another body',
      503: ENGINE_OR_LIMITER_DOWN,
    },
  },
  { method: 'get', path: '/v1/conversations', summary: 'List conversations, newest first', query: ConversationListQuery, success: { schema: S.pageOf(S.ConversationView) } },
  { method: 'get', path: '/v1/conversations/:id', summary: 'A conversation', params: ConversationParams, success: { schema: z.object({ conversation: S.ConversationView }) } },
  {
    method: 'post',
    path: '/v1/conversations/:id/messages',
    summary: "Send a visitor message; answers with the bot's replies",
    params: ConversationParams,
    body: SendMessageBody,
    success: { schema: S.Turn },
    responses: {
      202: { description: 'the replies are pending: retry with the same clientMessageId, or read the transcript', schema: S.PendingTurn },
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_message`: the conversation refused the message',
      409: CLOSED,
      503: ENGINE_OR_LIMITER_DOWN,
    },
  },
  {
    method: 'get',
    path: '/v1/conversations/:id/messages',
    summary: 'The transcript, oldest first',
    params: ConversationParams,
    query: TranscriptQuery,
    success: { schema: S.TranscriptPage },
    responses: { 400: 'invalid input: `validation_failed` names each field; `invalid_path`; `invalid_cursor`: `after` is not a message of this conversation' },
  },
  {
    method: 'get',
    path: '/v1/conversations/:id/events',
    summary: 'Server-sent events of a conversation (`Last-Event-ID` resumes)',
    description: 'Each event\'s `data:` is one JSON document: `{id, type, createdAt, data}` (the same events webhooks deliver). `: heartbeat` comments keep the connection open.',
    params: ConversationParams,
    headers: [{ name: 'Last-Event-ID', description: 'the id of the last event received: the stream resumes after it (blank: from the start)', schema: z.union([Position, z.literal('')]) }],
    query: StreamQuery,
    events: S.ConversationEvents,
    responses: { 400: 'invalid input: `validation_failed` names each field; `invalid_path`; `invalid_last_event_id`', 503: '`too_many_streams`: this server holds SSE_MAX_STREAMS streams already; retry after `Retry-After` seconds' },
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/confirm',
    summary: 'Approve or decline the action Smart AI proposed',
    params: ConversationParams,
    body: ConfirmBody,
    success: { schema: S.Turn },
    responses: {
      202: { description: 'the replies are pending: retry with the same clientMessageId, or read the transcript', schema: S.PendingTurn },
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_message`',
      409: `${CLOSED}; \`confirmation_mismatch\`: no such confirmation is pending, or its arguments changed`,
      503: ENGINE_OR_LIMITER_DOWN,
    },
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/close',
    summary: 'Close a conversation (turns in flight finish first)',
    params: ConversationParams,
    success: { status: 202, schema: S.ConversationStatusAnswer },
    responses: { 409: '`conversation_closed`: the conversation is already closed', 503: ENGINE_DOWN },
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/release',
    summary: 'Give a handed-off conversation back to the bot',
    params: ConversationParams,
    success: { schema: S.ConversationStatusAnswer },
    responses: { 409: `${CLOSED}; \`not_in_handoff\`: the bot has the conversation already`, 503: ENGINE_DOWN },
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/agent-messages',
    summary: 'A person answers the visitor during a handoff',
    params: ConversationParams,
    body: AgentMessageBody,
    success: { status: 201, schema: S.AgentMessageAnswer },
    responses: { 409: `${CLOSED}; \`not_in_handoff\`: the conversation is not handed off to a person`, 503: ENGINE_DOWN },
  },

  // Connections, endpoints, actions, logs
  {
    method: 'post',
    path: '/v1/connections',
    summary: 'Create a connection (credentials are write-only)',
    body: CreateConnectionBody,
    success: { status: 201, schema: z.object({ connection: S.ConnectionView }) },
    responses: { 400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_connection`: the base URL is refused by the outbound network policy, or a header clashes with the auth' },
  },
  { method: 'get', path: '/v1/connections', summary: 'List connections', query: ConnectionListQuery, success: { schema: S.pageOf(S.ConnectionView) } },
  { method: 'get', path: '/v1/connections/:id', summary: 'A connection', params: ConnectionParams, success: { schema: z.object({ connection: S.ConnectionView }) } },
  {
    method: 'patch',
    path: '/v1/connections/:id',
    summary: 'Change a connection',
    params: ConnectionParams,
    body: UpdateConnectionBody,
    success: { schema: z.object({ connection: S.ConnectionView }) },
    responses: {
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_connection`: refused by the outbound network policy, a header clashes with the auth, or a new origin without the credentials sent again',
      409: '`concurrent_update`: changed by another request meanwhile; `secrets_unreadable`: the stored credentials cannot be opened (send auth and headers again)',
    },
  },
  {
    method: 'delete',
    path: '/v1/connections/:id',
    summary: 'Delete a connection',
    params: ConnectionParams,
    query: ForceQuery,
    success: { status: 204 },
    responses: { 409: '`connection_in_use`: it has endpoints (`?force=true` deletes them with it)' },
  },
  {
    method: 'post',
    path: '/v1/connections/:id/test',
    summary: 'Test Connection: reachability and auth',
    tag: 'connections',
    params: ConnectionParams,
    success: { schema: S.ConnectionTestAnswer },
    responses: { 504: '`test_timeout`: the test did not finish in time' },
  },
  {
    method: 'post',
    path: '/v1/connections/:id/endpoints',
    summary: 'Create an endpoint',
    tag: 'connections',
    params: ConnectionParams,
    body: CreateEndpointBody,
    success: { status: 201, schema: z.object({ endpoint: S.EndpointView }) },
    responses: { 400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_endpoint`: a `{placeholder}` of the path or body template that no parameter fills, or the like' },
  },
  { method: 'get', path: '/v1/connections/:id/endpoints', summary: "List a connection's endpoints", tag: 'connections', params: ConnectionParams, query: EndpointListQuery, success: { schema: S.pageOf(S.EndpointView) } },
  { method: 'get', path: '/v1/connections/:id/endpoints/:eid', summary: 'An endpoint', tag: 'connections', params: EndpointParams, success: { schema: z.object({ endpoint: S.EndpointView }) } },
  {
    method: 'patch',
    path: '/v1/connections/:id/endpoints/:eid',
    summary: 'Change an endpoint',
    tag: 'connections',
    params: EndpointParams,
    body: UpdateEndpointBody,
    success: { schema: z.object({ endpoint: S.EndpointView }) },
    responses: {
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_endpoint`',
      409: '`concurrent_update`: changed by another request meanwhile; `endpoint_in_use`: the change would break an action that uses it',
    },
  },
  {
    method: 'delete',
    path: '/v1/connections/:id/endpoints/:eid',
    summary: 'Delete an endpoint',
    tag: 'connections',
    params: EndpointParams,
    query: ForceQuery,
    success: { status: 204 },
    responses: { 409: '`endpoint_in_use`: actions use it (`?force=true` deletes it anyway)' },
  },
  {
    method: 'post',
    path: '/v1/connections/:id/endpoints/:eid/test',
    summary: 'Run Test: call the endpoint once and show the real response',
    tag: 'connections',
    params: EndpointParams,
    body: TestEndpointBody,
    bodyOptional: true,
    success: { schema: S.EndpointTestAnswer },
    responses: { 504: '`test_timeout`: the test did not finish in time' },
  },
  {
    method: 'get',
    path: '/v1/connections/:id/endpoints/:eid/logs',
    summary: "An endpoint's call logs, newest first",
    tag: 'logs',
    params: EndpointParams,
    query: EndpointLogQuery,
    success: { schema: S.pageOf(S.CallLog) },
  },
  {
    method: 'post',
    path: '/v1/actions',
    summary: 'Create an action (one endpoint or a chain of steps)',
    body: ActionBody,
    success: { status: 201, schema: z.object({ action: S.ActionView }) },
    responses: {
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_action`: a step names an endpoint the account lacks, an input no earlier step provides, or the like',
      409: '`action_exists`: an action with this id exists (PUT replaces it)',
    },
  },
  { method: 'get', path: '/v1/actions', summary: 'List actions (in id order)', query: ActionListQuery, success: { schema: S.pageOf(S.ActionView) } },
  { method: 'get', path: '/v1/actions/:id', summary: 'An action', params: ActionParams, success: { schema: z.object({ action: S.ActionView }) } },
  {
    method: 'put',
    path: '/v1/actions/:id',
    summary: 'Replace an action',
    params: ActionParams,
    body: ActionBody,
    success: { schema: z.object({ action: S.ActionView }) },
    responses: { 400: 'invalid input: `validation_failed` names each field (`body.id` must be the id in the path); `invalid_json`; `invalid_path`; `invalid_action`' },
  },
  { method: 'delete', path: '/v1/actions/:id', summary: 'Delete an action', params: ActionParams, success: { status: 204 } },
  { method: 'get', path: '/v1/action-templates', summary: 'Action templates', tag: 'actions', success: { schema: S.ActionTemplates } },
  { method: 'get', path: '/v1/logs', summary: 'Outbound call logs, newest first', query: LogQuery, success: { schema: S.pageOf(S.CallLog) } },

  // Knowledge
  {
    method: 'post',
    path: '/v1/knowledge',
    summary: 'Create a knowledge item',
    body: KnowledgeItemBody,
    success: { status: 201, schema: z.object({ item: S.KnowledgeItemView }) },
    responses: { 409: '`knowledge_limit_reached`: the account keeps the most items it may' },
  },
  { method: 'get', path: '/v1/knowledge', summary: 'List knowledge items', query: KnowledgeListQuery, success: { schema: S.pageOf(S.KnowledgeItemView) } },
  { method: 'get', path: '/v1/knowledge/search', summary: 'Search the knowledge base as the AI does', query: KnowledgeSearchQuery, success: { schema: S.KnowledgeSearchAnswer } },
  {
    method: 'post',
    path: '/v1/knowledge/import',
    summary: 'Import up to 500 items, all or nothing (5 MB body)',
    // Items are parsed one by one after the envelope (so a 400 lists every bad item); each is a KnowledgeItemBody.
    body: ImportKnowledgeBody.extend({ items: z.array(KnowledgeItemBody).min(1).max(KNOWLEDGE_LIMITS.importItems) }),
    success: { status: 201, schema: S.ImportAnswer },
    responses: {
      400: 'invalid input: `validation_failed`; `invalid_json`; `invalid_items`: every bad item `{index, path, message}`, and nothing imported',
      409: '`knowledge_limit_reached`: the import would pass the most items an account may keep',
      413: '`payload_too_large`: the body is larger than 5 MB',
    },
  },
  {
    method: 'post',
    path: '/v1/knowledge/analyze',
    summary: "Q&A drafts from a conversation, by its bot's LLM",
    body: AnalyzeBody,
    success: { status: 201, schema: S.AnalyzeAnswer },
    responses: {
      202: { description: 'the analysis is still running; its drafts appear in `GET /v1/knowledge/drafts`', schema: S.AnalyzeRunning },
      404: '`conversation_not_found`: no such conversation in this account',
      409: '`ai_not_configured`: the conversation\'s bot has no Smart AI settings',
      502: '`llm_unavailable`: the provider failed',
      503: LIMITER_DOWN,
    },
  },
  { method: 'get', path: '/v1/knowledge/drafts', summary: 'Q&A drafts', query: DraftListQuery, success: { schema: S.pageOf(S.KnowledgeDraftView) } },
  {
    method: 'post',
    path: '/v1/knowledge/drafts/:id/approve',
    summary: 'Approve a draft (optionally edited) into an item',
    params: DraftParams,
    body: ApproveDraftBody,
    bodyOptional: true,
    success: { status: 201, schema: z.object({ item: S.KnowledgeItemView, draft: S.KnowledgeDraftView }) },
    responses: { 409: '`draft_not_pending`: the draft is decided already; `knowledge_limit_reached`' },
  },
  {
    method: 'post',
    path: '/v1/knowledge/drafts/:id/discard',
    summary: 'Discard a draft',
    params: DraftParams,
    success: { schema: z.object({ draft: S.KnowledgeDraftView }) },
    responses: { 409: '`draft_not_pending`: the draft is decided already' },
  },
  { method: 'get', path: '/v1/knowledge/:id', summary: 'A knowledge item', params: KnowledgeItemParams, success: { schema: z.object({ item: S.KnowledgeItemView }) } },
  { method: 'patch', path: '/v1/knowledge/:id', summary: 'Change a knowledge item', params: KnowledgeItemParams, body: UpdateKnowledgeItemBody, success: { schema: z.object({ item: S.KnowledgeItemView }) } },
  { method: 'delete', path: '/v1/knowledge/:id', summary: 'Delete a knowledge item', params: KnowledgeItemParams, success: { status: 204 } },

  // Webhooks
  {
    method: 'post',
    path: '/v1/webhooks',
    summary: 'Create a webhook endpoint (its signing secret is shown once)',
    body: CreateWebhookBody,
    success: { status: 201, schema: S.NewWebhookAnswer },
    responses: { 400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_webhook`: the URL is not https on 443, or is refused by the outbound network policy' },
  },
  { method: 'get', path: '/v1/webhooks', summary: 'List webhook endpoints', query: WebhookListQuery, success: { schema: S.pageOf(S.WebhookView) } },
  { method: 'get', path: '/v1/webhooks/:id', summary: 'A webhook endpoint', params: WebhookParams, success: { schema: z.object({ webhook: S.WebhookView }) } },
  {
    method: 'patch',
    path: '/v1/webhooks/:id',
    summary: 'Change a webhook endpoint (`enabled: true` re-enables a disabled one)',
    params: WebhookParams,
    body: UpdateWebhookBody,
    success: { schema: z.object({ webhook: S.WebhookView }) },
    responses: { 400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_webhook`: the URL is refused' },
  },
  { method: 'delete', path: '/v1/webhooks/:id', summary: 'Delete a webhook endpoint', params: WebhookParams, success: { status: 204 } },
  { method: 'get', path: '/v1/webhooks/:id/deliveries', summary: 'Delivery attempts, newest first', params: WebhookParams, query: DeliveriesQuery, success: { schema: S.pageOf(S.DeliveryView) } },
  {
    method: 'post',
    path: '/v1/webhooks/:id/test',
    summary: 'Send a signed `webhook.test` event now (one attempt) and answer its delivery log row',
    params: WebhookParams,
    success: { schema: S.WebhookTestAnswer },
    responses: { 409: '`webhook_disabled`: enable the endpoint first', 503: '`temporal_unavailable`: the delivery did not finish in time (see the delivery log)' },
  },
  {
    method: 'post',
    path: '/v1/webhooks/:id/replay',
    summary: 'Re-queue what a re-enabled endpoint missed while disabled',
    description: 'At most 1,000 missed events (`missedEvents` on the endpoint), of the types it subscribes to, recorded at or after `since` and within EVENT_RETENTION_DAYS. Each is queued once, however often this is asked.',
    params: WebhookParams,
    body: ReplayWebhookBody,
    bodyOptional: true,
    success: { status: 202, schema: ReplayWebhookAnswer },
    responses: { 409: '`webhook_disabled`: enable the endpoint first (PATCH with `enabled: true`), then replay', 503: '`temporal_unavailable`: not every missed event could be queued; ask again to queue the rest' },
  },

  // Websites and the chat widget
  {
    method: 'post',
    path: '/v1/websites',
    summary: 'Bind a website: its widget token, snippet and identity secret (shown once)',
    body: CreateWebsiteBody,
    success: { status: 201, schema: S.NewWebsiteAnswer },
    responses: { 404: '`bot_not_found`: no such bot in this account' },
  },
  { method: 'get', path: '/v1/websites', summary: 'List website bindings, newest first', query: WebsiteListQuery, success: { schema: S.pageOf(S.WebsiteView) } },
  { method: 'get', path: '/v1/websites/:id', summary: 'A website binding and its snippet', params: WebsiteParams, success: { schema: S.WebsiteAnswer } },
  {
    method: 'patch',
    path: '/v1/websites/:id',
    summary: 'Change a website binding (origins, bot, identity mode, appearance)',
    params: WebsiteParams,
    body: UpdateWebsiteBody,
    success: { schema: S.WebsiteAnswer },
    responses: { 404: '`website_not_found`; `bot_not_found`: the new `botId` is no bot of this account' },
  },
  { method: 'delete', path: '/v1/websites/:id', summary: 'Remove a website binding (its widget stops working)', params: WebsiteParams, success: { status: 204 } },
  { method: 'post', path: '/v1/websites/:id/rotate-token', summary: 'A new website token (the old snippet stops working)', params: WebsiteParams, success: { schema: S.WebsiteAnswer } },
  { method: 'post', path: '/v1/websites/:id/rotate-identity-secret', summary: 'A new identity secret, shown once', params: WebsiteParams, success: { schema: S.NewIdentitySecretAnswer } },
  {
    method: 'post',
    path: '/v1/bots/:id/preview',
    summary: 'A one-hour link to the bot preview page',
    tag: 'bots',
    params: BotParams,
    success: { status: 201, schema: S.PreviewAnswer },
    responses: { 409: '`bot_not_published`: the bot has no published version' },
  },
  { method: 'get', path: '/widget.js', summary: 'The embeddable chat widget script', tag: 'widget', security: 'none', success: { contentType: 'application/javascript', schema: z.string() } },
  {
    method: 'get',
    path: '/preview/:token',
    summary: 'The bot preview page (from a preview link)',
    tag: 'widget',
    security: 'none',
    params: PreviewParams,
    success: { contentType: 'text/html', schema: z.string() },
    responses: { 401: '`preview_expired`: the link is not valid, or expired', 404: '`bot_not_found`: the bot was deleted' },
  },
  {
    method: 'get',
    path: '/widget/v1/:token/config',
    summary: 'Widget: the bot name and appearance (public; origin-checked)',
    tag: 'widget',
    security: 'none',
    params: WidgetParams,
    success: { schema: S.WidgetConfig },
    responses: { 401: '`preview_expired`: a preview token that expired', 403: '`origin_not_allowed`: the `Origin` is not one of the website\'s', 404: '`website_not_found`: no website has this token; `bot_not_found`', 429: '`rate_limited`: the per-website or per-client limit' },
  },
  {
    method: 'post',
    path: '/widget/v1/:token/conversations',
    summary: 'Widget: start a conversation; answers the greeting and the visitor token',
    tag: 'widget',
    security: 'none',
    params: WidgetParams,
    body: WidgetStartBody,
    bodyOptional: true,
    success: { status: 201, schema: S.WidgetStartAnswer },
    responses: {
      202: { description: 'started; the greeting is pending', schema: S.WidgetStartAnswer },
      401: '`identity_required` or `invalid_identity`; `preview_expired`',
      403: '`origin_not_allowed`',
      404: '`website_not_found`',
      409: '`bot_not_published`',
      429: '`rate_limited`: the per-website or per-client limit',
      503: ENGINE_OR_LIMITER_DOWN,
    },
  },
  {
    method: 'post',
    path: '/widget/v1/:token/conversations/:id/messages',
    summary: 'Widget: send a visitor message (Authorization: Bearer vt_...)',
    tag: 'widget',
    security: 'none',
    params: WidgetConversationParams,
    body: SendMessageBody,
    success: { schema: S.Turn },
    responses: {
      202: { description: 'the replies are pending', schema: S.PendingTurn },
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_message`',
      401: '`invalid_visitor_token`; `preview_expired`',
      403: '`origin_not_allowed`',
      404: '`website_not_found`; `conversation_not_found`',
      409: CLOSED,
      429: '`rate_limited`: the per-website or per-client limit',
      503: ENGINE_OR_LIMITER_DOWN,
    },
  },
  {
    method: 'get',
    path: '/widget/v1/:token/conversations/:id/messages',
    summary: 'Widget: the transcript, oldest first (Authorization: Bearer vt_...)',
    tag: 'widget',
    security: 'none',
    params: WidgetConversationParams,
    query: VisitorTranscriptQuery,
    success: { schema: S.WidgetTranscript },
    responses: {
      400: 'invalid input: `validation_failed` names each field; `invalid_path`; `invalid_cursor`',
      401: '`invalid_visitor_token`; `preview_expired`',
      403: '`origin_not_allowed`',
      404: '`website_not_found`; `conversation_not_found`',
      429: '`rate_limited`: the per-website or per-client limit',
    },
  },

  // Temporal Web UI codec server
  {
    method: 'post',
    path: '/codec/encode',
    summary: 'Encrypt payloads (Temporal remote codec protocol)',
    tag: 'codec',
    security: 'codec',
    body: CodecBody,
    success: { schema: S.CodecPayloads },
    responses: { 400: 'invalid input: `validation_failed`; `invalid_json`; `codec_failed`', 404: '`codec_disabled`: PARLEY_PAYLOAD_KEYS or CODEC_AUTH_TOKEN unset', 413: '`payload_too_large`: the body is larger than 8 MB' },
  },
  {
    method: 'post',
    path: '/codec/decode',
    summary: 'Decrypt payloads for the Temporal Web UI and CLI',
    tag: 'codec',
    security: 'codec',
    body: CodecBody,
    success: { schema: S.CodecPayloads },
    responses: { 400: 'invalid input: `validation_failed`; `invalid_json`; `codec_failed`: a payload could not be decrypted', 404: '`codec_disabled`: PARLEY_PAYLOAD_KEYS or CODEC_AUTH_TOKEN unset', 413: '`payload_too_large`: the body is larger than 8 MB' },
  },
);

registerInboxPage(registry);
registerSlaRoutes(registry);
registerAgentRoutes(registry);
registerInboxRoutes(registry);
registerCurlImportRoutes(registry);
registerOpenApiImportRoutes(registry);
registerCallbackRoutes(registry);
registerPlanRoutes(registry); // last: it adds `plan_limit_reached` to the create routes registered above
