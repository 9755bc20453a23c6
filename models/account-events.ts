/**
 * Events of an account rather than of a conversation (`agent.invited`, `account.limit_reached`, ...), as
 * `webhook.endpoint_disabled` records them: the event's own id stands in for the conversation id (position 0),
 * so each is its own stream of one, and the webhook outbox delivers it like any other.
 */
import { createHash } from 'node:crypto';
import type { mongo } from 'mongoose';
import type { EventDoc } from './webhook.model';
import type { EventType } from './webhook.schema';

/** The id of an account event: derived from its type and `ref` (what makes it unique), so a retried write is the same event. */
export const accountEventId = (type: EventType, ref: string): string => `evt_${createHash('sha256').update(`${type}\u0000${ref}`).digest('hex').slice(0, 32)}`;

/** Writes the event once (a second write of the same `ref` is a no-op). Returns its id. */
export async function recordAccountEvent(
  events: mongo.Collection<EventDoc>,
  event: { accountId: string; type: EventType; ref: string; data: Record<string, unknown>; at?: Date },
): Promise<string> {
  const id = accountEventId(event.type, event.ref);
  const doc: EventDoc = { _id: id, accountId: event.accountId, conversationId: id, botId: '-', position: 0, type: event.type, data: event.data, createdAt: event.at ?? new Date(), dispatched: false };
  await events.insertOne(doc).catch((error: { code?: number }) => {
    if (error.code !== 11000) throw error;
  });
  return id;
}
