/**
 * `resealBatch`: one batch of the key rotation (workflows/rotate-secrets.ts). Reads the next documents of
 * one collection holding sealed values, opens each value with whichever configured key sealed it, seals
 * it again under the current key (the first of PARLEY_SECRET_KEYS), and writes it back only if it is
 * still the value that was read. Returns counts, the last `_id` read and the ids of values no configured
 * key opens: never a value, opened or sealed.
 *
 * Idempotent, as an activity must be (it runs at least once): a value already under the current key is
 * only checked, so a retried batch, or the whole rotation run again, re-seals nothing twice.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Connection, mongo } from 'mongoose';
import { aiKeyOwner, botModels } from '../models/bot.model';
import { connectionModels } from '../models/connection.model';
import type { SealedSecret, SecretBox } from '../models/secret-box';
import { RESEAL_BATCH_MAX, SEALED_COLLECTIONS, type ResealBatchInput, type ResealBatchResult, type SealedCollection } from '../models/secret-rotation';
import { webhookModels } from '../models/webhook.model';
import { websiteModels } from '../models/website.model';

type SealedDoc = { _id: string } & Record<string, unknown>;

/** Where a collection keeps its sealed value, and the owner it was sealed for (the API's `seal(value, owner)`). */
interface SealedField {
  collection: mongo.Collection<SealedDoc>;
  field: string;
  owner: (id: string) => string;
}

/**
 * Every `.seal(` in the API, by collection: connections (api/routes/connections), a bot's provider key
 * (api/routes/bot-ai.ts, bound to `aiKeyOwner`), websites' identity secrets (api/routes/websites.ts) and
 * webhook signing secrets (api/routes/webhooks). A new sealed field belongs here and in SEALED_COLLECTIONS.
 *
 * The walk crosses every account on purpose: it is an operator job over every tenant's values, and it
 * reports counts and ids only, to the operator who runs it. So it reads through the driver's collections
 * (below mongoose's middleware, as the webhook outbox in ./events.ts does) rather than through account-scoped queries.
 */
function sealedFields(db: Connection): Record<SealedCollection, SealedField> {
  const native = (model: { collection: unknown }): mongo.Collection<SealedDoc> => model.collection as mongo.Collection<SealedDoc>;
  const same = (id: string): string => id;
  return {
    connections: { collection: native(connectionModels(db).ApiConnection), field: 'sealed', owner: same },
    bots: { collection: native(botModels(db).Bot), field: 'aiKeySealed', owner: aiKeyOwner },
    websites: { collection: native(websiteModels(db).Website), field: 'sealed', owner: same },
    webhook_endpoints: { collection: native(webhookModels(db).WebhookEndpoint), field: 'sealed', owner: same },
  };
}

/**
 * How a write is made conditional on the value read:
 * - `conditional-update` (MongoDB): one update whose filter is the `_id` and the sealed value's fields.
 *   Atomic; the `_id` equality finds the one document in the `_id` index, the rest is the condition.
 * - `read-then-write` (FerretDB): read by `_id`, compare, write by `_id`. FerretDB on SQLite pushes down
 *   only a filter that is exactly one `_id` equality, so the conditional update would scan the whole
 *   collection for every value (0.34 s per value among 10,000 connections, measured on FerretDB 1.24), and
 *   it is not atomic there either: FerretDB's own update reads, filters in Go, then rewrites the document
 *   by `_id` in a step of its own. Two lookups by `_id` leave a window of a few milliseconds, as that does.
 */
export type CompareAndSetMode = 'conditional-update' | 'read-then-write';

/** `read-then-write` on FerretDB (its `buildInfo` names its version), `conditional-update` anywhere else. */
export async function detectCompareAndSetMode(db: Connection): Promise<CompareAndSetMode> {
  const info = await db.db!.admin().command({ buildInfo: 1 });
  return info.ferretdbVersion !== undefined ? 'read-then-write' : 'conditional-update';
}

const sameSealed = (a: SealedSecret, b: SealedSecret): boolean => a.keyId === b.keyId && a.iv === b.iv && a.tag === b.tag && a.data === b.data;

/**
 * Writes `next` into `field` of document `id` only if the field still holds `expected`; true when written.
 * A credential the tenant replaced meanwhile (the API seals it under the current key) is left alone
 * rather than overwritten with the old one re-sealed.
 */
