/**
 * Managing the account's human agents (an API key, or an admin agent's token: api/access.ts): invite, list,
 * read, change, re-invite, deactivate. `GET /v1/agents` is open to every agent, with less of each.
 */
import { Router, type Request } from 'express';
import type { mongo } from 'mongoose';
import { recordAccountEvent } from '../../../models/account-events';
import { newHexId, type AgentDoc } from '../../../models/agent.model';
import { guardedCollection } from '../../../models/tenancy';
import type { EventDoc } from '../../../models/webhook.model';
import { INVITE_TTL_SECONDS, newInvite } from '../../agent-tokens';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { page } from '../../pagination';
import { parsePath } from '../../path-params';
import { parse } from '../../validate';
import { releasePlanSlot, withPlanSlot } from '../../plans';
import { apiOrigin } from '../../widget/sites';
import { AgentListQuery, AgentParams, AI_AGENTS_LISTED, agentSummary, agentView, aiAgentView, InviteAgentBody, UpdateAgentBody } from './schemas';
import { endSessions, notifyDispatcher } from './sessions';

const DUPLICATE_KEY = 11000;
const emailTaken = (email: string) => new AppError(409, 'agent_email_taken', 'this account already has an agent with this email (a deactivated agent keeps theirs)', { email });
const deactivated = () => new AppError(409, 'agent_deactivated', 'this agent is deactivated: they can no longer sign in, be invited or be changed');

export function agentsManageRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Agent, Bot } = deps;
  const events = guardedCollection(deps.Event.collection as unknown as mongo.Collection<EventDoc>, 'Event');
  const inviteUrl = (req: Request, token: string): string => `${deps.config.PUBLIC_URL ?? apiOrigin(req, deps.config)}/inbox#invite=${token}`;

  /** A fresh invite for the agent (the previous one dies), and the `agent.invited` event a mailer sends it from. */
  const issueInvite = async (req: Request, agent: AgentDoc, now: Date) => {
    const invite = newInvite(agent._id);
    const expiresAt = new Date(now.getTime() + INVITE_TTL_SECONDS * 1000);
    const url = inviteUrl(req, invite.token);
    const updated = await Agent.findOneAndUpdate(
      { _id: agent._id, accountId: agent.accountId, status: { $ne: 'deactivated' } },
      { $set: { invite: { hash: invite.hash, expiresAt }, updatedAt: now } },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw deactivated();
    await recordAccountEvent(events, {
      accountId: agent.accountId,
      type: 'agent.invited',
      ref: `${agent._id}:${invite.hash}`,
      data: { agent: { id: agent._id, name: agent.name, email: agent.email, role: agent.role }, invite: { url, expiresAt: expiresAt.toISOString() } },
      at: now,
    });
    return { agent: updated, invite: { token: invite.token, url, expiresAt: expiresAt.toISOString() } };
  };

  const findAgent = async (accountId: string, id: string): Promise<AgentDoc> => {
    const agent = await Agent.findOne({ _id: id, accountId }).lean();
    if (!agent) throw AppError.notFound('agent');
    return agent;
  };

  router.post('/v1/agents', async (req, res) => {
    const body = parse(InviteAgentBody, req.body);
    const now = new Date();
    const agent: AgentDoc = {
      _id: newHexId('agt'),
      accountId: callerOf(res).accountId,
      ...body,
      availability: 'offline',
      status: 'invited',
      passwordHash: null,
      invite: null,
      lastSeenAt: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      // An invited or active agent holds one of the plan's agent seats (403 plan_limit_reached past it).
      await withPlanSlot(deps, agent.accountId, 'agents', 1, () => Agent.create(agent));
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) throw emailTaken(body.email);
      throw error;
    }
    const issued = await issueInvite(req, agent, now);
    res.status(201).json({ agent: agentView(issued.agent), invite: issued.invite });
  });

  router.get('/v1/agents', async (req, res) => {
    const query = parse(AgentListQuery, req.query, 'query');
    const caller = callerOf(res);
    const filter: Record<string, unknown> = { accountId: caller.accountId };
    if (query.after) filter._id = { $gt: query.after };
    const [agents, bots] = await Promise.all([
      Agent.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean(),
      Bot.find({ accountId: caller.accountId }, { name: 1, publishedVersion: 1, createdAt: 1 }).sort({ _id: 1 }).limit(AI_AGENTS_LISTED).lean(),
    ]);
    // An agent who is not an admin sees who the others are and whether they are around, nothing more.
    const view = caller.agent && caller.agent.role !== 'admin' ? agentSummary : agentView;
    res.json({ ...page(agents.map((a) => view(a)), query.limit), aiAgents: bots.map(aiAgentView) });
  });

  router.get('/v1/agents/:id', async (req, res) => {
    const { id } = parsePath(AgentParams, req.params);
    res.json({ agent: agentView(await findAgent(callerOf(res).accountId, id)) });
  });

  router.patch('/v1/agents/:id', async (req, res) => {
    const { id } = parsePath(AgentParams, req.params);
    const body = parse(UpdateAgentBody, req.body);
    const { accountId } = callerOf(res);
    const before = await findAgent(accountId, id);
    if (before.status === 'deactivated') throw deactivated();
    const agent = await Agent.findOneAndUpdate({ _id: id, accountId, status: { $ne: 'deactivated' } }, { $set: { ...body, updatedAt: new Date() } }, { returnDocument: 'after' }).lean();
    if (!agent) throw deactivated();
    // Whatever routing reads (availability, capacity, teams, role) changed: the dispatcher reloads the agent.
    if (body.availability !== undefined || body.capacity !== undefined || body.teams !== undefined || body.role !== undefined) await notifyDispatcher(deps, accountId, id);
    res.json({ agent: agentView(agent) });
  });

  router.post('/v1/agents/:id/invite', async (req, res) => {
    const { id } = parsePath(AgentParams, req.params);
    const agent = await findAgent(callerOf(res).accountId, id);
    if (agent.status === 'deactivated') throw deactivated();
    const issued = await issueInvite(req, agent, new Date());
    res.json({ agent: agentView(issued.agent), invite: issued.invite });
  });

  router.post('/v1/agents/:id/deactivate', async (req, res) => {
    const { id } = parsePath(AgentParams, req.params);
    const { accountId } = callerOf(res);
    const now = new Date();
    const change = { status: 'deactivated' as const, availability: 'offline' as const, invite: null, updatedAt: now };
    // Compare-and-set: of concurrent deactivations, the one that finds the agent not yet deactivated frees
    // the plan's seat and tells the dispatcher; the others answer the agent as it is. Exactly one on MongoDB;
    // FerretDB's findAndModify is not atomic (models/plan-counter.ts), so there two racing ones may both
    // free it (POST /v1/operator/accounts/:id/recount puts the counter right).
    const before = await Agent.findOneAndUpdate({ _id: id, accountId, status: { $ne: 'deactivated' } }, { $set: change }, { returnDocument: 'before' }).lean();
    const agent = before ? { ...before, ...change } : await findAgent(accountId, id);
    if (before) await releasePlanSlot(deps, accountId, 'agents'); // the plan's seat is free again
    // Their tokens stop working with the next request (api/auth.ts reads the session and the agent each time).
    await endSessions(deps, accountId, id, now);
    // The dispatcher puts the conversations assigned to them back in the queue.
    if (before) await notifyDispatcher(deps, accountId, id);
    res.json({ agent: agentView(agent) });
  });

  return router;
}
