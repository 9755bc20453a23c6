/**
 * Plans: what an account may hold and do per month, from the deployment's configuration. Zod only (workflow
 * code may import schemas): models/plan-catalog.ts reads PARLEY_PLANS at the API's start-up.
 *
 * `PARLEY_PLANS` is JSON, or the path of a JSON file: `{ "<plan name>": { "<resource>": <integer | null> } }`.
 * A resource left out, or `null`, is unlimited. `PARLEY_DEFAULT_PLAN` names the plan of every account the
 * operator has not assigned one. With neither set every account is on the built-in `self-hosted` plan,
 * which has no limits. Parley's technical caps (models/limits.ts, such as 5,000 knowledge items) apply
 * under every plan.
 */
import { z } from 'zod';

/** Resources an account holds: counted up on create and down on delete. */
export const STOCK_RESOURCES = ['bots', 'websites', 'agents', 'knowledgeItems'] as const;
/** Resources counted per UTC calendar month: they only go up, and start again at 0 on the 1st. */
export const MONTHLY_RESOURCES = ['conversationsPerMonth', 'messagesPerMonth'] as const;
export const PLAN_RESOURCES = [...STOCK_RESOURCES, ...MONTHLY_RESOURCES] as const;
export type StockResource = (typeof STOCK_RESOURCES)[number];
export type MonthlyResource = (typeof MONTHLY_RESOURCES)[number];
export type PlanResource = (typeof PLAN_RESOURCES)[number];

export const isMonthly = (resource: PlanResource): resource is MonthlyResource => (MONTHLY_RESOURCES as readonly string[]).includes(resource);

/** The built-in plan of a deployment that configures none: no limits. */
export const SELF_HOSTED_PLAN = 'self-hosted';

export const PlanName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'a plan name is 1 to 40 lowercase letters, digits, "-" or "_"')
  .describe('a plan defined in PARLEY_PLANS, or `self-hosted`');

const Limit = z.number().int().min(0).max(1_000_000_000).nullable();

/** A plan's limits: a number, or null for unlimited. */
export const PlanLimits = z.strictObject({
  bots: Limit.default(null),
  websites: Limit.default(null),
  agents: Limit.default(null),
  knowledgeItems: Limit.default(null),
  conversationsPerMonth: Limit.default(null),
  messagesPerMonth: Limit.default(null),
});
export type PlanLimits = z.infer<typeof PlanLimits>;

/** `2026-12` for any instant of December 2026 (UTC). */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** The first instant of the UTC month after `at`: when the monthly counters start again. */
export const nextMonthStart = (at: Date): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));

/** The first instant of the UTC month of `at`. */
export const monthStart = (at: Date): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));

/** The polite answer a visitor gets when the account is past its monthly message cap (PARLEY_PLAN_UNAVAILABLE_MESSAGE). */
export const DEFAULT_UNAVAILABLE_MESSAGE = "Sorry, this chat can't take new messages right now. Please try again later or reach us another way.";
