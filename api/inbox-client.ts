/**
 * How the API tells an account's inbox dispatcher (workflows/inbox.ts); `taskQueue` is the API's TASK_QUEUE about changes: signal-with-start,
 * so a dispatcher that is not running (a new account, or one that ended idle) starts and loads its state.
 */
import type { Client } from '@temporalio/client';
import { inboxAgentChangedSignal, inboxWorkflowId } from '../workflows/definitions';

/** An agent's record changed in MongoDB (availability, capacity, teams, deactivated): the dispatcher reloads it. */
export async function inboxAgentChanged(temporal: Client, taskQueue: string, accountId: string, agentId: string): Promise<void> {
  await temporal.workflow.signalWithStart('inboxWorkflow', {
    workflowId: inboxWorkflowId(accountId),
    taskQueue,
    args: [{ accountId }],
    signal: inboxAgentChangedSignal,
    signalArgs: [{ agentId }],
  });
}
