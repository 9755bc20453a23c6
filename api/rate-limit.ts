import type { Request, Response } from 'express';
import type { Connection as MongoConnection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { deleteExpiredInBatches, type BatchBounds } from '../models/retention';
import { AppError } from './errors';

/**
 * Limits shared by every API instance: fixed windows counted in MongoDB by rate-limiter-flexible's
 * RateLimiterMongo, on the API's own mongoose connection (collection `rate_limits`).
 *
 * FerretDB (and any store without TTL indexes) is supported by not letting the library create its
 * indexes (`disableIndexesCreation`): we create a plain unique index on `key` (which its upsert relies
 * on) and a plain one on `expire`, and a clean-up timer in this process deletes expired rows, oldest
 * first from that index, in bounded batches (models/retention.ts). Rows that expired but are not deleted
 * yet are harmless: the library replaces an expired row on its next use. Works the same on MongoDB.
 *
 * When the store fails (unreachable, erroring, or slower than the store timeout, 2 s by default), a
 * limiter answers `unavailable` and the route's policy decides (`failsClosed`): the routes that spend
 * money or run models answer 503 `rate_limit_unavailable` with `Retry-After`, so an outage of the store
 * cannot become unmetered LLM spend or mass sign-ups; every other route lets the request through, so the
 * outage does not become a full one. Each failure is counted (`onStoreError`) and logged, once a minute at most.
 */
export const RATE_LIMIT_COLLECTION = 'rate_limits';
const STORE_TIMEOUT_MS = 2000;
const CLEANUP_EVERY_MS = 60_000;
/** `Retry-After` adds 0 to this many whole seconds, at random, so refused clients do not all come back in the same second. */
export const RETRY_AFTER_JITTER_SECONDS = 5;
/** `Retry-After` of a 503 for a store failure, before the jitter: a guess, as nobody knows when the store is back. */
export const STORE_RETRY_AFTER_SECONDS = 5;

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** The store could not count the request: it is unreachable, failed, or did not answer in time. */
export interface LimitUnavailable {
  unavailable: true;
  /** The limiter's name (`key`, `signup-address`...). */
  limiter: string;
}

export type LimitOutcome = LimitResult | LimitUnavailable;

export const isUnavailable = (outcome: LimitOutcome | undefined): outcome is LimitUnavailable => outcome !== undefined && 'unavailable' in outcome;

export interface SharedLimiter {
  readonly limit: number;
  /** Counts one request for `key`; never rejects, and settles within the store timeout. */
  consume(key: string): Promise<LimitOutcome>;
}

type Log = (message: string, error?: unknown) => void;

export interface SharedLimitersOptions {
  /** The connection whose database holds `rate_limits` (the API's own). */
  db: MongoConnection;
  log: Log;
  /** Told the limiter's name each time one answers 429 (the `parley_rate_limited_total` metric). */
  onRefused?: (limiter: string) => void;
  /** Told the limiter's name each time its store fails (the `parley_rate_limit_store_errors_total` metric). */
  onStoreError?: (limiter: string) => void;
  /** How long a count may take before it is treated as a store failure; default 2000 ms. */
  storeTimeoutMs?: number;
}

export interface SharedLimiters {
  create(name: string, points: number, durationSeconds: number): SharedLimiter;
  /** Stops the clean-up timer (also stopped when the connection closes). */
  close(): void;
}

/** The indexes of `rate_limits`: `key` for the library's upsert (unique, so two instances share one row), `expire` for the clean-up. */
export const RATE_LIMIT_INDEXES: ReadonlyArray<{ key: Record<string, 1>; unique?: true }> = [{ key: { key: 1 }, unique: true }, { key: { expire: 1 } }];

/**
 * Deletes the rows of windows that are over (what a TTL index would do), in bounded batches from the
 * `expire` index (at most `maxBatches` × `batchSize` a run; the next run carries on); returns how many.
 * A row whose window started again meanwhile (the library renews an expired row in place) is kept.
 */
export async function sweepExpiredRateLimits(db: MongoConnection, now = new Date(), bounds: BatchBounds = {}): Promise<number> {
  const result = await deleteExpiredInBatches(db.collection(RATE_LIMIT_COLLECTION), {
    reason: 'rate limits: windows that are over, for every key',
    filter: { expire: { $lte: now } },
    sort: { expire: 1 },
    ...bounds,
  });
  return result.deleted;
}

const cleaners = new WeakMap<MongoConnection, NodeJS.Timeout>();

/** A store error as it may be logged: name and message, with a connection string's credentials taken out. */
export function withoutCredentials(error: unknown): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const scrubbed = new Error(source.message.replace(/\/\/[^\s/@]*@/g, '//[redacted]@'));
  scrubbed.name = source.name;
  return scrubbed;
}

