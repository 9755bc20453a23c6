/**
 * `callEndpoint`: the one activity through which a conversation (or an endpoint's Run Test) calls a
 * tenant API. It loads the endpoint and connection by account, renders and authorizes the request, sends
 * it through the SSRF-safe agents, logs the attempt, validates the response and keeps only the endpoint's
 * response fields, so nothing else of the response reaches workflow history, the LLM or the visitor.
 *
 * Temporal runs activities at least once: a 5xx, 429, timeout or network error throws so the workflow's
 * retry policy repeats the call, and non-GET calls carry the caller's Idempotency-Key so the tenant can
 * recognise a repeat. A 4xx, a redirect or a refused address is an answer, returned as `ok: false`: the
 * same call would get the same answer (outcome.ts). Either way the failure says what happened in plain
 * words for the operator (`reason`, or the thrown failure's message), which the Web UI shows.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { applyAuth, type AuthorizedRequest } from '../../core/http/auth';
import { createMasker } from '../../core/http/mask';
import { renderRequest, RequestRenderError } from '../../core/http/request';
import { activitySignal, withHeartbeat } from './activity-context';
import { buildCallLog, writeCallLog } from './call-log';
import type { CallEndpointFailureCode, CallEndpointInput, CallEndpointResult } from './call-types';
import { createHttpContext, ENDPOINT_CONNECTIONS_MAX, loadConnection, type HttpActivityDeps, type HttpContext } from './connection';
import { callbackUrl, needsCallbackUrl, noJobResult, pollJobOf } from './long-running';
import { NOT_RETRIED, onCall, statusText, type CallDescription } from './operator-reason';
import { interpretOutcome } from './outcome';
import { createPollJob } from './poll-job';
import { sendRequest } from './send';
import { createTestConnection } from './test-connection';

export type { HttpActivityDeps, HttpOptions } from './connection';
export type { PollJobInput } from './poll-job';

export type { CallEndpointFailureCode, CallEndpointInput, CallEndpointResult };

const NOT_FOUND_MESSAGE = 'This action is not available.';
const HEADER_VALUE = /^[\x21-\x7e]{1,255}$/;

export function createHttpActivities(deps: HttpActivityDeps) {
  const context = createHttpContext(deps);
  return {
    callEndpoint: (input: CallEndpointInput) => callEndpoint(context, input),
    testConnection: createTestConnection(context),
    pollJob: createPollJob(context),
  };
}

async function callEndpoint(context: HttpContext, input: CallEndpointInput): Promise<CallEndpointResult> {
  // The endpoint and (when this worker has called it before) its connection in one round trip of latency.
  const endpointKey = `${input.accountId}:${input.endpointId}`;
  const knownConnectionId = context.endpointConnections.get(endpointKey);
  const [endpoint, early] = await Promise.all([
    context.models.Endpoint.findOne({ _id: input.endpointId, accountId: input.accountId }).lean(),
    knownConnectionId ? loadConnection(context, input.accountId, knownConnectionId) : undefined,
  ]);
  if (!endpoint) return { ok: false, code: 'not_found', message: NOT_FOUND_MESSAGE, reason: `Endpoint ${input.endpointId} does not exist in this account (deleted since the bot was published?). ${NOT_RETRIED}` };
  if (!knownConnectionId) {
    if (context.endpointConnections.size >= ENDPOINT_CONNECTIONS_MAX) context.endpointConnections.clear();
    context.endpointConnections.set(endpointKey, endpoint.connectionId);
  }
  const loaded = early && knownConnectionId === endpoint.connectionId ? early : await loadConnection(context, input.accountId, endpoint.connectionId);
  if ('error' in loaded) {
    return loaded.error === 'not_found'
      ? { ok: false, code: 'not_found', message: NOT_FOUND_MESSAGE, reason: `Connection ${endpoint.connectionId} of endpoint "${endpoint.name}" does not exist in this account. ${NOT_RETRIED}` }
      : { ok: false, code: 'credentials_unavailable', message: 'This action is not available right now.', reason: `The stored credentials of connection ${endpoint.connectionId} could not be decrypted (a key no longer in PARLEY_SECRET_KEYS?); enter them again. ${NOT_RETRIED}` };
  }
  const { connection, secrets } = loaded;
  const call: CallDescription = { service: connection.name, method: endpoint.method, path: endpoint.path };
  // Provenance: a constant parameter always takes the endpoint's own value and a contact parameter the
  // conversation's contact field, whatever the caller passed.
  const values = { ...input.values };
  for (const parameter of endpoint.parameters) {
    if (parameter.source === 'constant' && parameter.constant !== undefined) values[parameter.name] = parameter.constant;
    // (Run Test has no conversation: its sample values stand in for the contact.)
    if (parameter.source === 'contact' && parameter.contactField && input.kind !== 'endpoint_test') values[parameter.name] = input.contact?.[parameter.contactField] ?? null;
  }
  // A callback parameter always carries the callback URL Parley makes, whatever the caller passed.
  let callbackSecrets: string[] = [];
  if (needsCallbackUrl(endpoint)) {
    const made = callbackUrl(context, input, endpoint._id);
    if ('reason' in made) return { ok: false, code: 'bad_endpoint', message: 'This action is not available right now.', reason: `${connection.name} was not called on ${onCall(call)}: ${made.reason}. ${NOT_RETRIED}` };
    for (const parameter of endpoint.parameters) if (parameter.source === 'callback') values[parameter.name] = made.url;
    callbackSecrets = made.secrets;
  }
  input = { ...input, values };

  let authorized: AuthorizedRequest;
  try {
    authorized = applyAuth(renderRequest({ baseUrl: connection.baseUrl, endpoint, values }), connection.auth, secrets);
  } catch (error) {
    // Render errors name the parameter, never its value.
    if (error instanceof RequestRenderError) return { ok: false, code: error.code, message: error.message, reason: `${connection.name} was not called on ${onCall(call)}: ${error.message} ${NOT_RETRIED}` };
    throw error;
  }
  const request = authorized.request;
  if (input.idempotencyKey !== undefined && request.method !== 'GET') {
    if (!HEADER_VALUE.test(input.idempotencyKey)) throw ApplicationFailure.nonRetryable('idempotencyKey must be 1-255 visible ASCII characters', 'InvalidIdempotencyKey');
    request.headers['idempotency-key'] = input.idempotencyKey;
  }

  const network = context.network(connection);
  const timeoutMs = endpoint.timeoutMs ?? connection.timeoutMs;
  const result = await withHeartbeat(
    sendRequest({
      request,
      ...network,
      timeoutMs,
      maxResponseBytes: context.maxResponseBytes,
      signal: activitySignal(),
    }),
  );
  // The callback URL is a credential of the run: masked in the call log and every text, like a secret.
  const mask = createMasker([...authorized.secretValues, ...callbackSecrets]);
  const outcome = interpretOutcome({ result, endpoint, input, call, timeoutMs, redaction: { mask, values: input.values, contact: input.contact } });
  const polled = endpoint.longRunning?.mode === 'poll' ? endpoint.longRunning : undefined;
  if (polled && outcome.result?.ok && result.kind === 'response') {
    const found = pollJobOf(polled, connection.baseUrl, result, mask);
    if ('job' in found) outcome.result.job = found.job;
    else {
      outcome.result = noJobResult(result.status, mask(`${connection.name} answered ${statusText(result.status)} on ${onCall(call)}, but ${found.reason}. ${NOT_RETRIED}`));
      outcome.logError = 'no usable job reference';
    }
  }
  await writeCallLog(
    context.models.CallLog,
    buildCallLog({
      accountId: input.accountId,
      connectionId: connection._id,
      endpointId: endpoint._id,
      kind: input.kind,
      request,
      secretHeaders: authorized.secretHeaders,
      mask,
      result,
      success: outcome.result?.ok === true,
      error: outcome.logError,
      conversationId: input.conversationId,
      workflowId: input.workflowId,
    }),
  );
  if (outcome.throw) throw outcome.throw;
  return outcome.result!;
}
