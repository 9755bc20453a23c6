import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { EndpointDoc } from '../../../models/connection.model';
import { CreateEndpointBody, UpdateEndpointBody } from '../../../models/connection.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { page, PageQuery } from '../../pagination';
import { parse } from '../../validate';
import { ConnectionParams, EndpointParams, parsePath } from '../../path-params';
import { actionIssues, endpointIdsOf, storedSteps, type EndpointFacts } from './action-rules';
import { endpointIssues } from './endpoint-rules';
import { rejectIssues } from './issues';
import { ForceQuery } from './connections';
import { actionsUsing, findConnection, findEndpoint, nextUpdatedAt } from './lookups';
import { endpointView } from './views';

export const EndpointListQuery = z.strictObject(PageQuery);

/** `POST /v1/connections/:id/endpoints` */
export function createEndpoint(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    const accountId = callerOf(res).accountId;
    const body = parse(CreateEndpointBody, req.body);
    await findConnection(deps, accountId, id);
    rejectIssues('invalid_endpoint', endpointIssues(body));
    const now = new Date();
    const { bodyTemplate, timeoutMs, ...fields } = body;
    const endpoint: EndpointDoc = {
      _id: newId('ep'),
      accountId,
      connectionId: id,
      ...fields,
      ...(bodyTemplate !== undefined && bodyTemplate !== null && { bodyTemplate }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      createdAt: now,
      updatedAt: now,
    };
    await deps.Endpoint.create(endpoint);
    res.status(201).json({ endpoint: endpointView(endpoint) });
  };
}

/** `GET /v1/connections/:id/endpoints?limit=&after=` — oldest first. */
export function listEndpoints(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    const query = parse(EndpointListQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    await findConnection(deps, accountId, id);
    const filter: Record<string, unknown> = { accountId, connectionId: id };
    if (query.after) filter._id = { $gt: query.after };
    const endpoints = await deps.Endpoint.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
    res.json(page(endpoints.map(endpointView), query.limit));
  };
}

/** `GET /v1/connections/:id/endpoints/:eid` */
export function getEndpoint(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id, eid } = parsePath(EndpointParams, req.params);
    res.json({ endpoint: endpointView(await findEndpoint(deps, callerOf(res).accountId, id, eid)) });
  };
}

/**
 * `PATCH /v1/connections/:id/endpoints/:eid` — any subset of fields, each replaced whole. The merged
 * endpoint is checked as a whole, and so is every action that uses it: a change that would leave an
 * action pointing at a parameter or response field that no longer exists is refused (409 `endpoint_in_use`).
 */
export function updateEndpoint(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id, eid } = parsePath(EndpointParams, req.params);
    const parsed = parse(UpdateEndpointBody, req.body);
    // zod 4 still fills the defaults of fields that `.partial()` made optional; only what was sent changes.
    const given = new Set(Object.keys(req.body as object));
    const body = Object.fromEntries(Object.entries(parsed).filter(([key]) => given.has(key))) as Partial<typeof parsed>;
    if (Object.keys(body).length === 0) {
      throw new AppError(400, 'validation_failed', 'body: give at least one field to change', [{ path: 'body', message: 'give at least one field to change', code: 'custom' }]);
    }
    const accountId = callerOf(res).accountId;
    const current = await findEndpoint(deps, accountId, id, eid);

    const merged: EndpointDoc = { ...current, ...body, updatedAt: nextUpdatedAt(current.updatedAt) };
    if (merged.bodyTemplate === null) delete merged.bodyTemplate;
    rejectIssues('invalid_endpoint', endpointIssues(merged));
    await checkActionsStillValid(deps, accountId, merged);

    const { _id, accountId: _account, connectionId: _connection, createdAt: _created, ...fields } = merged;
    // `"bodyTemplate": null` removes the template.
    const unset = given.has('bodyTemplate') && body.bodyTemplate === null ? { $unset: { bodyTemplate: 1 } } : {};
    const updated = await deps.Endpoint.findOneAndUpdate(
      { _id, accountId, connectionId: id, updatedAt: current.updatedAt },
      { $set: fields, ...unset },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) {
      await findEndpoint(deps, accountId, id, eid);
      throw new AppError(409, 'concurrent_update', 'the endpoint was changed by another request; read it again and retry');
    }
    res.json({ endpoint: endpointView(updated) });
  };
}

/** Refuses (409 `endpoint_in_use`) a change of `endpoint` that would break an action using it. */
export async function checkActionsStillValid(deps: ApiDeps, accountId: string, endpoint: EndpointDoc): Promise<void> {
  const actions = await actionsUsing(deps, accountId, [endpoint._id]);
  if (actions.length === 0) return;
  const ids = [...new Set(actions.flatMap(endpointIdsOf))];
  const stored = await deps.Endpoint.find({ _id: { $in: ids }, accountId }).lean();
  const endpoints = new Map<string, EndpointFacts>(stored.map((e) => [e._id, e]));
  endpoints.set(endpoint._id, endpoint);
  const broken = actions.flatMap((a) => actionIssues({ steps: storedSteps(a.steps), outputStep: a.outputStep }, endpoints).map((issue) => ({ action: a.actionId, ...issue })));
  if (broken.length > 0) {
    throw new AppError(409, 'endpoint_in_use', `the change would break action "${broken[0]!.action}" (${broken[0]!.field}: ${broken[0]!.message}); change the action first`, broken);
  }
}

/**
 * `DELETE /v1/connections/:id/endpoints/:eid[?force=true]` — refused with 409 `endpoint_in_use` while
 * an action uses it (as a step or a compensation); with `force=true` it goes anyway and those actions
 * fail when run until they are changed.
 */
export function deleteEndpoint(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id, eid } = parsePath(EndpointParams, req.params);
    const { force } = parse(ForceQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    await findEndpoint(deps, accountId, id, eid);
    const actions = (await actionsUsing(deps, accountId, [eid])).map((a) => a.actionId);
    if (actions.length > 0 && force !== 'true') {
      throw new AppError(409, 'endpoint_in_use', `actions ${actions.map((a) => `"${a}"`).join(', ')} use this endpoint; change them first, or send ?force=true`, { actions });
    }
    const deleted = await deps.Endpoint.deleteOne({ _id: eid, accountId, connectionId: id });
    if (deleted.deletedCount === 0) throw AppError.notFound('endpoint');
    res.status(204).end();
  };
}
