import type { NetworkPolicy } from '../../../core/http/network-policy';
import type { ConnectionDoc, EndpointDoc } from '../../../models/connection.model';
import { privateNetworkAccess } from '../../outbound';

/**
 * What every secret reads as in a response. Fixed, and not derived from the secret (no last characters,
 * no length): a view says that a credential is set, never anything about it.
 */
export const MASK = '••••';

/** The auth as shown: its type and non-secret parts, with each secret replaced by MASK. */
function maskedAuth(auth: ConnectionDoc['auth']) {
  switch (auth.type) {
    case 'api_key':
      return { type: auth.type, in: auth.in, name: auth.name, value: MASK };
    case 'bearer':
      return { type: auth.type, token: MASK };
    case 'basic':
      return { type: auth.type, username: auth.username, password: MASK };
    default:
      return { type: 'none' as const };
  }
}

/** Built field by field (never by spreading the document), so `sealed` cannot leak into a response. */
export const connectionView = (c: ConnectionDoc, policy: NetworkPolicy) => ({
  id: c._id,
  name: c.name,
  baseUrl: c.baseUrl,
  auth: maskedAuth(c.auth),
  headers: Object.fromEntries(c.headerNames.map((name) => [name, MASK])),
  timeoutMs: c.timeoutMs,
  allowPrivateNetwork: c.allowPrivateNetwork,
  privateNetworkAccess: privateNetworkAccess(policy, c.baseUrl, c.allowPrivateNetwork),
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export const endpointView = (e: EndpointDoc) => ({
  id: e._id,
  connectionId: e.connectionId,
  name: e.name,
  description: e.description,
  method: e.method,
  path: e.path,
  parameters: e.parameters,
  bodyTemplate: e.bodyTemplate ?? null,
  responseFields: e.responseFields,
  validations: e.validations,
  sideEffects: e.sideEffects,
  timeoutMs: e.timeoutMs ?? null,
  retry: e.retry,
  longRunning: e.longRunning ?? null,
  imported: e.imported ? { key: e.imported.key, operationId: e.imported.operationId, importedAt: new Date(e.imported.importedAt).toISOString(), missingSince: e.imported.missingSince ? new Date(e.imported.missingSince).toISOString() : null } : null,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});
