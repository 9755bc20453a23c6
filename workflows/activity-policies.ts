/**
 * The timeouts and retry policy of every activity, stated in one place. Temporal runs activities at
 * least once and retries them by these policies; what is stated here is what every workflow asks for
 * (each `proxyActivities`/`proxyLocalActivities` takes its options from `activityOptions`), and
 * test/unit/activity-policies.test.ts reads it: every registered activity has a policy, every policy
 * says how many attempts (a number, a bound set per endpoint, or "unlimited" with the reason) and which
 * error types are never retried, and the README's table says the same.
 *
 * Activity options are not part of what a replay checks (only the activity's type and id are), so a
 * change here applies to running workflows from their next scheduled activity on.
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';

/** How many attempts an activity gets. */
export type Attempts =
  | { max: number }
  /** Set per endpoint (its `retry.maxAttempts`, frozen into the published version), within 1..max. */
  | { perEndpoint: { max: number; default: number } }
  /** No limit: the reason says why retrying forever is right. */
  | { unlimited: string };

export interface StatedPolicy {
  /** The activity this policy runs (one activity may be run with several policies, e.g. Run Test's single attempt). */
  activity: string;
  /** `local`: runs in the workflow task's worker, retried there (durable timers past localRetryThreshold). */
  kind: 'activity' | 'local';
  attempts: Attempts;
  /** Error types never retried (a business rejection, a refused address): they fail the activity at once. */
  nonRetryable: readonly string[];
  /** Timeouts and backoff. */
  startToCloseTimeout: ActivityOptions['startToCloseTimeout'];
  heartbeatTimeout?: ActivityOptions['heartbeatTimeout'];
  localRetryThreshold?: LocalActivityOptions['localRetryThreshold'];
  backoff: Pick<RetryPolicy, 'initialInterval' | 'backoffCoefficient' | 'maximumInterval'>;
  /**
   * Who bounds all attempts and their backoff together (the schedule-to-close timeout a call passes to
   * `activityOptions`), and with what. Absent: the attempts alone bound it, and no call may set one.
   */
  totalWait?: string;
  /** Why this policy, in one line (shown in the README table). */
  why: string;
}

const TENANT_CALL_NON_RETRYABLE = ['InvalidIdempotencyKey'] as const;
/** completeChat's failures that another attempt cannot fix (activities/llm/errors.ts). */
const LLM_NON_RETRYABLE = ['LlmRejected', 'LlmBlockedAddress', 'LlmKeyUnavailable'] as const;

