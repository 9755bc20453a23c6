/**
 * Whole-graph checks on a bot's flows, beyond what the zod schema can see: dangling and unreachable
 * blocks, loops that never wait for the visitor, unknown variables, unsafe patterns, clashing triggers.
 * Run when a draft is saved and before a version is published, so the interpreter only meets sound graphs.
 * Every issue names the flow, the block and the field path (`blocks[3].next`) so an editor can point at it.
 */
import type { Block, BotFlows, Condition, Flow } from '../../models/flow.schema';
import { compileSafePattern } from '../answers';
import { malformedPlaceholders, templateVariables } from '../template';
import { normalizeText } from './text';

/** One problem in a bot's flows. `field` is a path inside the flow, e.g. `blocks[3].next`, `trigger.keywords[0]`. */
export interface FlowIssue {
  flowId: string;
  blockId?: string;
  field: string;
  message: string;
}

export interface ValidateOptions {
  /** Variables a conversation may start with (e.g. passed by the widget), beyond those the flows set. */
  knownVariables?: string[];
}

/** A transition the interpreter may take: `field` is the path of the reference, e.g. `blocks[2].branches[0].next`. */
export interface FlowEdge {
  from: string;
  to: string;
  field: string;
}

/** Variables the interpreter provides to every conversation. */
export const BUILTIN_VARIABLES: readonly string[] = ['contact.name', 'contact.email', 'contact.phone', 'last_error', 'bot.name'];

/** Every block reference in a flow, in block order, whether or not the target exists. */
export function flowGraphEdges(flow: Flow): FlowEdge[] {
  const edges: FlowEdge[] = [];
  flow.blocks.forEach((block, i) => {
    const add = (to: string | undefined, field: string): void => {
      if (to !== undefined) edges.push({ from: block.id, to, field: `blocks[${i}].${field}` });
    };
    switch (block.type) {
      case 'choice':
        block.options.forEach((option, j) => add(option.next, `options[${j}].next`));
        break;
      case 'condition':
        block.branches.forEach((branch, j) => add(branch.next, `branches[${j}].next`));
        add(block.else, 'else');
        break;
    }
    if ('next' in block) add(block.next, 'next');
    if ('onFail' in block) add(block.onFail, 'onFail');
    if ('onFailure' in block) add(block.onFailure, 'onFailure');
  });
  return edges;
}

/** All issues in a bot's flows; an empty list means the flows can be published. */
export function validateBotFlows(botFlows: BotFlows, options: ValidateOptions = {}): FlowIssue[] {
  const issues: FlowIssue[] = [];
  checkFlowIds(botFlows.flows, issues);
  checkTriggers(botFlows.flows, issues);
  for (const flow of botFlows.flows) checkGraph(flow, issues);
  for (const flow of botFlows.flows) checkBlocks(flow, issues);
  checkVariables(botFlows.flows, options.knownVariables ?? [], issues);
  return issues;
}

function issue(flow: Flow, block: Block | undefined, field: string, problem: string): FlowIssue {
  const where = block ? `Flow "${flow.id}", block "${block.id}"` : `Flow "${flow.id}"`;
  return { flowId: flow.id, ...(block && { blockId: block.id }), field, message: `${where} (${field}): ${problem}` };
}

function checkFlowIds(flows: Flow[], issues: FlowIssue[]): void {
  const first = new Map<string, number>();
  flows.forEach((flow, i) => {
    const seen = first.get(flow.id);
    if (seen === undefined) first.set(flow.id, i);
    else issues.push(issue(flow, undefined, 'id', `flows[${i}] reuses the id of flows[${seen}]; flow ids must be unique.`));
  });
}

/** Keywords match as the interpreter matches them: case-, accent- and punctuation-insensitive. */
const matchKey = (words: string): string => normalizeText(words) || words.trim().toLowerCase();

function checkTriggers(flows: Flow[], issues: FlowIssue[]): void {
  const onStart = flows.findIndex((f) => f.trigger.onStart);
  const keywords = new Map<string, { flow: number; field: string }>();
  flows.forEach((flow, i) => {
    if (flow.trigger.onStart && i !== onStart) {
      const other = flows[onStart]!;
      issues.push(issue(flow, undefined, 'trigger.onStart', `only one flow may start with the conversation, and flow "${other.id}" (flows[${onStart}]) already does.`));
    }
    flow.trigger.keywords.forEach((keyword, j) => {
      const seen = keywords.get(matchKey(keyword));
      if (!seen) keywords.set(matchKey(keyword), { flow: i, field: `trigger.keywords[${j}]` });
      else if (seen.flow !== i) {
        const other = flows[seen.flow]!;
        issues.push(issue(flow, undefined, `trigger.keywords[${j}]`, `keyword "${keyword}" is also a keyword of flow "${other.id}" (flows[${seen.flow}].${seen.field}); a message could not choose between them.`));
      }
    });
  });
}

