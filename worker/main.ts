/** Worker process entry: connect to Temporal and MongoDB, run until SIGINT/SIGTERM. */
import { NativeConnection } from '@temporalio/worker';
import { connectDatabase } from '../models/db';
import { SecretBox } from '../models/secret-box';
import { loadWorkerConfig } from './config';
import { createWorker } from './create-worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const db = await connectDatabase(config.MONGODB_URI);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    db,
    secrets: new SecretBox(config.PARLEY_SECRET_KEYS),
    http: { allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORK_CONNECTIONS === 'true' },
    taskQueue: config.TASK_QUEUE,
    namespace: config.TEMPORAL_NAMESPACE,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    maxConcurrentWorkflowTaskExecutions: config.MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: config.MAX_CACHED_WORKFLOWS,
    payloadKeys: config.PARLEY_PAYLOAD_KEYS,
    webhookRetryScheduleMs: config.WEBHOOK_RETRY_SCHEDULE_MS,
  });
  console.log(`[worker] polling task queue ${config.TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
  // Worker.run() returns after SIGINT/SIGTERM once in-flight tasks are done (the SDK installs the handlers).
  await worker.run();
  await connection.close();
  await db.close();
}

main().catch((error: unknown) => {
  console.error('[worker] fatal:', error instanceof Error ? error.message : error);
  process.exit(1);
});
