/**
 * What a failed LLM call means to Temporal. Activities are retried by the workflow's retry policy, so a
 * transient failure (rate limit, server error, timeout, network) is thrown as retryable, and an answer
 * that would be the same next time (a rejected request, a refused address) as non-retryable. Messages
 * end up in workflow history and the Web UI: they carry the status and the provider's own error text,
 * never the API key (masked when the provider echoes it) and never the conversation's messages.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from '../http/response';
import { LlmTransportError } from './safe-fetch';

/** The failure types completeChat throws (ApplicationFailure.type). */
export type LlmFailureType = 'LlmUnavailable' | 'LlmRateLimited' | 'LlmRejected' | 'LlmBlockedAddress' | 'LlmKeyUnavailable' | 'LlmInvalidResponse';

const MAX_PROVIDER_TEXT = 300;
const REDACTED = '[redacted]';

export const retryable = (message: string, type: LlmFailureType = 'LlmUnavailable'): ApplicationFailure => ApplicationFailure.retryable(message, type);
export const nonRetryable = (message: string, type: LlmFailureType): ApplicationFailure => ApplicationFailure.nonRetryable(message, type);

/**
 * Maps anything the SDK (or the safe fetch beneath it) threw to the error the activity throws.
 * `cancelled` is whether the activity's own cancellation signal fired.
 */
export function toLlmFailure(error: unknown, { key, cancelled }: { key?: string; cancelled: boolean }): Error {
  if (cancelled || error instanceof APIUserAbortError) return new CancelledFailure('The LLM call was cancelled.');
  if (error instanceof APIConnectionTimeoutError) return retryable('The LLM provider did not answer in time.');
  if (error instanceof APIConnectionError) return transportFailure(error.cause);
  if (error instanceof APIError && typeof error.status === 'number') return statusFailure(error, key);
  // A 200 whose body is not JSON, or an SDK surprise: the error's class only, its text may hold anything.
  const name = error instanceof Error ? error.name : typeof error;
  return retryable(`The LLM provider's answer could not be read (${name}).`);
}

function transportFailure(cause: unknown): ApplicationFailure {
  if (!(cause instanceof LlmTransportError)) return retryable('The LLM provider could not be reached.');
  switch (cause.code) {
    case 'blocked_address':
      return nonRetryable('The LLM provider address is not allowed: private, loopback and metadata addresses need the bot to allow private networks, and this deployment to permit it.', 'LlmBlockedAddress');
    case 'too_large':
      return nonRetryable('The LLM provider answered with more data than allowed.', 'LlmInvalidResponse');
    case 'timeout':
      return retryable('The LLM provider did not answer in time.');
    default:
      return retryable(`The LLM provider could not be reached (${cause.code}).`);
  }
}

function statusFailure(error: APIError, key: string | undefined): ApplicationFailure {
  const status = error.status as number;
  if (status === 429) {
    const message = 'The LLM provider is rate limiting requests (HTTP 429).';
    const delay = retryDelayMs(error.headers);
    return delay === undefined ? retryable(message, 'LlmRateLimited') : ApplicationFailure.create({ message, type: 'LlmRateLimited', nextRetryDelay: delay });
  }
  if (status === 408 || status === 409 || status >= 500) return retryable(`The LLM provider had a problem answering (HTTP ${status}).`);
  if (status >= 300 && status < 400) return nonRetryable(`The LLM provider answered with a redirect (HTTP ${status}); redirects are not followed.`, 'LlmRejected');
  if (status >= 400) {
    const text = providerText(error, key);
    return nonRetryable(`The LLM provider rejected the request (HTTP ${status})${text ? `: ${text}` : '.'}`, 'LlmRejected');
  }
  return retryable(`The LLM provider answered with HTTP ${status}.`);
}

/** OpenAI's `retry-after-ms`, else the standard Retry-After (seconds or an HTTP date); capped. */
function retryDelayMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.min(Math.round(Number(ms)), MAX_RETRY_AFTER_MS);
  return retryAfterMs(headers?.get('retry-after') ?? undefined);
}

/** The provider's error message (`{error: {message}}`, `{error: "..."}` or the SDK's summary), masked and cut. */
function providerText(error: APIError, key: string | undefined): string {
  const body = error.error as unknown;
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') text = (body as { message: string }).message;
  else text = error.message.replace(/^\d{3}\s*/, '').replace(/^status code \(no body\)$/, '');
  text = maskSecret(text.replace(/\s+/g, ' ').trim(), key);
  return text.length > MAX_PROVIDER_TEXT ? `${text.slice(0, MAX_PROVIDER_TEXT - 1)}…` : text;
}

/**
 * Removes `secret` from `text`, and any token sharing 8+ characters with it, so partial echoes such as
 * "Incorrect API key provided: sk-test-ab***yz" or a key cut at a line break do not leak either.
 */
export function maskSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  const whole = text.split(secret).join(REDACTED);
  return whole.replace(/[^\s"'`,;:()[\]{}<>]{8,}/g, (token) => (sharesRun(token, secret, 8) ? REDACTED : token));
}

function sharesRun(token: string, secret: string, run: number): boolean {
  for (let i = 0; i + run <= token.length; i++) {
    if (secret.includes(token.slice(i, i + run))) return true;
  }
  return false;
}
