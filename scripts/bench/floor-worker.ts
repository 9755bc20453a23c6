/** Runs the floor workflow's worker in its own process, like Parley's worker. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { sdkConnectionOptions, temporalConnectionFromEnv } from '../../models/temporal-connection';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const taskQueue = process.env.TASK_QUEUE ?? 'bench-floor';
  // TLS / API key settings as Parley's worker reads them (a bench against a secured BENCH_TEMPORAL_ADDRESS).
  const connection = await NativeConnection.connect(sdkConnectionOptions(temporalConnectionFromEnv(process.env, { address })));
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./floor-workflow'),
    maxConcurrentWorkflowTaskExecutions: 200,
  });
  console.log(`[floor-worker] polling task queue ${taskQueue}`);
  await worker.run();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error('[floor-worker] fatal:', error);
  process.exit(1);
});
