/**
 * One inbox dispatcher per account (`inbox-<accountId>`): it decides who holds each handed-off
 * conversation. Every assignment goes through it, one decision at a time, so a conversation is never
 * assigned twice, and its state lives in Temporal, so a killed worker or a restarted server loses nothing.
 *
 * - Conversations arrive by signal when they hand off and leave when released or closed.
 * - A waiting conversation goes to an online agent with free capacity: its team's agents first (agents
 *   without a team next), the least loaded, and on a tie the one assigned longest ago (round-robin). A
 *   conversation without a team goes to agents without a team. Claims and admin assignments are Updates.
 * - An agent who goes away, offline or is deactivated gives their conversations back to the queue, as
 *   does one who leaves a visitor unanswered too long or breaches an SLA that escalates by reassignment.
 * - `online` lapses to `away` when the inbox page's heartbeat stops: the dispatcher wakes at each online
 *   agent's lapse time and rereads the agent (heartbeats are plain writes, never signals).
 * - The store is the truth for agents (activities read them); the conversation workflow writes its own
 *   document (told by the `assigned` signal), so every write to a conversation is serialized by its owner.
 *
 * Determinism: no I/O here; activities are imported as types only.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConversationActivities } from '../activities';
import type { AgentRoutingView } from '../models/agent.schema';
import { activityOptions, localActivityOptions } from './activity-policies';
import {
  assignedSignal,
  conversationWorkflowId,
  inboxAgentChangedSignal,
  inboxAssignUpdate,
  inboxEndedSignal,
  inboxHandoffSignal,
  inboxReassignSignal,
  inboxStateQuery,
  type InboxAssignArgs,
  type InboxHandoff,
} from './definitions';

const { loadInbox } = proxyActivities<ConversationActivities>(activityOptions('loadInbox'));
const { loadAgents } = proxyLocalActivities<ConversationActivities>(localActivityOptions('loadAgents'));
const { markAgentAway } = proxyLocalActivities<ConversationActivities>(localActivityOptions('markAgentAway'));

/** A dispatcher with nothing to do (no online agent, nothing open) ends after this long; a signal starts it again. */
const IDLE_END_MS = 60 * 60 * 1000;
/** Continue-as-new past this many history events (or when Temporal suggests it). */
const HISTORY_LIMIT = 5_000;

interface Slot extends AgentRoutingView {
  /** Conversations assigned to this agent. */
  load: string[];
  /** Assignment counter value of the last auto-assignment (round-robin on ties). */
  lastAssigned: number;
  /** When the dispatcher learned the agent is online (the lapse clock when no heartbeat came yet). */
  onlineSince: number;
}

interface Item extends InboxHandoff {
  /** Agents auto-assignment skips for this conversation (the one it was taken from). */
  excluded: string[];
}

export interface InboxCarried {
  agents: Slot[];
  waiting: Item[];
  assigned: (Item & { agentId: string })[];
  counter: number;
  heartbeatLapseSeconds: number;
}

export interface InboxInput {
  accountId: string;
  carried?: InboxCarried;
  /** Continue-as-new after this many events (tests); default HISTORY_LIMIT. */
  continueAsNewAfterEvents?: number;
}

type Op =
  | { kind: 'handoff'; handoff: InboxHandoff }
  | { kind: 'ended'; conversationId: string }
  | { kind: 'agent'; agentId: string }
  | { kind: 'reassign'; conversationId: string; fromAgentId: string }
  | { kind: 'assign'; args: InboxAssignArgs; done: (result: { conversationId: string; agentId: string | null }) => void; fail: (error: unknown) => void };

