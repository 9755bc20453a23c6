import { Schema, type Connection, type Model } from 'mongoose';
import type { AiSettings } from './ai.schema';
import type { BotSnapshot } from './bot.schema';
import type { BotFlows } from './flow.schema';
import type { SealedSecret } from './secret-box';

export interface BotDoc {
  _id: string;
  accountId: string;
  name: string;
  greeting: string;
  fallbackMessage: string;
  inactivityTimeoutSeconds: number;
  timezone: string;
  /** Draft guided flows (validated on save); published with the bot. */
  flows?: BotFlows;
  /** Draft Smart AI settings (published with the bot), without the provider key. */
  ai?: AiSettings;
  /** The provider API key, sealed with AES-256-GCM and bound to `aiKeyOwner(botId)`; opened only by `completeChat`. */
  aiKeySealed?: SealedSecret | null;
  /** Highest published version, 0 when never published. */
  publishedVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

const botSchema = new Schema<BotDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    name: { type: String, required: true },
    greeting: { type: String, required: true },
    fallbackMessage: { type: String, required: true },
    inactivityTimeoutSeconds: { type: Number, required: true },
    timezone: { type: String, required: true },
    flows: { type: Schema.Types.Mixed },
    ai: { type: Schema.Types.Mixed },
    aiKeySealed: { type: Schema.Types.Mixed },
    publishedVersion: { type: Number, required: true, default: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
botSchema.index({ accountId: 1, _id: 1 });

/** The associated data a bot's sealed provider key is bound to (a key copied onto another bot will not open). */
export const aiKeyOwner = (botId: string): string => `${botId}:ai`;

export interface BotVersionDoc {
  _id: string;
  accountId: string;
  botId: string;
  version: number;
  snapshot: BotSnapshot;
  createdAt: Date;
}

const versionSchema = new Schema<BotVersionDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    botId: { type: String, required: true },
    version: { type: Number, required: true },
    snapshot: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
  },
  // A snapshot is stored exactly as published, empty objects included.
  { versionKey: false, minimize: false },
);
// Two concurrent publishes cannot both take the same number.
versionSchema.index({ botId: 1, version: -1 }, { unique: true });

export function botModels(db: Connection): { Bot: Model<BotDoc>; BotVersion: Model<BotVersionDoc> } {
  return {
    Bot: db.models.Bot ?? db.model<BotDoc>('Bot', botSchema, 'bots'),
    BotVersion: db.models.BotVersion ?? db.model<BotVersionDoc>('BotVersion', versionSchema, 'bot_versions'),
  };
}
