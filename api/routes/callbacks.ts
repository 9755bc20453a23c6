/**
 * `POST /v1/callbacks/:token`: a business answers a long-running call (issue 21). No API key: the token
 * is the credential, signed by the worker when it made the call (models/callback-token.ts) and bound to
 * the account, the action run, the endpoint and the call's deadline.
 *
 * The body is judged here against the endpoint's rules (core/http/long-running.ts), and only the outcome
 * and the kept result fields go to the run, as the `callback` Update: an Update rather than a signal so
 * the business hears whether its callback was taken (the run's validator refuses a second, different
 * result before anything enters history). The Update's id is derived from the token and the body, so an
 * HTTP retry of the same callback is the same Update and is answered the same.
 *
 * A forged or malformed token is answered exactly as an unknown one (404, never why); the token never
 * reaches a log (the request log names the route pattern, not the path).
 */
import { isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Router } from 'express';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { addressLimitKey } from '../client-address';
import { judgeCallback } from '../../core/http/long-running';
import { callbackExpired, MAX_TOKEN_CHARS, verifyCallbackToken } from '../../models/callback-token';
import type { CallbackResult } from '../../models/long-running.schema';
import { callbackUpdate } from '../../workflows/definitions';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { applyLimits, type SharedLimiters } from '../rate-limit';
import { isWaitExpired } from '../temporal-errors';

/** The path parameter as documented (any other value is answered 404 like an unknown token). */
export const CallbackParams = z.object({
  token: z
    .string()
    .max(MAX_TOKEN_CHARS)
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    .describe('the one-time token of the callback URL Parley gave the business'),
});

/** What the business posts: its result, as a JSON object the endpoint's rules read. */
export const CallbackBody = z.record(z.string(), z.unknown()).describe("the job's result: a JSON object, judged by the endpoint's `longRunning` rules (`failWhen`, then `completeWhen`) and read by its `resultFields`");

export const CallbackAnswer = z.object({ accepted: z.literal(true) });

const notFound = (): AppError => new AppError(404, 'callback_not_found', 'no callback is expected at this URL');
const expired = (): AppError => new AppError(410, 'callback_expired', 'this callback URL has expired: the call it belonged to is over');

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function callbacksRouter(deps: ApiDeps, options: { limiters: SharedLimiters }): Router {
  const router = Router();
  const perAddress = options.limiters.create('callback-address', deps.config.CALLBACKS_PER_MINUTE_PER_ADDRESS, 60);

  router.post('/v1/callbacks/:token', async (req, res) => {
    const refused = applyLimits(req, res, [await perAddress.consume(addressLimitKey(req.ip))]);
    if (refused) throw refused;
    const token = String(req.params.token ?? '');
    const claims = verifyCallbackToken(deps.config.PARLEY_SECRET_KEYS, token);
    if (!claims) throw notFound();
    if (callbackExpired(claims)) throw expired();
    const endpoint = await deps.Endpoint.findOne({ _id: claims.e, accountId: claims.a }, { longRunning: 1 }).lean();
    if (!endpoint) throw notFound();
    const settings = endpoint.longRunning;
    // The endpoint stopped taking callbacks since the call was made: nothing can accept this one.
    if (settings?.mode !== 'callback') throw expired();

    const body: unknown = req.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AppError(400, 'invalid_body', 'send the result as a JSON object ("Content-Type: application/json")', { expected: 'object' });
    }
    const verdict = judgeCallback(settings, body);
    if (verdict.outcome === 'unrecognised') {
      throw new AppError(422, 'callback_not_final', 'this body is neither the completion nor the failure the endpoint waits for; the URL stays usable for the final result', {
        completeWhen: settings.completeWhen ? { path: settings.completeWhen.path, op: settings.completeWhen.op } : null,
        failWhen: settings.failWhen ? { path: settings.failWhen.path, op: settings.failWhen.op } : null,
      });
    }
    const result: CallbackResult = { outcome: verdict.outcome, fields: verdict.fields };
    // The same token and body: the same Update (Temporal answers a repeated update id with the first outcome).
    const updateId = `callback-${sha256(token).slice(0, 32)}-${sha256(JSON.stringify(body)).slice(0, 32)}`;
    try {
      await deps.temporal.withDeadline(Date.now() + deps.config.REPLY_WAIT_MS, () => deps.temporal.workflow.getHandle(claims.r).executeUpdate(callbackUpdate, { args: [result], updateId }));
    } catch (error) {
      const answer = callbackUpdateError(error);
      if (answer instanceof AppError && answer.status === 503) res.setHeader('Retry-After', '5');
      throw answer;
    }
    res.status(202).json({ accepted: true });
  });
  return router;
}

/** What Temporal answered, as the callback's HTTP answer; anything unforeseen stays a 500 with no detail. */
function callbackUpdateError(error: unknown): unknown {
  if (error instanceof WorkflowNotFoundError) return expired();
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === 'CallbackAlreadyUsed') return new AppError(409, 'callback_used', 'a result was already accepted at this URL');
      // The run's call is not a callback call (its settings changed when it was published again).
      if (cause.type === 'CallbackNotExpected') return expired();
    }
    return error;
  }
  const message = (error as Error | undefined)?.message ?? '';
  // The run has closed (deadline, cancelled, the conversation closed) between the check and the Update.
  if (/workflow execution already completed|workflow.*(completed|closed|terminated)/i.test(message)) return expired();
  if (isGrpcServiceError(error) && (error as { code?: number }).code === 14) return new AppError(503, 'temporal_unavailable', 'the workflow engine is unreachable; send the callback again shortly', { retryAfterSeconds: 5 });
  if (isWaitExpired(error)) return new AppError(503, 'temporal_unavailable', 'the call did not take the callback in time; send it again (the same callback is taken once)', { retryAfterSeconds: 5 });
  return error;
}
