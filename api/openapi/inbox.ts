/**
 * The OpenAPI entries of the inbox (issue 20): the lists, claiming, assigning and internal notes.
 * The answers mirror api/routes/inbox.ts.
 */
import { z } from 'zod';
import { NoteBody } from '../../models/conversation.schema';
import { SLA_STATES, SLA_TARGETS } from '../../models/sla.schema';
import { ConversationParams } from '../path-params';
import { AssignBody, InboxQuery } from '../routes/inbox';
import type { RouteRegistry } from './registry';
import * as S from './schemas';

const Timestamp = z.iso.datetime().describe('ISO 8601, UTC');
const At = Timestamp.nullable();

const InboxItem = z.object({
  conversationId: z.string(),
  botId: z.string(),
  channel: z.enum(['api', 'widget', 'preview']),
  contactName: z.string().nullable(),
  team: z.string().nullable().describe("the team its bot routes handoffs to; null: any agent's"),
  inbox: z.enum(['waiting', 'assigned']).nullable(),
  assignedAgentId: z.string().nullable(),
  handoffAt: At,
  waitingSeconds: z.number().int().min(0).describe('since the handoff'),
  lastMessageAt: At,
  messageCount: z.number().int().min(0),
  sla: z.object({
    state: z.enum(SLA_STATES),
    dueAt: At.describe('the earliest running deadline'),
    firstResponseDueAt: At,
    nextResponseDueAt: At,
    resolutionDueAt: At,
    firstResponseAt: At,
    breached: z.array(z.enum(SLA_TARGETS)),
  }),
});

const Inbox = z.object({
  waiting: z.array(InboxItem).describe('waiting for a person, oldest handoff first (an agent sees their teams\' queue)'),
  mine: z.array(InboxItem).describe("an agent's own conversations (empty for an API key)"),
  others: z.array(InboxItem).nullable().describe('assigned to someone else: admins and API keys; null for an agent'),
  counts: z.object({ waiting: z.number().int().min(0), mine: z.number().int().min(0), others: z.number().int().min(0).nullable() }),
});

const Assignment = z.object({ conversation: z.object({ id: z.string(), assignedAgentId: z.string().nullable() }) });
const NOT_IN_INBOX = '`not_in_inbox`: the conversation is not handed off to a person; `already_assigned`: another agent holds it (an admin assigns it instead); `conversation_closed`';
const ENGINE = '`temporal_unavailable`: the conversation engine did not answer; try again';

export function registerInboxRoutes(registry: RouteRegistry): void {
  registry.add(
    {
      method: 'get',
      path: '/v1/inbox',
      summary: 'The inbox: waiting, mine, and assigned to others',
      description: 'Each list holds its first `limit` entries (oldest handoff first) and `counts` says how many there are. An agent token sees the queue of its teams and its own conversations; admins and API keys see everything.',
      query: InboxQuery,
      success: { schema: Inbox },
    },
    {
      method: 'post',
      path: '/v1/conversations/:id/claim',
      summary: 'An agent takes a waiting conversation',
      description: 'Agent tokens only. Answering a waiting conversation claims it too.',
      params: ConversationParams,
      success: { schema: Assignment },
      responses: { 409: NOT_IN_INBOX, 503: ENGINE },
    },
    {
      method: 'post',
      path: '/v1/conversations/:id/assign',
      summary: 'Assign, reassign or unassign (agentId null) a handed-off conversation',
      description: 'Admins and API keys. Unassigned, it goes back to the queue and auto-assignment skips the agent it was taken from.',
      params: ConversationParams,
      body: AssignBody,
      success: { schema: Assignment },
      responses: { 404: '`conversation_not_found`; `not_found`: no active agent has this id', 409: NOT_IN_INBOX, 503: ENGINE },
    },
    {
      method: 'post',
      path: '/v1/conversations/:id/notes',
      summary: 'An internal note in the transcript (never shown to the visitor)',
      description: 'Listed by `GET /v1/conversations/:id/messages?include=notes` and sent as `note.created` events, never as `message.created`.',
      params: ConversationParams,
      body: NoteBody,
      success: { status: 201, schema: z.object({ message: S.MessageView.extend({ role: z.literal('note') }) }) },
      responses: { 409: '`conversation_closed`', 503: ENGINE },
    },
  );
}
