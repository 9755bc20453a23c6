import type { Response } from 'express';
import type { Connection as MongoConnection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './errors';

/**
 * Limits shared by every API instance: fixed windows counted in MongoDB by rate-limiter-flexible's
 * RateLimiterMongo, on the API's own mongoose connection (collection `rate_limits`).
 *
 * FerretDB (and any store without TTL indexes) is supported by not letting the library create its
 * indexes (`disableIndexesCreation`): we create a plain unique index on `key` (which its upsert relies
 * on) and a plain one on `expire`, and a clean-up timer in this process deletes expired rows. Rows
 * that expired but are not deleted yet are harmless: the library replaces an expired row on its next
 * use. Works the same on MongoDB.
 *
 * Fail open: if the store cannot be reached (or answers slower than STORE_TIMEOUT_MS), the request is
 * let through and a warning is logged. A limiter outage must never turn into a 500 or a full outage.
 */
export const RATE_LIMIT_COLLECTION = 'rate_limits';
const STORE_TIMEOUT_MS = 2000;
const CLEANUP_EVERY_MS = 60_000;

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export interface SharedLimiter {
  readonly limit: number;
  /** Counts one request for `key`; `undefined` when the store failed (the caller lets the request through). */
  consume(key: string): Promise<LimitResult | undefined>;
}

type Log = (message: string, error?: unknown) => void;

export interface SharedLimiters {
  create(name: string, points: number, durationSeconds: number): SharedLimiter;
  /** Stops the clean-up timer (also stopped when the connection closes). */
  close(): void;
}

/** Deletes the rows of windows that are over (what a TTL index would do); returns how many. */
export async function sweepExpiredRateLimits(db: MongoConnection): Promise<number> {
  const result = await db.collection(RATE_LIMIT_COLLECTION).deleteMany({ expire: { $lte: new Date() } });
  return result.deletedCount;
}

const cleaners = new WeakMap<MongoConnection, NodeJS.Timeout>();

/** `onRefused` is told the limiter's name each time one answers 429 (the `parley_rate_limited_total` metric). */
export function createSharedLimiters(db: MongoConnection, log: Log, onRefused?: (limiter: string) => void): SharedLimiters {
  const collection = db.collection(RATE_LIMIT_COLLECTION);
  // A unique key is what makes two instances' concurrent first requests share one row.
  const ready = Promise.all([collection.createIndex({ key: 1 }, { unique: true }), collection.createIndex({ expire: 1 })]).then(
    () => true,
    (error: unknown) => {
      log('rate limiter: cannot create indexes on rate_limits', error);
      return false;
    },
  );
  let warnedAt = 0;
  const warn = (error: unknown): void => {
    // One warning a minute at most: a store outage would otherwise log on every request.
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    log('rate limiter store unreachable; letting requests through (fail open)', error);
  };
  // One clean-up timer per connection (several apps may share one, as in tests); unref'd, and stopped
  // when the connection closes.
  if (!cleaners.has(db)) {
    const timer = setInterval(() => {
      sweepExpiredRateLimits(db).catch(() => undefined);
    }, CLEANUP_EVERY_MS);
    timer.unref();
    cleaners.set(db, timer);
    db.once('close', () => {
      clearInterval(timer);
      cleaners.delete(db);
    });
  }
  const close = (): void => {
    clearInterval(cleaners.get(db));
    cleaners.delete(db);
  };

  const create = (name: string, points: number, durationSeconds: number): SharedLimiter => {
    const limiter = new RateLimiterMongo({
      storeClient: db,
      tableName: RATE_LIMIT_COLLECTION,
      keyPrefix: name,
      points,
      duration: durationSeconds,
      disableIndexesCreation: true,
    });
    const toResult = (res: RateLimiterRes, allowed: boolean): LimitResult => ({
      allowed,
      limit: points,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    });
    return {
      limit: points,
      async consume(key) {
        let timeout: NodeJS.Timeout | undefined;
        try {
          await ready;
          const res = await Promise.race([
            limiter.consume(key),
            new Promise<never>((_, reject) => {
              timeout = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
            }),
          ]);
          return toResult(res, true);
        } catch (error) {
          // The library rejects with a RateLimiterRes when the limit is used up, with an Error when the store fails.
          if (error instanceof RateLimiterRes) {
            onRefused?.(name);
            return toResult(error, false);
          }
          warn(error);
          return undefined;
        } finally {
          clearTimeout(timeout);
        }
      },
    };
  };
  return { create, close };
}

/** Sets the X-RateLimit-* headers from the limit nearest to refusing, or answers 429 when one refused. */
export function applyLimits(res: Response, results: Array<LimitResult | undefined>): AppError | undefined {
  const known = results.filter((r): r is LimitResult => r !== undefined);
  if (known.length === 0) return undefined;
  const refused = known.find((r) => !r.allowed);
  const shown = refused ?? known.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  res.setHeader('X-RateLimit-Limit', String(shown.limit));
  res.setHeader('X-RateLimit-Remaining', String(shown.remaining));
  res.setHeader('X-RateLimit-Reset', String(shown.resetSeconds));
  if (!refused) return undefined;
  res.setHeader('Retry-After', String(refused.resetSeconds));
  return new AppError(429, 'rate_limited', `rate limit of ${refused.limit} requests exceeded; retry in ${refused.resetSeconds} s`, {
    limit: refused.limit,
    retryAfterSeconds: refused.resetSeconds,
  });
}
