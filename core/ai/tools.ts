/**
 * Actions as LLM tools. Which of an action's inputs the model may fill (only `llm`-sourced endpoint
 * parameters: provenance), the JSON Schema it sees, and the check of the arguments it sends back. The
 * check runs in workflow code before anything is called: unknown, missing or mistyped arguments go
 * back to the model as an error, never to the business API.
 */
import type { ToolParameter } from '../../models/ai.schema';
import type { ActionStep, EndpointParameter } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { checkEmail } from '../email';

/** Names of Parley's own tools; an action may not take one. */
export const BUILTIN_TOOLS = { searchKnowledge: 'search_knowledge', startFlow: 'start_flow' } as const;
export const BUILTIN_TOOL_NAMES: readonly string[] = Object.values(BUILTIN_TOOLS);

export interface ToolEndpoint {
  parameters: EndpointParameter[];
  sideEffects: boolean;
}

export interface ActionToolShape {
  parameters: ToolParameter[];
  sideEffects: boolean;
  /** Inputs the action needs that no one can fill in a Smart AI turn (a `visitor` parameter, say). */
  unfillable: string[];
}

/**
 * The action inputs the model fills. A step's parameter is an action input when it is unmapped (same
 * name) or mapped `from: 'input'`; it is the model's only when the endpoint says `source: 'llm'`.
 * Constant and contact parameters are filled by the activity; `step` ones by the chain.
 */
export function actionToolShape(action: { steps: ActionStep[] }, endpoints: Map<string, ToolEndpoint>): ActionToolShape {
  const parameters = new Map<string, ToolParameter>();
  const unfillable = new Set<string>();
  let sideEffects = false;
  for (const step of action.steps) {
    const endpoint = endpoints.get(step.endpointId);
    if (!endpoint) continue;
    sideEffects ||= endpoint.sideEffects;
    if (step.compensation) sideEffects ||= endpoints.get(step.compensation.endpointId)?.sideEffects ?? false;
    for (const p of endpoint.parameters) {
      if (p.source === 'constant' || p.source === 'contact') continue;
      const mapping = step.inputs[p.name];
      if (mapping && mapping.from !== 'input') continue;
      const name = mapping?.from === 'input' ? mapping.name : p.name;
      if (p.source !== 'llm') {
        if (p.required) unfillable.add(name);
        continue;
      }
      const known = parameters.get(name);
      parameters.set(name, {
        name,
        type: p.type,
        ...(p.enum ? { enum: p.enum } : {}),
        required: (known?.required ?? false) || p.required,
        description: known?.description || p.description,
      });
    }
  }
  for (const name of parameters.keys()) unfillable.delete(name);
  return { parameters: [...parameters.values()], sideEffects, unfillable: [...unfillable] };
}

/** The JSON Schema of a tool's arguments: its parameters only, nothing else accepted. */
export function toolJsonSchema(parameters: ToolParameter[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const p of parameters) {
    const description = p.description || p.name;
    switch (p.type) {
      case 'email':
        properties[p.name] = { type: 'string', format: 'email', description };
        break;
      case 'date':
        properties[p.name] = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (YYYY-MM-DD)` };
        break;
      case 'enum':
        properties[p.name] = { type: 'string', enum: p.enum ?? [], description };
        break;
      default:
        properties[p.name] = { type: p.type, description };
    }
  }
  return { type: 'object', properties, required: parameters.filter((p) => p.required).map((p) => p.name), additionalProperties: false };
}

export type ToolArguments = { ok: true; values: Record<string, VariableValue> } | { ok: false; error: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const MAX_ARGUMENTS_TEXT = 20_000;

/** Parses and checks the model's raw arguments text against the tool's parameters. */
export function checkToolArguments(parameters: ToolParameter[], raw: string): ToolArguments {
  if (raw.length > MAX_ARGUMENTS_TEXT) return { ok: false, error: 'the arguments are too long' };
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    return { ok: false, error: 'the arguments are not valid JSON; send a JSON object' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, error: 'the arguments must be a JSON object' };
  const given = parsed as Record<string, unknown>;
  const byName = new Map(parameters.map((p) => [p.name, p]));
  const unknown = Object.keys(given).filter((k) => !byName.has(k));
  if (unknown.length > 0) return { ok: false, error: `unknown argument(s): ${unknown.join(', ')}; allowed: ${parameters.map((p) => p.name).join(', ') || 'none'}` };
  const values: Record<string, VariableValue> = {};
  for (const p of parameters) {
    const value = given[p.name];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      if (p.required) return { ok: false, error: `"${p.name}" is required` };
      continue;
    }
    const checked = checkValue(p, value);
    if (checked === undefined) return { ok: false, error: `"${p.name}" ${expectation(p)}` };
    values[p.name] = checked;
  }
  return { ok: true, values };
}

function checkValue(p: ToolParameter, value: unknown): VariableValue | undefined {
  switch (p.type) {
    case 'string':
      // Models often send an order number as a number: text is what the parameter wants.
      return typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value.trim()) : NaN;
      if (!Number.isFinite(n)) return undefined;
      return p.type === 'integer' && !Number.isSafeInteger(n) ? undefined : n;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'email': {
      const checked = typeof value === 'string' ? checkEmail(value) : undefined;
      return checked?.ok ? checked.address : undefined;
    }
    case 'date': {
      const text = typeof value === 'string' ? value.trim() : '';
      return isCalendarDate(text) ? text : undefined;
    }
    case 'enum':
      return typeof value === 'string' && (p.enum ?? []).includes(value) ? value : undefined;
  }
}

function expectation(p: ToolParameter): string {
  switch (p.type) {
    case 'string':
      return 'must be a string';
    case 'number':
      return 'must be a number';
    case 'integer':
      return 'must be a whole number';
    case 'boolean':
      return 'must be true or false';
    case 'email':
      return 'must be an email address';
    case 'date':
      return 'must be a date as YYYY-MM-DD';
    case 'enum':
      return `must be one of: ${(p.enum ?? []).join(', ')}`;
  }
}

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
