/**
 * The SLA activities of a handed-off conversation (issue 20): the settings it runs under, and each finished
 * measurement added to the running aggregates behind `GET /v1/sla/status`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Connection } from 'mongoose';
import { z } from 'zod';
import { aggregateId, targetsOf, utcDay } from '../core/sla/aggregates';
import { bucketKey, bucketOf } from '../core/sla/histogram';
import { InboxSettings } from '../models/inbox-settings.schema';
import { HandoffSettings, type EffectiveHandoffSettings, type SlaSample } from '../models/sla.schema';
import { accountSettingsId, botSettingsId, SEEN_KEPT, slaModels, storedSettings } from '../models/sla.model';
import { withOwnedId } from '../models/tenancy';

const DUPLICATE_KEY = 11000;
const isDuplicate = (error: unknown): boolean => (error as { code?: number }).code === DUPLICATE_KEY;

export interface LoadHandoffSettingsInput {
  accountId: string;
  botId: string;
  /** The bot's time zone (from the conversation's bot snapshot): the SLA clock's zone unless the policy names one. */
  botTimezone: string;
}

const SampleInput = z.object({
  accountId: z.string().min(1),
  botId: z.string().min(1),
  agentId: z.string().min(1).nullable(),
  conversationId: z.string().min(1),
  metric: z.enum(['firstResponse', 'resolution']),
  durationMs: z.number().finite().min(0),
  breached: z.boolean(),
  at: z.iso.datetime({ offset: true }),
});

/** The sample's id: the same on every attempt, different for every (conversation, metric, end time). */
export function slaSampleId(sample: Pick<SlaSample, 'conversationId' | 'metric' | 'at'>): string {
  return `sls_${createHash('sha256').update(`${sample.conversationId}|${sample.metric}|${new Date(sample.at).toISOString()}`).digest('hex').slice(0, 32)}`;
}