export const ACTIVITY_POLICIES = {
  saveTurn: {
    activity: 'saveTurn',
    kind: 'local',
    attempts: { unlimited: 'a turn is not done until its transcript is written; every write is idempotent, so a database outage only delays it' },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    localRetryThreshold: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
    why: 'idempotent transcript write of one turn',
  },
  runAction: {
    activity: 'runAction',
    kind: 'local',
    attempts: { unlimited: "the action run is its own workflow with its own retries; a retried attempt re-attaches to the same run id and never runs it twice" },
    nonRetryable: [],
    startToCloseTimeout: '10m',
    localRetryThreshold: '10s',
    backoff: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' },
    why: 'starts (or re-attaches to) the action run and waits for its result',
  },
  describeCalls: {
    activity: 'describeCalls',
    kind: 'local',
    attempts: { max: 3 },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    localRetryThreshold: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s' },
    why: "asks each waiting long-running call's run where it is, for a visitor asking for the status (read-only)",
  },
  callEndpoint: {
    activity: 'callEndpoint',
    kind: 'local',
    attempts: { perEndpoint: { max: 10, default: 3 } },
    nonRetryable: TENANT_CALL_NON_RETRYABLE,
    startToCloseTimeout: '75s',
    // Runs recorded before calls became local activities still schedule activity tasks: the call
    // heartbeats while its request is in flight, so a worker that dies mid-call is noticed in seconds.
    heartbeatTimeout: '5s',
    localRetryThreshold: '2s',
    backoff: { initialInterval: 500, backoffCoefficient: 2, maximumInterval: '10s' },
    why: "5xx, 429 and network errors retry with the endpoint's policy; 4xx, validation and refused addresses are answers, never retried",
  },
  endpointTest: {
    activity: 'callEndpoint',
    kind: 'activity',
    attempts: { max: 1 },
    nonRetryable: TENANT_CALL_NON_RETRYABLE,
    startToCloseTimeout: '75s',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
    why: 'Run Test shows the first answer as it is',
  },
  testConnection: {
    activity: 'testConnection',
    kind: 'activity',
    attempts: { max: 1 },
    nonRetryable: [],
    startToCloseTimeout: '75s',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
    why: 'Test Connection shows the first answer as it is',
  },
  pollJob: {
    activity: 'pollJob',
    kind: 'activity',
    attempts: { max: 5 },
    nonRetryable: [],
    // A connection's timeout is at most 60 s: the poll's request, its call log and a margin.
    startToCloseTimeout: '75s',
    heartbeatTimeout: '5s',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
    why: "one status poll of a long-running call: 5xx, 429 and network errors retry; a 4xx, a redirect, a refused address or a status that is not JSON is a failed job, never retried",
  },
  fetchOpenApiDocument: {
    activity: 'fetchOpenApiDocument',
    kind: 'activity',
    attempts: { max: 2 },
    nonRetryable: [],
    startToCloseTimeout: '30s',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s' },
    why: 'an OpenAPI import fetches the document named by URL; a refusal or an HTTP error is its answer, only a crash is tried again',
  },
  completeChat: {
    activity: 'completeChat',
    kind: 'activity',
    attempts: { max: 4 },
    nonRetryable: LLM_NON_RETRYABLE,
    startToCloseTimeout: '60s',
    heartbeatTimeout: '10s',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s' },
    totalWait: "a Smart AI turn: the bot's maxWaitMs (default 60 s, or timeoutMs when longer); Q&A extraction: none, the attempts bound it",
    why: "429, 5xx and timeouts retry, within a Smart AI turn's maxWaitMs; a rejected request, a 5xx the provider blames on the request, a second 500 with an error text, a refused address or an unopenable key do not (the provider's own timeout plus 5 s bounds each attempt)",
  },
  searchKnowledge: {
    activity: 'searchKnowledge',
    kind: 'local',
    attempts: { max: 3 },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s' },
    why: 'a read; the model gets "no results" after the last attempt',
  },
  loadTranscript: {
    activity: 'loadTranscript',
    kind: 'local',
    attempts: { max: 5 },
    nonRetryable: [],
    startToCloseTimeout: '15s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
    why: 'a read for Q&A extraction',
  },
  saveKnowledgeDrafts: {
    activity: 'saveKnowledgeDrafts',
    kind: 'local',
    attempts: { max: 5 },
    nonRetryable: [],
    startToCloseTimeout: '15s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
    why: 'idempotent insert of the drafts of one analysis',
  },
  deliverWebhook: {
    activity: 'deliverWebhook',
    kind: 'activity',
    attempts: { max: 5 },
    nonRetryable: [],
    startToCloseTimeout: '1m',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
    why: "the endpoint's answer is data (the delivery schedule retries it over days); these retries are for the activity itself (a database read failing)",
  },
  resealBatch: {
    activity: 'resealBatch',
    kind: 'activity',
    attempts: { max: 10 },
    nonRetryable: ['UnknownSealedCollection'],
    startToCloseTimeout: '5m',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
    why: 'key rotation: a batch that keeps failing fails the rotation, and running it again loses nothing',
  },
  loadHandoffSettings: {
    activity: 'loadHandoffSettings',
    kind: 'local',
    attempts: { unlimited: "a handoff's team, reassignment and SLA timers all depend on these settings; two reads by _id, retried until the store answers" },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    localRetryThreshold: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
    why: "a handoff reads the bot's handoff settings with the account's defaults filled in",
  },
  recordSlaSample: {
    activity: 'recordSlaSample',
    kind: 'activity',
    attempts: { unlimited: 'idempotent per sample (its id is recorded, and each aggregate remembers the samples it added), so a store outage only delays the SLA overview' },
    nonRetryable: ['InvalidSlaSample'],
    startToCloseTimeout: '30s',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
    why: 'adds a finished first-response or resolution time to the running SLA aggregates, once',
  },
  loadInbox: {
    activity: 'loadInbox',
    kind: 'activity',
    attempts: { unlimited: 'an inbox dispatcher cannot assign anything before it knows the agents; the read is retried until the store answers' },
    nonRetryable: [],
    startToCloseTimeout: '30s',
    backoff: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
    why: "a starting dispatcher reads the account's agents and open handoffs",
  },
  loadAgents: {
    activity: 'loadAgents',
    kind: 'local',
    attempts: { unlimited: 'the dispatcher acts on agent changes only once it has read them; a read' },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    localRetryThreshold: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
    why: 'the dispatcher rereads the agents a change or a lapsed heartbeat concerns',
  },
  markAgentAway: {
    activity: 'markAgentAway',
    kind: 'local',
    attempts: { unlimited: 'a conditional write, idempotent: the agent is away only if still online with the same heartbeat' },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    localRetryThreshold: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
    why: '`online` lapses to `away` without the inbox page\'s heartbeat',
  },
  inboxAdmins: {
    activity: 'inboxAdmins',
    kind: 'local',
    attempts: { max: 5 },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
    why: 'an SLA escalation names the admins; after the last attempt it names none',
  },
  notifyInbox: {
    activity: 'notifyInbox',
    kind: 'local',
    attempts: { unlimited: 'a handoff that never reaches the dispatcher would wait unassigned; signal-with-start is safe to repeat (the dispatcher ignores what it knows)' },
    nonRetryable: [],
    startToCloseTimeout: '10s',
    localRetryThreshold: '10s',
    backoff: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
    why: "signals the account's inbox dispatcher, starting it when needed",
  },
} as const satisfies Record<string, StatedPolicy>;

