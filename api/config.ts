import { z } from 'zod';

const ApiEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default('parley-conversations'),
  MONGODB_URI: z.string().min(1).default('mongodb://127.0.0.1:27017/parley'),
  /** How long a message POST waits for the bot's replies before answering 202 pending. */
  REPLY_WAIT_MS: z.coerce.number().int().positive().default(10_000),
  /** Conversations continue-as-new past this many history events (Temporal also suggests when). */
  CONTINUE_AS_NEW_AFTER_EVENTS: z.coerce.number().int().positive().optional(),
  /** Accounts one client address may create per hour. */
  ACCOUNT_SIGNUPS_PER_HOUR: z.coerce.number().int().positive().default(20),
  /**
   * Keys that encrypt connection credentials at rest: `"<id>:<base64 of 32 bytes>"`, comma-separated,
   * the first current (models/secret-box.ts). Required, with no default: a default key would be a public one.
   */
  PARLEY_SECRET_KEYS: z.string(),
});
export type ApiConfig = z.infer<typeof ApiEnv>;

/** Parses the API's environment once; fails fast naming what is wrong. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = ApiEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid API environment: ${problems}`);
  }
  return parsed.data;
}
