/**
 * The request body of a draft: JSON (declared, or by its look when no Content-Type is given) or form
 * fields. Top-level scalar fields become body parameters; the rest is kept literally in a body template
 * around their placeholders, as far as the endpoint rules allow (api/routes/connections/endpoint-rules.ts).
 */
import { CurlImportError } from './errors';
import { guessType, parameter, PARAMETER_NAME, type Params } from './parameters';

/** A body template placeholder's name (core/template.ts): no `-`. */
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The body: JSON (declared, or by its look when no Content-Type is given) or form fields. Top-level
 * scalar fields become body parameters; anything else (nested objects, arrays, nulls, keys that cannot
 * be parameter names) is kept literally in a body template around the parameters' placeholders.
 */
export function bodyOf(data: string, contentType: string | undefined, params: Params, warnings: string[]): unknown {
  const type = contentType?.toLowerCase() ?? '';
  const looksJson = /^\s*[[{]/.test(data);
  if (type.includes('json') || (type === '' && looksJson)) {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new CurlImportError('the request body is not valid JSON');
    }
    if (type === '') warnings.push('the command sends JSON without a Content-Type header; Parley sends it as application/json');
    return jsonBody(json, params, warnings);
  }
  if (type !== '' && !type.includes('x-www-form-urlencoded')) {
    throw new CurlImportError(`the request body is ${type.split(';')[0]!.trim().slice(0, 60)}; Parley endpoints send JSON bodies`);
  }
  warnings.push('the command sends a form (application/x-www-form-urlencoded); Parley sends the fields as a JSON body: check the API accepts JSON');
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(data)) {
    if (fields.has(name)) warnings.push(`form field "${name.slice(0, 64)}" is repeated; it is declared once`);
    else fields.set(name, value);
  }
  return jsonBody(Object.fromEntries(fields), params, warnings, true);
}

function jsonBody(json: unknown, params: Params, warnings: string[], form = false): unknown {
  if (json === null) {
    warnings.push('the JSON body is null; the endpoint sends no body');
    return undefined;
  }
  if (typeof json !== 'object' || Array.isArray(json)) {
    if (!literalSafe(json, 0)) throw new CurlImportError('the JSON body cannot be kept as a template (a key starting with "$" or holding ".", "{{...}}" text, or nesting deeper than 20 levels)');
    warnings.push('the JSON body is not an object; it is kept as a fixed body');
    return json;
  }
  const entries = Object.entries(json);
  const scalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  // Without a template the body is made of the body parameters alone, whose names may hold "-"; a template
  // is needed as soon as one field cannot be a parameter, and its placeholders cannot hold "-".
  const needsTemplate = entries.some(([key, value]) => !scalar(value) || !PARAMETER_NAME.test(key) || params.has(key));
  // Built as entries: a "__proto__" key stays data (Object.fromEntries defines own properties).
  const template: Array<[string, unknown]> = [];
  const fixed: string[] = [];
  for (const [key, value] of entries) {
    const example = typeof value === 'string' ? value : JSON.stringify(value);
    const type = form || typeof value === 'string' ? guessType(example).type : typeof value === 'boolean' ? 'boolean' : Number.isInteger(value) ? 'integer' : 'number';
    // A JSON string field stays a string even when its example looks like a number ("zip": "01234").
    if (scalar(value) && (needsTemplate ? PLACEHOLDER_NAME : PARAMETER_NAME).test(key) && !params.has(key) && params.add(parameter(key, example, 'body', !form && typeof value === 'string' ? 'string' : type))) {
      template.push([key, `{{${key}}}`]);
    } else if (literalSafe(value, 1) && literalSafe(Object.fromEntries([[key, null]]), 0)) {
      template.push([key, value]);
      fixed.push(key.slice(0, 64));
    } else warnings.push(`body field "${key.slice(0, 64)}" cannot be kept in a body template (a key starting with "$" or holding ".", "{{...}}" text, or nesting deeper than 20 levels) and was left out`);
  }
  if (!needsTemplate) return undefined;
  if (fixed.length > 0) warnings.push(`body fields kept as fixed values in the body template: ${fixed.join(', ')}`);
  return Object.fromEntries(template);
}

/** A value endpoint-rules accepts inside a body template as a literal: no placeholders, safe keys, bounded depth. */
function literalSafe(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return !/\{\{[^{}]*\}\}/.test(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= 20) return false;
  if (Array.isArray(value)) return value.every((v) => literalSafe(v, depth + 1));
  return Object.entries(value).every(([k, v]) => !k.startsWith('$') && !k.includes('.') && !k.includes('\0') && literalSafe(k, depth) && literalSafe(v, depth + 1));
}
