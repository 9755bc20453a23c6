import type { Connection, mongo } from 'mongoose';
import { conversationModels, type ConversationDoc, type MessageDoc } from '../models/conversation.model';
import type { Channel, ConversationStatus } from '../models/conversation.schema';
import { webhookModels, type EventDoc, type WebhookEndpointDoc } from '../models/webhook.model';
import type { EventType } from '../models/webhook.schema';
import { WEBHOOK_LIMITS } from '../models/limits';
import type { SlaState, SlaTarget } from '../models/sla.schema';
import { turnEvents } from './events';
import { guardedCollection, withOwnedId } from '../models/tenancy';

/** One transcript message as the workflow hands it to `saveTurn`. */
export interface SavedMessage {
  id: string;
  seq: number;
  role: 'visitor' | 'bot' | 'agent' | 'note';
  text: string;
  /** The human agent who wrote an `agent` message or a `note`. */
  agentId?: string;
  choices?: { label: string; value: string }[];
  sources?: { id: string; title: string }[];
  confirmation?: { id: string; action: string; arguments: Record<string, string | number | boolean | null>; argsHash: string };
  inReplyTo?: string | null;
  createdAt: string;
  /** A visitor message written before its turn ends (with an interim reply): retries wait for the turn. */
  pending?: boolean;
}

export interface SaveTurnInput {
  /** Enough to (re)create the conversation record if the API's insert is missing. No PII. */
  conversation: {
    id: string;
    accountId: string;
    botId: string;
    botVersion: number;
    channel: Channel;
    externalUserId: string;
    workflowId: string;
  };
  messages: SavedMessage[];
  messageCount: number;
  status: ConversationStatus;
  closeReason?: string;
  at: string;
  /** A visitor message written earlier as `pending` whose turn this write completes. */
  completes?: string;
  /** API actions run since the previous write (recorded as `action.completed` / `action.failed` events). */
  actions?: ActionOutcome[];
  /** This write moves the conversation into handoff (a `conversation.handoff` event). */
  handoffStarts?: boolean;
  /** The conversation's inbox fields to set (a handoff's routing, assignment, SLA state), or `clear` when it leaves handoff. */
  inbox?: InboxFields | 'clear';
  /** With `inbox: 'clear'`: the handoff's final SLA state, kept on the conversation. */
  slaFinal?: SlaState;
  /** Inbox events of this write (assignment, SLA breaches), each at its own position after the write's last message. */
  events?: InboxEvent[];
}

/** The inbox fields of a conversation document (models/conversation.model.ts), as the workflow computes them. */
export interface InboxFields {
  inbox: 'waiting' | 'assigned';
  inboxTeam: string;
  assignedAgentId: string;
  handoffAt: string;
  slaState: SlaState;
  slaDueAt: string | null;
  sla: { firstResponseDueAt: string | null; nextResponseDueAt: string | null; resolutionDueAt: string | null; firstResponseAt: string | null; breached: SlaTarget[] };
}

/**
 * An event the workflow records beside a write. `slot` (1..99, not 1-3: handoff, release, close) places it
 * after the write's last message (`messageCount * 100 + slot`); `ref` makes its id (the same on a retry).
 */
export interface InboxEvent {
  type: 'conversation.assigned' | 'conversation.unassigned' | 'sla.breached' | 'sla.escalated';
  ref: string;
  slot: number;
  data: Record<string, unknown>;
}

/** One API action's outcome, as the conversation workflow reports it to `saveTurn`. */
export interface ActionOutcome {
  /** The run's key within the conversation (its child workflow id's suffix). */
  key: string;
  actionId: string;
  ok: boolean;
  outputs?: Record<string, unknown>;
  error?: string;
}

const DUPLICATE_KEY = 11000;

function isDuplicateOnly(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: { code?: number }[] };
  if (e.code === DUPLICATE_KEY && !e.writeErrors) return true;
  return Array.isArray(e.writeErrors) && e.writeErrors.length > 0 && e.writeErrors.every((w) => w.code === DUPLICATE_KEY);
}

/**
 * Inserts a conversation's events in position order (a stream reader that sees one has seen those
 * before it). A retry that meets copies already stored inserts the rest one by one.
 */
async function insertInOrder(events: mongo.Collection<EventDoc>, docs: EventDoc[]): Promise<void> {
  try {
    await events.insertMany(docs, { ordered: true });
  } catch (error) {
    if (!isDuplicateOnly(error)) throw error;
    for (const doc of docs) {
      await events.insertOne(doc).catch((e: unknown) => {
        if (!isDuplicateOnly(e)) throw e;
      });
    }
  }
}

/**
 * `onEvents` is told when a write recorded events (the worker's webhook dispatcher looks for them then,
 * instead of waiting for its next tick).
 */
