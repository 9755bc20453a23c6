/**
 * Smart AI inside the conversation workflow: the model reads the conversation, may call the bot's tools,
 * and answers. Runs in workflow code, so it is deterministic: every model answer is an activity result
 * recorded once in history (a replay reads it back, never asks the model again), every action its own
 * run (`actionRunWorkflow`) with an id derived from the turn, and every argument checked here before anything
 * runs. Side-effecting actions wait for the visitor's confirmation of their exact arguments (a hash).
 *
 * The loop is bounded: tool calls per turn and per conversation, provider tokens per conversation, and
 * model rounds per turn. Past a bound the model answers without tools or Parley says so plainly.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities, uuid4 } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import type { AiSnapshot, ChatToolCall, CompleteChatInput, CompleteChatResult } from '../models/ai.schema';
import type { BotSnapshot } from '../models/bot.schema';
import type { AiState, ReplyConfirmation, ReplySource } from '../models/conversation.schema';
import type { CallDone, PendingCall } from '../models/long-running.schema';
import type { VariableValue } from '../models/flow.schema';
import { LIMITS, maxWaitMsOf } from '../models/limits';
import { argumentsHash } from '../core/ai/hash';
import { confirmationText, systemPrompt, toolResultContent, toolSpecs, trimMemory } from '../core/ai/prompt';
import { BUILTIN_TOOLS, checkToolArguments } from '../core/ai/tools';
import type { ReplyContent } from '../core/flows/interpreter';
import { activityOptions, localActivityOptions } from './activity-policies';

const { searchKnowledge } = proxyLocalActivities<ConversationActivities>(localActivityOptions('searchKnowledge'));

/**
 * The LLM call: a regular activity (its own row in the Web UI), retried with backoff on 429/5xx/timeouts,
 * all attempts together within the bot's `maxWaitMs` (schedule-to-close: Temporal schedules no retry past
 * it and times out an attempt still running there). Activity options are not part of what a replay
 * checks, so histories recorded before the cap replay unchanged.
 */
const llmWith = (ai: AiSnapshot) =>
  // The activity heartbeats while the request is in flight: a dead worker is noticed in seconds.
  proxyActivities<ConversationActivities>(activityOptions('completeChat', { startToCloseTimeout: ai.timeoutMs + 5_000, scheduleToCloseTimeout: maxWaitMsOf(ai) }));

export const AI_MESSAGES = {
  unavailable: "Sorry, I can't answer that right now. Please try again in a moment, or ask for a person.",
  limit: "Sorry, I couldn't finish that here. Could you put it another way, or ask for a person?",
  budget: 'Sorry, I can’t continue this conversation automatically. Please ask for a person, or start a new conversation.',
} as const;

/** A reply of Smart AI: text, and what widgets can render (buttons, sources, a confirmation). */
export interface AiReply extends ReplyContent {
  sources?: ReplySource[];
  confirmation?: ReplyConfirmation;
}

/** An action's result as the conversation hands it back: done, failed, or (a long-running call) waiting for its result. */
export type ActionCallResult =
  | { ok: true; outputs: Record<string, VariableValue> }
  | { ok: false; error: string }
  | { pending: true; call: PendingCall; message: string };

/** What Smart AI needs from the conversation workflow. */
export interface AiHooks {
  /** Runs an action as its own workflow whose id ends in `key`. */
  runAction(actionId: string, inputs: Record<string, VariableValue>, key: string): Promise<ActionCallResult>;
  /** Starts a guided flow (the model's `start_flow`); returns the flow's replies. */
  startFlow(flowId: string): Promise<ReplyContent[]>;
  /** Says `text` now and writes it to the transcript before a slow tool runs. */
  interim(text: string): Promise<void>;
}

export interface AiContext {
  accountId: string;
  conversationId: string;
  bot: BotSnapshot;
  ai: AiSnapshot;
  nowIso: () => string;
}

export function initialAiState(): AiState {
  return { memory: [], toolCalls: 0, tokens: 0 };
}

/** A deep copy (the workflow sandbox has no structuredClone; the state is plain JSON anyway). */
export function cloneAiState(state: AiState): AiState {
  return JSON.parse(JSON.stringify(state)) as AiState;
}

type ToolOutcome = { kind: 'result'; content: string } | { kind: 'confirm'; reply: AiReply } | { kind: 'flow'; replies: ReplyContent[] };

const notRun = (why: string): string => toolResultContent({ ok: false, error: `not run: ${why}` });

/** One turn of Smart AI over `state` (mutated in place; the workflow commits it once the turn is durable). */
export class SmartAiTurn {
  private turnCalls = 0;
  private interimSaid = false;
  private readonly sources = new Map<string, ReplySource>();

  constructor(
    private readonly ctx: AiContext,
    private readonly state: AiState,
    private readonly hooks: AiHooks,
    /** Unique per turn: tool runs are `<conversation workflow>-ai-<turnKey>-<n>`. */
    private readonly turnKey: string,
  ) {}

