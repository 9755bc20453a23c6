/**
 * Issue 20's SLA part on the real stack: handoff settings through the API (round trip, validation, another
 * account's bot), the settings a handoff runs under (activity `loadHandoffSettings`), samples recorded once
 * however often `recordSlaSample` is retried, and `GET /v1/sla/status` figures against exact values
 * computed here from many samples, per agent and per bot, and isolated per account.
 */
import { randomBytes } from 'node:crypto';
import { createSlaActivities } from '../../activities/sla';
import { purgeSlaSamples } from '../../models/sla.model';
import type { SlaSample } from '../../models/sla.schema';
import { tenancyChecked } from '../../models/tenancy';
import { publishedBot, signUp, startStack, type Http, type Stack } from '../harness';

let stack: Stack;
let a: { api: Http; accountId: string };
let b: { api: Http; accountId: string };
let botA: string;
let botA2: string;
let botB: string;
let activities: ReturnType<typeof createSlaActivities>;

/** Runs an activity as the worker does: its queries checked for their account scope. */
const run = <T>(work: () => Promise<T>): Promise<T> => tenancyChecked(work);

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true });
  const [sa, sb] = await Promise.all([signUp(stack.baseUrl, 'SLA A'), signUp(stack.baseUrl, 'SLA B')]);
  a = sa;
  b = sb;
  [botA, botA2, botB] = await Promise.all([publishedBot(a.api), publishedBot(a.api), publishedBot(b.api)]);
  activities = createSlaActivities(stack.db);
});

afterAll(async () => {
  await stack?.stop();
});

const policy = {
  firstResponseMinutes: 15,
  resolutionMinutes: 480,
  businessHours: { timezone: 'Europe/Paris', days: { mon: [{ from: '09:00', to: '12:00' }, { from: '13:00', to: '17:00' }], fri: [{ from: '09:00', to: '24:00' }] }, holidays: ['2026-12-25'] },
};

