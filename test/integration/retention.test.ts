/**
 * Expiry without TTL indexes (FerretDB has none): the API's clean-ups delete events and webhook delivery
 * logs past the retention (never an event still waiting to be handed to its webhooks), idempotency keys
 * and rate-limit rows, in bounded batches (models/retention.ts), so a backlog larger than one delete can
 * take (FerretDB's SQLite backend fails a delete of more than about 32,000 documents) goes in one run, and
 * a run that reaches its bound leaves the rest to the next.
 */
import type { Model } from 'mongoose';
import { sweepExpiredRateLimits, RATE_LIMIT_COLLECTION, RATE_LIMIT_INDEXES } from '../../api/rate-limit';
import { purgeIdempotencyKeys } from '../../models/idempotency.model';
import { purgeOldEvents } from '../../models/webhook.model';
import { startStack, type Stack } from '../harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true });
});
afterAll(() => stack?.stop());

const DAY = 24 * 3600_000;
const now = new Date('2026-12-01T12:00:00Z');
const old = new Date(now.getTime() - 31 * DAY);
const recent = new Date(now.getTime() - 29 * DAY);

const event = (id: string, createdAt: Date, dispatched: boolean) => ({ _id: id, accountId: `acct_${id.length % 7}`, conversationId: `conv_${id}`, botId: 'bot_r', position: 0, type: 'message.created', data: {}, createdAt, dispatched });
const delivery = (id: string, createdAt: Date) => ({ _id: id, accountId: 'acct_r', endpointId: 'wh_r', eventId: `evt_${id}`, workflowId: `wf_${id}`, attempt: 1, status: 'succeeded', createdAt });

/** Empties a model's collection (a drop: one delete of everything is what fails on FerretDB) and declares its indexes again. */
async function fresh(model: Model<any>): Promise<void> {
  await model.collection.drop().catch(() => undefined);
  await model.createIndexes();
}

/** Inserts through the driver, 5,000 documents a call. */
async function insertAll(collection: { insertMany(docs: never[], options: { ordered: boolean }): Promise<unknown> }, docs: unknown[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 5000) await collection.insertMany(docs.slice(i, i + 5000) as never[], { ordered: false });
}

const ids = async (model: Model<any>): Promise<string[]> => (await model.collection.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)).sort();
const range = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);

beforeEach(async () => {
  await fresh(stack.deps.Event);
  await fresh(stack.deps.WebhookDelivery);
});

it('deletes old dispatched events and old delivery logs, and keeps the rest', async () => {
  await stack.deps.Event.collection.insertMany([event('old', old, true), event('recent', recent, true), event('pending', old, false)] as never[]);
  await stack.deps.WebhookDelivery.collection.insertMany([delivery('d_old', old), delivery('d_recent', recent)] as never[]);

  expect(await purgeOldEvents(stack.deps, 30, now)).toEqual({ events: 1, deliveries: 1 });
  expect(await ids(stack.deps.Event)).toEqual(['pending', 'recent']);
  expect(await ids(stack.deps.WebhookDelivery)).toEqual(['d_recent']);
  // Running it again changes nothing.
  expect(await purgeOldEvents(stack.deps, 30, now)).toEqual({ events: 0, deliveries: 0 });
});

