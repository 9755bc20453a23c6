/**
 * The structured logger of both processes (api and worker): pino, one JSON line per record on stdout,
 * secrets redacted, errors reduced to name, message and code. Here rather than in api/ or worker/ because
 * both use it (as they share models/secret-box.ts); never imported by workflow code, which logs through
 * Temporal's replay-aware `log` instead.
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A pino logger: `logger.info({ field }, 'message')`. */
export type StructuredLogger = PinoLogger;

/**
 * Field names whose values never reach a log line, at any depth up to REDACT_DEPTH (pino's redaction
 * compiles explicit paths; one wildcard per level). Header names are matched as Node gives them
 * (lower-case) and as people write them.
 */
const SECRET_FIELDS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'x-api-key',
  'X-Api-Key',
  'x-parley-key',
  'proxy-authorization',
  'password',
  'apiKey',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'clientSecret',
  'credentials',
  'identitySecret',
  'signingSecret',
  'aiKey',
  'PARLEY_SECRET_KEYS',
  'PARLEY_PAYLOAD_KEYS',
  'PARLEY_JWT_SECRET',
  'CODEC_AUTH_TOKEN',
  'METRICS_AUTH_TOKEN',
];
const REDACT_DEPTH = 4;
export const REDACTED = '[redacted]';

const segment = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);

/** `password`, `*.password`, `*.*.password`, ... for every secret field. */
export const REDACT_PATHS: string[] = SECRET_FIELDS.flatMap((name) => {
  const tail = segment(name);
  return Array.from({ length: REDACT_DEPTH }, (_, depth) => (depth === 0 ? tail.replace(/^\./, '') : `${'*.'.repeat(depth).slice(0, -1)}${tail}`));
});

/**
 * An error as a log field: name, message and a string code only. Never the whole object: an HTTP
 * client's error carries its request config (headers, credentials), a driver's error its query.
 */
export function errorFields(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message.slice(0, 1000), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: typeof error, message: typeof error === 'string' ? error.slice(0, 1000) : 'a non-Error value was thrown' };
}

export interface LoggerOptions {
  /** The process: `api`, `worker`. */
  name: string;
  /** LOG_LEVEL; unset: `info`, or `warn` under jest (NODE_ENV=test) so test output stays readable. */
  level?: LogLevel;
  /** Where the JSON lines go (tests pass a stream); stdout by default. */
  destination?: DestinationStream;
}

// One stdout stream for every logger of the process (tests build many apps; each would add exit hooks).
let stdout: DestinationStream | undefined;

export function createLogger(options: LoggerOptions): StructuredLogger {
  // The one read of NODE_ENV outside a config.ts: a default for quiet tests, not a setting.
  const level = options.level ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info');
  return pino(
    {
      name: options.name,
      level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: { err: errorFields, error: errorFields },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? (stdout ??= pino.destination({ fd: 1, sync: true })),
  );
}

/** The `(message, error?)` logging callback older code takes, on a structured logger: warn, or error with an error. */
export function logFunction(logger: StructuredLogger): (message: string, error?: unknown) => void {
  return (message, error) => {
    if (error === undefined) logger.warn(message);
    else logger.error({ err: error }, message);
  };
}
