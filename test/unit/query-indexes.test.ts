/**
 * Every query in test/hot-queries.ts is one MongoDB answers from an index the models declare: its
 * equality fields are an index's first fields (in any order), then its sort fields in the index's order
 * (or all reversed), or its range field; fields the index does not hold are declared as checked on the
 * documents it gives, with the bound that keeps that small. The table in docs/queries.md is rendered
 * from the same list (UPDATE_QUERIES_DOC=1 rewrites it); test/integration/query-plans.test.ts runs
 * each query's plan on the test store.
 */
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { declaredIndexes, HOT_QUERIES, indexProblems, queryModels, renderQueryTable, servingIndexes, shapeOf, type HotQuery } from '../hot-queries';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'queries.md');
const START = '<!-- queries:start (rendered from test/hot-queries.ts: UPDATE_QUERIES_DOC=1 npx jest --selectProjects unit --testPathPatterns query-indexes) -->';
const END = '<!-- queries:end -->';

const entries = HOT_QUERIES.map((entry) => [entry.name, entry] as const);

/** Which indexes of the entry's model serve it (by name). */
function serving(entry: HotQuery): string[] {
  const query = entry.build(queryModels(mongoose.createConnection()));
  return servingIndexes(entry, shapeOf(query), declaredIndexes(query.model)).map((index) => index.name);
}

describe('hot queries against the indexes the models declare', () => {
  it.each(entries)('%s: an index serves its filter and sort', (_name, entry) => {
    expect(indexProblems(entry)).toEqual([]);
  });

  it.each(entries)('%s: says where it runs, and the code is there', (_name, entry) => {
    expect(entry.where.length).toBeGreaterThan(0);
    for (const ref of entry.where) {
      const [file, text] = ref.split('#') as [string, string | undefined];
      const full = path.join(ROOT, file);
      expect({ ref, exists: fs.existsSync(full) }).toEqual({ ref, exists: true });
      if (text) expect({ ref, found: fs.readFileSync(full, 'utf8').includes(text) }).toEqual({ ref, found: true });
    }
  });

  it('names each query once, and covers every collection', () => {
    const names = HOT_QUERIES.map((entry) => entry.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    const models = queryModels(mongoose.createConnection());
    const covered = new Set(HOT_QUERIES.map((entry) => entry.build(models).model.modelName));
    expect(Object.keys(models).filter((name) => !covered.has(name))).toEqual([]);
  });

  it('refuses what no index serves (the rule itself)', () => {
    const entry = (build: HotQuery['build'], extra: Partial<HotQuery> = {}): HotQuery => ({ name: 'probe', ops: 'find', where: [], build, bound: '', ...extra });
    // A field no index holds, a sort that is not the index's order, a range that is not next in the index.
    expect(serving(entry((m) => m.Conversation.find({ accountId: 'a', channel: 'api' }).sort({ _id: -1 })))).toEqual([]);
    expect(serving(entry((m) => m.Message.find({ conversationId: 'c' }).sort({ createdAt: 1 })))).toEqual([]);
    expect(serving(entry((m) => m.CallLog.find({ accountId: 'a', createdAt: { $gt: new Date() } })))).toEqual([]);
    // An equality that is not the index's first field.
    expect(serving(entry((m) => m.Conversation.find({ botId: 'b' }).sort({ _id: -1 })))).toEqual([]);
    // A sort after an `$in`, a second range, an operator on an unchecked field.
    expect(serving(entry((m) => m.Conversation.find({ accountId: { $in: ['a', 'b'] } }).sort({ _id: -1 })))).toEqual([]);
    expect(serving(entry((m) => m.Message.find({ conversationId: 'c', seq: { $gt: 1 }, createdAt: { $lt: new Date() } })))).toEqual([]);
    expect(indexProblems(entry((m) => m.Action.find({ accountId: 'a', $or: [{ name: 'x' }, { description: 'y' }] })))).toEqual([expect.stringMatching(/^\$or: \[…\] cannot be answered from an index/)]);
    // What it accepts: equalities in any order, a sort all reversed, a checked field, a lone `_id` with the owner beside it.
    expect(serving(entry((m) => m.Conversation.find({ botId: 'b', accountId: 'a' }).sort({ _id: 1 })))).toEqual(['accountId_1_botId_1__id_-1']);
    expect(serving(entry((m) => m.Conversation.find({ accountId: 'a', channel: 'api' }).sort({ _id: -1 }), { checked: ['channel'] }))).toEqual(['accountId_1__id_-1']);
    expect(serving(entry((m) => m.Bot.findOne({ _id: 'b', accountId: 'a', name: 'x' })))).toEqual(['_id_']);
  });

  it('docs/queries.md holds the table of these queries', () => {
    const table = renderQueryTable();
    const doc = fs.readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const current = doc.slice(start + START.length, end).trim();
    if (process.env.UPDATE_QUERIES_DOC === '1' && current !== table) {
      fs.writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`);
      return;
    }
    expect(current).toBe(table);
  });
});
