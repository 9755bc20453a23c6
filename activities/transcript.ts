import type { Connection, mongo } from 'mongoose';
import { conversationModels, type ConversationDoc, type MessageDoc } from '../models/conversation.model';
import type { Channel, ConversationStatus } from '../models/conversation.schema';

/** One transcript message as the workflow hands it to `saveTurn`. */
export interface SavedMessage {
  id: string;
  seq: number;
  role: 'visitor' | 'bot' | 'agent';
  text: string;
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
}

const DUPLICATE_KEY = 11000;

function isDuplicateOnly(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: { code?: number }[] };
  if (e.code === DUPLICATE_KEY && !e.writeErrors) return true;
  return Array.isArray(e.writeErrors) && e.writeErrors.length > 0 && e.writeErrors.every((w) => w.code === DUPLICATE_KEY);
}

export function createTranscriptActivities(db: Connection) {
  const models = conversationModels(db);
  // The driver's collections directly: the workflow built these documents, mongoose casting adds nothing
  // but CPU on the hottest path of a turn.
  const messages = models.Message.collection as unknown as mongo.Collection<MessageDoc>;
  const conversations = models.Conversation.collection as unknown as mongo.Collection<ConversationDoc>;

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
      return { lines: docs.reverse().map((m) => ({ role: m.role, text: m.text })) };
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
      // Idempotent too: clearing the flag twice changes nothing.
      if (input.completes) writes.push(messages.updateOne({ _id: input.completes }, { $unset: { pending: '' } }));
      const set: Record<string, unknown> = { status: input.status, messageCount: input.messageCount, updatedAt: at };
      if (input.messages.length > 0) set.lastMessageAt = at;
      if (input.status === 'closed') {
        set.closedAt = at;
        set.closeReason = input.closeReason ?? 'closed';
      }
      // Independent and each idempotent, so the two writes go out together (one round trip of latency).
      writes.push(
        conversations.updateOne(
          { _id: c.id },
          {
            $set: set,
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
        ),
      );
      await Promise.all(writes);
    },
  };
}
