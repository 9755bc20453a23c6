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
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import type { ActionStep, LongRunning, StepInput } from '../models/connection.schema';
import type { ApiChainInput, ApiChainResult } from '../models/action-run.schema';
import type { VariableValue } from '../models/flow.schema';
import type { CallbackResult, CallDone, CallState, RunSettled } from '../models/long-running.schema';
import { ACTION_RUN_STATUS, callbackUpdate, callDoneSignal, callStateQuery, conversationWorkflowId, SA, settledUpdate } from './definitions';
import { activityOptions, localActivityOptions } from './activity-policies';
import { renderTemplate } from '../core/template';

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
  const waits = new LongRunningCall(input);
  const result = await waits.finish(await runSteps(input, { local: () => true, recordStatus: () => true }, waits));
  // The `settled` update answers from the result; let it finish before the run does (even a cancelled run).
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return result;
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

async function runSteps(input: ApiChainInput, version: RunVersion, waits?: LongRunningCall): Promise<ApiChainResult> {
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

  const call = async (endpointId: string, values: Record<string, VariableValue>, key: string, retry?: { maxAttempts: number; initialIntervalMs: number }, callback?: { runId: string; expiresAt: string }) => {
    try {
      return await (version.local() ? localActivitiesWith(retry) : activitiesWith(retry)).callEndpoint({
        ...(callback ? { callback } : {}),
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

  /** Undoes `steps` in reverse order (a saga), best effort; says what was and was not undone. */
  const compensate = async (steps: ActionStep[]): Promise<{ compensated: string[]; notUndone: string[] }> => {
    const compensated: string[] = [];
    const notUndone: string[] = [];
    for (const previous of [...steps].reverse()) {
      if (!previous.compensation) continue;
      // Best effort, each with its own retries; a failed compensation is visible in the Web UI and logs.
      const undo = await call(previous.compensation.endpointId, resolve(previous.compensation.inputs), `${previous.id}:compensate`);
      if (undo.ok) compensated.push(previous.id);
      else notUndone.push(`step "${previous.id}" could not be undone: ${undo.reason ?? undo.message}`);
    }
    return { compensated, notUndone };
  };

  for (const step of action.steps) {
    const wait = waits && step.wait ? waits.begin(step.wait) : undefined;
    const result = await call(step.endpointId, resolve(step.inputs), step.id, step.retry, wait?.callback);
    if (result.ok && wait && waits) {
      // The job is started: wait for its result (polls or the callback) on durable timers, cancellable.
      // Its first answer's fields are readable meanwhile (a compensation may need the job's id).
      outputs.set(step.id, result.fields);
      const ended = await waits.wait(wait, step, result.job, result.fields);
      if (!ended.ok) {
        // Cancelled or out of time: the job may still be live, so this step is undone too; a job that
        // failed by its own rule has nothing of this step to undo.
        const undo = await CancellationScope.nonCancellable(() => compensate(ended.outcome === 'failed' ? done : [...done, step]));
        const status = ended.outcome === 'failed' ? ACTION_RUN_STATUS.failed : ACTION_RUN_STATUS[ended.outcome];
        finish(status);
        const undone = undo.compensated.length > 0 ? ` Undone: ${undo.compensated.map((id) => `step "${id}"`).join(', ')}.` : '';
        const reason = `Action "${action.name}" (${action.id}) ${ended.reason}${undone}${undo.notUndone.map((n) => ` Also, ${n}`).join('')}`;
        return { ok: false, reason, error: ended.error, failedStep: step.id, compensated: undo.compensated, ...(ended.outcome !== 'failed' ? { ended: ended.outcome } : {}) };
      }
      outputs.set(step.id, { ...result.fields, ...ended.fields });
      done.push(step);
      continue;
    }
    if (!result.ok) {
      const { compensated, notUndone } = await compensate(done);
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

// ---- Long-running calls (issue 21) ----

const { pollJob } = proxyActivities<ConversationActivities>(activityOptions('pollJob'));

/** Said to the visitor when a long-running call ends without its result. */
const LONG_RUNNING_MESSAGES = {
  failed: 'Sorry, that request could not be completed.',
  timed_out: 'Sorry, that request took too long and was stopped.',
  cancelled: 'That request was cancelled.',
} as const;

/** The visitor's words for a job that failed by its rule: the endpoint's `failureMessage` with the result fields, or a generic sorry. */
function failureText(settings: LongRunning, fields: Record<string, VariableValue>): string {
  if (!settings.failureMessage) return LONG_RUNNING_MESSAGES.failed;
  const text = renderTemplate(settings.failureMessage, fields).trim();
  return text.length > 0 ? text.slice(0, 500) : LONG_RUNNING_MESSAGES.failed;
}

type WaitEnd = { ok: true; fields: Record<string, VariableValue> } | { ok: false; outcome: 'failed' | 'cancelled' | 'timed_out'; error: string; reason: string };

/** A long-running step in progress: its settings, its deadline and (callback mode) what the callback URL is bound to. */
interface Waiting {
  settings: LongRunning;
  deadlineMs: number;
  callback?: { runId: string; expiresAt: string };
}

/**
 * The waiting part of an action run whose step is long-running. The conversation learns through the
 * `settled` update that the run now waits (it tells the visitor and goes on); the business answers
 * through the `callback` update (callback mode) or the run polls with `pollJob` on durable timers; the
 * deadline is a timer too. A cancellation (the visitor's, or the conversation closing) ends the wait,
 * and the run undoes what it did. Once the run went to waiting, its end is sent to the conversation as
 * `callDone`, once: the conversation drops a call it no longer waits for, so a retry never repeats it.
 */
class LongRunningCall {
  private readonly state: CallState;
  private callback?: CallbackResult;
  private announced = false;
  private result?: ApiChainResult;

  constructor(private readonly input: ApiChainInput) {
    this.state = { actionId: input.action.id, actionName: input.action.name, phase: 'calling', polls: 0 };
    setHandler(callStateQuery, () => ({ ...this.state }));
    setHandler(
      settledUpdate,
      async (): Promise<RunSettled<ApiChainResult>> => {
        await condition(() => this.state.phase === 'waiting' || this.result !== undefined);
        if (this.result !== undefined) return { state: 'finished', result: this.result };
        this.announced = true;
        return { state: 'waiting', call: { ...this.state } };
      },
    );
    setHandler(
      callbackUpdate,
      (result) => {
        this.callback = result;
        return { accepted: true as const };
      },
      {
        validator: (result) => {
          if (this.state.mode !== undefined && this.state.mode !== 'callback') throw ApplicationFailure.nonRetryable('this call takes no callback', 'CallbackNotExpected');
          if (this.callback !== undefined || this.state.phase === 'finishing' || this.state.phase === 'done') throw ApplicationFailure.nonRetryable('this callback URL was used already', 'CallbackAlreadyUsed');
          if (!result || (result.outcome !== 'completed' && result.outcome !== 'failed') || typeof result.fields !== 'object' || result.fields === null) {
            throw ApplicationFailure.nonRetryable('a callback result is {outcome, fields}', 'InvalidCallback');
          }
        },
      },
    );
  }

  /** Starts a long-running step: its deadline, and the callback binding the call activity mints a URL for. */
  begin(settings: LongRunning): Waiting {
    const deadlineMs = Date.now() + settings.deadlineSeconds * 1000;
    const expiresAt = new Date(deadlineMs).toISOString();
    this.state.mode = settings.mode;
    this.state.deadline = expiresAt;
    return { settings, deadlineMs, ...(settings.mode === 'callback' ? { callback: { runId: workflowInfo().workflowId, expiresAt } } : {}) };
  }

  /** Waits for the job's result: polls on its schedule, or the callback; either way until the deadline. */
  async wait(waiting: Waiting, step: ActionStep, job: string | undefined, first: Record<string, VariableValue>): Promise<WaitEnd> {
    const { settings, deadlineMs } = waiting;
    this.state.phase = 'waiting';
    this.state.since = new Date().toISOString();
    upsertSearchAttributes([{ key: SA.status, value: ACTION_RUN_STATUS.waiting }]);
    const what = `"${this.input.action.name}" (step "${step.id}")`;
    try {
      if (settings.mode === 'callback') {
        this.state.lastStatus = 'waiting for the business to call back';
        this.details(`Waiting for the callback of ${what} until ${this.state.deadline}.`);
        const arrived = await condition(() => this.callback !== undefined, Math.max(deadlineMs - Date.now(), 0));
        if (!arrived) return this.timedOut(settings);
        this.state.phase = 'finishing';
        const cb = this.callback!;
        if (cb.outcome === 'failed') return { ok: false, outcome: 'failed', error: failureText(settings, cb.fields), reason: `failed: the business called back with a failure for step "${step.id}".` };
        return { ok: true, fields: cb.fields };
      }
      if (job === undefined) return { ok: false, outcome: 'failed', error: LONG_RUNNING_MESSAGES.failed, reason: `failed at step "${step.id}": its first response named no job to poll.` };
      let delayMs = settings.schedule.initialSeconds * 1000;
      for (;;) {
        const left = deadlineMs - Date.now();
        if (left <= 0) return this.timedOut(settings);
        const pause = Math.min(delayMs, left);
        this.state.nextPollAt = new Date(Date.now() + pause).toISOString();
        this.details(`Polling the status of ${what}: ${this.state.polls} poll(s) so far${this.state.lastStatus ? ` (last: ${this.state.lastStatus})` : ''}; next at ${this.state.nextPollAt}; deadline ${this.state.deadline}.`);
        await sleep(pause);
        if (Date.now() >= deadlineMs) return this.timedOut(settings);
        delayMs = Math.min(delayMs * settings.schedule.factor, settings.schedule.maxSeconds * 1000);
        this.state.polls++;
        this.state.nextPollAt = undefined;
        let poll;
        try {
          poll = await pollJob({ accountId: this.input.accountId, endpointId: step.endpointId, job, ...(this.input.conversationId ? { conversationId: this.input.conversationId } : {}), workflowId: workflowInfo().workflowId });
        } catch (error) {
          if (isCancellation(error)) throw error;
          // The status endpoint is not answering (retries exhausted): keep waiting until the deadline.
          this.state.lastStatus = 'the status endpoint did not answer; polling again later';
          continue;
        }
        this.state.lastStatus = poll.reason;
        if (poll.state === 'pending') continue;
        this.state.phase = 'finishing';
        if (poll.state === 'failed') return { ok: false, outcome: 'failed', error: failureText(settings, poll.fields), reason: `failed at step "${step.id}": ${poll.reason}` };
        return { ok: true, fields: { ...first, ...poll.fields } };
      }
    } catch (error) {
      if (!isCancellation(error)) throw error;
      this.state.phase = 'finishing';
      return { ok: false, outcome: 'cancelled', error: LONG_RUNNING_MESSAGES.cancelled, reason: `was cancelled while waiting at step "${step.id}".` };
    }
  }

  private timedOut(settings: LongRunning): WaitEnd {
    this.state.phase = 'finishing';
    return { ok: false, outcome: 'timed_out', error: LONG_RUNNING_MESSAGES.timed_out, reason: `timed out: no result within ${settings.deadlineSeconds} s (deadline ${this.state.deadline}).` };
  }

  private details(text: string): void {
    setCurrentDetails(text);
  }

  /** The run's end: recorded for the query and the `settled` update, and sent to a conversation that was told the run waits. */
  async finish(result: ApiChainResult): Promise<ApiChainResult> {
    this.result = result;
    this.state.phase = 'done';
    this.state.outcome = result.ok ? 'succeeded' : (result.ended ?? 'failed');
    if (this.state.mode !== undefined) this.details(`Finished: ${this.state.outcome}.`);
    if (this.announced && this.input.conversationId) {
      const done: CallDone = {
        callId: workflowInfo().workflowId,
        ok: result.ok,
        outcome: this.state.outcome,
        ...(result.ok ? { outputs: result.outputs } : { error: result.error }),
      };
      // The conversation may have closed meanwhile: then nobody waits for this result any more.
      await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(conversationWorkflowId(this.input.conversationId!)).signal(callDoneSignal, done)).catch(() => undefined);
    }
    return result;
  }
}