it('deletes more than 32,000 expired events and as many delivery logs in one run, and keeps every unexpired one', async () => {
  const EXPIRED = 33_000;
  // Expired ones spread over the days before the cut-off, kept ones on both sides of its ordering.
  const at = (i: number) => new Date(old.getTime() - (i % 5000) * 60_000);
  const expiredEvents = range('evt_old_', EXPIRED);
  const keptEvents = [...range('evt_recent_', 300), ...range('evt_pending_', 300)].sort();
  await insertAll(stack.deps.Event.collection as never, [
    ...expiredEvents.map((id, i) => event(id, at(i), true)),
    ...range('evt_recent_', 300).map((id, i) => event(id, new Date(recent.getTime() + i), true)),
    // Older than every expired one, but not dispatched yet.
    ...range('evt_pending_', 300).map((id, i) => event(id, new Date(old.getTime() - 10 * DAY - i), false)),
  ]);
  const keptDeliveries = range('del_recent_', 300);
  await insertAll(stack.deps.WebhookDelivery.collection as never, [...range('del_old_', EXPIRED).map((id, i) => delivery(id, at(i))), ...keptDeliveries.map((id, i) => delivery(id, new Date(recent.getTime() + i)))]);
  expect(await stack.deps.Event.collection.countDocuments({})).toBe(EXPIRED + 600);

  const started = Date.now();
  expect(await purgeOldEvents(stack.deps, 30, now)).toEqual({ events: EXPIRED, deliveries: EXPIRED });
  process.stderr.write(`[retention] ${EXPIRED} events and ${EXPIRED} delivery logs deleted in ${Date.now() - started} ms\n`);
  expect(await ids(stack.deps.Event)).toEqual(keptEvents);
  expect(await ids(stack.deps.WebhookDelivery)).toEqual(keptDeliveries);
  expect(await purgeOldEvents(stack.deps, 30, now)).toEqual({ events: 0, deliveries: 0 });
  // About 20 s here, 14 of them the clean-up, with Parley's FerretDB build (scripts/ferretdb: each batch
  // read from the index). A build that scans the collection for every batch (FerretDB 1.24 as released)
  // needs about 100 s: the time limit allows it, since the test checks what is deleted, not how fast.
}, 240_000);

it('deletes expired idempotency keys and rate-limit rows in batches, and keeps the live ones', async () => {
  await fresh(stack.deps.IdempotencyKey);
  const limits = stack.db.collection(RATE_LIMIT_COLLECTION);
  await limits.drop().catch(() => undefined);
  for (const { key, unique } of RATE_LIMIT_INDEXES) await limits.createIndex(key, unique ? { unique } : {});

  // 2,500: three batches, the last one short.
  const key = (id: string, createdAt: Date) => ({ _id: id, accountId: 'acct_r', key: id, bodyHash: 'h', conversationId: `conv_${id}`, status: 'completed', started: true, response: null, createdAt, updatedAt: createdAt });
  const liveKeys = range('idem_live_', 40);
  await insertAll(stack.deps.IdempotencyKey.collection as never, [...range('idem_old_', 2500).map((id, i) => key(id, new Date(now.getTime() - 25 * 3600_000 - i * 1000))), ...liveKeys.map((id, i) => key(id, new Date(now.getTime() - 3600_000 + i)))]);
  // Rows as rate-limiter-flexible writes them (driver-made ObjectIds); a window that ends exactly now is over.
  const row = (k: string, expire: Date | null) => ({ key: k, points: 1, expire });
  await insertAll(limits as never, [
    ...range('rl_old_', 2500).map((k, i) => row(k, new Date(now.getTime() - i * 1000))),
    ...range('rl_live_', 40).map((k, i) => row(k, new Date(now.getTime() + 1 + i))),
    // No expiry at all (a limit of duration 0): never swept.
    row('rl_forever', null),
  ]);

  expect(await purgeIdempotencyKeys(stack.deps.IdempotencyKey, now)).toBe(2500);
  expect(await ids(stack.deps.IdempotencyKey)).toEqual(liveKeys);
  expect(await sweepExpiredRateLimits(stack.db, now)).toBe(2500);
  expect((await limits.find({}, { projection: { key: 1 } }).toArray()).map((d) => d.key as string).sort()).toEqual(['rl_forever', ...range('rl_live_', 40)]);
});

it('stops a run at its bound and the next run carries on, oldest first', async () => {
  const expired = range('evt_old_', 25);
  // evt_old_000000 is the oldest.
  await insertAll(stack.deps.Event.collection as never, [...expired.map((id, i) => event(id, new Date(old.getTime() - (25 - i) * 60_000), true)), event('evt_recent', recent, true)]);
  const bounds = { batchSize: 10, maxBatches: 2 };

  expect(await purgeOldEvents(stack.deps, 30, now, bounds)).toEqual({ events: 20, deliveries: 0 });
  expect(await ids(stack.deps.Event)).toEqual([...expired.slice(20), 'evt_recent']);
  expect(await purgeOldEvents(stack.deps, 30, now, bounds)).toEqual({ events: 5, deliveries: 0 });
  expect(await ids(stack.deps.Event)).toEqual(['evt_recent']);
});
