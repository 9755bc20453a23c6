/**
 * The bodies the API answers with, field by field, for the OpenAPI document (api/openapi/routes.ts). Each
 * mirrors a view function of a route (`botView`, `messageView`, ...): the contract test
 * (test/integration/openapi-contract.test.ts) checks real answers against them, and their objects admit
 * no other field, so a view that gains a field fails there until it is described here.
 */
import { z } from 'zod';
import { API_PERMISSIONS } from '../../models/account.schema';
import { AiSettingsBody } from '../../models/ai.schema';
import { BotSnapshot } from '../../models/bot.schema';
import { ActionStep, CreateConnectionBody, CreateEndpointBody, ActionBody, EndpointParameter, ResponseValidation, LongRunning } from '../../models/connection.schema';
import { CHANNELS, CONVERSATION_STATUSES } from '../../models/conversation.schema';
import { DraftStatus } from '../../models/knowledge.schema';
import { IDENTITY_MODES } from '../../models/website.schema';
import { WEBHOOK_EVENT_TYPES } from '../../models/webhook.schema';
import { documentedAs } from './registry';

const Timestamp = z.iso.datetime().describe('ISO 8601, UTC');
const Id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[a-z0-9]{1,40}$`));
const Masked = z.literal('••••').describe('a write-only secret is set (its value is never returned)');
const PRIVATE_NETWORK_ACCESS = ['not_requested', 'public', 'allowlisted', 'not_allowlisted', 'checked_at_call'] as const;
const PrivateNetworkAccess = z.enum(PRIVATE_NETWORK_ACCESS).describe("what the deployment's outbound network policy makes of `allowPrivateNetwork` for this URL");

/** A field holding a request body exactly as a create route takes it (documented with that route's input schema). */
function asRequestBody(schema: z.ZodType): z.ZodType {
  const field = z.unknown();
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  documentedAs.add(field, { jsonSchema: json });
  return field;
}

/** A list page: `nextAfter` is the cursor (`?after=`) of the next page, null on the last one. */
export const pageOf = (item: z.ZodType) => z.object({ data: z.array(item), hasMore: z.boolean(), nextAfter: z.string().nullable() });

// Accounts and keys
export const AccountView = z.object({ id: Id('acct'), name: z.string(), email: z.string(), createdAt: Timestamp });
export const ApiKeyView = z.object({ id: Id('key'), name: z.string(), prefix: z.string().describe('the first characters of the key, to recognise it'), permissions: z.array(z.enum(API_PERMISSIONS)), createdAt: Timestamp });
const NewApiKey = ApiKeyView.extend({ key: z.string().regex(/^pk_/).describe('the key itself: shown this once, only its hash is kept') });
export const SignUpAnswer = z.object({ account: AccountView, apiKey: NewApiKey });
export const NewApiKeyAnswer = z.object({ apiKey: NewApiKey });
export const LoginAnswer = z.object({ token: z.string(), tokenType: z.literal('Bearer'), expiresAt: Timestamp });

// Bots
const { apiKey: _apiKey, ...aiSettingsShape } = AiSettingsBody.shape;
export const AiView = z.object({ ...aiSettingsShape, maxWaitMs: z.number().int().describe('the longest a visitor waits on the model for one answer, all attempts together'), apiKey: Masked.nullable(), privateNetworkAccess: PrivateNetworkAccess });
export const BotView = z.object({
  id: Id('bot'),
  name: z.string(),
  greeting: z.string(),
  fallbackMessage: z.string(),
  inactivityTimeoutSeconds: z.number().int(),
  timezone: z.string(),
  publishedVersion: z.number().int().min(1).nullable().describe('the latest published version; null until the bot is published'),
  ai: AiView.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const BotVersionView = z.object({ version: z.number().int().min(1), botId: Id('bot'), snapshot: BotSnapshot, createdAt: Timestamp });

// Conversations
const Choice = z.object({ label: z.string(), value: z.string() });
const Source = z.object({ id: z.string(), title: z.string() });
const Confirmation = z.object({
  id: z.string(),
  action: z.string(),
  arguments: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  argsHash: z.string(),
});
const messageFields = {
  id: z.string(),
  type: z.literal('text'),
  text: z.string(),
  choices: z.array(Choice).optional().describe('options a widget can show as buttons'),
  sources: z.array(Source).optional().describe('knowledge items a Smart AI answer drew on'),
  confirmation: Confirmation.optional().describe('an action waiting for the visitor\'s yes, bound to its arguments'),
  createdAt: Timestamp,
};
export const MessageView = z.object({
  ...messageFields,
  role: z.enum(['visitor', 'bot', 'agent', 'note']).describe('`note`: an internal note of the team, listed only with `include=notes`, never shown to the visitor'),
  agentId: z.string().optional().describe('the human agent who wrote an `agent` message or a note (absent when an API key did)'),
});
export const Reply = z.object({ ...messageFields, role: z.literal('bot') });
export const Turn = z.object({ messageId: z.string(), replies: z.array(Reply) });
export const PendingTurn = z.object({ messageId: z.string(), status: z.literal('pending'), replies: z.array(Reply).max(0) });
export const ConversationView = z.object({
  id: Id('conv'),
  botId: z.string(),
  botVersion: z.number().int(),
  channel: z.enum(CHANNELS),
  websiteId: z.string().nullable(),
  externalUserId: z.string(),
  contact: z.record(z.string(), z.string()).nullable(),
  variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  status: z.enum(CONVERSATION_STATUSES),
  messageCount: z.number().int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastMessageAt: Timestamp.nullable(),
  closedAt: Timestamp.nullable(),
});
export const StartAnswer = z.object({
  conversation: ConversationView,
  messageId: z.string().nullable().describe('the first message\'s id; null without a first message'),
  replies: z.array(Reply),
  status: z.literal('pending').optional().describe('only in a 202: the replies are not ready yet'),
});
export const TranscriptPage = pageOf(MessageView);
export const ConversationStatusAnswer = z.object({ conversation: z.object({ id: Id('conv'), status: z.enum(['active', 'handoff', 'closed', 'closing']) }) });
export const AgentMessageAnswer = z.object({ message: MessageView.extend({ role: z.literal('agent') }) });

/** The JSON `data:` of each event of `GET /v1/conversations/:id/events` (the same events webhooks deliver). */
const eventOf = (type: string, data: z.ZodType) => z.object({ id: z.string().regex(/^evt_[a-f0-9]{32}$/), type: z.literal(type), createdAt: Timestamp, data });
const eventRefs = { conversationId: Id('conv'), botId: z.string() };
export const ConversationEvents = {
  'conversation.started': eventOf('conversation.started', z.object({ ...eventRefs, botVersion: z.number().int(), channel: z.enum(CHANNELS), externalUserId: z.string() })),
  'message.created': eventOf(
    'message.created',
    z.object({ ...eventRefs, message: MessageView.extend({ seq: z.number().int().min(0), inReplyTo: z.string().nullable() }) }),
  ),
  'conversation.handoff': eventOf('conversation.handoff', z.object({ ...eventRefs, messageCount: z.number().int() })),
  'conversation.released': eventOf('conversation.released', z.object({ ...eventRefs, messageCount: z.number().int() })),
  'conversation.closed': eventOf('conversation.closed', z.object({ ...eventRefs, reason: z.string(), messageCount: z.number().int() })),
  'action.completed': eventOf('action.completed', z.object({ ...eventRefs, actionId: z.string(), run: z.string(), outputs: z.record(z.string(), z.unknown()) })),
  'action.failed': eventOf('action.failed', z.object({ ...eventRefs, actionId: z.string(), run: z.string(), error: z.string().nullable() })),
  'note.created': eventOf('note.created', z.object({ ...eventRefs, message: MessageView.extend({ role: z.literal('note'), seq: z.number().int().min(0), inReplyTo: z.string().nullable() }) })),
  'conversation.assigned': eventOf('conversation.assigned', z.object({ ...eventRefs, agentId: z.string(), previousAgentId: z.string().nullable() })),
  'conversation.unassigned': eventOf('conversation.unassigned', z.object({ ...eventRefs, previousAgentId: z.string().nullable() })),
  'sla.breached': eventOf('sla.breached', z.object({ ...eventRefs, target: z.enum(['firstResponse', 'nextResponse', 'resolution']), agentId: z.string().nullable(), handoffAt: Timestamp })),
  'sla.escalated': eventOf(
    'sla.escalated',
    z.object({ ...eventRefs, target: z.enum(['firstResponse', 'nextResponse', 'resolution']), agentId: z.string().nullable(), admins: z.array(z.string()).describe("the account's active admin agents"), reassign: z.boolean(), handoffAt: Timestamp }),
  ),
} satisfies Partial<Record<(typeof WEBHOOK_EVENT_TYPES)[number], z.ZodType>>;

// Connections, endpoints, actions, logs
const MaskedAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('api_key'), in: z.enum(['header', 'query']), name: z.string(), value: Masked }),
  z.object({ type: z.literal('bearer'), token: Masked }),
  z.object({ type: z.literal('basic'), username: z.string(), password: Masked }),
]);
export const ConnectionView = z.object({
  id: Id('conn'),
  name: z.string(),
  baseUrl: z.string(),
  auth: MaskedAuth,
  headers: z.record(z.string(), Masked).describe('the extra headers\' names (their values are write-only)'),
  timeoutMs: z.number().int(),
  allowPrivateNetwork: z.boolean(),
  privateNetworkAccess: PrivateNetworkAccess,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const EndpointView = z.object({
  id: Id('ep'),
  connectionId: Id('conn'),
  name: z.string(),
  description: z.string(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string(),
  parameters: z.array(EndpointParameter),
  bodyTemplate: z.unknown().describe('the JSON body template, or null'),
  responseFields: z.array(z.object({ name: z.string(), path: z.string() })),
  validations: z.array(ResponseValidation),
  sideEffects: z.boolean(),
  timeoutMs: z.number().int().nullable(),
  retry: z.object({ maxAttempts: z.number().int(), initialIntervalMs: z.number().int() }),
  longRunning: LongRunning.nullable().describe('a call that finishes later (polled, or answered through a callback), or null'),
  imported: z
    .object({
      key: z.string().describe('the operation it was imported from: its operationId, else `METHOD /path`'),
      operationId: z.string().nullable(),
      importedAt: Timestamp,
      missingSince: Timestamp.nullable().describe('set when a later import of the document no longer had the operation'),
    })
    .nullable()
    .describe('made by an OpenAPI import (POST /v1/connections/import), or null'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const ActionView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  steps: z.array(ActionStep),
  outputStep: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const ActionTemplates = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: z.string(),
      steps: z.array(z.string()).describe('how to use it, step by step'),
      connection: asRequestBody(CreateConnectionBody),
      endpoints: z.array(z.object({ ref: z.string(), endpoint: asRequestBody(CreateEndpointBody) })),
      action: asRequestBody(ActionBody),
    }),
  ),
});
const VariableValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const ConnectionTestAnswer = z.object({
  result: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), status: z.number().int(), durationMs: z.number() }),
    z.object({ ok: z.literal(false), code: z.enum(['dns', 'refused', 'tls', 'unauthorized', 'forbidden', 'timeout', 'blocked_address', 'http_error', 'not_found']), message: z.string() }),
  ]),
});
export const EndpointTestAnswer = z.object({
  result: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), status: z.number().int(), fields: z.record(z.string(), VariableValue), durationMs: z.number(), body: z.unknown().optional() }),
    z.object({ ok: z.literal(false), status: z.number().int().optional(), code: z.string(), message: z.string(), reason: z.string().optional() }),
  ]),
});
/** A call log (api/routes/logs.ts `callLogView`); `run` links to the run that made the call in the Temporal Web UI. */
export const CallLog = z.object({
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
  run: z.object({ workflowId: z.string(), runId: z.string(), url: z.string().describe("the run's history page in the Temporal Web UI (TEMPORAL_UI_URL)") }).nullable(),
  createdAt: Timestamp,
});

// Knowledge
export const KnowledgeItemView = z.object({
  id: Id('kb'),
  title: z.string(),
  content: z.string(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  source: z.object({ kind: z.enum(['api', 'import', 'draft']), importId: z.string().nullable(), draftId: z.string().nullable(), conversationId: z.string().nullable() }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const KnowledgeDraftView = z.object({
  id: Id('kd'),
  botId: z.string(),
  conversationId: Id('conv'),
  analysisId: z.string(),
  index: z.number().int().min(0),
  question: z.string(),
  answer: z.string(),
  status: DraftStatus,
  itemId: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const KnowledgeSearchAnswer = z.object({
  items: z.array(z.object({ id: Id('kb'), title: z.string(), content: z.string(), category: z.string().nullable(), tags: z.array(z.string()), score: z.number().describe('relevance, comparable within one search') })),
});
export const ImportAnswer = z.object({ imported: z.number().int().min(1), items: z.array(z.object({ id: Id('kb'), title: z.string() })) });
export const AnalyzeAnswer = z.object({ analysisId: Id('ka'), drafts: z.array(KnowledgeDraftView) });
export const AnalyzeRunning = z.object({ analysisId: Id('ka'), status: z.literal('running') });

// Websites and the widget
const Appearance = z.object({ title: z.string().optional(), color: z.string().optional(), position: z.enum(['right', 'left']).optional() });
export const WebsiteView = z.object({
  id: Id('site'),
  botId: z.string(),
  name: z.string(),
  origins: z.array(z.string()),
  websiteToken: z.string().regex(/^wt_[a-f0-9]{40}$/),
  identity: z.enum(IDENTITY_MODES),
  appearance: Appearance,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const Snippet = z.string().describe('the `<script>` tag to paste into the site');
const IdentitySecret = z.string().describe('the identity secret: shown this once');
export const WebsiteAnswer = z.object({ website: WebsiteView, snippet: Snippet });
export const NewWebsiteAnswer = z.object({ website: WebsiteView, snippet: Snippet, identitySecret: IdentitySecret });
export const NewIdentitySecretAnswer = z.object({ website: WebsiteView, identitySecret: IdentitySecret });
export const PreviewAnswer = z.object({ url: z.string(), expiresAt: Timestamp });
export const WidgetConfig = z.object({
  bot: z.object({ id: z.string(), name: z.string() }),
  channel: z.enum(['widget', 'preview']),
  title: z.string(),
  appearance: z.object({ color: z.string(), position: z.enum(['right', 'left']) }),
  identity: z.enum(IDENTITY_MODES),
});
export const WidgetStartAnswer = z.object({
  conversation: z.object({ id: Id('conv'), status: z.enum(CONVERSATION_STATUSES) }),
  visitorToken: z.string().regex(/^vt_/).describe('send it as `Authorization: Bearer vt_...` on this conversation\'s routes'),
  identified: z.boolean(),
  replies: z.array(Reply),
  status: z.literal('pending').optional(),
});
export const WidgetTranscript = TranscriptPage.extend({ conversation: z.object({ id: Id('conv'), status: z.enum(CONVERSATION_STATUSES) }) });

// Webhooks
export const WebhookView = z.object({
  id: Id('whk'),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().nullable(),
  allowPrivateNetwork: z.boolean(),
  privateNetworkAccess: PrivateNetworkAccess,
  enabled: z.boolean(),
  disabledReason: z.enum(['gone', 'failing', 'disabled_by_api']).nullable(),
  disabledAt: Timestamp.nullable(),
  failingSince: Timestamp.nullable().describe('when deliveries began failing; null while they succeed'),
  missedEvents: z.number().int().min(0).describe('events missed while disabled, for a replay (at most 1,000)'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const NewWebhookAnswer = z.object({ webhook: WebhookView, secret: z.string().regex(/^whsec_/).describe('the signing secret: shown this once') });
export const DeliveryView = z.object({
  id: z.string(),
  endpointId: Id('whk'),
  eventId: z.string(),
  eventType: z.string(),
  attempt: z.number().int().min(1),
  status: z.enum(['succeeded', 'failed']),
  responseStatus: z.number().int().nullable(),
  responseBody: z.string().nullable().describe('trimmed'),
  error: z.string().nullable(),
  durationMs: z.number(),
  nextRetryAt: Timestamp.nullable(),
  disabledEndpoint: z.boolean(),
  workflowId: z.string(),
  createdAt: Timestamp,
});
export const WebhookTestAnswer = z.object({ eventId: z.string(), delivery: DeliveryView.nullable() });

// Meta
export const OpenApiDocument = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });
export const CodecPayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string().describe('base64')), data: z.string().describe('base64') })),
});
