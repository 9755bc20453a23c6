import { Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Connection } from 'mongoose';
import { createActivities } from '../activities';
import { createEventDispatcher } from '../activities/events';
import { openConversationEventFeed, type ChangeStreamSetting } from '../models/event-feed';
import type { HttpOptions } from '../activities/http/call-endpoint';
import { createLogger, logFunction, type StructuredLogger } from '../models/logger';
import { temporalDataConverter } from '../models/payload-codec';
import type { SecretBox } from '../models/secret-box';
import { activityMetricsInterceptors, tenancyInterceptors } from './interceptors';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';
import { workerDeploymentOptions } from './versioning';
import { WORKFLOW_BUNDLER_OPTIONS } from './workflow-bundle';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  db: Connection;
  secrets: SecretBox;
  http?: HttpOptions;
  taskQueue: string;
  namespace?: string;
  /** Path of a prebuilt workflow bundle; when absent the worker bundles `workflows/` itself. */
  workflowBundlePath?: string;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxCachedWorkflows?: number;
  /** PARLEY_PAYLOAD_KEYS: encrypt workflow payloads (the API's client needs the same); unset: plain. */
  payloadKeys?: string;
  /** Delays before each webhook delivery attempt (ms); the Standard Webhooks schedule when absent. */
  webhookRetryScheduleMs?: number[];
  /** Where activity and action metrics are counted (worker/main.ts serves its registry); a fresh registry when absent. */
  metrics?: WorkerMetrics;
  /** The worker's structured logger (the webhook dispatcher logs through it); a default pino logger when absent. */
  logger?: StructuredLogger;
  /**
   * SHUTDOWN_GRACE_SECONDS: after SIGTERM (or `shutdown()`) the worker stops polling and lets its in-flight
   * tasks finish for this long; activities still running then are cancelled (and retried by Temporal on
   * another worker). Default 0, the SDK's: cancel at once.
   */
  shutdownGraceSeconds?: number;
  /**
   * WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID: poll as this Worker Deployment Version (worker/versioning.ts),
   * so Temporal routes each workflow to the version its versioning behaviour allows; absent: unversioned.
   */
  deploymentVersion?: WorkerDeploymentVersion;
  /**
   * MONGODB_CHANGE_STREAMS (models/event-feed.ts): `auto` (the default) has the webhook dispatcher told of
   * new events by a change stream when MongoDB has them; `on` makes `run()` fail without one; `off` sweeps only.
   */
  changeStreams?: ChangeStreamSetting;
}

/** Builds the Parley worker: every workflow and activity, wired to its dependencies. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: require.resolve('../workflows'), bundlerOptions: WORKFLOW_BUNDLER_OPTIONS };
  const dataConverter = temporalDataConverter(options.payloadKeys);
  const workerDeployment = workerDeploymentOptions(options.deploymentVersion);
  // Conversation events become webhook deliveries through this dispatcher (an outbox read by every
  // worker; a delivery's workflow id makes a second start harmless). It runs while the worker runs.
  // On the worker's own NativeConnection: action runs started with it can be started eagerly on this worker.
  const temporal = new Client({ connection: options.connection, namespace: options.namespace ?? 'default', ...(dataConverter ? { dataConverter } : {}) });
  const log = logFunction(options.logger ?? createLogger({ name: 'worker' }));
  const dispatcher = createEventDispatcher({
    db: options.db,
    temporal,
    taskQueue: options.taskQueue,
    retryScheduleMs: options.webhookRetryScheduleMs,
    log,
  });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    ...workflowSource,
    ...(dataConverter ? { dataConverter } : {}),
    activities: createActivities({ db: options.db, secrets: options.secrets, http: options.http, onEvents: dispatcher.kick, temporal, taskQueue: options.taskQueue }),
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions ?? 200,
    maxCachedWorkflows: options.maxCachedWorkflows ?? 2000,
    ...(options.shutdownGraceSeconds ? { shutdownGraceTime: options.shutdownGraceSeconds * 1000 } : {}),
    ...(workerDeployment ? { workerDeploymentOptions: workerDeployment } : {}),
    // Counts and times every activity attempt from the outside (worker/interceptors.ts); the SDK's own
    // logging interceptor stays (custom interceptors no longer replace the defaults since SDK 1.9).
    interceptors: { activity: [activityMetricsInterceptors(options.metrics ?? createWorkerMetrics()), tenancyInterceptors] },
  });
  const run = worker.run.bind(worker);
  const metrics = options.metrics;
  worker.run = async () => {
    // Opened with the run and closed with it: new events written by any process reach the dispatcher at once.
    const feed = await openConversationEventFeed(options.db, { setting: options.changeStreams ?? 'auto', log });
    dispatcher.start(feed);
    // The process is ready (GET /ready on the metrics port) while a worker runs.
    metrics?.workersRunning.inc();
    try {
      return await run();
    } finally {
      metrics?.workersRunning.dec();
      await dispatcher.stop();
      await feed.close();
    }
  };
  return worker;
}
