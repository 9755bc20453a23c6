import type { FinishedCall, PendingCall } from './long-running.schema';
import { z } from 'zod';
import type { EffectiveHandoffSettings, SlaTarget } from './sla.schema';
import { LIMITS } from './limits';
import type { ChatMessage } from './ai.schema';
import type { BotSnapshot } from './bot.schema';
import type { FlowState } from './flow.schema';

/** `handoff`: a human has the conversation and the bot stays silent until released. */
export const CONVERSATION_STATUSES = ['active', 'handoff', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/** `widget`: the embeddable chat widget on a bound website; `preview`: the bot preview page. */
export const CHANNELS = ['api', 'widget', 'preview'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A visitor message as the API channel accepts it. */
export const TextMessage = z.strictObject({
  type: z.literal('text'),
  text: z
    .string()
    .max(LIMITS.messageText, `must be at most ${LIMITS.messageText} characters`)
    .refine((text) => text.trim().length > 0, 'must not be empty')
    .meta({ pattern: '\\S' }),
});

export const ClientMessageId = z
  .string()
  .min(1)
  .max(LIMITS.clientMessageId)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may hold letters, digits and . _ : - only');

export const Contact = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  email: z.email().max(320).optional(),
  phone: z
    .string()
    .max(40)
    .regex(/^\+?[0-9 ().-]{3,40}$/, 'must be a phone number')
    .optional(),
});
export type Contact = z.infer<typeof Contact>;

export const Variables = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'variable names are letters, digits and _'), z.union([z.string().max(LIMITS.variableValue), z.number(), z.boolean(), z.null()]))
  .refine((vars) => Object.keys(vars).length <= LIMITS.variables, `at most ${LIMITS.variables} variables`);
export type Variables = z.infer<typeof Variables>;

/** `POST /v1/conversations` body. */
export const StartConversationBody = z.strictObject({
  botId: z.string().min(1).max(64),
  externalUserId: z.string().trim().min(1).max(200),
  contact: Contact.optional(),
  variables: Variables.optional(),
  message: TextMessage.optional(),
  clientMessageId: ClientMessageId.optional(),
});
export type StartConversationBody = z.infer<typeof StartConversationBody>;

/** `POST /v1/conversations/:id/agent-messages` body: a person answers the visitor during a handoff. */
export const AgentMessageBody = z.strictObject({ message: TextMessage });

/** Argument of the `agentMessage` update. */
export interface AgentMessageArgs {
  text: string;
  /** The human agent writing (absent: an API key). */
  agentId?: string | null;
}

/** `POST /v1/conversations/:id/notes` body: an internal note, never shown to the visitor. */
export const NoteBody = z.strictObject({ note: TextMessage });

/** `POST /v1/conversations/:id/messages` body. */
export const SendMessageBody = z.strictObject({
  message: TextMessage,
  clientMessageId: ClientMessageId.optional(),
});
export type SendMessageBody = z.infer<typeof SendMessageBody>;

/** Options a widget can render as buttons; the text lists them too, so it reads well alone. */
export interface ReplyChoice {
  label: string;
  value: string;
}

/** Knowledge-base items a Smart AI answer drew on. */
export interface ReplySource {
  id: string;
  title: string;
}

/**
 * A side-effecting action waiting for the visitor's yes, bound to its exact arguments (`argsHash`).
 * Answer with "yes"/"no" as a message, or `POST /v1/conversations/:id/confirm` with the id and hash.
 */
export interface ReplyConfirmation {
  id: string;
  action: string;
  arguments: Record<string, string | number | boolean | null>;
  argsHash: string;
}

/** One message of a transcript as the API returns it. */
export interface MessageView {
  id: string;
  /** `agent`: a person answering during a handoff; `note`: an internal note (only with `include=notes`). */
  role: 'visitor' | 'bot' | 'agent' | 'note';
  type: 'text';
  /** The human agent who wrote an `agent` message or a note (absent for an API key's). */
  agentId?: string;
  text: string;
  choices?: ReplyChoice[];
  sources?: ReplySource[];
  confirmation?: ReplyConfirmation;
  createdAt: string;
}

/** A bot reply produced by the workflow. */
export interface Reply {
  id: string;
  role: 'bot';
  type: 'text';
  text: string;
  choices?: ReplyChoice[];
  sources?: ReplySource[];
  confirmation?: ReplyConfirmation;
  createdAt: string;
}

