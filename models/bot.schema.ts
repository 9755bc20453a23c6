import { z } from 'zod';
import { AiSnapshot } from './ai.schema';
import { ActionBody } from './connection.schema';
import { BotFlows } from './flow.schema';
import { LIMITS } from './limits';

/**
 * The time zones a bot may have: the IANA zones this runtime knows by their canonical names, and `UTC`
 * (the default). An alias (`US/Eastern`, `utc`) is refused with the list in the OpenAPI document, so the
 * document and the check are the same list.
 */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];
const timeZones = new Set(TIME_ZONES);

const botFields = {
  name: z.string().trim().min(1).max(200),
  greeting: z.string().trim().min(1).max(LIMITS.messageText),
  fallbackMessage: z.string().trim().min(1).max(LIMITS.messageText),
  inactivityTimeoutSeconds: z.number().int().min(LIMITS.inactivityTimeoutMin).max(LIMITS.inactivityTimeoutMax),
  timezone: z
    .string()
    .max(64)
    .refine((zone) => timeZones.has(zone), 'must be an IANA time zone such as Europe/Paris')
    .meta({ enum: [...TIME_ZONES] }),
};

/** `POST /v1/bots` body. */
export const CreateBotBody = z.strictObject({
  name: botFields.name,
  greeting: botFields.greeting.default('Hi! How can I help you today?'),
  fallbackMessage: botFields.fallbackMessage.default("Sorry, I didn't understand that. Could you rephrase?"),
  inactivityTimeoutSeconds: botFields.inactivityTimeoutSeconds.default(30 * 60),
  timezone: botFields.timezone.default('UTC'),
});
export type CreateBotBody = z.infer<typeof CreateBotBody>;

/** `PATCH /v1/bots/:id` body: any subset of the bot's settings, at least one. */
export const UpdateBotBody = z
  .strictObject({
    name: botFields.name,
    greeting: botFields.greeting,
    fallbackMessage: botFields.fallbackMessage,
    inactivityTimeoutSeconds: botFields.inactivityTimeoutSeconds,
    timezone: botFields.timezone,
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
export type UpdateBotBody = z.infer<typeof UpdateBotBody>;

/**
 * The immutable, secret-free snapshot of a bot that a published version holds and that a conversation
 * workflow receives as input. Editing the bot never changes a snapshot.
 */
export const BotSnapshot = z.object({
  botId: z.string(),
  version: z.number().int().min(1),
  name: z.string(),
  greeting: z.string(),
  fallbackMessage: z.string(),
  inactivityTimeoutSeconds: z.number().int(),
  timezone: z.string(),
  /** Guided flows as published (absent in versions published before flows existed). */
  flows: BotFlows.optional(),
  /** The API actions the flows call, as they were when published (definitions only; never credentials). */
  actions: z.record(z.string(), ActionBody).optional(),
  /** Smart AI as published: settings, tool schemas, flows it may start (never the provider key). */
  ai: AiSnapshot.optional(),
});
export type BotSnapshot = z.infer<typeof BotSnapshot>;
