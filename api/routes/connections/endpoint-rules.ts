/**
 * Whole-endpoint checks beyond the zod schema: the path template, the parameters, the validation rules
 * and the body template must agree with each other, so the activity never meets a placeholder it cannot
 * fill or a rule about a parameter that does not exist. Pure: run on create and on the merged result
 * of every update.
 */
import { compileSafePattern } from '../../../core/answers';
import { malformedPlaceholders, templateVariables } from '../../../core/template';
import type { CreateEndpointBody } from '../../../models/connection.schema';
import type { FieldIssue } from './issues';

/** An endpoint as the checks see it: the create body's shape (also what an update merges into). */
export type EndpointShape = Pick<CreateEndpointBody, 'path' | 'parameters' | 'bodyTemplate' | 'responseFields' | 'validations'> & { longRunning?: CreateEndpointBody['longRunning'] };

/** Deeper than this is not a request body anyone writes, and MongoDB caps nesting at 100 levels. */
const MAX_TEMPLATE_DEPTH = 20;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function endpointIssues(endpoint: EndpointShape): FieldIssue[] {
  const issues: FieldIssue[] = [];
  checkParameterNames(endpoint, issues);
  checkPath(endpoint, issues);
  checkValidations(endpoint, issues);
  checkBodyTemplate(endpoint, issues);
  checkLongRunning(endpoint, issues);
  const fields = new Map<string, number>();
  endpoint.responseFields.forEach((f, i) => {
    const seen = fields.get(f.name);
    if (seen === undefined) fields.set(f.name, i);
    else issues.push({ field: `responseFields[${i}].name`, message: `"${f.name}" is already kept by responseFields[${seen}]; names must be unique` });
  });
  return issues;
}

function checkParameterNames(endpoint: EndpointShape, issues: FieldIssue[]): void {
  const seen = new Map<string, number>();
  endpoint.parameters.forEach((p, i) => {
    const first = seen.get(p.name);
    if (first === undefined) seen.set(p.name, i);
    else issues.push({ field: `parameters[${i}].name`, message: `"${p.name}" is already declared by parameters[${first}]; names must be unique` });
  });
}

