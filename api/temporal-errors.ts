import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { AppError } from './errors';

/** True when the call ran out of its bounded wait (the Update may still complete later). */
export function isWaitExpired(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = (error as { code?: number }).code;
  // gRPC DEADLINE_EXCEEDED (4) or CANCELLED (1) from the client's own deadline.
  return isGrpcServiceError(error) && (code === 4 || code === 1);
}

/**
 * Maps what Temporal answered about a conversation Update to the API's errors. Returns undefined for
 * errors that are not the caller's fault (the route then lets them become a 500/503).
 */
export function conversationUpdateError(error: unknown): AppError | undefined {
  if (error instanceof WorkflowNotFoundError) return closedError();
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === 'ConversationClosed') return closedError();
      if (cause.type === 'InvalidMessage') return new AppError(400, 'invalid_message', cause.message);
      if (cause.type === 'ConfirmationMismatch') return new AppError(409, 'confirmation_mismatch', cause.message);
      if (cause.type === 'NotInHandoff') return new AppError(409, 'not_in_handoff', 'the conversation is not handed off to a person; the bot is answering');
    }
    return undefined;
  }
  const message = (error as Error | undefined)?.message ?? '';
  if (/workflow execution already completed|workflow.*(completed|closed|terminated)/i.test(message)) return closedError();
  if (isGrpcServiceError(error) && (error as { code?: number }).code === 14) {
    return new AppError(503, 'temporal_unavailable', 'the conversation engine is unreachable; try again shortly');
  }
  return undefined;
}

function closedError(): AppError {
  return new AppError(409, 'conversation_closed', 'the conversation is closed; start a new one');
}
