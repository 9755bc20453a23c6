/**
 * The OpenAPI entry of issue 21's callback route: `POST /v1/callbacks/:token`, where a business answers a
 * long-running call. It mirrors api/routes/callbacks.ts; no API key (the token is the credential).
 */
import { CallbackAnswer, CallbackBody, CallbackParams } from '../routes/callbacks';
import type { RouteRegistry } from './registry';

export function registerCallbackRoutes(registry: RouteRegistry): void {
  registry.add({
    method: 'post',
    path: '/v1/callbacks/:token',
    summary: "A business's callback: the result of a long-running call",
    description:
      'The one-time URL Parley handed the business in the callback-source parameter of a long-running call (`longRunning.mode: "callback"`). ' +
      'No API key: the signed token is the credential, bound to the account, the action run, the endpoint and the call\'s deadline. ' +
      "The body is judged by the endpoint's rules (`failWhen` first, then `completeWhen`; without `completeWhen` any body that is not a failure completes), " +
      "and only the outcome and the endpoint's `resultFields` reach the run, which then continues the conversation. " +
      'A retry of the same callback (same URL, same body) is answered the same; a different result after one was accepted is refused.',
    tag: 'callbacks',
    security: 'none',
    params: CallbackParams,
    body: CallbackBody,
    success: { status: 202, description: 'accepted: the run continues with this result', schema: CallbackAnswer },
    responses: {
      400: 'invalid input: `invalid_json`: the body is not JSON; `invalid_body`: it is not a JSON object; `invalid_path`',
      404: '`callback_not_found`: no callback is expected at this URL (an unknown, malformed or forged token, or its endpoint was deleted)',
      409: '`callback_used`: a different result was already accepted at this URL',
      410: "`callback_expired`: the call is over (its deadline passed, it was cancelled, the conversation closed) or its endpoint no longer takes callbacks",
      422: "`callback_not_final`: the body is neither the completion nor the failure the endpoint waits for; the URL stays usable (`details` names the rules' paths)",
      429: '`rate_limited`: the per-client-address limit (CALLBACKS_PER_MINUTE_PER_ADDRESS)',
      503: '`temporal_unavailable`: the run did not take the callback in time; send it again (the same callback is taken once)',
    },
  });
}
