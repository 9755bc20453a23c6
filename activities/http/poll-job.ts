/**
 * `pollJob`: one status poll of a long-running call (issue 21), scheduled by the action run on its
 * backoff of durable timers. It goes the way `callEndpoint` goes: the endpoint and connection loaded by
 * account, the connection's auth, the SSRF-safe agents of its network policy, a heartbeat while the
 * request is in flight, and a call log per attempt. The status URL is the endpoint's `statusPath` with
 * the job, or the job's Location, and never leaves the connection's base URL (the poll carries its
 * credentials).
 *
 * The JSON status is judged in code (`failWhen` first, then `completeWhen`, else pending) and only the
 * endpoint's result fields (masked) come back. A 5xx, 429, timeout or network error throws like
 * `callEndpoint` (retryable, the same failure types): the poll is repeated by this activity's retry
 * policy, and the run's schedule carries on. A 4xx, a redirect, a refused address or a body that is not
 * JSON is an answer: `failed`, with the operator's reason.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { applyAuth, type AuthorizedRequest } from '../../core/http/auth';
import { judgeBody, ruleText, statusUrl, type PollSettings } from '../../core/http/long-running';
import { createMasker } from '../../core/http/mask';
import { RequestRenderError, type RenderedRequest } from '../../core/http/request';
import type { PollResult } from '../../models/long-running.schema';
import { activitySignal, withHeartbeat } from './activity-context';
import { buildCallLog, writeCallLog } from './call-log';
import { loadConnection, type HttpContext } from './connection';
import { NOT_RETRIED, onCall, statusText, type CallDescription } from './operator-reason';
import { interpretOutcome } from './outcome';
import { parseJson } from './response';
import { sendRequest } from './send';

export interface PollJobInput {
  accountId: string;
  endpointId: string;
  /** The job reference the call's first answer named (`CallEndpointResult.job`). */
  job: string;
  conversationId?: string;
  workflowId?: string;
}

const failed = (reason: string, status = 0): PollResult => ({ state: 'failed', fields: {}, status, reason });

export function createPollJob(context: HttpContext) {
  return (input: PollJobInput): Promise<PollResult> => pollJob(context, input);
}

async function pollJob(context: HttpContext, input: PollJobInput): Promise<PollResult> {
  const endpoint = await context.models.Endpoint.findOne({ _id: input.endpointId, accountId: input.accountId }).lean();
  if (!endpoint) return failed(`Endpoint ${input.endpointId} does not exist in this account (deleted while the job ran?); its status cannot be read. ${NOT_RETRIED}`);
  const settings: PollSettings | undefined = endpoint.longRunning?.mode === 'poll' ? endpoint.longRunning : undefined;
  if (!settings) return failed(`Endpoint "${endpoint.name}" is no longer polled (its long-running settings changed); its status cannot be read. ${NOT_RETRIED}`);
  const loaded = await loadConnection(context, input.accountId, endpoint.connectionId);
  if ('error' in loaded) {
    return failed(
      loaded.error === 'not_found'
        ? `Connection ${endpoint.connectionId} of endpoint "${endpoint.name}" does not exist in this account. ${NOT_RETRIED}`
        : `The stored credentials of connection ${endpoint.connectionId} could not be decrypted (a key no longer in PARLEY_SECRET_KEYS?); enter them again. ${NOT_RETRIED}`,
    );
  }
  const { connection, secrets } = loaded;
  const call: CallDescription = { service: connection.name, method: 'GET', path: settings.job.from === 'location' ? '(the job\'s Location)' : (settings.statusPath ?? '') };

  const target = statusUrl(connection.baseUrl, settings, input.job);
  // Judged before any secret is added: a Location elsewhere never gets the connection's credentials.
  if (!target.ok) return failed(`${connection.name} was not polled on ${onCall(call)}: ${target.reason}. ${NOT_RETRIED}`);
  const rendered: RenderedRequest = { method: 'GET', url: target.url, headers: { accept: 'application/json' } };
  let authorized: AuthorizedRequest;
  try {
    authorized = applyAuth(rendered, connection.auth, secrets);
  } catch (error) {
    if (error instanceof RequestRenderError) return failed(`${connection.name} was not polled on ${onCall(call)}: ${error.message} ${NOT_RETRIED}`);
    throw error;
  }
  const request = authorized.request;
  const timeoutMs = endpoint.timeoutMs ?? connection.timeoutMs;
  const result = await withHeartbeat(sendRequest({ request, ...context.network(connection), timeoutMs, maxResponseBytes: context.maxResponseBytes, signal: activitySignal() }));
  const mask = createMasker(authorized.secretValues);
  const redaction = { mask, values: {} };
  // The transport and status outcome exactly as a call's: what throws for Temporal to retry, what is an answer.
  const outcome = interpretOutcome({
    result,
    endpoint: { responseFields: [], validations: [] },
    input: { accountId: input.accountId, endpointId: input.endpointId, values: {}, kind: 'conversation' },
    call,
    timeoutMs,
    redaction,
  });
  let poll: PollResult | undefined;
  let logError = outcome.logError;
  if (!outcome.throw) {
    const answered = outcome.result!;
    const status = result.kind === 'response' ? result.status : 0;
    if (!answered.ok) poll = failed(answered.reason ?? answered.message, status);
    else {
      const parsed = result.kind === 'response' ? parseJson(result.body) : { ok: false as const };
      if (!parsed.ok) {
        poll = failed(`${connection.name} answered ${statusText(status)} on ${onCall(call)}, but not with the JSON its status rules read. ${NOT_RETRIED}`, status);
        logError = 'response is not JSON';
      } else poll = judged(settings, parsed.value, status, `${connection.name} answered ${statusText(status)} on ${onCall(call)}`, mask);
    }
  }
  await writeCallLog(
    context.models.CallLog,
    buildCallLog({
      accountId: input.accountId,
      connectionId: connection._id,
      endpointId: endpoint._id,
      kind: 'conversation',
      request,
      secretHeaders: authorized.secretHeaders,
      mask,
      result,
      success: poll !== undefined && poll.state !== 'failed',
      error: poll?.state === 'failed' ? (logError ?? 'job failed') : logError,
      conversationId: input.conversationId,
      workflowId: input.workflowId,
    }),
  );
  if (outcome.throw) throw outcome.throw;
  if (!poll) throw ApplicationFailure.create({ message: 'the poll had no outcome', type: 'PollWithoutOutcome' });
  return poll;
}

function judged(settings: PollSettings, body: unknown, status: number, said: string, mask: (text: string) => string): PollResult {
  const verdict = judgeBody(settings, body, mask);
  if (verdict.outcome === 'failed') return { state: 'failed', fields: verdict.fields, status, reason: `${said}: the job failed (${ruleText(settings.failWhen!)} holds)` };
  if (verdict.outcome === 'completed') return { state: 'completed', fields: verdict.fields, status, reason: `${said}: the job is done (${ruleText(settings.completeWhen)} holds)` };
  return { state: 'pending', fields: {}, status, reason: `${said}: the job is still running (${ruleText(settings.completeWhen)} does not hold yet)` };
}