  /** The visitor wrote `text` and no flow took it. */
  async answer(text: string): Promise<AiReply[]> {
    this.state.memory.push({ role: 'user', content: text });
    return this.loop();
  }

  /**
   * Settles the pending confirmation: approved runs the action with the confirmed arguments, declined
   * tells the model so; both then let the model answer. `unanswered` (the visitor wrote something else)
   * records that nothing ran and returns no reply: the message is then routed as usual.
   */
  async settle(decision: 'approved' | 'declined' | 'unanswered'): Promise<AiReply[]> {
    const pending = this.state.pending;
    if (!pending) return [];
    this.state.pending = undefined;
    let content: string;
    if (decision === 'approved') {
      const tool = this.ctx.ai.tools.find((t) => t.name === pending.tool);
      content = tool ? await this.runTool(tool.actionId, pending.args) : notRun('this action is no longer available');
    } else {
      content = notRun(decision === 'declined' ? 'the visitor declined; nothing was done' : 'the visitor did not confirm (they wrote something else); nothing was done — ask again if it is still wanted');
    }
    this.state.memory.push({ role: 'tool', toolCallId: pending.toolCallId, content });
    for (const id of pending.skippedToolCallIds) this.state.memory.push({ role: 'tool', toolCallId: id, content: notRun('an earlier action was waiting for confirmation') });
    return decision === 'unanswered' ? [] : this.loop();
  }

  /**
   * A long-running call Smart AI started has ended: the model reads its result as the answer of a
   * `request_status` lookup and tells the visitor.
   */
  async resumeWith(actionName: string, done: CallDone): Promise<AiReply[]> {
    const id = `call_${uuid4().replace(/-/g, '')}`;
    this.state.memory.push({ role: 'assistant', content: null, toolCalls: [{ id, name: 'request_status', arguments: JSON.stringify({ request: actionName }) }] });
    const content = done.ok ? toolResultContent({ ok: true, data: { status: 'finished', result: done.outputs ?? {} } }) : toolResultContent({ ok: false, error: `${done.outcome}: ${done.error ?? ''}`.trim() });
    this.state.memory.push({ role: 'tool', toolCallId: id, content });
    return this.loop();
  }

