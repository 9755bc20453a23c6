/**
 * Expiry without TTL indexes (FerretDB has none): the API's hourly clean-up deletes events and webhook
 * delivery logs past the retention, but never an event still waiting to be handed to its webhooks.
 */
import { purgeOldEvents } from '../../models/webhook.model';
import { startStack, type Stack } from '../harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true });
});
afterAll(() => stack?.stop());

const DAY = 24 * 3600_000;

it('deletes old dispatched events and old delivery logs, and keeps the rest', async () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const old = new Date(now.getTime() - 31 * DAY);
  const recent = new Date(now.getTime() - 29 * DAY);
  const event = (id: string, createdAt: Date, dispatched: boolean) => ({ _id: id, accountId: 'acct_r', conversationId: `conv_${id}`, botId: 'bot_r', position: 0, type: 'conversation.started', data: {}, createdAt, dispatched });
  await stack.deps.Event.collection.insertMany([event('old', old, true), event('recent', recent, true), event('pending', old, false)] as never[]);
  const delivery = (id: string, createdAt: Date) => ({ _id: id, accountId: 'acct_r', endpointId: 'wh_r', workflowId: `wf_${id}`, attempt: 1, createdAt });
  await stack.deps.WebhookDelivery.collection.insertMany([delivery('d_old', old), delivery('d_recent', recent)] as never[]);

  expect(await purgeOldEvents(stack.deps, 30, now)).toEqual({ events: 1, deliveries: 1 });
  expect((await stack.deps.Event.find({}, { _id: 1 }).sort({ _id: 1 }).lean()).map((e) => e._id)).toEqual(['pending', 'recent']);
  expect((await stack.deps.WebhookDelivery.find({}, { _id: 1 }).lean()).map((d) => d._id)).toEqual(['d_recent']);
  // Running it again changes nothing.
  expect(await purgeOldEvents(stack.deps, 30, now)).toEqual({ events: 0, deliveries: 0 });
});
