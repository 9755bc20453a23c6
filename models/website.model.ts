import { Schema, type Connection, type Model } from 'mongoose';
import type { SealedSecret } from './secret-box';
import type { IdentityMode, WidgetAppearance } from './website.schema';

/** What the sealed part of a website holds. */
export interface WebsiteSecrets {
  identitySecret: string;
}

export interface WebsiteDoc {
  _id: string;
  accountId: string;
  botId: string;
  name: string;
  /** Canonical origins (core/origins.ts). */
  origins: string[];
  /** The public `wt_` token the widget snippet carries; unique, rotatable. */
  token: string;
  identity: IdentityMode;
  appearance: WidgetAppearance;
  /** The identity secret, sealed with PARLEY_SECRET_KEYS and bound to the website id. */
  sealed: SealedSecret;
  createdAt: Date;
  updatedAt: Date;
}

const websiteSchema = new Schema<WebsiteDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    botId: { type: String, required: true },
    name: { type: String, required: true },
    origins: { type: [String], required: true },
    token: { type: String, required: true },
    identity: { type: String, required: true },
    appearance: { type: Schema.Types.Mixed, required: true },
    sealed: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
websiteSchema.index({ token: 1 }, { unique: true });
websiteSchema.index({ accountId: 1, _id: 1 });
websiteSchema.index({ accountId: 1, botId: 1, _id: 1 });

export function websiteModels(db: Connection): { Website: Model<WebsiteDoc> } {
  return { Website: db.models.Website ?? db.model<WebsiteDoc>('Website', websiteSchema, 'websites') };
}
