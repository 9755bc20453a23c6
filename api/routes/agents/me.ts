/**
 * An agent's own profile (an agent's access token only): read it, change the name or availability, and the
 * inbox page's heartbeat.
 */
import { Router, type Response } from 'express';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { parse } from '../../validate';
import { agentView, UpdateMeBody } from './schemas';
import { notifyDispatcher } from './sessions';

/** The calling agent (these routes are an agent's: an API key or a login token has no profile). */
function agentOf(res: Response): { accountId: string; agentId: string } {
  const caller = callerOf(res);
  if (!caller.agent) throw new AppError(403, 'forbidden', "only an agent's access token has a profile: sign in with POST /v1/agent-auth/login");
  return { accountId: caller.accountId, agentId: caller.agent.agentId };
}

export function agentsMeRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Agent } = deps;

  router.get('/v1/agents/me', async (_req, res) => {
    const { accountId, agentId } = agentOf(res);
    const agent = await Agent.findOne({ _id: agentId, accountId }).lean();
    if (!agent) throw AppError.notFound('agent');
    res.json({ agent: agentView(agent) });
  });

  router.patch('/v1/agents/me', async (req, res) => {
    const { accountId, agentId } = agentOf(res);
    const body = parse(UpdateMeBody, req.body);
    const now = new Date();
    // Setting yourself online is a sign of life too: without it, an agent back from a lapse (an old
    // `lastSeenAt`) would be lapsed to `away` again before the page's next heartbeat.
    const seen = body.availability === 'online' ? { lastSeenAt: now } : {};
    const agent = await Agent.findOneAndUpdate({ _id: agentId, accountId, status: 'active' }, { $set: { ...body, ...seen, updatedAt: now } }, { returnDocument: 'after' }).lean();
    if (!agent) throw AppError.notFound('agent');
    if (body.availability !== undefined) await notifyDispatcher(deps, accountId, agentId);
    res.json({ agent: agentView(agent) });
  });

  // Only `lastSeenAt`: an `away` agent who heartbeats stays away until they set themselves online. The answer
  // shows the availability as stored (the dispatcher may have lapsed a silent `online` agent to `away`).
  router.post('/v1/agents/me/heartbeat', async (_req, res) => {
    const { accountId, agentId } = agentOf(res);
    const agent = await Agent.findOneAndUpdate({ _id: agentId, accountId, status: 'active' }, { $set: { lastSeenAt: new Date() } }, { returnDocument: 'after' }).lean();
    if (!agent) throw AppError.notFound('agent');
    res.json({ agent: agentView(agent) });
  });

  return router;
}
