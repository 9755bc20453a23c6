/**
 * What an HTTP activity reads from its Temporal context, with plain defaults when called outside one
 * (tests, scripts): the attempt number and workflow run for call logs, the retry policy for failure
 * texts, the cancellation signal, heartbeats.
 */
import { asyncLocalStorage } from '@temporalio/activity';

/** The current activity's attempt and the workflow run that scheduled it (attempt 1 and none outside an activity). */
export function attemptInfo(): { attempt: number; workflowId?: string; runId?: string } {
  const info = asyncLocalStorage.getStore()?.info;
  if (!info) return { attempt: 1 };
  const run = info.workflowExecution;
  return { attempt: info.attempt, ...(run?.workflowId ? { workflowId: run.workflowId } : {}), ...(run?.runId ? { runId: run.runId } : {}) };
}

/**
 * The current attempt and the retry policy's attempt limit (0 or absent: no limit), so a failure can say
 * whether Temporal will try again. Undefined outside an activity.
 */
export function retryState(): { attempt: number; maximumAttempts?: number } | undefined {
  const info = asyncLocalStorage.getStore()?.info;
  if (!info) return undefined;
  return { attempt: info.attempt, ...(info.retryPolicy?.maximumAttempts !== undefined ? { maximumAttempts: info.retryPolicy.maximumAttempts } : {}) };
}

/** Aborted by the worker when the activity is cancelled (delivered with a heartbeat response). */
export function activitySignal(): AbortSignal | undefined {
  return asyncLocalStorage.getStore()?.cancellationSignal;
}

/**
 * Heartbeats while `work` is in flight, so a workflow can set a short heartbeatTimeout and notice a dead
 * worker within seconds instead of waiting out the call's full start-to-close timeout. The SDK throttles
 * what it sends to the server, so a tick every second costs nothing.
 */
export async function withHeartbeat<T>(work: Promise<T>, everyMs = 1000): Promise<T> {
  const context = asyncLocalStorage.getStore();
  // A local activity has no heartbeats: the workflow task it runs in is what the server watches.
  if (!context || context.info.isLocal) return work;
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
