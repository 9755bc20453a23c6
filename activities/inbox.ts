/**
 * What the inbox dispatcher (workflows/inbox.ts) and the conversation workflow need from the outside:
 * the account's agents and open handoffs (to rebuild the dispatcher's state), an agent whose heartbeat
 * lapsed marked away, the dispatcher signalled (signal-with-start: it may not be running), and the admins
 * an SLA escalation names. The store stays the truth for agents; the dispatcher only decides.
 */
import type { Client } from '@temporalio/client';
import type { Connection, mongo } from 'mongoose';
import { loadAgentsForRouting } from '../models/agent.model';
import { AGENT_LIMITS, type AgentRoutingView, type AgentStatus, type AgentRole, type Availability } from '../models/agent.schema';
import { guardedCollection, withOwnedId } from '../models/tenancy';
import { inboxWorkflowId, MESSAGE_NAMES, type InboxHandoff, type InboxReassign } from '../models/temporal-names';

interface AgentRecord {
  _id: string;
  accountId: string;
  status: AgentStatus;
  role: AgentRole;
  availability: Availability;
  capacity: number;
  teams: string[];
  lastSeenAt?: Date | null;
}

interface OpenHandoff {
  _id: string;
  accountId: string;
  botId: string;
  inbox: 'waiting' | 'assigned';
  inboxTeam?: string;
  assignedAgentId?: string;
  handoffAt?: Date;
}

/** A message for the account's dispatcher, sent by a conversation workflow. */
export type InboxNotice =
  | { type: 'handoff'; handoff: InboxHandoff }
  | { type: 'ended'; conversationId: string }
  | { type: 'reassign'; conversationId: string; fromAgentId: string; reason: 'no_answer' | 'sla_breached' };

/** The most open handoffs a dispatcher rebuilds its state from (oldest first); see the README's inbox limits. */
export const MAX_OPEN_HANDOFFS = 5_000;


export function createInboxActivities(deps: { db: Connection; temporal?: Client; taskQueue?: string }) {
  const agents = guardedCollection(deps.db.collection<AgentRecord>('agents') as unknown as mongo.Collection<AgentRecord>, 'Agent');
  const conversations = guardedCollection(deps.db.collection<OpenHandoff>('conversations') as unknown as mongo.Collection<OpenHandoff>, 'Conversation');
  const settings = deps.db.collection<{ _id: string; heartbeatLapseSeconds?: number }>('handoff_settings');

  return {
    /** Everything a dispatcher starting from nothing needs: the account's agents and its open handoffs. */
    async loadInbox(input: { accountId: string }): Promise<{ agents: AgentRoutingView[]; handoffs: (InboxHandoff & { agentId: string | null })[]; heartbeatLapseSeconds: number }> {
      // Waiting and assigned each in handoff order (the `{accountId, inbox, handoffAt}` index).
      const openOf = (inbox: 'waiting' | 'assigned') =>
        conversations
          .find({ accountId: input.accountId, inbox }, { projection: { botId: 1, inbox: 1, inboxTeam: 1, assignedAgentId: 1, handoffAt: 1 } })
          .sort({ handoffAt: 1 })
          .limit(MAX_OPEN_HANDOFFS)
          .toArray();
      const [agentDocs, waiting, assigned, accountSettings] = await Promise.all([
        loadAgentsForRouting(deps.db, input.accountId),
        openOf('waiting'),
        openOf('assigned'),
        withOwnedId("the account's own inbox settings, named by its id", () => settings.findOne({ _id: `account:${input.accountId}` }, { projection: { heartbeatLapseSeconds: 1 } })),
      ]);
      const open = [...assigned, ...waiting];
      return {
        agents: agentDocs,
        handoffs: open.map((c) => ({
          conversationId: c._id,
          botId: c.botId,
          team: c.inboxTeam ?? '',
          since: (c.handoffAt ?? new Date(0)).toISOString(),
          agentId: c.inbox === 'assigned' && c.assignedAgentId ? c.assignedAgentId : null,
        })),
        heartbeatLapseSeconds: accountSettings?.heartbeatLapseSeconds ?? AGENT_LIMITS.heartbeatLapseSecondsDefault,
      };
    },

    /** The current records of some agents of the account (an agent no longer found is left out). */
    async loadAgents(input: { accountId: string; agentIds: string[] }): Promise<AgentRoutingView[]> {
      return loadAgentsForRouting(deps.db, input.accountId, input.agentIds.slice(0, 1000));
    },

    /**
     * `online` lapses to `away`: only if the agent is still online and sent no heartbeat since the one the
     * dispatcher saw (a heartbeat or a change in between wins). Returns whether it changed.
     */
    async markAgentAway(input: { accountId: string; agentId: string; lastSeenAt: string | null }): Promise<boolean> {
      const seen = input.lastSeenAt === null ? { $in: [null] } : new Date(input.lastSeenAt);
      const result = await withOwnedId("an agent of the dispatcher's own account", () =>
        agents.updateOne({ _id: input.agentId, availability: 'online', lastSeenAt: seen } as never, { $set: { availability: 'away', updatedAt: new Date() } }),
      );
      return result.modifiedCount === 1;
    },

    /** The active admins of the account (an SLA escalation names them). */
    async inboxAdmins(input: { accountId: string }): Promise<string[]> {
      const active = await loadAgentsForRouting(deps.db, input.accountId);
      return active.filter((a) => a.role === 'admin').map((a) => a.agentId);
    },

    /** Tells the account's dispatcher (starting it when it is not running). */
    async notifyInbox(input: { accountId: string; notice: InboxNotice }): Promise<void> {
      const { temporal, taskQueue } = deps;
      if (!temporal || !taskQueue) throw new Error('this worker has no Temporal client for the inbox');
      const base = { workflowId: inboxWorkflowId(input.accountId), taskQueue, args: [{ accountId: input.accountId }] as [{ accountId: string }] };
      const { notice } = input;
      if (notice.type === 'handoff') await temporal.workflow.signalWithStart('inboxWorkflow', { ...base, signal: MESSAGE_NAMES.inboxHandoff, signalArgs: [notice.handoff] as [InboxHandoff] });
      else if (notice.type === 'ended') await temporal.workflow.signalWithStart('inboxWorkflow', { ...base, signal: MESSAGE_NAMES.inboxEnded, signalArgs: [{ conversationId: notice.conversationId }] });
      else await temporal.workflow.signalWithStart('inboxWorkflow', { ...base, signal: MESSAGE_NAMES.inboxReassign, signalArgs: [{ conversationId: notice.conversationId, fromAgentId: notice.fromAgentId, reason: notice.reason }] as [InboxReassign] });
    },
  };
}
