/**
 * One draft endpoint per operation: path-level parameters merged with the operation's (the operation
 * wins by name and place), path, query and header parameters typed, the JSON request body's top-level
 * fields as body parameters with a `"{{field}}"` body template, and the first 2xx JSON response's
 * top-level scalars kept as response fields. What no endpoint can express is left out with a note; an
 * operation that cannot work without it (a required parameter Parley cannot send) is skipped.
 */
import type { EndpointParameter } from '../../models/connection.schema';
import { clip, flatten, isObject, isScalar, parameterTyping, text, type Json } from './schemas';
import type { ImportMethod, OperationDraft, SkippedOperation } from './types';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'] as const;
const SUPPORTED: Partial<Record<(typeof METHODS)[number], ImportMethod>> = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE' };
/** Path placeholders and body fields are template names: letters, digits and _. */
const TEMPLATE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Query and header names may also hold `-`. */
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** OpenAPI says these header parameters are ignored: Parley sets them (or the connection's auth does). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const MAX_PARAMETERS = 50;
const MAX_RESPONSE_FIELDS = 50;

type Draft = Omit<EndpointParameter, 'source' | 'constant' | 'contactField'>;

/** A JSON pointer from its tokens (RFC 6901: `~` as `~0`, `/` as `~1`). */
export const pointerOf = (...tokens: string[]): string => tokens.map((t) => `/${t.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

const isJsonType = (type: string): boolean => /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type) || type === '*/*';

export function operationsOf(doc: Json, notes: string[]): { operations: OperationDraft[]; skipped: SkippedOperation[] } {
  const operations: OperationDraft[] = [];
  const skipped: SkippedOperation[] = [];
  const keys = new Set<string>();
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    if (typeof item.$ref === 'string') {
      skipped.push({ key: path, method: '*', path, pointer: pointerOf('paths', path), reason: `the path item is the reference ${item.$ref}, outside the document, which is not followed` });
      continue;
    }
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const verb = method.toUpperCase();
      const operationId = text(op.operationId) || null;
      const key = operationId && !keys.has(operationId) ? operationId : `${verb} ${path}`;
      keys.add(key);
      const pointer = pointerOf('paths', path, method);
      const supported = SUPPORTED[method];
      const converted = supported ? convertOperation(doc, { path, method: supported, op, pathParameters: item.parameters, operationId }) : { skip: `${verb} is not a method an endpoint can call` };
      if ('skip' in converted) skipped.push({ key, method: verb, path, pointer, reason: converted.skip });
      else operations.push({ key, operationId, method: supported!, path, pointer, endpoint: converted.endpoint, notes: converted.notes });
    }
  }
  if (isObject(doc.webhooks) && Object.keys(doc.webhooks).length > 0) notes.push('webhooks (requests the API sends to you) are not imported');
  return { operations, skipped };
}

interface OperationInput {
  path: string;
  method: ImportMethod;
  op: Json;
  pathParameters: unknown;
  operationId: string | null;
}

type Converted = { endpoint: OperationDraft['endpoint']; notes: string[] } | { skip: string };

function convertOperation(doc: Json, { path, method, op, pathParameters, operationId }: OperationInput): Converted {
  const notes: string[] = [];
  if (!/^\/[^?#\s]*$/.test(path) || path.length > 500) return { skip: 'the path is not a plain /path of at most 500 characters' };
  const placeholders = [...path.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  const badPlaceholder = placeholders.find((name) => !TEMPLATE_NAME.test(name));
  if (badPlaceholder !== undefined) return { skip: `the path placeholder {${badPlaceholder}} is not a name Parley can fill (letters, digits and _)` };

  const parameters: Draft[] = [];
  const names = new Set<string>();
  const formFields: string[] = [];
  let bodySchema: unknown;

  // Path-level parameters first, then the operation's, which replace those with the same name and place.
  const merged = new Map<string, Json>();
  for (const p of [...(Array.isArray(pathParameters) ? pathParameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
    if (!isObject(p)) continue;
    if (typeof p.$ref === 'string') notes.push(`the parameter ${p.$ref} points outside the document and was not followed`);
    else merged.set(`${text(p.in)}:${text(p.name)}`, p);
  }
  for (const p of merged.values()) {
    const where = text(p.in);
    const name = text(p.name);
    if (where === 'body') {
      bodySchema = p.schema;
      continue;
    }
    if (where === 'formData') {
      formFields.push(name);
      continue;
    }
    if (where === 'cookie') {
      notes.push(`the cookie parameter "${name}" is left out: add a Cookie header by hand`);
      continue;
    }
    if (where === 'header' && IGNORED_HEADERS.has(name.toLowerCase())) continue;
    if (where !== 'path' && where !== 'query' && where !== 'header') continue;
    const required = where === 'path' || p.required === true;
    if (where === 'path' && !placeholders.includes(name)) {
      notes.push(`the path parameter "${name}" is not in the path: left out`);
      continue;
    }
    if (!(where === 'path' ? TEMPLATE_NAME : PARAMETER_NAME).test(name) || names.has(name)) {
      const why = names.has(name) ? 'its name is already taken by another parameter' : 'its name is not one a parameter can have (letters, digits, _ and -)';
      if (required) return { skip: `the required ${where} parameter "${name}" cannot be mapped: ${why}` };
      notes.push(`the ${where} parameter "${name}" is left out: ${why}`);
      continue;
    }
    const source = isObject(p.schema) ? p.schema : isObject(p.content) ? (Object.values(p.content).find(isObject)?.schema ?? {}) : p;
    const flat = flatten(source, notes, `parameter "${name}"`);
    const typing = parameterTyping(flat, notes, `parameter "${name}"`);
    if (!typing) {
      if (required) return { skip: `the required ${where} parameter "${name}" is an object, which no parameter can carry` };
      notes.push(`the ${where} parameter "${name}" is an object: left out`);
      continue;
    }
    if (typing.note) notes.push(`parameter "${name}": ${typing.note}`);
    parameters.push({ name, type: typing.type, ...(typing.enum && { enum: typing.enum }), required, in: where, description: clip(text(p.description) || flat.description, 500) });
    names.add(name);
  }
  for (const name of placeholders) {
    if (parameters.some((p) => p.in === 'path' && p.name === name)) continue;
    if (names.has(name)) return { skip: `the path placeholder {${name}} has the name of a ${parameters.find((p) => p.name === name)?.in} parameter` };
    parameters.push({ name, type: 'string', required: true, in: 'path', description: '' });
    names.add(name);
    notes.push(`the path placeholder {${name}} is not declared as a parameter: added as a string`);
  }

  if (doc.swagger === '2.0') {
    const consumes = Array.isArray(op.consumes) ? op.consumes : Array.isArray(doc.consumes) ? doc.consumes : [];
    if (bodySchema !== undefined && consumes.length > 0 && !consumes.some((t) => typeof t === 'string' && isJsonType(t))) {
      notes.push(`the request body is ${consumes.join(', ')}: only JSON bodies are mapped`);
      bodySchema = undefined;
    }
  } else if (isObject(op.requestBody)) {
    const content = isObject(op.requestBody.content) ? op.requestBody.content : {};
    const json = Object.keys(content).find(isJsonType);
    if (json !== undefined) bodySchema = isObject(content[json]) ? content[json].schema : undefined;
    else if (typeof op.requestBody.$ref === 'string') notes.push(`the request body ${op.requestBody.$ref} points outside the document and was not followed`);
    else if (Object.keys(content).length > 0) notes.push(`the request body is ${Object.keys(content).join(', ')}: only JSON bodies are mapped`);
  }
  if (formFields.length > 0) notes.push(`the form fields ${formFields.map((f) => `"${f}"`).join(', ')} are left out: only JSON bodies are mapped`);
  const bodyTemplate = bodySchema === undefined ? undefined : bodyFields(bodySchema, { parameters, names, notes });

  const kept = limitParameters(parameters, notes);
  if (!kept) return { skip: `more than ${MAX_PARAMETERS} required parameters` };
  if (bodyTemplate) for (const key of Object.keys(bodyTemplate)) if (!kept.some((p) => p.in === 'body' && p.name === key)) delete bodyTemplate[key];
  if (op.deprecated === true) notes.push('the document marks this operation deprecated');

  return {
    notes,
    endpoint: {
      name: clip(text(op.summary) || operationId || `${method} ${path}`, 100),
      description: clip(text(op.description) || text(op.summary), 1000),
      method,
      path,
      parameters: kept as EndpointParameter[],
      ...(bodyTemplate && Object.keys(bodyTemplate).length > 0 && { bodyTemplate }),
      responseFields: responseFieldsOf(doc, op, notes),
      sideEffects: method !== 'GET',
    },
  };
}

/** Body parameters from the JSON body's top-level properties; the template puts each one back in place. */
function bodyFields(schema: unknown, { parameters, names, notes }: { parameters: Draft[]; names: Set<string>; notes: string[] }): Record<string, string> | undefined {
  const flat = flatten(schema, notes, 'the request body');
  if (flat.type !== 'object') {
    notes.push(`the request body is ${flat.type === 'array' ? 'a list' : (flat.type ?? 'untyped')}, not an object: no body fields mapped (write the body template by hand)`);
    return undefined;
  }
  const template: Record<string, string> = {};
  for (const [field, fieldSchema] of Object.entries(flat.properties)) {
    const where = `body field "${field}"`;
    const f = flatten(fieldSchema, notes, where);
    if (f.readOnly) continue;
    const required = flat.required.includes(field);
    // A list in a body must stay a list: one value in its place would change the request's meaning.
    const typing = TEMPLATE_NAME.test(field) && !names.has(field) && f.type !== 'array' ? parameterTyping(f, notes, where) : undefined;
    if (!typing) {
      const why = !TEMPLATE_NAME.test(field) ? 'its name is not a placeholder name (letters, digits and _)' : names.has(field) ? 'another parameter has its name' : `it is ${f.type === 'array' ? 'a list' : 'an object'}`;
      notes.push(`the ${where} is left out${required ? ' although required' : ''}: ${why}; add it to the body template by hand`);
      continue;
    }
    if (typing.note) notes.push(`${where}: ${typing.note}`);
    parameters.push({ name: field, type: typing.type, ...(typing.enum && { enum: typing.enum }), required, in: 'body', description: clip(f.description, 500) });
    names.add(field);
    template[field] = `{{${field}}}`;
  }
  return template;
}

/** At most 50 parameters: every required one, then optional ones in document order; undefined when the required ones alone are too many. */
function limitParameters(parameters: Draft[], notes: string[]): Draft[] | undefined {
  if (parameters.length <= MAX_PARAMETERS) return parameters;
  const required = parameters.filter((p) => p.required).length;
  if (required > MAX_PARAMETERS) return undefined;
  let room = MAX_PARAMETERS - required;
  const kept = parameters.filter((p) => p.required || room-- > 0);
  notes.push(`${parameters.length - kept.length} optional parameters are left out: an endpoint has at most ${MAX_PARAMETERS}`);
  return kept;
}

/** The first 2xx JSON response's top-level scalar properties, each kept as `$.name`. */
function responseFieldsOf(doc: Json, op: Json, notes: string[]): Array<{ name: string; path: string }> {
  const responses = isObject(op.responses) ? op.responses : {};
  const produces = Array.isArray(op.produces) ? op.produces : Array.isArray(doc.produces) ? doc.produces : [];
  for (const code of Object.keys(responses).filter((c) => /^2(\d\d|XX)$/i.test(c)).sort()) {
    const response = responses[code];
    if (!isObject(response)) continue;
    let schema: unknown;
    if (doc.swagger === '2.0') {
      if (produces.length > 0 && !produces.some((t) => typeof t === 'string' && isJsonType(t))) continue;
      schema = response.schema;
    } else {
      const content = isObject(response.content) ? response.content : {};
      const json = Object.keys(content).find(isJsonType);
      schema = json !== undefined && isObject(content[json]) ? content[json].schema : undefined;
    }
    if (schema === undefined) continue;
    const flat = flatten(schema, notes, `the ${code} response`);
    if (flat.type === 'array') {
      notes.push(`the ${code} response is a list: no fields kept (add paths such as [0].id by hand)`);
      return [];
    }
    const fields: Array<{ name: string; path: string }> = [];
    for (const [name, property] of Object.entries(flat.properties)) {
      if (fields.length === MAX_RESPONSE_FIELDS) break;
      if (TEMPLATE_NAME.test(name) && isScalar(flatten(property, [], name))) fields.push({ name, path: `$.${name}` });
    }
    return fields;
  }
  return [];
}
