import { z } from 'zod';
import { CHANGE_STREAM_SETTINGS } from '../models/event-feed';
import { outboundPolicy } from '../core/http/outbound-config';
import { PolicyParseError, type NetworkPolicy } from '../core/http/network-policy';
import { LOG_FORMATS, LOG_LEVELS } from '../models/logger';
import { TEMPORAL_CONNECTION_ENV, TemporalConnectionError, loadTemporalConnection } from '../models/temporal-connection';
import { parsePlanCatalog, type PlanCatalog } from '../models/plan-catalog';

const ApiEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Where the API listens; loopback by default (the image and docker-compose set 0.0.0.0). */
  HOST: z.string().default('127.0.0.1'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Secure connections to Temporal (models/temporal-connection.ts; README "Connecting to a secured Temporal"). */
  TEMPORAL_TLS: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS,
  TEMPORAL_TLS_CA: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CA,
  TEMPORAL_TLS_CA_PEM: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CA_PEM,
  TEMPORAL_TLS_SERVER_NAME: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_SERVER_NAME,
  TEMPORAL_TLS_CERT: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CERT,
  TEMPORAL_TLS_KEY: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_KEY,
  TEMPORAL_TLS_CERT_PEM: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_CERT_PEM,
  TEMPORAL_TLS_KEY_PEM: TEMPORAL_CONNECTION_ENV.TEMPORAL_TLS_KEY_PEM,
  TEMPORAL_API_KEY: TEMPORAL_CONNECTION_ENV.TEMPORAL_API_KEY,
  TEMPORAL_API_KEY_FILE: TEMPORAL_CONNECTION_ENV.TEMPORAL_API_KEY_FILE,
  /** Seconds between checks of those files for renewals (the connection is renewed when one changes). */
  TEMPORAL_TLS_RELOAD_SECONDS: z.coerce.number().int().min(1).default(10),
  TASK_QUEUE: z.string().min(1).default('parley-conversations'),
  /** The Temporal Web UI as operators open it: call logs link to their run's history there. */
  TEMPORAL_UI_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:8233')
    .transform((url) => url.replace(/\/+$/, '')),
  MONGODB_URI: z.string().min(1).default('mongodb://127.0.0.1:27017/parley'),
  /** How long a message POST waits for the bot's replies before answering 202 pending. */
  REPLY_WAIT_MS: z.coerce.number().int().positive().default(10_000),
  /** Conversations continue-as-new past this many history events (Temporal also suggests when). */
  CONTINUE_AS_NEW_AFTER_EVENTS: z.coerce.number().int().positive().optional(),
  /** Accounts one client address may create per hour. */
  ACCOUNT_SIGNUPS_PER_HOUR: z.coerce.number().int().positive().default(20),
  /** Accounts that may be signed up with one email per day (taken or not), so few accounts can claim one address. */
  ACCOUNT_SIGNUPS_PER_DAY_PER_EMAIL: z.coerce.number().int().positive().default(3),
  /** Event streams (`GET /v1/conversations/:id/events`): poll interval, heartbeat interval, open streams per process. */
  SSE_POLL_MS: z.coerce.number().int().min(10).default(250),
  /**
   * With a change stream (models/event-feed.ts) a stream is told of its new events, and looks on its own
   * only this often (a safety net); SSE_POLL_MS applies while the change stream is down.
   */
  SSE_SAFETY_POLL_MS: z.coerce.number().int().min(10).default(15_000),
  /** `auto`: change streams for new events when MongoDB has them (a replica set), else polling; `on`: required; `off`: polling. */
  MONGODB_CHANGE_STREAMS: z.enum(CHANGE_STREAM_SETTINGS).default('auto'),
  /** Days conversation events (webhooks, SSE resume) and webhook delivery logs are kept. */
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
  SSE_MAX_STREAMS: z.coerce.number().int().positive().default(1000),
  /** Requests per minute per API key (or per login session), on every authenticated route; shared by all API instances. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** Message sends per minute per API key: `POST /v1/conversations`, `.../messages`, `.../confirm` (on top of the above). */
  MESSAGE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** `POST /v1/auth/login` attempts per minute per client address, and per hour per email. */
  LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS: z.coerce.number().int().positive().default(20),
  LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL: z.coerce.number().int().positive().default(20),
  /**
   * HS256 key for login tokens (at least 32 characters). Optional: when unset it is derived with HKDF
   * from the current PARLEY_SECRET_KEYS key. Set it in production to rotate sessions on their own.
   */
  PARLEY_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  NODE_ENV: z.string().optional(),
  /**
   * Which proxies' X-Forwarded-For the API believes (Express "trust proxy"): names (`loopback`,
   * `linklocal`, `uniquelocal`), addresses or subnets, comma-separated, or a hop count. Per-client limits
   * count the address this yields. Default: a proxy on the same machine only.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .min(1)
    .refine((v) => v !== 'true', 'name the trusted proxies (e.g. "loopback, uniquelocal") or give a hop count: "true" would believe any client')
    .transform((v): string | number => (/^\d+$/.test(v) ? Number(v) : v))
    .default('loopback'),
  /**
   * The API's public base URL (`https://chat.example.com`), used in widget snippets and preview links.
   * Unset: taken from each request's Host header.
   */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')).optional(),
  /** Long-running calls' callbacks (`POST /v1/callbacks/:token`, no API key): requests per minute per client address. */
  CALLBACKS_PER_MINUTE_PER_ADDRESS: z.coerce.number().int().positive().default(600),
  /** Public widget: requests per minute per website token (every visitor of the site together). */
  WIDGET_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(3000),
  /** Public widget: requests per minute per website and client address (a widget polls about 15 a minute). */
  WIDGET_CLIENT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** Public widget: messages sent per minute per website and client address. */
  WIDGET_CLIENT_MESSAGES_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /** Public widget: conversations started per hour per website and client address. */
  WIDGET_CLIENT_CONVERSATIONS_PER_HOUR: z.coerce.number().int().positive().default(30),
  /**
   * Keys that encrypt connection credentials at rest: `"<id>:<base64 of 32 bytes>"`, comma-separated,
   * the first current (models/secret-box.ts). Required, with no default: a default key would be a public one.
   */
  PARLEY_SECRET_KEYS: z.string(),
  /**
   * Keys that encrypt Temporal payloads (visitor data in workflow histories): the PARLEY_SECRET_KEYS format,
   * the first encrypts, all decrypt (models/payload-codec.ts). Optional: unset, payloads are plain. The worker
   * needs the same value.
   */
  PARLEY_PAYLOAD_KEYS: z.string().optional(),
  /** Bearer token of `POST /codec/decode|encode` (the Temporal Web UI / CLI codec server); unset: disabled. */
  CODEC_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Origins (comma-separated) allowed to call the codec endpoints from a browser, e.g. the Web UI's `http://localhost:8233`. */
  CODEC_CORS_ORIGINS: z.string().optional(),
  /** pino level of the logs on stdout; unset: `info` (`warn` under jest). */
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  /** `json` (one object per line) or `pretty` (coloured lines for a terminal); unset: `pretty` when stdout is a terminal, else `json`. */
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
  /** Bearer token of `GET /metrics` (Prometheus); unset: open, so keep the port off the public network. */
  METRICS_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * The deployment's outbound network policy (core/http/outbound-config.ts), the same values as the
   * worker's: the API refuses at save what the worker would refuse at connect time, and says in each
   * connection, webhook and AI setting whether its private-network request is honoured.
   */
  OUTBOUND_ALLOWLIST: z.string().optional(),
  OUTBOUND_DENYLIST: z.string().optional(),
  OUTBOUND_PUBLIC_PORTS: z.string().optional(),
  /** Plans (models/plan.schema.ts): JSON or a JSON file's path; the plan of unassigned accounts; unset: `self-hosted`, unlimited. */
  PARLEY_PLANS: z.string().optional(),
  PARLEY_DEFAULT_PLAN: z.string().optional(),
  /** What a visitor reads when the account is past its monthly message cap. */
  PARLEY_PLAN_UNAVAILABLE_MESSAGE: z.string().trim().min(1).max(1000).optional(),
  /** Bearer token of the operator routes (`/v1/operator/*`: assign plans); unset: those routes answer 404. */
  OPERATOR_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
});
export type ApiConfig = z.infer<typeof ApiEnv> & { outbound: NetworkPolicy; plans: PlanCatalog };

/** Parses the API's environment once; fails fast naming what is wrong. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = ApiEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid API environment: ${problems}`);
  }
  const config = parsed.data;
  // The certificates, key and API key are read and checked now, so a bad one stops the start naming its variable.
  try {
    loadTemporalConnection(config);
  } catch (error) {
    if (error instanceof TemporalConnectionError) throw new Error(`invalid API environment: ${error.message}`, { cause: error });
    throw error;
  }
  let plans: PlanCatalog;
  try {
    plans = parsePlanCatalog(config);
  } catch (error) {
    throw new Error(`invalid API environment: ${(error as Error).message}`, { cause: error });
  }
  try {
    const outbound = outboundPolicy(config, { temporalAddress: config.TEMPORAL_ADDRESS, mongodbUri: config.MONGODB_URI, localPorts: [config.PORT] });
    return { ...config, outbound, plans };
  } catch (error) {
    if (error instanceof PolicyParseError) throw new Error(`invalid API environment: OUTBOUND_*: ${error.message}`, { cause: error });
    throw error;
  }
}