  private async loop(): Promise<AiReply[]> {
    const { ai } = this.ctx;
    const replies: AiReply[] = [];
    // One more round than tool calls, so the model can answer after its last call; a hard bound either way.
    for (let round = 0; round <= ai.maxToolCallsPerTurn + 1; round++) {
      if (this.state.tokens >= ai.tokenBudget) return [...replies, { text: AI_MESSAGES.budget }];
      const toolsAllowed = this.turnCalls < ai.maxToolCallsPerTurn && this.state.toolCalls < ai.maxToolCallsPerConversation;
      let result: CompleteChatResult;
      try {
        result = await this.complete(toolsAllowed);
      } catch (error) {
        // Retries exhausted or the provider refused: a visitor-safe message, never the provider's error.
        if (error instanceof ActivityFailure || error instanceof ApplicationFailure) return [...replies, { text: AI_MESSAGES.unavailable }];
        throw error;
      }
      this.state.tokens += result.usage.totalTokens;
      const calls = toolsAllowed ? result.toolCalls : [];
      if (calls.length === 0) {
        const text = clip(result.content?.trim() || (result.toolCalls.length > 0 ? AI_MESSAGES.limit : this.ctx.bot.fallbackMessage));
        this.state.memory.push({ role: 'assistant', content: text });
        return [...replies, { text, ...(this.sources.size > 0 ? { sources: [...this.sources.values()] } : {}) }];
      }
      this.state.memory.push({ role: 'assistant', content: result.content, toolCalls: calls });
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i]!;
        if (this.turnCalls >= ai.maxToolCallsPerTurn || this.state.toolCalls >= ai.maxToolCallsPerConversation) {
          this.state.memory.push({ role: 'tool', toolCallId: call.id, content: notRun('the tool call limit is reached; answer without tools') });
          continue;
        }
        this.turnCalls++;
        this.state.toolCalls++;
        const outcome = await this.toolCall(call, result.content);
        if (outcome.kind === 'result') {
          this.state.memory.push({ role: 'tool', toolCallId: call.id, content: outcome.content });
          continue;
        }
        const rest = calls.slice(i + 1).map((c) => c.id);
        if (outcome.kind === 'confirm') {
          this.state.pending = { ...this.state.pending!, skippedToolCallIds: rest };
          return [...replies, outcome.reply];
        }
        this.state.memory.push({ role: 'tool', toolCallId: call.id, content: toolResultContent({ ok: true, data: 'The flow has started; the visitor is now answering its questions.' }) });
        for (const id of rest) this.state.memory.push({ role: 'tool', toolCallId: id, content: notRun('a guided flow started') });
        return [...replies, ...outcome.replies];
      }
    }
    return [...replies, { text: AI_MESSAGES.limit }];
  }

  private complete(toolsAllowed: boolean): Promise<CompleteChatResult> {
    const { ai, bot } = this.ctx;
    const tools = toolsAllowed ? toolSpecs(ai) : [];
    this.state.memory = trimMemory(this.state.memory);
    return llmWith(ai).completeChat({
      accountId: this.ctx.accountId,
      botId: bot.botId,
      conversationId: this.ctx.conversationId,
      // The profile only when the version has one: versions published before it send the same input as before.
      provider: { baseUrl: ai.baseUrl, model: ai.model, allowPrivateNetwork: ai.allowPrivateNetwork, timeoutMs: ai.timeoutMs, ...(ai.provider ? { profile: ai.provider } : {}) },
      messages: [{ role: 'system', content: systemPrompt(ai, { botName: bot.name, today: this.ctx.nowIso().slice(0, 10), timezone: bot.timezone }) }, ...this.state.memory],
      tools,
      ...(tools.length > 0 ? { toolChoice: this.toolChoice(tools) } : {}),
      ...(typeof ai.seed === 'number' ? { seed: ai.seed } : {}),
      temperature: ai.temperature,
      maxOutputTokens: ai.maxOutputTokens,
    });
  }

  /** The bot's `toolChoice` on the turn's first model call (a named tool only if it is offered), else `auto`. */
  private toolChoice(tools: Array<{ name: string }>): NonNullable<CompleteChatInput['toolChoice']> {
    const choice = this.ctx.ai.toolChoice ?? 'auto';
    if (this.turnCalls > 0 || choice === 'auto') return 'auto';
    if (choice === 'required') return 'required';
    return tools.some((t) => t.name === choice) ? { name: choice } : 'auto';
  }

  private async toolCall(call: ChatToolCall, said: string | null): Promise<ToolOutcome> {
    const { ai, bot } = this.ctx;
    if (call.name === BUILTIN_TOOLS.searchKnowledge && ai.knowledge.enabled) {
      const args = checkToolArguments([{ name: 'query', type: 'string', required: true, description: '' }], call.arguments);
      if (!args.ok) return { kind: 'result', content: toolResultContent({ ok: false, error: args.error }) };
      const found = await searchKnowledge({ accountId: this.ctx.accountId, query: String(args.values.query).slice(0, 500), limit: ai.knowledge.maxResults });
      for (const item of found.items) this.sources.set(item.id, { id: item.id, title: item.title });
      const data = found.items.map((item) => ({ id: item.id, title: item.title, content: item.content, category: item.category }));
      return { kind: 'result', content: toolResultContent({ ok: true, data: data.length > 0 ? data : 'nothing found' }) };
    }
    if (call.name === BUILTIN_TOOLS.startFlow && ai.flows.length > 0) {
      const args = checkToolArguments([{ name: 'flow', type: 'enum', enum: ai.flows.map((f) => f.id), required: true, description: '' }], call.arguments);
      if (!args.ok) return { kind: 'result', content: toolResultContent({ ok: false, error: args.error }) };
      return { kind: 'flow', replies: await this.hooks.startFlow(String(args.values.flow)) };
    }
    // Only tools frozen into this bot's published version exist: another bot's or account's action is unknown.
    const tool = ai.tools.find((t) => t.name === call.name);
    if (!tool) return { kind: 'result', content: toolResultContent({ ok: false, error: `unknown tool "${call.name.slice(0, 64)}"` }) };
    const args = checkToolArguments(tool.parameters, call.arguments);
    if (!args.ok) return { kind: 'result', content: toolResultContent({ ok: false, error: args.error }) };
    if (tool.sideEffects) {
      const id = `cf_${uuid4().replace(/-/g, '')}`;
      const argsHash = argumentsHash(tool.name, args.values);
      this.state.pending = { id, toolCallId: call.id, tool: tool.name, args: args.values, argsHash, skippedToolCallIds: [] };
      const actionName = bot.actions?.[tool.actionId]?.name ?? tool.name;
      return {
        kind: 'confirm',
        reply: {
          text: confirmationText(actionName, args.values),
          choices: [
            { label: 'Yes', value: 'yes' },
            { label: 'No', value: 'no' },
          ],
          confirmation: { id, action: tool.name, arguments: args.values, argsHash },
        },
      };
    }
    if (!this.interimSaid) {
      this.interimSaid = true;
      await this.hooks.interim(clip(said?.trim() || ai.interimMessage));
    }
    return { kind: 'result', content: await this.runTool(tool.actionId, args.values) };
  }

  private async runTool(actionId: string, args: Record<string, VariableValue>): Promise<string> {
    const key = `${this.turnKey}-${this.state.toolCalls}`;
    const result = await this.hooks.runAction(actionId, args, key);
    if ('pending' in result) {
      return toolResultContent({ ok: true, data: { status: 'in progress', note: 'This takes a while. The visitor has been told; the result will arrive later in this conversation. Do not claim it is done.' } });
    }
    return toolResultContent(result.ok ? { ok: true, data: result.outputs } : { ok: false, error: result.error });
  }
}

const clip = (text: string): string => (text.length <= LIMITS.messageText ? text : `${text.slice(0, LIMITS.messageText - 1)}…`);
