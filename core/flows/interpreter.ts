/**
 * The guided-flow interpreter: a pure function from (the bot's flows, the conversation's flow state, one
 * input) to (replies, the next state, effects). No I/O and no clock of its own (the caller passes
 * `nowMs`), so the conversation workflow can run it deterministically and unit tests can run it bare.
 *
 * Effects are what the caller must carry out: call an API action (then feed its result back in as an
 * `action_result` input), hand the conversation to a human.
 */
import type { ApiCallBlock, AskBlock, Block, BotFlows, ChoiceBlock, Flow, FlowState, VariableValue } from '../../models/flow.schema';
import { matchChoice, parseAnswer } from '../answers';
import { evaluateCondition } from '../conditions';
import { renderTemplate } from '../template';
import { matchesPhrase, normalizeText } from './text';

export type { FlowState };

/** A bot reply. `text` reads well alone; `choices` let a widget render buttons. */
export interface ReplyContent {
  text: string;
  choices?: { label: string; value: string }[];
}

export type FlowEffect =
  | { type: 'call_action'; flowId: string; blockId: string; action: string; inputs: Record<string, VariableValue> }
  | { type: 'handoff'; reason: string }
  | { type: 'flow_started'; flowId: string }
  | { type: 'flow_ended'; flowId: string; outcome: 'completed' | 'cancelled' | 'failed' | 'handoff' }
  /** No flow took the message and `delegateUnmatched` is set: Smart AI answers it (no fallback was said). */
  | { type: 'unmatched' };

export type FlowInput =
  | { type: 'start' }
  /** `opening`: the message the conversation was started with (an on-start flow takes it if no flow is named). */
  | { type: 'message'; text: string; opening?: boolean }
  /** Smart AI chose a flow (`start_flow` tool): start it unless another flow is waiting for an answer. */
  | { type: 'start_flow'; flowId: string }
  | { type: 'action_result'; ok: true; outputs: Record<string, VariableValue> }
  | { type: 'action_result'; ok: false; error: string };

export interface FlowContext {
  flows: BotFlows;
  botName: string;
  fallbackMessage: string;
  contact?: { name?: string; email?: string; phone?: string };
  nowMs: number;
  timezone: string;
  /** A message no flow takes is left to Smart AI (an `unmatched` effect) instead of the fallback message. */
  delegateUnmatched?: boolean;
}

export interface FlowStep {
  replies: ReplyContent[];
  state: FlowState;
  effects: FlowEffect[];
}

/** Blocks run per input before the interpreter gives up (validation already rejects loops with no ask). */
const MAX_STEPS = 200;
const DEFAULT_HANDOFF_TEXT = 'Let me connect you with a member of our team. They will reply here shortly.';

export function initialFlowState(variables: Record<string, VariableValue> = {}): FlowState {
  return { active: null, variables: { ...variables }, handoff: false };
}

export function interpret(ctx: FlowContext, state: FlowState, input: FlowInput): FlowStep {
  return new Run(ctx, state).handle(input);
}

class Run {
  private readonly replies: ReplyContent[] = [];
  private readonly effects: FlowEffect[] = [];
  private readonly state: FlowState;

  constructor(
    private readonly ctx: FlowContext,
    state: FlowState,
  ) {
    // Never mutate the caller's state: workflow code keeps the previous state until the turn is durable.
    this.state = { active: state.active ? { ...state.active } : null, variables: { ...state.variables }, handoff: state.handoff };
  }

  handle(input: FlowInput): FlowStep {
    switch (input.type) {
      case 'start': {
        const flow = this.ctx.flows.flows.find((f) => f.trigger.onStart);
        if (flow && !this.state.handoff) this.startFlow(flow);
        break;
      }
      case 'message':
        this.onMessage(input.text, input.opening ?? false);
        break;
      case 'action_result':
        this.onActionResult(input);
        break;
      case 'start_flow': {
        const flow = this.flow(input.flowId);
        if (flow && !this.state.handoff && !this.state.active) this.startFlow(flow);
        break;
      }
    }
    return { replies: this.replies, state: this.state, effects: this.effects };
  }

