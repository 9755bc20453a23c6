/**
 * Product limits shared by the API's validation, the activities and workflow code. No imports here
 * (zod least of all): everything a workflow imports is evaluated again for every new workflow run.
 */
export const LIMITS = {
  /** Longest visitor or bot message text, in characters. */
  messageText: 4000,
  /** Longest client-supplied message id. */
  clientMessageId: 128,
  /** Variables passed at conversation start. */
  variables: 50,
  variableValue: 1000,
  /** Inactivity timeout bounds, in seconds (1 second to 7 days). */
  inactivityTimeoutMin: 1,
  inactivityTimeoutMax: 7 * 24 * 3600,
  pageSizeMax: 200,
} as const;

/**
 * How long one Smart AI call waits on the model over all its attempts and their backoff (a bot's
 * `maxWaitMs`, the completeChat activity's schedule-to-close timeout), in milliseconds.
 */
export const AI_WAIT_LIMITS = { min: 1_000, max: 300_000, default: 60_000 } as const;

/**
 * A bot's `maxWaitMs`. Settings saved and versions published before it existed wait the default, or one
 * whole request (`timeoutMs`) when that is longer, so no bot's request is cut shorter than it was.
 */
export const maxWaitMsOf = (ai: { timeoutMs: number; maxWaitMs?: number | null }): number => ai.maxWaitMs ?? Math.max(AI_WAIT_LIMITS.default, ai.timeoutMs);

/** Limits of the knowledge base, shared by the API, the activities, the knowledge workflow and the tests. */
export const KNOWLEDGE_LIMITS = {
  title: 200,
  content: 20_000,
  category: 100,
  tag: 50,
  tags: 20,
  /** Items in one `POST /v1/knowledge/import`. */
  importItems: 500,
  /** Items one account keeps: search indexes are built in memory (5,000 items of ~2 kB build in ~2 s). */
  itemsPerAccount: 5000,
  query: 500,
  searchLimitMax: 20,
  searchLimitDefault: 5,
  /** Content characters a search hit carries: enough to answer from, short enough for a prompt. */
  hitContent: 1500,
} as const;

/**
 * Delays before each attempt, in milliseconds: the Standard Webhooks schedule (immediately, 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h). Eight attempts over about 28 hours.
 */
export const STANDARD_RETRY_SCHEDULE_MS: readonly number[] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/**
 * Delays before each attempt of `eventDeliveryWorkflow`, in milliseconds, before jitter: the Standard
 * Webhooks schedule, then 12 h, 12 h and 20 h. Eleven attempts over 71.6 hours, about three days, after
 * which the endpoint is disabled (README, "Webhooks and streaming").
 */
export const WEBHOOK_RETRY_SCHEDULE_MS: readonly number[] = [...STANDARD_RETRY_SCHEDULE_MS, 43_200_000, 43_200_000, 72_000_000];

/** Bounds of webhook delivery, shared by the delivery workflow, its activity and the API. */
export const WEBHOOK_LIMITS = {
  /** Each wait is spread by up to ±10%: retries of endpoints that failed together do not return together. */
  jitter: 0.1,
  /** Longest Retry-After (429 or 503) honoured: a receiver can stretch one wait to an hour, no more. */
  retryAfterMaxMs: 3_600_000,
  /** Missed events kept per disabled endpoint, and the most one replay re-queues. */
  missedEvents: 1000,
} as const;
