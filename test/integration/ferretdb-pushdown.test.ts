/**
 * Parley's FerretDB patch (scripts/ferretdb/) sends filters and sorts to SQLite. Its answers must be
 * MongoDB's: the same queries run on the patched build and on the same build with
 * --test-disable-pushdown (FerretDB's own code filters and sorts every document in Go) over the same
 * documents, including the cases where SQL values and MongoDB disagree (arrays, mixed types, dates beside
 * numbers, null and missing values, ObjectIds beside strings, strings that JSON escapes), and must agree.
 * Then: typed fields are answered from the companion indexes; a deleteMany of more than 32,766
 * documents works; and a database written by the build Parley carried before the patch opens, reads
 * correctly and is served from indexes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, ObjectId, type Collection, type Document, type Filter, type Sort } from 'mongodb';

/** The test's documents: string ids, as Parley's. */
interface Doc extends Document {
  _id: string;
}
import { ensureFerretDb, freePort, startFerretDb, type FerretBuild, type ManagedServer } from '../../scripts/lib/infra';

jest.setTimeout(300_000);

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-ferret-pushdown-'));
const running: ManagedServer[] = [];
const clients: MongoClient[] = [];

async function start(name: string, options: { build?: FerretBuild; disablePushdown?: boolean; dataDir?: string } = {}): Promise<{ server: ManagedServer; client: MongoClient }> {
  const server = await startFerretDb({ port: await freePort(), dataDir: options.dataDir ?? path.join(workDir, name), logFile: path.join(workDir, `${name}.log`), build: options.build, disablePushdown: options.disablePushdown });
  running.push(server);
  const client = await MongoClient.connect(server.address, { serverSelectionTimeoutMS: 10_000 });
  clients.push(client);
  return { server, client };
}

async function stop(server: ManagedServer, client: MongoClient): Promise<void> {
  await client.close();
  await server.stop();
  running.splice(running.indexOf(server), 1);
}

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await Promise.all(running.map((s) => s.stop()));
  fs.rmSync(workDir, { recursive: true, force: true });
});

const base = Date.UTC(2026, 0, 1);
const oid = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, '0'));

/** 300 documents; each field exercises one way SQL values and MongoDB could disagree. */
function documents(): Doc[] {
  const docs: Doc[] = [];
  for (let i = 0; i < 300; i++) {
    const doc: Doc = {
      _id: `doc_${String(i).padStart(4, '0')}`,
      account: `acct_${i % 7}`,
      seq: i % 25, // numbers only: numeric order, not text order (10 < 9 as text)
      price: i % 3 === 0 ? i + 0.5 : i, // ints and doubles: one kind
      at: new Date(base + (i % 50) * 60_000), // dates only
      flag: i % 2 === 0, // booleans only
      ref: oid(i % 40), // ObjectIds only
      text: ['a', 'a b', 'a!', 'a<b', 'A', 'é', 'b "q"', 'z\\y', ''][i % 9], // escapes, spaces, non-ASCII
      // mixed kinds: numbers, strings, dates in one field
      mixed: i % 3 === 0 ? i : i % 3 === 1 ? `s${i}` : new Date(base + i),
      // strings, and an array in some documents: {tags: 'x'} must match the arrays holding 'x'
      tags: i % 10 === 0 ? ['t1', `t${i % 4}`] : `t${i % 4}`,
      // strings with null and missing: null and missing sort first, and never equal a string
      ...(i % 5 === 0 ? {} : { maybe: i % 5 === 1 ? null : `m${i % 3}` }),
      // a date-and-number field: a date range must not match numbers
      when: i % 4 === 0 ? base + i : new Date(base + i),
      // an ObjectId-and-string field with the same hex: equal as text, different to MongoDB
      key: i % 2 === 0 ? oid(i % 6) : oid(i % 6).toHexString(),
    };
    docs.push(doc);
  }
  return docs;
}

