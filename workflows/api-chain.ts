/**
 * One run of an API action: its steps in order, each step's inputs taken from the action's inputs,
 * constants or an earlier step's kept fields (log in -> token -> protected call). When a step fails, the
 * compensations of the steps before it run in reverse order (a saga), then the action reports a
 * visitor-safe failure.
 *
 * `actionRunWorkflow` is how every action runs: started by the conversation's `runAction` local activity
 * (activities/action-run.ts) with an id derived from the conversation and the step, so it is its own run
 * in the Web UI, findable by the search attributes it is started with (account, bot, channel,
 * `ParleyAction`, `ParleyStatus` running) and the status it upserts when it ends. Its calls are local
 * activities, so a run usually completes in its first workflow task. `apiChainWorkflow` is the same
 * steps for the runs that older conversations started as child workflows; it keeps their histories
 * replaying (`patched`). The Idempotency-Key of each call derives from the run's id and the step: stable
 * across retries and worker restarts, different between steps and conversations.
 *
 * A failed run says why twice: `error` for the visitor (safe to show, says nothing of the tenant) and
 * `reason` for the operator reading the result in the Web UI: the action, the step, what the tenant
 * answered and whether it was retried, in plain words, without secrets or visitor data.
 */
import { ActivityFailure, ApplicationFailure, patched, proxyActivities, proxyLocalActivities, TimeoutFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import type { ActionBody, StepInput } from '../models/connection.schema';
import type { VariableValue } from '../models/flow.schema';
import { ACTION_RUN_STATUS, SA } from './definitions';
import { activityOptions, localActivityOptions } from './activity-policies';

/** The call activity with a step's retry policy (5xx, 429 and network errors retry; 4xx never do). */
const activitiesWith = (retry: { maxAttempts: number; initialIntervalMs: number } = { maxAttempts: 3, initialIntervalMs: 500 }) =>
  // The activity heartbeats while its request is in flight, so a worker that dies mid-call is noticed
  // within seconds and the call is retried (with the same Idempotency-Key) elsewhere.
  proxyActivities<ConversationActivities>(activityOptions('callEndpoint', { initialInterval: retry.initialIntervalMs, attempts: retry.maxAttempts }));

/**
 * The same call as a local activity: no trip through the activity queue, so a run usually completes in
 * its first workflow task. Attempts whose backoff is over `localRetryThreshold` wait on a durable timer.
 */
const localActivitiesWith = (retry: { maxAttempts: number; initialIntervalMs: number } = { maxAttempts: 3, initialIntervalMs: 500 }) =>
  proxyLocalActivities<ConversationActivities>(localActivityOptions('callEndpoint', { initialInterval: retry.initialIntervalMs, attempts: retry.maxAttempts }));

/** apiChainWorkflow runs recorded before calls became local activities keep replaying with activity tasks. */
const LOCAL_CALLS = 'parley-local-endpoint-calls';
/** apiChainWorkflow runs recorded before the status upsert existed replay without it. */
const RUN_STATUS = 'parley-action-run-status';

export interface ApiChainInput {
  accountId: string;
  action: ActionBody;
  inputs: Record<string, VariableValue>;
  conversationId?: string;
  /** The conversation's contact, for endpoint parameters whose source is the contact. */
  contact?: { name?: string; email?: string; phone?: string };
}

export type ApiChainResult =
  | { ok: true; outputs: Record<string, VariableValue> }
  | {
      ok: false;
      /** For the operator (first, so the Web UI shows it first): which step failed and why, in plain words. */
      reason: string;
      /** For the visitor: safe to show as is. */
      error: string;
      failedStep: string;
      compensated: string[];
    };

const UNAVAILABLE = 'Sorry, that service is not responding right now. Please try again later.';

/** Failure types whose message is written for history by the call activity. */
const PLAIN_FAILURE_TYPES = new Set(['TenantServerError', 'RateLimited', 'TenantTimeout', 'TenantUnreachable']);

/**
 * The operator's words for a call whose activity failed for good. Parley's own transient failures carry
 * their plain-words message (activities/http/operator-reason.ts); anything else is named by its kind
 * only, since its message was not written for history (it is in the activity's failure event anyway).
 */
function failedCall(error: ActivityFailure | ApplicationFailure): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type && PLAIN_FAILURE_TYPES.has(cause.type)) return cause.message;
  if (cause instanceof TimeoutFailure) {
    return `The call did not finish in time (${(cause.timeoutType ?? 'activity').toLowerCase().replace(/_/g, '-')} timeout; the worker may have stopped during the call). No attempts left.`;
  }
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : (cause?.name ?? 'Error');
  return `The call activity failed (${type}); see the activity's failure in this history. Not retried further.`;
}

