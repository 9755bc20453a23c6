import { z } from 'zod';
import { outboundPolicy } from '../core/http/outbound-config';
import { PolicyParseError, type NetworkPolicy } from '../core/http/network-policy';
import { LOG_FORMATS, LOG_LEVELS } from '../models/logger';
import { CHANGE_STREAM_SETTINGS } from '../models/event-feed';
import { TEMPORAL_CONNECTION_ENV, TemporalConnectionError, loadTemporalConnection } from '../models/temporal-connection';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { WORKER_VERSIONING_ENV, deploymentVersionFrom } from './versioning';

const WorkerEnv = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Secure connections to Temporal (models/temporal-connection.ts; README "Connecting to a secured Temporal"). */
  TEMPORAL_TLS: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS,
  TEMPORAL_TLS_CA: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CA,
  TEMPORAL_TLS_CA_PEM: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CA_PEM,
  TEMPORAL_TLS_SERVER_NAME: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_SERVER_NAME,
  TEMPORAL_TLS_CERT: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CERT,
  TEMPORAL_TLS_KEY: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_KEY,
  TEMPORAL_TLS_CERT_PEM: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CERT_PEM,
  TEMPORAL_TLS_KEY_PEM: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_KEY_PEM,
  TEMPORAL_API_KEY: TEMPORAL_CONNECTION_ENV.TEMPORAL_API_KEY,
  TEMPORAL_API_KEY_FILE: TEMPORAL_CONNECTION_ENV.TEMPORAL_API_KEY_FILE,
  /** Seconds between checks of those files for renewals (the connection is renewed when one changes). */
  TEMPORAL_TLS_RELOAD_SECONDS: z.coerce.number().int().min(1).default(10),
  TASK_QUEUE: z.string().min(1).default('parley-conversations'),
  /**
   * Worker Deployment Versioning (worker/versioning.ts; README "Upgrading without breaking conversations"):
   * the Worker Deployment this worker belongs to (`parley`) and the build it runs (the image tag, a git
   * sha). Both or neither; unset: an unversioned worker.
   */
  WORKER_DEPLOYMENT_NAME: WORKER_VERSIONING_ENV.WORKER_DEPLOYMENT_NAME,
  WORKER_BUILD_ID: WORKER_VERSIONING_ENV.WORKER_BUILD_ID,
  MONGODB_URI: z.string().min(1).default('mongodb://127.0.0.1:27017/parley'),
  /** `auto`: new events reach the webhook dispatcher from a change stream when MongoDB has them (a replica set), else a sweep; `on`: required; `off`: never. */
  MONGODB_CHANGE_STREAMS: z.enum(CHANGE_STREAM_SETTINGS).default('auto'),
  /** Keys that open connection credentials: "<id>:<base64 32 bytes>[,...]", the same as the API's. */
  PARLEY_SECRET_KEYS: z.string().min(1, 'PARLEY_SECRET_KEYS is required (the same value as the API)'),
  /**
   * Where tenant traffic (connections, webhooks, AI providers) may go besides public https on 443
   * (core/http/outbound-config.ts): destinations a tenant's `allowPrivateNetwork` may reach, Parley's
   * own services that nothing tenant-configured may reach, and the ports public destinations may use.
   */
  OUTBOUND_ALLOWLIST: z.string().optional(),
  OUTBOUND_DENYLIST: z.string().optional(),
  OUTBOUND_PUBLIC_PORTS: z.string().optional(),
  /**
   * The API's public base URL (`https://chat.example.com`, the API's PUBLIC_URL): a long-running call in
   * callback mode hands the business a one-time URL on it. Unset: such calls fail with a plain reason.
   */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')).optional(),
  /** A prebuilt workflow bundle (from `bundleWorkflowCode`); without it the worker bundles at start. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(200),
  MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(2000),
  /**
   * Seconds a stopping worker (SIGTERM) lets its in-flight tasks finish before cancelling the activities
   * still running (the SDK's shutdownGraceTime); 0: cancel at once. Keep the orchestrator's kill delay longer
   * (Kubernetes' terminationGracePeriodSeconds: the Helm chart adds a margin).
   */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(0),
  /** Keys that encrypt Temporal payloads: the same value as the API's (unset: plain payloads). */
  PARLEY_PAYLOAD_KEYS: z.string().optional(),
  /** Webhook retry delays in ms, comma-separated (`0,5000,...`); the Standard Webhooks schedule when unset. */
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .regex(/^\d+(,\d+){0,19}$/, 'comma-separated milliseconds')
    .transform((value) => value.split(',').map(Number))
    .optional(),
  /** pino level of the logs on stdout (Temporal's own worker logs included). */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** `json` (one object per line) or `pretty` (coloured lines for a terminal); unset: `pretty` when stdout is a terminal, else `json`. */
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
  /** Port of the worker's Prometheus endpoint (`GET /metrics`: activities, actions); 0 turns it off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Bearer token the metrics endpoint requires; unset: open, so keep the port off the public network. */
  METRICS_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * `host:port` for the Temporal SDK core's own Prometheus exporter (task slots, poll latencies, sticky
   * cache; metric names prefixed `temporal_`), e.g. `0.0.0.0:9465`; unset: off.
   */
  TEMPORAL_METRICS_ADDRESS: z.string().regex(/^\S+:\d{1,5}$/, 'host:port').optional(),
});
export type WorkerConfig = z.infer<typeof WorkerEnv> & {
  outbound: NetworkPolicy;
  /** The deployment version this worker polls as; undefined: unversioned. */
  deploymentVersion?: WorkerDeploymentVersion;
};

/** Parses the worker's environment once; fails fast naming what is wrong. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = WorkerEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid worker environment: ${problems}`);
  }
  const config = parsed.data;
  let deploymentVersion: WorkerDeploymentVersion | undefined;
  try {
    deploymentVersion = deploymentVersionFrom(config);
  } catch (error) {
    throw new Error(`invalid worker environment: ${(error as Error).message}`, { cause: error });
  }
  // The certificates, key and API key are read and checked now, so a bad one stops the start naming its variable.
  try {
    loadTemporalConnection(config);
  } catch (error) {
    if (error instanceof TemporalConnectionError) throw new Error(`invalid worker environment: ${error.message}`, { cause: error });
    throw error;
  }
  const temporalMetricsPort = config.TEMPORAL_METRICS_ADDRESS ? Number(config.TEMPORAL_METRICS_ADDRESS.split(':').pop()) : 0;
  try {
    const outbound = outboundPolicy(config, { temporalAddress: config.TEMPORAL_ADDRESS, mongodbUri: config.MONGODB_URI, localPorts: [config.METRICS_PORT, temporalMetricsPort] });
    return { ...config, outbound, ...(deploymentVersion ? { deploymentVersion } : {}) };
  } catch (error) {
    if (error instanceof PolicyParseError) throw new Error(`invalid worker environment: OUTBOUND_*: ${error.message}`, { cause: error });
    throw error;
  }
}
