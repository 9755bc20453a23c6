/**
 * Every query in test/hot-queries.ts (the table of docs/queries.md) is answered from an index by the
 * store the tests run on. On FerretDB with Parley's pushdown (scripts/ferretdb/), `explain` returns the
 * plan of the SQL SQLite really runs: each line must be a SEARCH using an index that serves the query
 * (test/hot-queries.ts `servingIndexes`, the same rule the static test applies to the declared indexes)
 * or the primary key; a SCAN fails, and so does a sort the index does not give (USE TEMP B-TREE) unless
 * the entry says why it may sort in memory. So a new query that reads a whole collection fails here.
 *
 * The collections are made as Parley makes them: the models' indexes (`syncIndexes`), the rate limiter's
 * own, and a few documents written through the models, so every field has held the type it always holds.
 * With TEST_MONGODB_URI set to a real MongoDB, the winning plan is checked instead (no COLLSCAN, no SORT).
 */
import { randomBytes } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import { createSharedLimiters, RATE_LIMIT_COLLECTION } from '../../api/rate-limit';
import { connectDatabase, syncIndexes } from '../../models/db';
import { testEnv } from '../harness';
import { appModels, declaredIndexes, HOT_QUERIES, queryModels, SAMPLE as S, seed, servingIndexes, shapeOf, type HotQuery, type QueryModels } from '../hot-queries';

let db: Connection;
let m: QueryModels;

beforeAll(async () => {
  db = await connectDatabase(`${testEnv('PARLEY_TEST_MONGODB_URI')}/parley_plans_${randomBytes(4).toString('hex')}`);
  const models = appModels(db);
  await syncIndexes(db);
  await seed(models);
  // The rate limiter creates its collection's indexes itself, and its first count writes a row.
  const limiters = createSharedLimiters({ db, log: () => undefined });
  const outcome = await limiters.create('plans', 10, 60).consume('key_sample');
  limiters.close();
  expect(outcome).toMatchObject({ allowed: true });
  m = queryModels(db);
});

afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await db?.close();
});

const isFerret = (explained: Record<string, any>): boolean => explained.serverInfo?.ferretdbVersion !== undefined || explained.ferretdbVersion !== undefined;

/** The table and index of a SQLite plan line's SEARCH; FerretDB names indexes `<table>_<index name>`, `$q` for Parley's companions. */
function searched(detail: string): { index: string } | undefined {
  const match = /^SEARCH (\S+) USING (?:COVERING )?INDEX (\S+)/.exec(detail);
  if (!match) return undefined;
  const [, table, index] = match as unknown as [string, string, string];
  return { index: (index.startsWith(`${table}_`) ? index.slice(table.length + 1) : index).replace(/\$q$/, '') };
}

/** What is wrong with a FerretDB (SQLite) plan for `entry`: empty when every line searches an index that serves it. */
function sqlitePlanProblems(entry: HotQuery, plan: string[], serving: string[]): string[] {
  const problems: string[] = [];
  let searches = 0;
  for (const line of plan) {
    const detail = line.replace(/^.*?detail=/, '');
    const search = searched(detail);
    if (search) {
      searches++;
      if (!serving.includes(search.index)) problems.push(`searches ${search.index}, not an index that serves it (${serving.join(', ')})`);
    } else if (/^SCAN\b/.test(detail)) {
      problems.push(`scans: ${detail}`);
    } else if (/TEMP B-TREE FOR (?:RIGHT PART OF )?ORDER BY/.test(detail)) {
      if (!entry.sortInMemory) problems.push(`sorts in memory: ${detail}`);
    } else {
      problems.push(`unexpected plan line: ${detail}`);
    }
  }
  if (searches === 0) problems.push('no index search in the plan');
  return problems;
}

/** The stages of a MongoDB winning plan, with their indexes. */
function stages(plan: Record<string, any> | undefined): Array<{ stage: string; indexName?: string }> {
  if (!plan) return [];
  const children = [plan.inputStage, ...(plan.inputStages ?? [])].filter(Boolean) as Record<string, any>[];
  return [{ stage: String(plan.stage), ...(plan.indexName ? { indexName: String(plan.indexName) } : {}) }, ...children.flatMap(stages)];
}

function mongoPlanProblems(entry: HotQuery, explained: Record<string, any>, serving: string[]): string[] {
  const problems: string[] = [];
  for (const { stage, indexName } of stages(explained.queryPlanner?.winningPlan)) {
    if (stage === 'COLLSCAN') problems.push('COLLSCAN');
    if (stage === 'SORT' && !entry.sortInMemory) problems.push('SORT in memory');
    if (indexName && !serving.includes(indexName)) problems.push(`uses ${indexName}, not an index that serves it (${serving.join(', ')})`);
  }
  return problems;
}

describe('the plan of every query in test/hot-queries.ts', () => {
  it('runs on collections with every declared index', async () => {
    for (const model of Object.values(m) as Model<any>[]) {
      const live = (await model.collection.indexes()).map((index) => JSON.stringify(index.key));
      const missing = declaredIndexes(model).filter((index) => !live.includes(JSON.stringify(Object.fromEntries(index.keys))));
      expect({ collection: model.collection.collectionName, missing: missing.map((i) => i.name) }).toEqual({ collection: model.collection.collectionName, missing: [] });
    }
    expect(m.RateLimitRow.collection.collectionName).toBe(RATE_LIMIT_COLLECTION);
  });

  it.each(HOT_QUERIES.map((entry) => [entry.name, entry] as const))('%s: searches an index that serves it, no scan, no sort in memory', async (_name, entry) => {
    const query = entry.build(m);
    const serving = servingIndexes(entry, shapeOf(query), declaredIndexes(query.model)).map((index) => index.name);
    const explained = (await query.explain()) as unknown as Record<string, any>;
    if (isFerret(explained)) {
      const plan = (explained.queryPlanner?.Plan ?? []) as string[];
      const problems = sqlitePlanProblems(entry, plan, serving);
      if (entry.knownPlanIssue) {
        // Still the known issue (an index searched, not the one that serves it), and nothing worse; once
        // the plan is right this fails, to have `knownPlanIssue` removed from the entry.
        expect({ plan, fixed: problems.length === 0, worse: problems.filter((p) => !p.startsWith('searches ')) }).toEqual({ plan, fixed: false, worse: [] });
        return;
      }
      expect({ plan, problems }).toEqual({ plan, problems: [] });
    } else {
      expect(mongoPlanProblems(entry, explained, serving)).toEqual([]);
    }
  });

  it('fails a query that scans, and a sort the index does not give (the check itself)', async () => {
    const problemsOf = async (entry: HotQuery): Promise<string[]> => {
      const query = entry.build(m);
      const serving = servingIndexes(entry, shapeOf(query), declaredIndexes(query.model)).map((index) => index.name);
      const explained = (await query.explain()) as unknown as Record<string, any>;
      return isFerret(explained) ? sqlitePlanProblems(entry, (explained.queryPlanner?.Plan ?? []) as string[], serving) : mongoPlanProblems(entry, explained, serving);
    };
    const scan: HotQuery = { name: 'by channel', ops: 'find', where: [], build: (models) => models.Conversation.find({ channel: 'api' }), bound: '' };
    const sorted: HotQuery = { name: 'newest messages', ops: 'find', where: [], build: (models) => models.Message.find({ conversationId: S.conversationId }).sort({ createdAt: -1 }).limit(20), bound: '' };
    expect((await problemsOf(scan)).join('\n')).toMatch(/scans|COLLSCAN/);
    expect((await problemsOf(sorted)).join('\n')).toMatch(/sorts in memory|SORT in memory/);
  });
});
