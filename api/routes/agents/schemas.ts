/**
 * The request schemas of the agents' routes (the routes parse with them, the OpenAPI document shows them)
 * and the views they answer with.
 */
import { z } from 'zod';
import type { AgentDoc } from '../../../models/agent.model';
import { AGENT_LIMITS, AGENT_ROLES, AVAILABILITIES, TeamName } from '../../../models/agent.schema';
import type { BotDoc } from '../../../models/bot.model';
import { PageQuery } from '../../pagination';
import { pathId } from '../../path-params';

export const AgentId = pathId('agent', /^agt_[a-f0-9]{24}$/, 'an agent id (`agt_` and 24 hex digits)');
export const AgentParams = z.object({ id: AgentId });

const name = z.string().trim().min(1).max(200);
const email = z.email().max(320).transform((e) => e.toLowerCase());
/** Teams, each once (a repeat is dropped rather than refused: `"a"` and `" a"` are the same team). */
const teams = z
  // `\S`: the document then says what the server checks, that a blank name (trimmed to "") is no team.
  .array(TeamName.regex(/\S/, 'must not be blank'))
  .max(AGENT_LIMITS.teamsPerAgent)
  .transform((list) => [...new Set(list)]);
const capacity = z.number().int().min(1).max(AGENT_LIMITS.capacityMax).describe('conversations assigned at once');
const password = z.string().min(10, 'must be at least 10 characters').max(1024);

/** `POST /v1/agents` */
export const InviteAgentBody = z.strictObject({
  name,
  email,
  role: z.enum(AGENT_ROLES).default('agent'),
  teams: teams.default([]),
  capacity: capacity.default(AGENT_LIMITS.capacityDefault),
});

/** `PATCH /v1/agents/:id` */
export const UpdateAgentBody = z
  .strictObject({ name, role: z.enum(AGENT_ROLES), teams, capacity, availability: z.enum(AVAILABILITIES) })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');

/** `PATCH /v1/agents/me` */
export const UpdateMeBody = z
  .strictObject({ name, availability: z.enum(AVAILABILITIES) })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');

export const AgentListQuery = z.strictObject(PageQuery);

/** `POST /v1/agent-auth/accept` */
export const AcceptInviteBody = z.strictObject({
  token: z.string().min(1).max(200).describe('the invite token (`inv_...`), from the invite link after `#invite=`'),
  password,
});

/** `POST /v1/agent-auth/login` */
export const AgentLoginBody = z.strictObject({
  email,
  password: z.string().min(1).max(1024),
  accountId: z.string().regex(/^acct_[a-z0-9]{1,40}$/).optional().describe('which account, when the email is an agent of several (a 409 lists them)'),
});

/** `POST /v1/agent-auth/refresh` */
export const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200).describe('the refresh token (`rt_...`) of the last sign-in or refresh') });

/** An agent as the account (its keys, its admins) sees them. */
export const agentView = (a: AgentDoc) => ({
  id: a._id,
  kind: 'human' as const,
  name: a.name,
  email: a.email,
  role: a.role,
  teams: [...(a.teams ?? [])],
  capacity: a.capacity,
  availability: a.availability,
  status: a.status,
  invite: a.invite ? { expiresAt: a.invite.expiresAt.toISOString() } : null,
  lastSeenAt: a.lastSeenAt ? a.lastSeenAt.toISOString() : null,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

/** An agent as another (non-admin) agent sees them: who, what role, whether they are around. */
export const agentSummary = (a: Pick<AgentDoc, '_id' | 'name' | 'role' | 'availability' | 'status'>) => ({
  id: a._id,
  kind: 'human' as const,
  name: a.name,
  role: a.role,
  availability: a.availability,
  status: a.status,
});

/** A bot, listed as an AI agent beside the humans. */
export const aiAgentView = (b: Pick<BotDoc, '_id' | 'name' | 'publishedVersion' | 'createdAt'>) => ({
  id: b._id,
  kind: 'ai' as const,
  name: b.name,
  publishedVersion: b.publishedVersion || null,
  createdAt: b.createdAt.toISOString(),
});

/** How many bots `GET /v1/agents` lists as AI agents. */
export const AI_AGENTS_LISTED = 100;
