/**
 * Human agents and the inbox (issue 20): the shapes the API, the workflows and the activities share.
 * Pure zod and types: the inbox dispatcher workflow imports this file.
 */
import { z } from 'zod';

export const AGENT_ROLES = ['agent', 'admin'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export const AVAILABILITIES = ['online', 'away', 'offline'] as const;
export type Availability = (typeof AVAILABILITIES)[number];

/** invited: has an open invite and no password yet; active: signed up; deactivated: can never sign in again. */
export const AGENT_STATUSES = ['invited', 'active', 'deactivated'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Agent ids: `agt_` and 24 lowercase hex characters. */
export const AGENT_ID = /^agt_[a-f0-9]{24}$/;

/** A team name: what routes a bot's handoffs to a group of agents. */
export const TeamName = z
  .string()
  .trim()
  .min(1)
  .max(60)
  // At least one character that is not a space (the document's pattern says so too: " " trims to nothing).
  .regex(/^(?=.*[A-Za-z0-9_.-])[A-Za-z0-9 _.-]+$/, 'letters, digits, spaces, "_", "." and "-", not only spaces');

export const AGENT_LIMITS = {
  capacityMax: 100,
  capacityDefault: 5,
  teamsPerAgent: 20,
  /** `online` lapses to `away` when the inbox page sent no heartbeat for this long (default; per account setting). */
  heartbeatLapseSecondsDefault: 180,
  /** The inbox page sends a heartbeat this often. */
  heartbeatEverySeconds: 30,
} as const;

/** What the inbox dispatcher knows of an agent (loaded from MongoDB by an activity; the store is the truth). */
export interface AgentRoutingView {
  agentId: string;
  /** Only `active` agents are assigned conversations. */
  status: AgentStatus;
  role: AgentRole;
  availability: Availability;
  capacity: number;
  teams: string[];
  /** Last heartbeat (ISO) or null; `online` lapses to `away` once it is older than the lapse time. */
  lastSeenAt: string | null;
}

/** Where a conversation stands in the inbox; mirrored on the conversation document (`inbox`). */
export type InboxState = 'waiting' | 'assigned';
