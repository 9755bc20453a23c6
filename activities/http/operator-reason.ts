/**
 * Why a call failed, in plain words for the operator reading the run in the Temporal Web UI: which
 * service, which endpoint (its method and path template, never the rendered URL, which can hold visitor
 * values), what happened, and whether Temporal will try again. For example
 * `Booking API answered 409 Conflict on POST /bookings: the slot is taken. Not retried: ...`.
 *
 * These texts end up in workflow history (activity results and failures, the action run's result), so
 * they never carry a secret (every text passes the call's masker) nor visitor data: the tenant's own
 * error message is quoted only after every value the call was given (answers, contact) and anything
 * shaped like an email address or a phone or card number is taken out.
 */
import { STATUS_CODES } from 'node:http';
import type { Masker } from '../../core/http/mask';
import type { VariableValue } from '../../models/flow.schema';
import type { SendFailureCode } from './send';

/** The call being described: the connection's name and the endpoint's method and path template. */
export interface CallDescription {
  service: string;
  method: string;
  path: string;
}

/** What must never appear in an operator text: the call's secrets (the masker) and the visitor's values. */
export interface Redaction {
  mask: Masker;
  values: Record<string, VariableValue>;
  contact?: { name?: string; email?: string; phone?: string };
}

const REDACTED = '[redacted]';
/** Longest quote of the tenant's own message. */
const MAX_QUOTE_CHARS = 160;
const EMAIL = /[^\s@"'<>()[\],;:]+@[^\s@"'<>()[\],;:]+\.[A-Za-z]{2,}/g;
// Seven or more digits, possibly grouped by spaces, dots, dashes or parentheses: phone and card numbers.
const LONG_NUMBER = /\+?\d[\d\s().-]{5,}\d/g;

export const NOT_RETRIED = 'Not retried: the same request would get the same answer.';

/** `POST /bookings` on "Booking API". */
export function onCall(call: CallDescription): string {
  return `${call.method} ${call.path}`;
}

/** `409 Conflict`. */
export function statusText(status: number): string {
  const text = STATUS_CODES[status];
  return text ? `${status} ${text}` : `HTTP ${status}`;
}

/** `Booking API answered 409 Conflict on POST /bookings: the slot is taken` (the quote only when there is one). */
export function answered(call: CallDescription, status: number, body: string, redaction: Redaction): string {
  const quote = tenantMessage(body, redaction);
  return `${call.service} answered ${statusText(status)} on ${onCall(call)}${quote ? `: ${quote}` : ''}`;
}

const NETWORK_WORDS: Record<SendFailureCode, string> = {
  blocked_address: 'its address is refused by the network policy (private, loopback, link-local or metadata addresses, or plain http, are not allowed for this connection)',
  timeout: 'it did not answer in time',
  dns: 'its host name could not be resolved (DNS)',
  refused: 'it refused the connection',
  tls: 'the secure (TLS) connection failed',
  too_large: 'it answered with more data than allowed',
  network: 'the connection failed (reset or closed)',
  cancelled: 'the call was cancelled',
};

/** `Booking API could not be reached on POST /bookings: it refused the connection`. */
export function notReached(call: CallDescription, code: SendFailureCode, timeoutMs: number): string {
  if (code === 'timeout') return `${call.service} did not answer within ${timeoutMs} ms on ${onCall(call)}`;
  if (code === 'blocked_address') return `${call.service} was not called on ${onCall(call)}: ${NETWORK_WORDS[code]}`;
  if (code === 'too_large') return `${call.service} ${NETWORK_WORDS[code]} on ${onCall(call)}; the response was refused`;
  return `${call.service} could not be reached on ${onCall(call)}: ${NETWORK_WORDS[code]}`;
}

/**
 * Whether Temporal tries a transient failure again, from the activity's attempt and retry policy:
 * `Will be retried (attempt 1 of 3).` or `No attempts left (attempt 3 of 3).`
 */
export function retryWords(retry: { attempt: number; maximumAttempts?: number } | undefined): string {
  if (!retry) return 'Temporary: Temporal retries it per the step\'s retry policy.';
  const { attempt, maximumAttempts } = retry;
  if (!maximumAttempts) return `Will be retried (attempt ${attempt}, no attempt limit).`;
  return attempt < maximumAttempts ? `Will be retried (attempt ${attempt} of ${maximumAttempts}).` : `No attempts left (attempt ${attempt} of ${maximumAttempts}).`;
}

/**
 * The tenant's own short error message from its response body (`message`, `error`, `detail`, `title`,
 * `error_description`, or the first of `errors`), or a short plain-text body; with secrets masked and
 * visitor data taken out. Undefined when there is nothing readable (HTML pages, long or binary bodies).
 */
export function tenantMessage(body: string, redaction: Redaction): string | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  let found: string | undefined;
  try {
    found = messageIn(JSON.parse(text) as unknown);
  } catch {
    // Not JSON: a short line of plain text reads as the message; markup or long bodies do not.
    if (text.length <= MAX_QUOTE_CHARS && !/[<>{}\n]/.test(text)) found = text;
  }
  if (!found) return undefined;
  const clean = redact(found.replace(/\s+/g, ' ').trim(), redaction);
  if (clean === '') return undefined;
  return clean.length > MAX_QUOTE_CHARS ? `${clean.slice(0, MAX_QUOTE_CHARS - 1)}…` : clean;
}

const MESSAGE_KEYS = ['message', 'error_description', 'detail', 'error', 'title', 'reason', 'description'];

function messageIn(value: unknown, depth = 0): string | undefined {
  if (depth > 3) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length > 0 ? messageIn(value[0], depth + 1) : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  for (const key of MESSAGE_KEYS) {
    const found = Object.hasOwn(record, key) ? messageIn(record[key], depth + 1) : undefined;
    if (found) return found;
  }
  return Object.hasOwn(record, 'errors') ? messageIn(record.errors, depth + 1) : undefined;
}

/** Masks secrets, then takes out every value the call was given and anything shaped like contact data. */
export function redact(text: string, redaction: Redaction): string {
  let out = redaction.mask(text);
  const values = [...Object.values(redaction.values), ...Object.values(redaction.contact ?? {})]
    .map((value) => (typeof value === 'string' || typeof value === 'number' ? String(value).trim() : ''))
    // Very short values ("1", "no") would blank out ordinary words; they say nothing about a person.
    .filter((value) => value.length >= 3)
    .sort((a, b) => b.length - a.length);
  for (const value of values) out = replaceAll(out, value);
  return out.replace(EMAIL, REDACTED).replace(LONG_NUMBER, (match) => (match.replace(/\D/g, '').length >= 7 ? REDACTED : match));
}

/** Case-insensitive replacement of a literal. */
function replaceAll(text: string, literal: string): string {
  const pattern = new RegExp(literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  return text.replace(pattern, REDACTED);
}
