/**
 * SLA policies and handoff routing (issue 20). Pure zod: the conversation workflow imports the types.
 *
 * A policy sets up to three targets, in minutes of business time:
 * - first response: from handoff to the first agent message;
 * - next response: from each visitor message (after the first response) to the agent's answer;
 * - resolution: from handoff to release or close.
 * With business hours, the clock runs only inside them, in the policy's (else the bot's) time zone.
 */
import { z } from 'zod';
import { TIME_ZONES } from './bot.schema';
import { TeamName } from './agent.schema';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const timeZones = new Set(TIME_ZONES);
const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** One opening interval of a day, `from` < `to`, local time `HH:MM` (`24:00` ends at midnight). */
export const OpeningInterval = z.strictObject({
  from: z.string().regex(HHMM, 'HH:MM'),
  to: z.string().regex(HHMM, 'HH:MM'),
}).refine((i) => i.from < i.to, 'from must be before to');
export type OpeningInterval = z.infer<typeof OpeningInterval>;

export const BusinessHours = z.strictObject({
  /** IANA zone; absent: the bot's time zone. */
  timezone: z.string().max(64).refine((zone) => timeZones.has(zone), 'must be an IANA time zone such as Europe/Paris').optional(),
  /** Opening intervals per weekday; a day absent or empty is closed. Intervals of a day must not overlap. */
  days: z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(OpeningInterval).max(4).optional()])) as Record<Weekday, z.ZodOptional<z.ZodArray<typeof OpeningInterval>>>),
  /** Closed dates (local, `YYYY-MM-DD`). */
  holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')).max(366).default([]),
});
export type BusinessHours = z.infer<typeof BusinessHours>;

const Minutes = z.number().int().min(1).max(60 * 24 * 60); // up to 60 days

export const SlaEscalation = z.strictObject({
  /** On a breach, take the conversation from its agent and assign it to another. */
  reassign: z.boolean().default(false),
  /** On a breach, emit `sla.escalated` naming the account's admin agents (their mailer or pager acts on it). */
  notifyAdmins: z.boolean().default(true),
});

export const SlaPolicy = z.strictObject({
  firstResponseMinutes: Minutes.nullable().default(null),
  nextResponseMinutes: Minutes.nullable().default(null),
  resolutionMinutes: Minutes.nullable().default(null),
  businessHours: BusinessHours.nullable().default(null),
  /** A running target is "at risk" once less than this share of it is left. */
  atRiskPercent: z.number().int().min(1).max(99).default(25),
  escalation: SlaEscalation.default({ reassign: false, notifyAdmins: true }),
});
export type SlaPolicy = z.infer<typeof SlaPolicy>;

/** How a bot's handoffs are routed, and its SLA (null: the account's default policy; none when that is null too). */
export const HandoffSettings = z.strictObject({
  /** Route this bot's handoffs to a team's agents (null: any agent). */
  team: TeamName.nullable().default(null),
  /** Reassign when the assigned agent has not answered within this many seconds (null: never). */
  reassignAfterSeconds: z.number().int().min(30).max(24 * 3600).nullable().default(null),
  sla: SlaPolicy.nullable().default(null),
});
export type HandoffSettings = z.infer<typeof HandoffSettings>;

/**
 * What a conversation's workflow gets when it hands off (activity `loadHandoffSettings`): the bot's settings
 * with the account's defaults filled in, and the time zone the SLA clock runs in.
 */
export interface EffectiveHandoffSettings {
  team: string | null;
  reassignAfterSeconds: number | null;
  sla: SlaPolicy | null;
  /** businessHours.timezone, else the bot's time zone. */
  timezone: string;
}

export const SLA_TARGETS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type SlaTarget = (typeof SLA_TARGETS)[number];

/** `ParleySla` search attribute values, and `slaState` on the conversation document. */
export const SLA_STATES = ['none', 'running', 'at_risk', 'breached', 'met'] as const;
export type SlaState = (typeof SLA_STATES)[number];

/** One finished measurement, recorded into the running aggregates (activity `recordSlaSample`). */
export interface SlaSample {
  accountId: string;
  botId: string;
  /** The agent who answered / resolved (null: released or closed with no agent). */
  agentId: string | null;
  conversationId: string;
  metric: 'firstResponse' | 'resolution';
  /** Business-time milliseconds (wall-clock when the policy has no business hours). */
  durationMs: number;
  breached: boolean;
  /** When it ended (ISO): the aggregates bucket by this day (UTC). */
  at: string;
}
