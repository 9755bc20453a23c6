import { Schema, type Connection, type Model } from 'mongoose';
import { deleteExpiredInBatches, type BatchBounds } from './retention';

/**
 * An idempotency key of `POST /v1/conversations` (the body's `clientMessageId` or the `Idempotency-Key`
 * header), per account: the hash of the canonical request body, the conversation it made and the answer
 * once there is one. Records are removed 24 h after they were made by a periodic clean-up
 * (`purgeIdempotencyKeys`): FerretDB has no TTL indexes.
 */
export interface IdempotencyKeyDoc {
  _id: string;
  accountId: string;
  key: string;
  /** sha256 of the canonical body (sorted keys, without `clientMessageId`). */
  bodyHash: string;
  conversationId: string;
  /** `in_flight` until the first request answered 201 (or its turn completed), then `completed`. */
  status: 'in_flight' | 'completed';
  /** The workflow was started (a 202 pending answer): a retry resumes it at once instead of 409. */
  started: boolean;
  /** The answer replayed to retries (status and body), once `completed`. */
  response?: { status: number; body: unknown } | null;
  createdAt: Date;
  updatedAt: Date;
}

const idempotencyKeySchema = new Schema<IdempotencyKeyDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    key: { type: String, required: true },
    bodyHash: { type: String, required: true },
    conversationId: { type: String, required: true },
    status: { type: String, required: true },
    started: { type: Boolean, required: true, default: false },
    response: { type: Schema.Types.Mixed, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
// One record per key and account: the insert of a duplicate fails, which is how a retry is recognised.
idempotencyKeySchema.index({ accountId: 1, key: 1 }, { unique: true });
// The periodic clean-up's range scan.
idempotencyKeySchema.index({ createdAt: 1 });

/** How long a key is remembered. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600_000;

export function idempotencyModels(db: Connection): { IdempotencyKey: Model<IdempotencyKeyDoc> } {
  return { IdempotencyKey: db.models.IdempotencyKey ?? db.model<IdempotencyKeyDoc>('IdempotencyKey', idempotencyKeySchema, 'idempotency_keys') };
}

/**
 * Removes the keys older than 24 h (or `ttlMs`) in bounded batches (models/retention.ts: at most
 * `maxBatches` × `batchSize` a run, the next run carries on); returns how many. Run periodically by the API.
 */
export async function purgeIdempotencyKeys(model: Model<IdempotencyKeyDoc>, now = new Date(), ttlMs = IDEMPOTENCY_KEY_TTL_MS, bounds: BatchBounds = {}): Promise<number> {
  const result = await deleteExpiredInBatches(model.collection, {
    reason: 'retention: idempotency keys past their time to live, in every account',
    // The `{createdAt: 1}` index above.
    filter: { createdAt: { $lt: new Date(now.getTime() - ttlMs) } },
    sort: { createdAt: 1 },
    ...bounds,
  });
  return result.deleted;
}
