/**
 * A handoff's SLA clocks as the conversation workflow keeps them (workflows/handoff.ts): pure functions of
 * the state and the workflow's clock.
 */
import { advance, inboxFields, newHandoff, nextWake, onAgentMessage, onAssigned, onEnd, onVisitorMessage, slaStateOf } from '../../workflows/handoff';
import type { EffectiveHandoffSettings, SlaPolicy } from '../../models/sla.schema';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 9, 0); // a Tuesday, 09:00 UTC
const ref = { accountId: 'acct_a', botId: 'bot_b', conversationId: 'conv_c' };
const policy = (p: Partial<SlaPolicy> = {}): SlaPolicy => ({ firstResponseMinutes: 30, nextResponseMinutes: 10, resolutionMinutes: 120, businessHours: null, atRiskPercent: 25, escalation: { reassign: false, notifyAdmins: true }, ...p });
const settings = (p: Partial<EffectiveHandoffSettings> = {}): EffectiveHandoffSettings => ({ team: null, reassignAfterSeconds: null, sla: policy(), timezone: 'UTC', ...p });

describe('a handoff with an SLA policy', () => {
  it('starts the first-response and resolution clocks, wakes at each at-risk and due time, and breaches once', () => {
    const h = newHandoff(settings(), T0);
    expect(slaStateOf(h)).toBe('running');
    expect(h.clocks.firstResponse).toEqual({ startedAt: T0, atRiskAt: T0 + 22.5 * MIN, dueAt: T0 + 30 * MIN, atRisk: false });
    expect(nextWake(h)).toBe(T0 + 22.5 * MIN);
    expect(advance(h, T0 + 22.5 * MIN)).toEqual({ breached: [], atRisk: true, noAnswerFrom: null });
    expect(slaStateOf(h)).toBe('at_risk');
    expect(nextWake(h)).toBe(T0 + 30 * MIN);
    expect(advance(h, T0 + 30 * MIN)).toEqual({ breached: ['firstResponse'], atRisk: false, noAnswerFrom: null });
    expect(slaStateOf(h)).toBe('breached');
    expect(h.clocks.firstResponse).toBeUndefined();
    expect(nextWake(h)).toBe(T0 + 90 * MIN); // the resolution's at-risk time
    expect(inboxFields(h)).toMatchObject({ inbox: 'waiting', slaState: 'breached', slaDueAt: new Date(T0 + 120 * MIN).toISOString(), sla: { breached: ['firstResponse'], firstResponseDueAt: null } });
  });

  it("records the first response once, and runs the next-response clock from each unanswered visitor message", () => {
    const h = newHandoff(settings(), T0);
    const first = onAgentMessage(h, T0 + 12 * MIN, 'agt_x', ref);
    expect(first).toEqual([{ ...ref, agentId: 'agt_x', metric: 'firstResponse', durationMs: 12 * MIN, breached: false, at: new Date(T0 + 12 * MIN).toISOString() }]);
    expect(onAgentMessage(h, T0 + 13 * MIN, 'agt_x', ref)).toEqual([]);
    onVisitorMessage(h, T0 + 20 * MIN);
    expect(h.clocks.nextResponse?.dueAt).toBe(T0 + 30 * MIN);
    // A second visitor message does not restart a running clock.
    onVisitorMessage(h, T0 + 25 * MIN);
    expect(h.clocks.nextResponse?.dueAt).toBe(T0 + 30 * MIN);
    onAgentMessage(h, T0 + 26 * MIN, 'agt_x', ref);
    expect(h.clocks.nextResponse).toBeUndefined();
    const end = onEnd(h, T0 + 60 * MIN, ref);
    expect(end).toEqual([{ ...ref, agentId: null, metric: 'resolution', durationMs: 60 * MIN, breached: false, at: new Date(T0 + 60 * MIN).toISOString() }]);
  });

  it('pauses in business hours: a handoff on Friday evening falls due on Monday morning', () => {
    const friday = Date.UTC(2026, 11, 4, 16, 50); // Friday 16:50
    const hours = { timezone: 'UTC', days: { mon: [{ from: '09:00', to: '17:00' }], tue: [{ from: '09:00', to: '17:00' }], wed: [{ from: '09:00', to: '17:00' }], thu: [{ from: '09:00', to: '17:00' }], fri: [{ from: '09:00', to: '17:00' }] }, holidays: [] };
    const h = newHandoff(settings({ sla: policy({ businessHours: hours }) }), friday);
    expect(h.clocks.firstResponse?.dueAt).toBe(Date.UTC(2026, 11, 7, 9, 20)); // 10 min on Friday, 20 on Monday
    const samples = onAgentMessage(h, Date.UTC(2026, 11, 7, 9, 5), 'agt_x', ref);
    expect(samples[0]?.durationMs).toBe(15 * MIN); // business time only
  });

  it('asks for a reassignment when the holder leaves the visitor unanswered, and gives the next holder a full window', () => {
    const h = newHandoff(settings({ sla: null, reassignAfterSeconds: 120 }), T0);
    expect(slaStateOf(h)).toBe('none');
    expect(nextWake(h)).toBeUndefined(); // nobody holds it: nothing to wait for
    onAssigned(h, 'agt_a', T0 + MIN, h.awaitingSince !== null);
    expect(nextWake(h)).toBe(T0 + 3 * MIN);
    expect(advance(h, T0 + 3 * MIN).noAnswerFrom).toBe('agt_a');
    onAssigned(h, 'agt_b', T0 + 3 * MIN + 10, h.awaitingSince !== null);
    expect(nextWake(h)).toBe(T0 + 5 * MIN + 10);
    // Without a policy the handoff is still measured (wall clock, never breached).
    expect(onAgentMessage(h, T0 + 4 * MIN, 'agt_b', ref)).toEqual([{ ...ref, agentId: 'agt_b', metric: 'firstResponse', durationMs: 4 * MIN, breached: false, at: new Date(T0 + 4 * MIN).toISOString() }]);
    expect(nextWake(h)).toBeUndefined();
    expect(onEnd(h, T0 + 10 * MIN, ref)).toMatchObject([{ metric: 'resolution', agentId: 'agt_b', durationMs: 10 * MIN, breached: false }]);
  });

  it('never wakes for a target that can never fall due (no open hours at all)', () => {
    const h = newHandoff(settings({ sla: policy({ businessHours: { timezone: 'UTC', days: {}, holidays: [] } }) }), T0);
    expect(h.clocks.firstResponse?.dueAt).toBeNull();
    expect(nextWake(h)).toBeUndefined();
    expect(slaStateOf(h)).toBe('running');
  });
});
