/**
 * Reading kept values out of a JSON answer: an endpoint's response fields, a long-running call's result
 * fields. Pure, so the API's callback route and the worker's activities keep fields the same way.
 */
import type { VariableValue } from '../../models/flow.schema';
import { readPath } from './jsonPath';
import type { Masker } from './mask';

/** Longest text a response field may hold; longer values (or longer JSON of objects/arrays) are dropped. */
export const MAX_FIELD_CHARS = 2000;

/** The body as JSON, or not (blank or unparsable text). */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The endpoint's response fields from `body`, as flow variables: strings, numbers and booleans as they
 * are; objects and arrays as their JSON text; null when the path is missing or the value is longer than
 * MAX_FIELD_CHARS. Strings are masked, so an API echoing a credential cannot put it in workflow history.
 */
export function pickFields(body: unknown, fields: { name: string; path: string }[], mask: Masker): Record<string, VariableValue> {
  const out: Record<string, VariableValue> = {};
  for (const field of fields) {
    const value = readPath(body, field.path);
    let kept: VariableValue = null;
    if (typeof value === 'number') kept = Number.isFinite(value) ? value : null;
    else if (typeof value === 'boolean') kept = value;
    else if (typeof value === 'string') kept = value;
    else if (value !== null && typeof value === 'object') kept = JSON.stringify(value);
    if (typeof kept === 'string') kept = kept.length > MAX_FIELD_CHARS ? null : mask(kept);
    Object.defineProperty(out, field.name, { value: kept, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
