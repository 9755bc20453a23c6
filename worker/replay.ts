/**
 * The replay gate: recorded workflow histories replayed on a workflow bundle, to learn before a release
 * whether the new code can take over the runs already in flight. An AUTO_UPGRADE workflow
 * (workflows/versioning.ts) moves to the new worker version at its next task, which replays its whole
 * history on the new code first; a determinism error there would stall the run. `npm run replay`
 * (scripts/replay.ts) runs this on histories exported from production; the replay test on the
 * committed ones (test/fixtures/histories).
 *
 * Histories are the JSON that `temporal workflow show --output json` and the Web UI's download write.
 * Each is replayed under the workflow id it was recorded with: child workflow and action run ids derive
 * from it, so another id would itself be a difference.
 */
import type { DataConverter } from '@temporalio/common';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode } from '@temporalio/worker';
import fs from 'node:fs';
import path from 'node:path';
import { WORKFLOW_BUNDLER_OPTIONS } from './workflow-bundle';

/** One history to replay: where it came from, and the parsed JSON. */
export interface RecordedHistory {
  source: string;
  history: unknown;
}

export interface ReplayOutcome {
  source: string;
  workflowId: string;
  workflowType: string;
  /** Undefined when the history replayed cleanly. */
  error?: { nondeterminism: boolean; message: string };
}

/** The JSON files at `target` (a file, or every `*.json` in a directory, sorted), parsed. */
export function readHistories(target: string): RecordedHistory[] {
  const stat = fs.statSync(target);
  const files = stat.isDirectory()
    ? fs
        .readdirSync(target)
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => path.join(target, name))
    : [target];
  return files.map((file) => {
    try {
      return { source: file, history: JSON.parse(fs.readFileSync(file, 'utf8')) };
    } catch (error) {
      throw new Error(`${file}: not a JSON history (${(error as Error).message})`, { cause: error });
    }
  });
}

/**
 * The workflow bundle exactly as a worker builds it when it bundles at start (worker/create-worker.ts:
 * `workflows/` with WORKFLOW_BUNDLER_OPTIONS), from the tree this module runs in: the TypeScript
 * sources under tsx, `dist/workflows` in the image.
 */
export async function bundleShippedWorkflows(): Promise<WorkflowBundle> {
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), ...WORKFLOW_BUNDLER_OPTIONS, logger: quiet as never });
  return { code };
}

const startedEvent = (history: unknown): { workflowId?: string; workflowType?: { name?: string } } | undefined =>
  (history as { events?: { workflowExecutionStartedEventAttributes?: { workflowId?: string; workflowType?: { name?: string } } }[] })?.events?.[0]
    ?.workflowExecutionStartedEventAttributes;

/** Replays every history on `workflowBundle`; one outcome per history, in order. */
export async function replayHistories(options: { histories: RecordedHistory[]; workflowBundle: WorkflowBundle; dataConverter?: DataConverter }): Promise<ReplayOutcome[]> {
  const entries = options.histories.map(({ source, history }) => {
    const started = startedEvent(history);
    if (!started) throw new Error(`${source}: no WorkflowExecutionStarted event first; export it with \`temporal workflow show --output json\``);
    return { source, workflowId: started.workflowId || path.basename(source, '.json'), workflowType: started.workflowType?.name ?? '?', history };
  });
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle: options.workflowBundle, replayName: 'parley-replay', ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}) },
    entries.map(({ workflowId, history }) => ({ workflowId, history: history as never })),
  );
  let index = 0;
  // Results come back in the order the histories went in.
  for await (const result of results) {
    const entry = entries[index++]!;
    outcomes.push({
      source: entry.source,
      workflowId: entry.workflowId,
      workflowType: entry.workflowType,
      ...(result.error ? { error: { nondeterminism: result.error instanceof DeterminismViolationError, message: result.error.message } } : {}),
    });
  }
  return outcomes;
}