export async function compareAndSet(options: { collection: mongo.Collection<SealedDoc>; id: string; field: string; expected: SealedSecret; next: SealedSecret; mode: CompareAndSetMode }): Promise<boolean> {
  const { collection, id, field, expected, next } = options;
  if (options.mode === 'conditional-update') {
    // Field by field, so the comparison does not depend on the order of the sub-document's keys.
    const condition = Object.fromEntries(Object.entries(expected).map(([key, value]) => [`${field}.${key}`, value]));
    const result = await collection.updateOne({ _id: id, ...condition }, { $set: { [field]: next } });
    return result.matchedCount === 1;
  }
  const current = await collection.findOne({ _id: id }, { projection: { [field]: 1 } });
  if (!current || !isSealed(current[field]) || !sameSealed(current[field], expected)) return false;
  await collection.updateOne({ _id: id }, { $set: { [field]: next } });
  return true;
}

function isSealed(value: unknown): value is SealedSecret {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.keyId === 'string' && typeof v.iv === 'string' && typeof v.tag === 'string' && typeof v.data === 'string';
}

const UNOPENABLE = Symbol('unopenable');

function tryOpen(secrets: SecretBox, sealed: SealedSecret, owner: string): unknown {
  try {
    return secrets.open<unknown>(sealed, owner);
  } catch {
    return UNOPENABLE;
  }
}

export interface SecretRotationDeps {
  db: Connection;
  secrets: SecretBox;
  /** How writes are made conditional; detected from the server when absent. */
  compareAndSet?: CompareAndSetMode;
}

export function createSecretRotationActivities(deps: SecretRotationDeps) {
  const fields = sealedFields(deps.db);
  let mode: Promise<CompareAndSetMode> | undefined = deps.compareAndSet ? Promise.resolve(deps.compareAndSet) : undefined;

  return {
    async resealBatch(input: ResealBatchInput): Promise<ResealBatchResult> {
      if (!SEALED_COLLECTIONS.includes(input.collection)) throw ApplicationFailure.nonRetryable(`no sealed values in collection "${String(input.collection)}"`, 'UnknownSealedCollection');
      const limit = Math.min(Math.max(Math.trunc(input.limit), 1), RESEAL_BATCH_MAX);
      const { collection, field, owner } = fields[input.collection];
      mode ??= detectCompareAndSetMode(deps.db).catch((error: unknown) => {
        mode = undefined;
        throw error;
      });
      const writeMode = await mode;

      // The next documents after the last one done, in `_id` order: the page every list route reads, and
      // a position that survives a crash (the workflow keeps `afterId`). On MongoDB a bounded walk of the
      // `_id` index: each batch reads `limit` entries whatever the collection's size. FerretDB on SQLite
      // indexes only a lone `_id` equality, so there every batch is filtered and sorted in Go over the
      // whole collection (0.64 s per batch among 10,000 connections, measured on FerretDB 1.24): the walk
      // reads the collection (documents / limit) times. Acceptable for this one: configuration, one
      // document per connection, bot, website or webhook (not per message), walked once per key change.
      const docs = await collection
        .find(input.afterId === null ? {} : { _id: { $gt: input.afterId } }, { projection: { _id: 1, [field]: 1 } })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray();

      const result: ResealBatchResult = {
        currentKeyId: deps.secrets.currentKeyId,
        lastId: docs.at(-1)?._id ?? null,
        done: docs.length < limit,
        scanned: docs.length,
        resealed: 0,
        current: 0,
        empty: 0,
        changed: 0,
        unopenable: 0,
        unopenableIds: [],
      };
      for (const doc of docs) {
        const sealed = doc[field];
        if (sealed === undefined || sealed === null) {
          result.empty++;
          continue;
        }
        // A key no longer configured, tampered data, or a value bound to another owner: reported by id
        // (never the error, which could describe the value) and left as it is.
        const value = isSealed(sealed) ? tryOpen(deps.secrets, sealed, owner(doc._id)) : UNOPENABLE;
        if (!isSealed(sealed) || value === UNOPENABLE) {
          result.unopenable++;
          result.unopenableIds.push(doc._id);
          continue;
        }
        // Checked (it opens) but not rewritten: what makes a second run, or a retried batch, re-seal nothing.
        if (sealed.keyId === deps.secrets.currentKeyId) {
          result.current++;
          continue;
        }
        const next = deps.secrets.seal(value, owner(doc._id));
        if (await compareAndSet({ collection, id: doc._id, field, expected: sealed, next, mode: writeMode })) result.resealed++;
        else result.changed++;
      }
      return result;
    },
  };
}
