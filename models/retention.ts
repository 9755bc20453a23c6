import type { mongo } from 'mongoose';
import { acrossAccounts } from './tenancy';

/**
 * Expiry without TTL indexes, in bounded batches. FerretDB has no TTL indexes, so Parley's clean-ups
 * (events and webhook delivery logs, idempotency keys, rate-limit rows) delete expired documents
 * themselves, and one `deleteMany` over the whole range does not scale: FerretDB's SQLite backend
 * deletes by a list of ids, one SQL variable each (unpatched, more than about 32,000 failed with "too
 * many SQL variables"; Parley's build chunks them, scripts/ferretdb/), and on any store one huge delete
 * holds the store for as long as it runs. So each batch reads the `_id`s of at most `batchSize` expired documents, oldest first, in
 * the order of the index that serves the filter, and deletes those ids; the loop ends at a short batch
 * or after `maxBatches`, so a run's work is bounded and the next run carries on where it stopped.
 */

/** Documents per batch: far below SQLite's 32,766 variables, and the longest `$in` list Parley's FerretDB build sends to an index. */
export const RETENTION_BATCH_SIZE = 1000;
/** Batches per run (500,000 documents a collection): a backlog of millions takes a few runs. */
export const RETENTION_MAX_BATCHES = 500;

export interface BatchBounds {
  /** Documents per batch (default RETENTION_BATCH_SIZE). */
  batchSize?: number;
  /** Batches per run (default RETENTION_MAX_BATCHES). */
  maxBatches?: number;
}

export interface ExpirySweep extends BatchBounds {
  /** Why the sweep crosses accounts (`acrossAccounts`): every clean-up is an operator job over all of them. */
  reason: string;
  /**
   * Matches the expired documents: equality on the leading fields of a declared index and a range on
   * its next field, e.g. `{dispatched: true, createdAt: {$lt: cutoff}}` for `{dispatched: 1, createdAt: 1}`,
   * so the store reads them from that index (the oldest first, with `sort`) instead of scanning.
   */
  filter: mongo.Filter<mongo.Document>;
  /** The range field in the index's order, e.g. `{createdAt: 1}`. */
  sort: Record<string, 1 | -1>;
}

export interface SweepResult {
  deleted: number;
  /** False when the run stopped at `maxBatches` with expired documents perhaps left for the next run. */
  complete: boolean;
}

/** What a sweep uses of a collection: a model's `collection`, or a mongoose connection's `collection(name)`. */
export type SweptCollection = Pick<mongo.Collection<mongo.Document>, 'find' | 'deleteMany'>;

/**
 * Deletes the documents `sweep.filter` matches, `batchSize` at a time: each batch finds the ids of the
 * oldest expired documents, then deletes those ids, the filter repeated, so a document that stopped being
 * expired in between (a rate-limit window started again on the same row, an idempotency key made again
 * under the same id) is kept. Returns how many were deleted and whether the run got to the end.
 */
export async function deleteExpiredInBatches(collection: SweptCollection, sweep: ExpirySweep): Promise<SweepResult> {
  const batchSize = sweep.batchSize ?? RETENTION_BATCH_SIZE;
  const maxBatches = sweep.maxBatches ?? RETENTION_MAX_BATCHES;
  if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(maxBatches) || maxBatches < 1) {
    throw new RangeError(`batchSize and maxBatches must be positive integers (got ${batchSize}, ${maxBatches})`);
  }
  return acrossAccounts(sweep.reason, async () => {
    let deleted = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      // Options rather than chained cursor calls: while mongoose buffers (its connection is down), a
      // collection's `find` answers a promise of the cursor, and awaiting a cursor is the cursor itself.
      const cursor = await collection.find(sweep.filter, { projection: { _id: 1 }, sort: sweep.sort, limit: batchSize });
      const ids = (await cursor.toArray()).map((doc) => doc._id as unknown);
      // (The driver types `_id` as an ObjectId; Parley's ids are strings, rate-limit rows' ObjectIds.)
      const these = { ...sweep.filter, _id: { $in: ids } } as mongo.Filter<mongo.Document>;
      if (ids.length > 0) deleted += (await collection.deleteMany(these)).deletedCount;
      if (ids.length < batchSize) return { deleted, complete: true };
    }
    return { deleted, complete: false };
  });
}
