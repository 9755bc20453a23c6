import { createHash, randomBytes } from 'node:crypto';

/**
 * A new resource id: `prefix_` + milliseconds since the epoch in base 36 + 64 random bits. Ids sort by
 * creation time, so list pages can use the id itself as a cursor.
 */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

/**
 * The id of a visitor message, derived from the conversation and the client's message id so that a
 * retried POST maps to the same message (and the same Temporal Update id).
 */
export function visitorMessageId(conversationId: string, clientMessageId: string): string {
  return `msg_${createHash('sha256').update(`${conversationId}\u0000${clientMessageId}`).digest('hex').slice(0, 32)}`;
}

/** A fresh client message id for callers that send none. */
export function randomClientMessageId(): string {
  return randomBytes(16).toString('hex');
}
