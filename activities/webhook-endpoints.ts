/**
 * The health of a webhook endpoint, kept by the deliveries themselves: when it began failing, disabling
 * it (a 410, or a schedule that ran out), telling the account (a `webhook.endpoint_disabled` event), and
 * the ledger of what it missed while disabled (models/webhook.model.ts `WebhookMissedDoc`).
 *
 * Every write here is by a lone `_id`, the one filter FerretDB on SQLite answers from an index: an
 * endpoint's own `_id` once `findOwned` has read that endpoint for the account (`withOwnedId`), or a
 * ledger id that holds the account. Activities run at least once, so every write is safe to repeat: ids
 * derive from what they describe.
 */
import { createHash } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { WEBHOOK_LIMITS } from '../models/limits';
import { guardedCollection, withOwnedId } from '../models/tenancy';
import { missedLedgerId, webhookModels, type EventDoc, type MissedEvent, type WebhookEndpointDoc, type WebhookMissedDoc } from '../models/webhook.model';

/** What these functions read of an endpoint. */
export type EndpointState = Pick<WebhookEndpointDoc, '_id' | 'accountId' | 'url' | 'enabled' | 'disabledReason' | 'disabledAt' | 'failingSince' | 'missedEvents'>;
type MissedSource = Pick<EventDoc, '_id' | 'type' | 'createdAt'>;

const DUPLICATE_KEY = 11000;

/** The id of the event that says an endpoint was disabled at `at` (the same on every retry). */
const disabledEventId = (endpointId: string, at: Date): string => `evt_${createHash('sha256').update(`webhook.endpoint_disabled\u0000${endpointId}:${at.getTime()}`).digest('hex').slice(0, 32)}`;

export function createEndpointHealth(db: Connection, onEvents?: (eventIds: string[]) => void) {
  const models = webhookModels(db);
  const endpointCollection = guardedCollection(models.WebhookEndpoint.collection as unknown as mongo.Collection<WebhookEndpointDoc>, 'WebhookEndpoint');
  /** Writes to an endpoint the caller read for its account (with `findOwned`, or an account-scoped find). */
  const endpoints = {
    updateOne: (id: string, update: mongo.UpdateFilter<WebhookEndpointDoc>) => withOwnedId('an endpoint just read for its account', () => endpointCollection.updateOne({ _id: id }, update)),
    swap: (id: string, update: mongo.UpdateFilter<WebhookEndpointDoc>) =>
      withOwnedId('an endpoint just read for its account', () => endpointCollection.findOneAndUpdate({ _id: id }, update, { returnDocument: 'before' })),
  };
  // No accountId field: the ledger's `_id` holds the account (models/webhook.model.ts).
  const ledgers = models.WebhookMissed.collection as unknown as mongo.Collection<WebhookMissedDoc>;
  const events = models.Event.collection as unknown as mongo.Collection<EventDoc>;
  const entry = (event: MissedSource): MissedEvent => ({ id: event._id, type: event.type, at: event.createdAt });

  return {
    /** After a failed attempt: the endpoint is failing from now, unless it already was. */
    async markFailing(endpoint: EndpointState, at: Date): Promise<void> {
      if (!endpoint.failingSince) await endpoints.updateOne(endpoint._id, { $set: { failingSince: at } });
    },

    /** After a delivered attempt: the endpoint is healthy again. */
    async markHealthy(endpoint: EndpointState): Promise<void> {
      if (endpoint.failingSince) await endpoints.updateOne(endpoint._id, { $set: { failingSince: null } });
    },

    /**
     * Disables an enabled endpoint and starts its ledger of missed events with `missed` (the event whose
     * delivery disabled it). Returns whether this call disabled it: the write reads the document it
     * replaced, so of two deliveries racing to disable an endpoint (or a delivery and the API) one wins,
     * and the loser puts back what the winner wrote. The winner tells the account.
     */
    async disable(options: { endpoint: EndpointState; reason: 'gone' | 'failing'; at: Date; missed: MissedSource | null }): Promise<boolean> {
      const { endpoint, reason, at, missed } = options;
      const set = { enabled: false, disabledReason: reason, disabledAt: at, updatedAt: at, missedEvents: missed ? 1 : 0 };
      const before = await endpoints.swap(endpoint._id, { $set: set });
      if (!before) return false;
      if (!before.enabled) {
        await endpoints.updateOne(endpoint._id, { $set: { disabledReason: before.disabledReason ?? null, disabledAt: before.disabledAt ?? null, missedEvents: before.missedEvents ?? 0 } });
        return false;
      }
      const ledger: WebhookMissedDoc = { _id: missedLedgerId(endpoint.accountId, endpoint._id), endpointId: endpoint._id, since: at, events: missed ? [entry(missed)] : [], updatedAt: at };
      await ledgers.replaceOne({ _id: ledger._id }, ledger, { upsert: true });
      await this.tellAccount({ ...endpoint, ...set, failingSince: before.failingSince ?? null });
      return true;
    },

    /**
     * Records the `webhook.endpoint_disabled` event of a disabled endpoint (idempotent: its id derives
     * from the endpoint and when it was disabled) and hands it to the outbox, so the account's other
     * endpoints that subscribe to it hear it.
     */
    async tellAccount(endpoint: EndpointState): Promise<void> {
      if (endpoint.enabled || !endpoint.disabledAt || (endpoint.disabledReason !== 'gone' && endpoint.disabledReason !== 'failing')) return;
      const id = disabledEventId(endpoint._id, endpoint.disabledAt);
      const data = {
        webhookId: endpoint._id,
        url: endpoint.url,
        reason: endpoint.disabledReason,
        disabledAt: endpoint.disabledAt.toISOString(),
        failingSince: endpoint.failingSince ? endpoint.failingSince.toISOString() : null,
      };
      // An event of the account, not of a conversation: its own id stands in (the SSE stream never shows it).
      const doc: EventDoc = { _id: id, accountId: endpoint.accountId, conversationId: id, botId: '-', position: 0, type: 'webhook.endpoint_disabled', data, createdAt: endpoint.disabledAt, dispatched: false };
      try {
        await events.insertOne(doc);
      } catch (error) {
        if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
      }
      onEvents?.([id]);
    },

    /**
     * Adds events a disabled endpoint missed to its ledger, while the ledger has room (WEBHOOK_LIMITS
     * .missedEvents; later ones are not kept, and not counted).
     */
    async recordMissed(endpoint: Pick<EndpointState, '_id' | 'accountId' | 'disabledAt' | 'missedEvents'>, missed: MissedSource[], at = new Date()): Promise<void> {
      const room = WEBHOOK_LIMITS.missedEvents - (endpoint.missedEvents ?? 0);
      if (room <= 0 || missed.length === 0) return;
      const entries = missed.slice(0, room).map(entry);
      await ledgers.updateOne(
        { _id: missedLedgerId(endpoint.accountId, endpoint._id) },
        {
          $push: { events: { $each: entries, $slice: WEBHOOK_LIMITS.missedEvents } },
          $set: { updatedAt: at },
          $setOnInsert: { endpointId: endpoint._id, since: endpoint.disabledAt ?? at },
        },
        { upsert: true },
      );
      await endpoints.updateOne(endpoint._id, { $inc: { missedEvents: entries.length } });
    },
  };
}

export type EndpointHealth = ReturnType<typeof createEndpointHealth>;
