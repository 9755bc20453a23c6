/**
 * Actions as LLM tools. Which of an action's inputs the model may fill (only `llm`-sourced endpoint
 * parameters: provenance), the JSON Schema it sees, and the check of the arguments it sends back. The
 * check runs in workflow code before anything is called: unknown, missing or mistyped arguments go
 * back to the model as an error, never to the business API.
 */
import type { ToolParameter } from '../../models/ai.schema';
import type { ActionStep, EndpointParameter } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { parameterValue, RequestRenderError } from '../http/values';

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
      if (p.source === 'constant' || p.source === 'contact' || p.source === 'callback') continue;
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

/**
 * The JSON Schema of a tool's arguments: its parameters only, nothing else accepted. Only keywords every
 * OpenAI-compatible server takes (type, enum, description, required, additionalProperties): a regex
 * `pattern` killed llama.cpp's server (its schema-to-grammar conversion), and `format` is ignored or
 * refused by several (docs/model-servers.md). A date's or an email's shape is said in the description;
 * Parley checks every argument itself (checkToolArguments) and sends the model an error it can correct.
 */
export function toolJsonSchema(parameters: ToolParameter[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const p of parameters) {
    const description = p.description || p.name;
    switch (p.type) {
      case 'email':
        properties[p.name] = { type: 'string', description: `${description} (an email address)` };
        break;
      case 'date':
        properties[p.name] = { type: 'string', description: `${description} (a date, YYYY-MM-DD)` };
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

const MAX_ARGUMENTS_TEXT = 20_000;

/**
 * Parses and checks the model's raw arguments text against the tool's parameters: a JSON object with
 * no other keys, each value typed as an endpoint parameter is before a request (core/http/values.ts).
 */
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
    // null is absent: a strict schema (a bot's `provider.strictSchemas`) makes the model send every optional
    // argument, null when it has none. Objects and arrays are never a parameter's value (and would stringify
    // to "[object Object]").
    if (value !== null && typeof value === 'object') return { ok: false, error: `The value for "${p.name}" must be a single ${p.type === 'enum' ? 'choice' : p.type}, not a list or object.` };
    const parameter: EndpointParameter = { name: p.name, type: p.type, required: p.required, in: 'body', description: p.description, source: 'llm', ...(p.enum ? { enum: p.enum } : {}) };
    try {
      const typed = parameterValue(parameter, { [p.name]: (value ?? null) as VariableValue });
      if (typed !== undefined) values[p.name] = typed;
    } catch (error) {
      if (error instanceof RequestRenderError) return { ok: false, error: error.message };
      throw error;
    }
  }
  return { ok: true, values };
}