/**
 * An action's run (see the top of this file). No `patched` here: this workflow type only ever ran this
 * way, and a patch would cost every run a marker and a search-attribute upsert.
 */
export async function actionRunWorkflow(input: ApiChainInput): Promise<ApiChainResult> {
  return runSteps(input, { local: () => true, recordStatus: () => true });
}

/** The same steps as a child workflow of a conversation recorded before action runs started eagerly. */
export async function apiChainWorkflow(input: ApiChainInput): Promise<ApiChainResult> {
  return runSteps(input, { local: () => patched(LOCAL_CALLS), recordStatus: () => patched(RUN_STATUS) });
}

/** How a run's version makes its calls: as local activities or activity tasks, and whether it upserts its status. */
interface RunVersion {
  local: () => boolean;
  recordStatus: () => boolean;
}

async function runSteps(input: ApiChainInput, version: RunVersion): Promise<ApiChainResult> {
  const { action } = input;
  const { workflowId } = workflowInfo();
  const outputs = new Map<string, Record<string, VariableValue>>();
  const done: typeof action.steps = [];

  const resolve = (mapping: Record<string, StepInput>): Record<string, VariableValue> => {
    // Unmapped parameters take the action input of the same name.
    const values: Record<string, VariableValue> = { ...input.inputs };
    for (const [param, source] of Object.entries(mapping)) {
      if (source.from === 'input') values[param] = input.inputs[source.name] ?? null;
      else if (source.from === 'constant') values[param] = source.value;
      else values[param] = outputs.get(source.step)?.[source.field] ?? null;
    }
    return values;
  };

  const call = async (endpointId: string, values: Record<string, VariableValue>, key: string, retry?: { maxAttempts: number; initialIntervalMs: number }) => {
    try {
      return await (version.local() ? localActivitiesWith(retry) : activitiesWith(retry)).callEndpoint({
        accountId: input.accountId,
        endpointId,
        values,
        idempotencyKey: `${workflowId}:${key}`,
        kind: 'conversation',
        conversationId: input.conversationId,
        workflowId,
        contact: input.contact,
      });
    } catch (error) {
      // Retries exhausted (5xx, 429, timeouts, network): a visitor-safe failure, never the raw error.
      if (error instanceof ActivityFailure || error instanceof ApplicationFailure) return { ok: false as const, code: 'unavailable', message: UNAVAILABLE, reason: failedCall(error) };
      throw error;
    }
  };

  /** The run's status for the Web UI's filters. */
  const finish = (status: (typeof ACTION_RUN_STATUS)[keyof typeof ACTION_RUN_STATUS]): void => {
    if (version.recordStatus()) upsertSearchAttributes([{ key: SA.status, value: status }]);
  };

  for (const step of action.steps) {
    const result = await call(step.endpointId, resolve(step.inputs), step.id, step.retry);
    if (!result.ok) {
      const compensated: string[] = [];
      const notUndone: string[] = [];
      for (const previous of [...done].reverse()) {
        if (!previous.compensation) continue;
        // Best effort, each with its own retries; a failed compensation is visible in the Web UI and logs.
        const undo = await call(previous.compensation.endpointId, resolve(previous.compensation.inputs), `${previous.id}:compensate`);
        if (undo.ok) compensated.push(previous.id);
        else notUndone.push(`step "${previous.id}" could not be undone: ${undo.reason ?? undo.message}`);
      }
      finish(ACTION_RUN_STATUS.failed);
      const undone = compensated.length > 0 ? ` Undone: ${compensated.map((id) => `step "${id}"`).join(', ')}.` : '';
      const reason = `Action "${action.name}" (${action.id}) failed at step "${step.id}": ${result.reason ?? result.message}${undone}${notUndone.map((n) => ` Also, ${n}`).join('')}`;
      return { ok: false, reason, error: result.message, failedStep: step.id, compensated };
    }
    outputs.set(step.id, result.fields);
    done.push(step);
  }
  const last = action.steps[action.steps.length - 1]!;
  finish(ACTION_RUN_STATUS.succeeded);
  return { ok: true, outputs: outputs.get(action.outputStep ?? last.id) ?? {} };
}
