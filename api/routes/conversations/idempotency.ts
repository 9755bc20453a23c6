import { createHash } from 'node:crypto';
import { IDEMPOTENCY_KEY_TTL_MS } from '../../../models/idempotency.model';
import type { StartConversationBody } from '../../../models/conversation.schema';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { withOwnedId } from '../../../models/tenancy';

/**
 * Idempotency keys of `POST /v1/conversations`, one record per (account, key) in `idempotency_keys`
 * (a unique index; no transactions needed): the first request inserts the record `in_flight` with a fresh
 * conversation id, so a concurrent or later duplicate finds it:
 *
 * - another body under the same key → 422 `idempotency_key_reused`;
 * - `completed` → the stored answer, replayed;
 * - `in_flight` → 409 `idempotency_key_in_flight`, unless its workflow was started and only the answer
 *   is pending (a 202), or the record is older than IN_FLIGHT_STALE_MS (the first request's process
 *   crashed): then this request takes the record over and resumes (see start.ts).
 *
 * Records older than 24 h count as absent (and the periodic clean-up deletes them).
 */
export const IN_FLIGHT_STALE_MS = 120_000;

export type IdempotencyClaim =
  | { kind: 'new'; recordId: string; conversationId: string }
  | { kind: 'resume'; recordId: string; conversationId: string }
  | { kind: 'replay'; response: { status: number; body: unknown } };

/** sha256 of the body as parsed, keys sorted, without `clientMessageId` (the key itself). */
export function canonicalBodyHash(body: StartConversationBody): string {
  const { clientMessageId: _key, ...rest } = body;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const recordIdOf = (accountId: string, key: string): string => `idem_${createHash('sha256').update(`${accountId}\u0000${key}`).digest('hex').slice(0, 40)}`;

export async function claimIdempotencyKey(deps: Pick<ApiDeps, 'IdempotencyKey'>, accountId: string, key: string, body: StartConversationBody, now = new Date()): Promise<IdempotencyClaim> {
  const { IdempotencyKey } = deps;
  const bodyHash = canonicalBodyHash(body);
  const recordId = recordIdOf(accountId, key);
  for (let attempt = 0; attempt < 3; attempt++) {
    const conversationId = newId('conv');
    try {
      await IdempotencyKey.create({ _id: recordId, accountId, key, bodyHash, conversationId, status: 'in_flight', started: false, response: null, createdAt: now, updatedAt: now });
      return { kind: 'new', recordId, conversationId };
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
    }
    const existing = await IdempotencyKey.findOne({ accountId, key }).lean();
    if (!existing) continue; // released or purged meanwhile: claim again
    if (now.getTime() - existing.createdAt.getTime() > IDEMPOTENCY_KEY_TTL_MS) {
      // Expired but not yet cleaned up: it no longer counts.
      await IdempotencyKey.deleteOne({ _id: existing._id, accountId, createdAt: existing.createdAt });
      continue;
    }
    if (existing.bodyHash !== bodyHash) {
      throw new AppError(422, 'idempotency_key_reused', 'this idempotency key was used with a different request body; use a new key', { key });
    }
    if (existing.status === 'completed' && existing.response) return { kind: 'replay', response: existing.response };
    if (existing.started) return { kind: 'resume', recordId: existing._id, conversationId: existing.conversationId };
    if (now.getTime() - existing.updatedAt.getTime() < IN_FLIGHT_STALE_MS) {
      throw new AppError(409, 'idempotency_key_in_flight', 'a request with this idempotency key is still in progress; retry shortly', { key });
    }
    // A stale in-flight record: its request died. Take it over (one taker wins) and resume.
    const taken = await IdempotencyKey.findOneAndUpdate({ _id: existing._id, accountId, status: 'in_flight', updatedAt: existing.updatedAt }, { $set: { updatedAt: now } }).lean();
    if (!taken) throw new AppError(409, 'idempotency_key_in_flight', 'a request with this idempotency key is still in progress; retry shortly', { key });
    return { kind: 'resume', recordId: existing._id, conversationId: existing.conversationId };
  }
  throw new AppError(409, 'idempotency_key_in_flight', 'a request with this idempotency key is still in progress; retry shortly', { key });
}

/** Stores a 201 answer for replay; after a 202 marks the workflow as started so retries resume it. */
export async function completeIdempotencyKey(deps: Pick<ApiDeps, 'IdempotencyKey'>, recordId: string, answer: { status: number; body: unknown }): Promise<void> {
  const $set =
    answer.status === 201
      ? { status: 'completed', started: true, response: { status: answer.status, body: answer.body }, updatedAt: new Date() }
      : { started: true, updatedAt: new Date() };
  await withOwnedId('the record id is derived from the account and the key', () => deps.IdempotencyKey.updateOne({ _id: recordId }, { $set }).exec());
}

/** Forgets a key whose request started nothing, so that a retry starts afresh. */
export async function releaseIdempotencyKey(deps: Pick<ApiDeps, 'IdempotencyKey'>, recordId: string): Promise<void> {
  await withOwnedId('the record id is derived from the account and the key', () => deps.IdempotencyKey.deleteOne({ _id: recordId, status: 'in_flight' }).exec()).catch(() => undefined);
}
