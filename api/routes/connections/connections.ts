import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { ConnectionDoc, ConnectionSecrets } from '../../../models/connection.model';
import { CreateConnectionBody, UpdateConnectionBody } from '../../../models/connection.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { page, PageQuery } from '../../pagination';
import { parse } from '../../validate';
import { ConnectionParams, parsePath } from '../../path-params';
import { checkAuth, checkHeaderNames, checkHeaders, checkTransport, normalizeBaseUrl, originOf, splitAuth } from './connection-input';
import { rejectIssues, type FieldIssue } from './issues';
import { actionsUsing, findConnection, nextUpdatedAt } from './lookups';
import { connectionView } from './views';

export const ConnectionListQuery = z.strictObject(PageQuery);
export const ForceQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });

/** `POST /v1/connections` */
export function createConnection(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const body = parse(CreateConnectionBody, req.body);
    const connection = await newConnectionDoc(deps, callerOf(res).accountId, body);
    await deps.ApiConnection.create(connection);
    res.status(201).json({ connection: connectionView(connection, deps.config.outbound) });
  };
}

/**
 * A new connection checked (base URL, transport, auth and headers; 400 `invalid_connection` naming each
 * problem) and its secrets sealed, not yet stored: the create route and the OpenAPI import store it.
 */
export async function newConnectionDoc(deps: ApiDeps, accountId: string, body: CreateConnectionBody): Promise<ConnectionDoc> {
  const issues: FieldIssue[] = [];
  const baseUrl = normalizeBaseUrl(body.baseUrl, issues);
  await checkTransport(deps.config.outbound, baseUrl, body.allowPrivateNetwork, issues);
  const auth = splitAuth(body.auth);
  checkAuth(body.auth, issues);
  checkHeaders(body.headers, auth.shown, issues);
  rejectIssues('invalid_connection', issues);

  const id = newId('conn');
  const now = new Date();
  const secrets: ConnectionSecrets = { auth: auth.secret, headers: body.headers };
  return {
    _id: id,
    accountId,
    name: body.name,
    baseUrl,
    auth: auth.shown,
    headerNames: Object.keys(body.headers),
    // Bound to the connection id: the worker's activities open it with that id, and a sealed value
    // copied onto another connection does not open.
    sealed: deps.secrets.seal(secrets, id),
    timeoutMs: body.timeoutMs,
    allowPrivateNetwork: body.allowPrivateNetwork,
    createdAt: now,
    updatedAt: now,
  };
}

/** `GET /v1/connections?limit=&after=` — oldest first. */
export function listConnections(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const query = parse(ConnectionListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.after) filter._id = { $gt: query.after };
    const connections = await deps.ApiConnection.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
    res.json(page(connections.map((c) => connectionView(c, deps.config.outbound)), query.limit));
  };
}

/** `GET /v1/connections/:id` */
export function getConnection(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    res.json({ connection: connectionView(await findConnection(deps, callerOf(res).accountId, id), deps.config.outbound) });
  };
}

/**
 * `PATCH /v1/connections/:id` — any subset; `auth` and `headers` are replaced whole when given, and the
 * secrets are sealed again (with the current key). Moving the connection to another origin needs its
 * credentials sent again: otherwise a write-only secret could be redirected to a host of the caller's
 * choosing and read there.
 */
export function updateConnection(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    const body = parse(UpdateConnectionBody, req.body);
    const updated = await changeConnection(deps, { accountId: callerOf(res).accountId, id, body });
    res.json({ connection: connectionView(updated, deps.config.outbound) });
  };
}

/**
 * A connection changed as `PATCH` changes it (also `from-curl` saving the credentials it found): checked,
 * the secrets sealed again, and written by compare-and-set against `current` (read here when not given).
 */
