/**
 * `GET /ready`: whether this API instance can serve, i.e. whether Temporal and MongoDB both answer now.
 * A load balancer or Kubernetes' readinessProbe takes an instance that answers 503 out of rotation until
 * both are back (`GET /healthz` stays the liveness check: the process serves). Each check is cheap (one
 * GetSystemInfo call to the Temporal frontend, one `ping` to MongoDB), bounded by a short deadline, and
 * its answer is shared by the requests of the next second, so probes or an anonymous caller hammering the
 * route cost the backends at most one check of each per second.
 */
import type { Client } from '@temporalio/client';
import type { RequestHandler } from 'express';
import type { Connection as MongoConnection } from 'mongoose';
import { z } from 'zod';
import { AppError } from './errors';

export const ReadyAnswer = z.object({ status: z.literal('ok'), temporal: z.literal('ok'), mongodb: z.literal('ok') });
type CheckResult = 'ok' | 'unavailable';

export interface ReadinessOptions {
  /** How long each check may take before it counts as unavailable; default 2000 ms. */
  timeoutMs?: number;
  /** How long a result is reused; default 1000 ms. */
  cacheMs?: number;
}

/** Resolves to 'unavailable' when `check` rejects or takes longer than `ms`. */
async function within(ms: number, check: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), ms);
  });
  try {
    return await Promise.race([check().then((): CheckResult => 'ok', (): CheckResult => 'unavailable'), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks Temporal (the frontend answers GetSystemInfo) and MongoDB (`ping`) at once. */
export function readinessCheck(deps: { temporal: Client; db: MongoConnection }, options: ReadinessOptions = {}): () => Promise<{ temporal: CheckResult; mongodb: CheckResult }> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const cacheMs = options.cacheMs ?? 1000;
  let last: { at: number; result: Promise<{ temporal: CheckResult; mongodb: CheckResult }> } | undefined;
  const run = async (): Promise<{ temporal: CheckResult; mongodb: CheckResult }> => {
    const [temporal, mongodb] = await Promise.all([
      within(timeoutMs, () => deps.temporal.connection.withDeadline(Date.now() + timeoutMs, () => deps.temporal.workflowService.getSystemInfo({}))),
      within(timeoutMs, async () => {
        // Not connected (or reconnecting): no round trip to wait for.
        if (deps.db.readyState !== 1 || !deps.db.db) throw new Error('MongoDB is not connected');
        await deps.db.db.admin().ping();
      }),
    ]);
    return { temporal, mongodb };
  };
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= cacheMs) last = { at: now, result: run() };
    return last.result;
  };
}

/** The route: 200 `{status, temporal, mongodb}` when both answer, else 503 `not_ready` naming which did not. */
export function readyRoute(check: ReturnType<typeof readinessCheck>): RequestHandler {
  return (_req, res, next) => {
    check().then(
      (result) => {
        if (result.temporal === 'ok' && result.mongodb === 'ok') {
          res.set('Cache-Control', 'no-store').json({ status: 'ok', temporal: 'ok', mongodb: 'ok' } satisfies z.infer<typeof ReadyAnswer>);
          return;
        }
        const down = [result.temporal !== 'ok' ? 'Temporal' : undefined, result.mongodb !== 'ok' ? 'MongoDB' : undefined].filter(Boolean).join(' and ');
        next(new AppError(503, 'not_ready', `${down} did not answer: this instance cannot serve now`, result));
      },
      (error: unknown) => next(error),
    );
  };
}
