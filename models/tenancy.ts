/**
 * Defence in depth for tenancy. Every collection whose documents carry an `accountId` belongs to
 * accounts, and accounts sign up by themselves: one query that forgets the account is one tenant reading
 * another's data. So every query on such a collection must do one of three things:
 *
 * 1. filter by the account (`accountId` at the top level of the filter, a string or `$in` of strings);
 * 2. read by id through `findOwned`, which reads the lone `_id` (the one filter every store answers from
 *    an index) and checks the owner in code;
 * 3. say why it may cross accounts, inside `acrossAccounts(reason, ...)`: operator jobs (retention
 *    clean-up, key rotation), the webhook outbox, and authentication (an API key is looked up by its hash
 *    before anyone knows the account).
 *
 * The guard is a mongoose plugin on every schema with an `accountId` path (and a wrapper for the driver
 * collections hot paths use). It checks the product's own code paths: every API request and every
 * activity run inside `tenancyChecked` (api/app.ts, worker/interceptors.ts), while a test's own look into
 * the database, outside them, is not checked. With PARLEY_TENANCY_GUARD=throw (the test suites set it) a
 * query that does none of the three fails with TenancyViolation, naming the model and the filter's keys;
 * `warn` reports it to the handler set with `onTenancyViolation`; `off` (the default in production) does
 * nothing, so a slip costs no outage while the tests keep catching it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Model, Query, Schema } from 'mongoose';

export class TenancyViolation extends Error {
  override readonly name = 'TenancyViolation';
}

const crossing = new AsyncLocalStorage<string>();
const checked = new AsyncLocalStorage<true>();

/** Runs `work` (an API request, an activity) with its queries checked. */
export function tenancyChecked<T>(work: () => T): T {
  return checked.run(true, work);
}

/**
 * Runs `work` with queries allowed to cross accounts. `reason` says why, for the reader (and the error
 * when it is missing); keep the block to the queries that need it.
 */
export function acrossAccounts<T>(reason: string, work: () => Promise<T>): Promise<T> {
  if (reason.trim().length === 0) throw new TenancyViolation('acrossAccounts needs a reason');
  return crossing.run(reason, work);
}

/**
 * Runs `work` whose queries name documents by an id this account owns, known without reading the account
 * again: the id was derived from the account (an idempotency record), read by an account-scoped query just
 * before, or handed over by the account's own workflow. A lone `_id` equality is the one filter FerretDB
 * on SQLite answers from an index, which is why these do not add `accountId`.
 */
export function withOwnedId<T>(why: string, work: () => Promise<T>): Promise<T> {
  return acrossAccounts(`owned id: ${why}`, work);
}

/** Whether the current async context is inside `acrossAccounts`. */
export const crossingAccounts = (): boolean => crossing.getStore() !== undefined;

/**
 * The one helper that reads an account's document by id: a lone `_id` equality (which FerretDB on SQLite
 * answers from its index, where `{_id, accountId}` scans the collection), then the owner checked in code.
 * Another account's document reads as missing, exactly like a wrong id.
 */
export async function findOwned<T extends { accountId: string }>(model: Model<T>, id: string, accountId: string, projection?: Record<string, 0 | 1>): Promise<T | null> {
  // An inclusion projection must still bring the owner back.
  const fields = projection && Object.values(projection).includes(1) ? { ...projection, accountId: 1 } : projection;
  const doc = await crossing.run('findOwned: the owner is checked below', () => model.findOne({ _id: id }, fields).lean<T>().exec());
  return doc && doc.accountId === accountId ? doc : null;
}

/**
 * The driver collection behind an account-owned model, with the same guard on its queries (hot paths use
 * the driver directly to skip mongoose's document overhead).
 */
export function guardedCollection<C extends object>(collection: C, modelName: string): C {
  const guarded = new Set<string | symbol>(['find', 'findOne', 'countDocuments', 'distinct', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace']);
  return new Proxy(collection, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!guarded.has(prop)) return (value as (...args: unknown[]) => unknown).bind(target);
      return (filter: Record<string, unknown> = {}, ...rest: unknown[]) => {
        checkFilter(modelName, String(prop), filter);
        return (value as (...args: unknown[]) => unknown).call(target, filter, ...rest);
      };
    },
  });
}

export type GuardMode = 'throw' | 'warn' | 'off';

let report: (message: string) => void = () => undefined;

/** Where `warn` mode reports (the process's logger). */
export function onTenancyViolation(handler: (message: string) => void): void {
  report = handler;
}

function mode(): GuardMode {
  const value = process.env.PARLEY_TENANCY_GUARD;
  return value === 'throw' || value === 'warn' ? value : 'off';
}

/** `accountId` at the top of the filter, as a string, `{$eq: string}` or `{$in: [string, ...]}`. */
export function scopedByAccount(filter: Record<string, unknown>): boolean {
  const value = filter.accountId;
  if (typeof value === 'string') return value.length > 0;
  if (value && typeof value === 'object') {
    const op = value as { $eq?: unknown; $in?: unknown };
    if (typeof op.$eq === 'string') return true;
    if (Array.isArray(op.$in)) return op.$in.length > 0 && op.$in.every((v) => typeof v === 'string');
  }
  return false;
}

function checkFilter(modelName: string, op: string, filter: Record<string, unknown>): void {
  const current = mode();
  if (current === 'off' || checked.getStore() === undefined || crossingAccounts() || scopedByAccount(filter)) return;
  const message = `${modelName}.${op}(${JSON.stringify(Object.keys(filter))}) neither filters by accountId nor goes through findOwned, withOwnedId or acrossAccounts`;
  if (current === 'throw') throw new TenancyViolation(message);
  report(message);
}

const QUERY_OPS = ['find', 'findOne', 'countDocuments', 'distinct', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace'] as const;

/** The plugin: applied to every schema (models/db.ts); active on those with an `accountId` path. */
export function tenancyPlugin(schema: Schema): void {
  if (!schema.path('accountId')) return;
  for (const op of QUERY_OPS) {
    schema.pre(op, function check(this: Query<unknown, unknown>) {
      checkFilter(this.model.modelName, op, this.getFilter() as Record<string, unknown>);
    });
  }
  schema.pre('aggregate', function check() {
    const current = mode();
    if (current === 'off' || checked.getStore() === undefined || crossingAccounts()) return;
    const first = this.pipeline()[0] as { $match?: Record<string, unknown> } | undefined;
    if (first?.$match && scopedByAccount(first.$match)) return;
    const message = `${this.model()?.modelName ?? 'a model'}.aggregate does not start with a $match on accountId`;
    if (current === 'throw') throw new TenancyViolation(message);
    report(message);
  });
}
