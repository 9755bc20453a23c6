/**
 * `callEndpoint`: the one activity through which a conversation (or an endpoint's Run Test) calls a
 * tenant API. It loads the endpoint and connection by account, renders and authorizes the request, sends
 * it through the SSRF-safe agents, logs the attempt, validates the response and keeps only the endpoint's
 * response fields, so nothing else of the response reaches workflow history, the LLM or the visitor.
 *
 * Temporal runs activities at least once: a 5xx, 429, timeout or network error throws so the workflow's
 * retry policy repeats the call, and non-GET calls carry the caller's Idempotency-Key so the tenant can
 * recognise a repeat. A 4xx, a redirect or a refused address is an answer, returned as `ok: false`: the
 * same call would get the same answer.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { applyAuth, type AuthorizedRequest } from '../../core/http/auth';
import { createMasker, maskDeep, type Masker } from '../../core/http/mask';
import { renderRequest, RequestRenderError } from '../../core/http/request';
import { checkResponse } from '../../core/http/validation';
import type { VariableValue } from '../../models/flow.schema';
import { activitySignal, withHeartbeat } from './activity-context';
import { buildCallLog, writeCallLog } from './call-log';
import { createHttpContext, loadConnection, type HttpActivityDeps, type HttpContext } from './connection';
import { failureMessage, parseJson, pickFields, retryAfterMs } from './response';
import { sendRequest } from './send';
import { createTestConnection } from './test-connection';

export type { HttpActivityDeps, HttpOptions } from './connection';

export interface CallEndpointInput {
  accountId: string;
  endpointId: string;
  /** Parameter values by name (flow variables, LLM arguments, constants, earlier steps' fields). */
  values: Record<string, VariableValue>;
  /** Sent as `Idempotency-Key` on non-GET calls; derive it from conversation, step and call so retries share it. */
  idempotencyKey?: string;
  /** `endpoint_test` (Run Test) also returns the response body, and reports transient failures instead of throwing. */
  kind: 'conversation' | 'endpoint_test';
  conversationId?: string;
  workflowId?: string;
  /** The conversation's contact as given at start: the only source of `contact` parameters. */
  contact?: { name?: string; email?: string; phone?: string };
}

export type CallEndpointFailureCode =
  | 'not_found'
  | 'credentials_unavailable'
  | 'missing_value'
  | 'invalid_value'
  | 'bad_endpoint'
  | 'blocked_address'
  | 'redirect'
  | 'http_4xx'
  | 'response_too_large'
  | 'invalid_response'
  | 'validation_failed'
  // Only for `endpoint_test`; a conversation's call throws these for Temporal to retry:
  | 'http_5xx'
  | 'rate_limited'
  | 'timeout'
  | 'network';

export type CallEndpointResult =
  | { ok: true; status: number; fields: Record<string, VariableValue>; durationMs: number; body?: unknown }
  | { ok: false; status?: number; code: CallEndpointFailureCode; message: string };

const NOT_FOUND = { ok: false, code: 'not_found', message: 'This action is not available.' } as const;
const HEADER_VALUE = /^[\x21-\x7e]{1,255}$/;

export function createHttpActivities(deps: HttpActivityDeps) {
  const context = createHttpContext(deps);
  return {
    callEndpoint: (input: CallEndpointInput) => callEndpoint(context, input),
    testConnection: createTestConnection(context),
  };
}

