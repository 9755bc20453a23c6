/**
 * An activity inbound interceptor that counts and times every activity attempt (worker/metrics.ts), and
 * for `callEndpoint` (the one activity that calls tenant APIs) also its outcome and failure code, and for
 * `deliverWebhook` the endpoints it disabled. It
 * wraps the activity function from the outside, so activity code knows nothing of metrics. Temporal runs
 * activities at least once: the counts are of attempts, a retried call counts each time.
 */
import type { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import type { CallEndpointFailureCode } from '../activities/http/call-endpoint';
import type { WorkerMetrics } from './metrics';
import { tenancyChecked } from '../models/tenancy';

/** The activity that calls tenant APIs (workflows/api-chain.ts and workflows/tests.ts). */
const CALL_ENDPOINT = 'callEndpoint';
/** The webhook delivery attempt, which may disable its endpoint. */
const DELIVER_WEBHOOK = 'deliverWebhook';

/** Every failure code `callEndpoint` answers with, so a label can only take one of these values. */
const FAILURE_CODES = new Set<string>(
  Object.keys({
    not_found: true,
    credentials_unavailable: true,
    missing_value: true,
    invalid_value: true,
    bad_endpoint: true,
    blocked_address: true,
    redirect: true,
    http_4xx: true,
    response_too_large: true,
    invalid_response: true,
    validation_failed: true,
    http_5xx: true,
    rate_limited: true,
    timeout: true,
    network: true,
  } satisfies Record<CallEndpointFailureCode, true>),
);

/**
 * `interceptors.activity`: every activity runs with its queries checked for their account scope
 * (models/tenancy.ts; enforced in tests, off in production unless PARLEY_TENANCY_GUARD says otherwise).
 */
export const tenancyInterceptors: ActivityInterceptorsFactory = () => ({
  inbound: { execute: (input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) => tenancyChecked(() => next(input)) },
});

/** `interceptors.activity` of the worker: one metrics interceptor per activity execution. */
export function activityMetricsInterceptors(metrics: WorkerMetrics): ActivityInterceptorsFactory {
  return (ctx: Context) => ({ inbound: new ActivityMetricsInterceptor(metrics, ctx.info.activityType) });
}

class ActivityMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly metrics: WorkerMetrics,
    private readonly activity: string,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const end = this.metrics.activityDuration.startTimer({ activity: this.activity });
    try {
      const result = await next(input);
      this.metrics.activities.inc({ activity: this.activity, outcome: 'ok' });
      if (this.activity === CALL_ENDPOINT) this.countAction(input, result);
      if (this.activity === DELIVER_WEBHOOK) this.countDisabledEndpoint(result);
      return result;
    } catch (error) {
      const outcome = error instanceof CancelledFailure ? 'cancelled' : 'error';
      this.metrics.activities.inc({ activity: this.activity, outcome });
      if (this.activity === CALL_ENDPOINT) this.countAction(input, undefined, outcome);
      throw error;
    } finally {
      end();
    }
  }

  /** A delivery attempt that disabled its endpoint says why (activities/webhooks.ts `disabledReason`). */
  private countDisabledEndpoint(result: unknown): void {
    const reason = (result as { disabledReason?: unknown } | undefined)?.disabledReason;
    if (reason === 'gone' || reason === 'failing') this.metrics.webhookEndpointsDisabled.inc({ reason });
  }

  /** A call that returned (`ok: true` or a failure answer), or one that threw (`error`, `cancelled`). */
  private countAction(input: ActivityExecuteInput, result: unknown, thrown?: 'error' | 'cancelled'): void {
    const kind = (input.args[0] as { kind?: unknown } | undefined)?.kind === 'endpoint_test' ? 'endpoint_test' : 'conversation';
    if (thrown) {
      this.metrics.actions.inc({ kind, outcome: thrown });
      if (thrown === 'error') this.metrics.actionFailures.inc({ kind, code: 'error' });
      return;
    }
    const answer = result as { ok?: unknown; code?: unknown } | undefined;
    if (answer?.ok === true) {
      this.metrics.actions.inc({ kind, outcome: 'ok' });
      return;
    }
    this.metrics.actions.inc({ kind, outcome: 'failed' });
    this.metrics.actionFailures.inc({ kind, code: typeof answer?.code === 'string' && FAILURE_CODES.has(answer.code) ? answer.code : 'other' });
  }
}
