/**
 * A `.data/` written before FerretDB's pushdown patch keeps working (issue 18, item 5): a database that
 * Parley's models wrote and indexed on the build Parley carried before ('id-index', the same binary
 * name as then) is opened by today's build. Every hot query (test/hot-queries.ts) returns what it
 * returned before the upgrade, and is then answered from an index (the stored documents' field types are
 * recorded and the companion indexes built at first use: scripts/ferretdb/README.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { connectDatabase, syncIndexes } from '../../models/db';
import { ensureFerretDb, freePort, startFerretDb, type FerretBuild, type ManagedServer } from '../../scripts/lib/infra';
import { appModels, HOT_QUERIES, queryModels, seed } from '../hot-queries';

jest.setTimeout(300_000);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-store-upgrade-'));
let server: ManagedServer | undefined;
let db: Connection | undefined;

async function open(build: FerretBuild, port: number): Promise<Connection> {
  server = await startFerretDb({ port, dataDir, build, logFile: path.join(dataDir, `${build}.log`) });
  db = await connectDatabase(`mongodb://127.0.0.1:${port}/parley_upgrade`);
  return db;
}

async function close(): Promise<void> {
  await db?.close();
  await server?.stop();
  db = undefined;
  server = undefined;
}

afterAll(async () => {
  await close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** What each hot query returns: the ids of its documents (or the count), in its order. */
async function answers(connection: Connection): Promise<Record<string, unknown>> {
  const m = queryModels(connection);
  const out: Record<string, unknown> = {};
  for (const entry of HOT_QUERIES) {
    const query = entry.build(m);
    const result: unknown = await query.lean().exec();
    // Without a sort, a store may return the documents in any order: compare them as a set.
    const ordered = Object.keys((query.getOptions().sort as Record<string, unknown> | undefined) ?? {}).length > 0;
    const ids = Array.isArray(result) ? result.map((d: { _id: unknown }) => d._id) : undefined;
    out[entry.name] = ids ? (ordered ? ids : [...ids].sort()) : ((result as { _id?: unknown } | null)?._id ?? result);
  }
  return out;
}

it('opens a database the older FerretDB build wrote, answers every hot query as before, from indexes', async () => {
  ensureFerretDb('id-index');
  const port = await freePort();
  const before = await open('id-index', port);
  await syncIndexes(before);
  await seed(appModels(before));
  const expected = await answers(before);
  // The seed makes most hot queries find something, so equal answers mean something.
  expect(Object.values(expected).filter((a) => (Array.isArray(a) ? a.length > 0 : a !== null)).length).toBeGreaterThan(HOT_QUERIES.length / 2);
  await close();

  const after = await open('parley', port);
  await syncIndexes(after);
  expect(await answers(after)).toEqual(expected);
  const m = queryModels(after);
  const scans: string[] = [];
  for (const entry of HOT_QUERIES) {
    const explained = (await entry.build(m).explain()) as unknown as { queryPlanner?: { Plan?: string[] } };
    for (const line of explained.queryPlanner?.Plan ?? []) if (/detail=SCAN /.test(line)) scans.push(`${entry.name}: ${line}`);
  }
  expect(scans).toEqual([]);
});
