/**
 * `GET /v1/account/status`: the account's plan, its limits, what it uses of each, and when the monthly
 * counters start again. And the operator's routes (`/v1/operator/*`, `Authorization: Bearer
 * <OPERATOR_TOKEN>`, outside the accounts' own authentication): the deployment's plans, an account's plan
 * and usage, assigning a plan, recounting what an account holds. Without OPERATOR_TOKEN the operator routes do not exist (404).
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Connection } from 'mongoose';
import { planModels } from '../../models/plan.model';
import { readCounters, recountCounter } from '../../models/plan-counter';
import { monthOf, monthStart, nextMonthStart, PLAN_RESOURCES, PlanName, STOCK_RESOURCES, type PlanLimits, type PlanResource } from '../../models/plan.schema';
import { bearerMatches } from '../../models/secret-box';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { pathId, parsePath } from '../path-params';
import { parse } from '../validate';
import { countFromIndex, counterKey, planOf, TECHNICAL_LIMITS, type PlanDeps } from '../plans';

export const AccountIdParams = z.object({ id: pathId('account', /^acct_[a-z0-9]{1,40}$/, 'an account id (`acct_...`)') });
export const AssignPlanBody = z.strictObject({
  plan: PlanName.nullable().describe('a plan of PARLEY_PLANS (or `self-hosted`); null: back to the deployment\'s default plan'),
});

/** One resource's figures: its limit (null: unlimited), what is used, and what is left under every cap. */
interface UsageFigure {
  used: number;
  limit: number | null;
  remaining: number | null;
  technicalLimit?: number;
}

/** The status of `accountId` at `now` (counters not written yet are counted through their indexes). */
export async function accountStatus(deps: PlanDeps, accountId: string, now = new Date()) {
  const plan = await planOf(deps, accountId);
  const keys = PLAN_RESOURCES.map((r) => counterKey(accountId, r, now));
  const counters = await readCounters(planModels(deps.Bot.db as Connection), keys);
  const usage = {} as Record<PlanResource, UsageFigure>;
  for (const [i, resource] of PLAN_RESOURCES.entries()) {
    const used = counters.get(keys[i]!) ?? (await countFromIndex(deps, accountId, resource, now));
    const limit = plan.limits[resource];
    const technicalLimit = TECHNICAL_LIMITS[resource];
    const cap = Math.min(limit ?? Infinity, technicalLimit ?? Infinity);
    usage[resource] = { used, limit, remaining: cap === Infinity ? null : Math.max(0, cap - used), ...(technicalLimit !== undefined ? { technicalLimit } : {}) };
  }
  return {
    accountId,
    plan: { name: plan.name, assigned: plan.assigned !== null, limits: plan.limits },
    usage,
    period: { month: monthOf(now), startedAt: monthStart(now).toISOString(), resetsAt: nextMonthStart(now).toISOString() },
  };
}

export function accountStatusRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/account/status', async (_req, res) => {
    res.json(await accountStatus(deps, callerOf(res).accountId));
  });
  return router;
}

/** The operator's bearer token, compared in constant time; no token configured: the routes are not there. */
function operatorOnly(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (!token) return next(new AppError(404, 'route_not_found', `no route for ${req.method} ${req.path}`));
    if (!bearerMatches(req.get('authorization'), token)) return next(new AppError(401, 'unauthorized', 'send the operator token as "Authorization: Bearer <OPERATOR_TOKEN>"'));
    next();
  };
}

const planView = (name: string, limits: PlanLimits, defaultPlan: string) => ({ name, default: name === defaultPlan, limits });

export function operatorRouter(deps: ApiDeps): Router {
  const router = Router();
  const { plans, defaultPlan } = deps.config.plans;
  const { PlanAssignment } = planModels(deps.Bot.db as Connection);
  router.use('/v1/operator', operatorOnly(deps.config.OPERATOR_TOKEN));

  const requireAccount = async (id: string): Promise<void> => {
    if (!(await deps.Account.exists({ _id: id }))) throw AppError.notFound('account');
  };

  router.get('/v1/operator/plans', (_req, res) => {
    res.json({ data: [...plans].map(([name, limits]) => planView(name, limits, defaultPlan)) });
  });

  router.get('/v1/operator/accounts/:id/plan', async (req, res) => {
    const { id } = parsePath(AccountIdParams, req.params);
    await requireAccount(id);
    res.json(await accountStatus(deps, id));
  });

  router.put('/v1/operator/accounts/:id/plan', async (req, res) => {
    const { id } = parsePath(AccountIdParams, req.params);
    const body = parse(AssignPlanBody, req.body);
    if (body.plan !== null && !plans.has(body.plan)) {
      throw new AppError(400, 'unknown_plan', `"${body.plan}" is not a plan of this deployment`, { plans: [...plans.keys()] });
    }
    await requireAccount(id);
    if (body.plan === null) await PlanAssignment.deleteOne({ _id: id });
    else await PlanAssignment.updateOne({ _id: id }, { $set: { plan: body.plan, assignedAt: new Date() } }, { upsert: true });
    res.json(await accountStatus(deps, id));
  });

  /**
   * Counts again what the account holds (bots, websites, agents, knowledge items) from the collections
   * themselves: a process that died between a reservation and its write left a counter one too high.
   */
  router.post('/v1/operator/accounts/:id/recount', async (req, res) => {
    const { id } = parsePath(AccountIdParams, req.params);
    await requireAccount(id);
    const models = planModels(deps.Bot.db as Connection);
    for (const resource of STOCK_RESOURCES) await recountCounter(models, counterKey(id, resource), () => countFromIndex(deps, id, resource));
    res.json(await accountStatus(deps, id));
  });
  return router;
}