export function createTranscriptActivities(db: Connection, onEvents?: (eventIds: string[]) => void) {
  const models = conversationModels(db);
  const events = guardedCollection(webhookModels(db).Event.collection as unknown as mongo.Collection<EventDoc>, 'Event');
  const endpoints = guardedCollection(webhookModels(db).WebhookEndpoint.collection as unknown as mongo.Collection<WebhookEndpointDoc>, 'WebhookEndpoint');
  // The driver's collections directly: the workflow built these documents, mongoose casting adds nothing
  // but CPU on the hottest path of a turn.
  const messages = guardedCollection(models.Message.collection as unknown as mongo.Collection<MessageDoc>, 'Message');
  const conversations = guardedCollection(models.Conversation.collection as unknown as mongo.Collection<ConversationDoc>, 'Conversation');

  return {
    /**
     * The last `limit` messages of a conversation, oldest first, as plain lines (for Q&A extraction).
     * Scoped by account: another account's conversation reads as empty.
     */
    async loadTranscript(input: { accountId: string; conversationId: string; limit: number }): Promise<{ lines: { role: 'visitor' | 'bot' | 'agent'; text: string }[] }> {
      const docs = await messages
        .find({ conversationId: input.conversationId, accountId: input.accountId }, { projection: { role: 1, text: 1, seq: 1 } })
        .sort({ seq: -1 })
        .limit(Math.min(Math.max(input.limit, 1), 500))
        .toArray();
      // Internal notes are the team's, not the conversation's: they stay out of what is extracted from it.
      return { lines: docs.reverse().flatMap((m) => (m.role === 'note' ? [] : [{ role: m.role, text: m.text }])) };
    },

    /**
     * Writes one turn: the visitor message and the bot's replies, then the conversation's counters.
     * Runs at least once, so both writes are idempotent: message ids and (conversation, seq) are unique,
     * and the conversation update sets absolute values.
     */
    async saveTurn(input: SaveTurnInput): Promise<void> {
      const { conversation: c } = input;
      const at = new Date(input.at);
      const writes: Promise<unknown>[] = [];
      if (input.messages.length > 0) {
        const docs: MessageDoc[] = input.messages.map((m) => ({
          _id: m.id,
          accountId: c.accountId,
          conversationId: c.id,
          seq: m.seq,
          role: m.role,
          type: 'text' as const,
          text: m.text,
          ...(m.agentId ? { agentId: m.agentId } : {}),
          ...(m.choices ? { choices: m.choices } : {}),
          ...(m.sources ? { sources: m.sources } : {}),
          ...(m.confirmation ? { confirmation: m.confirmation } : {}),
          ...(m.pending ? { pending: true } : {}),
          inReplyTo: m.inReplyTo ?? null,
          createdAt: new Date(m.createdAt),
        }));
        writes.push(
          messages.insertMany(docs, { ordered: false }).catch((error: unknown) => {
            // A retry after a write that reached the server: the copies already stored are the same turn.
            if (!isDuplicateOnly(error)) throw error;
          }),
        );
      }
      // Events (for webhooks and the SSE stream) go out with the other writes: no extra round trip. An
      // event no endpoint of the account subscribes to is written already dispatched, so the webhook
      // outbox never reads or marks it (most accounts have no webhooks); the SSE stream still has it. A
      // disabled endpoint subscribes too while its ledger of missed events has room (for a replay).
      const recorded = turnEvents(input);
      if (recorded.length > 0) {
        writes.push(
          endpoints
            .find({ accountId: c.accountId }, { projection: { events: 1, enabled: 1, missedEvents: 1 } })
            .toArray()
            .then((found) => {
              const subscribed = found.filter((e) => e.enabled || (e.missedEvents ?? 0) < WEBHOOK_LIMITS.missedEvents);
              const wanted = new Set(subscribed.flatMap((e) => e.events));
              for (const event of recorded) if (!wanted.has(event.type as EventType)) event.dispatched = true;
              return insertInOrder(events, recorded);
            }),
        );
      }
      // Idempotent too: clearing the flag twice changes nothing.
      if (input.completes) writes.push(withOwnedId("the visitor message this turn answers, named by the conversation's own workflow", () => messages.updateOne({ _id: input.completes }, { $unset: { pending: '' } })));
      const set: Record<string, unknown> = { status: input.status, messageCount: input.messageCount, updatedAt: at };
      if (input.messages.length > 0) set.lastMessageAt = at;
      if (input.status === 'closed') {
        set.closedAt = at;
        set.closeReason = input.closeReason ?? 'closed';
      }
      const unset: Record<string, ''> = {};
      if (input.inbox === 'clear') {
        for (const field of ['inbox', 'inboxTeam', 'assignedAgentId', 'slaDueAt'] as const) unset[field] = '';
        // The handoff's SLA outcome stays readable on the conversation (`slaState`, `sla`, `handoffAt`).
        if (input.slaFinal) set.slaState = input.slaFinal;
      } else if (input.inbox) {
        const f = input.inbox;
        const date = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));
        Object.assign(set, {
          inbox: f.inbox,
          inboxTeam: f.inboxTeam,
          assignedAgentId: f.assignedAgentId,
          handoffAt: new Date(f.handoffAt),
          slaState: f.slaState,
          slaDueAt: date(f.slaDueAt),
          sla: { firstResponseDueAt: date(f.sla.firstResponseDueAt), nextResponseDueAt: date(f.sla.nextResponseDueAt), resolutionDueAt: date(f.sla.resolutionDueAt), firstResponseAt: date(f.sla.firstResponseAt), breached: f.sla.breached },
        });
      }
      // Independent and each idempotent, so the two writes go out together (one round trip of latency).
      // By its id alone (the index every store serves): the conversation's own workflow names it, and an
      // upsert with `accountId` in the filter would scan on FerretDB.
      writes.push(
        withOwnedId("the conversation this workflow runs", () => conversations.updateOne(
          { _id: c.id },
          {
            $set: set,
            ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
            $setOnInsert: {
              accountId: c.accountId,
              botId: c.botId,
              botVersion: c.botVersion,
              channel: c.channel,
              externalUserId: c.externalUserId,
              workflowId: c.workflowId,
              createdAt: at,
            },
          },
          { upsert: true },
        )),
      );
      await Promise.all(writes);
      const undispatched = recorded.filter((e) => !e.dispatched).map((e) => e._id);
      if (undispatched.length > 0) onEvents?.(undispatched);
    },
  };
}
