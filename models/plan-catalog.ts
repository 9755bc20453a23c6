/** Reads the deployment's plans (PARLEY_PLANS, PARLEY_DEFAULT_PLAN) at start-up: models/plan.schema.ts says their shape. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PlanLimits, PlanName, SELF_HOSTED_PLAN } from './plan.schema';

const PlanCatalogJson = z.record(PlanName, PlanLimits);

/** The plans of a deployment and the one accounts get unless the operator assigns another. */
export interface PlanCatalog {
  plans: ReadonlyMap<string, PlanLimits>;
  defaultPlan: string;
}

const UNLIMITED: PlanLimits = PlanLimits.parse({});

/**
 * Parses PARLEY_PLANS and PARLEY_DEFAULT_PLAN. Throws an Error naming the variable and what is wrong (the
 * API's config turns it into its start-up failure).
 */
export function parsePlanCatalog(env: { PARLEY_PLANS?: string | undefined; PARLEY_DEFAULT_PLAN?: string | undefined }): PlanCatalog {
  const plans = new Map<string, PlanLimits>([[SELF_HOSTED_PLAN, UNLIMITED]]);
  const raw = env.PARLEY_PLANS?.trim();
  if (raw) {
    let text = raw;
    if (!raw.startsWith('{')) {
      try {
        text = readFileSync(raw, 'utf8');
      } catch (error) {
        throw new Error(`PARLEY_PLANS: neither JSON nor a readable file (${(error as Error).message})`, { cause: error });
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`PARLEY_PLANS: not valid JSON (${(error as Error).message})`, { cause: error });
    }
    const parsed = PlanCatalogJson.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${['PARLEY_PLANS', ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
      throw new Error(problems);
    }
    // A deployment may redefine `self-hosted` too.
    for (const [name, limits] of Object.entries(parsed.data)) plans.set(name, limits);
  }
  const defaultPlan = env.PARLEY_DEFAULT_PLAN?.trim() || SELF_HOSTED_PLAN;
  if (!plans.has(defaultPlan)) {
    throw new Error(`PARLEY_DEFAULT_PLAN: "${defaultPlan}" is not a plan (defined: ${[...plans.keys()].join(', ')})`);
  }
  return { plans, defaultPlan };
}