export function createSharedLimiters(options: SharedLimitersOptions): SharedLimiters {
  const { db, log, onRefused, onStoreError } = options;
  const storeTimeoutMs = options.storeTimeoutMs ?? STORE_TIMEOUT_MS;
  const collection = db.collection(RATE_LIMIT_COLLECTION);
  const ready = Promise.all(RATE_LIMIT_INDEXES.map(({ key, unique }) => collection.createIndex(key, unique ? { unique } : {}))).then(
    () => true,
    (error: unknown) => {
      log('rate limiter: cannot create indexes on rate_limits', withoutCredentials(error));
      return false;
    },
  );
  let warnedAt = 0;
  const storeFailed = (limiter: string, error: unknown): void => {
    onStoreError?.(limiter);
    // One log line a minute at most: a store outage would otherwise log on every request.
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    log(`rate limiter store unavailable (limiter ${limiter}): routes that spend money or run models answer 503, the others let requests through (fail open)`, withoutCredentials(error));
  };
  // One clean-up timer per connection (several apps may share one, as in tests); unref'd, and stopped
  // when the connection closes. A sweep still running when the next is due (a backlog) is not joined by another.
  if (!cleaners.has(db)) {
    let sweeping = false;
    const timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      sweepExpiredRateLimits(db)
        .catch(() => undefined)
        .finally(() => (sweeping = false));
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
          // The whole of it is bounded, index creation included: a store that accepts connections but
          // never answers (mongoose also buffers operations while it is disconnected) must not hold requests.
          const res = await Promise.race([
            ready.then(() => limiter.consume(key)),
            new Promise<never>((_, reject) => {
              timeout = setTimeout(() => reject(new Error(`no answer within ${storeTimeoutMs} ms`)), storeTimeoutMs);
            }),
          ]);
          return toResult(res, true);
        } catch (error) {
          // The library rejects with a RateLimiterRes when the limit is used up, with an Error when the store fails.
          if (error instanceof RateLimiterRes) {
            onRefused?.(name);
            return toResult(error, false);
          }
          storeFailed(name, error);
          return { unavailable: true, limiter: name };
        } finally {
          clearTimeout(timeout);
        }
      },
    };
  };
  return { create, close };
}

/**
 * The paths whose POSTs fail closed when the store fails: the ones that spend money or run models.
 * Sign-up (an account and a key each time, hashed with scrypt: the per-address limit is what stops mass
 * creation), starting a conversation and every visitor turn of the API channel and of the widget (a turn
 * runs the bot's flows, its Smart AI tool loop on the tenant's LLM and its API actions), confirming an
 * action, and any `/analyze` (knowledge drafts by the bot's LLM). Case-insensitive like Express' routing;
 * a trailing slash routes the same. test/unit/rate-limit.test.ts keeps this list equal to the routes the
 * OpenAPI document gives a 503.
 */
const FAIL_CLOSED_ROUTES: readonly RegExp[] = [
  /^\/v1\/accounts\/?$/i,
  /^\/v1\/conversations(?:\/[^/]+\/(?:messages|confirm))?\/?$/i,
  /^\/v1\/(?:[^/]+\/)*analyze\/?$/i,
  /^\/widget\/v1\/[^/]+\/conversations(?:\/[^/]+\/messages)?\/?$/i,
];

/** Whether a request to `path` must be refused (503) rather than let through when the limit store fails. */
export function failsClosed(method: string, path: string): boolean {
  return method === 'POST' && FAIL_CLOSED_ROUTES.some((route) => route.test(path));
}

/** `seconds` plus 0..RETRY_AFTER_JITTER_SECONDS whole seconds at random. */
export const withJitter = (seconds: number): number => Math.max(1, Math.ceil(seconds)) + Math.floor(Math.random() * (RETRY_AFTER_JITTER_SECONDS + 1));

/**
 * Sets the X-RateLimit-* headers from the limit nearest to refusing, and answers the error to throw:
 * 429 when a limit refused; 503 when a store failed and the request's route fails closed (`failsClosed`).
 * `undefined` entries are limits that do not apply to this request. `Retry-After` (and
 * `details.retryAfterSeconds`, the same number) has jitter; `X-RateLimit-Reset` is the window's exact reset.
 */
export function applyLimits(req: Request, res: Response, outcomes: Array<LimitOutcome | undefined>): AppError | undefined {
  const known = outcomes.filter((r): r is LimitResult => r !== undefined && !isUnavailable(r));
  const refused = known.find((r) => !r.allowed);
  if (known.length > 0) {
    const shown = refused ?? known.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    res.setHeader('X-RateLimit-Limit', String(shown.limit));
    res.setHeader('X-RateLimit-Remaining', String(shown.remaining));
    res.setHeader('X-RateLimit-Reset', String(shown.resetSeconds));
  }
  if (refused) {
    const retryAfterSeconds = withJitter(refused.resetSeconds);
    res.setHeader('Retry-After', String(retryAfterSeconds));
    return new AppError(429, 'rate_limited', `rate limit of ${refused.limit} requests exceeded; retry in ${retryAfterSeconds} s`, {
      limit: refused.limit,
      retryAfterSeconds,
    });
  }
  if (outcomes.some(isUnavailable) && failsClosed(req.method, `${req.baseUrl}${req.path}`)) {
    const retryAfterSeconds = withJitter(STORE_RETRY_AFTER_SECONDS);
    res.setHeader('Retry-After', String(retryAfterSeconds));
    return new AppError(503, 'rate_limit_unavailable', `this request cannot be rate limited right now, so it is refused; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
  return undefined;
}
