/**
 * The database the tests, `npm run dev` and the bench run on: FerretDB 1.24 on SQLite, built by
 * scripts/lib/infra.ts with one fix. Unfixed, it looked `_id` up with another expression than its `_id`
 * index's, so SQLite scanned the whole collection for every find, update and delete by `_id` (a turn's
 * conversation update grew with the number of conversations). The plan says which it does.
 */
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { connectDatabase } from '../../models/db';
import { testEnv } from '../harness';

let db: Connection;

beforeAll(async () => {
  db = await connectDatabase(`${testEnv('PARLEY_TEST_MONGODB_URI')}/parley_db_${randomBytes(4).toString('hex')}`);
});

afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await db?.close();
});

describe('the test database', () => {
  it('answers a lookup by _id from the _id index, not a scan', async () => {
    const collection = db.collection<{ _id: string; n: number }>('lookups');
    await collection.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `doc-${n}`, n })));
    const explained = await db.db!.command({ explain: { find: 'lookups', filter: { _id: 'doc-7' } } });

    if (explained.ferretdbVersion !== undefined || explained.serverInfo?.ferretdbVersion !== undefined) {
      // FerretDB on SQLite: the plan is SQLite's own ("SEARCH ... USING INDEX ..._id_" or "SCAN ...").
      const plan = (explained.queryPlanner?.Plan ?? []) as string[];
      expect(plan.join('\n')).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
      expect(plan.join('\n')).not.toMatch(/\bSCAN\b/);
    } else {
      // MongoDB: an _id lookup never reads the whole collection.
      expect(JSON.stringify(explained.queryPlanner?.winningPlan)).not.toContain('COLLSCAN');
    }
    expect(await collection.findOne({ _id: 'doc-7' })).toEqual({ _id: 'doc-7', n: 7 });
  });
});
