/**
 * Long-running calls (issue 21): what an action run, its conversation, the call activities and the
 * callback route say to each other. Types only (plus the limits), so workflows, activities and the API
 * share them without importing each other.
 */
import type { VariableValue } from './flow.schema';

/** Calls a conversation may have waiting at once; one more is refused with a visitor-safe message. */
export const MAX_PENDING_CALLS = 5;

/**
 * The business's callback, judged by the callback route against the endpoint's rules: only the outcome
 * and the kept result fields travel to the run (the body itself never enters workflow history).
 */
export interface CallbackResult {
  outcome: 'completed' | 'failed';
  fields: Record<string, VariableValue>;
}

/** A status poll's answer, judged by the `pollJob` activity. */
export interface PollResult {
  state: 'pending' | 'completed' | 'failed';
  /** The endpoint's result fields read from the status body (when completed or failed). */
  fields: Record<string, VariableValue>;
  /** HTTP status of the poll. */
  status: number;
  /** For the operator: what the status endpoint said, in plain words (no secrets, no visitor data). */
  reason: string;
}

/** Where a run is with its long-running step: the `callState` query, shown in the Web UI and answering "what's the status?". */
export interface CallState {
  actionId: string;
  actionName: string;
  phase: 'calling' | 'waiting' | 'finishing' | 'done';
  mode?: 'poll' | 'callback';
  /** When the wait began, and when it gives up (ISO). */
  since?: string;
  deadline?: string;
  polls: number;
  nextPollAt?: string;
  /** What the last poll said, in plain words; or that a callback is awaited. */
  lastStatus?: string;
  outcome?: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
}

/** The `settled` update of an action run: it resolves once the run waits on its long-running step, or has finished. */
export type RunSettled<R> = { state: 'waiting'; call: CallState } | { state: 'finished'; result: R };

/** How a long-running call ended, as the run tells its conversation (`callDone` signal). */
export interface CallDone {
  /** The run's workflow id (one call per run). */
  callId: string;
  ok: boolean;
  outputs?: Record<string, VariableValue>;
  /** Visitor-safe. */
  error?: string;
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
}

/** Where the activity mints a callback URL for this call: bound to the run, the endpoint and a deadline. */
export interface CallbackBinding {
  runId: string;
  /** ISO time after which the callback is refused (the call's deadline). */
  expiresAt: string;
}

/** A long-running call its conversation waits for (carried across continue-as-new). */
export interface PendingCall {
  /** The run's workflow id. */
  callId: string;
  /** The run's key within the conversation (the run id's suffix). */
  key: string;
  actionId: string;
  actionName: string;
  startedAt: string;
  /** Who waits: a guided flow at its `api_call` block (resumed with the result), or Smart AI (answers with it). */
  origin: { kind: 'flow'; flowId: string; blockId: string } | { kind: 'ai' };
  /** The visitor asked to cancel it; the run's end says whether it was. */
  cancelling?: boolean;
}

/** A call whose result arrived while the visitor was answering another question: its flow resumes when none is open. */
export interface FinishedCall {
  call: PendingCall;
  done: CallDone;
}