describe('handoff settings', () => {
  it('answers the defaults, then what was saved (the account defaults)', async () => {
    expect((await a.api.get('/v1/inbox/settings')).body).toEqual({ sla: null, reassignAfterSeconds: null, heartbeatLapseSeconds: 180 });
    const put = await a.api.put('/v1/inbox/settings', { sla: { firstResponseMinutes: 30 }, reassignAfterSeconds: 120, heartbeatLapseSeconds: 300 });
    expect(put.status).toBe(200);
    const expected = {
      sla: { firstResponseMinutes: 30, nextResponseMinutes: null, resolutionMinutes: null, businessHours: null, atRiskPercent: 25, escalation: { reassign: false, notifyAdmins: true } },
      reassignAfterSeconds: 120,
      heartbeatLapseSeconds: 300,
    };
    expect(put.body).toEqual(expected);
    expect((await a.api.get('/v1/inbox/settings')).body).toEqual(expected);
    // Another account's defaults are its own.
    expect((await b.api.get('/v1/inbox/settings')).body).toEqual({ sla: null, reassignAfterSeconds: null, heartbeatLapseSeconds: 180 });
  });

  it("saves a bot's handoff settings, and fills the account's defaults in for a handoff", async () => {
    const put = await a.api.put(`/v1/bots/${botA}/handoff`, { team: 'Billing', sla: policy });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ team: 'Billing', reassignAfterSeconds: null, sla: { firstResponseMinutes: 15, businessHours: { timezone: 'Europe/Paris', holidays: ['2026-12-25'] } } });
    expect((await a.api.get(`/v1/bots/${botA}/handoff`)).body).toEqual(put.body);
    expect((await a.api.get(`/v1/bots/${botA2}/handoff`)).body).toEqual({ team: null, reassignAfterSeconds: null, sla: null });

    const effective = await run(() => activities.loadHandoffSettings({ accountId: a.accountId, botId: botA, botTimezone: 'America/New_York' }));
    expect(effective).toEqual({ team: 'Billing', reassignAfterSeconds: 120, sla: put.body.sla, timezone: 'Europe/Paris' });
    // A bot without settings: the account's policy, in the bot's zone.
    const fallback = await run(() => activities.loadHandoffSettings({ accountId: a.accountId, botId: botA2, botTimezone: 'Asia/Kolkata' }));
    expect(fallback).toMatchObject({ team: null, reassignAfterSeconds: 120, sla: { firstResponseMinutes: 30 }, timezone: 'Asia/Kolkata' });
    // Another account asking for A's bot gets its own defaults, never A's settings.
    const foreign = await run(() => activities.loadHandoffSettings({ accountId: b.accountId, botId: botA, botTimezone: 'UTC' }));
    expect(foreign).toEqual({ team: null, reassignAfterSeconds: null, sla: null, timezone: 'UTC' });
  });

  it('refuses bad settings with 400 naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/v1/inbox/settings', { heartbeatLapseSeconds: 10 }, 'body.heartbeatLapseSeconds'],
      ['/v1/inbox/settings', { reassignAfterSeconds: 5 }, 'body.reassignAfterSeconds'],
      ['/v1/inbox/settings', { extra: true }, 'body'],
      [`/v1/bots/${botA}/handoff`, { sla: { ...policy, businessHours: { days: { mon: [{ from: '17:00', to: '09:00' }] } } } }, 'body.sla.businessHours.days.mon.0'],
      [`/v1/bots/${botA}/handoff`, { sla: { ...policy, businessHours: { ...policy.businessHours, timezone: 'Mars/Olympus' } } }, 'body.sla.businessHours.timezone'],
      [`/v1/bots/${botA}/handoff`, { sla: { firstResponseMinutes: 0 } }, 'body.sla.firstResponseMinutes'],
      [`/v1/bots/${botA}/handoff`, { team: '' }, 'body.team'],
      [`/v1/bots/${botA}/handoff`, { sla: { businessHours: { days: { mon: [{ from: '9:00', to: '12:00' }] } } } }, 'body.sla.businessHours.days.mon.0.from'],
    ];
    for (const [url, body, path] of cases) {
      const res = await a.api.put(url, body);
      expect({ url, body, status: res.status, code: res.body.code }).toEqual({ url, body, status: 400, code: 'validation_failed' });
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    // Nothing was half-written.
    expect((await a.api.get(`/v1/bots/${botA}/handoff`)).body.team).toBe('Billing');
  });

  it("answers 404 for another account's bot, and for a bot id that is not one", async () => {
    expect((await b.api.get(`/v1/bots/${botA}/handoff`)).status).toBe(404);
    expect((await b.api.put(`/v1/bots/${botA}/handoff`, { team: 'Stolen' })).body.code).toBe('bot_not_found');
    expect((await a.api.get('/v1/bots/not-a-bot/handoff')).status).toBe(404);
    expect((await a.api.get(`/v1/bots/${botA}/handoff`)).body.team).toBe('Billing');
  });
});

