/**
 * Plan limits at the API's edge: what an account's plan allows, the reservations the create routes make
 * before they write (and give back when the write fails or the resource is deleted), the monthly counts of
 * conversations and visitor messages, and the polite answer a visitor gets past the message cap.
 *
 * Counters are exact under concurrent requests (models/plan-counter.ts): of 30 parallel creates against a
 * limit of 5, exactly 5 succeed. They count always, under unlimited plans too, so the account status is
 * right and a later, smaller plan starts from the true figures.
 */
import type { Connection, mongo } from 'mongoose';
import { recordAccountEvent } from '../models/account-events';
import { agentModels } from '../models/agent.model';
import type { TurnResult } from '../models/conversation.schema';
import type { EventDoc } from '../models/webhook.model';
import { KNOWLEDGE_LIMITS } from '../models/limits';
import { changeCounter, CounterBusy } from '../models/plan-counter';
import { planModels } from '../models/plan.model';
import { DEFAULT_UNAVAILABLE_MESSAGE, isMonthly, monthOf, monthStart, type PlanLimits, type PlanResource } from '../models/plan.schema';
import type { ApiDeps } from './deps';
import { AppError } from './errors';

/** What this module needs of the API's dependencies. */
export type PlanDeps = Pick<ApiDeps, 'Bot' | 'Website' | 'KnowledgeItem' | 'Conversation' | 'Event' | 'config' | 'log'>;

/** Parley's own caps, which hold under every plan (the tighter of the two applies). */
export const TECHNICAL_LIMITS: Partial<Record<PlanResource, number>> = { knowledgeItems: KNOWLEDGE_LIMITS.itemsPerAccount };

const LABELS: Record<PlanResource, string> = {
  bots: 'bots',
  websites: 'websites',
  agents: 'human agents',
  knowledgeItems: 'knowledge items',
  conversationsPerMonth: 'conversations a month',
  messagesPerMonth: 'visitor messages a month',
};

const modelsOf = (deps: PlanDeps) => planModels(deps.Bot.db as Connection);

/** The counter of `resource` for `accountId`; monthly ones are keyed by the UTC month of `at`. */
export const counterKey = (accountId: string, resource: PlanResource, at: Date = new Date()): string =>
  isMonthly(resource) ? `${accountId}:${resource}:${monthOf(at)}` : `${accountId}:${resource}`;

/** The account's plan: the one the operator assigned, else the deployment's default. */
export async function planOf(deps: PlanDeps, accountId: string): Promise<{ name: string; limits: PlanLimits; assigned: string | null }> {
  const { plans, defaultPlan } = deps.config.plans;
  const assignment = await modelsOf(deps).PlanAssignment.findOne({ _id: accountId }).lean();
  // A plan the operator assigned and later removed from PARLEY_PLANS: the account falls back to the default.
  const name = assignment && plans.has(assignment.plan) ? assignment.plan : defaultPlan;
  return { name, limits: plans.get(name)!, assigned: assignment?.plan ?? null };
}

/**
 * How many of `resource` the account holds or did this month, counted through an index: where a counter
 * that does not exist yet starts (accounts and months older than the counters). Visitor messages have no
 * index by account, so a month whose counter is new starts at 0.
 */
export async function countFromIndex(deps: PlanDeps, accountId: string, resource: PlanResource, at: Date = new Date()): Promise<number> {
  switch (resource) {
    case 'bots':
      return deps.Bot.countDocuments({ accountId });
    case 'websites':
      return deps.Website.countDocuments({ accountId });
    case 'knowledgeItems':
      return deps.KnowledgeItem.countDocuments({ accountId });
    case 'agents':
      return agentModels(deps.Bot.db as Connection).Agent.countDocuments({ accountId, status: { $in: ['invited', 'active'] } });
    case 'conversationsPerMonth':
      // Ids start with their creation time in base 36 (api/ids.ts), so this month's are a range of ids.
      return deps.Conversation.countDocuments({ accountId, _id: { $gte: `conv_${monthStart(at).getTime().toString(36).padStart(9, '0')}` } });
    case 'messagesPerMonth':
      return 0;
  }
}

/** A reservation: give it back if what it was for is not created after all. */
export interface PlanSlot {
  release(): Promise<void>;
}

/** The 403 of a create past the plan's limit. */
export function planLimitError(plan: string, resource: PlanResource, limit: number, used: number): AppError {
  return new AppError(
    403,
    'plan_limit_reached',
    `the ${plan} plan allows ${limit} ${LABELS[resource]} and this account has ${used}${isMonthly(resource) ? ' this month' : ''}; ask for a larger plan${isMonthly(resource) ? ' or wait for the next month' : ' or delete some first'}`,
    { resource, limit, used, plan },
  );
}

