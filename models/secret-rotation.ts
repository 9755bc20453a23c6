/**
 * What the key rotation walks and reports, shared by its activity (activities/rotate-secrets.ts), its
 * workflow (workflows/rotate-secrets.ts) and `npm run rotate-keys`. No imports: the workflow bundle
 * takes this file as it is.
 */

/** Every collection holding values sealed with PARLEY_SECRET_KEYS, in the order the rotation walks them. */
export const SEALED_COLLECTIONS = ['connections', 'bots', 'websites', 'webhook_endpoints'] as const;
export type SealedCollection = (typeof SEALED_COLLECTIONS)[number];

/** One batch: the next `limit` documents of `collection` after `afterId`, in `_id` order. */
export interface ResealBatchInput {
  collection: SealedCollection;
  /** The last `_id` of the previous batch; null for the first. */
  afterId: string | null;
  limit: number;
}

/** How many values of a collection were in each state. Counts only, and ids: never a value. */
export interface SealedTally {
  /** Documents read. */
  scanned: number;
  /** Values sealed again under the current key. */
  resealed: number;
  /** Values already under the current key (they open with it). */
  current: number;
  /** Documents without a sealed value (a bot with no provider key). */
  empty: number;
  /** Values changed by someone else between the read and the write (left as they are: the API sealed them). */
  changed: number;
  /** Values no configured key opens (a key already removed, or tampered data): left as they are. */
  unopenable: number;
}

export interface ResealBatchResult extends SealedTally {
  /** The id of the key the worker seals with: every batch of one rotation must report the same. */
  currentKeyId: string;
  /** The `_id` of the last document read; null when the batch was empty. */
  lastId: string | null;
  /** Whether the collection has no documents after this batch. */
  done: boolean;
  /** The ids of the documents whose value is unopenable. */
  unopenableIds: string[];
}

/** A collection's part of a rotation. */
export interface CollectionProgress extends SealedTally {
  done: boolean;
  /** Unopenable ids, the first UNOPENABLE_IDS_KEPT of them (`unopenable` counts them all). */
  unopenableIds: string[];
}

/** Where a rotation is: the `progress` query's answer, the run's memo, and the workflow's result. */
export interface RotationProgress {
  status: 'running' | 'done';
  /** The key every value is being sealed under; null until the first batch answered. */
  currentKeyId: string | null;
  /** The collection being walked and the last `_id` done in it (null: at its start, or all done). */
  collection: SealedCollection | null;
  afterId: string | null;
  batches: number;
  collections: Record<SealedCollection, CollectionProgress>;
  startedAt: string;
  finishedAt: string | null;
}

/** At most this many unopenable ids are kept per collection (the count stays exact). */
export const UNOPENABLE_IDS_KEPT = 200;

/** A rotation's documents per batch unless the command says otherwise. */
export const DEFAULT_RESEAL_BATCH_SIZE = 200;

/** Largest batch accepted: a batch is one activity attempt, and its writes are one after another. */
export const RESEAL_BATCH_MAX = 1000;
