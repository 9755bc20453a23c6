/**
 * API connections (a tenant's business system reached over HTTP), their endpoints, and actions (one
 * endpoint, or a chain of steps) that flows and the LLM can run. Credentials are write-only: these
 * schemas accept them, the API encrypts them at rest, and no response, log or workflow payload ever
 * carries them (activities load them by connection id).
 */
import { z } from 'zod';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 letters, digits, _ or -');
const Secret = z.string().min(1).max(4096);
const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name');

export const ConnectionAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  /** An API key sent in a header (`name` is the header) or in the query string (`name` is the parameter). */
  z.strictObject({ type: z.literal('api_key'), in: z.enum(['header', 'query']), name: z.string().min(1).max(100), value: Secret }),
  z.strictObject({ type: z.literal('bearer'), token: Secret }),
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1).max(200), password: Secret }),
]);
export type ConnectionAuth = z.infer<typeof ConnectionAuth>;

const connectionFields = {
  name: z.string().trim().min(1).max(100),
  /** Origin (and optional base path) every request of this connection goes to; nothing else is reachable. */
  baseUrl: z.url({ protocol: /^https?$/ }).max(500),
  auth: ConnectionAuth,
  /** Extra headers sent with every request; stored encrypted like credentials (they often are). */
  headers: z.record(HeaderName, z.string().max(4096)).refine((h) => Object.keys(h).length <= 20, 'at most 20 headers'),
  timeoutMs: z.number().int().min(100).max(60_000),
  /** Allow private, loopback and link-local addresses (and plain http). Off by default. */
  allowPrivateNetwork: z.boolean(),
};

function httpsUnlessPrivate(body: { baseUrl?: string; allowPrivateNetwork?: boolean }, ctx: z.RefinementCtx): void {
  if (body.baseUrl?.startsWith('http:') && !body.allowPrivateNetwork) {
    ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'must use https (plain http only for connections with allowPrivateNetwork)' });
  }
}

export const CreateConnectionBody = z
  .strictObject({
    ...connectionFields,
    auth: connectionFields.auth.default({ type: 'none' }),
    headers: connectionFields.headers.default({}),
    timeoutMs: connectionFields.timeoutMs.default(10_000),
    allowPrivateNetwork: connectionFields.allowPrivateNetwork.default(false),
  })
  .superRefine(httpsUnlessPrivate);
export type CreateConnectionBody = z.infer<typeof CreateConnectionBody>;

/** `PATCH`: any subset; `auth` and `headers` are replaced whole when given. */
export const UpdateConnectionBody = z
  .strictObject(connectionFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .superRefine(httpsUnlessPrivate);
export type UpdateConnectionBody = z.infer<typeof UpdateConnectionBody>;

export const PARAMETER_TYPES = ['string', 'number', 'integer', 'boolean', 'email', 'date', 'enum'] as const;
/**
 * `callback`: the one-time callback URL Parley makes for a long-running call in callback mode (set by
 * the call activity on every attempt, never by a flow, the LLM or a caller).
 */
export const PARAMETER_SOURCES = ['visitor', 'llm', 'contact', 'constant', 'step', 'callback'] as const;

export const EndpointParameter = z
  .strictObject({
    /** Letters, digits, _ (and - for header names such as X-Session). */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -'),
    type: z.enum(PARAMETER_TYPES),
    enum: z.array(z.string().min(1).max(100)).min(1).max(50).optional(),
    required: z.boolean().default(true),
    in: z.enum(['path', 'query', 'header', 'body']),
    /** Plain English, shown to the LLM as the tool parameter's description. */
    description: z.string().max(500).default(''),
    /**
     * Where the value may come from: the visitor's answer (a flow variable), the LLM, the verified
     * contact, a constant, or a previous step's output. The LLM can never set a non-LLM parameter.
     */
    source: z.enum(PARAMETER_SOURCES).default('visitor'),
    constant: z.union([z.string().max(2000), z.number(), z.boolean()]).optional(),
    contactField: z.enum(['name', 'email', 'phone']).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'enum' && !p.enum) ctx.addIssue({ code: 'custom', path: ['enum'], message: 'an enum parameter lists its values' });
    if (p.source === 'constant' && p.constant === undefined) ctx.addIssue({ code: 'custom', path: ['constant'], message: 'a constant parameter needs its value' });
    if (p.source === 'contact' && !p.contactField) ctx.addIssue({ code: 'custom', path: ['contactField'], message: 'say which contact field' });
    if (p.in === 'path' && !p.required) ctx.addIssue({ code: 'custom', path: ['required'], message: 'path parameters are required' });
  });