const INDEXES: Array<Record<string, 1 | -1>> = [
  { account: 1, _id: -1 },
  { account: 1, seq: 1 },
  { price: 1 },
  { at: 1 },
  { flag: 1, at: -1 },
  { ref: 1 },
  { text: 1 },
  { mixed: 1 },
  { tags: 1 },
  { maybe: 1 },
  { when: 1 },
  { key: 1 },
];

interface Case {
  name: string;
  filter: Filter<Doc>;
  sort?: Sort;
  limit?: number;
  skip?: number;
  /** The right answer is empty (every other case must find something, or it would prove little). */
  empty?: boolean;
}

const CASES: Case[] = [
  { name: '_id and another field', filter: { _id: 'doc_0123', account: 'acct_4' } },
  { name: '_id and a wrong owner', filter: { _id: 'doc_0123', account: 'acct_5' }, empty: true },
  { name: '_id $in', filter: { _id: { $in: ['doc_0001', 'doc_0002', 'doc_0299', 'nope'] } }, sort: { _id: 1 } },
  { name: 'newest page of an account', filter: { account: 'acct_3' }, sort: { _id: -1 }, limit: 10 },
  { name: 'next page of an account', filter: { account: 'acct_3', _id: { $lt: 'doc_0150' } }, sort: { _id: -1 }, limit: 10 },
  { name: 'numbers sort numerically', filter: { account: 'acct_1' }, sort: { seq: 1, _id: 1 }, limit: 30 },
  { name: 'numbers descending', filter: { account: 'acct_1' }, sort: { seq: -1, _id: -1 }, limit: 7 },
  { name: 'number range', filter: { seq: { $gte: 9, $lt: 11 } }, sort: { _id: 1 } },
  { name: 'ints and doubles equal', filter: { price: 3.5 } },
  { name: 'int equals double 1.0', filter: { price: { $in: [1.0, 2, 4] } }, sort: { _id: 1 } },
  { name: 'double range and sort', filter: { price: { $gt: 100.25, $lte: 120 } }, sort: { price: -1 } },
  { name: 'date range', filter: { at: { $gte: new Date(base + 10 * 60_000), $lt: new Date(base + 12 * 60_000) } }, sort: { _id: 1 } },
  { name: 'boolean and date sort', filter: { flag: true }, sort: { at: -1, _id: 1 }, limit: 15 },
  { name: 'false', filter: { flag: false, at: new Date(base + 3 * 60_000) }, sort: { _id: 1 } },
  { name: 'ObjectId equality', filter: { ref: oid(7) }, sort: { _id: 1 } },
  { name: 'ObjectId sort', filter: {}, sort: { ref: -1, _id: 1 }, limit: 20 },
  { name: 'strings that JSON escapes, sorted', filter: {}, sort: { text: 1, _id: 1 }, limit: 80 },
  { name: 'string range past an escape', filter: { text: { $gt: 'a', $lt: 'b' } }, sort: { text: -1, _id: 1 } },
  { name: 'a string with a space', filter: { text: 'a b' }, sort: { _id: 1 } },
  { name: 'mixed kinds: number equality', filter: { mixed: 30 } },
  { name: 'mixed kinds: string range', filter: { mixed: { $gte: 's1', $lt: 's2' } }, sort: { _id: 1 } },
  { name: 'mixed kinds: sorted by type bracket', filter: {}, sort: { mixed: 1, _id: 1 }, limit: 120 },
  { name: 'mixed kinds: descending', filter: {}, sort: { mixed: -1, _id: 1 }, limit: 120 },
  { name: 'array elements match', filter: { tags: 't1' }, sort: { _id: 1 } },
  { name: 'array $in', filter: { tags: { $in: ['t2', 't3'] } }, sort: { _id: 1 } },
  { name: 'arrays sorted', filter: {}, sort: { tags: 1, _id: 1 }, limit: 60 },
  { name: 'null and missing sort first', filter: {}, sort: { maybe: 1, _id: 1 }, limit: 130 },
  { name: 'null and missing sort last descending', filter: {}, sort: { maybe: -1, _id: 1 } },
  { name: 'null equality matches missing', filter: { maybe: null }, sort: { _id: 1 } },
  { name: 'string equality beside nulls', filter: { maybe: 'm2' }, sort: { _id: 1 } },
  { name: 'range beside nulls', filter: { maybe: { $lt: 'm2' } }, sort: { _id: 1 } },
  { name: 'date range beside numbers', filter: { when: { $gte: new Date(base + 10), $lt: new Date(base + 40) } }, sort: { _id: 1 } },
  { name: 'number range beside dates', filter: { when: { $gte: base + 10, $lt: base + 40 } }, sort: { _id: 1 } },
  { name: 'dates and numbers sorted', filter: {}, sort: { when: 1, _id: 1 }, limit: 100 },
  { name: 'ObjectId beside the same hex string', filter: { key: oid(2) }, sort: { _id: 1 } },
  { name: 'string beside the same hex ObjectId', filter: { key: oid(3).toHexString() }, sort: { _id: 1 } },
  { name: 'ObjectIds and strings sorted', filter: {}, sort: { key: 1, _id: 1 }, limit: 50 },
  { name: 'operators left to Go beside pushed ones', filter: { account: 'acct_2', seq: { $ne: 4 }, text: { $regex: '^a' } }, sort: { seq: 1, _id: 1 } },
  { name: 'skip with a pushed sort', filter: { account: 'acct_6' }, sort: { _id: -1 }, skip: 5, limit: 5 },
  { name: '$or is left to Go', filter: { $or: [{ account: 'acct_1' }, { seq: 3 }] }, sort: { _id: 1 }, limit: 40 },
];

