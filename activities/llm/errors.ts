/**
 * What a failed LLM call means to Temporal. Activities are retried by the workflow's retry policy, so a
 * transient failure (rate limit, server error, timeout, network) is thrown as retryable, and an answer
 * that would be the same next time (a rejected request, a refused address) as non-retryable. Messages
 * end up in workflow history and the Web UI: they carry the status and the provider's own error text,
 * never the API key (masked when the provider echoes it) and never the conversation's messages.
 *
 * Which provider errors are retried (docs/model-servers.md, section 4, has what each server answers):
 *
 * - 429 is retried after its Retry-After, except OpenAI's `insufficient_quota` (billing: no retry fixes it).
 * - 408, 409 and Groq's 498 (flex capacity) are retried.
 * - Groq's 400 `tool_use_failed` is about the model's output, not the request: asked once more, then not.
 * - Any other 4xx is the server saying the request is wrong: never retried.
 * - A 5xx whose error text (or type) says the request itself is bad (a validation error, "invalid
 *   request", a chat template, grammar or JSON-schema error, the context length exceeded, a parameter not
 *   supported...) is not retried: llama-server and llama-cpp-python answer 500 for such requests.
 * - A plain 500 with an error text is retried once: on the second attempt or later it is not retried again,
 *   because a server such as llama-cpp-python answers 500 to every failure, a malformed request included,
 *   and would repeat it word for word. (An activity attempt cannot see the previous attempt's failure, so
 *   "a second 500" stands for "the same 500 again".) A 500 whose text says to try again or that the server
 *   is overloaded, busy or loading, a 500 without any text, and 502/503/504 keep being retried, within the
 *   attempts of the policy and the turn's `maxWaitMs`.
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
 * The whole parsed error body of a provider's answer, by error. The `openai` SDK keeps only `body.error`,
 * so a body without that key (Mistral's top-level `{message}`, FastAPI's `{detail}`) would lose its text:
 * the client (complete-chat.ts) records the body here as it builds the error.
 */
const errorBodies = new WeakMap<object, unknown>();

/** Remembers the raw error body of `error` (see errorBodies); returns the error. */
export function keepErrorBody<E extends object>(error: E, body: unknown): E {
  if (body !== undefined && body !== null) errorBodies.set(error, body);
  return error;
}

export interface FailureContext {
  /** The provider key, masked wherever the provider echoes it. */
  key?: string;
  /** Whether the activity's own cancellation signal fired. */
  cancelled: boolean;
  /** The activity's attempt (1 for the first; Temporal's `info.attempt`). */
  attempt?: number;
}

