/**
 * The OpenAPI entries of plans: `GET /v1/account/status`, the operator's routes (`/v1/operator/*`), and the
 * 403 `plan_limit_reached` of every route that creates something a plan limits (added to their entries,
 * so call this after they are registered). The answers mirror api/routes/account-status.ts `accountStatus`.
 */
import { z } from 'zod';
import { PLAN_RESOURCES, PlanLimits } from '../../models/plan.schema';
import { AccountIdParams, AssignPlanBody } from '../routes/account-status';
import type { RouteDoc, RouteRegistry } from './registry';

const Timestamp = z.iso.datetime().describe('ISO 8601, UTC');
const Limit = z.number().int().min(0).nullable().describe('null: unlimited');

const Limits = z.object(Object.fromEntries(PLAN_RESOURCES.map((r) => [r, Limit])) as Record<keyof PlanLimits, typeof Limit>);

const UsageFigure = z.object({
  used: z.number().int().min(0).describe('held now (bots, websites, agents, knowledge items), or this month (conversations, messages)'),
  limit: Limit.describe("the plan's limit; null: unlimited"),
  remaining: z.number().int().min(0).nullable().describe('what may still be created under the plan and any technical cap; null: no limit'),
  technicalLimit: z.number().int().min(1).optional().describe("Parley's own cap, which holds under every plan (5,000 knowledge items)"),
});

export const AccountStatus = z.object({
  accountId: z.string().regex(/^acct_[a-z0-9]{1,40}$/),
  plan: z.object({
    name: z.string().describe('the plan in force: the one the operator assigned, else the deployment\'s default'),
    assigned: z.boolean().describe('the operator assigned a plan to this account (false: the default plan)'),
    limits: Limits,
  }),
  usage: z.object(Object.fromEntries(PLAN_RESOURCES.map((r) => [r, UsageFigure])) as Record<keyof PlanLimits, typeof UsageFigure>),
  period: z.object({
    month: z.string().regex(/^\d{4}-\d{2}$/).describe('the UTC month the monthly figures count'),
    startedAt: Timestamp,
    resetsAt: Timestamp.describe('the first instant of the next UTC month, when the monthly counters start again at 0'),
  }),
});

const PlanList = z.object({ data: z.array(z.object({ name: z.string(), default: z.boolean().describe('the plan of accounts with none assigned'), limits: Limits })) });

const OPERATOR = 'An operator route: `Authorization: Bearer <OPERATOR_TOKEN>` (the deployment\'s secret, not an account\'s key). Without OPERATOR_TOKEN the route does not exist (404).';
const OPERATOR_ANSWERS = { 401: '`unauthorized`: the operator token is missing or wrong', 404: '`route_not_found`: OPERATOR_TOKEN is not set; `account_not_found`' };

/** The 403 a create route gives past the plan's limit, beside the permission's 403. */
export const PLAN_LIMIT_ANSWER =
  "`forbidden`: the API key lacks the permission this route needs (`details.required`); `plan_limit_reached`: the account's plan allows no more of this (`details: { resource, limit, used, plan }`; see `GET /v1/account/status`)";

/** The routes that create what a plan limits: `METHOD /path`. */
const LIMITED_ROUTES = new Set([
  'POST /v1/bots',
  'POST /v1/websites',
  'POST /v1/agents',
  'POST /v1/knowledge',
  'POST /v1/knowledge/import',
  'POST /v1/knowledge/drafts/:id/approve',
  'POST /v1/conversations',
  'POST /widget/v1/:token/conversations',
]);

/** The visitor-message routes: past the monthly message cap they answer a normal turn with the polite reply. */
const MESSAGE_ROUTES = new Set(['POST /v1/conversations/:id/messages', 'POST /widget/v1/:token/conversations/:id/messages']);
const MESSAGE_CAP =
  "Past the account's monthly visitor-message cap (its plan's `messagesPerMonth`) the answer is still 200 with one bot reply, the deployment's polite unavailable message (PARLEY_PLAN_UNAVAILABLE_MESSAGE), and the message goes no further: it is not in the transcript and the bot never sees it; the business gets `account.limit_reached` once a month.";

/** A usage counter stayed busy (its lease held by others) for 15 s: models/plan-counter.ts. */
const COUNTER_BUSY = '`usage_busy`: too many changes to this account\'s usage at once; try again';

type Answer = NonNullable<RouteDoc['responses']>[number];
/** A documented answer with `text` added to its description (a schema it has is kept). */
const appendAnswer = (answer: Answer | undefined, text: string): Answer =>
  answer === undefined ? text : typeof answer === 'string' ? `${answer}; ${text}` : { ...answer, description: `${answer.description}; ${text}` };

export function registerPlanRoutes(registry: RouteRegistry): void {
  for (const route of registry.list()) {
    const key = `${route.method.toUpperCase()} ${route.path}`;
    if (MESSAGE_ROUTES.has(key)) route.description = route.description ? `${route.description}\n\n${MESSAGE_CAP}` : MESSAGE_CAP;
    if (MESSAGE_ROUTES.has(key) || LIMITED_ROUTES.has(key)) route.responses = { ...route.responses, 503: appendAnswer(route.responses?.[503], COUNTER_BUSY) };
  }
  for (const route of registry.list()) {
    if (!LIMITED_ROUTES.has(`${route.method.toUpperCase()} ${route.path}`)) continue;
    const extra = route.security === 'none' ? "`plan_limit_reached`: the account's plan allows no more conversations this month (`details: { resource, limit, used, plan }`)" : PLAN_LIMIT_ANSWER;
    route.responses = { ...route.responses, 403: appendAnswer(route.responses?.[403], extra) };
  }
  registry.add(
    {
      method: 'get',
      path: '/v1/account/status',
      summary: "The account's plan, its limits, what it uses of each, and when the monthly counters reset",
      tag: 'accounts',
      success: { schema: AccountStatus },
    },
    { method: 'get', path: '/v1/operator/plans', summary: "The deployment's plans (PARLEY_PLANS)", description: OPERATOR, tag: 'operator', security: 'none', success: { schema: PlanList }, responses: OPERATOR_ANSWERS },
    {
      method: 'get',
      path: '/v1/operator/accounts/:id/plan',
      summary: "An account's plan and usage",
      description: OPERATOR,
      tag: 'operator',
      security: 'none',
      params: AccountIdParams,
      success: { schema: AccountStatus },
      responses: OPERATOR_ANSWERS,
    },
    {
      method: 'put',
      path: '/v1/operator/accounts/:id/plan',
      summary: 'Assign a plan to an account (null: back to the default plan)',
      description: `${OPERATOR} Limits apply from the next request; what the account already holds is kept (past a lower limit it can create no more until it is under it).`,
      tag: 'operator',
      security: 'none',
      params: AccountIdParams,
      body: AssignPlanBody,
      success: { schema: AccountStatus },
      responses: { ...OPERATOR_ANSWERS, 400: 'invalid input: `validation_failed`; `invalid_json`; `unknown_plan`: no such plan in PARLEY_PLANS (`details.plans` lists them)' },
    },
    {
      method: 'post',
      path: '/v1/operator/accounts/:id/recount',
      summary: 'Count again what an account holds (bots, websites, agents, knowledge items)',
      description: `${OPERATOR} For a counter left one too high by a process that died between a reservation and its write; a create in flight meanwhile is not counted, so run it when the account is quiet.`,
      tag: 'operator',
      security: 'none',
      params: AccountIdParams,
      success: { schema: AccountStatus },
      responses: OPERATOR_ANSWERS,
    },
  );
}