async function run(collection: Collection<Doc>, c: Case): Promise<unknown[]> {
  let cursor = collection.find(c.filter);
  if (c.sort) cursor = cursor.sort(c.sort);
  if (c.skip) cursor = cursor.skip(c.skip);
  if (c.limit) cursor = cursor.limit(c.limit);
  const docs = await cursor.toArray();
  const ids = docs.map((d) => d._id);
  return c.sort ? ids : ids.sort();
}

function planOf(explained: Document): string[] {
  return ((explained.queryPlanner as { Plan?: string[] }).Plan ?? []).map((line) => line.replace(/^.*detail=/, ''));
}

describe('the FerretDB pushdown', () => {
  let patched: Collection<Doc>;
  let reference: Collection<Doc>;

  beforeAll(async () => {
    const [a, b] = await Promise.all([start('patched'), start('reference', { disablePushdown: true })]);
    patched = a.client.db('pushdown').collection<Doc>('docs');
    reference = b.client.db('pushdown').collection<Doc>('docs');
    for (const collection of [patched, reference]) {
      for (const index of INDEXES) await collection.createIndex(index);
      await collection.insertMany(documents());
    }
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: the same answer as FerretDB without pushdown', async (_name, c) => {
    const [got, want] = await Promise.all([run(patched, c), run(reference, c)]);
    expect(want.length > 0).toBe(!c.empty);
    expect(got).toEqual(want);
  });

  it('answers filters and sorts on fields of one kind from the companion indexes, and leaves the others to Go', async () => {
    const page = planOf(await patched.find({ account: 'acct_3', _id: { $lt: 'doc_0150' } }).sort({ _id: -1 }).limit(10).explain());
    expect(page).toEqual([expect.stringMatching(/^SEARCH \S+ USING INDEX \S+_account_1__id_-1\$q \(<expr>=\? AND <expr><\?\)$/)]);
    expect(planOf(await patched.find({ account: 'acct_1' }).sort({ seq: -1 }).explain())).toEqual([expect.stringMatching(/USING INDEX \S+_account_1_seq_1\$q/)]);
    expect(planOf(await patched.find({ at: { $gte: new Date(base) } }).explain())).toEqual([expect.stringMatching(/USING INDEX \S+_at_1\$q \(<expr>>\?\)/)]);
    expect(planOf(await patched.find({ _id: 'doc_0001', account: 'acct_1' }).explain())).toEqual([expect.stringMatching(/USING INDEX \S+__id_ \(<expr>=\?\)/)]);
    // An `_id` lookup goes alone: SQLite keeps no statistics and would otherwise read every `flag: true` row.
    expect(planOf(await patched.find({ flag: true, _id: { $in: ['doc_0002', 'doc_0004'] } }).explain())).toEqual([expect.stringMatching(/USING INDEX \S+__id_ \(<expr>=\?\)/)]);
    // Fields that held arrays or several kinds are never sent to SQLite: FerretDB's Go code answers.
    for (const filter of [{ tags: 't1' }, { mixed: 30 }, { when: base }, { key: oid(2) }]) {
      const explained = await patched.find(filter).explain();
      expect(planOf(explained)).toEqual([expect.stringMatching(/^SCAN /)]);
      expect(explained.filterPushdown).toBe(false);
    }
  });

  it('starts afresh when a collection is dropped and created again', async () => {
    const again = patched.db.collection<Doc>('again');
    await again.createIndex({ n: 1 });
    await again.insertMany([{ _id: 'x', n: [1, 2] }]); // an array: n is never sent to SQLite
    expect(planOf(await again.find({ n: 1 }).explain())).toEqual([expect.stringMatching(/^SCAN /)]);
    await again.drop();
    await again.createIndex({ n: 1 });
    await again.insertMany([{ _id: 'a', n: 10 }, { _id: 'b', n: 9 }, { _id: 'c', n: 1 }]);
    expect(planOf(await again.find({ n: { $gt: 1 } }).sort({ n: 1 }).explain())).toEqual([expect.stringMatching(/USING INDEX \S+_n_1\$q/)]);
    expect((await again.find({ n: { $gt: 1 } }).sort({ n: 1 }).toArray()).map((d) => d._id)).toEqual(['b', 'a']);
  });

  it('deletes more than 32,766 documents in one deleteMany', async () => {
    const bulk = patched.db.collection<Doc>('bulk');
    await bulk.createIndex({ expires: 1 });
    for (let i = 0; i < 8; i++) {
      await bulk.insertMany(Array.from({ length: 5_000 }, (_, j) => ({ _id: `b${i}_${j}`, expires: new Date(base + (i * 5_000 + j)) })), { ordered: false });
    }
    const result = await bulk.deleteMany({ expires: { $lt: new Date(base + 36_000) } });
    expect(result.deletedCount).toBe(36_000);
    expect(await bulk.countDocuments({})).toBe(4_000);
  });
});