export async function changeConnection(deps: ApiDeps, { accountId, id, body, current: given }: { accountId: string; id: string; body: UpdateConnectionBody; current?: ConnectionDoc }): Promise<ConnectionDoc> {
  const current = given ?? (await findConnection(deps, accountId, id));
  const issues: FieldIssue[] = [];
  const baseUrl = body.baseUrl === undefined ? current.baseUrl : normalizeBaseUrl(body.baseUrl, issues);
  // Judged again only when the destination or the request changes: a stored connection the allowlist no
  // longer covers can still be renamed (its calls are refused, and its view says so).
  if (body.baseUrl !== undefined || body.allowPrivateNetwork !== undefined) await checkTransport(deps.config.outbound, baseUrl, body.allowPrivateNetwork ?? current.allowPrivateNetwork, issues);
  if (issues.length === 0 && originOf(baseUrl) !== originOf(current.baseUrl)) {
    if (current.auth.type !== 'none' && !body.auth) issues.push({ field: 'auth', message: 'send the credentials again when changing the origin of baseUrl' });
    if (current.headerNames.length > 0 && !body.headers) issues.push({ field: 'headers', message: 'send the headers again when changing the origin of baseUrl' });
  }
  const auth = body.auth ? splitAuth(body.auth) : undefined;
  if (body.auth) checkAuth(body.auth, issues);
  if (body.headers) checkHeaders(body.headers, auth?.shown ?? current.auth, issues);
  else if (auth) checkHeaderNames(current.headerNames, auth.shown, issues);
  rejectIssues('invalid_connection', issues);

  const set: Partial<ConnectionDoc> = { updatedAt: nextUpdatedAt(current.updatedAt) };
  for (const key of ['name', 'timeoutMs', 'allowPrivateNetwork'] as const) if (body[key] !== undefined) Object.assign(set, { [key]: body[key] });
  if (body.baseUrl !== undefined) set.baseUrl = baseUrl;
  if (auth || body.headers) {
    const kept = auth && body.headers ? undefined : openSecrets(deps, current);
    const secrets: ConnectionSecrets = { auth: auth?.secret ?? kept!.auth, headers: body.headers ?? kept!.headers };
    set.sealed = deps.secrets.seal(secrets, id);
    if (auth) set.auth = auth.shown;
    if (body.headers) set.headerNames = Object.keys(body.headers);
  }
  // Matching updatedAt makes this a compare-and-set: the checks above saw the document being replaced,
  // and two concurrent PATCHes of auth and of headers cannot each keep the other's old secrets.
  const updated = await deps.ApiConnection.findOneAndUpdate({ _id: id, accountId, updatedAt: current.updatedAt }, { $set: set }, { returnDocument: 'after' }).lean();
  if (!updated) {
    await findConnection(deps, accountId, id);
    throw new AppError(409, 'concurrent_update', 'the connection was changed by another request; read it again and retry');
  }
  return updated;
}

export function openSecrets(deps: ApiDeps, connection: ConnectionDoc): ConnectionSecrets {
  try {
    return deps.secrets.open<ConnectionSecrets>(connection.sealed, connection._id);
  } catch {
    // The key that sealed it is gone from PARLEY_SECRET_KEYS (or the value was tampered with).
    throw new AppError(409, 'secrets_unreadable', 'the stored credentials cannot be opened with the configured keys; send both auth and headers to replace them');
  }
}

/**
 * `DELETE /v1/connections/:id[?force=true]` — refused with 409 `connection_in_use` while it has
 * endpoints (the details list them and the actions using them); with `force=true` its endpoints are
 * deleted too, and actions using them fail when run until changed. Call logs stay (they are history).
 */
export function deleteConnection(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    const { force } = parse(ForceQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    await findConnection(deps, accountId, id);
    const endpoints = (await deps.Endpoint.find({ accountId, connectionId: id }, { _id: 1 }).lean()).map((e) => e._id);
    if (endpoints.length > 0 && force !== 'true') {
      const actions = (await actionsUsing(deps, accountId, endpoints)).map((a) => a.actionId);
      throw new AppError(409, 'connection_in_use', `the connection has ${endpoints.length} endpoint(s); delete them first, or send ?force=true to delete them with it`, { endpoints, actions });
    }
    // The connection first: endpoints left behind by a failure here are unreachable through the API
    // (every endpoint route looks up its connection first), the reverse would leave a half-emptied one.
    const deleted = await deps.ApiConnection.deleteOne({ _id: id, accountId });
    if (deleted.deletedCount === 0) throw AppError.notFound('connection');
    await deps.Endpoint.deleteMany({ accountId, connectionId: id });
    res.status(204).end();
  };
}
