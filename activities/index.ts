import type { Client } from '@temporalio/client';
import type { Connection } from 'mongoose';
import type { SecretBox } from '../models/secret-box';
import { createActionRunActivities } from './action-run';
import { createHttpActivities, type HttpOptions } from './http/call-endpoint';
import { createDocumentActivities } from './http/fetch-document';
import { createOutboundNetwork } from './http/network';
import { createLlmActivities } from './llm/complete-chat';
import { createInboxActivities } from './inbox';
import { createKnowledgeActivities } from './knowledge';
import { createSecretRotationActivities } from './rotate-secrets';
import { createSlaActivities } from './sla';
import { createTranscriptActivities } from './transcript';
import { createWebhookActivities } from './webhooks';

/** Everything activities need from the outside world, injected so tests can pass their own. */
export interface ActivityDeps {
  db: Connection;
  /** Opens connection credentials (sealed by the API with the same PARLEY_SECRET_KEYS). */
  secrets: SecretBox;
  http?: HttpOptions;
  /** Told when `saveTurn` (or a delivery that disabled an endpoint) recorded events (the worker's webhook dispatcher then looks for them). */
  onEvents?: (eventIds: string[]) => void;
  /** A client on the worker's connection and its task queue: action runs are started with it (./action-run.ts). */
  temporal?: Client;
  taskQueue?: string;
}

/** Builds every activity the worker registers, bound to its dependencies. */
export function createActivities(deps: ActivityDeps) {
  // One network for every outbound activity: one set of pooled sockets, one refresh of the deny list.
  const http: HttpOptions = { ...deps.http, network: deps.http?.network ?? createOutboundNetwork() };
  return {
    ...createTranscriptActivities(deps.db, deps.onEvents),
    ...createHttpActivities({ db: deps.db, secrets: deps.secrets, http }),
    ...createDocumentActivities({ http }),
    ...createLlmActivities({ db: deps.db, secrets: deps.secrets, http }),
    ...createKnowledgeActivities(deps.db),
    ...createWebhookActivities({ db: deps.db, secrets: deps.secrets, http, onEvents: deps.onEvents }),
    ...createActionRunActivities({ temporal: deps.temporal, taskQueue: deps.taskQueue }),
    ...createSecretRotationActivities({ db: deps.db, secrets: deps.secrets }),
    ...createSlaActivities(deps.db),
    ...createInboxActivities({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue }),
  };
}

/** The activity functions, as workflows see them (import this type only from workflow code). */
export type ConversationActivities = ReturnType<typeof createActivities>;