export type EndpointParameter = z.infer<typeof EndpointParameter>;

export const ComparisonRule = z.enum(['equals', 'equals_ignore_case', 'contains', 'regex', 'exists', 'gt', 'gte', 'lt', 'lte']);

/** Checked in code on every response before anything reaches the visitor or an LLM; fails closed. */
export const ResponseValidation = z.strictObject({
  /** A parameter of this endpoint whose value is compared (not needed for `exists`). */
  input: z.string().max(64).optional(),
  /** JSON path into the response body, e.g. `$.billing.email` or `items[0].sku`. */
  path: z.string().min(1).max(200),
  op: ComparisonRule,
  /** A literal to compare with instead of an input (for `regex`, the pattern). */
  value: z.union([z.string().max(500), z.number(), z.boolean()]).optional(),
  /** Said to the visitor when the rule fails (the data is withheld). */
  message: z.string().trim().min(1).max(500),
});
export type ResponseValidation = z.infer<typeof ResponseValidation>;

/** A rule on a long-running call's status or callback body: `path` `op` `value` (as response validation, without inputs). */
export const JobRule = z.strictObject({
  path: z.string().min(1).max(200),
  op: ComparisonRule,
  value: z.union([z.string().max(500), z.number(), z.boolean()]).optional(),
});
export type JobRule = z.infer<typeof JobRule>;

/** Longest a long-running call may wait for its result: 30 days. */
export const LONG_RUNNING_MAX_SECONDS = 30 * 24 * 3600;

const longRunningOutcome = {
  /** The job is done when this holds on the status (poll) or callback body. Callback mode: absent means any callback that is not a failure. */
  completeWhen: JobRule.optional(),
  /** The job failed when this holds (checked first). */
  failWhen: JobRule.optional(),
  /** After this long without a result the call fails (durable timer). */
  deadlineSeconds: z.number().int().min(10).max(LONG_RUNNING_MAX_SECONDS).default(24 * 3600),
  /** What a conversation may keep of the final status or callback body: name <- JSON path (as `responseFields`). */
  resultFields: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), path: z.string().min(1).max(200) })).max(50).default([]),
  /**
   * What the visitor is told when the job fails by `failWhen` (a flow's `{{last_error}}`), with the result
   * fields as `{{name}}` placeholders, e.g. "Not approved: {{reason}}". Absent: a generic sorry. The business's
   * own words reach the visitor only through this template.
   */
  failureMessage: z.string().trim().min(1).max(500).optional(),
  /** Said to the visitor at once when the call starts waiting. */
  pendingMessage: z.string().trim().min(1).max(500).default("I've started that. It can take a while: I'll tell you here as soon as it's done, and you can ask me anything meanwhile."),
};

/**
 * A call that finishes later (issue 21): the first response only starts the job.
 * - `poll`: the first response names the job (a JSON path into its body, or its `Location` header), and
 *   Parley GETs the status (`statusPath` with `{job}`, relative to the connection's base URL; or the
 *   Location itself, which must be on the connection's origin) on a backoff schedule of durable timers.
 * - `callback`: the endpoint's `callback`-source parameter carries a one-time signed URL on PUBLIC_URL;
 *   the business POSTs the result there.
 */
export const LongRunning = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('poll'),
    job: z.discriminatedUnion('from', [z.strictObject({ from: z.literal('body'), path: z.string().min(1).max(200) }), z.strictObject({ from: z.literal('location') })]),
    statusPath: z
      .string()
      .min(1)
      .max(500)
      .regex(/^\/[^?#\s]*$/, 'a path starting with / (no query string)')
      .optional(),
    schedule: z
      .strictObject({
        initialSeconds: z.number().min(1).max(3600).default(5),
        factor: z.number().min(1).max(10).default(2),
        maxSeconds: z.number().min(1).max(86_400).default(300),
      })
      .default({ initialSeconds: 5, factor: 2, maxSeconds: 300 }),
    ...longRunningOutcome,
    completeWhen: JobRule,
  }),
  z.strictObject({ mode: z.literal('callback'), ...longRunningOutcome }),
]);
export type LongRunning = z.infer<typeof LongRunning>;

const endpointFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).default(''),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Relative to the connection's base URL, with `{param}` placeholders: `/orders/{order_id}`. */
  path: z
    .string()
    .min(1)
    .max(500)
    .regex(/^\/[^?#\s]*$/, 'a path starting with / (no query string: use query parameters)'),
  parameters: z.array(EndpointParameter).max(50).default([]),
  /** JSON body with `"{{param}}"` placeholders (a whole-string placeholder keeps the value's type). */
  bodyTemplate: z.unknown().optional(),
  /** What a conversation may see of the response: name <- JSON path. The rest never leaves the activity. */
  responseFields: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), path: z.string().min(1).max(200) })).max(50).default([]),
  validations: z.array(ResponseValidation).max(20).default([]),
  /** Changes something in the business system (a booking, an order): gets an Idempotency-Key and, for the LLM, a confirmation. */
  sideEffects: z.boolean().default(false),
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
  retry: z.strictObject({ maxAttempts: z.number().int().min(1).max(10).default(3), initialIntervalMs: z.number().int().min(50).max(60_000).default(500) }).default({ maxAttempts: 3, initialIntervalMs: 500 }),
  /** A call that finishes later (polled, or answered through a callback); absent: the response is the result. */
  longRunning: LongRunning.nullable().optional(),
};


export const CreateEndpointBody = z.strictObject(endpointFields);
export type CreateEndpointBody = z.infer<typeof CreateEndpointBody>;
/**
 * `PATCH`: any subset. zod 4 fills the defaults of fields `.partial()` made optional, so `{}` parses; the
 * route refuses a body that sends no field, which `minProperties` tells the OpenAPI document.
 */
export const UpdateEndpointBody = z
  .strictObject(endpointFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .meta({ minProperties: 1 });

/** `POST .../endpoints/:eid/test` body: sample values for the parameters. */
export const TestEndpointBody = z.strictObject({ values: z.record(z.string(), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()])).default({}) });

/** Where a chain step's parameter comes from: the action's input, or an earlier step's kept field. */
export const StepInput = z.union([
  z.strictObject({ from: z.literal('input'), name: z.string().min(1).max(64) }),
  z.strictObject({ from: z.literal('step'), step: Id, field: z.string().min(1).max(64) }),
  z.strictObject({ from: z.literal('constant'), value: z.union([z.string().max(2000), z.number(), z.boolean()]) }),
]);
export type StepInput = z.infer<typeof StepInput>;

const RetryPolicy = z.strictObject({ maxAttempts: z.number().int().min(1).max(10), initialIntervalMs: z.number().int().min(50).max(60_000) });

export const ActionStep = z.strictObject({
  id: Id,
  endpointId: z.string().min(1).max(64),
  /** Retries of this step's call; publishing fills it from the endpoint's own policy when absent. */
  retry: RetryPolicy.optional(),
  /** Endpoint parameter -> where its value comes from. Unmapped parameters take the action input of the same name. */
  inputs: z.record(z.string(), StepInput).default({}),
  /**
   * The endpoint's long-running settings as they were when the bot was published (filled by publishing,
   * never by the caller): the run's schedule, deadline and what it says while it waits.
   */
  wait: LongRunning.optional(),
  /** Run (in reverse order) when a later step fails: undoes this step. */
  compensation: z.strictObject({ endpointId: z.string().min(1).max(64), inputs: z.record(z.string(), StepInput).default({}) }).optional(),
});
export type ActionStep = z.infer<typeof ActionStep>;

/** An action a bot can run: one endpoint, or a chain of steps whose later steps use earlier outputs. */
export const ActionBody = z.strictObject({
  id: Id,
  name: z.string().trim().min(1).max(100),
  /** Plain English, for the LLM. */
  description: z.string().max(1000).default(''),
  steps: z.array(ActionStep).min(1).max(10),
  /** Which step's kept fields are the action's outputs (default: the last step's). */
  outputStep: Id.optional(),
});
export type ActionBody = z.infer<typeof ActionBody>;

/** The endpoint fields an OpenAPI import writes (core/openapi-import). */
export type ImportedFields = Pick<CreateEndpointBody, 'name' | 'description' | 'method' | 'path' | 'parameters' | 'responseFields' | 'sideEffects'> & { bodyTemplate?: unknown };

/** What an endpoint remembers of the OpenAPI import that wrote it (re-imports match and merge by it). */
export interface ImportRecord {
  key: string;
  operationId: string | null;
  method: string;
  /** The path as the document writes it. */
  path: string;
  /** What the import wrote, as stored. */
  values: ImportedFields;
  importedAt: Date;
  /** Set when a later import of the document no longer has the operation; cleared when it is back. */
  missingSince: Date | null;
}
