import type { Client } from '@temporalio/client';
import type { Connection } from 'mongoose';
import { accountModels } from '../models/account.model';
import { agentModels } from '../models/agent.model';
import { botModels } from '../models/bot.model';
import { connectionModels } from '../models/connection.model';
import { conversationModels } from '../models/conversation.model';
import { idempotencyModels } from '../models/idempotency.model';
import { knowledgeModels } from '../models/knowledge.model';
import { webhookModels } from '../models/webhook.model';
import { websiteModels } from '../models/website.model';
import { slaModels } from '../models/sla.model';
import { createLogger, logFunction, type StructuredLogger } from '../models/logger';
import { SecretBox } from '../models/secret-box';
import type { ApiConfig } from './config';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { OwnershipCache } from './ownership-cache';
import { pollingFeed, type EventFeed } from '../models/event-feed';

/** What the routers need: models bound to one connection, the Temporal client, settings. */
export function createDeps(options: { db: Connection; temporal: Client; config: ApiConfig; log?: Logger; logger?: StructuredLogger; metrics?: ApiMetrics; eventFeed?: EventFeed }) {
  // JSON lines on stdout with secrets redacted (models/logger.ts); LOG_LEVEL sets the level.
  const logger = options.logger ?? createLogger({ name: 'api', level: options.config.LOG_LEVEL });
  return {
    ...accountModels(options.db),
    ...botModels(options.db),
    ...conversationModels(options.db),
    ...connectionModels(options.db),
    ...knowledgeModels(options.db),
    ...webhookModels(options.db),
    ...websiteModels(options.db),
    ...idempotencyModels(options.db),
    ...slaModels(options.db),
    ...agentModels(options.db),
    temporal: options.temporal,
    conversationOwners: new OwnershipCache(),
    config: options.config,
    /** Seals connection credentials; built at start-up so a malformed PARLEY_SECRET_KEYS fails fast. */
    secrets: new SecretBox(options.config.PARLEY_SECRET_KEYS),
    /** Messages and errors (an error by name and message only: request bodies and secrets never reach logs). */
    log: options.log ?? logFunction(logger),
    /** The structured logger (request logs, fields); pino. */
    logger,
    /** This app's Prometheus registry and metrics (its own registry: several apps may share a process). */
    metrics: options.metrics ?? createApiMetrics(),
    /** New events as they are written (a change stream on a replica set), or nothing: the event streams poll. */
    eventFeed: options.eventFeed ?? pollingFeed,
  };
}
export type ApiDeps = ReturnType<typeof createDeps>;

export type Logger = (message: string, error?: unknown) => void;
