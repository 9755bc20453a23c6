/**
 * What `npm run rotate-keys` does, as a function the tests call too: start the rotation workflow (or
 * attach to the one running), follow its progress, return its final progress. It is a Temporal client
 * only: the worker re-seals, with its own PARLEY_SECRET_KEYS.
 */
import type { Client } from '@temporalio/client';
import { SEALED_COLLECTIONS, type RotationProgress } from '../../models/secret-rotation';
import { ROTATE_SECRETS_WORKFLOW_ID, rotationProgressQuery, type rotateSecretsWorkflow } from '../../workflows/rotate-secrets';

export interface RotateKeysOptions {
  client: Client;
  /** The workers' task queue (TASK_QUEUE). */
  taskQueue: string;
  /** Documents per batch; the workflow's default when absent. */
  batchSize?: number;
  /** Batches per run before it continues as new; the workflow's default when absent. */
  batchesPerRun?: number;
  /** Told once the rotation is started, or found running (`attached`). */
  onStart?: (info: { attached: boolean }) => void;
  /** How often progress is asked for, in ms. Default 1000. */
  pollMs?: number;
  /** Told each time the progress changed. */
  onProgress?: (progress: RotationProgress) => void;
  /** Told when no worker has answered for `waitingAfterMs` (default 15 s), once. */
  onWaiting?: (message: string) => void;
  waitingAfterMs?: number;
}

export interface RotateKeysResult {
  progress: RotationProgress;
  /** The command found a rotation already running and followed it instead of starting one. */
  attached: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function rotateKeys(options: RotateKeysOptions): Promise<RotateKeysResult> {
  const { client } = options;
  const latest = client.workflow.getHandle(ROTATE_SECRETS_WORKFLOW_ID);
  const attached = await latest.describe().then(
    (description) => description.status.name === 'RUNNING',
    () => false,
  );
  // The fixed id with USE_EXISTING: a second command while one runs gets the running one's handle.
  const handle = await client.workflow.start<typeof rotateSecretsWorkflow>('rotateSecretsWorkflow', {
    workflowId: ROTATE_SECRETS_WORKFLOW_ID,
    taskQueue: options.taskQueue,
    args: [{ ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.batchesPerRun ? { batchesPerRun: options.batchesPerRun } : {}) }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  options.onStart?.({ attached });

  // result() follows the run through its continue-as-new chain.
  let ended = false;
  const result = handle.result().finally(() => {
    ended = true;
  });
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  const since = Date.now();
  let answered = false;
  let warned = false;
  let last = '';
  while (!ended) {
    await Promise.race([settled, sleep(options.pollMs ?? 1000)]);
    if (ended) break;
    try {
      const progress = await latest.query(rotationProgressQuery);
      answered = true;
      const seen = JSON.stringify(progress);
      if (seen !== last) options.onProgress?.(progress);
      last = seen;
    } catch {
      // Between two runs of a continue-as-new, or no worker yet: ask again.
      if (!answered && !warned && Date.now() - since > (options.waitingAfterMs ?? 15_000)) {
        warned = true;
        options.onWaiting?.(`no worker has answered yet: is one running on task queue "${options.taskQueue}" with PARLEY_SECRET_KEYS?`);
      }
    }
  }
  return { progress: await result, attached };
}

/** One line of progress, e.g. `batch 7, now bots: so far 612 read, 410 re-sealed, 200 already current`. */
export function progressLine(progress: RotationProgress): string {
  const parts = SEALED_COLLECTIONS.map((name) => progress.collections[name]);
  const total = (key: 'scanned' | 'resealed' | 'current' | 'unopenable'): number => parts.reduce((sum, part) => sum + part[key], 0);
  const where = progress.collection ? `now ${progress.collection}` : 'all collections done';
  const unopenable = total('unopenable');
  return `batch ${progress.batches}, ${where}: so far ${total('scanned')} read, ${total('resealed')} re-sealed, ${total('current')} already current${unopenable ? `, ${unopenable} unopenable` : ''}`;
}

/** The closing summary: counts per collection, unopenable ids (never a value), what to do next. */
export function summary(progress: RotationProgress): string {
  const lines = [`All stored secrets checked; the current key is "${progress.currentKeyId ?? '?'}".`, ''];
  const header = ['collection', 'read', 're-sealed', 'already current', 'no value', 'changed meanwhile', 'unopenable'];
  const rows = SEALED_COLLECTIONS.map((name) => {
    const part = progress.collections[name];
    return [name, part.scanned, part.resealed, part.current, part.empty, part.changed, part.unopenable].map(String);
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) lines.push(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const unopenable = SEALED_COLLECTIONS.filter((name) => progress.collections[name].unopenable > 0);
  if (unopenable.length > 0) {
    lines.push('', 'No configured key opens these (left as they are; their owners must enter them again):');
    for (const name of unopenable) {
      const part = progress.collections[name];
      const more = part.unopenable - part.unopenableIds.length;
      lines.push(`  ${name}: ${part.unopenableIds.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
    }
  }
  const key = progress.currentKeyId ?? '?';
  const moved = SEALED_COLLECTIONS.some((name) => progress.collections[name].resealed > 0 || progress.collections[name].changed > 0);
  lines.push(
    '',
    moved
      ? `Run it once more: when it re-seals nothing, no API instance still seals with an older key, and the older keys can be removed from PARLEY_SECRET_KEYS (API instances and workers).`
      : `Nothing is left under an older key: keep "${key}" and remove the older keys from PARLEY_SECRET_KEYS (API instances and workers).`,
  );
  return lines.join('\n');
}