/** Maps anything the SDK (or the safe fetch beneath it) threw to the error the activity throws. */
export function toLlmFailure(error: unknown, { key, cancelled, attempt = 1 }: FailureContext): Error {
  if (cancelled || error instanceof APIUserAbortError) return new CancelledFailure('The LLM call was cancelled.');
  if (error instanceof APIConnectionTimeoutError) return retryable('The LLM provider did not answer in time.');
  if (error instanceof APIConnectionError) return transportFailure(error.cause);
  if (error instanceof APIError && typeof error.status === 'number') return statusFailure(error, key, attempt);
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

/** Error texts (and types) that say the request itself is at fault: the same request fails the same way. */
const REQUEST_CAUSED: readonly RegExp[] = [
  /validation error|input should be|field required|extra (inputs|fields) (are )?not permitted|extra_forbidden/i, // pydantic / FastAPI
  /invalid[ _-]request/i, // "Invalid request", invalid_request_error
  /context[ _-](length|window|size)|maximum context|exceeds? (the )?(available )?context|prompt is too long/i,
  /\btemplate\b|jinja|is undefined/i, // chat template rendering (llama.cpp, llama-cpp-python's StrictUndefined)
  /grammar|json[ _-]?schema/i, // a tool's or response_format's schema the server cannot turn into a grammar
  /failed to parse (the )?(messages|request|tools)/i, // llama-server: "Failed to parse messages: ..."
  /unsupported[ _](parameter|value|argument)|unrecognized request argument|not supported|does not support|requires --jinja/i,
];

/** A 500 whose text says it is passing (a retry may well succeed): retried like a 502/503. */
const TRANSIENT = /try again|retry|overloaded|temporar|busy|capacity|unavailable|loading|timed? ?out|rate.?limit/i;

/** Whether a provider's error text or type says the request itself caused the failure. */
export function requestCaused(text: string, type?: string): boolean {
  return REQUEST_CAUSED.some((pattern) => pattern.test(text) || (type !== undefined && pattern.test(type)));
}

function statusFailure(error: APIError, key: string | undefined, attempt: number): ApplicationFailure {
  const status = error.status as number;
  const { text, code, type } = providerError(error, key);
  const said = (prefix: string): string => `${prefix}${text ? `: ${text}` : '.'}`;
  if (status === 429) {
    if (code === 'insufficient_quota' || type === 'insufficient_quota') {
      return nonRetryable(said('The LLM provider refuses requests until the account behind the key has quota again (HTTP 429 insufficient_quota), so it is not retried'), 'LlmRejected');
    }
    const message = said('The LLM provider is rate limiting requests (HTTP 429)');
    const delay = retryDelayMs(error.headers);
    return delay === undefined ? retryable(message, 'LlmRateLimited') : ApplicationFailure.create({ message, type: 'LlmRateLimited', nextRetryDelay: delay });
  }
  if (status === 408 || status === 409 || status === 498) return retryable(said(`The LLM provider had a problem answering (HTTP ${status})`));
  if (status >= 300 && status < 400) return nonRetryable(`The LLM provider answered with a redirect (HTTP ${status}); redirects are not followed.`, 'LlmRejected');
  if (status === 400 && code === 'tool_use_failed') {
    // Groq checks the model's tool call against the tool's schema: another generation may pass.
    return attempt < 2
      ? retryable(said("The model's tool call did not fit the tool's schema (HTTP 400 tool_use_failed); asking once more"), 'LlmInvalidResponse')
      : nonRetryable(said(`The model's tool call did not fit the tool's schema again (HTTP 400 tool_use_failed, attempt ${attempt}), so it is not retried`), 'LlmRejected');
  }
  if (status >= 400 && status < 500) return nonRetryable(said(`The LLM provider rejected the request (HTTP ${status})`), 'LlmRejected');
  if (status >= 500) {
    if (requestCaused(text, type)) return nonRetryable(said(`The LLM provider failed on this request (HTTP ${status}) and its error says the request is the cause, so it is not retried`), 'LlmRejected');
    if (status === 500 && text && !TRANSIENT.test(text) && attempt >= 2) {
      return nonRetryable(said(`The LLM provider answered HTTP 500 again (attempt ${attempt}); a server that answers 500 to a request it cannot handle repeats it, so it is not retried`), 'LlmRejected');
    }
    return retryable(said(`The LLM provider had a problem answering (HTTP ${status})`));
  }
  return retryable(`The LLM provider answered with HTTP ${status}.`);
}

/** OpenAI's `retry-after-ms`, else the standard Retry-After (seconds or an HTTP date); capped. */
function retryDelayMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.min(Math.round(Number(ms)), MAX_RETRY_AFTER_MS);
  return retryAfterMs(headers?.get('retry-after') ?? undefined);
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/**
 * The provider's error: its text (masked and cut), its `code` and `type` when it gives them. Read from
 * `{error: {message, code, type}}` (OpenAI and most), `{error: "..."}` (LM Studio), a top-level
 * `{message, type, code}` (Mistral, old vLLM; `message` may itself hold `{detail: [...]}`), FastAPI's
 * `{detail: "..." | [{loc, msg}]}`, or a plain text body (the SDK's summary).
 */
export function providerError(error: APIError, key: string | undefined): { text: string; code?: string; type?: string } {
  const raw = errorBodies.get(error);
  const body: unknown = raw !== undefined ? raw : error.error !== undefined ? { error: error.error } : undefined;
  const inner = isObject(body) ? body.error : undefined;
  const fields = isObject(inner) ? inner : isObject(body) ? body : {};
  let text =
    stringOf(body) ??
    stringOf(inner) ??
    describe(fields.message) ??
    describe(fields.detail) ??
    (isObject(body) ? describe(body.detail) : undefined) ??
    // No JSON body: the SDK's message is "<status> <text>", or "<status> status code (no body)".
    error.message.replace(/^\d{3}\s*/, '').replace(/^status code \(no body\)$/, '');
  text = text.replace(/\s+/g, ' ').trim();
  // Pydantic echoes the offending value (`[type=..., input_value=..., input_type=...]`): maybe the visitor's words.
  text = maskSecret(text.replace(/input_value=.*?(?=, input_type=)/g, 'input_value=…'), key);
  if (text.length > MAX_PROVIDER_TEXT) text = `${text.slice(0, MAX_PROVIDER_TEXT - 1)}…`;
  const code = stringOf(fields.code) ?? (typeof error.code === 'string' ? error.code : undefined);
  const type = stringOf(fields.type) ?? (typeof error.type === 'string' ? error.type : undefined);
  return { text, ...(code !== undefined ? { code } : {}), ...(type !== undefined ? { type } : {}) };
}

/** A message or detail as text: a string, FastAPI's `[{loc, msg}]` (never its `input`), or `{detail}`. */
function describe(value: unknown): string | undefined {
  if (typeof value === 'string') return stringOf(value);
  if (Array.isArray(value)) {
    const parts = value.map((item) => (isObject(item) ? [Array.isArray(item.loc) ? item.loc.join('.') : undefined, stringOf(item.msg) ?? stringOf(item.message)].filter(Boolean).join(': ') : typeof item === 'string' ? item : '')).filter(Boolean);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (isObject(value)) return describe(value.detail) ?? describe(value.message);
  return undefined;
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
