/**
 * `POST /v1/connections/import` and `POST /v1/connections/:id/import`: an OpenAPI document turned into a
 * connection and its endpoints. Without `dryRun: false` the answer is a preview and nothing is written;
 * with it the selected operations are created (or, in a connection they were imported into before,
 * updated where the user has not changed them), all or nothing, and operations gone from the document
 * are flagged on their endpoints, never deleted.
 */
import type { RequestHandler } from 'express';
import { OPENAPI_IMPORT_LIMITS } from '../../../../core/openapi-import/convert';
import { planImport, type ImportPlan, type StoredEndpoint } from '../../../../core/openapi-import/reconcile';
import type { ImportPreview, OperationDraft } from '../../../../core/openapi-import/types';
import type { EndpointDoc } from '../../../../models/connection.model';
import { CreateConnectionBody } from '../../../../models/connection.schema';
import { callerOf } from '../../../auth';
import type { ApiDeps } from '../../../deps';
import { AppError } from '../../../errors';
import { ConnectionParams, parsePath } from '../../../path-params';
import { newConnectionDoc } from '../connections';
import { findConnection } from '../lookups';
import { connectionView } from '../views';
import { applyImport, checkUpdates, type AppliedImport } from './apply';
import { OpenApiImportBody, OpenApiImportIntoBody, readImportBody } from './body';
import { previewOf } from './preview';

/** `POST /v1/connections/import`: preview, or create a connection with the selected operations. */
export function importOpenApi(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const body = readImportBody(OpenApiImportBody, req.body);
    const accountId = callerOf(res).accountId;
    const preview = await previewOf(deps, accountId, body);
    if (body.dryRun) return void res.json(previewView(preview));

    const selected = selectedOperations(preview, body.select);
    const warnings: string[] = [];
    const connection = await newConnectionDoc(deps, accountId, connectionBody(preview, body, warnings));
    const plan = planImport({ selected, all: preview.operations, existing: [], now: new Date() });
    const applied = await applyImport(deps, { accountId, connection, isNew: true, plan, current: new Map() });
    res.status(201).json(appliedView(deps, connection, preview, plan, applied, warnings));
  };
}

/** `POST /v1/connections/:id/import`: preview (each operation new, an update, or unchanged), or import into the connection. */
export function importOpenApiInto(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    const body = readImportBody(OpenApiImportIntoBody, req.body);
    const accountId = callerOf(res).accountId;
    const connection = await findConnection(deps, accountId, id);
    const preview = await previewOf(deps, accountId, body);
    const stored = await deps.Endpoint.find({ accountId, connectionId: id }).lean<EndpointDoc[]>();
    const current = new Map(stored.map((e) => [e._id, e]));
    const now = new Date();
    if (body.dryRun) {
      const plan = planImport({ selected: preview.operations, all: preview.operations, existing: stored as StoredEndpoint[], now });
      return void res.json(previewView(preview, plan));
    }
    const plan = planImport({ selected: selectedOperations(preview, body.select), all: preview.operations, existing: stored as StoredEndpoint[], now });
    await checkUpdates(deps, accountId, plan.update, current);
    const applied = await applyImport(deps, { accountId, connection, isNew: false, plan, current });
    res.json(appliedView(deps, connection, preview, plan, applied, []));
  };
}

/** The operations named by `select` (all when absent), at most 200; an unknown key is a 400 naming it. */
function selectedOperations(preview: ImportPreview, select: string[] | undefined): OperationDraft[] {
  if (!select) {
    if (preview.operations.length > OPENAPI_IMPORT_LIMITS.operationsPerImport) {
      throw new AppError(400, 'too_many_operations', `the document has ${preview.operations.length} operations; select at most ${OPENAPI_IMPORT_LIMITS.operationsPerImport} by key`, { operations: preview.operations.length });
    }
    if (preview.operations.length === 0) throw new AppError(400, 'no_operations', 'the document has no operation that can be imported', { skipped: preview.skipped });
    return preview.operations;
  }
  const byKey = new Map(preview.operations.map((o) => [o.key, o]));
  const unknown = select.filter((key) => !byKey.has(key));
  if (unknown.length > 0) {
    const skipped = new Set(preview.skipped.map((s) => s.key));
    throw new AppError(400, 'unknown_operation', `"${unknown[0]}" is not an operation of the document that can be imported`, unknown.map((key) => ({ key, reason: skipped.has(key) ? 'skipped' : 'not in the document' })));
  }
  return [...new Set(select)].map((key) => byKey.get(key)!);
}

