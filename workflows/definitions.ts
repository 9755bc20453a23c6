/**
 * Names and message definitions of Parley's workflows. The API imports this file (never the workflow
 * bodies) to start, update, signal and query them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { MESSAGE_NAMES, type InboxHandoff, type InboxReassign } from '../models/temporal-names';

export { ACTION_RUN_STATUS, actionRunSearchAttributes, inboxWorkflowId, SA, type ActionRunLabels, type InboxHandoff } from '../models/temporal-names';
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

// ---- Long-running calls (issue 21): a run that waits for a polled job or a callback. ----

/** The business's callback, judged by the API's callback route; refused once one was accepted. */
export const callbackUpdate = defineUpdate<{ accepted: true }, [CallbackResult]>('callback');

/** Resolves once the run waits on its long-running step (the conversation then goes on), or has finished. */
export const settledUpdate = defineUpdate<RunSettled<unknown>, []>(MESSAGE_NAMES.settled);

/** Where the run is with its long-running step. */
export const callStateQuery = defineQuery<CallState>(MESSAGE_NAMES.callState);

/** A long-running call finished: sent by its run to the conversation, once. */
export const callDoneSignal = defineSignal<[CallDone]>('callDone');

// ---- The inbox (issue 20): one dispatcher workflow per account assigns handed-off conversations. ----

export const inboxHandoffSignal = defineSignal<[InboxHandoff]>(MESSAGE_NAMES.inboxHandoff);
/** A conversation left handoff (released to the bot, or closed): its agent's load drops. */
export const inboxEndedSignal = defineSignal<[{ conversationId: string }]>(MESSAGE_NAMES.inboxEnded);
/** An agent's record changed (availability, capacity, teams, deactivated, heartbeat resumed): reload it. */
export const inboxAgentChangedSignal = defineSignal<[{ agentId: string }]>('agentChanged');
/** Take the conversation from its agent and assign it to someone else (no answer in time, SLA escalation). */
export const inboxReassignSignal = defineSignal<[InboxReassign]>(MESSAGE_NAMES.inboxReassign);

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