async function callEndpoint(context: HttpContext, input: CallEndpointInput): Promise<CallEndpointResult> {
  const endpoint = await context.models.Endpoint.findOne({ _id: input.endpointId, accountId: input.accountId }).lean();
  if (!endpoint) return NOT_FOUND;
  const loaded = await loadConnection(context, input.accountId, endpoint.connectionId);
  if ('error' in loaded) return loaded.error === 'not_found' ? NOT_FOUND : { ok: false, code: 'credentials_unavailable', message: 'This action is not available right now.' };
  const { connection, secrets } = loaded;
  // Provenance: a constant parameter always takes the endpoint's own value and a contact parameter the
  // conversation's contact field, whatever the caller passed.
  const values = { ...input.values };
  for (const parameter of endpoint.parameters) {
    if (parameter.source === 'constant' && parameter.constant !== undefined) values[parameter.name] = parameter.constant;
    // (Run Test has no conversation: its sample values stand in for the contact.)
    if (parameter.source === 'contact' && parameter.contactField && input.kind !== 'endpoint_test') values[parameter.name] = input.contact?.[parameter.contactField] ?? null;
  }
  input = { ...input, values };

  let authorized: AuthorizedRequest;
  try {
    authorized = applyAuth(renderRequest({ baseUrl: connection.baseUrl, endpoint, values }), connection.auth, secrets);
  } catch (error) {
    if (error instanceof RequestRenderError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
  const request = authorized.request;
  if (input.idempotencyKey !== undefined && request.method !== 'GET') {
    if (!HEADER_VALUE.test(input.idempotencyKey)) throw ApplicationFailure.nonRetryable('idempotencyKey must be 1-255 visible ASCII characters', 'InvalidIdempotencyKey');
    request.headers['idempotency-key'] = input.idempotencyKey;
  }

  const network = context.network(connection);
  const result = await withHeartbeat(
    sendRequest({
      request,
      ...network,
      timeoutMs: endpoint.timeoutMs ?? connection.timeoutMs,
      maxResponseBytes: context.maxResponseBytes,
      signal: activitySignal(),
    }),
  );
  const mask = createMasker(authorized.secretValues);
  const outcome = interpret(result, endpoint, input, mask);
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

type Interpreted = { result?: CallEndpointResult; throw?: Error; logError?: string };

/** What an attempt's outcome means for the caller: a result, or an error for Temporal to retry. */
function interpret(
  result: Awaited<ReturnType<typeof sendRequest>>,
  endpoint: { responseFields: { name: string; path: string }[]; validations: Parameters<typeof checkResponse>[0] },
  input: CallEndpointInput,
  mask: Masker,
): Interpreted {
  const testing = input.kind === 'endpoint_test';
  // Transient for a conversation (throw, Temporal retries); reported as-is for a Run Test.
  const transient = (code: CallEndpointFailureCode, message: string, logError: string, status?: number, error?: Error): Interpreted =>
    testing ? { result: { ok: false, code, message, ...(status !== undefined ? { status } : {}) }, logError } : { throw: error ?? new Error(message), logError };

  if (result.kind === 'failure') {
    const logError = `${result.code}: ${result.detail}`;
    if (result.code === 'blocked_address') return { result: { ok: false, code: 'blocked_address', message: result.message }, logError };
    if (result.code === 'too_large') return { result: { ok: false, code: 'response_too_large', message: result.message }, logError };
    // Reported to Temporal as a cancellation, not a failure to retry.
    if (result.code === 'cancelled') return { throw: new CancelledFailure(result.message), logError };
    return transient(result.code === 'timeout' ? 'timeout' : 'network', result.message, logError);
  }

  const { status } = result;
  if (status === 429) {
    const message = 'The service is busy (rate limited).';
    const delay = retryAfterMs(result.headers['retry-after']);
    const failure = delay === undefined ? undefined : ApplicationFailure.create({ message, type: 'RateLimited', nextRetryDelay: delay });
    return transient('rate_limited', message, `HTTP ${status}`, status, failure);
  }
  if (status >= 500 || status < 200) return transient('http_5xx', failureMessage(status), `HTTP ${status}`, status);
  if (status >= 300 && status < 400) return { result: { ok: false, status, code: 'redirect', message: failureMessage(status) }, logError: `HTTP ${status} redirect not followed` };
  if (status >= 400) return { result: { ok: false, status, code: 'http_4xx', message: failureMessage(status) }, logError: `HTTP ${status}` };

  const needsJson = endpoint.responseFields.length > 0 || endpoint.validations.length > 0;
  const parsed = parseJson(result.body);
  if (!parsed.ok && needsJson) {
    return { result: { ok: false, status, code: 'invalid_response', message: 'The service answered in an unexpected format.' }, logError: 'response is not JSON' };
  }
  const body = parsed.ok ? parsed.value : undefined;
  const verdict = checkResponse(endpoint.validations, body, input.values);
  if (!verdict.ok) return { result: { ok: false, status, code: 'validation_failed', message: verdict.message }, logError: `validation failed: ${verdict.message}` };
  return {
    result: {
      ok: true,
      status,
      fields: pickFields(body, endpoint.responseFields, mask),
      durationMs: result.durationMs,
      ...(testing ? { body: parsed.ok ? maskDeep(parsed.value, mask) : result.body ? mask(result.body) : undefined } : {}),
    },
  };
}

