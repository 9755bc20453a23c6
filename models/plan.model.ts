/**
 * The plan an operator assigned to an account, and the account's usage counters with the short leases
 * that make their updates exact (models/plan-counter.ts). Every document is read and written by `_id`
 * only (the one filter every store, FerretDB on SQLite included, answers from its primary key); the
 * account id is part of each `_id`, so no document of one account is ever addressed through another's.
 */
import { Schema, type Connection, type Model } from 'mongoose';

/** `_id` is the account id. Absent: the account is on the deployment's default plan. */
export interface PlanAssignmentDoc {
  _id: string;
  plan: string;
  assignedAt: Date;
}

/**
 * One counter: `_id` is `<accountId>:<resource>` for what an account holds (bots, websites, agents,
 * knowledge items) and `<accountId>:<resource>:<YYYY-MM>` for monthly counts (conversations, messages).
 */
export interface UsageCounterDoc {
  _id: string;
  used: number;
  updatedAt: Date;
}

/**
 * A lease on one counter (`_id` = the counter's): whoever inserted it may read and write the counter until
 * `expiresAt`. `<counter>#<owner>` documents claim the removal of an expired lease (plan-counter.ts).
 */
export interface UsageLockDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

const assignmentSchema = new Schema<PlanAssignmentDoc>(
  { _id: { type: String, required: true }, plan: { type: String, required: true }, assignedAt: { type: Date, required: true } },
  { versionKey: false },
);

const counterSchema = new Schema<UsageCounterDoc>(
  { _id: { type: String, required: true }, used: { type: Number, required: true }, updatedAt: { type: Date, required: true } },
  { versionKey: false },
);

const lockSchema = new Schema<UsageLockDoc>(
  { _id: { type: String, required: true }, owner: { type: String, required: true }, expiresAt: { type: Date, required: true } },
  { versionKey: false },
);

export interface PlanModels {
  PlanAssignment: Model<PlanAssignmentDoc>;
  UsageCounter: Model<UsageCounterDoc>;
  UsageLock: Model<UsageLockDoc>;
}

export function planModels(db: Connection): PlanModels {
  return {
    PlanAssignment: db.models.PlanAssignment ?? db.model<PlanAssignmentDoc>('PlanAssignment', assignmentSchema, 'plan_assignments'),
    UsageCounter: db.models.UsageCounter ?? db.model<UsageCounterDoc>('UsageCounter', counterSchema, 'usage_counters'),
    UsageLock: db.models.UsageLock ?? db.model<UsageLockDoc>('UsageLock', lockSchema, 'usage_locks'),
  };
}
