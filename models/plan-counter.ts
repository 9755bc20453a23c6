/**
 * Usage counters that stay exact under concurrent requests, on MongoDB and on FerretDB alike.
 *
 * The obvious counter, `findOneAndUpdate({ _id, used: { $lt: limit } }, { $inc: { used: 1 } })`, is atomic
 * on MongoDB but not on FerretDB 1.24: its findAndModify reads the document, applies the update in Go and
 * writes the whole document back by `_id` (internal/handler/msg_findandmodify.go), so two requests that read
 * `used: 4` both write `used: 5` and both pass a limit of 5. What FerretDB does do atomically is an insert
 * under a unique `_id` (SQLite's primary key answers E11000 to the second), and so does MongoDB. So each
 * counter has a lease: a request inserts `usage_locks/{_id: <counter id>}`, reads and writes the counter,
 * and deletes the lease; a request that finds the lease held waits and tries again.
 *
 * A lease that outlives its holder (a process killed in those few milliseconds) expires after LEASE_MS. It
 * is removed by whoever first inserts `<counter id>#<holder>`, a unique claim, so two waiters never both
 * remove it, and the claimant removes it only while it still names that holder: removing by `_id` alone
 * could remove a newer lease taken in between. A holder releases its own lease directly while it is
 * well within its term (nobody removes a lease before it expires), and through the same claim afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { mongo } from 'mongoose';
import type { PlanModels, UsageLockDoc } from './plan.model';

/** How long a lease is valid. Its holder does a few reads and writes (an initial count at most). */
export const LEASE_MS = 10_000;
/** A holder past this part of its term releases through the claim (allows this much clock skew between API processes). */
const DIRECT_RELEASE_MS = 6_000;
/** How long a request waits for a held lease before giving up (longer than a lease, so an abandoned one is broken). */
export const LOCK_WAIT_MS = 15_000;

/** The lease of a counter stayed held for LOCK_WAIT_MS. */
export class CounterBusy extends Error {
  override readonly name = 'CounterBusy';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isDuplicate = (error: unknown): boolean => (error as { code?: number }).code === 11000;

type Locks = PlanModels['UsageLock'];
/** The driver's collection: a plain insert, whose E11000 is the whole point. */
const raw = (locks: Locks): mongo.Collection<UsageLockDoc> => locks.collection as unknown as mongo.Collection<UsageLockDoc>;

/** Runs `work` holding the lease of counter `key`. */
export async function withCounterLease<T>(locks: Locks, key: string, work: () => Promise<T>): Promise<T> {
  const owner = randomBytes(9).toString('base64url');
  const acquiredAt = await acquireLease(locks, key, owner);
  try {
    return await work();
  } finally {
    if (Date.now() - acquiredAt < DIRECT_RELEASE_MS) await locks.deleteOne({ _id: key });
    else await breakLease(locks, key, owner);
  }
}

/** Inserts the lease of `key` for `owner`, waiting while another holds it; returns when it was taken. */
async function acquireLease(locks: Locks, key: string, owner: string): Promise<number> {
  const giveUpAt = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    const now = Date.now();
    try {
      await raw(locks).insertOne({ _id: key, owner, expiresAt: new Date(now + LEASE_MS) });
      return now;
    } catch (error) {
      if (!isDuplicate(error)) throw error;
    }
    const held = await locks.findOne({ _id: key }).lean();
    if (held && held.expiresAt.getTime() < Date.now()) {
      await breakLease(locks, key, held.owner);
      continue;
    }
    if (Date.now() > giveUpAt) throw new CounterBusy(`the usage counter ${key} stayed busy for ${LOCK_WAIT_MS} ms`);
    // Exponential backoff with jitter: about 4, 8, 16, 32, 40 ms.
    await sleep(Math.min(40, 2 ** (2 + Math.min(attempt, 4))) * (0.5 + Math.random()));
  }
}

/** Removes the lease of `key` if it is still `owner`'s, unless someone else is already removing it. */
async function breakLease(locks: Locks, key: string, owner: string): Promise<void> {
  const claim = `${key}#${owner}`;
  try {
    await raw(locks).insertOne({ _id: claim, owner, expiresAt: new Date() });
  } catch (error) {
    if (isDuplicate(error)) return;
    throw error;
  }
  try {
    const current = await locks.findOne({ _id: key }).lean();
    if (current?.owner === owner) await locks.deleteOne({ _id: key });
  } finally {
    await locks.deleteOne({ _id: claim });
  }
}

/** The outcome of a change: whether it was applied, and the count after it (or the count that refused it). */
export interface CounterChange {
  applied: boolean;
  used: number;
}

/**
 * Adds `delta` to counter `key` (negative: gives back, never below 0). A positive delta is refused when it
 * would take the counter past `limit` (null: no limit). A counter that does not exist yet starts from
 * `initial()`: the resources the account already holds, counted through an index (accounts older than
 * the counters), and for a negative delta that count already leaves out what was deleted.
 */
export async function changeCounter(
  models: Pick<PlanModels, 'UsageCounter' | 'UsageLock'>,
  key: string,
  delta: number,
  options: { limit: number | null; initial: () => Promise<number> },
): Promise<CounterChange> {
  return withCounterLease(models.UsageLock, key, async () => {
    const doc = await models.UsageCounter.findOne({ _id: key }).lean();
    const before = doc ? doc.used : await options.initial();
    if (delta > 0 && options.limit !== null && before + delta > options.limit) {
      if (!doc) await models.UsageCounter.updateOne({ _id: key }, { $set: { used: before, updatedAt: new Date() } }, { upsert: true });
      return { applied: false, used: before };
    }
    const used = doc || delta > 0 ? Math.max(0, before + delta) : before;
    await models.UsageCounter.updateOne({ _id: key }, { $set: { used, updatedAt: new Date() } }, { upsert: true });
    return { applied: true, used };
  });
}

/** The counters `keys`, by key (missing ones absent). */
export async function readCounters(models: Pick<PlanModels, 'UsageCounter'>, keys: string[]): Promise<Map<string, number>> {
  const docs = await models.UsageCounter.find({ _id: { $in: keys } }).lean();
  return new Map(docs.map((d) => [d._id, d.used]));
}

/**
 * Sets counter `key` to `count()`, taken under its lease (an operator's recount after a process died
 * between a reservation and its write). A create in flight at that moment is not in the count yet, so run
 * it when the account is quiet.
 */
export async function recountCounter(models: Pick<PlanModels, 'UsageCounter' | 'UsageLock'>, key: string, count: () => Promise<number>): Promise<number> {
  return withCounterLease(models.UsageLock, key, async () => {
    const used = await count();
    await models.UsageCounter.updateOne({ _id: key }, { $set: { used, updatedAt: new Date() } }, { upsert: true });
    return used;
  });
}
