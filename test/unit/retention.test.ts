/**
 * The retention clean-ups' batch loop (models/retention.ts) against an in-memory collection: bounded
 * batches, a bounded run that the next run continues, a document renewed between a batch's read and its
 * delete kept; and each clean-up's query is the prefix of an index its collection declares.
 */
import mongoose from 'mongoose';
import { RATE_LIMIT_INDEXES, sweepExpiredRateLimits } from '../../api/rate-limit';
import { idempotencyModels, purgeIdempotencyKeys } from '../../models/idempotency.model';
import { deleteExpiredInBatches, RETENTION_BATCH_SIZE, type SweptCollection } from '../../models/retention';
import { purgeOldEvents, webhookModels } from '../../models/webhook.model';

type Doc = Record<string, unknown> & { _id: string };
type Filter = Record<string, unknown>;

const comparable = (v: unknown): number | string => (v instanceof Date ? v.getTime() : (v as number | string));

/** Equality, `$lt`, `$lte` and `$in` at the top level: what the clean-ups send. */
function matches(doc: Doc, filter: Filter): boolean {
  return Object.entries(filter).every(([field, condition]) => {
    const value = doc[field];
    if (condition === null || typeof condition !== 'object' || condition instanceof Date) return comparable(value) === comparable(condition);
    return Object.entries(condition).every(([op, operand]) => {
      if (value === undefined || value === null) return false;
      if (op === '$lt') return comparable(value) < comparable(operand);
      if (op === '$lte') return comparable(value) <= comparable(operand);
      if (op === '$in') return (operand as unknown[]).includes(value);
      throw new Error(`the fake does not know ${op}`);
    });
  });
}

interface Fake {
  collection: SweptCollection;
  docs: Doc[];
  finds: Array<{ filter: Filter; options: { projection?: unknown; sort?: Record<string, 1 | -1>; limit?: number } }>;
  deletes: Filter[];
  /** Runs before each delete: a write landing between a batch's read and its delete. */
  beforeDelete?: () => void;
}

function fakeCollection(docs: Doc[]): Fake {
  const fake: Fake = {
    docs,
    finds: [],
    deletes: [],
    collection: {
      find: ((filter: Filter, options: Fake['finds'][number]['options']) => {
        fake.finds.push({ filter, options });
        const [field, direction] = Object.entries(options.sort ?? {})[0] ?? ['_id', 1];
        const found = fake.docs
          .filter((doc) => matches(doc, filter))
          .sort((a, b) => (comparable(a[field]) < comparable(b[field]) ? -direction : comparable(a[field]) > comparable(b[field]) ? direction : 0))
          .slice(0, options.limit ?? Infinity)
          .map((doc) => ({ _id: doc._id }));
        return { toArray: async () => found };
      }) as never,
      deleteMany: (async (filter: Filter) => {
        fake.deletes.push(filter);
        fake.beforeDelete?.();
        const before = fake.docs.length;
        fake.docs = fake.docs.filter((doc) => !matches(doc, filter));
        return { acknowledged: true, deletedCount: before - fake.docs.length };
      }) as never,
    },
  };
  return fake;
}

const NOW = new Date('2026-12-01T12:00:00Z');
/** `count` documents expired before NOW, the oldest first by id, and `fresh` that are not. */
function rows(count: number, fresh = 0): Doc[] {
  const expired = Array.from({ length: count }, (_, i) => ({ _id: `old_${String(i).padStart(6, '0')}`, expire: new Date(NOW.getTime() - 1_000_000 + i) }));
  const live = Array.from({ length: fresh }, (_, i) => ({ _id: `new_${i}`, expire: new Date(NOW.getTime() + 1000 + i) }));
  // Shuffled: the order comes from the sort, not from insertion.
  return [...live, ...expired.reverse()];
}
const sweep = { reason: 'test', filter: { expire: { $lte: NOW } }, sort: { expire: 1 as const } };

it('deletes every expired document in batches of at most batchSize ids, the oldest first, and keeps the rest', async () => {
  const fake = fakeCollection(rows(2500, 7));
  expect(await deleteExpiredInBatches(fake.collection, sweep)).toEqual({ deleted: 2500, complete: true });
  expect(fake.docs.map((d) => d._id).sort()).toEqual(['new_0', 'new_1', 'new_2', 'new_3', 'new_4', 'new_5', 'new_6']);
  // 1000, 1000, then a short batch of 500 ends the run.
  expect(fake.finds).toHaveLength(3);
  for (const { filter, options } of fake.finds) {
    expect(filter).toEqual(sweep.filter);
    expect(options).toEqual({ projection: { _id: 1 }, sort: { expire: 1 }, limit: RETENTION_BATCH_SIZE });
  }
  expect(fake.deletes.map((d) => (d._id as { $in: string[] }).$in.length)).toEqual([1000, 1000, 500]);
  // Each delete repeats the expiry condition beside its ids; the first batch is the 1000 oldest.
  expect(fake.deletes[0]).toMatchObject({ expire: { $lte: NOW } });
  expect((fake.deletes[0]!._id as { $in: string[] }).$in).toEqual(Array.from({ length: 1000 }, (_, i) => `old_${String(i).padStart(6, '0')}`));
});

