import { Schema, type Connection, type Model } from 'mongoose';
import type { ApiPermission } from './account.schema';

export interface AccountDoc {
  _id: string;
  name: string;
  /**
   * The login identity, unique. An account signed up with an email that was already taken keeps
   * `unlinked:<id>` here and the address it gave in `unlinkedEmail`: sign-up answers the same either way,
   * the existing account is untouched, and each logs in with its own password (api/routes/login.ts).
   */
  email: string;
  unlinkedEmail?: string | null;
  passwordHash: string;
  createdAt: Date;
}

const schema = new Schema<AccountDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    email: { type: String, required: true, unique: true },
    unlinkedEmail: { type: String, default: null },
    passwordHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// A login also checks the newest accounts signed up with its email after it was taken (a page of them,
// newest first: the sort is the index's order, however many there are).
schema.index({ unlinkedEmail: 1, _id: -1 });

export interface ApiKeyDoc {
  _id: string;
  accountId: string;
  name: string;
  /** First characters of the key, to recognise it in a list. */
  prefix: string;
  /** SHA-256 of the whole key; the key itself is never stored. */
  hash: string;
  createdAt: Date;
  revokedAt?: Date | null;
  /** What the key may do; a key stored before permissions existed has none listed and may do everything. */
  permissions?: ApiPermission[] | null;
}

const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    name: { type: String, required: true },
    prefix: { type: String, required: true },
    hash: { type: String, required: true, unique: true },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    permissions: { type: [String], default: undefined },
  },
  { versionKey: false },
);
// An account's keys in id order (the key list).
apiKeySchema.index({ accountId: 1, _id: 1 });

export function accountModels(db: Connection): { Account: Model<AccountDoc>; ApiKey: Model<ApiKeyDoc> } {
  return {
    Account: db.models.Account ?? db.model<AccountDoc>('Account', schema, 'accounts'),
    ApiKey: db.models.ApiKey ?? db.model<ApiKeyDoc>('ApiKey', apiKeySchema, 'api_keys'),
  };
}
