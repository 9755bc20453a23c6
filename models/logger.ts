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
 * Field names whose values never reach a log line, at any depth, in any letter case (header names as
 * Node gives them, lower-case, and as people write them).
 */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
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
  // A pasted cURL command (POST .../endpoints/from-curl) usually carries a token or a cookie.
  'curl',
  'identitySecret',
  'signingSecret',
  'aiKey',
  'PARLEY_SECRET_KEYS',
  'PARLEY_PAYLOAD_KEYS',
  'PARLEY_JWT_SECRET',
  'CODEC_AUTH_TOKEN',
  'METRICS_AUTH_TOKEN',
];
const SECRET_NAMES = new Set(SECRET_FIELDS.map((name) => name.toLowerCase()));
/** Nesting a log record may have; anything deeper is written as `[too deep]`, never unredacted. */
const MAX_DEPTH = 8;
export const REDACTED = '[redacted]';

/**
 * A log field with every secret field's value replaced, copied only where something changed (the
 * caller's objects are never modified). Nested errors become name, message and code. This walk costs
 * about what the record's size does; pino's own `redact` option compiled a wildcard path per field and
 * depth (over a hundred) and cost more CPU than the rest of a request's log line.
 */
function redactValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return errorFields(value);
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = redactValue(value[i], depth + 1);
      if (next !== value[i]) (out ??= [...value])[i] = next;
    }
    return out ?? value;
  }
  // Dates, ObjectIds, buffers, documents: what JSON would write, redacted the same way (one level
  // deeper, so a toJSON that answers itself still ends).
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return redactValue(toJSON.call(value), depth + 1);
  // Maps and Sets are written as `{}`; any other object as its own enumerable fields, like a plain one.
  if (value instanceof Map || value instanceof Set) return value;
  return redactFields(value as Record<string, unknown>, depth, false);
}

function redactFields(record: Record<string, unknown>, depth: number, top: boolean): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const value = record[key];
    // The `err` and `error` serializers write a top-level error (they run after this).
    const next = SECRET_NAMES.has(key.toLowerCase()) ? REDACTED : top && (key === 'err' || key === 'error') ? value : redactValue(value, depth + 1);
    if (next !== value) (out ??= { ...record })[key] = next;
  }
  return out ?? record;
}

/** A log record's fields (or a child logger's bindings) with secrets redacted. */
export function redactRecord(record: Record<string, unknown>): Record<string, unknown> {
  return redactFields(record, 0, true);
}

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
  const logger = pino(
    {
      name: options.name,
      level,
      serializers: { err: errorFields, error: errorFields },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactRecord, bindings: redactRecord },
    },
    options.destination ?? (stdout ??= pino.destination({ fd: 1, sync: true })),
  );
  // pino applies the bindings formatter to the root logger's bindings only: a child's go through here.
  // (Children inherit this property, so a child's child is redacted the same way.)
  const child = logger.child;
  logger.child = function redactedChild(this: StructuredLogger, bindings, childOptions) {
    return child.call(this, redactRecord(bindings), childOptions);
  } as typeof logger.child;
  return logger;
}

/** The `(message, error?)` logging callback older code takes, on a structured logger: warn, or error with an error. */
export function logFunction(logger: StructuredLogger): (message: string, error?: unknown) => void {
  return (message, error) => {
    if (error === undefined) logger.warn(message);
    else logger.error({ err: error }, message);
  };
}
