/**
 * The structured logger of both processes (api and worker): pino, one JSON line per record on stdout
 * (or, in a developer's terminal, one coloured line through pino-pretty), secrets redacted, errors
 * reduced to name, message and code. Here rather than in api/ or worker/ because
 * both use it (as they share models/secret-box.ts); never imported by workflow code, which logs through
 * Temporal's replay-aware `log` instead.
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object per line (log collectors, compose, production); `pretty`: coloured lines for a person. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

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
  /** LOG_FORMAT; unset: `pretty` when the lines go to a terminal (stdout, a TTY), else `json`. */
  format?: LogFormat;
  /** Where the lines go (tests pass a stream); stdout by default. */
  destination?: DestinationStream;
}

// One stdout stream per format for every logger of the process (tests build many apps; each would add exit hooks).
const stdout: Partial<Record<LogFormat, DestinationStream>> = {};
let defaultDestination: DestinationStream | undefined;

/**
 * Where loggers created from now on without a `destination` write (JSON) instead of stdout; undefined:
 * stdout again. Tests send every API and worker log line of a test file to that file's log, which is shown
 * only when the file fails (test/log-capture.ts).
 */
export function setDefaultLogDestination(destination: DestinationStream | undefined): void {
  defaultDestination = destination;
}

/**
 * pino-pretty as a stream in this thread rather than as a worker-thread transport: written synchronously,
 * so a fatal line logged just before `process.exit()` is not lost and lines keep their order with the
 * process's other output. It only re-renders what pino serialized, after the formatters below redacted it,
 * so both formats carry exactly the same fields.
 */
function prettyStream(destination: DestinationStream | number): DestinationStream {
  return pretty({
    destination,
    sync: true,
    // Colour even when stdout is a pipe: `npm run dev` relays its children's output to the terminal and
    // chose this format because that is a terminal. NO_COLOR (no-color.org) still turns it off.
    colorize: !('NO_COLOR' in process.env),
    // One line per record (an error's name, message and code follow on their own lines): `npm run dev`
    // prefixes each line with [api] / [worker].
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

function output(format: LogFormat, destination: DestinationStream | undefined): DestinationStream {
  if (destination) return format === 'pretty' ? prettyStream(destination) : destination;
  return (stdout[format] ??= format === 'pretty' ? prettyStream(1) : pino.destination({ fd: 1, sync: true }));
}

export function createLogger(options: LoggerOptions): StructuredLogger {
  // The one read of NODE_ENV outside a config.ts: a default for quiet tests, not a setting.
  const level = options.level ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info');
  const destination = options.destination ?? defaultDestination;
  const format = options.format ?? (!destination && process.stdout.isTTY ? 'pretty' : 'json');
  const logger = pino(
    {
      name: options.name,
      level,
      serializers: { err: errorFields, error: errorFields },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactRecord, bindings: redactRecord },
    },
    output(format, destination),
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