describe('a database written by the build Parley carried before the pushdown', () => {
  it('opens with the patched build, answers as before, and is served from indexes', async () => {
    ensureFerretDb('id-index');
    const dataDir = path.join(workDir, 'upgrade');
    const old = await start('upgrade-old', { build: 'id-index', dataDir });
    const before = old.client.db('parley').collection<Doc>('docs');
    for (const index of INDEXES) await before.createIndex(index);
    await before.insertMany(documents());
    const answers = await Promise.all(CASES.map((c) => run(before, c)));
    await stop(old.server, old.client);

    const upgraded = await start('upgrade-new', { dataDir });
    const after = upgraded.client.db('parley').collection<Doc>('docs');
    expect(await Promise.all(CASES.map((c) => run(after, c)))).toEqual(answers);
    expect(planOf(await after.find({ account: 'acct_3' }).sort({ _id: -1 }).limit(10).explain())).toEqual([expect.stringMatching(/USING INDEX \S+_account_1__id_-1\$q/)]);
    // Documents written after the upgrade are found as well, through the same indexes.
    await after.insertOne({ _id: 'doc_new', account: 'acct_3', seq: 1 });
    expect((await after.find({ account: 'acct_3' }).sort({ _id: -1 }).limit(1).toArray())[0]?._id).toBe('doc_new');
    await stop(upgraded.server, upgraded.client);
  });
});