export async function inboxWorkflow(input: InboxInput): Promise<void> {
  const { accountId } = input;
  const agents = new Map<string, Slot>();
  const waiting: Item[] = [];
  const assigned = new Map<string, Item & { agentId: string }>();
  let counter = 0;
  let heartbeatLapseSeconds: number;
  const ops: Op[] = [];
  /** Conversations whose holder changed in this round: each is told once, its final holder. */
  const changed = new Map<string, string | null>();

  const slotOf = (view: AgentRoutingView, previous?: Slot): Slot => ({
    ...view,
    load: previous?.load ?? [],
    lastAssigned: previous?.lastAssigned ?? 0,
    onlineSince: view.availability === 'online' && previous?.availability !== 'online' ? Date.now() : (previous?.onlineSince ?? Date.now()),
  });

  const enqueue = (item: Item): void => {
    // Oldest handoff first; equal times keep arrival order.
    const at = waiting.findIndex((w) => w.since > item.since);
    if (at === -1) waiting.push(item);
    else waiting.splice(at, 0, item);
  };

  const assign = (item: Item, agentId: string): void => {
    const slot = agents.get(agentId);
    if (slot && !slot.load.includes(item.conversationId)) slot.load.push(item.conversationId);
    assigned.set(item.conversationId, { ...item, agentId });
    changed.set(item.conversationId, agentId);
  };

  /** Takes a conversation from its agent back to the queue; `exclude` keeps auto-assignment from giving it straight back. */
  const unassign = (conversationId: string, exclude: boolean): void => {
    const entry = assigned.get(conversationId);
    if (!entry) return;
    assigned.delete(conversationId);
    const slot = agents.get(entry.agentId);
    if (slot) slot.load = slot.load.filter((id) => id !== conversationId);
    const { agentId, ...item } = entry;
    enqueue({ ...item, excluded: exclude ? [...new Set([...item.excluded, agentId])] : item.excluded });
    changed.set(conversationId, null);
  };

  const forget = (conversationId: string): void => {
    const entry = assigned.get(conversationId);
    if (entry) {
      const slot = agents.get(entry.agentId);
      if (slot) slot.load = slot.load.filter((id) => id !== conversationId);
      assigned.delete(conversationId);
    }
    const at = waiting.findIndex((w) => w.conversationId === conversationId);
    if (at !== -1) waiting.splice(at, 1);
    changed.delete(conversationId);
  };

  /**
   * An agent's fresh record. One deactivated (or gone) gives their conversations back, and so does one who
   * goes from online to away or offline; an agent who is away and claims a conversation keeps it.
   */
  const refresh = (view: AgentRoutingView | undefined, agentId: string): void => {
    const previous = agents.get(agentId);
    if (!view || view.status !== 'active') {
      for (const id of previous?.load ?? []) unassign(id, false);
      agents.delete(agentId);
      return;
    }
    const slot = slotOf(view, previous);
    agents.set(agentId, slot);
    if (previous?.availability === 'online' && view.availability !== 'online') for (const id of [...slot.load]) unassign(id, false);
  };

  if (input.carried) {
    const c = input.carried;
    for (const slot of c.agents) agents.set(slot.agentId, slot);
    waiting.push(...c.waiting);
    for (const entry of c.assigned) assigned.set(entry.conversationId, entry);
    counter = c.counter;
    heartbeatLapseSeconds = c.heartbeatLapseSeconds;
  } else {
    // Starting from nothing (a new account, or a dispatcher that ended idle): the store says who is
    // there and what is open; assignments recorded on conversations are kept.
    const loaded = await loadInbox({ accountId });
    heartbeatLapseSeconds = loaded.heartbeatLapseSeconds;
    for (const view of loaded.agents) agents.set(view.agentId, slotOf(view));
    for (const h of loaded.handoffs) {
      const { agentId, ...handoff } = h;
      const item: Item = { ...handoff, excluded: [] };
      // An assignment to an active agent stands (whatever their availability: one may claim while away).
      if (agentId && agents.has(agentId)) assign(item, agentId);
      else enqueue(item);
    }
    // What the documents already say is not news to the conversations, except a holder no longer active.
    for (const h of loaded.handoffs) if (h.agentId && !assigned.has(h.conversationId)) changed.set(h.conversationId, null);
    for (const id of [...changed.keys()]) if (assigned.has(id)) changed.delete(id);
  }

  /** Auto-assignment: each waiting conversation, oldest first, to the best free agent (if any). */
  const dispatch = (): void => {
    for (const item of [...waiting]) {
      const free = [...agents.values()].filter((a) => a.status === 'active' && a.availability === 'online' && a.load.length < a.capacity && !item.excluded.includes(a.agentId));
      const tiers = item.team !== '' ? [free.filter((a) => a.teams.includes(item.team)), free.filter((a) => a.teams.length === 0)] : [free.filter((a) => a.teams.length === 0)];
      const tier = tiers.find((t) => t.length > 0);
      if (!tier) continue;
      const best = tier.reduce((a, b) => (b.load.length < a.load.length || (b.load.length === a.load.length && (b.lastAssigned < a.lastAssigned || (b.lastAssigned === a.lastAssigned && b.agentId < a.agentId))) ? b : a));
      waiting.splice(waiting.indexOf(item), 1);
      best.lastAssigned = ++counter;
      assign(item, best.agentId);
    }
  };

  const apply = async (op: Op): Promise<void> => {
    switch (op.kind) {
      case 'handoff': {
        if (assigned.has(op.handoff.conversationId) || waiting.some((w) => w.conversationId === op.handoff.conversationId)) return;
        enqueue({ ...op.handoff, excluded: [] });
        return;
      }
      case 'ended':
        forget(op.conversationId);
        return;
      case 'agent': {
        const [view] = await loadAgents({ accountId, agentIds: [op.agentId] });
        refresh(view, op.agentId);
        return;
      }
      case 'reassign':
        if (assigned.get(op.conversationId)?.agentId === op.fromAgentId) unassign(op.conversationId, true);
        return;
      case 'assign': {
        const { args } = op;
        try {
          const known = assigned.get(args.conversationId) ?? waiting.find((w) => w.conversationId === args.conversationId);
          if (!known) {
            if (!args.handoff) throw ApplicationFailure.nonRetryable('the conversation is not waiting for a person', 'NotInInbox');
            enqueue({ ...args.handoff, excluded: [] });
          }
          const holder = assigned.get(args.conversationId)?.agentId ?? null;
          if (args.agentId === null) {
            if (holder) unassign(args.conversationId, true);
            op.done({ conversationId: args.conversationId, agentId: null });
            return;
          }
          if (holder === args.agentId) {
            op.done({ conversationId: args.conversationId, agentId: holder });
            return;
          }
          if (holder && !args.force) throw ApplicationFailure.nonRetryable('the conversation is already assigned to another agent', 'AlreadyAssigned', { agentId: holder });
          const [view] = await loadAgents({ accountId, agentIds: [args.agentId] });
          if (!view || view.status !== 'active') throw ApplicationFailure.nonRetryable('no active agent has this id', 'UnknownAgent');
          refresh(view, args.agentId);
          if (holder) unassign(args.conversationId, false);
          const at = waiting.findIndex((w) => w.conversationId === args.conversationId);
          const item = waiting[at]!;
          waiting.splice(at, 1);
          assign(item, args.agentId);
          op.done({ conversationId: args.conversationId, agentId: args.agentId });
        } catch (error) {
          op.fail(error);
        }
        return;
      }
    }
  };

  /** Tells each conversation whose holder changed (a closed one is forgotten). */
  const tell = async (): Promise<void> => {
    const told = [...changed.entries()];
    changed.clear();
    await Promise.all(
      told.map(async ([conversationId, agentId]) => {
        try {
          await getExternalWorkflowHandle(conversationWorkflowId(conversationId)).signal(assignedSignal, { agentId });
        } catch {
          // The conversation ended before it heard: its `ended` signal may still be on the way.
          forget(conversationId);
        }
      }),
    );
  };

  /** Online agents whose heartbeat lapsed by now: reread, and marked away when still silent. */
  const lapseAt = (slot: Slot): number => (slot.lastSeenAt ? Math.max(Date.parse(slot.lastSeenAt), slot.onlineSince) : slot.onlineSince) + heartbeatLapseSeconds * 1000;
  const checkLapses = async (): Promise<void> => {
    const due = [...agents.values()].filter((a) => a.availability === 'online' && lapseAt(a) <= Date.now());
    if (due.length === 0) return;
    const fresh = await loadAgents({ accountId, agentIds: due.map((a) => a.agentId) });
    for (const slot of due) {
      const view = fresh.find((v) => v.agentId === slot.agentId);
      if (view && view.status === 'active' && view.availability === 'online' && (view.lastSeenAt === slot.lastSeenAt || view.lastSeenAt === null)) {
        if (await markAgentAway({ accountId, agentId: slot.agentId, lastSeenAt: view.lastSeenAt })) {
          refresh({ ...view, availability: 'away' }, slot.agentId);
          continue;
        }
        const [again] = await loadAgents({ accountId, agentIds: [slot.agentId] });
        refresh(again, slot.agentId);
        continue;
      }
      refresh(view, slot.agentId);
      // Online with no new heartbeat but not marked (it came back online meanwhile): its clock restarts.
      const after = agents.get(slot.agentId);
      if (after && after.availability === 'online' && lapseAt(after) <= Date.now()) after.onlineSince = Date.now();
    }
  };

  setHandler(inboxHandoffSignal, (handoff) => void ops.push({ kind: 'handoff', handoff }));
  setHandler(inboxEndedSignal, ({ conversationId }) => void ops.push({ kind: 'ended', conversationId }));
  setHandler(inboxAgentChangedSignal, ({ agentId }) => void ops.push({ kind: 'agent', agentId }));
  setHandler(inboxReassignSignal, ({ conversationId, fromAgentId }) => void ops.push({ kind: 'reassign', conversationId, fromAgentId }));
  setHandler(
    inboxAssignUpdate,
    (args) => new Promise((done, fail) => ops.push({ kind: 'assign', args, done, fail })),
    {
      validator: (args) => {
        if (typeof args?.conversationId !== 'string' || !/^conv_[a-z0-9]+$/.test(args.conversationId)) throw ApplicationFailure.nonRetryable('conversationId is required', 'InvalidAssign');
        if (args.agentId !== null && (typeof args.agentId !== 'string' || !/^agt_[a-f0-9]{24}$/.test(args.agentId))) throw ApplicationFailure.nonRetryable('agentId must be an agent id or null', 'InvalidAssign');
      },
    },
  );
  setHandler(inboxStateQuery, () => ({
    agents: [...agents.values()].map((a) => ({ agentId: a.agentId, availability: a.availability, capacity: a.capacity, teams: a.teams, load: [...a.load] })),
    waiting: waiting.map((w) => w.conversationId),
    assigned: Object.fromEntries([...assigned.entries()].map(([id, e]) => [id, e.agentId])),
  }));

  const limit = input.continueAsNewAfterEvents ?? HISTORY_LIMIT;
  const shouldContinueAsNew = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit;

  for (;;) {
    dispatch();
    await tell();
    const online = [...agents.values()].filter((a) => a.availability === 'online');
    const nextLapse = online.length > 0 ? Math.min(...online.map(lapseAt)) : undefined;
    const idle = online.length === 0 && waiting.length === 0 && assigned.size === 0;
    const timeout = nextLapse !== undefined ? Math.max(nextLapse - Date.now(), 1) : idle ? IDLE_END_MS : undefined;
    const wake = (): boolean => ops.length > 0 || changed.size > 0 || shouldContinueAsNew();
    const woke = timeout === undefined ? (await condition(wake), true) : await condition(wake, timeout);
    if (!woke) {
      if (nextLapse !== undefined) {
        await checkLapses();
        continue;
      }
      if (idle && ops.length === 0) {
        await condition(allHandlersFinished);
        if (ops.length === 0) return;
      }
    }
    while (ops.length > 0) await apply(ops.shift()!);
    if (shouldContinueAsNew() && ops.length === 0) {
      dispatch();
      await tell();
      if (ops.length > 0) continue;
      await condition(allHandlersFinished);
      if (ops.length > 0) continue;
      return continueAsNew<typeof inboxWorkflow>({
        accountId,
        ...(input.continueAsNewAfterEvents !== undefined ? { continueAsNewAfterEvents: input.continueAsNewAfterEvents } : {}),
        carried: { agents: [...agents.values()], waiting, assigned: [...assigned.values()], counter, heartbeatLapseSeconds },
      });
    }
  }
}