  private onMessage(text: string, opening: boolean): void {
    if (this.state.handoff) return; // a human is answering
    const active = this.state.active;
    if (active?.waitingFor === 'answer') {
      const flow = this.flow(active.flowId);
      const block = flow && this.block(flow, active.blockId);
      if (flow && block && (block.type === 'ask' || block.type === 'choice')) {
        const { settings } = this.ctx.flows;
        if (settings.cancelPhrases.some((p) => normalizeText(text) === normalizeText(p))) {
          this.endFlow(flow, 'cancelled');
          this.say(settings.cancelMessage);
          return;
        }
        if (settings.restartPhrases.some((p) => normalizeText(text) === normalizeText(p))) {
          this.endFlow(flow, 'cancelled');
          // Starting over asks every question again, so the flow's own answers are forgotten.
          for (const b of flow.blocks) {
            const variable = b.type === 'ask' ? b.variable : b.type === 'choice' ? b.variable : undefined;
            if (variable) {
              delete this.state.variables[variable];
              delete this.state.variables[`${variable}_display`];
            }
          }
          this.startFlow(flow);
          return;
        }
        this.answer(flow, block, text);
        return;
      }
      this.state.active = null; // the flow changed under a running conversation's feet: start afresh
    }
    if (active?.waitingFor === 'action') return; // an action is in flight; its result moves the flow on

    const flow = this.triggeredFlow(text) ?? (opening ? this.ctx.flows.flows.find((f) => f.trigger.onStart) : undefined);
    if (flow) this.startFlow(flow);
    else if (this.ctx.delegateUnmatched) this.effects.push({ type: 'unmatched' });
    else this.say(this.ctx.fallbackMessage);
  }

  /** A flow named by the message (its name or id as a phrase), else one whose keyword the message contains. */
  private triggeredFlow(text: string): Flow | undefined {
    const flows = this.ctx.flows.flows;
    return (
      flows.find((f) => matchesPhrase(text, f.name) || matchesPhrase(text, f.id.replace(/[-_]/g, ' '))) ??
      flows.find((f) => f.trigger.keywords.some((k) => matchesPhrase(text, k)))
    );
  }

  private answer(flow: Flow, block: AskBlock | ChoiceBlock, text: string): void {
    const active = this.state.active!;
    if (block.type === 'choice') {
      const index = matchChoice(block.options, text);
      const option = index >= 0 ? block.options[index] : undefined;
      if (!option) {
        this.retry(flow, block, `Please pick one of: ${block.options.map((o) => o.label).join(', ')}.`);
        return;
      }
      if (block.variable) this.state.variables[block.variable] = option.value;
      this.state.active = null;
      this.runFrom(flow, option.next ?? block.next);
      return;
    }
    const result = parseAnswer({ spec: block.answer, text, nowMs: this.ctx.nowMs, timezone: this.ctx.timezone });
    if (!result.ok) {
      this.retry(flow, block, result.reason);
      return;
    }
    this.state.variables[block.variable] = result.value;
    // `<variable>_display` is always set, so templates may use it for any answer type.
    this.state.variables[`${block.variable}_display`] = result.display;
    active.attempts = 0;
    this.state.active = null;
    this.runFrom(flow, block.next);
  }

  private retry(flow: Flow, block: AskBlock | ChoiceBlock, reason: string): void {
    const active = this.state.active!;
    active.attempts += 1;
    if (active.attempts >= block.maxAttempts) {
      this.state.active = null;
      if (block.onFail) {
        this.runFrom(flow, block.onFail);
      } else {
        this.endFlow(flow, 'failed');
        this.say(this.ctx.fallbackMessage);
      }
      return;
    }
    this.say(block.retryMessage ?? reason);
    this.prompt(block);
  }

  private onActionResult(result: Extract<FlowInput, { type: 'action_result' }>): void {
    const active = this.state.active;
    if (active?.waitingFor !== 'action') return;
    const flow = this.flow(active.flowId);
    const block = flow && this.block(flow, active.blockId);
    this.state.active = null;
    if (!flow || block?.type !== 'api_call') return;
    if (result.ok) {
      for (const [variable, field] of Object.entries(block.outputs)) this.state.variables[variable] = result.outputs[field] ?? null;
      delete this.state.variables.last_error;
      this.runFrom(flow, block.next);
      return;
    }
    this.state.variables.last_error = result.error;
    if (block.onFailure) {
      this.runFrom(flow, block.onFailure);
    } else {
      this.endFlow(flow, 'failed');
      this.say(result.error);
    }
  }

  private startFlow(flow: Flow): void {
    this.effects.push({ type: 'flow_started', flowId: flow.id });
    this.runFrom(flow, flow.startBlockId);
  }

  private endFlow(flow: Flow, outcome: 'completed' | 'cancelled' | 'failed' | 'handoff'): void {
    this.state.active = null;
    this.effects.push({ type: 'flow_ended', flowId: flow.id, outcome });
  }

