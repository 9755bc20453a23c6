/**
 * How an API action runs (issue 10's latency work), read from the real histories: the conversation
 * starts the action's run from a local activity with Eager Workflow Start (no child workflow), the server
 * hands the run's first workflow task straight to this worker, and the run makes its call as a local
 * activity, so it completes in that one task. The run is still its own workflow with its search
 * attributes, and a retried start finds the same run (never a second call). Conversations recorded the
 * old way (a child workflow per action) replay in test/integration/replay.test.ts (smart-ai-booking).
 */
import { createServer, type Server } from 'node:http';
import { Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { createActionRunActivities } from '../../activities/action-run';
import { eventually, publishedFlowBot, signUp, startStack, type Http, type Stack } from '../harness';
import { listenTenantUrl } from '../tenant-ports';

let stack: Stack;
let api: Http;
let accountId: string;
let botId: string;
let tenant: Server;
let calls = 0;

beforeAll(async () => {
  tenant = createServer((req, res) => {
    calls++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ first_slot: '09:00' }));
  });
  const base = await listenTenantUrl(tenant);
  stack = await startStack();
  ({ api, accountId } = await signUp(stack.baseUrl));
  const conn = (await api.post('/v1/connections', { name: 'Slots', baseUrl: base, auth: { type: 'none' }, allowPrivateNetwork: true })).body.connection.id;
  const endpoint = (await api.post(`/v1/connections/${conn}/endpoints`, { name: 'First slot', method: 'GET', path: '/slots', responseFields: [{ name: 'first_slot', path: '$.first_slot' }] })).body.endpoint.id;
  expect((await api.post('/v1/actions', { id: 'slots', name: 'First slot', steps: [{ id: 'get', endpointId: endpoint }] })).status).toBe(201);
  botId = await publishedFlowBot(api, {
    flows: [
      {
        id: 'slots',
        name: 'Slots',
        trigger: { keywords: ['slot'] },
        startBlockId: 'call',
        blocks: [
          { id: 'call', type: 'api_call', action: 'slots', outputs: { slot: 'first_slot' }, next: 'done', onFailure: 'ko' },
          { id: 'done', type: 'end', text: 'First slot {{slot}}' },
          { id: 'ko', type: 'end', text: 'failed' },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => tenant?.close(r));
});

type Event = { eventType?: unknown; workflowExecutionStartedEventAttributes?: { eagerExecutionAccepted?: boolean | null } | null; markerRecordedEventAttributes?: { markerName?: string | null } | null };
/** Event type names (`EVENT_TYPE_WORKFLOW_TASK_COMPLETED`, ...): histories carry the enum's numbers. */
const eventTypes = (events: Event[]): string[] => events.map((e) => (typeof e.eventType === 'number' ? proto.api.enums.v1.EventType[e.eventType] : String(e.eventType)) ?? '');
const has = (events: Event[], type: string): boolean => eventTypes(events).some((t) => t === type || t.endsWith(type));

describe('action runs', () => {
  it('start eagerly from the conversation and complete in their first workflow task', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'v1', message: { type: 'text', text: 'first slot please' } });
    expect(start.status).toBe(201);
    expect(start.body.replies.at(-1).text).toBe('First slot 09:00');
    const conversationWorkflowId = `conversation-${start.body.conversation.id}`;

    const run = await eventually(async () => {
      const found = [];
      for await (const r of stack.temporal.workflow.list({ query: `ParleyAccountId = '${accountId}' AND ParleyAction = 'slots' AND ParleyStatus = 'succeeded'` })) found.push(r);
      return found[0];
    }, 20_000, 'the action run in visibility');
    expect(run.workflowId.startsWith(`${conversationWorkflowId}-action-`)).toBe(true);
    expect(run.memo).toEqual({ conversationWorkflowId });

    const runHistory = (await stack.temporal.workflow.getHandle(run.workflowId).fetchHistory()).events as Event[];
    // The server accepted the eager start: the first task came back in the start response.
    expect(runHistory[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted).toBe(true);
    // The call is a local activity (a marker), not an activity task; one workflow task did everything.
    expect(eventTypes(runHistory).at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(has(runHistory, 'ACTIVITY_TASK_SCHEDULED')).toBe(false);
    expect(runHistory.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length).toBe(1);
    expect(eventTypes(runHistory).filter((t) => t.endsWith('WORKFLOW_TASK_COMPLETED'))).toHaveLength(1);
    // Nothing else in that task: no patch markers (each would also upsert TemporalChangeVersion), one
    // upsert of the run's final status.
    expect(eventTypes(runHistory).filter((t) => t.endsWith('MARKER_RECORDED'))).toHaveLength(1);
    expect(eventTypes(runHistory).filter((t) => t.endsWith('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'))).toHaveLength(1);
    expect(run.type).toBe('actionRunWorkflow');

    // The conversation started no child workflow: a local activity started and awaited the run.
    const conversationHistory = (await stack.temporal.workflow.getHandle(conversationWorkflowId).fetchHistory()).events as Event[];
    expect(has(conversationHistory, 'START_CHILD_WORKFLOW_EXECUTION_INITIATED')).toBe(false);
    expect(conversationHistory.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toBe(true);
  });

  it('find the same run when the start is retried, and call the tenant once', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'v2', message: { type: 'text', text: 'slot' } });
    expect(start.body.replies.at(-1).text).toBe('First slot 09:00');
    const run = await eventually(async () => {
      const found = [];
      for await (const r of stack.temporal.workflow.list({ query: `ParleyAccountId = '${accountId}' AND ParleyAction = 'slots' AND ParleyStatus = 'succeeded'` })) {
        if (r.workflowId.startsWith(`conversation-${start.body.conversation.id}-`)) found.push(r);
      }
      return found[0];
    }, 20_000, 'the run');
    const before = calls;
    // The local activity's second attempt (its worker died after starting the run): same id, same result.
    const connection = await NativeConnection.connect({ address: stack.temporalAddress });
    try {
      const { runAction } = createActionRunActivities({ temporal: new Client({ connection }), taskQueue: stack.taskQueue });
      const again = await runAction({
        workflowId: run.workflowId,
        input: { accountId, action: { id: 'slots', name: 'First slot', steps: [] } as never, inputs: {} },
        labels: { accountId, botId, channel: 'api', actionId: 'slots' },
        conversationWorkflowId: `conversation-${start.body.conversation.id}`,
      });
      expect(again).toEqual({ ok: true, outputs: { first_slot: '09:00' } });
    } finally {
      await connection.close();
    }
    expect(calls).toBe(before);
  });
});
