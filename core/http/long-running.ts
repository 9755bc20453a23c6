/**
 * Long-running calls (issue 21), the pure parts shared by the worker's activities and the API's callback
 * route: judging a status or callback body against the endpoint's rules, reading the job reference from
 * the first response, and building the status URL, which never leaves the connection's base URL (the
 * poll carries the connection's credentials).
 */
import type { JobRule, LongRunning } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { pickFields } from './fields';
import { readPath } from './jsonPath';
import type { Masker } from './mask';
import { renderRequest, RequestRenderError } from './request';
import { checkResponse } from './validation';

export type PollSettings = Extract<LongRunning, { mode: 'poll' }>;
export type CallbackSettings = Extract<LongRunning, { mode: 'callback' }>;

/** Longest job reference kept (it travels in workflow history and into the status URL). */
export const MAX_JOB_CHARS = 500;

const unmasked: Masker = (text) => text;

/** Whether `rule` holds on `body` (response validation's semantics: fails closed). */
export function ruleHolds(rule: JobRule, body: unknown): boolean {
  return checkResponse([{ path: rule.path, op: rule.op, ...(rule.value !== undefined ? { value: rule.value } : {}), message: 'rule' }], body, {}).ok;
}

/** `$.status equals "done"`: a rule in plain words for the operator (never a value from the body). */
export function ruleText(rule: JobRule): string {
  return `${rule.path} ${rule.op}${rule.value !== undefined ? ` ${JSON.stringify(rule.value)}` : ''}`;
}

type Rules = Pick<LongRunning, 'completeWhen' | 'failWhen' | 'resultFields'>;

/**
 * A status or callback body against the rules: `failWhen` first, then `completeWhen` (absent: anything
 * that is not a failure completes); neither holds: `pending`. Fields are picked when it is final.
 */
export function judgeBody(rules: Rules, body: unknown, mask: Masker = unmasked): { outcome: 'completed' | 'failed'; fields: Record<string, VariableValue> } | { outcome: 'pending' } {
  if (rules.failWhen && ruleHolds(rules.failWhen, body)) return { outcome: 'failed', fields: pickFields(body, rules.resultFields, mask) };
  if (!rules.completeWhen || ruleHolds(rules.completeWhen, body)) return { outcome: 'completed', fields: pickFields(body, rules.resultFields, mask) };
  return { outcome: 'pending' };
}

/**
 * The business's callback body, judged by the callback route: `failWhen` first; `completeWhen` absent
 * means any callback that is not a failure completes. `unrecognised`: neither rule holds, so the URL is
 * not used up (the business may send the final result later).
 */
export function judgeCallback(longRunning: Pick<LongRunning, 'completeWhen' | 'failWhen' | 'resultFields'>, body: unknown): { outcome: 'completed' | 'failed'; fields: Record<string, VariableValue> } | { outcome: 'unrecognised' } {
  const verdict = judgeBody(longRunning, body);
  return verdict.outcome === 'pending' ? { outcome: 'unrecognised' } : verdict;
}

export type JobReference = { ok: true; job: string } | { ok: false; reason: string };

/**
 * The job reference a polled call's first (2xx) response names: a string or number at `job.path` of
 * the JSON body, or the `Location` header. At most MAX_JOB_CHARS visible characters.
 */
export function jobReference(settings: PollSettings, response: { headers: Record<string, string>; body: unknown }): JobReference {
  let value: unknown;
  let where: string;
  if (settings.job.from === 'location') {
    value = response.headers.location;
    where = 'a Location header';
  } else {
    value = readPath(response.body, settings.job.path);
    where = `a job reference at ${settings.job.path}`;
  }
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, reason: `the response has no ${where.replace(/^a /, '')} (a string or number), so there is no job to poll` };
  const job = value.trim();
  if (job.length > MAX_JOB_CHARS) return { ok: false, reason: `${where} is longer than ${MAX_JOB_CHARS} characters` };
  if (!/^[\x21-\x7e]+$/.test(job)) return { ok: false, reason: `${where} holds spaces, control or non-ASCII characters` };
  return { ok: true, job };
}

export type StatusUrl = { ok: true; url: string } | { ok: false; reason: string };

/**
 * Where the job's status is read. With a `statusPath`: that path with `{job}` as one percent-encoded path
 * segment, under the connection's base URL, exactly as an endpoint path is rendered (a job that is or
 * decodes to `.`/`..` or holds a separator is refused). Else (`job.from: location`) the Location value
 * resolved against the base URL, which must stay on the base URL's origin and under its path: the poll
 * carries the connection's credentials, which never go anywhere else.
 */
export function statusUrl(baseUrl: string, settings: PollSettings, job: string): StatusUrl {
  if (settings.job.from === 'location' || !settings.statusPath) {
    if (settings.job.from !== 'location') return { ok: false, reason: 'the endpoint names no status path' };
    return locationUrl(baseUrl, job);
  }
  try {
    const rendered = renderRequest({
      baseUrl,
      endpoint: { method: 'GET', path: settings.statusPath, parameters: [{ name: 'job', type: 'string', required: true, in: 'path', description: '', source: 'constant' }] },
      values: { job },
    });
    return { ok: true, url: rendered.url };
  } catch (error) {
    if (error instanceof RequestRenderError) return { ok: false, reason: error.code === 'invalid_value' ? 'the job reference cannot be put in a URL path (it is or decodes to . or .., or holds a / or \\)' : `the status path is not usable: ${error.message}` };
    throw error;
  }
}

/** A Location resolved against the base URL, refused when it leaves the base URL's origin or path. */
export function locationUrl(baseUrl: string, location: string): StatusUrl {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return { ok: false, reason: 'the connection has an invalid base URL' };
  }
  const basePath = base.pathname.replace(/\/+$/, '');
  let url: URL;
  try {
    // Relative to the base path as a folder: `jobs/1` under `https://api.example.com/v2` is `/v2/jobs/1`.
    url = new URL(location, `${base.origin}${basePath}/`);
  } catch {
    return { ok: false, reason: 'the Location header is not a URL' };
  }
  if (url.origin !== base.origin) return { ok: false, reason: `the Location header points to another origin than the connection's ${base.origin}; its credentials are never sent there` };
  if (url.username || url.password) return { ok: false, reason: 'the Location header carries a user name or password' };
  if (basePath !== '' && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return { ok: false, reason: `the Location header points outside the connection's base path ${basePath}` };
  url.hash = '';
  return { ok: true, url: url.toString() };
}