/** Argument of the `visitorMessage` update. `text` absent means "open the conversation" (no message yet). */
export interface VisitorMessageArgs {
  messageId: string;
  text?: string;
}

/** Result of the `visitorMessage` update: the bot's replies to that message (with the greeting on the first turn). */
export interface TurnResult {
  messageId: string;
  replies: Reply[];
}

/** State a conversation carries across continue-as-new. */
export interface CarriedState {
  status: ConversationStatus;
  /** Number of transcript messages written so far; the next one gets `seq = messageCount`. */
  messageCount: number;
  greeted: boolean;
  /** Recent turns by message id, so a retried message is answered from memory, never twice. */
  recentTurns: TurnResult[];
  lastActivityAt: string;
  /** Guided-flow position and variables (absent in runs started before flows existed). */
  flow?: FlowState;
  /** Smart AI memory and counters (only for bots with Smart AI). */
  ai?: AiState;
  /** The current human handoff: routing, assignment and SLA clocks (absent: none, or one begun before the inbox existed). */
  handoff?: HandoffState;
  /** Long-running calls still waiting for their result (issue 21). */
  calls?: PendingCall[];
  /** Calls whose result arrived while another question was open: their flows resume when none is. */
  finishedCalls?: FinishedCall[];
}

/** A handoff's routing, assignment and SLA clocks, as its conversation workflow keeps them (times in epoch ms). */
export interface HandoffState {
  since: number;
  settings: EffectiveHandoffSettings;
  agentId: string | null;
  firstResponseAt: number | null;
  /** Running SLA targets: when each started, when it becomes at risk, when it is due. */
  clocks: Partial<Record<SlaTarget, { startedAt: number; atRiskAt: number | null; dueAt: number | null; atRisk: boolean }>>;
  /** Targets breached during this handoff (a next-response target can breach again after each visitor message). */
  breached: SlaTarget[];
  /** The oldest visitor message the assigned agent has not answered (for `reassignAfterSeconds`). */
  awaitingSince: number | null;
  /** Assignment events recorded so far (their positions in the event stream). */
  assignments: number;
}

/** What Smart AI remembers of a conversation between turns. */
export interface AiState {
  /** The conversation as the model sees it (no system message), bounded. */
  memory: ChatMessage[];
  /** Tool calls made over the whole conversation. */
  toolCalls: number;
  /** Provider tokens spent over the whole conversation. */
  tokens: number;
  /** A side-effecting tool call waiting for the visitor's confirmation. */
  pending?: PendingConfirmation;
}

export interface PendingConfirmation {
  id: string;
  toolCallId: string;
  tool: string;
  args: Record<string, string | number | boolean | null>;
  argsHash: string;
  /** Later tool calls of the same model message, answered "not run" when this one is settled. */
  skippedToolCallIds: string[];
}

/** `POST /v1/conversations/:id/confirm` body. */
export const ConfirmBody = z.strictObject({
  confirmationId: z.string().regex(/^cf_[a-f0-9]{1,64}$/, 'must be a confirmation id'),
  argsHash: z.string().regex(/^[a-f0-9]{64}$/, 'must be the argsHash of the confirmation'),
  approved: z.boolean(),
  clientMessageId: ClientMessageId.optional(),
});
export type ConfirmBody = z.infer<typeof ConfirmBody>;

/** Argument of the `confirm` update. */
export interface ConfirmArgs {
  messageId: string;
  confirmationId: string;
  argsHash: string;
  approved: boolean;
}

/** Input of `conversationWorkflow`. Never holds secrets. */
export interface ConversationInput {
  conversationId: string;
  accountId: string;
  channel: Channel;
  externalUserId: string;
  contact?: Contact;
  variables?: Variables;
  bot: BotSnapshot;
  /** Continue-as-new once history passes this many events, or when Temporal suggests it. */
  continueAsNewAfterEvents?: number;
  /** Present on runs after the first. */
  carried?: CarriedState;
}

/** Result of `getState` query. */
export interface ConversationState {
  conversationId: string;
  status: ConversationStatus;
  botVersion: number;
  messageCount: number;
  lastActivityAt: string;
}
