/**
 * The OpenAPI entries of human agents' routes (`/v1/agents*`, `/v1/agent-auth/*`), with their answers
 * field by field (they mirror api/routes/agents/schemas.ts `agentView`, `agentSummary`, `aiAgentView`).
 */
import { z } from 'zod';
import { AGENT_ROLES, AGENT_STATUSES, AVAILABILITIES } from '../../models/agent.schema';
import { AcceptInviteBody, AgentListQuery, AgentLoginBody, AgentParams, InviteAgentBody, RefreshBody, UpdateAgentBody, UpdateMeBody } from '../routes/agents/schemas';
import type { RouteRegistry } from './registry';

const Timestamp = z.iso.datetime().describe('ISO 8601, UTC');
const AgentIdOut = z.string().regex(/^agt_[a-f0-9]{24}$/);

const AgentView = z.object({
  id: AgentIdOut,
  kind: z.literal('human'),
  name: z.string(),
  email: z.string(),
  role: z.enum(AGENT_ROLES),
  teams: z.array(z.string()),
  capacity: z.number().int().min(1).describe('conversations assigned at once'),
  availability: z.enum(AVAILABILITIES),
  status: z.enum(AGENT_STATUSES).describe('`invited`: has not set a password yet; `active`; `deactivated`: can never sign in again'),
  invite: z.object({ expiresAt: Timestamp }).nullable().describe('the open invite, null when none'),
  lastSeenAt: Timestamp.nullable().describe("the inbox page's last heartbeat"),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const AgentSummary = z.object({ id: AgentIdOut, kind: z.literal('human'), name: z.string(), role: z.enum(AGENT_ROLES), availability: z.enum(AVAILABILITIES), status: z.enum(AGENT_STATUSES) });
const AiAgentView = z.object({
  id: z.string().regex(/^bot_[a-z0-9]{1,40}$/),
  kind: z.literal('ai'),
  name: z.string(),
  publishedVersion: z.number().int().min(1).nullable(),
  createdAt: Timestamp,
});
const AgentAnswer = z.object({ agent: AgentView });
const Invite = z.object({
  token: z.string().regex(/^inv_agt_[a-f0-9]{24}\.[A-Za-z0-9_-]{43}$/).describe('one-time: shown only here; only its hash is stored'),
  url: z.string().describe('`<PUBLIC_URL or this API>/inbox#invite=<token>`: the link to send the agent'),
  expiresAt: Timestamp,
});
const InviteAnswer = z.object({ agent: AgentView, invite: Invite });
const SessionAnswer = z.object({
  accessToken: z.string().describe("the agent's access token (15 minutes): `Authorization: Bearer <accessToken>`"),
  tokenType: z.literal('Bearer'),
  expiresAt: Timestamp.describe('when the access token expires'),
  refreshToken: z.string().regex(/^rt_ses_[a-f0-9]{24}\.[A-Za-z0-9_-]{43}$/).describe('one use: `POST /v1/agent-auth/refresh` answers a new one; using one twice ends the session'),
  refreshExpiresAt: Timestamp.describe('the session ends then unless refreshed (each refresh extends it by 30 days)'),
  agent: AgentView,
});
const AgentList = z.object({
  data: z.array(z.union([AgentView, AgentSummary])).describe("human agents in id order; an agent's token (not an admin's) sees each as a summary"),
  hasMore: z.boolean(),
  nextAfter: z.string().nullable(),
  aiAgents: z.array(AiAgentView).describe("the account's bots (the first 100, in id order), as AI agents"),
});

const AGENT_ONLY = "`forbidden`: this route takes an agent's access token (an API key or a login token has no agent profile)";
const DEACTIVATED = '`agent_deactivated`: the agent is deactivated';
const ROUTE_403 = "`forbidden`: the API key lacks the permission (`details.required`), or an agent's token that is not an admin's";

/** Registers the agents' routes in the OpenAPI document. */
export function registerAgentRoutes(registry: RouteRegistry): void {
  registry.add(
    {
      method: 'post',
      path: '/v1/agents',
      summary: 'Invite a human agent: a one-time invite link to pass on',
      description: 'Parley sends no email: the answer holds the invite link (valid 7 days), and an `agent.invited` webhook event carries it for your own mailer.',
      body: InviteAgentBody,
      success: { status: 201, schema: InviteAnswer },
      responses: { 403: ROUTE_403, 409: '`agent_email_taken`: the account already has an agent with this email' },
    },
    {
      method: 'get',
      path: '/v1/agents',
      summary: "The account's agents: humans (a page) and its bots as AI agents",
      query: AgentListQuery,
      success: { schema: AgentList },
    },
    { method: 'get', path: '/v1/agents/me', summary: "The calling agent's own profile", tag: 'agents', success: { schema: AgentAnswer }, responses: { 403: AGENT_ONLY } },
    {
      method: 'patch',
      path: '/v1/agents/me',
      summary: 'Change your own name or availability (`online`, `away`, `offline`)',
      tag: 'agents',
      body: UpdateMeBody,
      success: { schema: AgentAnswer },
      responses: { 403: AGENT_ONLY },
    },
    {
      method: 'post',
      path: '/v1/agents/me/heartbeat',
      summary: "The inbox page's heartbeat: sets `lastSeenAt` (an `online` agent without one for a few minutes lapses to `away`)",
      tag: 'agents',
      success: { schema: AgentAnswer },
      responses: { 403: AGENT_ONLY },
    },
    { method: 'get', path: '/v1/agents/:id', summary: 'An agent', params: AgentParams, success: { schema: AgentAnswer }, responses: { 403: ROUTE_403 } },
    {
      method: 'patch',
      path: '/v1/agents/:id',
      summary: "Change an agent's name, role, teams, capacity or availability",
      params: AgentParams,
      body: UpdateAgentBody,
      success: { schema: AgentAnswer },
      responses: { 403: ROUTE_403, 409: DEACTIVATED },
    },
    {
      method: 'post',
      path: '/v1/agents/:id/invite',
      summary: 'Issue a new invite link (the previous one dies); for an active agent, a password reset',
      params: AgentParams,
      success: { schema: InviteAnswer },
      responses: { 403: ROUTE_403, 409: DEACTIVATED },
    },
    {
      method: 'post',
      path: '/v1/agents/:id/deactivate',
      summary: 'Deactivate an agent: their sessions end at once and their conversations go back to the queue',
      params: AgentParams,
      success: { schema: AgentAnswer },
      responses: { 403: ROUTE_403 },
    },
    {
      method: 'post',
      path: '/v1/agent-auth/accept',
      summary: 'Accept an invite: set a password and sign in',
      tag: 'agent-auth',
      security: 'none',
      body: AcceptInviteBody,
      success: { schema: SessionAnswer },
      responses: { 401: '`invalid_invite`: the invite was used, replaced or has expired', 429: '`rate_limited`: too many attempts from this address' },
    },
    {
      method: 'post',
      path: '/v1/agent-auth/login',
      summary: "Sign in as an agent: an access token and a refresh token",
      tag: 'agent-auth',
      security: 'none',
      body: AgentLoginBody,
      success: { schema: SessionAnswer },
      responses: {
        401: '`invalid_credentials`: the email or the password is wrong (the same answer for both)',
        409: '`account_required`: the email and password open agents of several accounts; `details.accounts` lists them (`{id, name}`): send `accountId`',
        429: '`rate_limited`: too many attempts from this address or for this email',
      },
    },
    {
      method: 'post',
      path: '/v1/agent-auth/refresh',
      summary: 'A new access token and refresh token for a refresh token (each refresh token works once)',
      tag: 'agent-auth',
      security: 'none',
      body: RefreshBody,
      success: { schema: SessionAnswer },
      responses: { 401: '`invalid_refresh_token`: unknown, expired, or its session ended; `refresh_token_reused`: used before, so the session was ended' },
    },
    {
      method: 'post',
      path: '/v1/agent-auth/logout',
      summary: "End this agent session (when it was the agent's last, they go offline)",
      tag: 'agent-auth',
      success: { status: 204 },
      responses: { 403: "`forbidden`: this route takes an agent's access token" },
    },
  );
}
