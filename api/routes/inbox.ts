/**
 * The inbox (issue 20): what waits for a person, what is mine, what others hold; claiming, assigning and
 * internal notes. Reads come from the conversation documents (their inbox fields, written by each
 * conversation's own workflow) through declared indexes; every change of holder goes through the
 * account's dispatcher workflow (workflows/inbox.ts), one decision at a time, so nothing is assigned twice.
 */
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { AGENT_ID } from '../../models/agent.schema';
import type { ConversationDoc } from '../../models/conversation.model';
import { NoteBody } from '../../models/conversation.schema';
import { agentNoteUpdate, conversationWorkflowId, inboxAssignUpdate, inboxWorkflowId, type InboxAssignArgs } from '../../workflows/definitions';
import type { inboxWorkflow } from '../../workflows/inbox';
import { conversationOf } from '../agent-access';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { queryInt } from '../pagination';
import { ConversationParams, parsePath } from '../path-params';
import { conversationUpdateError } from '../temporal-errors';
import { parse } from '../validate';

export const InboxQuery = z.strictObject({
  limit: queryInt(1, 200).default(50),
});

export const AssignBody = z.strictObject({
  agentId: z.string().regex(AGENT_ID, 'must be an agent id').nullable(),
});

const INBOX_FIELDS = { botId: 1, channel: 1, contact: 1, inbox: 1, inboxTeam: 1, assignedAgentId: 1, handoffAt: 1, slaState: 1, slaDueAt: 1, sla: 1, lastMessageAt: 1, messageCount: 1 } as const;

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** One conversation as the inbox lists it. */
export function inboxItem(c: ConversationDoc, now: number) {
  const handoffAt = c.handoffAt ? new Date(c.handoffAt) : null;
  return {
    conversationId: c._id,
    botId: c.botId,
    channel: c.channel,
    contactName: c.contact?.name ?? null,
    team: c.inboxTeam ? c.inboxTeam : null,
    inbox: c.inbox ?? null,
    assignedAgentId: c.assignedAgentId ? c.assignedAgentId : null,
    handoffAt: iso(handoffAt),
    waitingSeconds: handoffAt ? Math.max(0, Math.floor((now - handoffAt.getTime()) / 1000)) : 0,
    lastMessageAt: iso(c.lastMessageAt),
    messageCount: c.messageCount,
    sla: {
      state: c.slaState ?? 'none',
      dueAt: iso(c.slaDueAt),
      firstResponseDueAt: iso(c.sla?.firstResponseDueAt),
      nextResponseDueAt: iso(c.sla?.nextResponseDueAt),
      resolutionDueAt: iso(c.sla?.resolutionDueAt),
      firstResponseAt: iso(c.sla?.firstResponseAt),
      breached: c.sla?.breached ?? [],
    },
  };
}

/**
 * `GET /v1/inbox`: waiting (oldest first; an agent sees their teams' queue), mine (an agent's), others
 * (assigned to someone else: admins and API keys). Each list is its first `limit` entries, with its count.
 */
function getInbox(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { limit } = parse(InboxQuery, req.query, 'query');
    const caller = callerOf(res);
    const { accountId, agent } = caller;
    const find = (filter: Record<string, unknown>) => deps.Conversation.find({ accountId, ...filter }, INBOX_FIELDS).sort({ handoffAt: 1 }).limit(limit).lean();
    const count = (filter: Record<string, unknown>) => deps.Conversation.countDocuments({ accountId, ...filter });
    const seesEverything = !agent || agent.role === 'admin';
    const othersFilter = agent ? { inbox: 'assigned', assignedAgentId: { $ne: agent.agentId } } : { inbox: 'assigned' };
    // A team agent's queue is their teams' queues (one indexed read each), merged oldest first.
    const queues: Record<string, unknown>[] = seesEverything ? [{ inbox: 'waiting' }] : agent.teams.length === 0 ? [{ inbox: 'waiting', inboxTeam: '' }] : agent.teams.map((team) => ({ inbox: 'waiting', inboxTeam: team }));
    const [waitingLists, waitingCounts, mine, mineCount, others, othersCount] = await Promise.all([
      Promise.all(queues.map(find)),
      Promise.all(queues.map(count)),
      agent ? find({ assignedAgentId: agent.agentId }) : Promise.resolve([]),
      agent ? count({ assignedAgentId: agent.agentId }) : Promise.resolve(0),
      seesEverything ? find(othersFilter) : Promise.resolve([]),
      seesEverything ? count(othersFilter) : Promise.resolve(0),
    ]);
    const now = Date.now();
    const waiting = waitingLists
      .flat()
      .sort((a, b) => (a.handoffAt?.getTime() ?? 0) - (b.handoffAt?.getTime() ?? 0))
      .slice(0, limit);
    res.json({
      waiting: waiting.map((c) => inboxItem(c as ConversationDoc, now)),
      mine: mine.filter((c) => c.inbox === 'assigned').map((c) => inboxItem(c as ConversationDoc, now)),
      others: seesEverything ? others.map((c) => inboxItem(c as ConversationDoc, now)) : null,
      counts: {
        waiting: waitingCounts.reduce((a, b) => a + b, 0),
        mine: mineCount,
        others: seesEverything ? othersCount : null,
      },
    });
  };
}

