/**
 * The stored data of the data-growth bench (scripts/bench/data-growth.ts): other tenants' history and
 * the big tenant's, bulk-loaded straight into the database with the driver (`insertMany`, 5,000
 * documents a batch, unordered), in the shape Parley itself writes:
 *
 * - conversations as `begin` (api/routes/conversations/start.ts) records them and `saveTurn`
 *   (activities/transcript.ts) updates them, ids made like `newId('conv')` (api/ids.ts) at the time the
 *   conversation started, so ordering by `_id` is ordering by time as in production;
 * - 10 messages each, written in four turns as the conversation workflow writes them (TurnWriter in
 *   workflows/conversation.ts): the visitor's message (id `visitorMessageId`), the greeting and an answer;
 *   a turn whose flow called the tenant's API; a plain turn; a turn answered with two messages. Bot
 *   message ids are `msg_` and a v4 UUID, as the workflow makes them;
 * - the events of each write, exactly as `turnEvents` (activities/events.ts) builds them: one per message,
 *   plus `conversation.started`, the action's outcome and, for closed conversations, `conversation.closed`
 *   (written already dispatched, as `saveTurn` does for events no endpoint waits for);
 * - one call log per conversation (`buildCallLog`'s shape, id `newCallLogId` at the call's time) from the
 *   action run `conversation-<id>-action-3-lookup-0`;
 * - one webhook delivery per closed conversation (its `conversation.closed` event, to the tenant's
 *   endpoint, which subscribes to closes and handoffs), shaped as `deliverWebhook`'s upsert;
 * - per tenant: the account, an API key, a published bot and its version, a connection, an endpoint, an
 *   action, a webhook endpoint (copies of the big tenant's, which the real API made), 20 knowledge items
 *   and their revision counter;
 * - and, loaded again before each measurement (they expire): idempotency keys of the conversations
 *   started in the last 24 h, and rate-limit rows (each tenant's key limits, a widget client per
 *   conversation started in the last hour).
 *
 * Conversations start evenly over the 28 days before the load, tenants drawn at random; 30% are still
 * active, the rest were closed for inactivity 30 minutes after their last turn.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { mongo } from 'mongoose';
import { visitorMessageId } from '../../api/ids';
import { canonicalBodyHash } from '../../api/routes/conversations/idempotency';
import { turnEvents } from '../../activities/events';
import type { SaveTurnInput, SavedMessage } from '../../models/transcript.schema';
import { newCallLogId } from '../../activities/http/call-log';
import { API_PERMISSIONS } from '../../models/account.schema';
import type { AccountDoc, ApiKeyDoc } from '../../models/account.model';
import type { BotDoc, BotVersionDoc } from '../../models/bot.model';
import type { ActionDoc, CallLogDoc, ConnectionDoc, EndpointDoc } from '../../models/connection.model';
import type { ConversationDoc, MessageDoc } from '../../models/conversation.model';
import type { IdempotencyKeyDoc } from '../../models/idempotency.model';
import type { KnowledgeItemDoc, KnowledgeRevisionDoc } from '../../models/knowledge.model';
import type { EventDoc, WebhookDeliveryDoc, WebhookEndpointDoc } from '../../models/webhook.model';
import { webhookDeliveryWorkflowId } from '../../models/webhook.schema';
import { conversationWorkflowId } from '../../workflows/definitions';

export const BATCH = 5000;
export const MESSAGES_PER_CONVERSATION = 10;
export const HISTORY_DAYS = 28;
const DAY_MS = 24 * 3600_000;
const ACTIVE_SHARE = 0.3;
const KNOWLEDGE_ITEMS_PER_TENANT = 20;
/** The bulk data's action (the bench's measured call turns use the api-call scenario's `check`). */
export const BULK_ACTION = 'lookup';

// --- ids, made as Parley makes them ------------------------------------------------------------------

