/**
 * The names Parley's workflows are found and addressed by, shared by the workflows (./definitions.ts
 * builds their message definitions on these names), the activities that start or signal them (which must
 * not import workflow code) and the API: search attribute keys, workflow ids, message names. Pure.
 */
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';

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
/** Take the conversation from its agent and assign it to someone else (no answer in time, SLA escalation). */
export interface InboxReassign {
  conversationId: string;
  fromAgentId: string;
  reason: 'no_answer' | 'sla_breached';
}

/** Message names of workflows that activities address by name (./definitions.ts defines them on these). */
export const MESSAGE_NAMES = {
  /** An action run: resolves once it waits on its long-running step, or has finished. */
  settled: 'settled',
  /** An action run: where it is with its long-running step. */
  callState: 'callState',
  /** The inbox dispatcher: a conversation entered handoff / left it / must be reassigned. */
  inboxHandoff: 'handoff',
  inboxEnded: 'ended',
  inboxReassign: 'reassign',
} as const;
