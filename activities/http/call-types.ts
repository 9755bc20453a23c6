/**
 * What `callEndpoint` (./call-endpoint.ts) takes and answers: shared with the outcome reading
 * (./outcome.ts) and long-running calls (./long-running.ts) without importing the activity itself.
 */
import type { VariableValue } from '../../models/flow.schema';
import type { CallbackBinding } from '../../models/long-running.schema';

export interface CallEndpointInput {
  accountId: string;
  endpointId: string;
  /** Parameter values by name (flow variables, LLM arguments, constants, earlier steps' fields). */
  values: Record<string, VariableValue>;
  /** Sent as `Idempotency-Key` on non-GET calls; derive it from conversation, step and call so retries share it. */
  idempotencyKey?: string;
  /** `endpoint_test` (Run Test) also returns the response body, and reports transient failures instead of throwing. */
  kind: 'conversation' | 'endpoint_test';
  conversationId?: string;
  workflowId?: string;
  /** The conversation's contact as given at start: the only source of `contact` parameters. */
  contact?: { name?: string; email?: string; phone?: string };
  /** A callback-mode long-running call: the activity mints the one-time callback URL bound to this (never in history). */
  callback?: CallbackBinding;
}

export type CallEndpointFailureCode =
  | 'not_found'
  | 'credentials_unavailable'
  | 'missing_value'
  | 'invalid_value'
  | 'bad_endpoint'
  | 'blocked_address'
  | 'redirect'
  | 'http_4xx'
  | 'response_too_large'
  | 'invalid_response'
  | 'validation_failed'
  // Only for `endpoint_test`; a conversation's call throws these for Temporal to retry:
  | 'http_5xx'
  | 'rate_limited'
  | 'timeout'
  | 'network';

export type CallEndpointResult =
  | {
      ok: true;
      status: number;
      fields: Record<string, VariableValue>;
      durationMs: number;
      body?: unknown;
      /** A polled long-running call: the job reference its first response named (a body field or the Location header). */
      job?: string;
    }
  | {
      ok: false;
      status?: number;
      code: CallEndpointFailureCode;
      /** Visitor-safe: may be shown to the visitor (a flow's `{{last_error}}`) and the LLM. */
      message: string;
      /**
       * For the operator reading the run in the Web UI: what happened on which call, in plain words
       * (operator-reason.ts), never a secret nor visitor data. Absent in results recorded by older workers.
       */
      reason?: string;
    };
