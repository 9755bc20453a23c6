import type { Client } from '@temporalio/client';
import type { Connection } from 'mongoose';
import { accountModels } from '../models/account.model';
import { botModels } from '../models/bot.model';
import { connectionModels } from '../models/connection.model';
import { conversationModels } from '../models/conversation.model';
import { idempotencyModels } from '../models/idempotency.model';
import { knowledgeModels } from '../models/knowledge.model';
import { webhookModels } from '../models/webhook.model';
import { SecretBox } from '../models/secret-box';
import type { ApiConfig } from './config';
import { OwnershipCache } from './ownership-cache';

/** What the routers need: models bound to one connection, the Temporal client, settings. */
export function createDeps(options: { db: Connection; temporal: Client; config: ApiConfig; log?: Logger }) {
  return {
    ...accountModels(options.db),
    ...botModels(options.db),
    ...conversationModels(options.db),
    ...connectionModels(options.db),
    ...knowledgeModels(options.db),
    ...webhookModels(options.db),
    ...idempotencyModels(options.db),
    temporal: options.temporal,
    conversationOwners: new OwnershipCache(),
    config: options.config,
    /** Seals connection credentials; built at start-up so a malformed PARLEY_SECRET_KEYS fails fast. */
    secrets: new SecretBox(options.config.PARLEY_SECRET_KEYS),
    log: options.log ?? defaultLogger,
  };
}
export type ApiDeps = ReturnType<typeof createDeps>;

export type Logger = (message: string, error?: unknown) => void;

const defaultLogger: Logger = (message, error) => {
  // Errors are logged by message and name only: request bodies (and anything secret) never reach logs.
  const detail = error instanceof Error ? ` ${error.name}: ${error.message}` : '';
  console.error(`[api] ${message}${detail}`);
};
