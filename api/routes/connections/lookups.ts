/** Account-scoped lookups shared by the connection, endpoint, action and log routes. */
import type { ActionDoc, ConnectionDoc, EndpointDoc } from '../../../models/connection.model';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';


/** The caller's connection, or 404 (also for another account's id: existence is not disclosed). */
export async function findConnection(deps: ApiDeps, accountId: string, id: string): Promise<ConnectionDoc> {
  const connection = await deps.ApiConnection.findOne({ _id: id, accountId }).lean();
  if (!connection) throw AppError.notFound('connection');
  return connection;
}

/** The endpoint of the caller's connection, or 404 naming whichever of the two is not theirs. */
export async function findEndpoint(deps: ApiDeps, accountId: string, connectionId: string, id: string): Promise<EndpointDoc> {
  await findConnection(deps, accountId, connectionId);
  const endpoint = await deps.Endpoint.findOne({ _id: id, accountId, connectionId }).lean();
  if (!endpoint) throw AppError.notFound('endpoint');
  return endpoint;
}

/** The caller's actions that call any of these endpoints, as a step or as a compensation. */
export async function actionsUsing(deps: ApiDeps, accountId: string, endpointIds: string[]): Promise<ActionDoc[]> {
  if (endpointIds.length === 0) return [];
  const uses = { $in: endpointIds };
  return deps.Action.find({ accountId, $or: [{ 'steps.endpointId': uses }, { 'steps.compensation.endpointId': uses }] })
    .sort({ actionId: 1 })
    .lean();
}

/**
 * The `updatedAt` of a change: now, but always after the previous one, because updates match on the
 * previous `updatedAt` (compare-and-set) and two changes in one millisecond must not look alike.
 */
export function nextUpdatedAt(previous: Date): Date {
  return new Date(Math.max(Date.now(), previous.getTime() + 1));
}
