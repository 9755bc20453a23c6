/**
 * Storage of issue 20's SLA part (helper B): handoff settings, and the running aggregates behind
 * `GET /v1/sla/status`.
 *
 * - `handoff_settings`: one document per account (`account:<accountId>`, the inbox defaults) and per bot
 *   (`bot:<botId>`, its HandoffSettings). Read and written by `_id` only (the one filter every store answers
 *   from its index), the owner checked in code.
 * - `sla_aggregates`: per account, UTC day, scope (the whole account, or one bot), dimension (`all`,
 *   `bot:<id>`, `agent:<id>`) and metric, the count, the breached count, the sum and a log-scale histogram
 *   of durations (core/sla/histogram.ts). `seen` holds the last sample ids added (what makes a retried
 *   activity add a sample once; never read by the API).
 * - `sla_samples`: one small document per recorded sample (`_id` = hash of conversation, metric and end
 *   time): `applied` once every aggregate has it, so a retried `recordSlaSample` returns at once.
 * - `sla_locks`: the per-account lease writers of the aggregates take turns with (see SlaLockDoc).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { z } from 'zod';
import { deleteExpiredInBatches, type BatchBounds } from './retention';
import type { InboxSettings } from './inbox-settings.schema';
import type { HandoffSettings, SlaPolicy } from './sla.schema';

/**
 * The settings' fields sit at the top level (the inbox dispatcher reads `heartbeatLapseSeconds` of the
 * account's document directly): InboxSettings on `account:<accountId>`, HandoffSettings on `bot:<botId>`.
 */
export interface HandoffSettingsDoc {
  /** `account:<accountId>` or `bot:<botId>`. */
  _id: string;
  accountId: string;
  kind: 'account' | 'bot';
  sla: SlaPolicy | null;
  reassignAfterSeconds: number | null;
  /** Bots only. */
  team?: string | null;
  /** The account only. */
  heartbeatLapseSeconds?: number;
  updatedAt: Date;
}

/**
 * A stored document's settings as `schema` reads them now: fields saved before a newer version read as
 * their defaults, fields it does not know are ignored, and a document that no longer parses reads as the
 * defaults (it was validated when written; this only guards against a later, stricter schema).
 */
export function storedSettings<S extends typeof InboxSettings | typeof HandoffSettings>(schema: S, doc: Partial<HandoffSettingsDoc> | null | undefined): z.infer<S> {
  const { _id: _i, accountId: _a, kind: _k, updatedAt: _u, ...fields } = doc ?? {};
  const parsed = z.object(schema.shape).safeParse(fields);
  return (parsed.success ? parsed.data : schema.parse({})) as z.infer<S>;
}

export const accountSettingsId = (accountId: string): string => `account:${accountId}`;
export const botSettingsId = (botId: string): string => `bot:${botId}`;

const handoffSettingsSchema = new Schema<HandoffSettingsDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    kind: { type: String, required: true },
    sla: { type: Schema.Types.Mixed, default: null },
    reassignAfterSeconds: { type: Number, default: null },
    team: { type: String },
    heartbeatLapseSeconds: { type: Number },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

export type SlaMetric = 'firstResponse' | 'resolution';

export interface SlaAggregateDoc {
  /** `<accountId>|<scope or *>|<day>|<dimension>|<metric>`. */
  _id: string;
  accountId: string;
  /** '' for the whole account, else the bot id the figures are limited to. */
  scope: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  /** `all`, `bot:<botId>` (in the account scope) or `agent:<agentId>`. */
  dimension: string;
  metric: SlaMetric;
  count: number;
  breached: number;
  sumMs: number;
  /** `{ b<bucket>: count }` (core/sla/histogram.ts). */
  hist: Record<string, number>;
  /** The last sample ids added (at most SEEN_KEPT, plus one per trim that a crash skipped). */
  seen: string[];
  seenCount: number;
  updatedAt: Date;
}

