/** The deployment's plans are read once at start-up, and a mistake stops the API with a message naming it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadApiConfig } from '../../api/config';
import { parsePlanCatalog } from '../../models/plan-catalog';
import { SecretBox } from '../../models/secret-box';
import { monthOf, nextMonthStart, SELF_HOSTED_PLAN } from '../../models/plan.schema';

const KEYS = { PARLEY_SECRET_KEYS: SecretBox.generateKey('t') };

describe('plans from the environment', () => {
  it('puts every account on the unlimited self-hosted plan when nothing is configured', () => {
    const catalog = parsePlanCatalog({});
    expect(catalog.defaultPlan).toBe(SELF_HOSTED_PLAN);
    expect(Object.values(catalog.plans.get(SELF_HOSTED_PLAN)!).every((v) => v === null)).toBe(true);
  });

  it('reads plans from JSON or from a JSON file, a resource left out being unlimited', () => {
    const inline = parsePlanCatalog({ PARLEY_PLANS: '{"free":{"bots":1,"messagesPerMonth":500}}', PARLEY_DEFAULT_PLAN: 'free' });
    expect(inline.defaultPlan).toBe('free');
    expect(inline.plans.get('free')).toEqual({ bots: 1, websites: null, agents: null, knowledgeItems: null, conversationsPerMonth: null, messagesPerMonth: 500 });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'plans-')), 'plans.json');
    writeFileSync(file, JSON.stringify({ pro: { bots: 50, agents: null } }));
    expect(parsePlanCatalog({ PARLEY_PLANS: file }).plans.get('pro')?.bots).toBe(50);
  });

  it.each([
    ['{"free":{"bots":-1}}', undefined, /PARLEY_PLANS\.free\.bots/],
    ['{"free":{"robots":1}}', undefined, /PARLEY_PLANS\.free/],
    ['{"Free Plan":{}}', undefined, /PARLEY_PLANS/],
    ['{"free":{"bots":1.5}}', undefined, /PARLEY_PLANS\.free\.bots/],
    ['{"free":', undefined, /PARLEY_PLANS: not valid JSON/],
    ['/nonexistent/plans.json', undefined, /PARLEY_PLANS: neither JSON nor a readable file/],
    ['{"free":{}}', 'gold', /PARLEY_DEFAULT_PLAN: "gold" is not a plan \(defined: self-hosted, free\)/],
  ])('refuses %s (default %s) naming the mistake', (plans, defaultPlan, message) => {
    expect(() => parsePlanCatalog({ PARLEY_PLANS: plans, PARLEY_DEFAULT_PLAN: defaultPlan })).toThrow(message);
    expect(() => loadApiConfig({ ...KEYS, PARLEY_PLANS: plans, ...(defaultPlan ? { PARLEY_DEFAULT_PLAN: defaultPlan } : {}) })).toThrow(/^invalid API environment: PARLEY_/);
  });

  it('wants an operator token long enough to be a secret', () => {
    expect(() => loadApiConfig({ ...KEYS, OPERATOR_TOKEN: 'short' })).toThrow(/OPERATOR_TOKEN: must be at least 24 characters/);
  });

  it('resets monthly counters at the first instant of the next UTC month', () => {
    expect(monthOf(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12');
    expect(nextMonthStart(new Date('2026-12-31T23:59:59.999Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextMonthStart(new Date('2027-01-01T00:00:00.000Z')).toISOString()).toBe('2027-02-01T00:00:00.000Z');
  });
});
