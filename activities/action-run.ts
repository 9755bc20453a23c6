/**
 * Starts an action run (`actionRunWorkflow`) and waits for its result, from a local activity of the
 * conversation workflow.
 *
 * Why not a child workflow: a child costs the turn several trips through the server's queues (the
 * child's start, its first workflow task, its completion, and the parent's workflow tasks for the
 * child's started and completed events). Started here instead, with Eager Workflow Start on the
 * worker's own connection, the server hands the run's first workflow task straight back to this worker
 * in the start response; the run makes its calls as local activities, so it usually completes in that one
 * task, and its result comes back on the history long-poll. The run is still its own workflow
 * (`conversation-<id>-action-...`, with the same search attributes), visible in the Web UI.
 *
 * At-least-once, like every activity: a retried attempt (a worker died) finds the run by its id, never a
 * second one (`REJECT_DUPLICATE` also for a run that already closed), and waits for its result.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { ApiChainInput, ApiChainResult } from '../models/action-run.schema';
import { actionRunSearchAttributes, MESSAGE_NAMES, type ActionRunLabels } from '../models/temporal-names';
import type { CallState, RunSettled } from '../models/long-running.schema';

/** What `runAction` answers: the run's result, or (a long-running action) that it now waits. */
export type ActionRunOutcome = ApiChainResult | { waiting: true; call: CallState };

export interface ActionRunRequest {
  workflowId: string;
  /**
   * The action has a long-running step: return as soon as the run waits on it (`waiting`, the
   * conversation goes on and hears the end through `callDone`), or with its result if it finished first.
   */
  longRunning?: boolean;
  input: ApiChainInput;
  /** Search attributes of the run (keywords, no PII). */
  labels: ActionRunLabels;
  /** The conversation's workflow, kept in the run's memo for operators. */
  conversationWorkflowId: string;
}

export interface ActionRunDeps {
  /** A client on the worker's NativeConnection (what Eager Workflow Start needs); absent: no action runs. */
  temporal?: Client;
  taskQueue?: string;
}

export function createActionRunActivities(deps: ActionRunDeps) {
  return {
    async runAction(request: ActionRunRequest): Promise<ActionRunOutcome> {
      const { temporal, taskQueue } = deps;
      if (!temporal || !taskQueue) throw new Error('this worker has no Temporal client for action runs');
      let handle: WorkflowHandle;
      try {
        handle = await temporal.workflow.start('actionRunWorkflow', {
          taskQueue,
          workflowId: request.workflowId,
          args: [request.input],
          requestEagerStart: true,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { conversationWorkflowId: request.conversationWorkflowId },
          typedSearchAttributes: new TypedSearchAttributes(actionRunSearchAttributes(request.labels)),
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        // A retried attempt: the run exists (running or closed); its result is the action's.
        handle = temporal.workflow.getHandle(request.workflowId);
      }
      if (request.longRunning) {
        try {
          // Resolves when the run waits on its long-running step, or with its result if it got there first.
          const settled = await handle.executeUpdate<RunSettled<ApiChainResult>, []>(MESSAGE_NAMES.settled);
          return settled.state === 'waiting' ? { waiting: true, call: settled.call } : settled.result;
        } catch (error) {
          // The run closed before the update reached it (it finished fast): its result says how.
          // Anything else while it still runs is a failure of this attempt (retried; it re-attaches).
          if (!(error instanceof WorkflowUpdateFailedError) && !(error instanceof WorkflowNotFoundError)) {
            const { status } = await handle.describe();
            if (status.name === 'RUNNING') throw error;
          }
        }
      }
      return (await handle.result()) as ApiChainResult;
    },

    /**
     * Where each long-running call's run is (its `callState` query), for a visitor asking for the status;
     * `null` for a run that cannot answer (closed since, or unknown).
     */
    async describeCalls(input: { callIds: string[] }): Promise<(CallState | null)[]> {
      const { temporal } = deps;
      if (!temporal) throw new Error('this worker has no Temporal client for action runs');
      return Promise.all(
        input.callIds.slice(0, 20).map(async (id) => {
          try {
            return await temporal.workflow.getHandle(id).query<CallState>(MESSAGE_NAMES.callState);
          } catch {
            return null;
          }
        }),
      );
    },
  };
}