async function change(deps: PlanDeps, accountId: string, resource: PlanResource, delta: number, limit: number | null, at: Date) {
  try {
    return await changeCounter(modelsOf(deps), counterKey(accountId, resource, at), delta, { limit, initial: () => countFromIndex(deps, accountId, resource, at) });
  } catch (error) {
    if (error instanceof CounterBusy) throw new AppError(503, 'usage_busy', 'too many changes to this account at once; try again', { resource });
    throw error;
  }
}

/** Records `account.limit_reached` once per account, resource and month (later refusals find it written). */
async function noteLimitReached(deps: PlanDeps, accountId: string, plan: string, resource: PlanResource, limit: number, used: number, at: Date): Promise<void> {
  const month = monthOf(at);
  await recordAccountEvent(deps.Event.collection as unknown as mongo.Collection<EventDoc>, { accountId, type: 'account.limit_reached', ref: `${accountId}:${resource}:${month}`, data: { resource, limit, used, plan, month }, at }).catch((error: unknown) => deps.log('plans: could not record account.limit_reached', error));
}

/**
 * Reserves `count` of `resource` for a create, or throws 403 `plan_limit_reached` (`details: { resource,
 * limit, used, plan }`) and records `account.limit_reached`. Call `release()` if the create then fails.
 */
export async function reservePlanSlot(deps: PlanDeps, accountId: string, resource: PlanResource, count = 1): Promise<PlanSlot> {
  const at = new Date();
  const plan = await planOf(deps, accountId);
  const limit = plan.limits[resource];
  const result = await change(deps, accountId, resource, count, limit, at);
  if (!result.applied) {
    await noteLimitReached(deps, accountId, plan.name, resource, limit!, result.used, at);
    throw planLimitError(plan.name, resource, limit!, result.used);
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await releaseAt(deps, accountId, resource, count, at);
    },
  };
}

async function releaseAt(deps: PlanDeps, accountId: string, resource: PlanResource, count: number, at: Date): Promise<void> {
  try {
    await change(deps, accountId, resource, -count, null, at);
  } catch (error) {
    // The resource is gone (or was never made) either way; the counter stays one too high until then.
    deps.log(`plans: could not give back ${count} ${resource} of ${accountId}`, error);
  }
}

/** Gives back `count` of `resource` after a delete (never throws: the delete has happened). */
export function releasePlanSlot(deps: PlanDeps, accountId: string, resource: PlanResource, count = 1): Promise<void> {
  return releaseAt(deps, accountId, resource, count, new Date());
}

/** Reserves, runs `create`, and gives the reservation back if `create` throws. */
export async function withPlanSlot<T>(deps: PlanDeps, accountId: string, resource: PlanResource, count: number, create: () => Promise<T>): Promise<T> {
  const slot = await reservePlanSlot(deps, accountId, resource, count);
  try {
    return await create();
  } catch (error) {
    await slot.release();
    throw error;
  }
}

/**
 * A conversation start counts one conversation, and one visitor message when it carries a first message.
 * Past either monthly limit the start is refused (403 `plan_limit_reached`): nothing is started.
 */
export async function chargeConversationStart(deps: PlanDeps, accountId: string, withMessage: boolean): Promise<PlanSlot> {
  const conversation = await reservePlanSlot(deps, accountId, 'conversationsPerMonth');
  if (!withMessage) return conversation;
  let message: PlanSlot;
  try {
    message = await reservePlanSlot(deps, accountId, 'messagesPerMonth');
  } catch (error) {
    await conversation.release();
    throw error;
  }
  return {
    release: async () => {
      await conversation.release();
      await message.release();
    },
  };
}

/**
 * Counts a visitor message (API channel or widget). Past the monthly message cap the message is not
 * delivered: the answer is a normal turn whose one reply is the polite PARLEY_PLAN_UNAVAILABLE_MESSAGE, so
 * a widget shows it like any reply, and the business gets `account.limit_reached` (once a month).
 * Returns null when the message may go on to the conversation.
 */
export async function admitVisitorMessage(deps: PlanDeps, accountId: string, messageId: string): Promise<TurnResult | null> {
  try {
    await reservePlanSlot(deps, accountId, 'messagesPerMonth');
    return null;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'plan_limit_reached') throw error;
  }
  const text = deps.config.PARLEY_PLAN_UNAVAILABLE_MESSAGE ?? DEFAULT_UNAVAILABLE_MESSAGE;
  return { messageId, replies: [{ id: `${messageId}_unavailable`, role: 'bot', type: 'text', text, createdAt: new Date().toISOString() }] };
}
