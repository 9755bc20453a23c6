/**
 * What every outbound call starts from: the account's connection and its opened secrets, and the agents
 * for its network policy. Loading is always scoped by account, so one tenant can never call through
 * another's connection even with a guessed id.
 */
import type { Connection as MongoConnection, Model } from 'mongoose';
import type { AuthSecrets } from '../../core/http/auth';
import { connectionModels, type CallLogDoc, type ConnectionDoc, type ConnectionSecrets, type EndpointDoc } from '../../models/connection.model';
import type { SecretBox } from '../../models/secret-box';
import { createOutboundNetwork, type OutboundNetwork } from './network';
import type { SafeAgents } from './safe-agent';

/** Options of the outbound HTTP path. */
export interface HttpOptions {
  /** Largest response body accepted, in bytes (decompressed). Default 1 MiB. */
  maxResponseBytes?: number;
  /**
   * Where tenant traffic may go (the deployment's allowlist and deny list); a connection's
   * `allowPrivateNetwork` works only inside it. Absent: public https destinations only.
   */
  network?: OutboundNetwork;
  /**
   * The API's public base URL (the worker's PUBLIC_URL), where a callback-mode long-running call's
   * one-time callback URL points: `${publicUrl}/v1/callbacks/<token>`. Absent: such calls are refused.
   */
  publicUrl?: string;
  /** PARLEY_SECRET_KEYS, whose derived keys sign callback tokens (models/callback-token.ts); the API verifies with the same. */
  callbackKeys?: string;
}

export interface HttpActivityDeps {
  db: MongoConnection;
  secrets: SecretBox;
  http?: HttpOptions;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Shared by the HTTP activities: models, the agents per policy, options. */
export interface HttpContext {
  models: { ApiConnection: Model<ConnectionDoc>; Endpoint: Model<EndpointDoc>; CallLog: Model<CallLogDoc> };
  secrets: SecretBox;
  maxResponseBytes: number;
  /** The agents for a connection: its private-network request, judged by the deployment's policy. */
  network(connection: ConnectionDoc): { agents: SafeAgents };
  /**
   * Which connection an endpoint belongs to, as last read (`account:endpoint` -> connection id). An
   * endpoint never moves to another connection, so a call can read its endpoint and connection at once.
   */
  endpointConnections: Map<string, string>;
  /** Where callback URLs point and the keys that sign them; absent: this worker cannot make callback URLs. */
  callbacks?: { publicUrl: string; keySpec: string };
}

/** Endpoints whose connection a worker remembers; the map starts over when full. */
export const ENDPOINT_CONNECTIONS_MAX = 10_000;

export function createHttpContext(deps: HttpActivityDeps): HttpContext {
  const { ApiConnection, Endpoint, CallLog } = connectionModels(deps.db);
  const outbound = deps.http?.network ?? createOutboundNetwork();
  return {
    endpointConnections: new Map(),
    models: { ApiConnection, Endpoint, CallLog },
    secrets: deps.secrets,
    maxResponseBytes: deps.http?.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    network: (connection) => ({ agents: outbound.agents(connection.allowPrivateNetwork) }),
    ...(deps.http?.publicUrl && deps.http.callbackKeys ? { callbacks: { publicUrl: deps.http.publicUrl.replace(/\/+$/, ''), keySpec: deps.http.callbackKeys } } : {}),
  };
}

export type LoadedConnection = { connection: ConnectionDoc; secrets: AuthSecrets } | { error: 'not_found' | 'credentials_unavailable' };

/** The account's connection with its secrets opened; never throws for a missing or unreadable one. */
export async function loadConnection(context: HttpContext, accountId: string, connectionId: string): Promise<LoadedConnection> {
  const connection = await context.models.ApiConnection.findOne({ _id: connectionId, accountId }).lean<ConnectionDoc>();
  if (!connection) return { error: 'not_found' };
  try {
    const opened = context.secrets.open<ConnectionSecrets>(connection.sealed, connection._id);
    return { connection, secrets: { auth: opened.auth ?? {}, headers: opened.headers ?? {} } };
  } catch {
    // A rotated-out key or tampered data: say so without any detail of the secret.
    return { error: 'credentials_unavailable' };
  }
}
