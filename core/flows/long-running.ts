/**
 * What a conversation says about its long-running calls (issue 21): the status of each, their ends, and
 * whether a visitor's message asks for the status. Pure, for the conversation workflow and unit tests.
 */
import { MAX_PENDING_CALLS, type CallDone, type CallState, type PendingCall } from '../../models/long-running.schema';

export const TOO_MANY_CALLS = `You already have ${MAX_PENDING_CALLS} requests in progress. Let's wait for one of them to finish first.`;

/**
 * "What's the status?", "any news?", "is it done yet?": asked while calls are waiting and no question is
 * open, it is answered from the runs rather than by the flows or the model.
 */
const STATUS_QUESTION = /\b(status|progress|any (news|update|word)s?|heard back|how long|(is|are) (it|they|that|my \w+) (done|ready|finished|confirmed|approved|through)( yet)?|done yet|ready yet|update me)\b/i;

export function isStatusQuestion(text: string): boolean {
  return text.length <= 200 && STATUS_QUESTION.test(text);
}

/** How long ago `iso` was, in plain words. */
export function ago(iso: string, nowMs: number): string {
  const minutes = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} days ago`;
}

/** One line per waiting call, from its run's state (`null`: the run could not be asked). */
export function callStatusText(calls: PendingCall[], states: (CallState | null)[], nowMs: number): string {
  const lines = calls.map((call, i) => {
    const run = states[i];
    const started = `started ${ago(call.startedAt, nowMs)}`;
    if (call.cancelling) return `"${call.actionName}" (${started}): being cancelled.`;
    if (!run) return `"${call.actionName}" (${started}): still in progress.`;
    if (run.phase === 'done' || run.phase === 'finishing') return `"${call.actionName}" (${started}): just finished; the result is on its way.`;
    const checks = run.mode === 'poll' && run.polls > 0 ? `, checked ${run.polls} time${run.polls === 1 ? '' : 's'}` : '';
    const waitingFor = run.mode === 'callback' ? 'waiting for confirmation' : 'in progress';
    return `"${call.actionName}" (${started}${checks}): ${waitingFor}.`;
  });
  const head = calls.length === 1 ? 'Here is where your request stands:' : `Here is where your ${calls.length} requests stand:`;
  return `${head}\n${lines.map((l) => `- ${l}`).join('\n')}\nI'll tell you here as soon as there is news.`;
}

/** Said when a call ends and no flow continues from it (cancelled, or a flow with nothing more to say). */
export function callDoneText(call: PendingCall, done: CallDone): string {
  switch (done.outcome) {
    case 'succeeded':
      return `Update: "${call.actionName}" is done.`;
    case 'cancelled':
      return `"${call.actionName}" was cancelled.`;
    case 'timed_out':
      return `Update: "${call.actionName}" took too long and was stopped.`;
    default:
      return `Update: "${call.actionName}" did not go through.${done.error ? ` ${done.error}` : ''}`;
  }
}

/** Said at once when a call ends while the visitor is answering another question. */
export function queuedNoticeText(call: PendingCall, done: CallDone): string {
  const what = done.ok ? 'it is done' : done.outcome === 'timed_out' ? 'it took too long and was stopped' : 'it did not go through';
  return `Update on "${call.actionName}": ${what}. I'll come back to it once we've finished here.`;
}