export type PolicyName = keyof typeof ACTIVITY_POLICIES;

/** The retry policy a stated policy asks Temporal for. */
export function retryOf(policy: StatedPolicy, perEndpointAttempts?: number): RetryPolicy {
  const { attempts } = policy;
  const maximumAttempts =
    'max' in attempts ? attempts.max : 'perEndpoint' in attempts ? Math.min(Math.max(perEndpointAttempts ?? attempts.perEndpoint.default, 1), attempts.perEndpoint.max) : undefined;
  return { ...policy.backoff, ...(maximumAttempts !== undefined ? { maximumAttempts } : {}), nonRetryableErrorTypes: [...policy.nonRetryable] };
}

/**
 * Options for `proxyActivities`. `overrides` adjusts timeouts and backoff only (a step's interval, a
 * provider's timeout), and the total wait only of a policy that states who sets it (`totalWait`).
 */
export function activityOptions(
  name: PolicyName,
  overrides: { startToCloseTimeout?: ActivityOptions['startToCloseTimeout']; scheduleToCloseTimeout?: ActivityOptions['scheduleToCloseTimeout']; initialInterval?: RetryPolicy['initialInterval']; attempts?: number } = {},
): ActivityOptions {
  const policy: StatedPolicy = ACTIVITY_POLICIES[name];
  if (overrides.scheduleToCloseTimeout !== undefined && policy.totalWait === undefined) throw new TypeError(`the ${name} policy states no total wait: add totalWait to it before a call sets one`);
  const retry = retryOf(policy, overrides.attempts);
  return {
    startToCloseTimeout: overrides.startToCloseTimeout ?? policy.startToCloseTimeout,
    ...(overrides.scheduleToCloseTimeout !== undefined ? { scheduleToCloseTimeout: overrides.scheduleToCloseTimeout } : {}),
    ...(policy.heartbeatTimeout !== undefined ? { heartbeatTimeout: policy.heartbeatTimeout } : {}),
    retry: { ...retry, ...(overrides.initialInterval !== undefined ? { initialInterval: overrides.initialInterval } : {}) },
  };
}

/** Options for `proxyLocalActivities`. */
export function localActivityOptions(name: PolicyName, overrides: { initialInterval?: RetryPolicy['initialInterval']; attempts?: number } = {}): LocalActivityOptions {
  const policy: StatedPolicy = ACTIVITY_POLICIES[name];
  const retry = retryOf(policy, overrides.attempts);
  return {
    startToCloseTimeout: policy.startToCloseTimeout,
    ...(policy.localRetryThreshold !== undefined ? { localRetryThreshold: policy.localRetryThreshold } : {}),
    retry: { ...retry, ...(overrides.initialInterval !== undefined ? { initialInterval: overrides.initialInterval } : {}) },
  };
}