/** How long a lease on an account's aggregates lasts (its holder makes about fifteen small writes). */
const LEASE_MS = 10_000;
/** How long a sample waits for the lease before the attempt fails (and Temporal retries it). */
const LEASE_WAIT_MS = 20_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createSlaActivities(db: Connection) {
  const { HandoffSetting, SlaAggregate, SlaSample: Samples, SlaLock } = slaModels(db);

  /**
   * Runs `work` holding the account's lease (models/sla.model.ts SlaLockDoc): the insert of `sla_locks/<account>`
   * succeeds for one writer at a time on MongoDB and FerretDB alike. A lease past its expiry (its holder died)
   * is removed by whoever finds it, only while it still names that holder.
   */
  async function withAccountLease<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const holder = randomBytes(9).toString('hex');
    const deadline = Date.now() + LEASE_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await SlaLock.create({ _id: accountId, holder, expiresAt: new Date(Date.now() + LEASE_MS) });
        break;
      } catch (error) {
        if (!isDuplicate(error)) throw error;
      }
      const held = await SlaLock.findOne({ _id: accountId }).lean().exec();
      if (held && held.expiresAt.getTime() < Date.now()) await SlaLock.deleteOne({ _id: accountId, holder: held.holder }).exec();
      else if (Date.now() > deadline) throw new Error(`the SLA aggregates of ${accountId} stayed locked for ${LEASE_WAIT_MS} ms`);
      else await sleep(Math.min(50, 2 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
    try {
      return await work();
    } finally {
      await SlaLock.deleteOne({ _id: accountId, holder }).exec();
    }
  }

  /**
   * Adds the sample to one aggregate unless that aggregate already has it: the filter skips a document whose
   * recent `seen` ids hold the sample, and the upsert then fails on the duplicate `_id` (nothing added).
   * Called holding the account's lease.
   * `seen` keeps the last SEEN_KEPT ids (trimmed by a second, conditional `$pop`: FerretDB ignores `$slice`).
   */
  async function addTo(id: string, sampleId: string, inc: Record<string, number>, insert: Record<string, unknown>): Promise<void> {
    const filter = { _id: id, seen: { $ne: sampleId } };
    const update = { $inc: { ...inc, seenCount: 1 }, $push: { seen: sampleId }, $set: { updatedAt: new Date() } };
    await withOwnedId("aggregate ids are made from the sample's own account", async () => {
      let after: { seenCount?: number } | null = null;
      try {
        after = await SlaAggregate.findOneAndUpdate(filter, { ...update, $setOnInsert: insert }, { upsert: true, setDefaultsOnInsert: false, returnDocument: 'after' }).lean().exec(); // the whole document: FerretDB takes no projection here
      } catch (error) {
        if (!isDuplicate(error)) throw error;
      }
      if ((after?.seenCount ?? 0) > SEEN_KEPT) await SlaAggregate.updateOne({ _id: id, seenCount: { $gt: SEEN_KEPT } }, { $pop: { seen: -1 }, $inc: { seenCount: -1 } }).exec();
    });
  }

  return {
    /**
     * The settings a handoff runs under: the bot's, with the account's default SLA policy and reassignment
     * time where the bot sets none, and the time zone of the SLA clock. Two reads by `_id`.
     */
    async loadHandoffSettings(input: LoadHandoffSettingsInput): Promise<EffectiveHandoffSettings> {
      const ids = [accountSettingsId(input.accountId), botSettingsId(input.botId)];
      const docs = await withOwnedId("the settings of the workflow's own account and bot, the owner checked below", () => HandoffSetting.find({ _id: { $in: ids } }).lean().exec());
      const mine = docs.filter((d) => d.accountId === input.accountId);
      const account = storedSettings(InboxSettings, mine.find((d) => d._id === ids[0]));
      const bot = storedSettings(HandoffSettings, mine.find((d) => d._id === ids[1]));
      const sla = bot.sla ?? account.sla;
      return {
        team: bot.team,
        reassignAfterSeconds: bot.reassignAfterSeconds ?? account.reassignAfterSeconds,
        sla,
        timezone: sla?.businessHours?.timezone ?? input.botTimezone,
      };
    },

    /**
     * Adds a finished measurement to the running aggregates, once, however often it is retried:
     * 1. `sla_samples` gets the sample's id first; a sample already `applied` returns at once;
     * 2. holding the account's lease (concurrent `$inc`s are not safe on FerretDB), each of its aggregates
     *    (account and bot scope: all, bot, agent) is incremented unless its recent ids hold the sample — so
     *    a crash between two aggregates, or before step 3, re-runs only what is missing;
     * 3. the sample is marked `applied`.
     * A retry later than SEEN_KEPT samples of the same aggregate after a crash inside step 2 could count
     * that aggregate twice; activity retries come within seconds, so that needs an account measuring dozens
     * of samples a second.
     */
    async recordSlaSample(sample: SlaSample): Promise<{ sampleId: string; added: boolean }> {
      const parsed = SampleInput.safeParse(sample);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid SLA sample: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'InvalidSlaSample');
      const s = parsed.data;
      const sampleId = slaSampleId(s);
      const atMs = Date.parse(s.at);
      const existing = await withOwnedId("the sample id is made from the workflow's own conversation", () => Samples.findOne({ _id: sampleId }).lean().exec());
      if (existing?.applied) return { sampleId, added: false };
      let created = false;
      if (!existing) {
        try {
          await Samples.create({ _id: sampleId, accountId: s.accountId, conversationId: s.conversationId, metric: s.metric, at: new Date(atMs), applied: false, createdAt: new Date() });
          created = true;
        } catch (error) {
          if (!isDuplicate(error)) throw error;
        }
      }
      const day = utcDay(atMs);
      const inc = { count: 1, breached: s.breached ? 1 : 0, sumMs: Math.round(s.durationMs), [`hist.${bucketKey(bucketOf(s.durationMs))}`]: 1 };
      const added = await withAccountLease(s.accountId, async () => {
        // Another attempt of the same sample (one that timed out but still runs) may have finished meanwhile.
        if (!created && (await withOwnedId('the sample written above', () => Samples.findOne({ _id: sampleId }).lean().exec()))?.applied) return false;
        for (const target of targetsOf(s.botId, s.agentId)) {
          await addTo(aggregateId(s.accountId, target, day, s.metric), sampleId, inc, { accountId: s.accountId, scope: target.scope, day, dimension: target.dimension, metric: s.metric });
        }
        await withOwnedId('the sample written above', () => Samples.updateOne({ _id: sampleId }, { $set: { applied: true } }).exec());
        return true;
      });
      return { sampleId, added };
    },
  };
}