/** Every `{name}` in the path is a declared path parameter, and every path parameter appears in the path. */
function checkPath(endpoint: EndpointShape, issues: FieldIssue[]): void {
  const { path, parameters } = endpoint;
  const placeholders = [...path.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  if (/[{}]/.test(path.replace(/\{[^{}]*\}/g, ''))) issues.push({ field: 'path', message: 'has an unmatched { or }; write placeholders as {name}' });
  // The activity rejects "." and ".." as parameter values; a literal one would climb out of the base path.
  if (path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) issues.push({ field: 'path', message: 'must not contain "." or ".." segments' });
  for (const name of new Set(placeholders)) {
    const param = parameters.find((p) => p.name === name);
    if (!PARAMETER_NAME.test(name)) issues.push({ field: 'path', message: `{${name}} is not a parameter name (letters, digits and _)` });
    else if (!param) issues.push({ field: 'path', message: `{${name}} is not a declared parameter; add it to parameters with in: "path"` });
    else if (param.in !== 'path') issues.push({ field: 'path', message: `{${name}} is in the path, but parameter "${name}" is declared in: "${param.in}"` });
  }
  parameters.forEach((p, i) => {
    if (p.in === 'path' && !placeholders.includes(p.name)) issues.push({ field: `parameters[${i}].in`, message: `path parameter "${p.name}" does not appear in the path; add {${p.name}} to it` });
  });
}

function checkValidations(endpoint: EndpointShape, issues: FieldIssue[]): void {
  const names = new Set(endpoint.parameters.map((p) => p.name));
  endpoint.validations.forEach((rule, i) => {
    const at = `validations[${i}]`;
    if (rule.input !== undefined && !names.has(rule.input)) issues.push({ field: `${at}.input`, message: `"${rule.input}" is not a parameter of this endpoint` });
    if (rule.op === 'exists') return;
    if (rule.op === 'regex') {
      if (typeof rule.value !== 'string') issues.push({ field: `${at}.value`, message: 'a regex rule gives its pattern as a string value' });
      else {
        const compiled = compileSafePattern(rule.value);
        if (!compiled.ok) issues.push({ field: `${at}.value`, message: compiled.reason });
      }
      return;
    }
    // Every other comparison compares the response with exactly one thing: an input or a literal.
    if ((rule.input === undefined) === (rule.value === undefined)) issues.push({ field: at, message: `a "${rule.op}" rule compares with either an input or a value (exactly one)` });
    if (['gt', 'gte', 'lt', 'lte'].includes(rule.op) && rule.value !== undefined && typeof rule.value !== 'number') {
      issues.push({ field: `${at}.value`, message: `a "${rule.op}" rule compares with a number` });
    }
  });
}

/** Placeholders in the body template (keys and string values) name body parameters. */
function checkBodyTemplate(endpoint: EndpointShape, issues: FieldIssue[]): void {
  if (endpoint.bodyTemplate === undefined || endpoint.bodyTemplate === null) return;
  const body = new Set(endpoint.parameters.filter((p) => p.in === 'body').map((p) => p.name));
  const all = new Map(endpoint.parameters.map((p) => [p.name, p.in]));
  const reported = new Set<string>();
  const checkText = (text: string, field: string): void => {
    for (const bad of malformedPlaceholders(text)) issues.push({ field, message: `${bad} is not a valid placeholder; write {{name}} with letters, digits and _` });
    for (const name of templateVariables(text)) {
      if (body.has(name) || reported.has(name)) continue;
      reported.add(name);
      const where = all.get(name);
      issues.push({ field, message: where ? `{{${name}}} names parameter "${name}", which is declared in: "${where}", not "body"` : `{{${name}}} is not a declared parameter; add it with in: "body"` });
    }
  };
  // Iterative walk: a deeply nested template must get a 400, not a stack overflow.
  const stack: Array<{ value: unknown; field: string; depth: number }> = [{ value: endpoint.bodyTemplate, field: 'bodyTemplate', depth: 0 }];
  while (stack.length > 0) {
    const { value, field, depth } = stack.pop()!;
    if (typeof value === 'string') checkText(value, field);
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_TEMPLATE_DEPTH) {
      issues.push({ field, message: `is nested deeper than ${MAX_TEMPLATE_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(value)) {
      // FerretDB (the embedded store) refuses an array directly inside an array, which would be a 500.
      if (value.some(Array.isArray)) issues.push({ field, message: 'a list may not hold lists directly (wrap each inner list in an object)' });
      value.forEach((item, i) => stack.push({ value: item, field: `${field}[${i}]`, depth: depth + 1 }));
    }
    else {
      for (const [key, item] of Object.entries(value)) {
        checkText(key, `${field}.${key}`);
        if (key.startsWith('$') || key.includes('.') || key.includes('\0')) issues.push({ field: `${field}.${key}`, message: 'keys must not start with "$" or contain "." or NUL (the template is stored in MongoDB)' });
        stack.push({ value: item, field: `${field}.${key}`, depth: depth + 1 });
      }
    }
  }
}

/**
 * A long-running endpoint (issue 21): polling knows where the status is; a callback endpoint has exactly
 * one `callback`-source string parameter (where its URL goes), and only a callback endpoint has one.
 */
function checkLongRunning(endpoint: EndpointShape, issues: FieldIssue[]): void {
  const lr = endpoint.longRunning ?? undefined;
  const callbackParams = endpoint.parameters.map((p, i) => ({ p, i })).filter(({ p }) => p.source === 'callback');
  if (lr?.mode !== 'callback') {
    for (const { i } of callbackParams) issues.push({ field: `parameters[${i}].source`, message: 'a "callback" parameter belongs to an endpoint with longRunning.mode "callback"' });
  }
  if (!lr) return;
  // The failure message names only kept result fields (nothing else of the business's answer is kept).
  for (const name of lr.failureMessage ? templateVariables(lr.failureMessage) : []) {
    if (!lr.resultFields.some((f) => f.name === name)) issues.push({ field: 'longRunning.failureMessage', message: `{{${name}}} is not one of longRunning.resultFields` });
  }
  for (const bad of lr.failureMessage ? malformedPlaceholders(lr.failureMessage) : []) issues.push({ field: 'longRunning.failureMessage', message: `${bad} is not a valid placeholder; write {{name}}` });
  if (lr.mode === 'poll') {
    if (lr.job.from === 'body' && !lr.statusPath) issues.push({ field: 'longRunning.statusPath', message: 'say where the status is (a path with {job}) when the job reference is a body field' });
    if (lr.statusPath && !lr.statusPath.includes('{job}')) issues.push({ field: 'longRunning.statusPath', message: 'the status path names the job with {job}' });
    if (lr.statusPath && /[{}]/.test(lr.statusPath.replace('{job}', ''))) issues.push({ field: 'longRunning.statusPath', message: 'the status path has one placeholder, {job}' });
    return;
  }
  if (callbackParams.length !== 1) issues.push({ field: 'parameters', message: 'a callback endpoint has exactly one parameter with source "callback" (where its callback URL goes)' });
  for (const { p, i } of callbackParams) if (p.type !== 'string') issues.push({ field: `parameters[${i}].type`, message: 'the callback parameter is a string' });
}
