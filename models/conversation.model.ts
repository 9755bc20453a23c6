import { Schema, type Connection, type Model } from 'mongoose';
import type { Channel, Contact, ConversationStatus, Variables } from './conversation.schema';
import type { InboxState } from './agent.schema';
import type { SlaState, SlaTarget } from './sla.schema';

/** SLA deadlines of a handed-off conversation (issue 20), mirrored by its workflow. */
export interface ConversationSla {
  firstResponseDueAt: Date | null;
  nextResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  firstResponseAt: Date | null;
  breached: SlaTarget[];
}

export interface ConversationDoc {
  _id: string;
  accountId: string;
  botId: string;
  botVersion: number;
  channel: Channel;
  /** The website binding a widget conversation came through. */
  websiteId?: string;
  externalUserId: string;
  contact?: Contact;
  variables?: Variables;
  status: ConversationStatus;
  workflowId: string;
  messageCount: number;
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt?: Date;
  closedAt?: Date | null;
  closeReason?: string;
  /** Human handoff (issue 20): absent when the conversation was never handed off. */
  inbox?: InboxState;
  /** Team the handoff is routed to ('' = any agent). */
  inboxTeam?: string;
  /** Agent the conversation is assigned to ('' = none). */
  assignedAgentId?: string;
  handoffAt?: Date;
  slaState?: SlaState;
  /** Earliest running SLA deadline. */
  slaDueAt?: Date | null;
  sla?: ConversationSla;
}

const conversationSchema = new Schema<ConversationDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    botId: { type: String, required: true },
    botVersion: { type: Number, required: true },
    channel: { type: String, required: true },
    websiteId: { type: String },
    externalUserId: { type: String, required: true },
    contact: { type: Schema.Types.Mixed },
    variables: { type: Schema.Types.Mixed },
    status: { type: String, required: true },
    workflowId: { type: String, required: true },
    messageCount: { type: Number, required: true, default: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    lastMessageAt: { type: Date },
    closedAt: { type: Date, default: null },
    closeReason: { type: String },
    inbox: { type: String },
    inboxTeam: { type: String },
    assignedAgentId: { type: String },
    handoffAt: { type: Date },
    slaState: { type: String },
    slaDueAt: { type: Date },
    sla: { type: Schema.Types.Mixed },
  },
  { versionKey: false, minimize: false },
);
// Listing: an account's conversations, newest first (ids are time-ordered), optionally by bot and status.
conversationSchema.index({ accountId: 1, _id: -1 });
conversationSchema.index({ accountId: 1, botId: 1, _id: -1 });
conversationSchema.index({ accountId: 1, status: 1, _id: -1 });
conversationSchema.index({ accountId: 1, botId: 1, status: 1, _id: -1 });
// Inbox (issue 20): open handoffs by state and SLA state (GET /v1/sla/status counts), and the queue of a team.
conversationSchema.index({ accountId: 1, inbox: 1, slaState: 1 });
conversationSchema.index({ accountId: 1, inbox: 1, inboxTeam: 1, handoffAt: 1 });
// The inbox lists: everything waiting or assigned, oldest handoff first; an agent's own conversations.
conversationSchema.index({ accountId: 1, inbox: 1, handoffAt: 1 });
conversationSchema.index({ accountId: 1, assignedAgentId: 1, handoffAt: 1 });

export interface MessageDoc {
  _id: string;
  accountId: string;
  conversationId: string;
  /** Position in the transcript, assigned by the conversation workflow. */
  seq: number;
  /** `note`: an internal note of an agent, never shown to the visitor. */
  role: 'visitor' | 'bot' | 'agent' | 'note';
  type: 'text';
  /** The human agent who wrote an `agent` message or a `note` (absent: an API key). */
  agentId?: string;
  text: string;
  choices?: { label: string; value: string }[];
  /** Knowledge items a Smart AI answer drew on. */
  sources?: { id: string; title: string }[];
  /** A side-effecting action this reply asks the visitor to confirm. */
  confirmation?: { id: string; action: string; arguments: Record<string, string | number | boolean | null>; argsHash: string };
  /** A visitor message whose turn is still running (written early with an interim reply). */
  pending?: boolean;
  /** For bot replies: the visitor message they answer (absent for an unprompted greeting). */
  inReplyTo?: string | null;
  createdAt: Date;
}

const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    conversationId: { type: String, required: true },
    seq: { type: Number, required: true },
    role: { type: String, required: true },
    type: { type: String, required: true },
    text: { type: String, required: true },
    agentId: { type: String },
    choices: { type: [{ _id: false, label: String, value: String }], default: undefined },
    sources: { type: [{ _id: false, id: String, title: String }], default: undefined },
    confirmation: { type: Schema.Types.Mixed },
    pending: { type: Boolean },
    inReplyTo: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// One message per transcript position: a retried write can never add a second copy.
messageSchema.index({ conversationId: 1, seq: 1 }, { unique: true });

export function conversationModels(db: Connection): { Conversation: Model<ConversationDoc>; Message: Model<MessageDoc> } {
  return {
    Conversation: db.models.Conversation ?? db.model<ConversationDoc>('Conversation', conversationSchema, 'conversations'),
    Message: db.models.Message ?? db.model<MessageDoc>('Message', messageSchema, 'messages'),
  };
}
