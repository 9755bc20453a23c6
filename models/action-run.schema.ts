/**
 * An action run's input and result (workflows/api-chain.ts runs it; activities/action-run.ts starts it
 * and hands its result to the conversation). Types only, shared by workflows and activities.
 */
import type { ActionBody } from './connection.schema';
import type { VariableValue } from './flow.schema';

export interface ApiChainInput {
  accountId: string;
  action: ActionBody;
  inputs: Record<string, VariableValue>;
  conversationId?: string;
  /** The conversation's contact, for endpoint parameters whose source is the contact. */
  contact?: { name?: string; email?: string; phone?: string };
}

export type ApiChainResult =
  | { ok: true; outputs: Record<string, VariableValue> }
  | {
      ok: false;
      /** A long-running call that was cancelled (by the visitor or the conversation's close) or passed its deadline. */
      ended?: 'cancelled' | 'timed_out';
      /** For the operator (first, so the Web UI shows it first): which step failed and why, in plain words. */
      reason: string;
      /** For the visitor: safe to show as is. */
      error: string;
      failedStep: string;
      compensated: string[];
    };
