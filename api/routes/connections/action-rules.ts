/**
 * Whole-action checks beyond the zod schema, mirroring what workflows/api-chain.ts will do with the
 * action: steps run in order, a step's inputs can only read the kept fields (responseFields) of steps
 * that already ran, and a compensation runs after its own step succeeded, so it may read that step too.
 * Pure: the caller loads the endpoints the action names (scoped to its account).
 */
import type { EndpointDoc } from '../../../models/connection.model';
import type { ActionBody, ActionStep, StepInput } from '../../../models/connection.schema';
import type { FieldIssue } from './issues';

/** What the checks need to know of an endpoint. */
export type EndpointFacts = Pick<EndpointDoc, 'parameters' | 'responseFields'> & Partial<Pick<EndpointDoc, 'longRunning'>>;

export function actionIssues(action: Pick<ActionBody, 'steps' | 'outputStep'>, endpoints: ReadonlyMap<string, EndpointFacts>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const order = new Map<string, number>();
  action.steps.forEach((step, i) => {
    const first = order.get(step.id);
    if (first === undefined) order.set(step.id, i);
    else issues.push({ field: `steps[${i}].id`, message: `step id "${step.id}" is already used by steps[${first}]; step ids must be unique` });
  });

  /** `lastReadable` is the index of the last step whose outputs exist when these inputs are resolved. */
  const checkInputs = (inputs: Record<string, StepInput>, endpoint: EndpointFacts | undefined, at: string, lastReadable: number, who: string): void => {
    for (const [param, source] of Object.entries(inputs)) {
      const field = `${at}.${param}`;
      if (endpoint && !endpoint.parameters.some((p) => p.name === param)) {
        issues.push({ field, message: `"${param}" is not a parameter of the endpoint (it has: ${names(endpoint.parameters)})` });
      }
      if (source.from !== 'step') continue;
      const j = order.get(source.step);
      if (j === undefined) {
        issues.push({ field: `${field}.step`, message: `no step "${source.step}" in this action` });
      } else if (j > lastReadable) {
        issues.push({ field: `${field}.step`, message: `step "${source.step}" (steps[${j}]) has not run yet when ${who} runs; use an earlier step` });
      } else {
        const kept = endpoints.get(action.steps[j]!.endpointId);
        if (kept && !kept.responseFields.some((f) => f.name === source.field)) {
          issues.push({ field: `${field}.field`, message: `step "${source.step}" keeps no field "${source.field}" (its endpoint keeps: ${names(kept.responseFields)})` });
        }
      }
    }
  };

  action.steps.forEach((step, i) => {
    const endpoint = endpoints.get(step.endpointId);
    if (!endpoint) issues.push({ field: `steps[${i}].endpointId`, message: `no endpoint "${step.endpointId}" in this account` });
    checkInputs(step.inputs, endpoint, `steps[${i}].inputs`, i - 1, 'this step');
    if (step.compensation) {
      const undo = endpoints.get(step.compensation.endpointId);
      if (!undo) issues.push({ field: `steps[${i}].compensation.endpointId`, message: `no endpoint "${step.compensation.endpointId}" in this account` });
      checkInputs(step.compensation.inputs, undo, `steps[${i}].compensation.inputs`, i, 'this compensation');
    }
  });

  // Long-running calls (issue 21): one per action (its run waits once), never an undo, and their
  // settings come from the endpoint when the bot is published.
  const waiting = action.steps.map((s, i) => ({ s, i })).filter(({ s }) => endpoints.get(s.endpointId)?.longRunning);
  for (const { i } of waiting.slice(1)) issues.push({ field: `steps[${i}].endpointId`, message: `only one step of an action may be long-running (steps[${waiting[0]!.i}] is already)` });
  action.steps.forEach((step, i) => {
    if (step.wait !== undefined) issues.push({ field: `steps[${i}].wait`, message: "is filled from the endpoint's longRunning when the bot is published; leave it out" });
    if (step.compensation && endpoints.get(step.compensation.endpointId)?.longRunning) issues.push({ field: `steps[${i}].compensation.endpointId`, message: 'a compensation cannot be a long-running call' });
  });

  if (action.outputStep !== undefined && !order.has(action.outputStep)) {
    issues.push({ field: 'outputStep', message: `no step "${action.outputStep}" in this action` });
  }
  return issues;
}

/**
 * Steps as read back from MongoDB, with their defaults restored: mongoose drops empty objects when it
 * saves (its `minimize` option), so a step with no mapped inputs comes back without `inputs`.
 */
export function storedSteps(steps: ActionStep[]): ActionStep[] {
  return steps.map((s) => ({
    id: s.id,
    endpointId: s.endpointId,
    inputs: s.inputs ?? {},
    ...(s.compensation && { compensation: { endpointId: s.compensation.endpointId, inputs: s.compensation.inputs ?? {} } }),
  }));
}

/** Every endpoint id an action calls, steps and compensations. */
export function endpointIdsOf(action: Pick<ActionBody, 'steps'>): string[] {
  return [...new Set(action.steps.flatMap((s) => (s.compensation ? [s.endpointId, s.compensation.endpointId] : [s.endpointId])))];
}

const names = (items: Array<{ name: string }>): string => (items.length > 0 ? items.map((i) => i.name).join(', ') : 'none');
