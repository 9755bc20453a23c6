/**
 * `npx tsx scripts/bench/store-probe.ts`: the store's own cost for four query shapes, on FerretDB as
 * Parley built it before its pushdown patch ('id-index') and as it builds it now ('parley'), each on a
 * fresh database holding STORE_PROBE_MESSAGES (100,000) messages of 10,000 conversations with the message
 * model's indexes. Prints p50 of 9 per query and build. The data-growth phase of `npm run bench` measures
 * whole requests; this isolates the store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort, startFerretDb, type FerretBuild } from '../lib/infra';

const MESSAGES = Number(process.env.STORE_PROBE_MESSAGES ?? 100_000);

async function p50(run: (i: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const started = process.hrtime.bigint();
    await run(i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b)[4]!;
}

async function probe(build: FerretBuild): Promise<Record<string, number>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-store-probe-${build}-`));
  const server = await startFerretDb({ port: await freePort(), dataDir, build });
  const client = await MongoClient.connect(server.address);
  try {
    const messages = client.db('probe').collection<{ _id: string; [k: string]: unknown }>('messages');
    await messages.createIndex({ conversationId: 1, seq: 1 }, { unique: true });
    await messages.createIndex({ accountId: 1, _id: -1 });
    const text = 'hello there, I would like to book a table for two at seven tonight please '.repeat(3);
    for (let from = 0; from < MESSAGES; from += 5_000) {
      const batch = Array.from({ length: Math.min(5_000, MESSAGES - from) }, (_, j) => {
        const i = from + j;
        return { _id: `msg_${String(i).padStart(8, '0')}`, accountId: `acc_${Math.floor(i / 10) % 100}`, conversationId: `conv_${Math.floor(i / 10)}`, seq: i % 10, role: 'visitor', text, createdAt: new Date(1_700_000_000_000 + i * 1000) };
      });
      await messages.insertMany(batch, { ordered: false });
    }
    const id = (i: number): string => `msg_${String((12_345 + i * 1_000) % MESSAGES).padStart(8, '0')}`;
    const conversations = MESSAGES / 10;
    return {
      'findOne({_id})': await p50((i) => messages.findOne({ _id: id(i) })),
      'findOne({_id, accountId})': await p50((i) => messages.findOne({ _id: id(i), accountId: 'acc_34' })),
      'find({conversationId}).sort({seq: 1}).limit(50)': await p50((i) => messages.find({ conversationId: `conv_${(777 + i) % conversations}` }).sort({ seq: 1 }).limit(50).toArray()),
      'find({accountId}).sort({_id: -1}).limit(20)': await p50((i) => messages.find({ accountId: `acc_${5 + i}` }).sort({ _id: -1 }).limit(20).toArray()),
    };
  } finally {
    await client.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const before = await probe('id-index');
  const after = await probe('parley');
  process.stdout.write(`\n${MESSAGES.toLocaleString('en-US')} messages, p50 of 9\n\n| query | FerretDB as built before | patched |\n|---|---|---|\n`);
  for (const query of Object.keys(before)) process.stdout.write(`| \`${query}\` | ${before[query]!.toFixed(1)} ms | ${after[query]!.toFixed(1)} ms |\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
