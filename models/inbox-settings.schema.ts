/**
 * The account's inbox defaults (`GET|PUT /v1/inbox/settings`, issue 20): the SLA policy and reassignment
 * time of bots that set none, and how long `online` lasts without the inbox page's heartbeat. Pure zod.
 */
import { z } from 'zod';
import { AGENT_LIMITS } from './agent.schema';
import { HandoffSettings, SlaPolicy } from './sla.schema';

export const InboxSettings = z.strictObject({
  /** The SLA of bots whose handoff settings set none (null: no SLA). */
  sla: SlaPolicy.nullable().default(null),
  /** Reassign after this many seconds without the assigned agent's answer, for bots that set none (null: never). */
  reassignAfterSeconds: HandoffSettings.shape.reassignAfterSeconds,
  /** `online` lapses to `away` after this many seconds without a heartbeat. */
  heartbeatLapseSeconds: z.number().int().min(60).max(3600).default(AGENT_LIMITS.heartbeatLapseSecondsDefault),
});
export type InboxSettings = z.infer<typeof InboxSettings>;