/** How many recent sample ids an aggregate remembers: a retry within that many later samples adds nothing. */
export const SEEN_KEPT = 64;

const slaAggregateSchema = new Schema<SlaAggregateDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    scope: { type: String },
    day: { type: String, required: true },
    dimension: { type: String, required: true },
    metric: { type: String, required: true },
    count: { type: Number },
    breached: { type: Number },
    sumMs: { type: Number },
    hist: { type: Schema.Types.Mixed },
    // No defaults here: an upsert's `$inc` and `$push` create these fields, and a default would clash with them.
    seen: { type: [String], default: undefined },
    seenCount: { type: Number },
    updatedAt: { type: Date },
  },
  { versionKey: false, minimize: false },
);
// GET /v1/sla/status: one scope's days in a window.
slaAggregateSchema.index({ accountId: 1, scope: 1, day: 1 });

export interface SlaSampleDoc {
  _id: string;
  accountId: string;
  conversationId: string;
  metric: SlaMetric;
  at: Date;
  applied: boolean;
  createdAt: Date;
}

const slaSampleSchema = new Schema<SlaSampleDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    conversationId: { type: String, required: true },
    metric: { type: String, required: true },
    at: { type: Date, required: true },
    applied: { type: Boolean, required: true, default: false },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// The periodic clean-up's range scan (purgeSlaSamples).
slaSampleSchema.index({ createdAt: 1 });

/** How long a sample's id is kept: far beyond any retry of `recordSlaSample` (its backoff caps at a minute). */
export const SLA_SAMPLE_TTL_MS = 7 * 86_400_000;

/**
 * Removes sample ids older than a week (or `ttlMs`) in bounded batches (models/retention.ts); returns how
 * many. The aggregates keep the figures; this only bounds the collection that makes retries idempotent.
 * Run periodically, as `purgeIdempotencyKeys` is.
 */
export async function purgeSlaSamples(model: Model<SlaSampleDoc>, now = new Date(), ttlMs = SLA_SAMPLE_TTL_MS, bounds: BatchBounds = {}): Promise<number> {
  const result = await deleteExpiredInBatches(model.collection, {
    reason: 'retention: SLA sample ids past their time to live, in every account',
    // The `{createdAt: 1}` index above.
    filter: { createdAt: { $lt: new Date(now.getTime() - ttlMs) } },
    sort: { createdAt: 1 },
    ...bounds,
  });
  return result.deleted;
}

/**
 * A lease on an account's SLA aggregates (`_id: <accountId>`), held while one sample is added. FerretDB
 * applies an update by reading the document and writing it back whole, so two concurrent `$inc`s on one
 * document can lose one (INFRA.md; models/plan-counter.ts); an insert under a unique `_id` is atomic on both
 * stores, so writers take turns through this insert. A lease outlives a killed holder by `expiresAt` at most.
 */
export interface SlaLockDoc {
  _id: string;
  holder: string;
  expiresAt: Date;
}

const slaLockSchema = new Schema<SlaLockDoc>(
  {
    _id: { type: String, required: true },
    holder: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export function slaModels(db: Connection): { HandoffSetting: Model<HandoffSettingsDoc>; SlaAggregate: Model<SlaAggregateDoc>; SlaSample: Model<SlaSampleDoc>; SlaLock: Model<SlaLockDoc> } {
  return {
    SlaLock: db.models.SlaLock ?? db.model<SlaLockDoc>('SlaLock', slaLockSchema, 'sla_locks'),
    HandoffSetting: db.models.HandoffSetting ?? db.model<HandoffSettingsDoc>('HandoffSetting', handoffSettingsSchema, 'handoff_settings'),
    SlaAggregate: db.models.SlaAggregate ?? db.model<SlaAggregateDoc>('SlaAggregate', slaAggregateSchema, 'sla_aggregates'),
    SlaSample: db.models.SlaSample ?? db.model<SlaSampleDoc>('SlaSample', slaSampleSchema, 'sla_samples'),
  };
}
