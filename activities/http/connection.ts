/**
 * What every outbound call starts from: the account's connection and its opened secrets, and the agents
 * for its network policy. Loading is always scoped by account, so one tenant can never call through
 * another's connection even with a guessed id.
 */
import type { Connection as MongoConnection, Model } from 'mongoose';
import type { AuthSecrets } from '../../core/http/auth';
import { connectionModels, type CallLogDoc, type ConnectionDoc, type ConnectionSecrets, type EndpointDoc } from '../../models/connection.model';
import type { SecretBox } from '../../models/secret-box';
import { createSafeAgents, type SafeAgents } from './safe-agent';

/** Options of the outbound HTTP path. */
export interface HttpOptions {
  /** Largest response body accepted, in bytes (decompressed). Default 1 MiB. */
  maxResponseBytes?: number;
  /**
   * Deployment-wide switch for connections' `allowPrivateNetwork`. Default true (the connection decides).
   * A multi-tenant deployment where tenants must never reach the worker's network sets this to false.
   */
  allowPrivateNetworks?: boolean;
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
  /** The agents for a connection, and whether it may reach private networks (after the deployment switch). */
  network(connection: ConnectionDoc): { agents: SafeAgents; allowPrivateNetwork: boolean };
  /**
   * Which connection an endpoint belongs to, as last read (`account:endpoint` -> connection id). An
   * endpoint never moves to another connection, so a call can read its endpoint and connection at once.
   */
  endpointConnections: Map<string, string>;
}

/** Endpoints whose connection a worker remembers; the map starts over when full. */
export const ENDPOINT_CONNECTIONS_MAX = 10_000;

export function createHttpContext(deps: HttpActivityDeps): HttpContext {
  const { ApiConnection, Endpoint, CallLog } = connectionModels(deps.db);
  const publicOnly = createSafeAgents({ allowPrivateNetwork: false });
  let privateAllowed: SafeAgents | undefined; // created on first use: most deployments never need it
  const deploymentAllows = deps.http?.allowPrivateNetworks ?? true;
  return {
    endpointConnections: new Map(),
    models: { ApiConnection, Endpoint, CallLog },
    secrets: deps.secrets,
    maxResponseBytes: deps.http?.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    network(connection) {
      if (!(connection.allowPrivateNetwork && deploymentAllows)) return { agents: publicOnly, allowPrivateNetwork: false };
      privateAllowed ??= createSafeAgents({ allowPrivateNetwork: true });
      return { agents: privateAllowed, allowPrivateNetwork: true };
    },
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
