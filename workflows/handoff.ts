/**
 * A handoff's SLA clocks and assignment, as the conversation workflow keeps them: pure functions over
 * `HandoffState` (models/conversation.schema.ts), given the workflow's clock. The workflow sleeps until
 * `nextWake`, then `advance` says what happened (a target at risk or breached, an agent who has not
 * answered in time); every change is written to the conversation document with the turn's own write.
 *
 * Business hours pause the clock: a due time is `addBusinessTime(start, target)`, so a timer set for it
 * already skips nights, weekends and holidays (core/sla/clock.ts).
 */
import { businessTimeBetween, slaDeadlines } from '../core/sla/clock';
import type { HandoffState } from '../models/conversation.schema';
import type { EffectiveHandoffSettings, SlaSample, SlaState, SlaTarget } from '../models/sla.schema';
import type { InboxFields } from '../models/transcript.schema';

const MINUTES: Record<SlaTarget, 'firstResponseMinutes' | 'nextResponseMinutes' | 'resolutionMinutes'> = {
  firstResponse: 'firstResponseMinutes',
  nextResponse: 'nextResponseMinutes',
  resolution: 'resolutionMinutes',
};

const finite = (ms: number): number | null => (Number.isFinite(ms) ? ms : null);

function startClock(h: HandoffState, target: SlaTarget, nowMs: number): void {
  const sla = h.settings.sla;
  const minutes = sla?.[MINUTES[target]];
  if (!sla || !minutes) return;
  const { dueAt, atRiskAt } = slaDeadlines(nowMs, minutes * 60_000, sla.atRiskPercent, sla.businessHours, h.settings.timezone);
  h.clocks[target] = { startedAt: nowMs, dueAt: finite(dueAt), atRiskAt: finite(atRiskAt), atRisk: false };
}

/** A handoff that starts now: the first-response and resolution clocks run, and the visitor waits for an answer. */
export function newHandoff(settings: EffectiveHandoffSettings, nowMs: number): HandoffState {
  const h: HandoffState = { since: nowMs, settings, agentId: null, firstResponseAt: null, clocks: {}, breached: [], awaitingSince: nowMs, assignments: 0 };
  startClock(h, 'firstResponse', nowMs);
  startClock(h, 'resolution', nowMs);
  return h;
}

export const cloneHandoff = (h: HandoffState): HandoffState => ({
  ...h,
  clocks: Object.fromEntries(Object.entries(h.clocks).map(([k, v]) => [k, { ...v }])),
  breached: [...h.breached],
});

const hasTargets = (h: HandoffState): boolean => {
  const sla = h.settings.sla;
  return !!sla && (sla.firstResponseMinutes !== null || sla.nextResponseMinutes !== null || sla.resolutionMinutes !== null);
};

export function slaStateOf(h: HandoffState): SlaState {
  if (!hasTargets(h)) return 'none';
  if (h.breached.length > 0) return 'breached';
  const running = Object.values(h.clocks);
  if (running.some((c) => c?.atRisk)) return 'at_risk';
  return running.length > 0 ? 'running' : 'met';
}

/** When the workflow must next look at this handoff (a target turning at risk or due, an answer overdue). */
export function nextWake(h: HandoffState): number | undefined {
  const times: number[] = [];
  for (const clock of Object.values(h.clocks)) {
    if (!clock) continue;
    if (!clock.atRisk && clock.atRiskAt !== null) times.push(clock.atRiskAt);
    if (clock.dueAt !== null) times.push(clock.dueAt);
  }
  const reassignMs = h.settings.reassignAfterSeconds;
  if (h.agentId && h.awaitingSince !== null && reassignMs !== null) times.push(h.awaitingSince + reassignMs * 1000);
  return times.length > 0 ? Math.min(...times) : undefined;
}

export interface Advance {
  breached: SlaTarget[];
  /** Some target turned at risk (the document's and the search attribute's state change). */
  atRisk: boolean;
  /** The assigned agent left the visitor unanswered past `reassignAfterSeconds`. */
  noAnswerFrom: string | null;
}

