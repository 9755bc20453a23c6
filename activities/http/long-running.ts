/**
 * What `callEndpoint` does for a long-running endpoint (issue 21):
 * - callback mode: every `callback`-source parameter gets the one-time callback URL, minted on each
 *   attempt from the run binding the workflow passes (never the URL itself: it would sit in workflow
 *   history) and masked like a secret wherever the call is described;
 * - poll mode: the first 2xx answer must name the job (a body field or its Location header) and that job
 *   must make a status URL on the connection's base URL, else the call failed.
 */
import { jobReference, statusUrl, type PollSettings } from '../../core/http/long-running';
import type { Masker } from '../../core/http/mask';
import { mintCallbackToken } from '../../models/callback-token';
import type { EndpointDoc } from '../../models/connection.model';
import type { CallEndpointInput, CallEndpointResult } from './call-types';
import type { HttpContext } from './connection';
import { parseJson } from './response';
import type { SendResult } from './send';

/** What Run Test sends as the callback URL: nothing can call it back (there is no run to resume). */
export const RUN_TEST_CALLBACK_URL = 'https://callback.invalid/run-test';

/** Whether the endpoint needs a callback URL made for it. */
export function needsCallbackUrl(endpoint: Pick<EndpointDoc, 'parameters' | 'longRunning'>): boolean {
  return endpoint.longRunning?.mode === 'callback' || endpoint.parameters.some((p) => p.source === 'callback');
}

/**
 * The callback URL of this call, and the strings to mask wherever the call is logged or described;
 * or, when it cannot be made, why (for the operator).
 */
export function callbackUrl(context: Pick<HttpContext, 'callbacks'>, input: Pick<CallEndpointInput, 'kind' | 'accountId' | 'callback'>, endpointId: string): { url: string; secrets: string[] } | { reason: string } {
  if (input.kind === 'endpoint_test') return { url: RUN_TEST_CALLBACK_URL, secrets: [] };
  if (!context.callbacks) return { reason: "the endpoint answers through a callback URL, but this worker has no PUBLIC_URL (the API's public base URL) to make one on; set PUBLIC_URL on the worker" };
  if (!input.callback) return { reason: 'the endpoint answers through a callback URL, but it was called outside a long-running step (no run to call back); publish the bot again so the step knows it waits' };
  const token = mintCallbackToken(context.callbacks.keySpec, { accountId: input.accountId, runId: input.callback.runId, endpointId, expiresAt: input.callback.expiresAt });
  const url = `${context.callbacks.publicUrl}/v1/callbacks/${token}`;
  return { url, secrets: [url, token] };
}

/**
 * A polled call's job reference from its 2xx answer, checked to make a status URL; or why not (for the
 * operator, without anything from the body). A reference that holds one of the call's secrets is refused:
 * it would enter workflow history.
 */
export function pollJobOf(settings: PollSettings, baseUrl: string, result: Extract<SendResult, { kind: 'response' }>, mask: Masker): { job: string } | { reason: string } {
  const parsed = parseJson(result.body);
  const found = jobReference(settings, { headers: result.headers, body: parsed.ok ? parsed.value : undefined });
  if (!found.ok) return { reason: found.reason };
  if (mask(found.job) !== found.job) return { reason: 'the job reference holds one of the connection\'s credentials' };
  const url = statusUrl(baseUrl, settings, found.job);
  if (!url.ok) return { reason: url.reason };
  return { job: found.job };
}

/** The visitor-safe failure of a polled call whose answer named no usable job. */
export function noJobResult(status: number, reason: string): Extract<CallEndpointResult, { ok: false }> {
  return { ok: false, status, code: 'invalid_response', message: 'The service answered in an unexpected format.', reason };
}