  /** Runs blocks from `blockId` until one waits for the visitor or an action, or the flow ends. */
  private runFrom(flow: Flow, blockId: string | undefined): void {
    let next = blockId;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const block = next === undefined ? undefined : this.block(flow, next);
      if (!block) {
        this.endFlow(flow, 'completed');
        return;
      }
      const outcome = this.step(flow, block);
      if (outcome === 'wait') return;
      if (outcome === 'end') {
        return;
      }
      next = outcome.next;
    }
    this.endFlow(flow, 'failed');
    this.say(this.ctx.fallbackMessage);
  }

  private step(flow: Flow, block: Block): 'wait' | 'end' | { next: string | undefined } {
    switch (block.type) {
      case 'message':
        this.say(this.render(block.text));
        return { next: block.next };
      case 'ask': {
        const known = this.state.variables[block.variable];
        if (block.skipIfKnown && known !== undefined && known !== null && known !== '') {
          // A known answer (the contact's email, a start variable) is skipped only if it passes the same
          // check an answer would, and is stored normalized like one.
          const parsed = parseAnswer({ spec: block.answer, text: String(known), nowMs: this.ctx.nowMs, timezone: this.ctx.timezone });
          if (parsed.ok) {
            this.state.variables[block.variable] = parsed.value;
            this.state.variables[`${block.variable}_display`] = parsed.display;
            return { next: block.next };
          }
        }
        this.waitFor(flow, block, 'answer');
        this.prompt(block);
        return 'wait';
      }
      case 'choice':
        this.waitFor(flow, block, 'answer');
        this.prompt(block);
        return 'wait';
      case 'condition': {
        const vars = this.allVariables();
        const branch = block.branches.find((b) => evaluateCondition(b.when, vars));
        return { next: branch ? branch.next : block.else };
      }
      case 'set_variable':
        this.state.variables[block.variable] = typeof block.value === 'string' ? this.render(block.value) : block.value;
        return { next: block.next };
      case 'api_call':
        this.waitFor(flow, block, 'action');
        this.effects.push({ type: 'call_action', flowId: flow.id, blockId: block.id, action: block.action, inputs: this.actionInputs(block) });
        return 'wait';
      case 'handoff':
        this.say(this.render(block.text ?? DEFAULT_HANDOFF_TEXT));
        this.endFlow(flow, 'handoff');
        this.state.handoff = true;
        this.effects.push({ type: 'handoff', reason: block.reason ?? `flow ${flow.id}` });
        return 'end';
      case 'end':
        if (block.text) this.say(this.render(block.text));
        this.endFlow(flow, 'completed');
        return 'end';
    }
  }

  private waitFor(flow: Flow, block: Block, waitingFor: 'answer' | 'action'): void {
    this.state.active = { flowId: flow.id, blockId: block.id, attempts: this.state.active?.blockId === block.id ? this.state.active.attempts : 0, waitingFor };
  }

  /** Asks the block's question; options are listed in the text too, so it reads well without buttons. */
  private prompt(block: AskBlock | ChoiceBlock): void {
    const options =
      block.type === 'choice'
        ? block.options
        : block.answer.type === 'choice'
          ? block.answer.options
          : block.answer.type === 'yes_no'
            ? [
                { label: 'Yes', value: 'yes' },
                { label: 'No', value: 'no' },
              ]
            : undefined;
    const text = this.render(block.type === 'choice' ? block.text : block.question);
    if (!options) {
      this.say(text);
      return;
    }
    const choices = options.map((o) => ({ label: o.label, value: o.value }));
    const listed = block.type === 'ask' && block.answer.type === 'yes_no' ? text : `${text}\n${choices.map((c, i) => `${i + 1}. ${c.label}`).join('\n')}`;
    this.replies.push({ text: listed, choices });
  }

  private actionInputs(block: ApiCallBlock): Record<string, VariableValue> {
    const inputs: Record<string, VariableValue> = {};
    const vars = this.allVariables();
    for (const [param, value] of Object.entries(block.inputs)) {
      // A bare `{{var}}` keeps the variable's type; anything else is rendered as text.
      const bare = typeof value === 'string' ? /^\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}$/.exec(value) : null;
      inputs[param] = bare ? (vars[bare[1]!] ?? null) : typeof value === 'string' ? renderTemplate(value, vars) : value;
    }
    return inputs;
  }

  private say(text: string): void {
    this.replies.push({ text });
  }

  private render(template: string): string {
    return renderTemplate(template, this.allVariables());
  }

  /** Flow variables plus the read-only built-ins templates and conditions may use. */
  private allVariables(): Record<string, VariableValue> {
    const contact = this.ctx.contact ?? {};
    return {
      'contact.name': contact.name ?? null,
      'contact.email': contact.email ?? null,
      'contact.phone': contact.phone ?? null,
      'bot.name': this.ctx.botName,
      ...this.state.variables,
    };
  }

  private flow(id: string): Flow | undefined {
    return this.ctx.flows.flows.find((f) => f.id === id);
  }

  private block(flow: Flow, id: string): Block | undefined {
    return flow.blocks.find((b) => b.id === id);
  }
}