it('reads once more when the last batch was full, and sends no delete for an empty one', async () => {
  const fake = fakeCollection(rows(20, 1));
  expect(await deleteExpiredInBatches(fake.collection, { ...sweep, batchSize: 10 })).toEqual({ deleted: 20, complete: true });
  expect(fake.finds).toHaveLength(3);
  expect(fake.deletes).toHaveLength(2);
});

it('stops after maxBatches, leaving the rest to the next run, which carries on from the oldest', async () => {
  const fake = fakeCollection(rows(25, 3));
  expect(await deleteExpiredInBatches(fake.collection, { ...sweep, batchSize: 10, maxBatches: 2 })).toEqual({ deleted: 20, complete: false });
  expect(fake.finds).toHaveLength(2);
  // The 20 oldest are gone; the 5 newest expired ones wait for the next run.
  expect(fake.docs.filter((d) => d._id.startsWith('old_')).map((d) => d._id).sort()).toEqual(['old_000020', 'old_000021', 'old_000022', 'old_000023', 'old_000024']);
  expect(await deleteExpiredInBatches(fake.collection, { ...sweep, batchSize: 10, maxBatches: 2 })).toEqual({ deleted: 5, complete: true });
  expect(fake.docs.map((d) => d._id).sort()).toEqual(['new_0', 'new_1', 'new_2']);
});

it('keeps a document that stopped being expired between a batch read and its delete', async () => {
  const fake = fakeCollection(rows(5));
  // A rate-limit window starting again on the row (the library renews an expired row in place).
  fake.beforeDelete = () => {
    const renewed = fake.docs.find((d) => d._id === 'old_000002');
    if (renewed) renewed.expire = new Date(NOW.getTime() + 60_000);
  };
  expect(await deleteExpiredInBatches(fake.collection, sweep)).toEqual({ deleted: 4, complete: true });
  expect(fake.docs.map((d) => d._id)).toEqual(['old_000002']);
});

it('refuses bounds that are not positive integers', async () => {
  const fake = fakeCollection(rows(1));
  await expect(deleteExpiredInBatches(fake.collection, { ...sweep, batchSize: 0 })).rejects.toThrow(RangeError);
  await expect(deleteExpiredInBatches(fake.collection, { ...sweep, maxBatches: 1.5 })).rejects.toThrow(RangeError);
  expect(fake.finds).toHaveLength(0);
});

/**
 * Whether the query reads from `index` on MongoDB: the filter's fields are exactly the index's first
 * fields (equalities, then the one range), and the sort is that range field in the index's direction.
 */
function servedBy(index: Record<string, unknown>, filter: Filter, sort: Record<string, 1 | -1>): boolean {
  const fields = Object.keys(index);
  const prefix = fields.slice(0, Object.keys(filter).length);
  if (prefix.length !== Object.keys(filter).length || !prefix.every((f) => f in filter)) return false;
  const isRange = (f: string) => filter[f] !== null && typeof filter[f] === 'object' && !(filter[f] instanceof Date);
  const range = prefix[prefix.length - 1]!;
  if (!isRange(range) || prefix.slice(0, -1).some(isRange)) return false;
  return JSON.stringify(sort) === JSON.stringify({ [range]: index[range] });
}

describe("each clean-up's query is the prefix of an index its collection declares", () => {
  const conn = mongoose.createConnection();
  const { Event, WebhookDelivery } = webhookModels(conn);
  const { IdempotencyKey } = idempotencyModels(conn);
  const declared = (model: mongoose.Model<any>) => model.schema.indexes().map(([fields]) => fields as Record<string, unknown>);

  const check = (fake: Fake, indexes: Array<Record<string, unknown>>) => {
    expect(fake.finds.length).toBeGreaterThan(0);
    for (const { filter, options } of fake.finds) expect(indexes.some((index) => servedBy(index, filter, options.sort!))).toBe(true);
  };

  it('events and webhook delivery logs', async () => {
    const events = fakeCollection([]);
    const deliveries = fakeCollection([]);
    await purgeOldEvents({ Event: { collection: events.collection }, WebhookDelivery: { collection: deliveries.collection } } as never, 30, NOW);
    expect(events.finds[0]!.filter).toEqual({ dispatched: true, createdAt: { $lt: new Date(NOW.getTime() - 30 * 24 * 3600_000) } });
    check(events, declared(Event));
    check(deliveries, declared(WebhookDelivery));
  });

  it('idempotency keys', async () => {
    const keys = fakeCollection([]);
    await purgeIdempotencyKeys({ collection: keys.collection } as never, NOW);
    check(keys, declared(IdempotencyKey));
  });

  it('rate-limit rows', async () => {
    const limits = fakeCollection([]);
    await sweepExpiredRateLimits({ collection: () => limits.collection } as never, NOW);
    check(
      limits,
      RATE_LIMIT_INDEXES.map((index) => index.key),
    );
  });

  afterAll(() => conn.close());
});