/** What became true by `nowMs`; updates `h` (a breached target's clock stops). */
export function advance(h: HandoffState, nowMs: number): Advance {
  const result: Advance = { breached: [], atRisk: false, noAnswerFrom: null };
  for (const target of Object.keys(h.clocks) as SlaTarget[]) {
    const clock = h.clocks[target]!;
    if (clock.dueAt !== null && nowMs >= clock.dueAt) {
      result.breached.push(target);
      if (!h.breached.includes(target)) h.breached.push(target);
      delete h.clocks[target];
    } else if (!clock.atRisk && clock.atRiskAt !== null && nowMs >= clock.atRiskAt) {
      clock.atRisk = true;
      result.atRisk = true;
    }
  }
  const reassignMs = h.settings.reassignAfterSeconds;
  if (h.agentId && h.awaitingSince !== null && reassignMs !== null && nowMs >= h.awaitingSince + reassignMs * 1000) {
    result.noAnswerFrom = h.agentId;
    // A new window: for the next holder (restarted when the assignment arrives), or for this one again
    // when nobody else can take the conversation.
    h.awaitingSince = nowMs;
  }
  return result;
}

/** A visitor message during the handoff: after the first response, it starts the next-response clock. */
export function onVisitorMessage(h: HandoffState, nowMs: number): void {
  if (h.firstResponseAt !== null && !h.clocks.nextResponse) startClock(h, 'nextResponse', nowMs);
  h.awaitingSince ??= nowMs;
}

/** An agent's message: the first response (a sample) and any running next-response clock stop. */
export function onAgentMessage(h: HandoffState, nowMs: number, agentId: string | null, ref: SampleRef): SlaSample[] {
  const samples: SlaSample[] = [];
  if (h.firstResponseAt === null) {
    h.firstResponseAt = nowMs;
    // Every handoff is measured (wall-clock time without a policy), so the overview has figures for all.
    samples.push(sample(h, ref, agentId ?? h.agentId, 'firstResponse', nowMs));
    delete h.clocks.firstResponse;
  }
  delete h.clocks.nextResponse;
  h.awaitingSince = null;
  return samples;
}

/** The handoff ends (released or closed): the resolution sample. */
export function onEnd(h: HandoffState, nowMs: number, ref: SampleRef): SlaSample[] {
  const samples = [sample(h, ref, h.agentId, 'resolution', nowMs)];
  h.clocks = {};
  return samples;
}

/** A new holder (null: back in the queue). An unanswered visitor's wait restarts for the new holder. */
export function onAssigned(h: HandoffState, agentId: string | null, nowMs: number, visitorWaiting: boolean): void {
  h.agentId = agentId;
  h.assignments++;
  h.awaitingSince = visitorWaiting ? nowMs : null;
}

export interface SampleRef {
  accountId: string;
  botId: string;
  conversationId: string;
}

function sample(h: HandoffState, ref: SampleRef, agentId: string | null, metric: 'firstResponse' | 'resolution', nowMs: number): SlaSample {
  const hours = h.settings.sla?.businessHours ?? null;
  return {
    ...ref,
    agentId,
    metric,
    durationMs: businessTimeBetween(h.since, nowMs, hours, h.settings.timezone),
    breached: h.breached.includes(metric),
    at: new Date(nowMs).toISOString(),
  };
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** The conversation document's inbox fields for this handoff. */
export function inboxFields(h: HandoffState): InboxFields {
  const dues = Object.values(h.clocks).flatMap((c) => (c && c.dueAt !== null ? [c.dueAt] : []));
  return {
    inbox: h.agentId ? 'assigned' : 'waiting',
    inboxTeam: h.settings.team ?? '',
    assignedAgentId: h.agentId ?? '',
    handoffAt: new Date(h.since).toISOString(),
    slaState: slaStateOf(h),
    slaDueAt: dues.length > 0 ? iso(Math.min(...dues)) : null,
    sla: {
      firstResponseDueAt: iso(h.clocks.firstResponse?.dueAt),
      nextResponseDueAt: iso(h.clocks.nextResponse?.dueAt),
      resolutionDueAt: iso(h.clocks.resolution?.dueAt),
      firstResponseAt: iso(h.firstResponseAt),
      breached: [...h.breached],
    },
  };
}