/** Block ids, the start block, references, reachability, and loops that never wait for the visitor. */
function checkGraph(flow: Flow, issues: FlowIssue[]): void {
  const index = new Map<string, number>();
  flow.blocks.forEach((block, i) => {
    const seen = index.get(block.id);
    if (seen === undefined) index.set(block.id, i);
    else issues.push(issue(flow, block, `blocks[${i}].id`, `block id "${block.id}" is already used by blocks[${seen}]; block ids must be unique within a flow.`));
  });
  const ids = [...index.keys()];
  if (!index.has(flow.startBlockId)) {
    issues.push(issue(flow, undefined, 'startBlockId', `start block "${flow.startBlockId}" is not a block of this flow.${didYouMean(flow.startBlockId, ids)}`));
  }
  const successors = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const edge of flowGraphEdges(flow)) {
    if (index.has(edge.to)) successors.get(edge.from)!.push(edge.to);
    else {
      const block = flow.blocks[index.get(edge.from)!];
      issues.push(issue(flow, block, edge.field, `points to block "${edge.to}", which does not exist in this flow.${didYouMean(edge.to, ids)}`));
    }
  }
  if (index.has(flow.startBlockId)) {
    const reached = new Set([flow.startBlockId]);
    for (const id of reached) for (const next of successors.get(id)!) reached.add(next);
    for (const [id, i] of index) {
      if (!reached.has(id)) issues.push(issue(flow, flow.blocks[i], `blocks[${i}]`, `block "${id}" can never be reached from the start block "${flow.startBlockId}".`));
    }
  }
  // Blocks that wait for the visitor end a turn; a cycle through none of them would run until the step limit.
  const waits = (id: string): boolean => ['ask', 'choice'].includes(flow.blocks[index.get(id)!]!.type);
  const spinning = new Map(ids.filter((id) => !waits(id)).map((id) => [id, successors.get(id)!.filter((to) => !waits(to))]));
  for (const component of stronglyConnected(spinning)) {
    const start = component.sort((a, b) => index.get(a)! - index.get(b)!)[0]!;
    const cycle = shortestCycle(start, new Set(component), spinning);
    if (!cycle) continue;
    const path = [...cycle, start].map((id) => `"${id}"`).join(' → ');
    issues.push(issue(flow, flow.blocks[index.get(start)!], `blocks[${index.get(start)}]`, `blocks ${path} form a loop with no ask or choice block, so the flow would run forever without waiting for the visitor.`));
  }
}

/** Tarjan's algorithm: the strongly connected components of a graph (at most 200 blocks, so recursion is fine). */
function stronglyConnected(graph: Map<string, string[]>): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (id: string): void => {
    order.set(id, order.size);
    low.set(id, order.get(id)!);
    stack.push(id);
    for (const next of graph.get(id)!) {
      if (!order.has(next)) visit(next);
      if (stack.includes(next)) low.set(id, Math.min(low.get(id)!, low.get(next)!));
    }
    if (low.get(id) === order.get(id)) {
      const component = stack.splice(stack.indexOf(id));
      components.push(component);
    }
  };
  for (const id of graph.keys()) if (!order.has(id)) visit(id);
  return components;
}

