import type { Connection, mongo } from 'mongoose';
import { conversationModels, type ConversationDoc, type MessageDoc } from '../models/conversation.model';
import { webhookModels, type EventDoc, type WebhookEndpointDoc } from '../models/webhook.model';
import type { EventType } from '../models/webhook.schema';
import { WEBHOOK_LIMITS } from '../models/limits';
import { turnEvents } from './events';
import { guardedCollection, withOwnedId } from '../models/tenancy';
import type { SaveTurnInput } from '../models/transcript.schema';

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
