/**
 * "Run Test" and "Test Connection": the API never calls a tenant itself, so these run as short workflows
 * whose one activity goes through the same outbound path (and call log) as a conversation's calls.
 * One attempt only: the person testing wants to see what happened, not a retry.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import type { VariableValue } from '../models/flow.schema';
import { activityOptions } from './activity-policies';

const { callEndpoint } = proxyActivities<ConversationActivities>(activityOptions('endpointTest'));
const { testConnection } = proxyActivities<ConversationActivities>(activityOptions('testConnection'));

export async function endpointTestWorkflow(input: { accountId: string; endpointId: string; values: Record<string, VariableValue> }) {
  return callEndpoint({ ...input, kind: 'endpoint_test', idempotencyKey: workflowInfo().workflowId });
}

export async function connectionTestWorkflow(input: { accountId: string; connectionId: string }) {
  return testConnection(input);
}