/** The new connection: the body's settings over the document's (server, name), secrets only from the body. */
function connectionBody(preview: ImportPreview, body: OpenApiImportBody, warnings: string[]): CreateConnectionBody {
  const given = body.connection ?? {};
  const draft = preview.connection;
  let baseUrl = given.baseUrl;
  if (baseUrl === undefined && given.server !== undefined) {
    const server = draft.servers[given.server];
    if (!server?.usable) throw new AppError(400, 'invalid_server', server ? `server ${given.server} cannot be used (${server.note}); give connection.baseUrl` : `the document has no server ${given.server}`, { servers: draft.servers });
    baseUrl = server.url;
  }
  baseUrl ??= draft.baseUrl ?? undefined;
  if (baseUrl === undefined) throw new AppError(400, 'base_url_required', 'the document names no absolute server URL; give connection.baseUrl', { servers: draft.servers });
  if (!given.auth && draft.auth.type !== 'none') warnings.push(`the document declares ${draft.auth.type} auth, and no credentials were given: the connection has none until you set them (PATCH /v1/connections/:id)`);
  if (!given.auth) for (const u of draft.unsupportedAuth) warnings.push(`the document's security scheme "${u.scheme}" is not supported (${u.note})`);
  const parsed = CreateConnectionBody.safeParse({
    name: given.name ?? draft.name,
    baseUrl,
    ...(given.auth && { auth: given.auth }),
    ...(given.headers && { headers: given.headers }),
    ...(given.timeoutMs !== undefined && { timeoutMs: given.timeoutMs }),
    allowPrivateNetwork: given.allowPrivateNetwork ?? body.allowPrivateNetwork,
  });
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({ path: ['body', 'connection', ...issue.path.map(String)].join('.'), message: issue.message, code: issue.code }));
    throw new AppError(400, 'invalid_connection', `${details[0]!.path}: ${details[0]!.message}`, details);
  }
  return parsed.data;
}

function previewView(preview: ImportPreview, plan?: ImportPlan) {
  const status = new Map<string, { status: 'new' | 'update' | 'unchanged'; endpointId?: string }>();
  for (const c of plan?.create ?? []) status.set(c.operation.key, { status: 'new' });
  for (const u of plan?.update ?? []) status.set(u.key, { status: 'update', endpointId: u.endpointId });
  for (const u of plan?.unchanged ?? []) status.set(u.key, { status: 'unchanged', endpointId: u.endpointId });
  return {
    document: preview.document,
    connection: preview.connection,
    operations: preview.operations.map((o) => ({ key: o.key, operationId: o.operationId, method: o.method, path: o.path, pointer: o.pointer, endpoint: o.endpoint, notes: o.notes, ...(plan && { status: status.get(o.key)?.status ?? 'new', endpointId: status.get(o.key)?.endpointId ?? null }) })),
    skipped: preview.skipped,
    ...(plan && { missing: plan.missing.map((m) => ({ key: m.key, endpointId: m.endpointId, missingSince: m.newly ? null : m.since.toISOString() })) }),
    notes: preview.notes,
  };
}

function appliedView(deps: ApiDeps, connection: Parameters<typeof connectionView>[0], preview: ImportPreview, plan: ImportPlan, applied: AppliedImport, warnings: string[]) {
  return {
    connection: connectionView(connection, deps.config.outbound),
    created: applied.created,
    updated: applied.updated,
    unchanged: plan.unchanged,
    missing: applied.missing,
    skipped: preview.skipped,
    warnings,
  };
}
