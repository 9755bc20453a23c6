/**
 * Human agents (issue 20). `agentAuthRouter` answers without credentials (accept an invite, log in,
 * refresh) and is mounted before authentication; `agentsRouter` after it (what an agent's token may reach
 * of it is api/access.ts `agentMayReach`).
 */
import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { agentLogoutRouter } from './auth';
import { agentsManageRouter } from './manage';
import { agentsMeRouter } from './me';

export { agentAuthRouter } from './auth';

export function agentsRouter(deps: ApiDeps): Router {
  const router = Router();
  // `/v1/agents/me` before `/v1/agents/:id`, which would read `me` as a (malformed) id.
  router.use(agentsMeRouter(deps));
  router.use(agentsManageRouter(deps));
  router.use(agentLogoutRouter(deps));
  return router;
}