describe('recordSlaSample and GET /v1/sla/status', () => {
  let seed = 11;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const exact = (values: number[], q: number): number => {
    const sorted = [...values].sort((x, y) => x - y);
    return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]! / 1000;
  };
  const close = (got: number | null, want: number): boolean => got !== null && Math.abs(got / want - 1) < 0.05;

  const agents = [`agt_${'a'.repeat(24)}`, `agt_${'b'.repeat(24)}`];
  const samples: SlaSample[] = [];
  const now = Date.now();

  const sample = (over: Partial<SlaSample>): SlaSample => ({
    accountId: a.accountId,
    botId: botA,
    agentId: agents[0]!,
    conversationId: `conv_${randomBytes(8).toString('hex')}`,
    metric: 'firstResponse',
    durationMs: 60_000,
    breached: false,
    at: new Date(now - 3_600_000).toISOString(),
    ...over,
  });

  it('counts a sample once however often it is retried, including after a crash before it was marked applied', async () => {
    const s = sample({ durationMs: 42_000, breached: true, agentId: null });
    const first = await run(() => activities.recordSlaSample(s));
    expect(first.added).toBe(true);
    expect((await run(() => activities.recordSlaSample(s))).added).toBe(false);
    // A crash after the aggregates and before `applied`: the retry finds every aggregate already has it.
    await stack.db.collection('sla_samples').updateOne({ _id: first.sampleId as never }, { $set: { applied: false } });
    await Promise.all([run(() => activities.recordSlaSample(s)), run(() => activities.recordSlaSample(s))]);
    // A crash before the sample was even stored: the same again.
    await stack.db.collection('sla_samples').deleteOne({ _id: first.sampleId as never });
    await run(() => activities.recordSlaSample(s));
    const docs = await stack.db.collection('sla_aggregates').find({ accountId: a.accountId }).toArray();
    expect(docs.map((d) => [d.scope, d.dimension, d.count, d.breached]).sort()).toEqual([
      ['', 'all', 1, 1],
      ['', `bot:${botA}`, 1, 1],
      [botA, 'all', 1, 1],
    ]);
    samples.push(s);
  });

  it('keeps the list of recent samples bounded', async () => {
    const many = Array.from({ length: 70 }, () => sample({ botId: botA2, agentId: agents[1]!, metric: 'resolution', durationMs: 1_000 + Math.floor(random() * 7_200_000) }));
    for (const s of many) await run(() => activities.recordSlaSample(s));
    samples.push(...many);
    const doc = await stack.db.collection('sla_aggregates').findOne({ accountId: a.accountId, scope: botA2, dimension: 'all' });
    expect(doc).toMatchObject({ count: 70 });
    expect((doc!.seen as string[]).length).toBeLessThanOrEqual(64);
  });

  it('refuses a malformed sample without retrying', async () => {
    await expect(run(() => activities.recordSlaSample({ ...sample({}), durationMs: Number.NaN }))).rejects.toMatchObject({ type: 'InvalidSlaSample', nonRetryable: true });
  });

  it('gives medians and p90s within 5% of the exact values, overall, per agent and per bot', async () => {
    for (let i = 0; i < 150; i++) {
      const agentId = agents[i % 2]!;
      const botId = i % 3 === 0 ? botA2 : botA;
      const firstResponse = Math.round(Math.exp(Math.log(90_000) + (random() - 0.5) * 3));
      const resolution = Math.round(600_000 + random() * 10 * 3_600_000);
      const daysAgo = Math.floor(random() * 5);
      const at = new Date(now - daysAgo * 86_400_000 - 60_000).toISOString();
      const conversationId = `conv_${randomBytes(8).toString('hex')}`;
      samples.push(sample({ agentId, botId, conversationId, at, metric: 'firstResponse', durationMs: firstResponse, breached: firstResponse > 15 * 60_000 }));
      samples.push(sample({ agentId, botId, conversationId, at, metric: 'resolution', durationMs: resolution, breached: resolution > 8 * 3_600_000 }));
    }
    // A sample older than the window, and another account's: in neither figure.
    samples.push(sample({ at: new Date(now - 20 * 86_400_000).toISOString(), durationMs: 999_999_999 }));
    await run(() => activities.recordSlaSample(samples[samples.length - 1]!));
    await run(() => activities.recordSlaSample(sample({ accountId: b.accountId, botId: botB, agentId: null, durationMs: 5 })));
    // A few at once, as concurrent workflows would (they take turns through the account's lease).
    for (let i = 0; i < samples.length - 1; i += 4) await Promise.all(samples.slice(i, Math.min(i + 4, samples.length - 1)).map((s) => run(() => activities.recordSlaSample(s))));

    const inWindow = samples.filter((s) => Date.parse(s.at) >= now - 6 * 86_400_000 && s.accountId === a.accountId);
    const check = (figures: { count: number; breached: number; medianSeconds: number | null; p90Seconds: number | null }, of: SlaSample[]) => {
      const values = of.map((s) => s.durationMs);
      expect({ count: figures.count, breached: figures.breached }).toEqual({ count: of.length, breached: of.filter((s) => s.breached).length });
      expect({ median: close(figures.medianSeconds, exact(values, 0.5)), p90: close(figures.p90Seconds, exact(values, 0.9)) }).toEqual({ median: true, p90: true });
    };

    const status = await a.api.get('/v1/sla/status');
    expect(status.status).toBe(200);
    expect(Date.parse(status.body.window.to) - Date.parse(status.body.window.from)).toBeLessThanOrEqual(7 * 86_400_000);
    for (const metric of ['firstResponse', 'resolution'] as const) {
      const of = inWindow.filter((s) => s.metric === metric);
      check(status.body[metric], of);
      for (const agentId of agents) check(status.body.byAgent.find((x: { agentId: string }) => x.agentId === agentId)[metric], of.filter((s) => s.agentId === agentId));
      for (const botId of [botA, botA2]) check(status.body.byBot.find((x: { botId: string }) => x.botId === botId)[metric], of.filter((s) => s.botId === botId));
    }
    expect(status.body.byAgent.map((x: { agentId: string }) => x.agentId)).toEqual(agents);

    // Limited to one bot: its figures, and its agents within it.
    const one = await a.api.get(`/v1/sla/status?botId=${botA2}&windowDays=30`);
    const ofBot = samples.filter((s) => s.botId === botA2 && s.accountId === a.accountId);
    check(one.body.resolution, ofBot.filter((s) => s.metric === 'resolution'));
    check(one.body.byAgent.find((x: { agentId: string }) => x.agentId === agents[1])!.firstResponse, ofBot.filter((s) => s.metric === 'firstResponse' && s.agentId === agents[1]));
    expect(one.body.byBot.map((x: { botId: string }) => x.botId)).toEqual([botA2]);

    // A window of one day holds only today's samples (the test's samples ended an hour or more ago: count those of today's UTC date).
    const today = new Date().toISOString().slice(0, 10);
    const day = await a.api.get('/v1/sla/status?windowDays=1');
    expect(day.body.firstResponse.count).toBe(inWindow.filter((s) => s.metric === 'firstResponse' && s.at.slice(0, 10) === today).length);
  });

  it('counts open handoffs by inbox and SLA state, per account and per bot', async () => {
    const at = new Date();
    const conversation = (accountId: string, botId: string, inbox: string | undefined, slaState?: string) => ({
      _id: `conv_${randomBytes(10).toString('hex')}`,
      accountId,
      botId,
      botVersion: 1,
      channel: 'api',
      externalUserId: 'v',
      status: 'active',
      workflowId: 'conversation-x',
      messageCount: 1,
      createdAt: at,
      updatedAt: at,
      ...(inbox ? { inbox, inboxTeam: '', assignedAgentId: '', handoffAt: at, slaState: slaState ?? 'none' } : {}),
    });
    await stack.deps.Conversation.insertMany([
      conversation(a.accountId, botA, 'waiting', 'running'),
      conversation(a.accountId, botA, 'waiting', 'at_risk'),
      conversation(a.accountId, botA2, 'assigned', 'breached'),
      conversation(a.accountId, botA, 'assigned', 'at_risk'),
      conversation(a.accountId, botA, 'assigned'),
      conversation(a.accountId, botA, undefined),
      conversation(b.accountId, botB, 'waiting', 'breached'),
    ]);
    expect((await a.api.get('/v1/sla/status')).body.open).toEqual({ waiting: 2, assigned: 3, atRisk: 2, breached: 1 });
    expect((await a.api.get(`/v1/sla/status?botId=${botA2}`)).body.open).toEqual({ waiting: 0, assigned: 1, atRisk: 0, breached: 1 });
    const other = await b.api.get('/v1/sla/status');
    expect(other.body.open).toEqual({ waiting: 1, assigned: 0, atRisk: 0, breached: 1 });
    expect(other.body.firstResponse.count).toBe(1);
    expect(other.body.byAgent).toEqual([]);
    // Another account's bot id: nothing of A's.
    expect((await b.api.get(`/v1/sla/status?botId=${botA}`)).body).toMatchObject({ open: { waiting: 0, assigned: 0, atRisk: 0, breached: 0 }, firstResponse: { count: 0 }, byAgent: [], byBot: [] });
  });

  it('forgets sample ids after a week (the aggregates keep the figures)', async () => {
    const figures = async () => {
      const { window: _, ...rest } = (await a.api.get('/v1/sla/status?windowDays=30')).body;
      return rest;
    };
    const before = await figures();
    const stored = await stack.db.collection('sla_samples').countDocuments({ accountId: a.accountId });
    expect(stored).toBeGreaterThan(0);
    expect(await purgeSlaSamples(stack.deps.SlaSample, new Date(Date.now() + 6 * 86_400_000))).toBe(0);
    expect(await purgeSlaSamples(stack.deps.SlaSample, new Date(Date.now() + 8 * 86_400_000), undefined, { batchSize: 7 })).toBeGreaterThanOrEqual(stored);
    expect(await stack.db.collection('sla_samples').countDocuments({ accountId: a.accountId })).toBe(0);
    expect(await figures()).toEqual(before);
  });

  it('refuses a bad window or bot id with 400', async () => {
    for (const query of ['windowDays=0', 'windowDays=91', 'windowDays=abc', 'windowDays=1e1', 'botId=nope', 'other=1']) {
      const res = await a.api.get(`/v1/sla/status?${query}`);
      expect({ query, status: res.status, code: res.body.code }).toEqual({ query, status: 400, code: 'validation_failed' });
    }
  });
});
