/**
 * Names and message definitions of Parley's workflows. The API imports this file (never the workflow
 * bodies) to start, update, signal and query them.
 */
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentMessageArgs, ConfirmArgs, ConversationState, ConversationStatus, MessageView, TurnResult, VisitorMessageArgs } from '../models/conversation.schema';
import type { CallbackResult, CallDone, CallState, RunSettled } from '../models/long-running.schema';

export const CONVERSATION_TASK_QUEUE = 'parley-conversations';

export const conversationWorkflowId = (conversationId: string): string => `conversation-${conversationId}`;

/**
 * A visitor message. An Update rather than a signal so the HTTP call that sent it gets the bot's replies
 * back synchronously, and its id (derived from the client's message id) makes a retried POST answer once.
 */
export const visitorMessageUpdate = defineUpdate<TurnResult, [VisitorMessageArgs]>('visitorMessage');

/**
 * A person answers the visitor while the conversation is handed off. An Update, so the caller learns
 * the message's id once it is in the transcript; refused unless the conversation is in handoff.
 */
export const agentMessageUpdate = defineUpdate<MessageView, [AgentMessageArgs]>('agentMessage');

/**
 * The visitor approves or declines the side-effecting action Smart AI proposed. Bound to the pending
 * confirmation's id and the hash of its exact arguments: the validator refuses anything else before it
 * enters history. Returns the bot's replies like a message.
 */
export const confirmUpdate = defineUpdate<TurnResult, [ConfirmArgs]>('confirm');

/** A human gives the conversation back to the bot after a handoff. Returns the new status. */
export const releaseUpdate = defineUpdate<{ status: ConversationStatus }, []>('release');

/** Ends the conversation (operator or API); pending turns finish first. */
export const closeSignal = defineSignal<[{ reason: string }]>('close');

export const getStateQuery = defineQuery<ConversationState>('state');

/**
 * Search attributes that make conversations and action runs findable in the Web UI. Keywords only;
 * never PII. `status` is a conversation's status (active, handoff, closed) or an action run's
 * (ACTION_RUN_STATUS); `action` is the id of the action an `actionRunWorkflow` (or, in older histories, `apiChainWorkflow`) runs.
 */
export const SA = {
  accountId: defineSearchAttributeKey('ParleyAccountId', 'KEYWORD'),
  botId: defineSearchAttributeKey('ParleyBotId', 'KEYWORD'),
  status: defineSearchAttributeKey('ParleyStatus', 'KEYWORD'),
  channel: defineSearchAttributeKey('ParleyChannel', 'KEYWORD'),
  action: defineSearchAttributeKey('ParleyAction', 'KEYWORD'),
  /** A handed-off conversation's SLA state (models/sla.schema.ts SLA_STATES); set from its first handoff on. */
  sla: defineSearchAttributeKey('ParleySla', 'KEYWORD'),
  /** The agent a handed-off conversation is assigned to ('' when none). */
  agent: defineSearchAttributeKey('ParleyAgent', 'KEYWORD'),
} as const;

/** `ParleyStatus` of an action run: set to running at start, upserted by the run when it ends. */
export const ACTION_RUN_STATUS = { running: 'running', waiting: 'waiting', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled', timed_out: 'timed_out' } as const;

// ---- Long-running calls (issue 21): a run that waits for a polled job or a callback. ----

/** The business's callback, judged by the API's callback route; refused once one was accepted. */
export const callbackUpdate = defineUpdate<{ accepted: true }, [CallbackResult]>('callback');

/** Resolves once the run waits on its long-running step (the conversation then goes on), or has finished. */
export const settledUpdate = defineUpdate<RunSettled<unknown>, []>('settled');

/** Where the run is with its long-running step. */
export const callStateQuery = defineQuery<CallState>('callState');

/** A long-running call finished: sent by its run to the conversation, once. */
export const callDoneSignal = defineSignal<[CallDone]>('callDone');

/** What an action run is labelled with (keywords, no PII). */
export interface ActionRunLabels {
  accountId: string;
  botId: string;
  channel: string;
  actionId: string;
}

/** The search attributes an action run starts with: its labels and `ParleyStatus` running. */
export const actionRunSearchAttributes = (labels: ActionRunLabels): SearchAttributePair[] => [
  { key: SA.accountId, value: labels.accountId },
  { key: SA.botId, value: labels.botId },
  { key: SA.channel, value: labels.channel },
  { key: SA.action, value: labels.actionId },
  { key: SA.status, value: ACTION_RUN_STATUS.running },
];

// ---- The inbox (issue 20): one dispatcher workflow per account assigns handed-off conversations. ----

export const inboxWorkflowId = (accountId: string): string => `inbox-${accountId}`;

/** A conversation entered handoff and waits for a person (sent by its conversation workflow, by activity). */
export interface InboxHandoff {
  conversationId: string;
  botId: string;
  /** The team its bot routes to ('' for any agent). */
  team: string;
  /** ISO time the handoff started (queue order: oldest first). */
  since: string;
}
export const inboxHandoffSignal = defineSignal<[InboxHandoff]>('handoff');
/** A conversation left handoff (released to the bot, or closed): its agent's load drops. */
export const inboxEndedSignal = defineSignal<[{ conversationId: string }]>('ended');
/** An agent's record changed (availability, capacity, teams, deactivated, heartbeat resumed): reload it. */
export const inboxAgentChangedSignal = defineSignal<[{ agentId: string }]>('agentChanged');
/** Take the conversation from its agent and assign it to someone else (no answer in time, SLA escalation). */
export const inboxReassignSignal = defineSignal<[{ conversationId: string; fromAgentId: string; reason: 'no_answer' | 'sla_breached' }]>('reassign');

/**
 * An agent claims a waiting conversation, or an admin assigns / reassigns it (`agentId`) or puts it back
 * in the queue (`agentId: null`). `force` lets an admin take it from another agent.
 */
export interface InboxAssignArgs {
  conversationId: string;
  /** The handoff as the conversation document shows it: admits a handoff whose signal is still on its way. */
  handoff?: InboxHandoff;
  agentId: string | null;
  /** Who asked (an agent id, or `api` for an API key). */
  by: string;
  force: boolean;
}
export const inboxAssignUpdate = defineUpdate<{ conversationId: string; agentId: string | null }, [InboxAssignArgs]>('assign');

/** The conversation's workflow is told who holds it (null: back in the queue). */
export const assignedSignal = defineSignal<[{ agentId: string | null }]>('assigned');

/** An internal note on the transcript: never shown to the visitor. */
export const agentNoteUpdate = defineUpdate<MessageView, [{ text: string; agentId: string | null }]>('agentNote');

/** What the dispatcher holds (tests and operators): each agent's load, and the queue in order. */
export interface InboxView {
  agents: { agentId: string; availability: string; capacity: number; teams: string[]; load: string[] }[];
  waiting: string[];
  assigned: Record<string, string>;
}
export const inboxStateQuery = defineQuery<InboxView>('inboxState');
