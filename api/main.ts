/** API process entry: connect to MongoDB and Temporal, serve HTTP until SIGINT/SIGTERM. */
import { Client } from '@temporalio/client';
import { connectDatabase, syncIndexes } from '../models/db';
import { openConversationEventFeed } from '../models/event-feed';
import { createLogger, logFunction } from '../models/logger';
import { purgeIdempotencyKeys } from '../models/idempotency.model';
import { purgeOldEvents } from '../models/webhook.model';
import { purgeAgentSessions } from '../models/agent.model';
import { purgeSlaSamples } from '../models/sla.model';
import { temporalDataConverter } from '../models/payload-codec';
import { createApp } from './app';
import { loadApiConfig } from './config';
import { createDeps } from './deps';
import { createApiMetrics } from './metrics';
import { connectRenewingTemporal } from './temporal-connection';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const db = await connectDatabase(config.MONGODB_URI);
  // TLS, mTLS or an API key as configured (models/temporal-connection.ts); renewed certificates are picked
  // up without dropping in-flight calls (api/temporal-connection.ts).
  const temporalConnection = await connectRenewingTemporal({ settings: config, logger, watchIntervalMs: config.TEMPORAL_TLS_RELOAD_SECONDS * 1000 });
  const connection = temporalConnection.connection;
  // With PARLEY_PAYLOAD_KEYS, payloads (visitor text...) are encrypted before they reach Temporal.
  const dataConverter = temporalDataConverter(config.PARLEY_PAYLOAD_KEYS);
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) });
  // The process's own registry, with Node's process metrics (CPU, memory, event loop lag) beside Parley's.
  // A change stream tells the event streams of new events on a replica set; elsewhere they poll (models/event-feed.ts).
  const eventFeed = await openConversationEventFeed(db, { setting: config.MONGODB_CHANGE_STREAMS, log: logFunction(logger) });
  if (eventFeed.mode === 'change-stream') logger.info('new events come from a MongoDB change stream');
  const deps = createDeps({ db, temporal, config, logger, metrics: createApiMetrics({ processMetrics: true }), eventFeed });
  await syncIndexes(db);
  // FerretDB has no TTL indexes, so expiry is an hourly clean-up: idempotency keys of conversation starts
  // after 24 h, events and webhook delivery logs after EVENT_RETENTION_DAYS, agent sessions past their expiry,
  // SLA sample ids after a week (the aggregates stay). Idempotent; any instance may run it.
  const cleanUp = (): void => {
    void purgeIdempotencyKeys(deps.IdempotencyKey).catch((error: unknown) => deps.log('idempotency key clean-up failed', error));
    void purgeOldEvents(deps, config.EVENT_RETENTION_DAYS).catch((error: unknown) => deps.log('event clean-up failed', error));
    void purgeAgentSessions(deps.AgentSession).catch((error: unknown) => deps.log('agent session clean-up failed', error));
    void purgeSlaSamples(deps.SlaSample).catch((error: unknown) => deps.log('SLA sample clean-up failed', error));
  };
  cleanUp();
  setInterval(cleanUp, 3600_000).unref();
  const server = createApp(deps).listen(config.PORT, config.HOST, () => {
    logger.info({ port: config.PORT, host: config.HOST, metricsAuth: config.METRICS_AUTH_TOKEN !== undefined }, `listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`);
  });
  const shutdown = (): void => {
    server.close(() => {
      void eventFeed.close().then(() => temporalConnection.close()).then(() => db.close()).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  // The configuration may be what failed: this logger has the default level.
  createLogger({ name: 'api' }).fatal({ err: error }, 'fatal: the API did not start');
  process.exit(1);
});
