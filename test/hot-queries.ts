/**
 * Every query Parley runs against MongoDB (the API, the worker's activities, the models' helpers and the
 * clean-ups), each as the real mongoose query with sample values, with where it runs and how many rows it
 * reads. One list for three readers, so they cannot drift apart:
 *
 * - test/unit/query-indexes.test.ts checks each query's filter and sort against the indexes the models
 *   declare (what MongoDB needs to answer it from an index), and keeps the table in docs/queries.md equal
 *   to `renderQueryTable` (UPDATE_QUERIES_DOC=1 rewrites it);
 * - test/integration/query-plans.test.ts runs each query's `explain()` on the test FerretDB, whose plan is
 *   the SQL SQLite really runs, and fails on a scan or an in-memory sort.
 *
 * A query that is not a find (a count, an update, a delete) is listed as the find with the same filter:
 * that is what the store reads. Calls with the same filter shape on the same collection share one entry
 * (`ops` and `where` name them all).
 */
import mongoose, { Schema, type Connection, type Model, type Query } from 'mongoose';
import { RATE_LIMIT_COLLECTION, RATE_LIMIT_INDEXES } from '../api/rate-limit';
import { accountModels } from '../models/account.model';
import { agentModels } from '../models/agent.model';
import { botModels } from '../models/bot.model';
import { connectionModels } from '../models/connection.model';
import { conversationModels } from '../models/conversation.model';
import { idempotencyModels } from '../models/idempotency.model';
import { knowledgeModels } from '../models/knowledge.model';
import { slaModels } from '../models/sla.model';
import { planModels } from '../models/plan.model';
import { webhookModels } from '../models/webhook.model';
import { websiteModels } from '../models/website.model';

/** The sample values the queries use (test/integration/query-plans.test.ts stores documents with them). */
export const SAMPLE = {
  accountId: 'acct_sample',
  otherAccountId: 'acct_other',
  email: 'owner@example.com',
  apiKeyId: 'key_sample',
  apiKeyHash: 'hash-sample',
  botId: 'bot_sample',
  conversationId: 'conv_sample',
  messageId: 'msg_00000000000000000000000000000001',
  replyId: 'msg_00000000000000000000000000000002',
  eventId: 'evt_sample',
  connectionId: 'conn_sample',
  endpointId: 'ep_sample',
  actionId: 'order_status',
  callLogId: 'log_sample',
  webhookId: 'wh_sample',
  deliveryWorkflowId: 'webhook-evt_sample-wh_sample',
  deliveryId: 'whd_sample',
  knowledgeItemId: 'kb_sample',
  draftId: 'kd_sample',
  analysisId: 'ka_sample',
  websiteId: 'site_sample',
  websiteToken: `wt_${'0'.repeat(40)}`,
  idempotencyRecordId: 'idem_sample',
  idempotencyKey: 'key-1',
  importId: 'kbi_sample',
  /** A page cursor: ids sort by time, `after` is the last id of the previous page. */
  after: 'zzz_cursor',
  cutoff: new Date('2024-01-01T00:00:00Z'),
  rateLimitKey: 'key:key_sample',
  slaSampleId: 'sls_sample',
  slaAggregateId: 'acct_sample|*|2025-01-01|all|firstResponse',
  agentId: `agt_${'0'.repeat(23)}1`,
  agentSessionId: `ses_${'0'.repeat(23)}1`,
} as const;

/**
 * The `rate_limits` collection as rate-limiter-flexible writes it, with the indexes api/rate-limit.ts
 * creates there (RATE_LIMIT_INDEXES). Only for building and explaining its queries: it never creates
 * indexes itself (the integration test checks that the live collection has these).
 */
export interface RateLimitRow {
  key: string;
  points: number;
  expire: Date | null;
}

function rateLimitModel(db: Connection): Model<RateLimitRow> {
  if (db.models.RateLimitRow) return db.models.RateLimitRow as Model<RateLimitRow>;
  const schema = new Schema<RateLimitRow>({ key: String, points: Number, expire: Date }, { versionKey: false, autoIndex: false, autoCreate: false });
  for (const { key, unique } of RATE_LIMIT_INDEXES) schema.index(key, unique ? { unique } : {});
  return db.model<RateLimitRow>('RateLimitRow', schema, RATE_LIMIT_COLLECTION);
}

/** Parley's own models, bound to `db`: those whose indexes `syncIndexes` creates. */
export function appModels(db: Connection) {
  return {
    ...accountModels(db),
    ...botModels(db),
    ...conversationModels(db),
    ...connectionModels(db),
    ...knowledgeModels(db),
    ...webhookModels(db),
    ...websiteModels(db),
    ...idempotencyModels(db),
    ...slaModels(db),
    ...agentModels(db),
    ...planModels(db),
  };
}

/**
 * Every model the queries run on, bound to `db` (a connection that is never opened will do for building
 * them): Parley's, and `rate_limits` (register it after `syncIndexes`, which would create its indexes).
 */
export function queryModels(db: Connection) {
  return { ...appModels(db), RateLimitRow: rateLimitModel(db) };
}
export type QueryModels = ReturnType<typeof queryModels>;

export interface HotQuery {
  /** What the query is for (unique). */
  name: string;
  /** The operations that run with this filter (when they are not finds, `build` is the find with the same filter). */
  ops: string;
  /** Where it runs: `path#text`, each checked to exist (the file holds the text). */
  where: string[];
  /** The query with sample values: a find or findOne with the same filter, sort and limit. */
  build: (m: QueryModels) => Query<any, any>;
  /**
   * Filter fields the index does not hold: tested on the documents the index gives (`bound` says why that
   * stays small). Every field beside an `_id` equality is checked on that one document without saying so.
   */
  checked?: string[];
  /** Its sort is not the index's order: it sorts every match, bounded by design (say why). */
  sortInMemory?: string;
  /** Index entries and documents read, at most. */
  bound: string;
  /** A shortcoming known and left, and what would remove it. */
  gap?: string;
  /**
   * The test store's plan searches an index that does not serve the query (SQLite plans without
   * statistics), in code this list does not own: why, and the fix. The integration test expects exactly
   * that (a search, never a scan or a sort in memory) and fails once the plan is right, to have this removed.
   */
  knownPlanIssue?: string;
}

const S = SAMPLE;
const page = 51; // a list route's `limit + 1` at the default page size
/** The ids of a full retention batch (models/retention.ts RETENTION_BATCH_SIZE): a store plans an `$in` by its length. */
const batchOf = (prefix: string): string[] => Array.from({ length: 1000 }, (_, i) => `${prefix}_${i.toString(36).padStart(4, '0')}`);

