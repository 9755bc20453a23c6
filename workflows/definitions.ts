/**
 * Names and message definitions of Parley's workflows. The API imports this file (never the workflow
 * bodies) to start, update, signal and query them.
 */
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentMessageArgs, ConfirmArgs, ConversationState, ConversationStatus, MessageView, TurnResult, VisitorMessageArgs } from '../models/conversation.schema';

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
} as const;

/** `ParleyStatus` of an action run: set to running at start, upserted by the run when it ends. */
export const ACTION_RUN_STATUS = { running: 'running', succeeded: 'succeeded', failed: 'failed' } as const;

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
