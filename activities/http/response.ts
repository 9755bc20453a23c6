/**
 * Reading a tenant API's answer: JSON parsing, the response fields a conversation may keep, Retry-After,
 * and visitor-safe wording for failed statuses (no URLs, bodies or tenant error text).
 */
// Moved to core/ so the API's callback route keeps fields the same way; re-exported for the activities.
export { MAX_FIELD_CHARS, parseJson, pickFields } from '../../core/http/fields';

/** Longest Retry-After honoured: a conversation cannot wait longer than this for one call. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Retry-After (seconds, or an HTTP date) in milliseconds, capped at `maxMs` (a webhook delivery, which
 * waits between attempts anyway, honours longer waits than a conversation's call); undefined when absent
 * or unreadable.
 */
export function retryAfterMs(header: string | undefined, now = Date.now(), maxMs = MAX_RETRY_AFTER_MS): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    if (!/^[A-Za-z]/.test(text)) return undefined; // HTTP dates start with the day's name
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), maxMs);
}

/** Says what went wrong without anything from the tenant's response. */
export function failureMessage(status: number): string {
  if (status === 401 || status === 403) return 'The service refused the request (not authorized).';
  if (status === 404) return 'The service could not find what was asked for.';
  if (status === 409) return 'The service reported a conflict with the current state.';
  if (status === 400 || status === 422) return 'The service did not accept the details given.';
  if (status >= 300 && status < 400) return 'The service tried to redirect the request; redirects are not followed.';
  if (status >= 500) return 'The service had a problem answering.';
  return `The service answered with an error (HTTP ${status}).`;
}
