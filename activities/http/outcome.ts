/**
 * What one attempt of `callEndpoint` comes to: the result handed back, or the error thrown for Temporal
 * to retry, and what the call log says. Every failure carries the operator's `reason` in plain words
 * (operator-reason.ts); a thrown one has it as its message, which is what the Web UI shows for the
 * activity, and a type naming the fault (`TenantServerError`, `RateLimited`, `TenantTimeout`,
 * `TenantUnreachable`). Which outcomes retry is unchanged: 5xx, 429, timeouts and network errors throw
 * (retryable); 4xx, redirects, refused addresses and failed validation are answers.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { maskDeep } from '../../core/http/mask';
import { checkResponse } from '../../core/http/validation';
import type { EndpointDoc } from '../../models/connection.model';
import { retryState } from './activity-context';
import type { CallEndpointFailureCode, CallEndpointInput, CallEndpointResult } from './call-types';
import { answered, NOT_RETRIED, notReached, onCall, retryWords, statusText, type CallDescription, type Redaction } from './operator-reason';
import { failureMessage, parseJson, pickFields, retryAfterMs } from './response';
import type { SendResult } from './send';

export interface Outcome {
  result?: CallEndpointResult;
  throw?: Error;
  logError?: string;
}

export interface OutcomeInput {
  result: SendResult;
  endpoint: Pick<EndpointDoc, 'responseFields' | 'validations'>;
  input: CallEndpointInput;
  /** The call in plain words: service, method, path template. */
  call: CallDescription;
  timeoutMs: number;
  redaction: Redaction;
}

interface Failure {
  code: CallEndpointFailureCode;
  /** Visitor-safe. */
  message: string;
  /** The operator's words, before the retry sentence. */
  what: string;
  logError: string;
  status?: number;
}

export function interpretOutcome({ result, endpoint, input, call, timeoutMs, redaction }: OutcomeInput): Outcome {
  const testing = input.kind === 'endpoint_test';
  const { mask } = redaction;
  const withStatus = (status: number | undefined) => (status !== undefined ? { status } : {});
  // Transient for a conversation (throw, Temporal retries); reported as-is for a Run Test (one attempt).
  const transient = (f: Failure & { type: string; nextRetryDelay?: number }): Outcome => {
    if (testing) return { result: { ok: false, code: f.code, message: f.message, reason: mask(`${f.what}. Run Test makes one attempt.`), ...withStatus(f.status) }, logError: f.logError };
    const reason = mask(`${f.what}. ${retryWords(retryState())}`);
    return { throw: ApplicationFailure.create({ message: reason, type: f.type, ...(f.nextRetryDelay !== undefined ? { nextRetryDelay: f.nextRetryDelay } : {}) }), logError: f.logError };
  };
  // An answer: the same request would get it again.
  const answer = (f: Failure): Outcome => ({
    result: { ok: false, code: f.code, message: f.message, reason: mask(`${f.what}. ${NOT_RETRIED}`), ...withStatus(f.status) },
    logError: f.logError,
  });

  if (result.kind === 'failure') {
    const logError = `${result.code}: ${result.detail}`;
    const what = notReached(call, result.code, timeoutMs);
    const { message } = result;
    if (result.code === 'blocked_address') return answer({ code: 'blocked_address', message, what, logError });
    if (result.code === 'too_large') return answer({ code: 'response_too_large', message, what, logError });
    // Reported to Temporal as a cancellation, not a failure to retry.
    if (result.code === 'cancelled') return { throw: new CancelledFailure(message), logError };
    if (result.code === 'timeout') return transient({ code: 'timeout', message, what, logError, type: 'TenantTimeout' });
    return transient({ code: 'network', message, what, logError, type: 'TenantUnreachable' });
  }

  const { status } = result;
  const logError = `HTTP ${status}`;
  // An error answer's own message is quoted (redacted); a 2xx body is data, never quoted.
  const said = status >= 300 || status < 200 ? answered(call, status, result.body, redaction) : `${call.service} answered ${statusText(status)} on ${onCall(call)}`;
  if (status === 429) {
    const delay = retryAfterMs(result.headers['retry-after']);
    const after = delay === undefined ? '' : ` (Retry-After: ${Math.round(delay / 1000)} s)`;
    return transient({ code: 'rate_limited', message: 'The service is busy (rate limited).', what: `${said}${after}`, logError, status, type: 'RateLimited', nextRetryDelay: delay });
  }
  if (status >= 500 || status < 200) return transient({ code: 'http_5xx', message: failureMessage(status), what: said, logError, status, type: 'TenantServerError' });
  if (status >= 300 && status < 400) {
    const what = `${said}, a redirect, which is not followed (the credentials would travel to the new location)`;
    return answer({ code: 'redirect', message: failureMessage(status), what, logError: `HTTP ${status} redirect not followed`, status });
  }
  if (status >= 400) return answer({ code: 'http_4xx', message: failureMessage(status), what: said, logError, status });

  const needsJson = endpoint.responseFields.length > 0 || endpoint.validations.length > 0;
  const parsed = parseJson(result.body);
  if (!parsed.ok && needsJson) {
    const what = `${said}, but not with the JSON its response fields or validation rules read`;
    return answer({ code: 'invalid_response', message: 'The service answered in an unexpected format.', what, logError: 'response is not JSON', status });
  }
  const body = parsed.ok ? parsed.value : undefined;
  const verdict = checkResponse(endpoint.validations, body, input.values);
  if (!verdict.ok) {
    // Named by its path, operator and input name: never the values compared.
    const rule = endpoint.validations.find((r) => !checkResponse([r], body, input.values).ok);
    const described = rule ? ` (${rule.path} ${rule.op}${rule.input !== undefined ? ` input "${rule.input}"` : ''})` : '';
    const what = `${said}, but the response failed a validation rule${described}: "${verdict.message}"; its data was withheld`;
    return answer({ code: 'validation_failed', message: verdict.message, what, logError: `validation failed: ${verdict.message}`, status });
  }
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
