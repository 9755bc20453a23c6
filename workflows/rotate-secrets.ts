/**
 * Key rotation that finishes: every value sealed with PARLEY_SECRET_KEYS (connection credentials, bots'
 * provider keys, websites' identity secrets, webhook signing secrets) sealed again under the current key,
 * so that the old key can be removed. Started by `npm run rotate-keys` (scripts/rotate-keys.ts).
 *
 * The walk is one `resealBatch` activity per batch, collection after collection, each in `_id` order
 * from where the last batch ended. The position lives in this workflow, so a worker that dies mid-walk
 * costs one batch, retried (the activity is idempotent: values already under the current key are only
 * checked). Progress is the `progress` query, and counts in the run's memo (the Web UI shows it).
 *
 * One rotation per deployment, hence one fixed workflow id (not a business key, unlike every other
 * workflow here): running the command while a rotation runs attaches to it instead of starting another
 * walk that would race it. Once a rotation has ended the id is free for the next one, which starts from
 * the beginning and skips what is already re-sealed.
 *
 * The history stays small: the run continues-as-new after each collection and every BATCHES_PER_RUN
 * batches (or when Temporal suggests it), carrying the progress.
 */
import { ApplicationFailure, continueAsNew, defineQuery, proxyActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import {
  DEFAULT_RESEAL_BATCH_SIZE,
  SEALED_COLLECTIONS,
  UNOPENABLE_IDS_KEPT,
  type CollectionProgress,
  type ResealBatchResult,
  type RotationProgress,
  type SealedCollection,
} from '../models/secret-rotation';
import { activityOptions } from './activity-policies';

export const ROTATE_SECRETS_WORKFLOW_ID = 'rotate-secrets';

/** Where the rotation is (answered by the current run, whichever continue-as-new it is on). */
export const rotationProgressQuery = defineQuery<RotationProgress>('progress');

/** Batches per run before it continues as new (about eight history events each). */
export const BATCHES_PER_RUN = 100;

export interface RotateSecretsInput {
  /** Documents per batch (per activity); DEFAULT_RESEAL_BATCH_SIZE when absent. */
  batchSize?: number;
  /** Batches before continuing as new; BATCHES_PER_RUN when absent. */
  batchesPerRun?: number;
  /** Carried over continue-as-new; absent when a rotation starts. */
  progress?: RotationProgress;
}

// A batch that fails (database unreachable) is retried; one that keeps failing fails the rotation, and
// the command says so. Running it again loses nothing: re-sealed values are skipped.
const { resealBatch } = proxyActivities<ConversationActivities>(activityOptions('resealBatch'));

const emptyPart = (): CollectionProgress => ({ done: false, scanned: 0, resealed: 0, current: 0, empty: 0, changed: 0, unopenable: 0, unopenableIds: [] });

function startProgress(startedAt: string): RotationProgress {
  return {
    status: 'running',
    currentKeyId: null,
    collection: SEALED_COLLECTIONS[0],
    afterId: null,
    batches: 0,
    collections: Object.fromEntries(SEALED_COLLECTIONS.map((name) => [name, emptyPart()])) as Record<SealedCollection, CollectionProgress>,
    startedAt,
    finishedAt: null,
  };
}

function count(part: CollectionProgress, batch: ResealBatchResult): void {
  part.scanned += batch.scanned;
  part.resealed += batch.resealed;
  part.current += batch.current;
  part.empty += batch.empty;
  part.changed += batch.changed;
  part.unopenable += batch.unopenable;
  part.unopenableIds.push(...batch.unopenableIds.slice(0, UNOPENABLE_IDS_KEPT - part.unopenableIds.length));
  part.done = batch.done;
}

/** The memo the Web UI shows: counts only (the ids stay in the query's answer and the result). */
function memoOf(progress: RotationProgress): Record<string, unknown> {
  const parts = Object.values(progress.collections);
  const total = (key: 'scanned' | 'resealed' | 'current' | 'changed' | 'unopenable'): number => parts.reduce((sum, part) => sum + part[key], 0);
  return {
    rotation: {
      status: progress.status,
      currentKeyId: progress.currentKeyId,
      collection: progress.collection,
      batches: progress.batches,
      scanned: total('scanned'),
      resealed: total('resealed'),
      alreadyCurrent: total('current'),
      changedMeanwhile: total('changed'),
      unopenable: total('unopenable'),
    },
  };
}

export async function rotateSecretsWorkflow(input: RotateSecretsInput = {}): Promise<RotationProgress> {
  const batchSize = input.batchSize ?? DEFAULT_RESEAL_BATCH_SIZE;
  const batchesPerRun = input.batchesPerRun ?? BATCHES_PER_RUN;
  // Workflow time (deterministic), not the machine's clock.
  const progress = input.progress ?? startProgress(new Date().toISOString());
  setHandler(rotationProgressQuery, () => progress);
  upsertMemo(memoOf(progress));
  const next = (): Promise<never> => continueAsNew<typeof rotateSecretsWorkflow>({ batchSize, batchesPerRun, progress });

  let batchesThisRun = 0;
  for (const collection of SEALED_COLLECTIONS) {
    const part = progress.collections[collection];
    if (part.done) continue;
    if (progress.collection !== collection) {
      // A collection's walk starts on a history of its own.
      progress.collection = collection;
      progress.afterId = null;
      if (batchesThisRun > 0) return next();
    }
    while (!part.done) {
      if (batchesThisRun >= batchesPerRun || workflowInfo().continueAsNewSuggested) return next();
      const batch = await resealBatch({ collection, afterId: progress.afterId, limit: batchSize });
      batchesThisRun++;
      // Workers with different first keys would seal back and forth between them: stop and say so.
      if (progress.currentKeyId !== null && batch.currentKeyId !== progress.currentKeyId) {
        throw ApplicationFailure.nonRetryable(
          `workers disagree on the current key ("${progress.currentKeyId}", then "${batch.currentKeyId}"): give every API instance and worker the same PARLEY_SECRET_KEYS, then run the rotation again`,
          'KeyMismatch',
        );
      }
      progress.currentKeyId = batch.currentKeyId;
      count(part, batch);
      progress.afterId = batch.lastId ?? progress.afterId;
      progress.batches++;
      upsertMemo(memoOf(progress));
    }
  }
  progress.status = 'done';
  progress.collection = null;
  progress.afterId = null;
  progress.finishedAt = new Date().toISOString();
  upsertMemo(memoOf(progress));
  return progress;
}