export const HOT_QUERIES: HotQuery[] = [
  // accounts and API keys
  {
    name: 'account by id',
    ops: 'findById, exists',
    where: ['api/routes/accounts.ts#Account.findById', 'api/auth.ts#Account.exists({ _id: accountId })', 'api/routes/account-status.ts#deps.Account.exists({ _id: id })'],
    build: (m) => m.Account.findOne({ _id: S.accountId }),
    bound: '1 (primary key); every request with a login token',
  },
  {
    name: 'account by login email',
    ops: 'exists (sign-up), findOne (login)',
    where: ['api/routes/accounts.ts#Account.exists({ email: body.email })', 'api/routes/login.ts#deps.Account.findOne({ email: body.email }'],
    build: (m) => m.Account.findOne({ email: S.email }),
    bound: '1 (unique)',
  },
  {
    name: 'accounts signed up with a taken email (login)',
    ops: 'find · sort · limit 7',
    where: ['api/routes/login.ts#unlinkedEmail: body.email'],
    build: (m) => m.Account.find({ unlinkedEmail: S.email }).sort({ _id: -1 }).limit(7),
    bound: '7',
  },
  {
    name: 'API key by hash (authentication)',
    ops: 'findOne',
    where: ['api/auth.ts#ApiKey.findOne({ hash, revokedAt: null }'],
    build: (m) => m.ApiKey.findOne({ hash: S.apiKeyHash, revokedAt: null }),
    checked: ['revokedAt'],
    bound: '1 (unique hash); every API-key request whose key is not in the 10 s cache',
  },
  {
    name: "the account's API keys",
    ops: 'find · sort',
    where: ['api/routes/accounts.ts#ApiKey.find({ accountId: callerOf(res).accountId, revokedAt: null })'],
    build: (m) => m.ApiKey.find({ accountId: S.accountId, revokedAt: null }).sort({ _id: 1 }),
    checked: ['revokedAt'],
    bound: "the account's keys, revoked ones read and skipped (the answer lists all the others)",
  },
  {
    name: 'API key by id',
    ops: 'findOneAndUpdate (revoke), deleteOne (sign-up rollback)',
    where: ['api/routes/accounts.ts#ApiKey.findOneAndUpdate(', 'api/routes/accounts.ts#ApiKey.deleteOne({ _id: apiKey._id'],
    build: (m) => m.ApiKey.findOne({ _id: S.apiKeyId, accountId: S.accountId, revokedAt: null }),
    bound: '1 (primary key)',
  },

  // bots and their versions
  {
    name: 'bot by id',
    ops: 'findOne, exists, findOneAndUpdate, updateOne, deleteOne',
    where: [
      'api/routes/bots.ts#const findBot',
      'api/routes/bot-ai.ts#Bot.findOne({ _id: id, accountId }',
      'api/routes/websites.ts#const requireBot',
      'api/routes/conversations/start.ts#deps.Bot.findOne({ _id: botId, accountId }',
      'api/routes/knowledge/analyze.ts#Bot.findOne({ _id: conversation.botId, accountId }',
      'api/widget/router.ts#deps.Bot.findOne({ _id: site.botId, accountId: site.accountId }',
      'api/widget/pages.ts#deps.Bot.findOne(',
      'activities/llm/complete-chat.ts#Bot.findOne({ _id: input.botId, accountId: input.accountId }',
    ],
    build: (m) => m.Bot.findOne({ _id: S.botId, accountId: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: "the account's bots, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/bots.ts#Bot.find(filter).sort({ _id: 1 })'],
    build: (m) => m.Bot.find({ accountId: S.accountId, _id: { $gt: S.after } }).sort({ _id: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: "a bot's latest version (every conversation start, publish)",
    ops: 'findOne · sort',
    where: ['api/routes/conversations/start.ts#deps.BotVersion.findOne({ botId: bot._id, accountId })', 'api/routes/bots.ts#BotVersion.findOne({ botId: id, accountId }'],
    build: (m) => m.BotVersion.findOne({ botId: S.botId, accountId: S.accountId }).sort({ version: -1 }),
    checked: ['accountId'],
    bound: "1: the bot's newest version (a bot is one account's; its owner was checked just before)",
  },
  {
    name: "a bot's versions",
    ops: 'find · sort · limit 100; exists (preview); deleteMany (the bot deleted)',
    where: ['api/routes/bots.ts#BotVersion.find({ botId: id, accountId }).sort({ version: -1 }).limit(100)', 'api/routes/websites.ts#BotVersion.exists({ botId: id, accountId })', 'api/routes/bots.ts#BotVersion.deleteMany({ botId: id, accountId })'],
    build: (m) => m.BotVersion.find({ botId: S.botId, accountId: S.accountId }).sort({ version: -1 }).limit(100),
    checked: ['accountId'],
    bound: "100 (the list), 1 (exists), the bot's versions (deleteMany deletes them all)",
  },

  // conversations
  {
    name: 'conversation by id',
    ops: 'findOne, exists, deleteOne',
    where: [
      'api/routes/conversations/send-message.ts#Conversation.findOne({ _id: id, accountId }, { status: 1 })',
      // read, events, close, release, agent messages, claim, assign, notes (with the agent's access checked)
      'api/agent-access.ts#deps.Conversation.findOne({ _id: id, accountId: caller.accountId }, projection)',
      'api/routes/conversations/start.ts#Conversation.deleteOne({ _id: conversationId, accountId })',
      'api/routes/conversations/confirm.ts#Conversation.findOne(',
      'api/routes/knowledge/analyze.ts#Conversation.findOne({ _id: conversationId, accountId }',
      'api/widget/router.ts#deps.Conversation.findOne({ _id: id, accountId: site.accountId })',
    ],
    build: (m) => m.Conversation.findOne({ _id: S.conversationId, accountId: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: "a turn's conversation update",
    ops: 'updateOne · upsert (driver)',
    where: ['activities/transcript.ts#conversations.updateOne('],
    build: (m) => m.Conversation.findOne({ _id: S.conversationId }),
    bound: '1 (primary key); every turn',
  },
  {
    name: 'list conversations',
    ops: 'find · sort · limit',
    where: ['api/routes/conversations/read.ts#deps.Conversation.find(filter).sort({ _id: -1 })'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'list conversations by bot',
    ops: 'find · sort · limit',
    where: ['api/routes/conversations/read.ts#if (query.botId) filter.botId = query.botId'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, botId: S.botId, _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'list conversations by status',
    ops: 'find · sort · limit',
    where: ['api/routes/conversations/read.ts#if (query.status) filter.status = query.status'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, status: 'handoff', _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'list conversations by bot and status',
    ops: 'find · sort · limit',
    where: ['api/routes/conversations/read.ts#listConversations'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, botId: S.botId, status: 'active' }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },

  // messages
  {
    name: 'transcript page (API, widget poll)',
    ops: 'find · sort · limit',
    where: ['api/routes/conversations/read.ts#deps.Message.find({ accountId, conversationId, seq: { $gt: afterSeq }, ...(includeNotes'],
    build: (m) => m.Message.find({ accountId: S.accountId, conversationId: S.conversationId, seq: { $gt: -1 }, role: { $ne: 'note' } }).sort({ seq: 1 }).limit(page),
    checked: ['accountId', 'role'],
    bound: "a page (limit + 1): a conversation's messages are all its account's",
  },
  {
    name: 'message by id (transcript cursor, retried clientMessageId)',
    ops: 'findOne',
    where: ['api/routes/conversations/read.ts#deps.Message.findOne({ _id: query.after, accountId, conversationId }', 'api/routes/conversations/send-message.ts#deps.Message.findOne({ _id: messageId, conversationId }'],
    build: (m) => m.Message.findOne({ _id: S.messageId, accountId: S.accountId, conversationId: S.conversationId }),
    bound: '1 (primary key); every message sent with a clientMessageId',
  },
  {
    name: 'replies to a retried message',
    ops: 'find · sort',
    where: ['api/routes/conversations/send-message.ts#seq: { $gt: visitor.seq }, inReplyTo: messageId'],
    build: (m) => m.Message.find({ conversationId: S.conversationId, seq: { $gt: 0 }, inReplyTo: S.messageId }).sort({ seq: 1 }),
    checked: ['inReplyTo'],
    bound: "the messages written after the retried one (its replies come right after it); only when a clientMessageId is sent again",
  },
  {
    name: 'transcript for Q&A extraction',
    ops: 'find · sort · limit ≤ 500 (driver)',
    where: ['activities/transcript.ts#async loadTranscript('],
    build: (m) => m.Message.find({ conversationId: S.conversationId, accountId: S.accountId }).sort({ seq: -1 }).limit(500),
    checked: ['accountId'],
    bound: '500',
  },
  {
    name: "a turn's visitor message completed",
    ops: 'updateOne (driver)',
    where: ['activities/transcript.ts#messages.updateOne({ _id: input.completes }'],
    build: (m) => m.Message.findOne({ _id: S.messageId }),
    bound: '1 (primary key)',
  },

  // events: the SSE stream, the webhook outbox, retention
  {
    name: 'event stream poll (SSE)',
    ops: 'find · sort · limit 100',
    where: ['api/routes/conversations/events-stream.ts#deps.Event.find({ conversationId: stream.conversationId'],
    build: (m) => m.Event.find({ conversationId: S.conversationId, accountId: S.accountId, position: { $gt: -1 } }).sort({ position: 1 }).limit(100),
    checked: ['accountId'],
    bound: "100; every SSE_POLL_MS per open stream (a conversation's events are all its account's)",
  },
  {
    name: 'event by id (outbox, delivery)',
    ops: 'findOne, updateOne (driver); findOwned',
    where: ['activities/events.ts#events.findOne({ _id: id })', 'activities/events.ts#events.updateOne({ _id: e._id }', 'activities/webhooks.ts#findOwned(Event, input.eventId'],
    build: (m) => m.Event.findOne({ _id: S.eventId }),
    bound: '1 (primary key)',
  },
  {
    name: 'webhook outbox sweep',
    ops: 'find · sort · limit 200 (driver)',
    where: ['activities/events.ts#events.find({ dispatched: false }).sort({ createdAt: 1 }).limit(200)'],
    build: (m) => m.Event.find({ dispatched: false }).sort({ createdAt: 1 }).limit(200),
    bound: '200; every 30 s per worker',
  },
  {
    name: 'retention: expired events, a batch',
    ops: 'find · sort · limit (driver), then deleteMany of those ids',
    where: ['models/webhook.model.ts#export async function purgeOldEvents', 'models/retention.ts#export async function deleteExpiredInBatches'],
    build: (m) => m.Event.find({ dispatched: true, createdAt: { $lt: S.cutoff } }, { _id: 1 }).sort({ createdAt: 1 }).limit(1000),
    bound: '1,000 a batch, 500 batches a run (models/retention.ts)',
  },
  {
    name: 'retention: expired events, deleted',
    ops: 'deleteMany (driver)',
    where: ['models/retention.ts#_id: { $in: ids }'],
    build: (m) => m.Event.find({ dispatched: true, createdAt: { $lt: S.cutoff }, _id: { $in: batchOf('evt') } }),
    bound: "the batch's ids: on MongoDB and on FerretDB (Parley's patch sends an `_id` lookup alone, and the rest of the filter is checked on the rows it reads)",
  },

  // webhook endpoints, deliveries, missed-event ledgers
  {
    name: "the account's webhook endpoints (every turn that records events)",
    ops: 'find (driver)',
    where: ['activities/transcript.ts#.find({ accountId: c.accountId }, { projection: { events: 1'],
    build: (m) => m.WebhookEndpoint.find({ accountId: S.accountId }),
    bound: "the account's endpoints",
  },
  {
    name: "webhook outbox: the batch's accounts' endpoints",
    ops: 'find',
    where: ['activities/events.ts#WebhookEndpoint.find({ accountId: { $in: accounts } }'],
    build: (m) => m.WebhookEndpoint.find({ accountId: { $in: [S.accountId, S.otherAccountId] } }),
    bound: "the endpoints of the batch's accounts (a batch is 200 events at most)",
  },
  {
    name: 'webhook endpoint by id',
    ops: 'findOwned; updateOne, findOneAndUpdate (driver); findOneAndUpdate, deleteOne, updateOne',
    where: [
      'api/routes/webhooks/lookup.ts#findOwned(deps.WebhookEndpoint',
      'activities/webhooks.ts#findOwned(WebhookEndpoint',
      'activities/webhook-endpoints.ts#endpointCollection.updateOne({ _id: id }',
      'activities/webhook-endpoints.ts#endpointCollection.findOneAndUpdate({ _id: id }',
      'api/routes/webhooks/index.ts#deps.WebhookEndpoint.findOneAndUpdate({ _id: id, accountId }',
      'api/routes/webhooks/index.ts#deps.WebhookEndpoint.deleteOne({ _id: id, accountId })',
      'api/routes/webhooks/replay.ts#deps.WebhookEndpoint.updateOne({ _id: id }',
    ],
    build: (m) => m.WebhookEndpoint.findOne({ _id: S.webhookId }),
    bound: '1 (primary key)',
  },
  {
    name: "the account's webhook endpoints, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/webhooks/index.ts#deps.WebhookEndpoint.find(filter).sort({ _id: 1 })'],
    build: (m) => m.WebhookEndpoint.find({ accountId: S.accountId, _id: { $gt: S.after } }).sort({ _id: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'webhook delivery attempt',
    ops: 'updateOne · upsert (every attempt); findOne (test route)',
    where: ['activities/webhooks.ts#{ workflowId, attempt: input.attempt, accountId: input.accountId }', 'api/routes/webhooks/index.ts#deps.WebhookDelivery.findOne({ accountId, workflowId, attempt: 1 })'],
    build: (m) => m.WebhookDelivery.findOne({ accountId: S.accountId, workflowId: S.deliveryWorkflowId, attempt: 1 }),
    checked: ['accountId'],
    bound: '1 (unique workflowId and attempt)',
  },
  {
    name: "a webhook's deliveries, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/webhooks/index.ts#deps.WebhookDelivery.find(filter).sort({ _id: -1 })'],
    build: (m) => m.WebhookDelivery.find({ endpointId: S.webhookId, accountId: S.accountId, _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    checked: ['accountId'],
    bound: "a page (limit + 1): an endpoint's deliveries are all its account's",
  },
  {
    name: "a webhook's deliveries for one event",
    ops: 'find · sort · limit',
    where: ['api/routes/webhooks/index.ts#if (query.eventId) filter.eventId = query.eventId'],
    build: (m) => m.WebhookDelivery.find({ endpointId: S.webhookId, accountId: S.accountId, eventId: S.eventId }).sort({ _id: -1 }).limit(page),
    checked: ['accountId'],
    bound: "a page: the event's attempts",
  },
  {
    name: "a webhook's deliveries by status",
    ops: 'find · sort · limit',
    where: ['api/routes/webhooks/index.ts#if (query.status) filter.status = query.status'],
    build: (m) => m.WebhookDelivery.find({ endpointId: S.webhookId, accountId: S.accountId, status: 'failed' }).sort({ _id: -1 }).limit(page),
    checked: ['accountId'],
    bound: 'a page (limit + 1); with both `eventId` and `status`, the event\'s attempts',
  },
  {
    name: 'retention: expired delivery logs, a batch',
    ops: 'find · sort · limit (driver), then deleteMany of those ids',
    where: ['models/webhook.model.ts#retention: webhook delivery logs older than the cut-off'],
    build: (m) => m.WebhookDelivery.find({ createdAt: { $lt: S.cutoff } }, { _id: 1 }).sort({ createdAt: 1 }).limit(1000),
    bound: '1,000 a batch, 500 batches a run',
  },
  {
    name: 'retention: expired delivery logs, deleted',
    ops: 'deleteMany (driver)',
    where: ['models/retention.ts#_id: { $in: ids }'],
    build: (m) => m.WebhookDelivery.find({ createdAt: { $lt: S.cutoff }, _id: { $in: batchOf('whd') } }),
    bound: "the batch's ids (primary key)",
  },
  {
    name: "a disabled endpoint's ledger of missed events",
    ops: 'findOne, deleteOne, replaceOne · upsert, updateOne · upsert',
    where: ['api/routes/webhooks/replay.ts#deps.WebhookMissed.findOne({ _id: ledgerId })', 'api/routes/webhooks/index.ts#deps.WebhookMissed.deleteOne(', 'activities/webhook-endpoints.ts#ledgers.replaceOne({ _id: ledger._id }', 'activities/webhook-endpoints.ts#ledgers.updateOne('],
    build: (m) => m.WebhookMissed.findOne({ _id: `${S.accountId}/${S.webhookId}` }),
    bound: '1 (primary key)',
  },

  // connections, endpoints, actions, call logs
  {
    name: 'connection by id',
    ops: 'findOne, findOneAndUpdate (compare-and-set on updatedAt), deleteOne',
    where: ['api/routes/connections/lookups.ts#deps.ApiConnection.findOne({ _id: id, accountId })', 'api/routes/connections/connections.ts#deps.ApiConnection.findOneAndUpdate({ _id: id, accountId, updatedAt: current.updatedAt }', 'activities/http/connection.ts#context.models.ApiConnection.findOne({ _id: connectionId, accountId })', 'api/routes/connections/openapi-import/apply.ts#deps.ApiConnection.deleteOne({ _id: connection._id, accountId })'],
    build: (m) => m.ApiConnection.findOne({ _id: S.connectionId, accountId: S.accountId }),
    bound: '1 (primary key); every API action call',
  },
  {
    name: "the account's connections, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/connections/connections.ts#deps.ApiConnection.find(filter).sort({ _id: 1 })'],
    build: (m) => m.ApiConnection.find({ accountId: S.accountId, _id: { $gt: S.after } }).sort({ _id: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'endpoint by id',
    ops: 'findOne, findOneAndUpdate (compare-and-set), deleteOne, replaceOne (an OpenAPI import undone)',
    where: ['api/routes/connections/lookups.ts#deps.Endpoint.findOne({ _id: id, accountId, connectionId })', 'activities/http/call-endpoint.ts#context.models.Endpoint.findOne({ _id: input.endpointId, accountId: input.accountId })', 'activities/http/poll-job.ts#context.models.Endpoint.findOne({ _id: input.endpointId, accountId: input.accountId })', 'api/routes/callbacks.ts#deps.Endpoint.findOne({ _id: claims.e, accountId: claims.a }', 'api/routes/connections/endpoints.ts#deps.Endpoint.deleteOne({ _id: eid, accountId, connectionId: id })', 'api/routes/connections/openapi-import/apply.ts#deps.Endpoint.findOneAndUpdate({ _id: before._id, accountId: before.accountId, connectionId: before.connectionId, updatedAt: before.updatedAt }', 'api/routes/connections/openapi-import/apply.ts#deps.Endpoint.deleteOne({ _id: endpoint._id, accountId, connectionId })', 'api/routes/connections/openapi-import/apply.ts#deps.Endpoint.replaceOne({ _id: before._id, accountId, connectionId }'],
    build: (m) => m.Endpoint.findOne({ _id: S.endpointId, accountId: S.accountId, connectionId: S.connectionId }),
    bound: '1 (primary key); every API action call',
  },
  {
    name: 'endpoints by ids',
    ops: 'find',
    where: ['api/routes/actions.ts#Endpoint.find({ _id: { $in: endpointIdsOf(action) }, accountId })', 'api/routes/bots.ts#Endpoint.find({ accountId, _id: { $in: endpointIds } }', 'api/routes/bot-ai.ts#deps.Endpoint.find({ accountId, _id: { $in: endpointIds } }', 'api/routes/connections/endpoints.ts#deps.Endpoint.find({ _id: { $in: ids }, accountId })'],
    build: (m) => m.Endpoint.find({ _id: { $in: [S.endpointId, 'ep_2'] }, accountId: S.accountId }),
    bound: 'one per id (primary key)',
  },
  {
    name: "a connection's endpoints",
    ops: 'find (delete check; an OpenAPI import matching its operations), deleteMany (forced delete)',
    where: ['api/routes/connections/connections.ts#deps.Endpoint.find({ accountId, connectionId: id }', 'api/routes/connections/connections.ts#deps.Endpoint.deleteMany({ accountId, connectionId: id })', 'api/routes/connections/openapi-import/index.ts#deps.Endpoint.find({ accountId, connectionId: id })'],
    build: (m) => m.Endpoint.find({ accountId: S.accountId, connectionId: S.connectionId }),
    bound: "the connection's endpoints",
  },
  {
    name: "a connection's endpoints, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/connections/endpoints.ts#deps.Endpoint.find(filter).sort({ _id: 1 })'],
    build: (m) => m.Endpoint.find({ accountId: S.accountId, connectionId: S.connectionId, _id: { $gt: S.after } }).sort({ _id: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'action by id',
    ops: 'findOne, exists, findOneAndUpdate, deleteOne',
    where: ['api/routes/actions.ts#Action.findOne({ _id: docId(accountId, id), accountId })', 'api/routes/actions.ts#Action.deleteOne({ _id: docId(accountId, id), accountId })'],
    build: (m) => m.Action.findOne({ _id: `${S.accountId}:${S.actionId}`, accountId: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: 'actions by action ids (publish, Smart AI settings)',
    ops: 'find',
    where: ['api/routes/bots.ts#Action.find({ accountId, actionId: { $in: [...ids] } })', 'api/routes/bot-ai.ts#deps.Action.find({ accountId, actionId: { $in: actionIds } })'],
    build: (m) => m.Action.find({ accountId: S.accountId, actionId: { $in: [S.actionId, 'book_table'] } }),
    bound: 'one per id (unique accountId and actionId)',
  },
  {
    name: "the account's actions, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/actions.ts#Action.find(filter).sort({ actionId: 1 })'],
    build: (m) => m.Action.find({ accountId: S.accountId, actionId: { $gt: 'a' } }).sort({ actionId: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'actions that use an endpoint',
    ops: 'find · sort',
    where: ['api/routes/connections/lookups.ts#export async function actionsUsing'],
    build: (m) => m.Action.find({ accountId: S.accountId, $or: [{ 'steps.endpointId': { $in: [S.endpointId] } }, { 'steps.compensation.endpointId': { $in: [S.endpointId] } }] }).sort({ actionId: 1 }),
    checked: ['$or'],
    bound: "the account's actions (an endpoint changed or deleted, a connection deleted: configuration, not a hot path)",
  },
  {
    name: 'call logs, a page',
    ops: 'find · sort · limit',
    where: ['api/routes/logs.ts#deps.CallLog.find(filter).sort({ _id: -1 })'],
    build: (m) => m.CallLog.find({ accountId: S.accountId, _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: "an endpoint's call logs",
    ops: 'find · sort · limit',
    where: ['api/routes/logs.ts#list({ accountId, endpointId: eid }, query)', 'api/routes/logs.ts#if (query.endpointId) filter.endpointId = query.endpointId'],
    build: (m) => m.CallLog.find({ accountId: S.accountId, endpointId: S.endpointId, _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: "a connection's call logs",
    ops: 'find · sort · limit',
    where: ['api/routes/logs.ts#if (query.connectionId) filter.connectionId = query.connectionId'],
    build: (m) => m.CallLog.find({ accountId: S.accountId, connectionId: S.connectionId }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: "a conversation's call logs",
    ops: 'find · sort · limit',
    where: ['api/routes/logs.ts#if (query.conversationId) filter.conversationId = query.conversationId'],
    build: (m) => m.CallLog.find({ accountId: S.accountId, conversationId: S.conversationId }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'call logs by outcome',
    ops: 'find · sort · limit',
    where: ['api/routes/logs.ts#if (query.success) filter.success'],
    build: (m) => m.CallLog.find({ accountId: S.accountId, success: false }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
    gap: 'two filters at once (an outcome and an endpoint, connection or conversation; or two of those ids): one index serves, the rest is checked on the rows it reads, newest first, until a page matches',
  },

  // knowledge
  {
    name: 'knowledge item by id',
    ops: 'findOne, findOneAndUpdate, deleteOne',
    where: ['api/routes/knowledge/items.ts#deps.KnowledgeItem.findOne({ _id: id, accountId: callerOf(res).accountId })', 'api/routes/knowledge/items.ts#deps.KnowledgeItem.deleteOne({ _id: id, accountId })'],
    build: (m) => m.KnowledgeItem.findOne({ _id: S.knowledgeItemId, accountId: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: "the account's knowledge items, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/knowledge/items.ts#deps.KnowledgeItem.find(filter).sort({ _id: 1 })'],
    build: (m) => m.KnowledgeItem.find({ accountId: S.accountId, _id: { $gt: S.after }, category: 'faq' }).sort({ _id: 1 }).limit(page),
    checked: ['category'],
    bound: "a page; with `category`, the account's items until a page matches: 5,000 at most (KNOWLEDGE_LIMITS.itemsPerAccount)",
  },
  {
    name: "the account's knowledge items, all",
    ops: 'countDocuments (room check); find (search index, on a revision change)',
    where: ['api/routes/knowledge/room.ts#deps.KnowledgeItem.countDocuments({ accountId })', 'models/knowledge.model.ts#models.KnowledgeItem.find({ accountId }', 'api/plans.ts#deps.KnowledgeItem.countDocuments({ accountId })'],
    build: (m) => m.KnowledgeItem.find({ accountId: S.accountId }),
    bound: '5,000 (KNOWLEDGE_LIMITS.itemsPerAccount)',
  },
  {
    name: 'a failed import rolled back',
    ops: 'deleteMany',
    where: ["api/routes/knowledge/import.ts#deps.KnowledgeItem.deleteMany({ accountId, 'source.importId': importId })"],
    build: (m) => m.KnowledgeItem.find({ accountId: S.accountId, 'source.importId': S.importId }),
    checked: ['source.importId'],
    bound: "5,000: the account's items (only when an import fails)",
  },
  {
    name: "the account's knowledge revision (every search)",
    ops: 'findById, updateOne · upsert',
    where: ['models/knowledge.model.ts#models.KnowledgeRevision.findById(accountId', 'models/knowledge.model.ts#models.KnowledgeRevision.updateOne({ _id: accountId }'],
    build: (m) => m.KnowledgeRevision.findOne({ _id: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: 'knowledge draft by id',
    ops: 'findOne, findOneAndUpdate (claim), updateOne (undo)',
    where: ['api/routes/knowledge/drafts.ts#deps.KnowledgeDraft.findOne({ _id: id, accountId })', 'api/routes/knowledge/drafts.ts#deps.KnowledgeDraft.updateOne({ _id: id, accountId, itemId }'],
    build: (m) => m.KnowledgeDraft.findOne({ _id: S.draftId, accountId: S.accountId, status: 'draft' }),
    bound: '1 (primary key)',
  },
  {
    name: "an analysis's drafts",
    ops: 'find · sort',
    where: ['api/routes/knowledge/analyze.ts#KnowledgeDraft.find({ accountId, analysisId }).sort({ index: 1 })'],
    build: (m) => m.KnowledgeDraft.find({ accountId: S.accountId, analysisId: S.analysisId }).sort({ index: 1 }),
    checked: ['accountId'],
    bound: "the analysis's drafts (one analysis, one account)",
  },
  {
    name: "the account's drafts, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/knowledge/drafts.ts#deps.KnowledgeDraft.find(filter).sort({ _id: 1 })'],
    build: (m) => m.KnowledgeDraft.find({ accountId: S.accountId, _id: { $gt: S.after } }).sort({ _id: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: 'drafts by status (the review queue)',
    ops: 'find · sort · limit',
    where: ['api/routes/knowledge/drafts.ts#if (query.status) filter.status = query.status'],
    build: (m) => m.KnowledgeDraft.find({ accountId: S.accountId, status: 'draft', _id: { $gt: S.after } }).sort({ _id: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: "a conversation's drafts",
    ops: 'find · sort · limit',
    where: ['api/routes/knowledge/drafts.ts#if (query.conversationId) filter.conversationId = query.conversationId'],
    build: (m) => m.KnowledgeDraft.find({ accountId: S.accountId, conversationId: S.conversationId, status: 'draft' }).sort({ _id: 1 }).limit(page),
    checked: ['status'],
    bound: "a page; with `status` too, the conversation's drafts until a page matches (a few per analysis)",
  },

  // websites
  {
    name: 'website by public token (widget)',
    ops: 'findOne',
    where: ['api/widget/sites.ts#deps.Website.findOne({ token })'],
    build: (m) => m.Website.findOne({ token: S.websiteToken }),
    bound: '1 (unique); once per token per 5 s per API instance',
  },
  {
    name: 'website by id',
    ops: 'findOne, findOneAndUpdate, deleteOne; findOwned (identity secret)',
    where: ['api/routes/websites.ts#Website.findOne({ _id: id, accountId })', 'api/routes/websites.ts#Website.deleteOne(', 'api/widget/router.ts#findOwned(deps.Website'],
    build: (m) => m.Website.findOne({ _id: S.websiteId, accountId: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: "the account's websites, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/websites.ts#Website.find(filter).sort({ _id: -1 })'],
    build: (m) => m.Website.find({ accountId: S.accountId, _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: "a bot's websites, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/websites.ts#if (query.botId) filter.botId = query.botId'],
    build: (m) => m.Website.find({ accountId: S.accountId, botId: S.botId, _id: { $lt: S.after } }).sort({ _id: -1 }).limit(page),
    bound: 'a page (limit + 1)',
  },

  // idempotency keys
  {
    name: 'idempotency key (a start retried with the same key)',
    ops: 'findOne',
    where: ['api/routes/conversations/idempotency.ts#IdempotencyKey.findOne({ accountId, key })'],
    build: (m) => m.IdempotencyKey.findOne({ accountId: S.accountId, key: S.idempotencyKey }),
    bound: '1 (unique accountId and key)',
  },
  {
    name: 'idempotency record by id',
    ops: 'deleteOne, findOneAndUpdate (take over), updateOne (complete), deleteOne (release)',
    where: ['api/routes/conversations/idempotency.ts#IdempotencyKey.deleteOne({ _id: existing._id, accountId, createdAt: existing.createdAt })', 'api/routes/conversations/idempotency.ts#deps.IdempotencyKey.updateOne({ _id: recordId }'],
    build: (m) => m.IdempotencyKey.findOne({ _id: S.idempotencyRecordId, accountId: S.accountId, status: 'in_flight' }),
    bound: '1 (primary key)',
  },
  {
    name: 'retention: expired idempotency keys, a batch',
    ops: 'find · sort · limit (driver), then deleteMany of those ids',
    where: ['models/idempotency.model.ts#export async function purgeIdempotencyKeys'],
    build: (m) => m.IdempotencyKey.find({ createdAt: { $lt: S.cutoff } }, { _id: 1 }).sort({ createdAt: 1 }).limit(1000),
    bound: '1,000 a batch, 500 batches a run',
  },
  {
    name: 'retention: expired idempotency keys, deleted',
    ops: 'deleteMany (driver)',
    where: ['models/retention.ts#_id: { $in: ids }'],
    build: (m) => m.IdempotencyKey.find({ createdAt: { $lt: S.cutoff }, _id: { $in: batchOf('idem') } }),
    bound: "the batch's ids (primary key)",
  },

  // human agents and their sessions (api/routes/agents/, api/auth.ts)
  {
    name: 'agent by id',
    ops: 'findOne, findOneAndUpdate, updateOne',
    where: [
      'api/routes/agents/manage.ts#Agent.findOne({ _id: id, accountId })',
      'api/routes/agents/manage.ts#Agent.findOneAndUpdate({ _id: id, accountId',
      'api/routes/agents/manage.ts#{ _id: agent._id, accountId: agent.accountId, status:',
      'api/routes/agents/me.ts#Agent.findOne({ _id: agentId, accountId })',
      "api/routes/agents/me.ts#Agent.findOneAndUpdate({ _id: agentId, accountId, status: 'active' }",
      'api/routes/agents/auth.ts#Agent.findOne({ _id: matched[0]!._id',
      'api/routes/agents/auth.ts#Agent.findOne({ _id: session.agentId, accountId: session.accountId })',
      'api/routes/agents/auth.ts#Agent.updateOne({ _id: agentId, accountId',
      "api/routes/agents/auth.ts#{ _id: agent._id, accountId: agent.accountId, 'invite.hash'",
    ],
    build: (m) => m.Agent.findOne({ _id: S.agentId, accountId: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: 'agent by id, the owner checked in code (agent tokens, invites)',
    ops: 'findOne',
    where: ['api/auth.ts#findOwned(agents.Agent', 'api/routes/agents/auth.ts#Agent.findOne({ _id: parsed.id })'],
    build: (m) => m.Agent.findOne({ _id: S.agentId }),
    bound: "1 (primary key); every request with an agent's token",
  },
  {
    name: 'agents by sign-in email',
    ops: 'find · sort · limit 8',
    where: ['api/routes/agents/auth.ts#Agent.find({ email: body.email }'],
    build: (m) => m.Agent.find({ email: S.email }).sort({ _id: 1 }).limit(8),
    bound: '8 (AGENT_LOGIN_CANDIDATES)',
  },
  {
    name: "an account's agent by email (sign-in naming the account)",
    ops: 'find · limit 1',
    where: ['api/routes/agents/auth.ts#Agent.find({ accountId: body.accountId, email: body.email }'],
    build: (m) => m.Agent.find({ accountId: S.accountId, email: S.email }).limit(1),
    bound: '1 (unique)',
  },
  {
    name: "the account's agents, a page",
    ops: 'find · sort · limit',
    where: ['api/routes/agents/manage.ts#Agent.find(filter).sort({ _id: 1 })'],
    build: (m) => m.Agent.find({ accountId: S.accountId, _id: { $gt: S.after } }).sort({ _id: 1 }).limit(page),
    bound: 'a page (limit + 1)',
  },
  {
    name: "the account's active agents (inbox routing)",
    ops: 'find · sort',
    where: ["models/agent.model.ts#Agent.find({ accountId, status: 'active' }"],
    build: (m) => m.Agent.find({ accountId: S.accountId, status: 'active' }).sort({ _id: 1 }),
    checked: ['status'],
    bound: "the account's agents, deactivated ones read and skipped (a plan bounds how many an account has)",
  },
  {
    name: 'agents by ids (inbox routing)',
    ops: 'find',
    where: ['models/agent.model.ts#Agent.find({ accountId, _id: { $in:'],
    build: (m) => m.Agent.find({ accountId: S.accountId, _id: { $in: [S.agentId] } }),
    bound: 'the ids asked for (primary key within the account)',
  },
  {
    name: "the account's bots as AI agents",
    ops: 'find · sort · limit 100',
    where: ['api/routes/agents/manage.ts#Bot.find({ accountId: caller.accountId }'],
    build: (m) => m.Bot.find({ accountId: S.accountId }).sort({ _id: 1 }).limit(100),
    bound: '100 (AI_AGENTS_LISTED)',
  },
  {
    name: 'accounts by ids (an agent signing in to several)',
    ops: 'find (ordered in code)',
    where: ['api/routes/agents/auth.ts#Account.find({ _id: { $in: matched'],
    build: (m) => m.Account.find({ _id: { $in: [S.accountId, S.otherAccountId] } }),
    bound: '8 (the agents whose password matched)',
  },
  {
    name: 'agent session by id, the owner checked in code (agent tokens, refresh)',
    ops: 'findOne',
    where: ['api/auth.ts#findOwned(agents.AgentSession', 'api/routes/agents/auth.ts#AgentSession.findOne({ _id: parsed.id })'],
    build: (m) => m.AgentSession.findOne({ _id: S.agentSessionId }),
    bound: "1 (primary key); every request with an agent's token",
  },
  {
    name: 'agent session by id',
    ops: 'findOneAndUpdate (refresh), updateOne (revoke, logout)',
    where: [
      'api/routes/agents/auth.ts#{ _id: session._id, accountId: session.accountId, refreshHash: parsed.hash, revokedAt: null }',
      'api/routes/agents/auth.ts#AgentSession.updateOne({ _id: session._id, accountId: session.accountId, revokedAt: null }',
      'api/routes/agents/auth.ts#AgentSession.updateOne({ _id: sessionId, accountId, revokedAt: null }',
    ],
    build: (m) => m.AgentSession.findOne({ _id: S.agentSessionId, accountId: S.accountId, revokedAt: null }),
    bound: '1 (primary key)',
  },
  {
    name: "an agent's open sessions",
    ops: 'updateMany (end them all), exists (any left after a logout)',
    where: ['api/routes/agents/sessions.ts#AgentSession.updateMany({ accountId, agentId, revokedAt: null }', 'api/routes/agents/auth.ts#AgentSession.exists({ accountId, agentId, revokedAt: null, expiresAt'],
    build: (m) => m.AgentSession.find({ accountId: S.accountId, agentId: S.agentId, revokedAt: null, expiresAt: { $gt: S.cutoff } }),
    checked: ['accountId', 'revokedAt', 'expiresAt'],
    bound: "the agent's sessions not yet expired, ended ones read and skipped (one per sign-in; each lives 30 days after its last refresh, then `purgeAgentSessions` deletes it)",
  },
  {
    name: 'retention: expired agent sessions, a batch',
    ops: 'find · sort · limit (driver), then deleteMany of those ids',
    where: ['models/agent.model.ts#export async function purgeAgentSessions'],
    build: (m) => m.AgentSession.find({ expiresAt: { $lt: S.cutoff } }, { _id: 1 }).sort({ expiresAt: 1 }).limit(1000),
    bound: '1,000 a batch, 500 batches a run',
  },
  {
    name: 'retention: expired agent sessions, deleted',
    ops: 'deleteMany (driver)',
    where: ['models/retention.ts#_id: { $in: ids }'],
    build: (m) => m.AgentSession.find({ expiresAt: { $lt: S.cutoff }, _id: { $in: batchOf('ses') } }),
    bound: "the batch's ids (primary key)",
  },

  // rate limits (rate-limiter-flexible's own queries, on the indexes api/rate-limit.ts creates)
  {
    name: 'a request counted against a rate limit',
    ops: 'findOneAndUpdate · upsert (rate-limiter-flexible)',
    where: ['api/rate-limit.ts#new RateLimiterMongo(', 'node_modules/rate-limiter-flexible/lib/RateLimiterMongo.js#this._collection.findOneAndUpdate('],
    build: (m) => m.RateLimitRow.findOne({ $or: [{ expire: { $gt: S.cutoff } }, { expire: { $eq: null } }], key: S.rateLimitKey }),
    checked: ['$or'],
    bound: '1 (unique key); every API request, once per limit that applies',
  },
  {
    name: 'retention: rate-limit windows that are over, a batch',
    ops: 'find · sort · limit (driver), then deleteMany of those ids',
    where: ['api/rate-limit.ts#export async function sweepExpiredRateLimits'],
    build: (m) => m.RateLimitRow.find({ expire: { $lte: S.cutoff } }, { _id: 1 }).sort({ expire: 1 }).limit(1000),
    bound: '1,000 a batch, 500 batches a run',
  },
  {
    name: 'retention: rate-limit windows that are over, deleted',
    ops: 'deleteMany (driver)',
    where: ['models/retention.ts#_id: { $in: ids }'],
    build: (m) => m.RateLimitRow.find({ expire: { $lte: S.cutoff }, _id: { $in: batchOf('').map((_, i) => new mongoose.Types.ObjectId(i.toString(16).padStart(24, '0'))) } }),
    bound: "the batch's ids (primary key)",
  },

  // The inbox (issue 20): its lists, and what its dispatcher reads to start
  {
    name: 'the inbox: everything waiting, or assigned (admins, API keys), oldest handoff first',
    ops: 'find · sort · limit, countDocuments',
    where: ['api/routes/inbox.ts#deps.Conversation.find({ accountId, ...filter }, INBOX_FIELDS).sort({ handoffAt: 1 })', "api/routes/inbox.ts#[{ inbox: 'waiting' }]"],
    build: (m) => m.Conversation.find({ accountId: S.accountId, inbox: 'waiting' }).sort({ handoffAt: 1 }).limit(50),
    bound: 'a page (limit); the count reads the open handoffs of that state',
  },
  {
    name: "the inbox: a team's queue (an agent's teams, one read each)",
    ops: 'find · sort · limit, countDocuments',
    where: ["api/routes/inbox.ts#agent.teams.map((team) => ({ inbox: 'waiting', inboxTeam: team }))"],
    build: (m) => m.Conversation.find({ accountId: S.accountId, inbox: 'waiting', inboxTeam: 'sales' }).sort({ handoffAt: 1 }).limit(50),
    bound: 'a page (limit) per team; the count reads the team\'s waiting handoffs',
  },
  {
    name: "the inbox: an agent's own conversations",
    ops: 'find · sort · limit, countDocuments',
    where: ['api/routes/inbox.ts#find({ assignedAgentId: agent.agentId })'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, assignedAgentId: S.agentId }).sort({ handoffAt: 1 }).limit(50),
    bound: "a page (limit); the count reads the agent's open conversations (their capacity, or what they claimed)",
  },
  {
    name: "the inbox: assigned to others (an admin's view)",
    ops: 'find · sort · limit, countDocuments',
    where: ["api/routes/inbox.ts#{ inbox: 'assigned', assignedAgentId: { $ne: agent.agentId } }"],
    build: (m) => m.Conversation.find({ accountId: S.accountId, inbox: 'assigned', assignedAgentId: { $ne: S.agentId } }).sort({ handoffAt: 1 }).limit(50),
    checked: ['assignedAgentId'],
    bound: "a page, after skipping the admin's own (at most their capacity); the count reads the assigned handoffs",
  },
  {
    name: "a starting dispatcher: the account's open handoffs",
    ops: 'find · sort · limit',
    where: ['activities/inbox.ts#.find({ accountId: input.accountId, inbox }'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, inbox: 'assigned' }).sort({ handoffAt: 1 }).limit(5000),
    bound: 'the open handoffs, waiting and assigned (MAX_OPEN_HANDOFFS each); once per dispatcher start',
  },
  {
    name: 'an agent whose heartbeat lapsed marked away',
    ops: 'updateOne (driver)',
    where: ["activities/inbox.ts#agents.updateOne({ _id: input.agentId, availability: 'online', lastSeenAt: seen }"],
    build: (m) => m.Agent.findOne({ _id: S.agentId, availability: 'online', lastSeenAt: S.cutoff }),
    checked: ['availability', 'lastSeenAt'],
    bound: '1 (primary key)',
  },
  // SLA (issue 20): handoff settings and the running aggregates behind GET /v1/sla/status
  {
    name: 'handoff settings by id (an account\'s or a bot\'s)',
    ops: 'findOne (findOwned), replaceOne · upsert',
    where: ['api/routes/handoff-settings.ts#findOwned(HandoffSetting, accountSettingsId(accountId), accountId)', 'api/routes/handoff-settings.ts#HandoffSetting.replaceOne({ _id: id }', 'activities/inbox.ts#settings.findOne({ _id: `account:${input.accountId}` }'],
    build: (m) => m.HandoffSetting.findOne({ _id: `account:${S.accountId}` }),
    bound: '1 (primary key)',
  },
  {
    name: "a handoff's settings: its bot's and its account's",
    ops: 'find',
    where: ['activities/sla.ts#HandoffSetting.find({ _id: { $in: ids } })'],
    build: (m) => m.HandoffSetting.find({ _id: { $in: [`account:${S.accountId}`, `bot:${S.botId}`] } }),
    bound: '2 (primary key)',
  },
  {
    name: 'SLA sample by id (recordSlaSample, idempotent)',
    ops: 'findOne, create, updateOne',
    where: ['activities/sla.ts#Samples.findOne({ _id: sampleId })', 'activities/sla.ts#Samples.updateOne({ _id: sampleId }'],
    build: (m) => m.SlaSample.findOne({ _id: S.slaSampleId }),
    bound: '1 (primary key)',
  },
  {
    name: 'SLA aggregate by id, unless it has the sample',
    ops: 'findOneAndUpdate · upsert',
    where: ['activities/sla.ts#const filter = { _id: id, seen: { $ne: sampleId } }'],
    build: (m) => m.SlaAggregate.findOne({ _id: S.slaAggregateId, seen: { $ne: S.slaSampleId } }),
    bound: '1 (primary key)',
  },
  {
    name: "SLA aggregate by id, its recent samples' list too long",
    ops: 'updateOne ($pop)',
    where: ['activities/sla.ts#SlaAggregate.updateOne({ _id: id, seenCount: { $gt: SEEN_KEPT } }'],
    build: (m) => m.SlaAggregate.findOne({ _id: S.slaAggregateId, seenCount: { $gt: 64 } }),
    bound: '1 (primary key)',
  },
  {
    name: "an account's SLA lease (recordSlaSample takes turns)",
    ops: 'create, findOne, deleteOne',
    where: ['activities/sla.ts#SlaLock.findOne({ _id: accountId })', 'activities/sla.ts#SlaLock.deleteOne({ _id: accountId, holder })'],
    build: (m) => m.SlaLock.findOne({ _id: S.accountId, holder: 'h' }),
    bound: '1 (primary key)',
  },
  {
    name: 'retention: SLA sample ids past their time, a batch',
    ops: 'find · sort · limit (driver), then deleteMany of those ids',
    where: ['models/sla.model.ts#export async function purgeSlaSamples'],
    build: (m) => m.SlaSample.find({ createdAt: { $lt: S.cutoff } }, { _id: 1 }).sort({ createdAt: 1 }).limit(1000),
    bound: '1,000 a batch, 500 batches a run',
  },
  {
    name: 'retention: SLA sample ids past their time, deleted',
    ops: 'deleteMany (driver)',
    where: ['models/retention.ts#_id: { $in: ids }'],
    build: (m) => m.SlaSample.find({ createdAt: { $lt: S.cutoff }, _id: { $in: batchOf('sls') } }),
    bound: "the batch's ids (primary key)",
  },
  {
    name: 'SLA aggregates of a window (GET /v1/sla/status)',
    ops: 'find',
    where: ["api/routes/sla.ts#SlaAggregate.find({ accountId, scope: query.botId ?? '', day: { $gte: firstDay, $lte: utcDay(now) } }"],
    build: (m) => m.SlaAggregate.find({ accountId: S.accountId, scope: '', day: { $gte: '2025-01-01', $lte: '2025-03-31' } }),
    bound: "one scope's documents of the window: days (≤ 90) × (1 + bots + agents with samples that day) × 2 metrics",
  },
  {
    name: 'open handoffs in an inbox state (SLA overview)',
    ops: 'countDocuments',
    where: ["api/routes/sla.ts#Conversation.countDocuments({ accountId, inbox: 'waiting', ...bot })", "api/routes/sla.ts#Conversation.countDocuments({ accountId, inbox: 'assigned', ...bot })"],
    build: (m) => m.Conversation.find({ accountId: S.accountId, inbox: 'waiting' }),
    bound: "the account's open handoffs in that state (index entries only)",
  },
  {
    name: 'open handoffs in an inbox and SLA state (SLA overview)',
    ops: 'countDocuments',
    where: ['api/routes/sla.ts#Conversation.countDocuments({ accountId, inbox, slaState, ...bot })'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, inbox: 'assigned', slaState: 'at_risk' }),
    bound: "the account's open handoffs in that state (index entries only)",
  },
  {
    name: "a bot's open handoffs in an inbox (and SLA) state (SLA overview, ?botId=)",
    ops: 'countDocuments',
    where: ['api/routes/sla.ts#const bot = query.botId ? { botId: query.botId } : {}'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, inbox: 'assigned', slaState: 'breached', botId: S.botId }),
    checked: ['botId'],
    bound: "the account's open handoffs in that state, the bot checked on each (open handoffs are few: agents' capacity plus the queue)",
  },

  // key rotation: a walk of each collection holding sealed values, in `_id` order
  ...(['ApiConnection', 'Bot', 'Website', 'WebhookEndpoint'] as const).map(
    (model): HotQuery => ({
      name: `key rotation: the next batch of ${model} documents`,
      ops: 'find · sort · limit (driver); updateOne / findOne by _id (compare-and-set)',
      where: ['activities/rotate-secrets.ts#.find(input.afterId === null ? {} : { _id: { $gt: input.afterId } }', 'activities/rotate-secrets.ts#collection.updateOne({ _id: id, ...condition }'],
      build: (m) => (m[model] as unknown as Model<{ _id: string }>).find({ _id: { $gt: S.after } }, { _id: 1 }).sort({ _id: 1 }).limit(100),
      bound: 'a batch (`limit`, at most RESEAL_BATCH_MAX); the first batch walks the same index from its start',
    }),
  ),
  // plans and usage counters (api/plans.ts, models/plan-counter.ts, api/routes/account-status.ts): by _id only
  {
    name: "an account's assigned plan",
    ops: 'findOne (every limited create, visitor message, status); updateOne upsert, deleteOne (operator)',
    where: ['api/plans.ts#PlanAssignment.findOne({ _id: accountId })', 'api/routes/account-status.ts#PlanAssignment.updateOne({ _id: id }', 'api/routes/account-status.ts#PlanAssignment.deleteOne({ _id: id })'],
    build: (m) => m.PlanAssignment.findOne({ _id: S.accountId }),
    bound: '1 (primary key)',
  },
  {
    name: 'a usage counter',
    ops: 'findOne, updateOne upsert (under its lease)',
    where: ['models/plan-counter.ts#models.UsageCounter.findOne({ _id: key })', 'models/plan-counter.ts#models.UsageCounter.updateOne({ _id: key }'],
    build: (m) => m.UsageCounter.findOne({ _id: `${S.accountId}:bots` }),
    bound: '1 (primary key)',
  },
  {
    name: "an account's usage counters (account status)",
    ops: 'find',
    where: ['models/plan-counter.ts#models.UsageCounter.find({ _id: { $in: keys } })'],
    build: (m) => m.UsageCounter.find({ _id: { $in: ['bots', 'websites', 'agents', 'knowledgeItems', 'conversationsPerMonth:2025-01', 'messagesPerMonth:2025-01'].map((r) => `${S.accountId}:${r}`) } }),
    bound: '6 (primary key)',
  },
  {
    name: "a usage counter's lease",
    ops: 'insertOne, findOne, deleteOne (and the claim `<counter>#<owner>` of an expired one)',
    where: ['models/plan-counter.ts#locks.findOne({ _id: key })', 'models/plan-counter.ts#locks.deleteOne({ _id: key })', 'models/plan-counter.ts#locks.deleteOne({ _id: claim })'],
    build: (m) => m.UsageLock.findOne({ _id: `${S.accountId}:bots` }),
    bound: '1 (primary key)',
  },
  {
    name: "the account's bots, counted (a usage counter's first use)",
    ops: 'countDocuments',
    where: ['api/plans.ts#deps.Bot.countDocuments({ accountId })'],
    build: (m) => m.Bot.find({ accountId: S.accountId }),
    bound: "the account's bots, once: when its counter is first used (accounts older than the counters)",
  },
  {
    name: "the account's websites, counted (a usage counter's first use)",
    ops: 'countDocuments',
    where: ['api/plans.ts#deps.Website.countDocuments({ accountId })'],
    build: (m) => m.Website.find({ accountId: S.accountId }),
    bound: "the account's websites, once (the counter's first use)",
  },
  {
    name: "the account's agents that hold a seat, counted (a usage counter's first use)",
    ops: 'countDocuments',
    where: ["api/plans.ts#Agent.countDocuments({ accountId, status: { $in: ['invited', 'active'] } })"],
    build: (m) => m.Agent.find({ accountId: S.accountId, status: { $in: ['invited', 'active'] } }),
    checked: ['status'],
    bound: "the account's agents, once (the counter's first use)",
  },
  {
    name: "the account's conversations of this month, counted (a monthly counter's first use)",
    ops: 'countDocuments',
    where: ['api/plans.ts#deps.Conversation.countDocuments({ accountId, _id: { $gte:'],
    build: (m) => m.Conversation.find({ accountId: S.accountId, _id: { $gte: 'conv_000000000' } }),
    bound: "the month's conversations so far, once a month per account (ids begin with their creation time)",
  },
];

// ---------------------------------------------------------------------------------------------------
// What a query asks of an index.

export type ConditionKind = 'eq' | 'in' | 'range' | 'other';

export interface Condition {
  field: string;
  kind: ConditionKind;
  /** How the table shows it. */
  text: string;
}

export interface QueryShape {
  model: string;
  collection: string;
  op: string;
  conditions: Condition[];
  sort: Array<[string, 1 | -1]>;
  limit?: number;
}

export interface DeclaredIndex {
  name: string;
  keys: Array<[string, 1 | -1]>;
  unique: boolean;
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);

function isScalar(value: unknown): boolean {
  return ['string', 'number', 'boolean'].includes(typeof value) || value instanceof Date || value instanceof mongoose.Types.ObjectId;
}

function classify(field: string, value: unknown): Condition {
  if (field.startsWith('$')) return { field, kind: 'other', text: `${field}: […]` };
  if (field.includes('.')) return { field, kind: 'other', text: `'${field}'` };
  if (value === null || value === undefined) return { field, kind: 'other', text: `${field}: null` };
  if (isScalar(value)) return { field, kind: 'eq', text: field };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const ops = Object.keys(value);
    if (ops.length > 0 && ops.every((op) => RANGE_OPS.has(op))) return { field, kind: 'range', text: `${field}: {${ops.join(', ')}}` };
    const only = ops.length === 1 ? ops[0] : undefined;
    const operand = only ? (value as Record<string, unknown>)[only] : undefined;
    if (only === '$eq' && isScalar(operand)) return { field, kind: 'eq', text: field };
    if (only === '$in' && Array.isArray(operand) && operand.length > 0 && operand.every(isScalar)) return { field, kind: 'in', text: `${field}: {$in}` };
  }
  return { field, kind: 'other', text: `${field}: {…}` };
}

/** The filter, sort and limit of a built query, field by field. */
export function shapeOf(query: Query<any, any>): QueryShape {
  const filter = query.getFilter() as Record<string, unknown>;
  const options = query.getOptions() as { sort?: Record<string, 1 | -1>; limit?: number };
  return {
    model: query.model.modelName,
    collection: query.model.collection.collectionName,
    op: (query as unknown as { op?: string }).op ?? 'find',
    conditions: Object.entries(filter).map(([field, value]) => classify(field, value)),
    sort: Object.entries(options.sort ?? {}).map(([field, dir]) => [field, Number(dir) < 0 ? -1 : 1]),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
}

const indexName = (keys: Array<[string, 1 | -1]>): string => keys.map(([field, dir]) => `${field}_${dir}`).join('_');

/** The indexes a model declares (`schema.indexes()`, path-level ones included), and the primary key `_id_`. */
export function declaredIndexes(model: Model<any>): DeclaredIndex[] {
  const declared = model.schema.indexes().map(([fields, options]): DeclaredIndex => {
    const keys = Object.entries(fields).map(([field, dir]): [string, 1 | -1] => [field, Number(dir) < 0 ? -1 : 1]);
    const opts = options as { name?: string; unique?: boolean };
    return { name: opts.name ?? indexName(keys), keys, unique: opts.unique === true };
  });
  return [{ name: '_id_', keys: [['_id', 1]], unique: true }, ...declared];
}

/** The fields tested on the documents the index gives: the declared ones, and everything beside an `_id` equality. */
export function checkedFields(entry: HotQuery, shape: QueryShape): Set<string> {
  const byId = shape.conditions.some((c) => c.field === '_id' && (c.kind === 'eq' || c.kind === 'in'));
  return new Set(byId ? shape.conditions.filter((c) => c.field !== '_id').map((c) => c.field) : (entry.checked ?? []));
}

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The declared indexes that answer the query as MongoDB would: its equality (and `$in`) fields are the
 * index's first fields, in any order; then its sort fields in the index's order, or all reversed (a
 * range, if any, on the first of them), or else its range field. Fields in `checked` are left out.
 */
export function servingIndexes(entry: HotQuery, shape: QueryShape, indexes: DeclaredIndex[]): DeclaredIndex[] {
  const checked = checkedFields(entry, shape);
  const conditions = shape.conditions.filter((c) => !checked.has(c.field));
  if (conditions.some((c) => c.kind === 'other')) return [];
  const equal = conditions.filter((c) => c.kind === 'eq' || c.kind === 'in').map((c) => c.field);
  const ranges = conditions.filter((c) => c.kind === 'range').map((c) => c.field);
  if (ranges.length > 1) return [];
  const range = ranges[0];
  const sort = entry.sortInMemory ? [] : shape.sort;
  const hasIn = conditions.some((c) => c.kind === 'in');
  return indexes.filter(({ keys }) => {
    if (keys.length < equal.length || !sameSet(keys.slice(0, equal.length).map(([f]) => f), equal)) return false;
    const rest = keys.slice(equal.length);
    if (sort.length > 0) {
      // After an `$in`, the index gives each value's documents in order, not all of them in order.
      if (hasIn || rest.length < sort.length) return false;
      const forward = sort.every(([f, d], i) => rest[i]![0] === f && rest[i]![1] === d);
      const backward = sort.every(([f, d], i) => rest[i]![0] === f && rest[i]![1] === -d);
      return (forward || backward) && (range === undefined || range === sort[0]![0]);
    }
    return range === undefined || rest[0]?.[0] === range;
  });
}

/** What is wrong with an entry for MongoDB (empty when its filter and sort are an index's prefix). */
export function indexProblems(entry: HotQuery): string[] {
  const shape = shapeOf(entry.build(queryModels(unopened())));
  const checked = checkedFields(entry, shape);
  const problems: string[] = [];
  for (const field of entry.checked ?? []) {
    if (!shape.conditions.some((c) => c.field === field)) problems.push(`checked field ${field} is not in the filter`);
  }
  for (const c of shape.conditions) {
    if (c.kind === 'other' && !checked.has(c.field)) problems.push(`${c.text} cannot be answered from an index: declare it in \`checked\` and bound it, or change the query`);
  }
  if (entry.sortInMemory && shape.sort.length === 0) problems.push('sortInMemory without a sort');
  if (problems.length === 0 && servingIndexes(entry, shape, declaredIndexes(modelOf(entry))).length === 0) {
    const wanted = [...shape.conditions.filter((c) => !checked.has(c.field)).map((c) => c.text), ...shape.sort.map(([f, d]) => `sort ${f}: ${d}`)].join(', ');
    problems.push(`no index of ${shape.model} (${declaredIndexes(modelOf(entry)).map((i) => i.name).join(', ')}) serves ${wanted}`);
  }
  return problems;
}

let connection: Connection | undefined;
/** A connection that is never opened: enough to register the models and build their queries. */
function unopened(): Connection {
  connection ??= mongoose.createConnection();
  return connection;
}

function modelOf(entry: HotQuery): Model<any> {
  return entry.build(queryModels(unopened())).model;
}

// ---------------------------------------------------------------------------------------------------
// The table of docs/queries.md.

const code = (text: string): string => `\`${text.replace(/\|/g, '\\|')}\``;
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n\s*/g, ' ');

function indexText(index: DeclaredIndex): string {
  if (index.name === '_id_') return '`_id` (primary key)';
  return `${code(`{${index.keys.map(([f, d]) => `${f}: ${d}`).join(', ')}}`)}${index.unique ? ' unique' : ''}`;
}

/** One row per entry: the query, where it runs, its filter and sort, the index that serves it, the rows it reads. */
export function renderQueryTable(): string {
  const rows = HOT_QUERIES.map((entry) => {
    const shape = shapeOf(entry.build(queryModels(unopened())));
    const checked = checkedFields(entry, shape);
    const serving = servingIndexes(entry, shape, declaredIndexes(modelOf(entry)));
    const filter = code(`{${shape.conditions.map((c) => c.text).join(', ')}}`);
    const sort = shape.sort.length > 0 ? ` · sort ${code(`{${shape.sort.map(([f, d]) => `${f}: ${d}`).join(', ')}}`)}` : '';
    const limit = shape.limit !== undefined ? ` · limit ${shape.limit}` : '';
    const checkedText = checked.size > 0 ? `; then ${[...checked].map((f) => code(f)).join(', ')} checked on ${serving[0]?.name === '_id_' ? 'that document' : 'each document'}` : '';
    const inMemory = entry.sortInMemory ? `; sorted in memory: ${entry.sortInMemory}` : '';
    const index = serving[0] ? `${indexText(serving[0])}${checkedText}${inMemory}` : '**none**';
    const where = entry.where.map((w) => code(w.split('#')[0]!)).filter((w, i, all) => all.indexOf(w) === i).join(', ');
    const gap = entry.gap ? `. **Gap:** ${cell(entry.gap)}` : '';
    const planIssue = entry.knownPlanIssue ? `. **Known issue on FerretDB:** ${cell(entry.knownPlanIssue)}` : '';
    const bound = `${cell(entry.bound)}${gap}${planIssue}`;
    return `| ${cell(entry.name)} (${cell(entry.ops)}) | ${where} | ${code(shape.collection)} ${filter}${sort}${limit} | ${index} | ${bound} |`;
  });
  return ['| query | where | collection, filter · sort | index that serves it | rows read, at most |', '|---|---|---|---|---|', ...rows].join('\n');
}

const sealed = { v: 1, keyId: 'k1', iv: 'iv', tag: 'tag', data: 'data' };

/** One or two documents in every collection, written through the models with the sample values. */
export async function seed(models: ReturnType<typeof appModels>): Promise<void> {
  const at = new Date('2025-01-01T00:00:00Z');
  const old = new Date('2023-01-01T00:00:00Z');
  await models.Account.create([
    { _id: S.accountId, name: 'Owner', email: S.email, passwordHash: 'x', createdAt: at },
    { _id: S.otherAccountId, name: 'Other', email: `unlinked:${S.otherAccountId}`, unlinkedEmail: S.email, passwordHash: 'x', createdAt: at },
  ]);
  await models.ApiKey.create({ _id: S.apiKeyId, accountId: S.accountId, name: 'Default key', prefix: 'pk_x', hash: S.apiKeyHash, permissions: ['conversations'], createdAt: at });
  await models.Bot.create({ _id: S.botId, accountId: S.accountId, name: 'Bot', greeting: 'Hi', fallbackMessage: '?', inactivityTimeoutSeconds: 60, timezone: 'UTC', publishedVersion: 1, createdAt: at, updatedAt: at });
  await models.BotVersion.create({ _id: `${S.botId}.v1`, accountId: S.accountId, botId: S.botId, version: 1, snapshot: { name: 'Bot' }, createdAt: at });
  await models.Conversation.create({ _id: S.conversationId, accountId: S.accountId, botId: S.botId, botVersion: 1, channel: 'api', externalUserId: 'u1', status: 'active', workflowId: `conversation-${S.conversationId}`, messageCount: 2, createdAt: at, updatedAt: at });
  await models.Message.create([
    { _id: S.messageId, accountId: S.accountId, conversationId: S.conversationId, seq: 0, role: 'visitor', type: 'text', text: 'Hello', inReplyTo: null, createdAt: at },
    { _id: S.replyId, accountId: S.accountId, conversationId: S.conversationId, seq: 1, role: 'bot', type: 'text', text: 'Hi', inReplyTo: S.messageId, createdAt: at },
  ]);
  await models.Event.create([
    { _id: S.eventId, accountId: S.accountId, conversationId: S.conversationId, botId: S.botId, position: 0, type: 'conversation.started', data: {}, createdAt: at, dispatched: false },
    { _id: 'evt_old', accountId: S.accountId, conversationId: S.conversationId, botId: S.botId, position: 100, type: 'message.created', data: {}, createdAt: old, dispatched: true },
  ]);
  await models.WebhookEndpoint.create({ _id: S.webhookId, accountId: S.accountId, url: 'https://example.com/hook', events: ['message.created'], allowPrivateNetwork: false, enabled: true, sealed, createdAt: at, updatedAt: at });
  await models.WebhookDelivery.create({ _id: S.deliveryId, accountId: S.accountId, endpointId: S.webhookId, eventId: S.eventId, eventType: 'conversation.started', workflowId: S.deliveryWorkflowId, attempt: 1, status: 'failed', responseStatus: 500, responseBody: 'no', error: null, durationMs: 12, nextRetryAt: at, disabledEndpoint: false, createdAt: at });
  await models.WebhookMissed.create({ _id: `${S.accountId}/${S.webhookId}`, endpointId: S.webhookId, since: at, events: [{ id: S.eventId, type: 'message.created', at }], updatedAt: at });
  await models.ApiConnection.create({ _id: S.connectionId, accountId: S.accountId, name: 'Shop', baseUrl: 'https://shop.example.com', auth: { type: 'none' }, headerNames: [], sealed, timeoutMs: 10_000, allowPrivateNetwork: false, createdAt: at, updatedAt: at });
  await models.Endpoint.create({ _id: S.endpointId, accountId: S.accountId, connectionId: S.connectionId, name: 'Order', method: 'GET', path: '/orders/{{id}}', retry: { maxAttempts: 3, initialIntervalMs: 1000 }, createdAt: at, updatedAt: at });
  await models.Action.create({ _id: `${S.accountId}:${S.actionId}`, accountId: S.accountId, actionId: S.actionId, name: 'Order status', steps: [{ id: 'get', endpointId: S.endpointId, inputs: {} }], createdAt: at, updatedAt: at });
  await models.CallLog.create({ _id: S.callLogId, accountId: S.accountId, connectionId: S.connectionId, endpointId: S.endpointId, kind: 'conversation', request: { method: 'GET', url: 'https://shop.example.com/orders/1', headers: {} }, status: 200, success: true, durationMs: 20, attempt: 1, conversationId: S.conversationId, createdAt: at });
  await models.KnowledgeItem.create({ _id: S.knowledgeItemId, accountId: S.accountId, title: 'Opening hours', content: '9 to 5', category: 'faq', tags: ['hours'], source: { kind: 'import', importId: S.importId }, createdAt: at, updatedAt: at });
  await models.KnowledgeRevision.create({ _id: S.accountId, revision: 1 });
  await models.KnowledgeDraft.create({ _id: S.draftId, accountId: S.accountId, botId: S.botId, conversationId: S.conversationId, analysisId: S.analysisId, index: 0, question: 'When?', answer: '9 to 5', status: 'draft', itemId: null, createdAt: at, updatedAt: at });
  await models.Website.create({ _id: S.websiteId, accountId: S.accountId, botId: S.botId, name: 'Site', origins: ['https://shop.example.com'], token: S.websiteToken, identity: 'off', appearance: {}, sealed, createdAt: at, updatedAt: at });
  await models.PlanAssignment.create({ _id: S.accountId, plan: 'self-hosted', assignedAt: at });
  await models.UsageCounter.create({ _id: `${S.accountId}:bots`, used: 1, updatedAt: at });
  await models.UsageLock.create({ _id: `${S.accountId}:bots`, owner: 'sample', expiresAt: at });
  await models.IdempotencyKey.create({ _id: S.idempotencyRecordId, accountId: S.accountId, key: S.idempotencyKey, bodyHash: 'h', conversationId: S.conversationId, status: 'in_flight', started: false, response: null, createdAt: at, updatedAt: at });
  await models.Agent.create({ _id: S.agentId, accountId: S.accountId, name: 'Agent', email: S.email, role: 'agent', teams: ['billing'], capacity: 5, availability: 'online', status: 'active', passwordHash: 'x', invite: { hash: 'h', expiresAt: at }, lastSeenAt: at, createdAt: at, updatedAt: at });
  await models.AgentSession.create({ _id: S.agentSessionId, accountId: S.accountId, agentId: S.agentId, refreshHash: 'h', createdAt: at, expiresAt: at, revokedAt: null });
}
