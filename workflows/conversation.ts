/**
 * One workflow per conversation. It owns the transcript's order: every visitor message is a Temporal
 * Update, turns run one at a time, and each turn's messages are written to MongoDB by a local activity
 * before the Update returns, so what the HTTP caller gets back is already durable.
 *
 * Determinism: no I/O here. Time comes from the workflow clock (`Date.now()` is Temporal's, fixed per
 * activation), ids from `uuid4()` (seeded by Temporal), and activities are imported as types only.
 */
import {
  ApplicationFailure,
  condition,
  proxyActivities,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
// Types only: the activity implementations (mongoose and friends) never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import { LIMITS } from '../models/limits';
import type {
  AiState,
  CarriedState,
  ConversationInput,
  Reply,
  TurnResult,
  VisitorMessageArgs,
} from '../models/conversation.schema';
import type { ActionOutcome, InboxEvent, InboxFields, SavedMessage } from '../models/transcript.schema';
import type { HandoffState } from '../models/conversation.schema';
import type { SlaSample, SlaTarget } from '../models/sla.schema';
import { advance, cloneHandoff, inboxFields, newHandoff, nextWake, onAgentMessage, onAssigned, onEnd, onVisitorMessage, slaStateOf } from './handoff';
import { trimMemory } from '../core/ai/prompt';
import { readYesNo } from '../core/answers/yes-no';
import { initialFlowState, interpret, type FlowContext, type FlowInput, type FlowState, type FlowStep } from '../core/flows/interpreter';
import type { BotFlows, VariableValue } from '../models/flow.schema';
import { apiChainWorkflow } from './api-chain';
import { actionRunSearchAttributes, agentMessageUpdate, agentNoteUpdate, assignedSignal, callDoneSignal, closeSignal, confirmUpdate, getStateQuery, releaseUpdate, SA, visitorMessageUpdate } from './definitions';
import { MAX_PENDING_CALLS, type CallDone, type CallState, type FinishedCall, type PendingCall } from '../models/long-running.schema';
import { callDoneText, callStatusText, isStatusQuestion, queuedNoticeText, TOO_MANY_CALLS } from '../core/flows/long-running';
import { normalizeText } from '../core/flows/text';
import { cloneAiState, initialAiState, SmartAiTurn, type ActionCallResult, type AiReply } from './smart-ai';
import { activityOptions, localActivityOptions } from './activity-policies';

// Local activities: a transcript write is a few milliseconds, so it runs inside the same workflow task
// instead of a round trip through the server's activity queue. At-least-once: the writes are idempotent.
const { saveTurn } = proxyLocalActivities<ConversationActivities>(localActivityOptions('saveTurn'));

/**
 * An action run started eagerly on this worker and awaited (activities/action-run.ts): the call path
 * without a child workflow's trips through the server's queues. Unlimited attempts: a retried attempt
 * finds the same run by id and waits for its result, so the turn always gets the run's own outcome.
 */
const { runAction: runActionRun } = proxyLocalActivities<ConversationActivities>(localActivityOptions('runAction'));
/** Long-running calls: where each waiting run is, for "what's the status?". */
const { describeCalls } = proxyLocalActivities<ConversationActivities>(localActivityOptions('describeCalls'));

// The inbox (issue 20): a handoff's settings, its SLA samples, the account's dispatcher and its admins.
const { loadHandoffSettings } = proxyLocalActivities<ConversationActivities>(localActivityOptions('loadHandoffSettings'));
const { notifyInbox } = proxyLocalActivities<ConversationActivities>(localActivityOptions('notifyInbox'));
const { inboxAdmins } = proxyLocalActivities<ConversationActivities>(localActivityOptions('inboxAdmins'));
const { recordSlaSample } = proxyActivities<ConversationActivities>(activityOptions('recordSlaSample'));

/**
 * Handoffs begun by histories recorded before the inbox existed carry no `HandoffState` and stay as they
 * were (no assignment, no SLA); a handoff begun on this code records the marker and runs the inbox.
 */
const INBOX = 'parley-inbox';

/** A handoff that ends: its resolution sample, and the fields the ending write clears and sets. */
interface HandoffEnd {
  samples: SlaSample[];
  fields: { inbox: 'clear'; slaFinal: ReturnType<typeof slaStateOf> };
}

/** Histories recorded before action runs were started by a local activity keep replaying as child workflows. */
const EAGER_ACTION_RUNS = 'parley-eager-action-runs';

const NO_FLOWS: BotFlows = {
  flows: [],
  settings: { cancelPhrases: ['cancel', 'stop'], restartPhrases: ['start over', 'restart'], cancelMessage: 'OK, I have cancelled that.' },
};

/** API-call effects carried out per turn at most (a flow's chain of calls); guards against a runaway flow. */
const MAX_ACTIONS_PER_TURN = 10;

/**
 * Flow variables a conversation starts with: its start variables, and the contact's fields under
 * `name`/`email`/`phone` so that asks for an answer already given are skipped.
 */
function startVariables(input: ConversationInput): Record<string, VariableValue> {
  const { contact } = input;
  return {
    ...(contact?.name ? { name: contact.name } : {}),
    ...(contact?.email ? { email: contact.email } : {}),
    ...(contact?.phone ? { phone: contact.phone } : {}),
    ...input.variables,
  };
}

/** How many answered turns a run remembers (and carries over) to answer a retried message from memory. */
const RECENT_TURNS = 200;

export interface ConversationOutcome {
  status: 'closed';
  reason: string;
  messageCount: number;
}

export async function conversationWorkflow(input: ConversationInput): Promise<ConversationOutcome> {
  const { bot } = input;
  const state: CarriedState = input.carried ?? {
    status: 'active',
    messageCount: 0,
    greeted: false,
    recentTurns: [],
    lastActivityAt: new Date().toISOString(),
  };
  state.flow ??= initialFlowState(startVariables(input));
  const flows = bot.flows ?? NO_FLOWS;
  const aiOn = bot.ai?.enabled === true;
  const recent = new Map(state.recentTurns.map((turn) => [turn.messageId, turn]));
  let closeReason: string | undefined;
  let turnsInFlight = 0;
  let lastActivityMs = Date.now();
  // Turns run strictly one after another, in the order their Updates were accepted. `running` is the
  // tail of that queue. (Every promise in workflow code costs a stack capture in the SDK's sandbox, so
  // the hot path creates as few as it can.)
  let running: Promise<unknown> | undefined;
  // Actions run since the last transcript write: the next write records them as events (no new commands).
  let actionsRun: ActionOutcome[] = [];

  // Who the transcript writes belong to (no PII: the contact stays out of activity inputs).
  const conversationRef = {
    id: input.conversationId,
    accountId: input.accountId,
    botId: bot.botId,
    botVersion: bot.version,
    channel: input.channel,
    externalUserId: input.externalUserId,
    workflowId: workflowInfo().workflowId,
  };

  /** Runs `work` after every turn accepted before it: one turn at a time, in acceptance order. */
  const serialize = async <T>(work: () => Promise<T>): Promise<T> => {
    turnsInFlight++;
    const previous = running;
    const job = previous ? previous.then(work, work) : work();
    running = job;
    try {
      return await job;
    } finally {
      turnsInFlight--;
      if (running === job) running = undefined;
    }
  };

  const remember = (turn: TurnResult): void => {
    recent.set(turn.messageId, turn);
    if (recent.size > RECENT_TURNS) recent.delete(recent.keys().next().value as string);
  };

  const reply = (content: AiReply, createdAt: string): Reply => ({
    id: `msg_${uuid4().replace(/-/g, '')}`,
    role: 'bot',
    type: 'text',
    text: content.text,
    ...(content.choices ? { choices: content.choices } : {}),
    ...(content.sources ? { sources: content.sources } : {}),
    ...(content.confirmation ? { confirmation: content.confirmation } : {}),
    createdAt,
  });

  /**
   * Runs the pure flow interpreter on one input and carries out its effects: each API-call effect's
   * result goes back into the interpreter until the flow waits for the visitor again.
   */
  const runFlows = async (first: FlowInput, from: FlowState, keyPrefix = 'action'): Promise<FlowStep> => {
    const context = (): FlowContext => ({
      flows,
      botName: bot.name,
      fallbackMessage: bot.fallbackMessage,
      contact: input.contact,
      nowMs: Date.now(),
      timezone: bot.timezone,
      delegateUnmatched: aiOn,
    });
    let step = interpret(context(), from, first);
    const replies = [...step.replies];
    const effects = [...step.effects];
    for (let i = 0; i < MAX_ACTIONS_PER_TURN; i++) {
      const call = step.effects.find((e) => e.type === 'call_action');
      if (!call) break;
      const result = await runAction(call.action, call.inputs, `${keyPrefix}-${state.messageCount}-${call.blockId}-${i}`, { kind: 'flow', flowId: call.flowId, blockId: call.blockId });
      if ('pending' in result) {
        // The call finishes later: the flow waits for it off to the side, and the visitor may go on.
        replies.push({ text: result.message });
        step = { replies: [], effects: [], state: { ...step.state, active: null } };
        break;
      }
      step = interpret(context(), step.state, { type: 'action_result', ...result });
      replies.push(...step.replies);
      effects.push(...step.effects);
    }
    return { replies, state: step.state, effects };
  };

  /**
   * Runs an API action as its own workflow (its own run in the Web UI), started from a local activity
   * (a child workflow in histories recorded before that). The run's id derives from this conversation,
   * the transcript position and the block, so a replayed or retried turn finds the same run.
   */
  const runAction = async (actionId: string, inputs: Record<string, VariableValue>, key: string, origin: PendingCall['origin']): Promise<ActionCallResult> => {
    const action = bot.actions?.[actionId];
    if (!action) return { ok: false as const, error: `Sorry, "${actionId}" is not available right now.` };
    const waitStep = action.steps.find((step) => step.wait);
    if (waitStep && (state.calls?.length ?? 0) >= MAX_PENDING_CALLS) return { ok: false as const, error: TOO_MANY_CALLS };
    const runInput = { accountId: input.accountId, action, inputs, conversationId: input.conversationId, contact: input.contact };
    const labels = { accountId: input.accountId, botId: bot.botId, channel: input.channel, actionId: action.id };
    const { workflowId } = workflowInfo();
    const outcome = patched(EAGER_ACTION_RUNS)
      ? await runActionRun({ workflowId: `${workflowId}-${key}`, input: runInput, labels, conversationWorkflowId: workflowId, ...(waitStep ? { longRunning: true } : {}) })
      : await executeChild(apiChainWorkflow, { workflowId: `${workflowId}-${key}`, args: [runInput], typedSearchAttributes: actionRunSearchAttributes(labels) });
    if ('waiting' in outcome) {
      // A long-running call now waits for its job: its end arrives as `callDone`.
      const call: PendingCall = { callId: `${workflowId}-${key}`, key, actionId, actionName: action.name, startedAt: new Date().toISOString(), origin };
      state.calls = [...(state.calls ?? []), call];
      return { pending: true as const, call, message: waitStep?.wait?.pendingMessage ?? outcome.call.actionName };
    }
    const result = outcome;
    actionsRun.push(result.ok ? { key, actionId, ok: true, outputs: result.outputs } : { key, actionId, ok: false, error: result.error });
    return result.ok ? { ok: true as const, outputs: result.outputs } : { ok: false as const, error: result.error };
  };

  /**
   * Answers one message (or opens the conversation when `text` is absent) and persists the turn.
   * Routing: a pending Smart AI confirmation first, then the flows (an active ask, a trigger), then Smart
   * AI for what no flow takes (or the fallback message when Smart AI is off).
   */
  const takeTurn = async (args: VisitorMessageArgs, decision?: boolean, finished?: FinishedCall): Promise<TurnResult> => {
    const at = new Date().toISOString();
    const turn = new TurnWriter(args, at);
    if (!state.greeted) turn.add(reply({ text: bot.greeting }, at));
    let flowState = state.flow!;
    // Smart AI works on a copy, committed with the rest of the state once the turn is durable.
    const ai: AiState | undefined = aiOn ? cloneAiState(state.ai ?? initialAiState()) : undefined;
    // What the visitor is told when a call Smart AI started goes on waiting for its result.
    const callNotices: string[] = [];
    const smartAi = ai && new SmartAiTurn({ accountId: input.accountId, conversationId: input.conversationId, bot, ai: bot.ai!, nowIso: () => new Date().toISOString() }, ai, {
      runAction: async (actionId, inputs, key) => {
        const result = await runAction(actionId, inputs, `ai-${key}`, { kind: 'ai' });
        if ('pending' in result) callNotices.push(result.message);
        return result;
      },
      startFlow: async (flowId) => {
        const step = await runFlows({ type: 'start_flow', flowId }, flowState);
        flowState = step.state;
        return step.replies;
      },
      interim: async (text) => {
        turn.add(reply({ text }, at));
        await turn.flush(status(flowState), true);
      },
    }, String(state.messageCount));

    let aiReplies: AiReply[] | undefined;
    // Long-running calls: with no question open, "what's the status?" is answered from the runs, and the
    // cancel phrase cancels the latest call.
    const calls = state.calls ?? [];
    if (finished) {
      // A long-running call ended: its flow goes on from where it waited (or Smart AI answers with the
      // result); with another question open, the visitor hears of it now and the flow resumes later.
      const { call, done } = finished;
      actionsRun.push(done.ok ? { key: call.key, actionId: call.actionId, ok: true, outputs: done.outputs ?? {} } : { key: call.key, actionId: call.actionId, ok: false, error: done.error ?? done.outcome });
      if (done.outcome === 'cancelled') aiReplies = [{ text: callDoneText(call, done) }];
      else if (call.origin.kind === 'ai') aiReplies = smartAi ? await smartAi.resumeWith(call.actionName, done) : [{ text: callDoneText(call, done) }];
      else if (!flowState.active && !flowState.handoff) {
        const step = await resumeCall(call, done, flowState);
        flowState = step.state;
        aiReplies = step.replies.length > 0 ? step.replies : [{ text: callDoneText(call, done) }];
      } else {
        state.finishedCalls = [...(state.finishedCalls ?? []), finished];
        aiReplies = [{ text: queuedNoticeText(call, done) }];
      }
      if (call.origin.kind !== 'ai') ai?.memory.push({ role: 'assistant', content: (aiReplies ?? []).map((r) => r.text).join('\n') });
    } else if (args.text !== undefined && calls.length > 0 && !flowState.active && !flowState.handoff && !ai?.pending && decision === undefined) {
      if (isStatusQuestion(args.text)) {
        const states = await describeCalls({ callIds: calls.map((c) => c.callId) });
        aiReplies = [{ text: callStatusText(calls, states as (CallState | null)[], Date.now()) }];
      } else if (flows.settings.cancelPhrases.some((p) => normalizeText(p) === normalizeText(args.text!))) {
        const latest = calls.filter((c) => !c.cancelling).at(-1);
        if (latest) {
          await getExternalWorkflowHandle(latest.callId).cancel().catch(() => undefined);
          state.calls = calls.map((c) => (c.callId === latest.callId ? { ...c, cancelling: true } : c));
          aiReplies = [{ text: `OK, I'm cancelling "${latest.actionName}". I'll confirm here once it's done.` }];
        }
      }
      if (aiReplies) ai?.memory.push({ role: 'user', content: args.text }, { role: 'assistant', content: aiReplies.map((r) => r.text).join('\n') });
    }
    if (aiReplies !== undefined) {
      // Answered above.
    } else if (args.text === undefined) {
      // The conversation opens.
      const step = await runFlows({ type: 'start' }, flowState);
      flowState = step.state;
      for (const content of step.replies) turn.add(reply(content, at));
      ai?.memory.push({ role: 'assistant', content: turn.replies.map((r) => r.text).join('\n') });
    } else if (decision !== undefined || (ai?.pending && !flowState.handoff)) {
      // A visitor's yes / no settles the confirmation; anything else leaves it unconfirmed and is routed as usual.
      const answer = decision ?? readYesNo(args.text);
      if (answer !== null) aiReplies = await smartAi!.settle(answer ? 'approved' : 'declined');
      else await smartAi!.settle('unanswered');
    }
    if (args.text !== undefined && aiReplies === undefined) {
      const step = await runFlows({ type: 'message', text: args.text, opening: !state.greeted }, flowState);
      flowState = step.state;
      for (const content of step.replies) turn.add(reply(content, at));
      if (step.effects.some((e) => e.type === 'unmatched')) aiReplies = await smartAi!.answer(args.text);
      else if (ai) {
        ai.memory.push({ role: 'user', content: args.text });
        if (step.replies.length > 0) ai.memory.push({ role: 'assistant', content: step.replies.map((r) => r.text).join('\n') });
      }
    }
    for (const text of callNotices) turn.add(reply({ text }, at));
    for (const content of aiReplies ?? []) turn.add(reply(content, at));
    // A call that finished while another question was open: its flow resumes now that none is.
    while (!flowState.active && !flowState.handoff && (state.finishedCalls?.length ?? 0) > 0) {
      const [next, ...rest] = state.finishedCalls!;
      state.finishedCalls = rest;
      const step = await resumeCall(next!.call, next!.done, flowState);
      flowState = step.state;
      for (const content of step.replies) turn.add(reply(content, at));
      ai?.memory.push({ role: 'assistant', content: step.replies.map((r) => r.text).join('\n') });
    }

    // The inbox: a handoff that starts (its settings read, its clocks started), a visitor message that
    // starts the next-response clock, or a handoff that ends with this turn.
    const nextStatus = status(flowState);
    let handoff = state.handoff ? cloneHandoff(state.handoff) : undefined;
    let inbox: InboxFields | undefined;
    let end: HandoffEnd | undefined;
    const handoffBegins = nextStatus === 'handoff' && state.status !== 'handoff' && patched(INBOX);
    if (handoffBegins) {
      handoff = newHandoff(await loadHandoffSettings({ accountId: input.accountId, botId: bot.botId, botTimezone: bot.timezone }), Date.now());
      inbox = inboxFields(handoff);
    } else if (handoff && nextStatus === 'handoff' && args.text !== undefined) {
      onVisitorMessage(handoff, Date.now());
      inbox = inboxFields(handoff);
    } else if (handoff && nextStatus !== 'handoff') {
      end = endingHandoff();
    }

    await turn.flush(nextStatus, false, end ? end.fields : inbox ? { inbox } : {});
    // State moves only once the turn is durable, so a failed write never leaves a gap in `seq`.
    commitStatus(nextStatus);
    if (handoffBegins && handoff) {
      state.handoff = handoff;
      upsertSearchAttributes([{ key: SA.sla, value: slaStateOf(handoff) }, { key: SA.agent, value: '' }]);
      await notifyInbox({ accountId: input.accountId, notice: { type: 'handoff', handoff: { conversationId: input.conversationId, botId: bot.botId, team: handoff.settings.team ?? '', since: new Date(handoff.since).toISOString() } } });
    } else if (end) {
      await endHandoff(end);
    } else if (handoff) {
      state.handoff = handoff;
    }
    state.flow = flowState;
    if (ai) state.ai = { ...ai, memory: trimMemory(ai.memory) };
    state.greeted = true;
    state.lastActivityAt = at;
    lastActivityMs = Date.now();
    const result: TurnResult = { messageId: args.messageId, replies: turn.replies };
    if (!finished) remember(result);
    return result;
  };

  /** Feeds a long-running call's end to the flow that waited for it at its `api_call` block. */
  const resumeCall = (call: PendingCall, done: CallDone, from: FlowState): Promise<FlowStep> => {
    if (call.origin.kind !== 'flow') return Promise.resolve({ replies: [], effects: [], state: from });
    const active = { flowId: call.origin.flowId, blockId: call.origin.blockId, attempts: 0, waitingFor: 'action' as const };
    const result: FlowInput = done.ok ? { type: 'action_result', ok: true, outputs: done.outputs ?? {} } : { type: 'action_result', ok: false, error: done.error ?? callDoneText(call, done) };
    return runFlows(result, { ...from, active }, `resume-${call.key}`);
  };

  const status = (flow: FlowState) => (flow.handoff ? ('handoff' as const) : ('active' as const));
  const commitStatus = (next: 'active' | 'handoff'): void => {
    if (next !== state.status) upsertSearchAttributes([{ key: SA.status, value: next }]);
    state.status = next;
  };

  const sampleRef = { accountId: input.accountId, botId: bot.botId, conversationId: input.conversationId };

  /** Writes a handoff's inbox fields (and its events) with no message, in transcript order. */
  const inboxWrite = async (h: HandoffState, events: InboxEvent[] = []): Promise<void> => {
    await saveTurn({ conversation: conversationRef, messages: [], messageCount: state.messageCount, status: state.status, at: new Date().toISOString(), inbox: inboxFields(h), ...(events.length > 0 ? { events } : {}) });
  };

  /** The handoff ends now (release, close, a turn that leaves it): its resolution sample, and what the ending write sets. */
  const endingHandoff = (): HandoffEnd | undefined => {
    if (!state.handoff) return undefined;
    const ending = cloneHandoff(state.handoff);
    const samples = onEnd(ending, Date.now(), sampleRef);
    return { samples, fields: { inbox: 'clear', slaFinal: slaStateOf(ending) } };
  };

  /** After the write that ended a handoff: the dispatcher frees the agent, the SLA samples are kept. */
  const endHandoff = async (end: HandoffEnd): Promise<void> => {
    state.handoff = undefined;
    upsertSearchAttributes([{ key: SA.sla, value: end.fields.slaFinal }, { key: SA.agent, value: '' }]);
    await Promise.all([notifyInbox({ accountId: input.accountId, notice: { type: 'ended', conversationId: input.conversationId } }), ...end.samples.map((s) => recordSlaSample(s))]);
  };

  /** Where a breach or escalation event sits after the write's last message (activities/transcript.ts InboxEvent). */
  const SLOT: Record<SlaTarget, { breached: number; escalated: number }> = {
    firstResponse: { breached: 4, escalated: 7 },
    nextResponse: { breached: 5, escalated: 8 },
    resolution: { breached: 6, escalated: 9 },
  };

  /** A handoff's timer fired: targets at risk or breached (events, escalation), an agent who did not answer. */
  const onHandoffTimer = async (): Promise<void> => {
    if (!state.handoff || state.status !== 'handoff') return;
    const h = cloneHandoff(state.handoff);
    const before = slaStateOf(h);
    const holder = h.agentId;
    const result = advance(h, Date.now());
    const N = state.messageCount;
    const handoffAt = new Date(h.since).toISOString();
    const events: InboxEvent[] = result.breached.map((target) => ({ type: 'sla.breached', ref: `sla:breached:${target}:${N}`, slot: SLOT[target].breached, data: { target, agentId: holder, handoffAt } }));
    const escalation = h.settings.sla?.escalation;
    const reassign = holder !== null && (result.noAnswerFrom !== null || (result.breached.length > 0 && escalation?.reassign === true));
    if (result.breached.length > 0 && escalation?.notifyAdmins) {
      // Best effort: an escalation that cannot read the admins still goes out, naming none.
      const admins = await inboxAdmins({ accountId: input.accountId }).catch(() => [] as string[]);
      for (const target of result.breached) {
        events.push({ type: 'sla.escalated', ref: `sla:escalated:${target}:${N}`, slot: SLOT[target].escalated, data: { target, agentId: holder, admins, reassign: escalation.reassign && holder !== null, handoffAt } });
      }
    }
    await inboxWrite(h, events);
    state.handoff = h;
    const after = slaStateOf(h);
    if (after !== before) upsertSearchAttributes([{ key: SA.sla, value: after }]);
    if (reassign) {
      const reason = result.noAnswerFrom !== null ? ('no_answer' as const) : ('sla_breached' as const);
      await notifyInbox({ accountId: input.accountId, notice: { type: 'reassign', conversationId: input.conversationId, fromAgentId: holder, reason } });
    }
  };

  /**
   * A turn's transcript writes. Usually one write at the end; a Smart AI turn that runs a slow tool
   * first writes the visitor message (marked pending) and an interim reply, then the rest.
   */
  class TurnWriter {
    readonly replies: Reply[] = [];
    private written = 0;
    private visitorWritten = false;

    constructor(
      private readonly args: VisitorMessageArgs,
      private readonly at: string,
    ) {}

    add(r: Reply): void {
      this.replies.push(r);
    }

    async flush(turnStatus: 'active' | 'handoff', partial: boolean, extra: { inbox?: InboxFields | 'clear'; slaFinal?: ReturnType<typeof slaStateOf> } = {}): Promise<void> {
      const messages: SavedMessage[] = [];
      let seq = state.messageCount;
      const { text, messageId } = this.args;
      if (text !== undefined && !this.visitorWritten) messages.push({ id: messageId, seq: seq++, role: 'visitor', text, createdAt: this.at, ...(partial ? { pending: true } : {}) });
      const inReplyTo = text !== undefined ? messageId : null;
      for (const r of this.replies.slice(this.written)) {
        messages.push({ id: r.id, seq: seq++, role: 'bot', text: r.text, choices: r.choices, sources: r.sources, confirmation: r.confirmation, inReplyTo, createdAt: this.at });
      }
      const completes = !partial && this.visitorWritten ? messageId : undefined;
      const actions = actionsRun;
      actionsRun = [];
      const handoffStarts = !partial && turnStatus === 'handoff' && state.status !== 'handoff';
      await saveTurn({
        conversation: conversationRef,
        messages,
        messageCount: seq,
        status: partial ? state.status : turnStatus,
        at: this.at,
        ...(completes ? { completes } : {}),
        ...(actions.length > 0 ? { actions } : {}),
        ...(handoffStarts ? { handoffStarts } : {}),
        ...extra,
      });
      this.visitorWritten ||= text !== undefined;
      this.written = this.replies.length;
      state.messageCount = seq;
    }
  }

  /** An agent's message or note: 1 to LIMITS.messageText characters, not blank. */
  function requireAgentText(args: { text?: unknown } | undefined): void {
    if (typeof args?.text !== 'string' || args.text.trim().length === 0 || args.text.length > LIMITS.messageText) {
      throw ApplicationFailure.nonRetryable('text must be 1 to 4000 characters', 'InvalidMessage');
    }
  }

  function rejectIfClosed(): void {
    if (state.status === 'closed' || closeReason !== undefined) {
      throw ApplicationFailure.nonRetryable('the conversation is closed', 'ConversationClosed');
    }
  }

  setHandler(
    visitorMessageUpdate,
    async (args) => {
      // Temporal deduplicates Update ids within a run; this answers retries that reach a later run.
      const known = recent.get(args.messageId);
      if (known) return known;
      return serialize(() => takeTurn(args));
    },
    {
      // Runs before the Update is accepted: rejected input never enters history.
      validator: (args) => {
        rejectIfClosed();
        if (typeof args?.messageId !== 'string' || args.messageId.length === 0 || args.messageId.length > 200) {
          throw ApplicationFailure.nonRetryable('messageId is required', 'InvalidMessage');
        }
        if (args.text !== undefined) {
          if (typeof args.text !== 'string' || args.text.trim().length === 0) {
            throw ApplicationFailure.nonRetryable('text must not be empty', 'InvalidMessage');
          }
          if (args.text.length > LIMITS.messageText) {
            throw ApplicationFailure.nonRetryable(`text is longer than ${LIMITS.messageText} characters`, 'InvalidMessage');
          }
        }
      },
    },
  );

  setHandler(
    confirmUpdate,
    async (args) => {
      const known = recent.get(args.messageId);
      if (known) return known;
      return serialize(() => takeTurn({ messageId: args.messageId, text: args.approved ? 'Yes' : 'No' }, args.approved));
    },
    {
      validator: (args) => {
        rejectIfClosed();
        if (typeof args?.messageId !== 'string' || args.messageId.length === 0 || args.messageId.length > 200) {
          throw ApplicationFailure.nonRetryable('messageId is required', 'InvalidMessage');
        }
        const pending = state.ai?.pending;
        if (!pending || pending.id !== args.confirmationId || pending.argsHash !== args.argsHash || typeof args.approved !== 'boolean') {
          throw ApplicationFailure.nonRetryable('no action is waiting for confirmation with this id and these arguments', 'ConfirmationMismatch');
        }
      },
    },
  );

  setHandler(
    releaseUpdate,
    () =>
      serialize(async () => {
        if (state.status === 'handoff') {
          const at = new Date().toISOString();
          const end = endingHandoff();
          await saveTurn({ conversation: conversationRef, messages: [], messageCount: state.messageCount, status: 'active', at, ...end?.fields });
          state.flow = { ...state.flow!, handoff: false };
          state.status = 'active';
          state.lastActivityAt = at;
          lastActivityMs = Date.now();
          upsertSearchAttributes([{ key: SA.status, value: 'active' }]);
          if (end) await endHandoff(end);
        }
        return { status: state.status };
      }),
    { validator: () => rejectIfClosed() },
  );

  setHandler(
    agentMessageUpdate,
    (args) =>
      serialize(async () => {
        const at = new Date().toISOString();
        const id = `msg_${uuid4().replace(/-/g, '')}`;
        const seq = state.messageCount;
        const agentId = typeof args.agentId === 'string' ? args.agentId : undefined;
        const h = state.handoff ? cloneHandoff(state.handoff) : undefined;
        const before = h ? slaStateOf(h) : undefined;
        const samples = h ? onAgentMessage(h, Date.now(), agentId ?? null, sampleRef) : [];
        await saveTurn({
          conversation: conversationRef,
          messages: [{ id, seq, role: 'agent', text: args.text, createdAt: at, ...(agentId ? { agentId } : {}) }],
          messageCount: seq + 1,
          status: state.status,
          at,
          ...(h ? { inbox: inboxFields(h) } : {}),
        });
        state.messageCount = seq + 1;
        state.lastActivityAt = at;
        lastActivityMs = Date.now();
        if (h) {
          state.handoff = h;
          if (slaStateOf(h) !== before) upsertSearchAttributes([{ key: SA.sla, value: slaStateOf(h) }]);
          if (samples.length > 0) await Promise.all(samples.map((s) => recordSlaSample(s)));
        }
        return { id, role: 'agent' as const, type: 'text' as const, text: args.text, createdAt: at, ...(agentId ? { agentId } : {}) };
      }),
    {
      validator: (args) => {
        rejectIfClosed();
        if (state.status !== 'handoff') throw ApplicationFailure.nonRetryable('the conversation is not handed off to a person', 'NotInHandoff');
        requireAgentText(args);
      },
    },
  );

  setHandler(
    agentNoteUpdate,
    (args) =>
      serialize(async () => {
        const at = new Date().toISOString();
        const id = `msg_${uuid4().replace(/-/g, '')}`;
        const seq = state.messageCount;
        const agentId = typeof args.agentId === 'string' ? args.agentId : undefined;
        await saveTurn({ conversation: conversationRef, messages: [{ id, seq, role: 'note', text: args.text, createdAt: at, ...(agentId ? { agentId } : {}) }], messageCount: seq + 1, status: state.status, at });
        state.messageCount = seq + 1;
        return { id, role: 'note' as const, type: 'text' as const, text: args.text, createdAt: at, ...(agentId ? { agentId } : {}) };
      }),
    {
      validator: (args) => {
        rejectIfClosed();
        requireAgentText(args);
      },
    },
  );

  // The account's dispatcher (workflows/inbox.ts) says who holds the conversation now.
  setHandler(assignedSignal, ({ agentId }) =>
    serialize(async () => {
      if (!state.handoff || state.status !== 'handoff' || closeReason !== undefined) return;
      const h = cloneHandoff(state.handoff);
      const holder = typeof agentId === 'string' ? agentId : null;
      if (h.agentId === holder) return;
      const previous = h.agentId;
      onAssigned(h, holder, Date.now(), h.awaitingSince !== null);
      const slot = 20 + Math.min(h.assignments, 79);
      const event: InboxEvent = holder
        ? { type: 'conversation.assigned', ref: `assigned:${h.assignments}`, slot, data: { agentId: holder, previousAgentId: previous } }
        : { type: 'conversation.unassigned', ref: `assigned:${h.assignments}`, slot, data: { previousAgentId: previous } };
      await inboxWrite(h, [event]);
      state.handoff = h;
      upsertSearchAttributes([{ key: SA.agent, value: holder ?? '' }]);
    }),
  );

  // A long-running call ended (its run says so once; a call no longer waited for is dropped).
  setHandler(callDoneSignal, (done) =>
    serialize(async () => {
      const call = state.calls?.find((c) => c.callId === done?.callId);
      if (!call || closeReason !== undefined) return;
      state.calls = state.calls!.filter((c) => c.callId !== call.callId);
      await takeTurn({ messageId: `call-${call.key}` }, undefined, { call, done });
    }),
  );

  setHandler(closeSignal, ({ reason }) => {
    closeReason ??= reason || 'closed';
  });

  setHandler(getStateQuery, () => ({
    conversationId: input.conversationId,
    status: closeReason !== undefined ? 'closed' : state.status,
    botVersion: bot.version,
    messageCount: state.messageCount,
    lastActivityAt: state.lastActivityAt,
  }));

  const shouldContinueAsNew = (): boolean => {
    const info = workflowInfo();
    const limit = input.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  };

  // The idle timer is not restarted on every turn (that would add timer events to history per message):
  // it fires at the earliest possible closing time and, if a turn happened since, sleeps the remainder.
  const idleMs = bot.inactivityTimeoutSeconds * 1000;
  const callsWaiting = (): boolean => (state.calls?.length ?? 0) > 0;
  /**
   * Continues as new. Accepted Updates finish on this run; their results travel in `recentTurns` so a
   * retry on the next run is answered from memory rather than twice.
   */
  const carryOver = async (): Promise<never> => {
    await condition(allHandlersFinished);
    return continueAsNew<typeof conversationWorkflow>({ ...input, carried: { ...state, recentTurns: [...recent.values()] } });
  };
  for (;;) {
    const remaining = lastActivityMs + idleMs - Date.now();
    // A handoff of the inbox waits for its people, not for the idle timer; its own clocks wake it.
    const inboxHandoff = state.handoff !== undefined && state.status === 'handoff';
    const wakeAt = inboxHandoff ? nextWake(state.handoff!) : undefined;
    if (wakeAt !== undefined && wakeAt <= Date.now() && closeReason === undefined) {
      await serialize(onHandoffTimer);
      continue;
    }
    if (inboxHandoff) {
      const moved = (): boolean => closeReason !== undefined || (turnsInFlight === 0 && shouldContinueAsNew()) || state.handoff === undefined || state.status !== 'handoff' || nextWake(state.handoff) !== wakeAt;
      if (wakeAt === undefined) await condition(moved);
      else await condition(moved, wakeAt - Date.now());
      if (closeReason !== undefined) break;
      if (turnsInFlight === 0 && shouldContinueAsNew()) return carryOver();
      continue;
    }
    if (remaining <= 0) {
      if (turnsInFlight === 0 && !callsWaiting()) {
        closeReason ??= 'inactivity';
        break;
      }
      if (!callsWaiting()) {
        // A turn is still running (say, a slow write): idle time starts again when it ends.
        await condition(() => turnsInFlight === 0 || closeReason !== undefined);
        continue;
      }
      // A long-running call is waiting: the conversation stays open for its result, however long
      // (its run has a deadline); idle time starts again after the result is said.
      const seen = lastActivityMs;
      await condition(() => closeReason !== undefined || lastActivityMs !== seen || (turnsInFlight === 0 && (!callsWaiting() || shouldContinueAsNew())));
      if (closeReason !== undefined) break;
      if (turnsInFlight === 0 && callsWaiting() && shouldContinueAsNew()) return carryOver();
      continue;
    }
    // A handoff that begins with the inbox (its state set by a turn) has its own clocks: wake to run them.
    await condition(() => closeReason !== undefined || (turnsInFlight === 0 && shouldContinueAsNew()) || (state.handoff !== undefined && state.status === 'handoff'), remaining);
    if (closeReason !== undefined) break;
    if (turnsInFlight === 0 && shouldContinueAsNew()) return carryOver();
  }

  // Closing: no new Update passes the validator any more; let accepted ones finish, then record it.
  await condition(allHandlersFinished);
  // Long-running calls still waiting are cancelled (their runs undo what they did, if they can).
  for (const call of state.calls ?? []) await getExternalWorkflowHandle(call.callId).cancel().catch(() => undefined);
  state.calls = [];
  state.status = 'closed';
  const at = new Date().toISOString();
  const end = endingHandoff();
  await saveTurn({
    conversation: conversationRef,
    messages: [],
    messageCount: state.messageCount,
    status: 'closed',
    closeReason,
    at,
    ...end?.fields,
  });
  upsertSearchAttributes([{ key: SA.status, value: 'closed' }]);
  if (end) await endHandoff(end);
  return { status: 'closed', reason: closeReason, messageCount: state.messageCount };
}
