/** Worker process entry: connect to Temporal and MongoDB, run until SIGINT/SIGTERM. */
import type { LogLevel as TemporalLogLevel } from '@temporalio/common';
import { DefaultLogger, Runtime, type NativeConnection } from '@temporalio/worker';
import type { Server } from 'node:http';
import { createOutboundNetwork } from '../activities/http/network';
import { connectDatabase } from '../models/db';
import { createLogger, type LogLevel, type StructuredLogger } from '../models/logger';
import { SecretBox } from '../models/secret-box';
import { loadWorkerConfig, type WorkerConfig } from './config';
import { createWorker } from './create-worker';
import { createWorkerMetrics, serveMetrics } from './metrics';
import { runRenewingWorker } from './renewing-worker';
import { versionLabel } from './versioning';

const TEMPORAL_LEVEL: Record<LogLevel, TemporalLogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };
const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<TemporalLogLevel, LogLevel>;

/**
 * The Temporal SDK's logger (workflow and activity `log`, worker lifecycle, core's forwarded logs) as
 * pino lines: the same format (JSON, or pretty in a terminal), the same redaction. Installed once per
 * process, before any connection is made, which is why only this entry does it and never code that tests
 * import.
 */
function temporalLogger(logger: StructuredLogger, level: LogLevel): DefaultLogger {
  return new DefaultLogger(TEMPORAL_LEVEL[level], (entry) => {
    logger[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message);
  });
}

async function main(config: WorkerConfig, logger: StructuredLogger): Promise<void> {
  Runtime.install({
    logger: temporalLogger(logger, config.LOG_LEVEL),
    telemetryOptions: {
      // SDK core's own lines (its warnings: connection, polling, server capabilities) through that logger
      // too; without `forward`, core prints them to stderr itself, neither JSON nor redacted.
      logging: { forward: {} },
      // SDK core's own metrics (task slots, poll and schedule-to-start latencies), on their own port.
      ...(config.TEMPORAL_METRICS_ADDRESS ? { metrics: { prometheus: { bindAddress: config.TEMPORAL_METRICS_ADDRESS } } } : {}),
    },
  });
  if (process.env.ALLOW_PRIVATE_NETWORK_CONNECTIONS !== undefined) {
    logger.warn('ALLOW_PRIVATE_NETWORK_CONNECTIONS is no longer read: tenants reach private networks only inside OUTBOUND_ALLOWLIST (README, "Outbound network")');
  }
  const network = createOutboundNetwork(config.outbound);
  logger.info({ allow: config.outbound.allow.map((r) => r.text), deny: config.outbound.deny.map((r) => r.text), publicPorts: [...config.outbound.publicPorts] }, 'outbound network policy');
  const metrics = createWorkerMetrics({ processMetrics: true });
  const db = await connectDatabase(config.MONGODB_URI);
  const secrets = new SecretBox(config.PARLEY_SECRET_KEYS);
  // One worker per Temporal connection: a renewed certificate brings a new connection and a new worker,
  // and the old one drains (worker/renewing-worker.ts).
  const build = (connection: NativeConnection) =>
    createWorker({
      connection,
      db,
      secrets,
      // Callback URLs of long-running calls point at the API's PUBLIC_URL and are signed with keys derived from PARLEY_SECRET_KEYS.
      http: { network, publicUrl: config.PUBLIC_URL, callbackKeys: config.PARLEY_SECRET_KEYS },
      taskQueue: config.TASK_QUEUE,
      changeStreams: config.MONGODB_CHANGE_STREAMS,
      namespace: config.TEMPORAL_NAMESPACE,
      workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
      maxConcurrentWorkflowTaskExecutions: config.MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: config.MAX_CACHED_WORKFLOWS,
      shutdownGraceSeconds: config.SHUTDOWN_GRACE_SECONDS,
      payloadKeys: config.PARLEY_PAYLOAD_KEYS,
      deploymentVersion: config.deploymentVersion,
      webhookRetryScheduleMs: config.WEBHOOK_RETRY_SCHEDULE_MS,
      metrics,
      logger,
    });
  // A metrics port already taken (a second worker on the host) is logged, not fatal: the worker's job is
  // the task queue, and Prometheus reports the missing target.
  let metricsServer: Server | undefined;
  if (config.METRICS_PORT !== 0) {
    metricsServer = await serveMetrics({ registry: metrics.registry, port: config.METRICS_PORT, host: config.METRICS_HOST, token: config.METRICS_AUTH_TOKEN }).then(
      (server) => {
        logger.info({ port: config.METRICS_PORT, host: config.METRICS_HOST, auth: config.METRICS_AUTH_TOKEN !== undefined }, `metrics on http://${config.METRICS_HOST}:${config.METRICS_PORT}/metrics`);
        return server;
      },
      (error: unknown) => {
        logger.error({ err: error, port: config.METRICS_PORT }, 'metrics server did not start; the worker runs without it');
        return undefined;
      },
    );
  }
  // Worker.run() returns after SIGINT/SIGTERM once in-flight tasks are done (the SDK installs the handlers).
  await runRenewingWorker({
    settings: config,
    build,
    logger,
    watchIntervalMs: config.TEMPORAL_TLS_RELOAD_SECONDS * 1000,
    onStarted: (summary) => {
      const version = config.deploymentVersion ? versionLabel(config.deploymentVersion) : undefined;
      logger.info(
        { taskQueue: config.TASK_QUEUE, temporalAddress: config.TEMPORAL_ADDRESS, temporal: summary, workerDeploymentVersion: version ?? null },
        `polling task queue ${config.TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}${version ? ` as worker deployment version ${version}` : ''}`,
      );
    },
  });
  network.close();
  metricsServer?.close();
  await db.close();
}

function start(): void {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    // The configuration is what failed: this logger has the default level and format.
    createLogger({ name: 'worker' }).fatal({ err: error }, 'fatal: the worker did not start');
    process.exit(1);
  }
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  main(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'fatal: the worker stopped');
    process.exit(1);
  });
}

start();
