/**
 * JSON Schema (as OpenAPI uses it) read just far enough to type a parameter: composition flattened
 * (`allOf` merged, `oneOf`/`anyOf` by their first branch), 3.1 type lists narrowed, and the scalar types
 * mapped onto the endpoint parameter types. `$ref`s are already resolved by the parser; one still here
 * points outside the document and was not followed.
 */
import type { EndpointParameter } from '../../models/connection.schema';

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
export const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/** A schema reduced to what the import uses. */
export interface FlatSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: unknown;
  properties: Record<string, unknown>;
  required: string[];
  description: string;
  readOnly: boolean;
}

const MAX_DEPTH = 20;

/** Flattens `schema`; `notes` gets a line for each simplification (`where` names the place). */
export function flatten(schema: unknown, notes: string[], where: string, depth = 0): FlatSchema {
  const flat: FlatSchema = { properties: {}, required: [], description: '', readOnly: false };
  if (!isObject(schema) || depth > MAX_DEPTH) return flat;
  if (typeof schema.$ref === 'string') {
    notes.push(`${where}: the reference ${schema.$ref} points outside the document and was not followed`);
    return flat;
  }
  for (const part of Array.isArray(schema.allOf) ? schema.allOf : []) merge(flat, flatten(part, notes, where, depth + 1));
  for (const keyword of ['oneOf', 'anyOf'] as const) {
    const branches = schema[keyword];
    if (!Array.isArray(branches) || branches.length === 0) continue;
    if (branches.length > 1) notes.push(`${where}: ${keyword} has ${branches.length} alternatives; the first one's fields are used`);
    merge(flat, flatten(branches[0], notes, where, depth + 1));
  }
  const type = typeOf(schema.type);
  if (type) flat.type = type;
  if (typeof schema.format === 'string') flat.format = schema.format;
  if (Array.isArray(schema.enum)) flat.enum = schema.enum.filter((v) => v !== null);
  if (schema.items !== undefined) flat.items = schema.items;
  if (isObject(schema.properties)) Object.assign(flat.properties, schema.properties);
  if (Array.isArray(schema.required)) flat.required.push(...schema.required.filter((r): r is string => typeof r === 'string'));
  if (text(schema.description)) flat.description = text(schema.description);
  if (schema.readOnly === true) flat.readOnly = true;
  if (!flat.type && Object.keys(flat.properties).length > 0) flat.type = 'object';
  return flat;
}

function merge(into: FlatSchema, from: FlatSchema): void {
  into.type ??= from.type;
  into.format ??= from.format;
  into.enum ??= from.enum;
  into.items ??= from.items;
  Object.assign(into.properties, from.properties);
  into.required.push(...from.required);
  into.description ||= from.description;
  into.readOnly ||= from.readOnly;
}

/** 3.0 `type: string`, 3.1 `type: [string, 'null']`: the first type that is not null. */
function typeOf(type: unknown): string | undefined {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  return undefined;
}

export type ParameterTyping = Pick<EndpointParameter, 'type'> & { enum?: string[]; note?: string };

/**
 * The parameter type of a scalar schema; undefined for objects and arrays of objects (which no
 * parameter can carry). An array of scalars is typed by its items: one value is sent.
 */
export function parameterTyping(schema: FlatSchema, notes: string[], where: string): ParameterTyping | undefined {
  if (schema.type === 'array') {
    const item = flatten(schema.items, notes, where);
    const typed = item.type === 'array' ? undefined : parameterTyping(item, notes, where);
    return typed && { ...typed, note: 'an array in the document: one value is sent' };
  }
  if (schema.type === 'object') return undefined;
  const values = schema.enum;
  if (values && values.length > 0 && (schema.type === 'string' || schema.type === undefined) && values.every((v) => typeof v === 'string')) {
    const strings = values as string[];
    if (strings.length <= 50 && strings.every((v) => v.length >= 1 && v.length <= 100)) return { type: 'enum', enum: [...new Set(strings)] };
    return { type: 'string', note: 'its enum is too long to keep (50 values of up to 100 characters)' };
  }
  switch (schema.type) {
    case 'integer':
      return { type: 'integer' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      if (schema.format === 'email') return { type: 'email' };
      if (schema.format === 'date') return { type: 'date' };
      return { type: 'string' };
    default:
      return Object.keys(schema.properties).length > 0 ? undefined : { type: 'string' };
  }
}

/** Whether a schema is one a response field can keep (a scalar, not an object or array). */
export function isScalar(schema: FlatSchema): boolean {
  return schema.type !== 'object' && schema.type !== 'array' && Object.keys(schema.properties).length === 0;
}

/** Cuts text to `max` characters (an ellipsis marks the cut). */
export function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
