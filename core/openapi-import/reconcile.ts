/**
 * A later import of a document into a connection it was imported into before: which operations are new,
 * which update the endpoint an earlier import created (matched by operationId, else method and path),
 * and which earlier ones the document no longer has (flagged, never deleted). An update changes only what
 * the user has not changed since: each endpoint remembers what the import wrote (`imported.values`), so a
 * field (or a parameter's field) that still equals it takes the document's new value, and one that does
 * not is the user's edit and stays. Pure: the API reads the endpoints, this decides, the API writes.
 */
import type { ImportRecord } from '../../models/connection.schema';
import { IMPORTED_FIELD_NAMES, type ImportedFields, type OperationDraft } from './types';

export type { ImportRecord };

export interface StoredEndpoint extends ImportedFields {
  _id: string;
  imported?: ImportRecord | null;
}

export interface EndpointUpdate {
  endpointId: string;
  key: string;
  fields: ImportedFields;
  record: ImportRecord;
  /** Fields kept as the user changed them (`description`, `parameters.id.description`, ...). */
  kept: string[];
}

export interface ImportPlan {
  create: Array<{ operation: OperationDraft; record: ImportRecord }>;
  update: EndpointUpdate[];
  unchanged: Array<{ endpointId: string; key: string }>;
  /** Imported endpoints whose operation the document no longer has; `since` is when it was first missed. */
  missing: Array<{ endpointId: string; key: string; since: Date; newly: boolean }>;
}

/** JSON with object keys sorted: two values are the same when their canonical texts are. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}
export const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** The stored endpoint an operation updates: same operationId, else same method and path. */
function matcher(existing: StoredEndpoint[]) {
  const imported = existing.filter((e) => e.imported);
  const used = new Set<string>();
  return (operation: Pick<OperationDraft, 'operationId' | 'method' | 'path'>): StoredEndpoint | undefined => {
    const free = imported.filter((e) => !used.has(e._id));
    const found =
      (operation.operationId !== null ? free.find((e) => e.imported!.operationId === operation.operationId) : undefined) ??
      free.find((e) => e.imported!.method === operation.method && e.imported!.path === operation.path && (e.imported!.operationId === null || e.imported!.operationId !== operation.operationId));
    if (found) used.add(found._id);
    return found;
  };
}

/**
 * `selected`: the operations to create or update; `all`: every operation of the document (an imported
 * endpoint whose operation is not among them is missing).
 */
export function planImport({ selected, all, existing, now }: { selected: OperationDraft[]; all: OperationDraft[]; existing: StoredEndpoint[]; now: Date }): ImportPlan {
  const plan: ImportPlan = { create: [], update: [], unchanged: [], missing: [] };
  const match = matcher(existing);
  const record = (operation: OperationDraft): ImportRecord => ({
    key: operation.key,
    operationId: operation.operationId,
    method: operation.method,
    path: operation.path,
    values: operation.endpoint,
    importedAt: now,
    missingSince: null,
  });
  const selectedKeys = new Set(selected.map((o) => o.key));
  const present = new Set<string>();
  for (const operation of all) {
    const stored = match(operation);
    if (stored) present.add(stored._id);
    if (!selectedKeys.has(operation.key)) continue;
    if (!stored) {
      plan.create.push({ operation, record: record(operation) });
      continue;
    }
    const previous = stored.imported!;
    const { fields, kept } = mergeFields(stored, previous.values, operation.endpoint);
    if (same(pick(stored), fields) && same(previous.values, operation.endpoint) && previous.missingSince === null && previous.key === operation.key) {
      plan.unchanged.push({ endpointId: stored._id, key: operation.key });
    } else {
      plan.update.push({ endpointId: stored._id, key: operation.key, fields, record: record(operation), kept });
    }
  }
  for (const stored of existing) {
    if (!stored.imported || present.has(stored._id)) continue;
    const since = stored.imported.missingSince;
    plan.missing.push({ endpointId: stored._id, key: stored.imported.key, since: since ?? now, newly: since === null });
  }
  return plan;
}

function pick(fields: ImportedFields): ImportedFields {
  const picked: Record<string, unknown> = {};
  for (const name of IMPORTED_FIELD_NAMES) if (fields[name] !== undefined) picked[name] = fields[name];
  return picked as ImportedFields;
}

/** Each field: the document's new value where the endpoint still holds what the import wrote, else the endpoint's own. */
export function mergeFields(current: ImportedFields, previous: ImportedFields, next: ImportedFields): { fields: ImportedFields; kept: string[] } {
  const kept: string[] = [];
  const fields: Record<string, unknown> = {};
  for (const name of IMPORTED_FIELD_NAMES) {
    if (name === 'parameters') continue;
    const edited = !same(current[name], previous[name]);
    const value = edited ? current[name] : next[name];
    if (edited && !same(current[name], next[name])) kept.push(name);
    if (value !== undefined) fields[name] = value;
  }
  fields.parameters = mergeParameters(current.parameters, previous.parameters, next.parameters, kept);
  return { fields: fields as ImportedFields, kept };
}

type Parameter = ImportedFields['parameters'][number];

/**
 * Parameters by name: one the user changed keeps each changed field, one the user added stays, one the
 * user deleted stays deleted, one the document dropped goes unless the user changed it.
 */
function mergeParameters(current: Parameter[], previous: Parameter[], next: Parameter[], kept: string[]): Parameter[] {
  const byName = (list: Parameter[]) => new Map(list.map((p) => [p.name, p]));
  const cur = byName(current);
  const prev = byName(previous);
  const out: Parameter[] = [];
  for (const n of next) {
    const c = cur.get(n.name);
    const p = prev.get(n.name);
    if (!c) {
      if (p) kept.push(`parameters.${n.name} (deleted)`);
      else out.push(n);
      continue;
    }
    if (!p) {
      out.push(c);
      continue;
    }
    const merged: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(c), ...Object.keys(p), ...Object.keys(n)]) as Set<keyof Parameter>) {
      const edited = !same(c[key], p[key]);
      if (edited && !same(c[key], n[key])) kept.push(`parameters.${n.name}.${key}`);
      const value = edited ? c[key] : n[key];
      if (value !== undefined) merged[key] = value;
    }
    out.push(merged as Parameter);
  }
  for (const c of current) {
    if (next.some((n) => n.name === c.name)) continue;
    const p = prev.get(c.name);
    if (p && same(c, p)) continue;
    out.push(c);
  }
  return out;
}