/** Sends an assignment to the account's dispatcher (starting it if it is not running) and maps its refusals. */
export async function assignThrough(deps: ApiDeps, res: Response, conversation: ConversationDoc, agentId: string | null, force: boolean) {
  const { accountId, agent } = callerOf(res);
  if (conversation.status !== 'handoff' || !conversation.inbox) throw new AppError(409, 'not_in_inbox', 'the conversation is not waiting for a person (it is not handed off)');
  const args: InboxAssignArgs = {
    conversationId: conversation._id,
    agentId,
    by: agent ? agent.agentId : 'api',
    force,
    handoff: { conversationId: conversation._id, botId: conversation.botId, team: conversation.inboxTeam ?? '', since: iso(conversation.handoffAt) ?? new Date(0).toISOString() },
  };
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof inboxWorkflow>('inboxWorkflow', {
    workflowId: inboxWorkflowId(accountId),
    taskQueue: deps.config.TASK_QUEUE,
    args: [{ accountId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  try {
    return await deps.temporal.withDeadline(Date.now() + deps.config.REPLY_WAIT_MS, () => deps.temporal.workflow.executeUpdateWithStart(inboxAssignUpdate, { args: [args], startWorkflowOperation }));
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const { type, message } = error.cause;
      if (type === 'AlreadyAssigned') throw new AppError(409, 'already_assigned', 'another agent holds this conversation', { agentId: (error.cause.details?.[0] as { agentId?: string } | undefined)?.agentId ?? null });
      if (type === 'UnknownAgent') throw new AppError(404, 'not_found', 'agent not found (or not active)');
      if (type === 'NotInInbox' || type === 'InvalidAssign') throw new AppError(409, 'not_in_inbox', message);
    }
    throw conversationUpdateError(error) ?? error;
  }
}

/** `POST /v1/conversations/:id/claim`: the calling agent takes a waiting conversation. */
function claim(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const { agent } = callerOf(res);
    if (!agent) throw new AppError(403, 'forbidden', 'only an agent can claim a conversation; an API key assigns one with POST /v1/conversations/:id/assign');
    const conversation = await conversationOf(deps, res, id, { ...INBOX_FIELDS, status: 1 });
    const result = await assignThrough(deps, res, conversation, agent.agentId, false);
    res.json({ conversation: { id, assignedAgentId: result.agentId } });
  };
}

/** `POST /v1/conversations/:id/assign {agentId}`: an admin (or an API key) assigns, reassigns or unassigns (null). */
function assign(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const body = parse(AssignBody, req.body);
    const { agent } = callerOf(res);
    if (agent && agent.role !== 'admin') throw new AppError(403, 'forbidden', 'only an admin assigns conversations; an agent claims one with POST /v1/conversations/:id/claim');
    const conversation = await conversationOf(deps, res, id, { ...INBOX_FIELDS, status: 1 });
    const result = await assignThrough(deps, res, conversation, body.agentId, true);
    res.json({ conversation: { id, assignedAgentId: result.agentId } });
  };
}

/** `POST /v1/conversations/:id/notes {note}`: an internal note in the transcript, never shown to the visitor. */
function addNote(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const body = parse(NoteBody, req.body);
    const { agent } = callerOf(res);
    const conversation = await conversationOf(deps, res, id, { status: 1 });
    if (conversation.status === 'closed') throw new AppError(409, 'conversation_closed', 'the conversation is closed');
    try {
      const message = await deps.temporal.withDeadline(Date.now() + deps.config.REPLY_WAIT_MS, () =>
        deps.temporal.workflow.getHandle(conversationWorkflowId(id)).executeUpdate(agentNoteUpdate, { args: [{ text: body.note.text, agentId: agent?.agentId ?? null }] }),
      );
      res.status(201).json({ message });
    } catch (error) {
      throw conversationUpdateError(error) ?? error;
    }
  };
}

export function inboxRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/inbox', getInbox(deps));
  router.post('/v1/conversations/:id/claim', claim(deps));
  router.post('/v1/conversations/:id/assign', assign(deps));
  router.post('/v1/conversations/:id/notes', addNote(deps));
  return router;
}