/** The shortest path from `start` back to itself inside `component` (without repeating `start`), if any. */
function shortestCycle(start: string, component: Set<string>, graph: Map<string, string[]>): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [start];
  for (const id of queue) {
    for (const next of graph.get(id)!) {
      if (next === start) {
        const path = [id];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (component.has(next) && !parent.has(next)) {
        parent.set(next, id);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** Per-block rules: regex answers must be safe, options must be distinguishable. */
function checkBlocks(flow: Flow, issues: FlowIssue[]): void {
  flow.blocks.forEach((block, i) => {
    if (block.type === 'ask' && block.answer.type === 'regex') {
      const compiled = compileSafePattern(block.answer.pattern, block.answer.flags);
      if (!compiled.ok) issues.push(issue(flow, block, `blocks[${i}].answer.pattern`, `pattern ${JSON.stringify(block.answer.pattern)} cannot be used. ${compiled.reason}`));
    }
    const [options, path] =
      block.type === 'choice' ? [block.options, `blocks[${i}].options`] : block.type === 'ask' && block.answer.type === 'choice' ? [block.answer.options, `blocks[${i}].answer.options`] : [[], ''];
    for (const key of ['value', 'label'] as const) {
      const first = new Map<string, number>();
      options.forEach((option, j) => {
        const seen = first.get(matchKey(option[key]));
        if (seen === undefined) first.set(matchKey(option[key]), j);
        else issues.push(issue(flow, block, `${path}[${j}].${key}`, `option ${key} "${option[key]}" repeats options[${seen}].${key}; each option needs its own ${key}.`));
      });
    }
  });
}

/** Every variable read must be written somewhere, be a built-in, or be a start variable. Reported where first read. */
function checkVariables(flows: Flow[], knownVariables: string[], issues: FlowIssue[]): void {
  const known = new Set([...BUILTIN_VARIABLES, ...knownVariables]);
  for (const block of flows.flatMap((f) => f.blocks)) {
    if (block.type === 'ask') known.add(block.variable).add(`${block.variable}_display`); // the interpreter's formatted answer
    if (block.type === 'choice' && block.variable) known.add(block.variable);
    if (block.type === 'set_variable') known.add(block.variable);
    if (block.type === 'api_call') Object.keys(block.outputs).forEach((v) => known.add(v));
  }
  const reported = new Set<string>();
  for (const flow of flows) {
    flow.blocks.forEach((block, i) => {
      for (const { field, text, names } of variableReads(block, `blocks[${i}]`)) {
        for (const placeholder of text === undefined ? [] : malformedPlaceholders(text)) {
          issues.push(issue(flow, block, field, `${placeholder} is not a valid placeholder; write {{name}} with letters, digits and _ (for example {{first_name}}).`));
        }
        for (const name of names.filter((n) => !known.has(n) && !reported.has(n))) {
          reported.add(name);
          const hint = didYouMean(name, [...known]) || ' Set it with an ask, choice, set_variable or api_call output first.';
          issues.push(issue(flow, block, field, `variable "${name}" is not set by any flow and is not a built-in or start variable.${hint}`));
        }
      }
    });
  }
}

type Read = { field: string; text?: string; names: string[] };

function variableReads(block: Block, at: string): Read[] {
  const texts: Array<[string, string | number | boolean | null | undefined]> = [];
  const conditions: Read[] = [];
  switch (block.type) {
    case 'message':
      texts.push(['text', block.text]);
      break;
    case 'ask':
      texts.push(['question', block.question], ['retryMessage', block.retryMessage]);
      break;
    case 'choice':
      texts.push(['text', block.text], ['retryMessage', block.retryMessage]);
      break;
    case 'condition':
      block.branches.forEach((branch, j) => conditions.push(...conditionReads(branch.when, `${at}.branches[${j}].when`)));
      break;
    case 'set_variable':
      texts.push(['value', block.value]);
      break;
    case 'api_call':
      for (const [param, value] of Object.entries(block.inputs)) texts.push([/^[A-Za-z_$][\w$]*$/.test(param) ? `inputs.${param}` : `inputs[${JSON.stringify(param)}]`, value]);
      break;
    case 'handoff':
    case 'end':
      texts.push(['text', block.text]);
      break;
  }
  const templates = texts.flatMap(([field, text]) => (typeof text === 'string' ? [{ field: `${at}.${field}`, text, names: templateVariables(text) }] : []));
  return [...templates, ...conditions];
}

function conditionReads(condition: Condition, at: string): Read[] {
  if ('all' in condition) return condition.all.flatMap((c, j) => conditionReads(c, `${at}.all[${j}]`));
  if ('any' in condition) return condition.any.flatMap((c, j) => conditionReads(c, `${at}.any[${j}]`));
  return [{ field: `${at}.variable`, names: [condition.variable] }];
}

/** ` Did you mean "x"?` for the closest candidate within two edits, else ''. */
function didYouMean(name: string, candidates: string[]): string {
  const tolerance = name.length <= 2 ? 0 : name.length <= 4 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (candidate !== name && distance <= tolerance && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best ? ` Did you mean "${best.candidate}"?` : '';
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps ("nmae") cost 1. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
