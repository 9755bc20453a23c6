/**
 * The OpenAPI entries of issue 20's SLA part: the inbox defaults, a bot's handoff settings, and the SLA
 * overview. The answers mirror api/routes/handoff-settings.ts and api/routes/sla.ts.
 */
import { z } from 'zod';
import { TIME_ZONES } from '../../models/bot.schema';
import { InboxSettings } from '../../models/inbox-settings.schema';
import { BusinessHours, HandoffSettings } from '../../models/sla.schema';
import { BotParams } from '../path-params';
import { SlaStatusQuery } from '../routes/sla';
import { documentedAs, type RouteRegistry } from './registry';

// The server checks a policy's time zone against this list (a refinement zod cannot state in JSON Schema).
documentedAs.add(BusinessHours.shape.timezone.unwrap(), { jsonSchema: { type: 'string', enum: [...TIME_ZONES], description: "an IANA time zone; absent: the bot's" } });

const Timestamp = z.iso.datetime().describe('ISO 8601, UTC');
const Count = z.number().int().min(0);
const Seconds = z.number().min(0).nullable().describe('read from a log-scale histogram: within 4% of the exact value; null when nothing was measured');

const Figures = z.object({
  count: Count.describe('measurements that ended in the window'),
  breached: Count.describe('of those, how many missed their target'),
  medianSeconds: Seconds,
  p90Seconds: Seconds,
});
const Pair = { firstResponse: Figures, resolution: Figures };

export const SlaStatus = z.object({
  window: z.object({ from: Timestamp.describe('the start of the first UTC day of the window'), to: Timestamp.describe('now') }),
  open: z.object({
    waiting: Count.describe('handoffs waiting for an agent'),
    assigned: Count.describe('handoffs assigned to an agent'),
    atRisk: Count.describe('open handoffs with less than their policy\'s at-risk share of a target left'),
    breached: Count.describe('open handoffs that missed a target'),
  }),
  ...Pair,
  byAgent: z.array(z.object({ agentId: z.string(), ...Pair })).describe('agents who answered or resolved in the window, by id'),
  byBot: z.array(z.object({ botId: z.string(), ...Pair })).describe('bots with measurements in the window, by id'),
});

const INTERVALS = 'invalid input (`validation_failed` names each field, including an opening interval whose `from` is not before its `to`; `invalid_json`)';

export function registerSlaRoutes(registry: RouteRegistry): void {
  registry.add(
    {
      method: 'get',
      path: '/v1/inbox/settings',
      summary: "The account's inbox defaults: SLA policy, reassignment time, heartbeat lapse",
      description: 'Bots whose handoff settings set no SLA policy or reassignment time use these. Never set: the defaults.',
      success: { schema: InboxSettings },
    },
    {
      method: 'put',
      path: '/v1/inbox/settings',
      summary: "Replace the account's inbox defaults",
      description: 'Fields left out take their defaults. Conversations already handed off keep the settings they started with.',
      body: InboxSettings,
      success: { schema: InboxSettings },
      responses: { 400: INTERVALS },
    },
    {
      method: 'get',
      path: '/v1/bots/:id/handoff',
      summary: "A bot's handoff settings: team, reassignment time, SLA policy",
      params: BotParams,
      success: { schema: HandoffSettings },
    },
    {
      method: 'put',
      path: '/v1/bots/:id/handoff',
      summary: "Replace a bot's handoff settings",
      description: "Null fields fall back to the account's inbox defaults (`sla`, `reassignAfterSeconds`) or to any agent (`team`). Applies from the next handoff.",
      params: BotParams,
      body: HandoffSettings,
      success: { schema: HandoffSettings },
      responses: { 400: INTERVALS },
    },
    {
      method: 'get',
      path: '/v1/sla/status',
      summary: 'SLA overview: open handoffs, and first-response and resolution times over a window',
      description: 'Medians and p90s of business time (wall-clock time for policies without business hours), overall, per agent and per bot, from running aggregates kept per UTC day. Admin agents may read it too.',
      query: SlaStatusQuery,
      success: { schema: SlaStatus },
    },
  );
}
