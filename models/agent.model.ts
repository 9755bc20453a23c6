/**
 * Human agents of an account and their sign-in sessions (issue 20). Every token names its record's id
 * (an invite `inv_<agentId>.<secret>`, a refresh token `rt_<sessionId>.<secret>`, an access token's `sid`),
 * so every lookup by token is a read by `_id`; only hashes of the secrets are stored.
 */
import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { deleteExpiredInBatches, type BatchBounds } from './retention';
import { AGENT_LIMITS, type AgentRole, type AgentRoutingView, type AgentStatus, type Availability } from './agent.schema';

export interface AgentDoc {
  /** `agt_` and 24 hex digits: 12 of milliseconds since the epoch, then 12 random (ids sort by creation). */
  _id: string;
  accountId: string;
  name: string;
  /** Lower case; unique within the account (the same person may be an agent of several accounts). */
  email: string;
  role: AgentRole;
  teams: string[];
  capacity: number;
  availability: Availability;
  status: AgentStatus;
  /** scrypt (api/passwords.ts); absent until the agent accepts an invite. */
  passwordHash?: string | null;
  /** The open invite: SHA-256 of its secret and when it dies; null when none is open. */
  invite: { hash: string; expiresAt: Date } | null;
  lastSeenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgentSessionDoc {
  /** `ses_` and 24 hex digits. */
  _id: string;
  accountId: string;
  agentId: string;
  /** SHA-256 of the current refresh token's secret (each refresh replaces it). */
  refreshHash: string;
  createdAt: Date;
  /** The session (its refresh token) dies then; each refresh moves it on. */
  expiresAt: Date;
  revokedAt: Date | null;
}

/** A new agent or session id: 12 hex digits of the time in ms, 12 random. */
export const newHexId = (prefix: 'agt' | 'ses'): string => `${prefix}_${Date.now().toString(16).padStart(12, '0').slice(-12)}${randomBytes(6).toString('hex')}`;

const agentSchema = new Schema<AgentDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    name: { type: String, required: true },
    email: { type: String, required: true },
    role: { type: String, required: true },
    teams: { type: [String], default: [] },
    capacity: { type: Number, required: true, default: AGENT_LIMITS.capacityDefault },
    availability: { type: String, required: true, default: 'offline' },
    status: { type: String, required: true },
    passwordHash: { type: String, default: null },
    invite: { type: new Schema({ hash: { type: String, required: true }, expiresAt: { type: Date, required: true } }, { _id: false }), default: null },
    lastSeenAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// The account's agents in id order (the list, the dispatcher's load), and one by id within the account.
agentSchema.index({ accountId: 1, _id: 1 });
// An email is one agent per account.
agentSchema.index({ accountId: 1, email: 1 }, { unique: true });
// Sign-in by email, before the account is known (a person may be an agent of several accounts).
agentSchema.index({ email: 1, _id: 1 });

const sessionSchema = new Schema<AgentSessionDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    agentId: { type: String, required: true },
    refreshHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
// "End every session of this agent" (deactivation, a new password).
sessionSchema.index({ agentId: 1, _id: 1 });
// The clean-up of expired sessions (FerretDB has no TTL indexes): `purgeAgentSessions`.
sessionSchema.index({ expiresAt: 1 });

export function agentModels(db: Connection): { Agent: Model<AgentDoc>; AgentSession: Model<AgentSessionDoc> } {
  return {
    Agent: db.models.Agent ?? db.model<AgentDoc>('Agent', agentSchema, 'agents'),
    AgentSession: db.models.AgentSession ?? db.model<AgentSessionDoc>('AgentSession', sessionSchema, 'agent_sessions'),
  };
}

/** The routing view of an agent (plain JSON, for activities and workflows). */
export const routingViewOf = (a: Pick<AgentDoc, '_id' | 'status' | 'role' | 'availability' | 'capacity' | 'teams' | 'lastSeenAt'>): AgentRoutingView => ({
  agentId: a._id,
  status: a.status,
  role: a.role,
  availability: a.availability,
  capacity: a.capacity,
  teams: [...(a.teams ?? [])],
  lastSeenAt: a.lastSeenAt ? a.lastSeenAt.toISOString() : null,
});

const ROUTING_FIELDS = { status: 1, role: 1, availability: 1, capacity: 1, teams: 1, lastSeenAt: 1 } as const;

/**
 * What the inbox dispatcher needs of an account's agents, read by the `{accountId, _id}` index: the given
 * agents whatever their status (so the dispatcher sees one deactivated), or, without `agentIds`, every
 * active agent of the account (the account's agents are read and the others skipped: a plan bounds them).
 */
export async function loadAgentsForRouting(db: Connection, accountId: string, agentIds?: string[]): Promise<AgentRoutingView[]> {
  const { Agent } = agentModels(db);
  if (agentIds) {
    if (agentIds.length === 0) return [];
    const docs = await Agent.find({ accountId, _id: { $in: [...new Set(agentIds)] } }, ROUTING_FIELDS).lean();
    return docs.map(routingViewOf);
  }
  const docs = await Agent.find({ accountId, status: 'active' }, ROUTING_FIELDS).sort({ _id: 1 }).lean();
  return docs.map(routingViewOf);
}

/**
 * Deletes the sessions past `expiresAt` (ended ones included: a revoked session keeps its record until it
 * would have expired, at most 30 days) in bounded batches (models/retention.ts); returns how many. Run
 * periodically by the API beside the other clean-ups, it keeps "every session of an agent" small.
 */
export async function purgeAgentSessions(model: Model<AgentSessionDoc>, now = new Date(), bounds: BatchBounds = {}): Promise<number> {
  const result = await deleteExpiredInBatches(model.collection, {
    reason: 'retention: agent sessions past their expiry, in every account',
    // The `{expiresAt: 1}` index above.
    filter: { expiresAt: { $lt: now } },
    sort: { expiresAt: 1 },
    ...bounds,
  });
  return result.deleted;
}
