/**
 * What the conversation workflow hands to `saveTurn` (activities/transcript.ts): one write of a turn's
 * messages, its actions' outcomes, its inbox fields and events. Types only, shared by workflows and
 * activities (activities/events.ts turns a write into events).
 */
import type { Channel, ConversationStatus } from './conversation.schema';
import type { SlaState, SlaTarget } from './sla.schema';

/** One transcript message as the workflow hands it to `saveTurn`. */
export interface SavedMessage {
  id: string;
  seq: number;
  role: 'visitor' | 'bot' | 'agent' | 'note';
  text: string;
  /** The human agent who wrote an `agent` message or a `note`. */
  agentId?: string;
  choices?: { label: string; value: string }[];
  sources?: { id: string; title: string }[];
  confirmation?: { id: string; action: string; arguments: Record<string, string | number | boolean | null>; argsHash: string };
  inReplyTo?: string | null;
  createdAt: string;
  /** A visitor message written before its turn ends (with an interim reply): retries wait for the turn. */
  pending?: boolean;
}

export interface SaveTurnInput {
  /** Enough to (re)create the conversation record if the API's insert is missing. No PII. */
  conversation: {
    id: string;
    accountId: string;
    botId: string;
    botVersion: number;
    channel: Channel;
    externalUserId: string;
    workflowId: string;
  };
  messages: SavedMessage[];
  messageCount: number;
  status: ConversationStatus;
  closeReason?: string;
  at: string;
  /** A visitor message written earlier as `pending` whose turn this write completes. */
  completes?: string;
  /** API actions run since the previous write (recorded as `action.completed` / `action.failed` events). */
  actions?: ActionOutcome[];
  /** This write moves the conversation into handoff (a `conversation.handoff` event). */
  handoffStarts?: boolean;
  /** The conversation's inbox fields to set (a handoff's routing, assignment, SLA state), or `clear` when it leaves handoff. */
  inbox?: InboxFields | 'clear';
  /** With `inbox: 'clear'`: the handoff's final SLA state, kept on the conversation. */
  slaFinal?: SlaState;
  /** Inbox events of this write (assignment, SLA breaches), each at its own position after the write's last message. */
  events?: InboxEvent[];
}

/** The inbox fields of a conversation document (models/conversation.model.ts), as the workflow computes them. */
export interface InboxFields {
  inbox: 'waiting' | 'assigned';
  inboxTeam: string;
  assignedAgentId: string;
  handoffAt: string;
  slaState: SlaState;
  slaDueAt: string | null;
  sla: { firstResponseDueAt: string | null; nextResponseDueAt: string | null; resolutionDueAt: string | null; firstResponseAt: string | null; breached: SlaTarget[] };
}

/**
 * An event the workflow records beside a write. `slot` (1..99, not 1-3: handoff, release, close) places it
 * after the write's last message (`messageCount * 100 + slot`); `ref` makes its id (the same on a retry).
 */
export interface InboxEvent {
  type: 'conversation.assigned' | 'conversation.unassigned' | 'sla.breached' | 'sla.escalated';
  ref: string;
  slot: number;
  data: Record<string, unknown>;
}

/** One API action's outcome, as the conversation workflow reports it to `saveTurn`. */
export interface ActionOutcome {
  /** The run's key within the conversation (its child workflow id's suffix). */
  key: string;
  actionId: string;
  ok: boolean;
  outputs?: Record<string, unknown>;
  error?: string;
}