let pool = randomBytes(65536);
let offset = 0;
function random(bytes: number): Buffer {
  if (offset + bytes > pool.length) {
    pool = randomBytes(65536);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return out;
}
const hex = (bytes: number): string => random(bytes).toString('hex');
const stamp = (ms: number): string => ms.toString(36).padStart(9, '0');

/** `newId(prefix)` (api/ids.ts) as it would have answered at `ms`. */
export const idAt = (prefix: string, ms: number): string => `${prefix}_${stamp(ms)}${hex(8)}`;

/** A v4 UUID as `uuid4()` makes it in workflow code. */
function uuid4(): string {
  const b = Buffer.from(random(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
/** A bot message id, as the conversation workflow makes it. */
const botMessageId = (): string => `msg_${uuid4().replace(/-/g, '')}`;

/** `deliveryId` of activities/webhooks.ts. */
const deliveryId = (workflowId: string, attempt: number, at: Date): string =>
  `whd_${stamp(at.getTime())}${createHash('sha256').update(`${workflowId}\u0000${attempt}`).digest('hex').slice(0, 16)}`;

/** `recordIdOf` of api/routes/conversations/idempotency.ts. */
const idempotencyRecordId = (accountId: string, key: string): string => `idem_${createHash('sha256').update(`${accountId}\u0000${key}`).digest('hex').slice(0, 40)}`;

// --- what a tenant is made of --------------------------------------------------------------------------

/** What the bulk data of one tenant refers to. */
export interface TenantRefs {
  accountId: string;
  apiKeyId: string;
  botId: string;
  connectionId: string;
  endpointId: string;
  webhookId: string;
}

/** The big tenant's configuration documents, as the real API wrote them: the template of every filler tenant's. */
export interface TenantTemplate {
  account: AccountDoc;
  bot: BotDoc;
  botVersion: BotVersionDoc;
  connection: ConnectionDoc;
  endpoint: EndpointDoc;
  action: ActionDoc;
  webhook: WebhookEndpointDoc;
}

const VISITOR_TEXTS = [
  'Hi, do you have anything free next Tuesday afternoon?',
  'Can I move my appointment to Friday?',
  'What are your opening hours on weekends?',
  'I would like to book a table for four people.',
  'Is parking available near the shop?',
  'How much does the standard service cost?',
  'My order has not arrived yet, can you check?',
  'Do you deliver to the city centre?',
];
const BOT_TEXTS = [
  "Sorry, I didn't understand that. Could you rephrase?",
  'The first free slot is 09:00. Shall I book it for you?',
  'We are open from 9:00 to 18:00, Monday to Saturday.',
  'Thanks! Someone from the team will confirm by email shortly.',
  'You can find parking on Station Road, two minutes from us.',
];
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** Filler tenant `i`'s configuration: the template's documents with new ids, as if each had made its own. */
export function tenantDocs(template: TenantTemplate, i: number, createdAt: Date): { refs: TenantRefs; docs: Record<string, object[]> } {
  const ms = createdAt.getTime();
  const accountId = idAt('acct', ms);
  const key = `pk_${random(32).toString('base64url')}`;
  const apiKey: ApiKeyDoc = { _id: idAt('key', ms), accountId, name: 'Default key', prefix: key.slice(0, 10), hash: createHash('sha256').update(key).digest('hex'), createdAt, revokedAt: null, permissions: [...API_PERMISSIONS] };
  const account: AccountDoc = { ...template.account, _id: accountId, name: `Tenant ${i}`, email: `tenant-${i}-${hex(4)}@example.com`, unlinkedEmail: null, createdAt };
  const botId = idAt('bot', ms);
  const bot: BotDoc = { ...template.bot, _id: botId, accountId, name: `Tenant ${i} bot`, createdAt, updatedAt: createdAt };
  const botVersion: BotVersionDoc = { ...template.botVersion, _id: `${botId}.v${template.botVersion.version}`, accountId, botId, snapshot: { ...template.botVersion.snapshot, botId, name: bot.name }, createdAt };
  const connectionId = idAt('conn', ms);
  const connection: ConnectionDoc = { ...template.connection, _id: connectionId, accountId, createdAt, updatedAt: createdAt };
  const endpointId = idAt('ep', ms);
  const endpoint: EndpointDoc = { ...template.endpoint, _id: endpointId, accountId, connectionId, createdAt, updatedAt: createdAt };
  const action: ActionDoc = {
    ...template.action,
    _id: `${accountId}:${template.action.actionId}`,
    accountId,
    steps: template.action.steps.map((step) => ({ ...step, endpointId })),
    createdAt,
    updatedAt: createdAt,
  };
  const webhookId = idAt('whk', ms);
  const webhook: WebhookEndpointDoc = { ...template.webhook, _id: webhookId, accountId, createdAt, updatedAt: createdAt };
  const items = knowledgeItems(accountId, createdAt);
  const revision: KnowledgeRevisionDoc = { _id: accountId, revision: items.length };
  return {
    refs: { accountId, apiKeyId: apiKey._id, botId, connectionId, endpointId, webhookId },
    docs: {
      accounts: [account],
      api_keys: [apiKey],
      bots: [bot],
      bot_versions: [botVersion],
      connections: [connection],
      endpoints: [endpoint],
      actions: [action],
      webhook_endpoints: [webhook],
      knowledge_items: items,
      knowledge_revisions: [revision],
    },
  };
}

const TOPICS = ['opening hours', 'parking', 'delivery', 'refunds', 'booking changes', 'prices', 'gift cards', 'accessibility', 'payment methods', 'group bookings'];

/** 20 knowledge items as `POST /v1/knowledge` stores them. */
export function knowledgeItems(accountId: string, createdAt: Date): KnowledgeItemDoc[] {
  return Array.from({ length: KNOWLEDGE_ITEMS_PER_TENANT }, (_, k) => {
    const topic = TOPICS[k % TOPICS.length]!;
    const at = new Date(createdAt.getTime() + k * 1000);
    return {
      _id: idAt('kb', at.getTime()),
      accountId,
      title: `About ${topic} (${k + 1})`,
      content: `Everything customers ask about ${topic}. `.repeat(6) + `Ask the team for anything else about ${topic}; we answer within one working day.`,
      category: k % 2 === 0 ? 'faq' : 'policies',
      tags: [topic.split(' ')[0]!, 'help'],
      source: { kind: 'api' },
      createdAt: at,
      updatedAt: at,
    };
  });
}

// --- one conversation ------------------------------------------------------------------------------------

export interface ConversationBundle {
  conversation: ConversationDoc;
  messages: MessageDoc[];
  events: EventDoc[];
  callLog: CallLogDoc;
  delivery?: WebhookDeliveryDoc;
}

const TURN_GAP_MS = 40_000;

/** A conversation started at `startMs` with 10 messages, its events, its call log and (closed) its delivery. */
export function conversationBundle(tenant: TenantRefs, startMs: number, demoBaseUrl: string): ConversationBundle {
  const id = idAt('conv', startMs);
  const workflowId = conversationWorkflowId(id);
  const ref: SaveTurnInput['conversation'] = { id, accountId: tenant.accountId, botId: tenant.botId, botVersion: 1, channel: 'api', externalUserId: `customer-${hex(6)}`, workflowId };
  const messages: MessageDoc[] = [];
  const events: EventDoc[] = [];
  let seq = 0;
  const actionKey = `action-3-${BULK_ACTION}-0`;
  const write = (k: number, replies: string[], extra: Partial<SaveTurnInput> = {}): void => {
    const at = new Date(startMs + k * TURN_GAP_MS).toISOString();
    const visitorId = visitorMessageId(id, hex(16));
    const saved: SavedMessage[] = [{ id: visitorId, seq: seq++, role: 'visitor', text: pick(VISITOR_TEXTS), createdAt: at }];
    for (const text of replies) saved.push({ id: botMessageId(), seq: seq++, role: 'bot', text, inReplyTo: visitorId, createdAt: at });
    const input: SaveTurnInput = { conversation: ref, messages: saved, messageCount: seq, status: 'active', at, ...extra };
    for (const m of saved) {
      messages.push({ _id: m.id, accountId: ref.accountId, conversationId: id, seq: m.seq, role: m.role, type: 'text', text: m.text, inReplyTo: m.inReplyTo ?? null, createdAt: new Date(m.createdAt) });
    }
    for (const event of turnEvents(input)) events.push({ ...event, dispatched: true });
  };
  write(0, ['Hi! How can I help you today?', pick(BOT_TEXTS)]);
  write(1, ['The first free slot is 09:00.'], { actions: [{ key: actionKey, actionId: BULK_ACTION, ok: true, outputs: { slot: '09:00' } }] });
  write(2, [pick(BOT_TEXTS)]);
  write(3, [pick(BOT_TEXTS), 'Anything else I can help with?']);
  const lastAt = new Date(startMs + 3 * TURN_GAP_MS);
  const closed = Math.random() >= ACTIVE_SHARE;
  const closedAt = new Date(lastAt.getTime() + 30 * 60_000);
  let closeEvent: EventDoc | undefined;
  if (closed) {
    const closing: SaveTurnInput = { conversation: ref, messages: [], messageCount: seq, status: 'closed', closeReason: 'inactivity', at: closedAt.toISOString() };
    for (const event of turnEvents(closing)) {
      events.push({ ...event, dispatched: true });
      closeEvent = event;
    }
  }
  const created = new Date(startMs);
  const conversation: ConversationDoc = {
    _id: id,
    accountId: ref.accountId,
    botId: ref.botId,
    botVersion: 1,
    channel: 'api',
    externalUserId: ref.externalUserId,
    status: closed ? 'closed' : 'active',
    workflowId,
    messageCount: seq,
    createdAt: created,
    updatedAt: closed ? closedAt : lastAt,
    closedAt: closed ? closedAt : null,
    lastMessageAt: lastAt,
    ...(closed ? { closeReason: 'inactivity' } : {}),
  };

  const callAt = new Date(startMs + TURN_GAP_MS);
  const body = JSON.stringify({ date: '2026-06-01', first_slot: '09:00', available: ['09:00', '09:30', '10:00'] });
  const callLog: CallLogDoc = {
    _id: newCallLogId(callAt.getTime()),
    accountId: tenant.accountId,
    connectionId: tenant.connectionId,
    kind: 'conversation',
    request: { method: 'GET', url: `${demoBaseUrl}/availability?date=2026-06-01`, headers: { accept: 'application/json', authorization: '•••' } },
    success: true,
    durationMs: 4 + Math.floor(Math.random() * 30),
    attempt: 1,
    createdAt: callAt,
    endpointId: tenant.endpointId,
    conversationId: id,
    workflowId: `${workflowId}-${actionKey}`,
    runId: uuid4(),
    status: 200,
    response: { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length), etag: `W/"${hex(8)}"` }, body, truncated: false },
  };

  let delivery: WebhookDeliveryDoc | undefined;
  if (closeEvent) {
    const deliveryWorkflowId = webhookDeliveryWorkflowId(closeEvent._id, tenant.webhookId);
    const at = new Date(closedAt.getTime() + 150);
    delivery = {
      _id: deliveryId(deliveryWorkflowId, 1, at),
      accountId: tenant.accountId,
      endpointId: tenant.webhookId,
      eventId: closeEvent._id,
      eventType: closeEvent.type,
      workflowId: deliveryWorkflowId,
      attempt: 1,
      status: 'succeeded',
      responseStatus: 200,
      responseBody: '',
      error: null,
      durationMs: 20 + Math.floor(Math.random() * 80),
      nextRetryAt: null,
      disabledEndpoint: false,
      createdAt: at,
    };
  }
  return { conversation, messages, events, callLog, delivery };
}

// --- the loader ------------------------------------------------------------------------------------------

/** Buffers documents per collection and writes them in unordered batches of BATCH, a few batches at once. */
export class BulkWriter {
  private readonly buffers = new Map<string, object[]>();
  private readonly inFlight = new Set<Promise<void>>();
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly db: mongo.Db,
    private readonly parallel = 2,
    /** Documents whose unique key is taken already are left out instead of failing the load. */
    private readonly skipDuplicates = false,
  ) {}

  async add(collection: string, doc: object): Promise<void> {
    let buffer = this.buffers.get(collection);
    if (!buffer) this.buffers.set(collection, (buffer = []));
    buffer.push(doc);
    if (buffer.length >= BATCH) await this.write(collection);
  }

  async addAll(collection: string, docs: object[]): Promise<void> {
    for (const doc of docs) await this.add(collection, doc);
  }

  private async write(collection: string): Promise<void> {
    const docs = this.buffers.get(collection) ?? [];
    this.buffers.set(collection, []);
    if (docs.length === 0) return;
    while (this.inFlight.size >= this.parallel) await Promise.race(this.inFlight);
    const job: Promise<void> = this.db
      .collection(collection)
      .insertMany(docs as mongo.OptionalId<mongo.Document>[], { ordered: false })
      .then(
        () => {
          this.counts[collection] = (this.counts[collection] ?? 0) + docs.length;
        },
        (error: { code?: number; writeErrors?: { code?: number }[]; insertedCount?: number }) => {
          const errors = error.writeErrors ?? [];
          if (!this.skipDuplicates || errors.length === 0 || errors.some((e) => e.code !== 11000)) throw error;
          this.counts[collection] = (this.counts[collection] ?? 0) + docs.length - errors.length;
        },
      )
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  async flush(): Promise<void> {
    for (const collection of [...this.buffers.keys()]) await this.write(collection);
    await Promise.all(this.inFlight);
  }
}

export interface LoadPlan {
  /** Filler tenants' conversations (10 messages each). */
  fillerConversations: number;
  /** The big tenant's own conversations. */
  bigConversations: number;
  tenants: number;
  /** When the load runs: history ends an hour before. */
  now: number;
  big: TenantRefs;
  template: TenantTemplate;
  /** The connection's base URL, as call logs show it. */
  demoBaseUrl: string;
  progress?: (done: number, total: number) => void;
}

export interface LoadResult {
  fillers: TenantRefs[];
  counts: Record<string, number>;
}

/**
 * Loads everything but the volatile rows: the filler tenants' configuration, then every conversation in
 * time order (tenants interleaved as they would be), the big tenant's among them.
 */
export async function loadHistory(db: mongo.Db, plan: LoadPlan): Promise<LoadResult> {
  const writer = new BulkWriter(db);
  const end = plan.now - 3600_000;
  const start = end - HISTORY_DAYS * DAY_MS;
  const fillers: TenantRefs[] = [];
  for (let i = 0; i < plan.tenants; i++) {
    // Each tenant signed up before its history starts.
    const { refs, docs } = tenantDocs(plan.template, i, new Date(start - DAY_MS + i * 60_000));
    fillers.push(refs);
    for (const [collection, list] of Object.entries(docs)) await writer.addAll(collection, list);
  }
  const total = plan.fillerConversations + plan.bigConversations;
  let bigLeft = plan.bigConversations;
  for (let i = 0; i < total; i++) {
    // Exactly bigConversations of them are the big tenant's, spread over the whole period.
    const isBig = Math.random() * (total - i) < bigLeft;
    if (isBig) bigLeft--;
    const tenant = isBig ? plan.big : fillers[Math.floor(Math.random() * fillers.length)]!;
    const at = start + Math.floor(((i + Math.random()) / total) * (end - start - 4 * TURN_GAP_MS));
    const bundle = conversationBundle(tenant, at, plan.demoBaseUrl);
    await writer.add('conversations', bundle.conversation);
    for (const m of bundle.messages) await writer.add('messages', m);
    for (const e of bundle.events) await writer.add('events', e);
    await writer.add('call_logs', bundle.callLog);
    if (bundle.delivery) await writer.add('webhook_deliveries', bundle.delivery);
    if (i % 5000 === 4999) plan.progress?.(i + 1, total);
  }
  await writer.flush();
  return { fillers, counts: writer.counts };
}

/**
 * The rows that expire, loaded before each measurement so they are current: an idempotency key per
 * conversation started in the last 24 h (through `POST /v1/conversations` with a key; kept 24 h), and
 * rate-limit rows (RateLimiterMongo's `{key, points, expire}`): each tenant's per-key limits, and one
 * widget client per conversation started in the last hour.
 */
export async function loadVolatile(db: mongo.Db, tenants: TenantRefs[], conversations: number, now = Date.now()): Promise<Record<string, number>> {
  // A tenant's per-key rows may exist already (the big tenant's API calls made them).
  const writer = new BulkWriter(db, 2, true);
  if (tenants.length > 0) {
    const lastDay = Math.round(conversations / HISTORY_DAYS);
    for (let i = 0; i < lastDay; i++) {
      const tenant = tenants[Math.floor(Math.random() * tenants.length)]!;
      // Within the last 20 hours, so none expires while the bench runs.
      const createdAt = new Date(now - Math.floor(Math.random() * 20 * 3600_000));
      const key = uuid4();
      const conversationId = idAt('conv', createdAt.getTime());
      const body = { botId: tenant.botId, externalUserId: `customer-${hex(6)}`, message: { type: 'text' as const, text: pick(VISITOR_TEXTS) } };
      const messageId = visitorMessageId(conversationId, key);
      const iso = createdAt.toISOString();
      const doc: IdempotencyKeyDoc = {
        _id: idempotencyRecordId(tenant.accountId, key),
        accountId: tenant.accountId,
        key,
        bodyHash: canonicalBodyHash(body),
        conversationId,
        status: 'completed',
        started: true,
        response: {
          status: 201,
          body: {
            conversation: { id: conversationId, botId: tenant.botId, botVersion: 1, channel: 'api', websiteId: null, externalUserId: body.externalUserId, contact: null, variables: {}, status: 'active', messageCount: 3, createdAt: iso, updatedAt: iso, lastMessageAt: null, closedAt: null },
            messageId,
            replies: [
              { id: botMessageId(), role: 'bot', type: 'text', text: 'Hi! How can I help you today?', createdAt: iso },
              { id: botMessageId(), role: 'bot', type: 'text', text: pick(BOT_TEXTS), createdAt: iso },
            ],
          },
        },
        createdAt,
        updatedAt: createdAt,
      };
      await writer.add('idempotency_keys', doc);
    }
    // Hour-long windows ending within the hour, so the clean-up sweep leaves them during the run.
    const expire = (): Date => new Date(now + 3600_000 - Math.floor(Math.random() * 600_000));
    for (const tenant of tenants) {
      await writer.add('rate_limits', { key: `key:${tenant.apiKeyId}`, points: 1 + Math.floor(Math.random() * 50), expire: expire() });
      await writer.add('rate_limits', { key: `key-messages:${tenant.apiKeyId}`, points: 1 + Math.floor(Math.random() * 20), expire: expire() });
    }
    const lastHour = Math.round(conversations / (HISTORY_DAYS * 24));
    for (let i = 0; i < lastHour; i++) {
      const address = `203.0.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
      await writer.add('rate_limits', { key: `widget-client-starts:${idAt('site', now - DAY_MS)}:${address}`, points: 1, expire: expire() });
    }
  }
  await writer.flush();
  return writer.counts;
}
