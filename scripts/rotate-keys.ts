/**
 * `npm run rotate-keys` (in the image: `node dist/scripts/rotate-keys.js`): seal every stored secret
 * again under the current PARLEY_SECRET_KEYS key, so that the older keys can be removed (README,
 * "Rotating keys"). Starts the `rotate-secrets` workflow or attaches to the one running, prints its
 * progress, and ends with a summary: exit 0 when the rotation finished, 1 when it failed.
 *
 * Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE and the TEMPORAL_TLS_* / TEMPORAL_API_KEY* settings like the worker, and PARLEY_PAYLOAD_KEYS when
 * payloads are encrypted (to read the progress). No PARLEY_SECRET_KEYS: the workers re-seal, with theirs.
 *   npm run rotate-keys -- --batch-size=500
 */
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import { temporalDataConverter } from '../models/payload-codec';
import { RESEAL_BATCH_MAX } from '../models/secret-rotation';
import { TEMPORAL_CONNECTION_ENV, loadTemporalConnection, sdkConnectionOptions } from '../models/temporal-connection';
import { progressLine, rotateKeys, summary } from './lib/rotate-keys';

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default('parley-conversations'),
  PARLEY_PAYLOAD_KEYS: z.string().optional(),
  // TLS, mTLS and API keys as the worker reads them (README, "Connecting to a secured Temporal").
  ...TEMPORAL_CONNECTION_ENV,
});

const Args = z.object({ batchSize: z.coerce.number().int().min(1).max(RESEAL_BATCH_MAX).optional() });

function parse(): { env: z.infer<typeof Env>; args: z.infer<typeof Args> } {
  const env = Env.safeParse(process.env);
  const raw: Record<string, string> = {};
  for (const arg of process.argv.slice(2)) {
    const match = /^--batch-size=(.+)$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg} (usage: npm run rotate-keys -- [--batch-size=N])`);
    raw.batchSize = match[1]!;
  }
  const args = Args.safeParse(raw);
  const issues = [...(env.error?.issues ?? []), ...(args.error?.issues ?? [])];
  if (!env.success || !args.success) throw new Error(`invalid settings: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { env: env.data, args: args.data };
}

const say = (line: string): boolean => process.stdout.write(`[rotate-keys] ${line}\n`);

async function main(): Promise<number> {
  const { env, args } = parse();
  const connection = await Connection.connect(sdkConnectionOptions(loadTemporalConnection(env)));
  try {
    const dataConverter = temporalDataConverter(env.PARLEY_PAYLOAD_KEYS);
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) });
    say(`re-sealing stored secrets with the workers on task queue "${env.TASK_QUEUE}" (${env.TEMPORAL_ADDRESS}, namespace ${env.TEMPORAL_NAMESPACE}); workflow id rotate-secrets`);
    const { progress } = await rotateKeys({
      client,
      taskQueue: env.TASK_QUEUE,
      batchSize: args.batchSize,
      onStart: ({ attached }) => say(attached ? 'a rotation is already running: following it (the Web UI shows its progress in its memo)' : 'rotation started'),
      onProgress: (p) => say(progressLine(p)),
      onWaiting: (message) => say(message),
    });
    process.stdout.write(`\n${summary(progress)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      // The reason is at the end of the chain (an activity's failure wraps the error it threw).
      const reasons: string[] = [];
      for (let cause: Error | undefined = error.cause; cause; cause = cause.cause instanceof Error ? cause.cause : undefined) reasons.push(cause.message);
      process.stderr.write(`[rotate-keys] the rotation failed: ${reasons.join(': ') || error.message}\nRun the command again once that is fixed: it starts over and skips what is already re-sealed.\n`);
      return 1;
    }
    throw error;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[rotate-keys] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
