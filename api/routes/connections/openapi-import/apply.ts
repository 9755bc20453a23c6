/**
 * Writes an import plan all or nothing. The store has no multi-document transactions (FerretDB), so each
 * write that succeeds pushes its undo, and any failure runs the undos in reverse before the error is
 * answered: created endpoints (and a created connection) are deleted, updated endpoints put back as
 * they were read. Updates are compare-and-set on `updatedAt`, so an endpoint edited meanwhile fails the
 * import (409) rather than being overwritten.
 */
import type { EndpointUpdate, ImportPlan } from '../../../../core/openapi-import/reconcile';
import type { ConnectionDoc, EndpointDoc } from '../../../../models/connection.model';
import { CreateEndpointBody } from '../../../../models/connection.schema';
import type { ApiDeps } from '../../../deps';
import { AppError } from '../../../errors';
import { newId } from '../../../ids';
import { endpointIssues } from '../endpoint-rules';
import { checkActionsStillValid } from '../endpoints';
import { nextUpdatedAt } from '../lookups';

export interface AppliedImport {
  created: Array<{ key: string; endpointId: string }>;
  updated: Array<{ key: string; endpointId: string; kept: string[] }>;
  missing: Array<{ key: string; endpointId: string; missingSince: string }>;
}

/**
 * Each update merged into its endpoint and checked as `PATCH` checks it (the endpoint on its own, then
 * every action using it); refused with 409 `import_conflict` (or `endpoint_in_use`) before anything is written.
 */
export async function checkUpdates(deps: ApiDeps, accountId: string, updates: EndpointUpdate[], current: Map<string, EndpointDoc>): Promise<void> {
  const conflicts: Array<{ key: string; endpointId: string; field: string; message: string }> = [];
  for (const update of updates) {
    const endpoint = current.get(update.endpointId)!;
    const merged = mergedDoc(endpoint, update);
    const parsed = CreateEndpointBody.safeParse(withoutStored(merged));
    const issue = parsed.success ? endpointIssues(parsed.data)[0] : { field: parsed.error.issues[0]?.path.join('.') ?? '', message: parsed.error.issues[0]?.message ?? 'invalid' };
    if (issue) conflicts.push({ key: update.key, endpointId: update.endpointId, ...issue });
    else await checkActionsStillValid(deps, accountId, merged);
  }
  const first = conflicts[0];
  if (first) {
    throw new AppError(409, 'import_conflict', `endpoint ${first.endpointId} (${first.key}): with your changes kept, the update would not be valid (${first.field}: ${first.message}); change or delete the endpoint, or leave the operation out`, conflicts);
  }
}

function mergedDoc(endpoint: EndpointDoc, update: EndpointUpdate): EndpointDoc {
  const merged: EndpointDoc = { ...endpoint, ...update.fields, imported: update.record };
  if (update.fields.bodyTemplate === undefined) delete merged.bodyTemplate;
  return merged;
}

/** The endpoint as a create body (what the endpoint checks read). */
function withoutStored(endpoint: EndpointDoc): Record<string, unknown> {
  const { _id, accountId: _a, connectionId: _c, createdAt: _t, updatedAt: _u, imported: _i, ...body } = endpoint;
  void _id;
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined && v !== null));
}

export async function applyImport(
  deps: ApiDeps,
  { accountId, connection, isNew, plan, current }: { accountId: string; connection: ConnectionDoc; isNew: boolean; plan: ImportPlan; current: Map<string, EndpointDoc> },
): Promise<AppliedImport> {
  const connectionId = connection._id;
  const undo: Array<() => Promise<unknown>> = [];
  const applied: AppliedImport = { created: [], updated: [], missing: [] };
  try {
    if (isNew) {
      await deps.ApiConnection.create(connection);
      undo.push(() => deps.ApiConnection.deleteOne({ _id: connection._id, accountId }));
    }
    for (const { operation, record } of plan.create) {
      const { bodyTemplate, timeoutMs, ...fields } = CreateEndpointBody.parse(operation.endpoint);
      const now = record.importedAt;
      const endpoint: EndpointDoc = {
        _id: newId('ep'),
        accountId,
        connectionId,
        ...fields,
        ...(bodyTemplate !== undefined && bodyTemplate !== null && { bodyTemplate }),
        ...(timeoutMs !== undefined && { timeoutMs }),
        imported: record,
        createdAt: now,
        updatedAt: now,
      };
      await deps.Endpoint.create(endpoint);
      undo.push(() => deps.Endpoint.deleteOne({ _id: endpoint._id, accountId, connectionId }));
      applied.created.push({ key: operation.key, endpointId: endpoint._id });
    }
    for (const update of plan.update) {
      const before = current.get(update.endpointId)!;
      const { _id, accountId: _a, connectionId: _c, createdAt: _t, ...set } = { ...mergedDoc(before, update), updatedAt: nextUpdatedAt(before.updatedAt) };
      const unset = set.bodyTemplate === undefined && before.bodyTemplate !== undefined ? { $unset: { bodyTemplate: 1 } } : {};
      await compareAndSet(deps, before, { $set: set, ...unset });
      undo.push(() => deps.Endpoint.replaceOne({ _id: before._id, accountId, connectionId }, before));
      applied.updated.push({ key: update.key, endpointId: _id, kept: update.kept });
    }
    for (const missing of plan.missing) {
      if (missing.newly) {
        const before = current.get(missing.endpointId)!;
        await compareAndSet(deps, before, { $set: { 'imported.missingSince': missing.since, updatedAt: nextUpdatedAt(before.updatedAt) } });
        undo.push(() => deps.Endpoint.replaceOne({ _id: before._id, accountId, connectionId }, before));
      }
      applied.missing.push({ key: missing.key, endpointId: missing.endpointId, missingSince: missing.since.toISOString() });
    }
    return applied;
  } catch (error) {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (undoError) {
        deps.log(`openapi import: undoing a write of connection ${connectionId} failed`, undoError);
      }
    }
    throw error;
  }
}

/** One endpoint changed only if it is still as read (its `updatedAt`); else 409 and the import is undone. */
async function compareAndSet(deps: ApiDeps, before: EndpointDoc, change: Record<string, unknown>): Promise<void> {
  const updated = await deps.Endpoint.findOneAndUpdate({ _id: before._id, accountId: before.accountId, connectionId: before.connectionId, updatedAt: before.updatedAt }, change, { returnDocument: 'after' }).lean();
  if (!updated) throw new AppError(409, 'concurrent_update', `endpoint ${before._id} was changed by another request during the import; nothing was imported, try again`);
}
