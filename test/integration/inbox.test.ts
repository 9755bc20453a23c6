/**
 * The inbox on the real stack: handoffs assigned by the account's dispatcher workflow to online agents
 * (team first, least loaded, round-robin on ties), claims and admin assignments that never assign twice,
 * notes kept from the visitor, agent replies that record their agent, release freeing the slot, what an
 * agent's token sees (its teams, its account), and a killed worker or a lost dispatcher that lose nothing.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startTemporal } from '../../scripts/lib/infra';
import { inboxStateQuery, inboxWorkflowId } from '../../workflows/definitions';
import { eventually, http, publishedFlowBot, signUp, startStack, testEnv, type Http, type Stack } from '../harness';

const FLOWS = {
  flows: [
    {
      id: 'human',
      name: 'Talk to a person',
      trigger: { keywords: ['human'] },
      startBlockId: 'handoff',
      blocks: [{ id: 'handoff', type: 'handoff', text: 'Connecting you to a colleague.', reason: 'visitor asked' }],
    },
  ],
};
const PASSWORD = 'a long agent password';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

interface Agent {
  id: string;
  client: Http;
}

async function agentOf(api: Http, fields: Record<string, unknown> = {}, on: Stack = stack): Promise<Agent> {
  const invited = await api.post('/v1/agents', { name: 'Agent', email: `agent+${randomBytes(5).toString('hex')}@example.com`, ...fields });
  expect(invited.status).toBe(201);
  const accepted = await http(on.baseUrl).post('/v1/agent-auth/accept', { token: invited.body.invite.token, password: PASSWORD });
  expect(accepted.status).toBe(200);
  return { id: invited.body.agent.id, client: http(on.baseUrl, accepted.body.accessToken) };
}

async function setAvailability(agent: Agent, availability: 'online' | 'away' | 'offline'): Promise<void> {
  const res = await agent.client.patch('/v1/agents/me', { availability });
  expect(res.status).toBe(200);
}

/** A visitor asks for a person: a new handed-off conversation of `botId`. */
async function handoff(api: Http, botId: string): Promise<string> {
  const started = await api.post('/v1/conversations', { botId, externalUserId: `visitor-${randomBytes(4).toString('hex')}`, message: { type: 'text', text: 'human please' } });
  expect(started.status).toBe(201);
  const id = started.body.conversation.id as string;
  // The turn is written before the answer: the conversation is handed off by now.
  expect((await api.get(`/v1/conversations/${id}`)).body.conversation.status).toBe('handoff');
  return id;
}

const holderOf = async (conversationId: string, on: Stack = stack): Promise<string | undefined> => {
  const doc = await on.deps.Conversation.findOne({ _id: conversationId }).lean();
  return doc?.inbox === 'assigned' ? doc.assignedAgentId : undefined;
};
const assignedTo = (conversationId: string, agentId: string, on: Stack = stack) => eventually(async () => (await holderOf(conversationId, on)) === agentId, 30_000, `${conversationId} assigned to ${agentId}`);

async function account(name: string) {
  const { api, accountId } = await signUp(stack.baseUrl, name);
  const botId = await publishedFlowBot(api, FLOWS, { name: `${name} bot` });
  return { api, accountId, botId };
}

describe('assignment', () => {
  it('gives each handoff to an online agent with room: the least loaded, round-robin on ties', async () => {
    const { api, accountId, botId } = await account('Assign Co');
    const ada = await agentOf(api, { capacity: 2 });
    const bob = await agentOf(api, { capacity: 2 });
    await setAvailability(ada, 'online');
    await setAvailability(bob, 'online');
    const first = await handoff(api, botId);
    const firstHolder = await eventually(() => holderOf(first), 20_000, 'first assigned');
    const second = await handoff(api, botId);
    const secondHolder = await eventually(() => holderOf(second), 20_000, 'second assigned');
    // The least loaded takes the second.
    expect(secondHolder).not.toBe(firstHolder);
    // Equal load: the one assigned longest ago (round-robin).
    const third = await handoff(api, botId);
    expect(await eventually(() => holderOf(third), 20_000, 'third assigned')).toBe(firstHolder);
    // Both full (capacity 2 each) after a fourth; a fifth waits.
    const fourth = await handoff(api, botId);
    expect(await eventually(() => holderOf(fourth), 20_000, 'fourth assigned')).toBe(secondHolder);
    const fifth = await handoff(api, botId);
    const inbox = await eventually(async () => {
      const res = await api.get('/v1/inbox');
      return res.body.counts.waiting === 1 && res.body.counts.others === 4 ? res.body : undefined;
    });
    expect(inbox.waiting.map((c: { conversationId: string }) => c.conversationId)).toEqual([fifth]);
    expect(inbox.waiting[0]).toMatchObject({ inbox: 'waiting', assignedAgentId: null, botId, team: null, sla: { state: 'none' } });
    const mine = await ada.client.get('/v1/inbox');
    expect(mine.status).toBe(200);
    expect(mine.body.mine).toHaveLength(2);
    expect(mine.body.others).toBeNull();

    // A release frees a slot: the waiting one goes to that agent.
    const freed = mine.body.mine[0].conversationId as string;
    expect((await ada.client.post(`/v1/conversations/${freed}/release`)).status).toBe(200);
    await assignedTo(fifth, ada.id);
    const state = await stack.temporal.workflow.getHandle(inboxWorkflowId(accountId)).query(inboxStateQuery);
    expect(state.waiting).toEqual([]);
    expect(Object.keys(state.assigned).sort()).toEqual([first, second, third, fourth, fifth].filter((id) => id !== freed).sort());
  });

  it('goes to the team first, and an agent sees only their teams\' queue', async () => {
    const { api, botId } = await account('Teams Co');
    expect((await api.put(`/v1/bots/${botId}/handoff`, { team: 'sales' })).status).toBe(200);
    const support = await agentOf(api, { teams: ['support'] });
    const sales = await agentOf(api, { teams: ['sales'] });
    const general = await agentOf(api);
    const id = await handoff(api, botId);
    // Nobody online: it waits; the support agent does not even see it.
    const supportView = await support.client.get('/v1/inbox');
    expect(supportView.body.waiting).toEqual([]);
    expect((await support.client.get(`/v1/conversations/${id}`)).status).toBe(404);
    expect((await support.client.post(`/v1/conversations/${id}/claim`)).status).toBe(404);
    const salesView = await sales.client.get('/v1/inbox');
    expect(salesView.body.waiting.map((c: { conversationId: string }) => c.conversationId)).toEqual([id]);
    expect(salesView.body.waiting[0].team).toBe('sales');
    // Online: the team's agent takes the team's handoffs first, even with more load than an agent without a team.
    await setAvailability(sales, 'online');
    await assignedTo(id, sales.id);
    await setAvailability(support, 'online');
    await setAvailability(general, 'online');
    const next = await handoff(api, botId);
    await assignedTo(next, sales.id);
    // No team agent online: an agent without a team takes them (never the support agent).
    await setAvailability(sales, 'away');
    await assignedTo(id, general.id);
    await assignedTo(next, general.id);
    expect((await support.client.get('/v1/inbox')).body.mine).toEqual([]);
  });
});

describe('claims, assignments, notes and replies', () => {
  it('claims once, assigns by admin, keeps notes from the visitor, and records who answered', async () => {
    const { api, botId } = await account('Claims Co');
    const ada = await agentOf(api);
    const bob = await agentOf(api);
    const admin = await agentOf(api, { role: 'admin' });
    const id = await handoff(api, botId);
    const [one, two] = await Promise.all([ada.client.post(`/v1/conversations/${id}/claim`), bob.client.post(`/v1/conversations/${id}/claim`)]);
    // Exactly one claim wins, whatever the order.
    expect([one.status, two.status].sort()).toEqual([200, 409]);
    const winner = one.status === 200 ? ada : bob;
    const loser = winner === ada ? bob : ada;
    expect((one.status === 409 ? one : two).body.code).toBe('already_assigned');
    await assignedTo(id, winner.id);
    // The loser no longer sees it; a plain agent cannot assign.
    expect((await loser.client.get(`/v1/conversations/${id}`)).status).toBe(404);
    expect((await loser.client.post(`/v1/conversations/${id}/assign`, { agentId: loser.id })).status).toBe(403);

    const reply = await winner.client.post(`/v1/conversations/${id}/agent-messages`, { message: { type: 'text', text: 'Hello, I am here.' } });
    expect(reply.status).toBe(201);
    expect(reply.body.message).toMatchObject({ role: 'agent', agentId: winner.id });
    const note = await winner.client.post(`/v1/conversations/${id}/notes`, { note: { type: 'text', text: 'VIP customer, be nice' } });
    expect(note.status).toBe(201);
    expect(note.body.message).toMatchObject({ role: 'note', agentId: winner.id, text: 'VIP customer, be nice' });

    // The visitor's transcript (API channel, widget) has no note; the team's has it, in order.
    const visitorView = await api.get(`/v1/conversations/${id}/messages`);
    // (the bot's greeting and its handoff message, then the agent)
    expect(visitorView.body.data.map((m: { role: string }) => m.role)).toEqual(['visitor', 'bot', 'bot', 'agent']);
    const teamView = await winner.client.get(`/v1/conversations/${id}/messages?include=notes`);
    expect(teamView.body.data.map((m: { role: string }) => m.role)).toEqual(['visitor', 'bot', 'bot', 'agent', 'note']);
    expect(teamView.body.data[3].agentId).toBe(winner.id);
    // Notes go out as note.created, never as message.created.
    const events = await stack.deps.Event.find({ conversationId: id }).sort({ position: 1 }).lean();
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['conversation.handoff', 'conversation.assigned', 'note.created']));
    expect(events.filter((e) => e.type === 'message.created').map((e) => (e.data as { message: { role: string } }).message.role)).toEqual(['visitor', 'bot', 'bot', 'agent']);

    // An admin reassigns it to the other agent, then puts it back in the queue.
    const moved = await admin.client.post(`/v1/conversations/${id}/assign`, { agentId: loser.id });
    expect(moved.status).toBe(200);
    await assignedTo(id, loser.id);
    expect((await api.post(`/v1/conversations/${id}/assign`, { agentId: null })).status).toBe(200);
    await eventually(async () => (await stack.deps.Conversation.findOne({ _id: id }).lean())?.inbox === 'waiting');
    const adminView = await admin.client.get('/v1/inbox');
    expect(adminView.body.waiting.map((c: { conversationId: string }) => c.conversationId)).toContain(id);
    // Release to the bot: the conversation leaves the inbox.
    expect((await admin.client.post(`/v1/conversations/${id}/release`)).status).toBe(200);
    await eventually(async () => (await stack.deps.Conversation.findOne({ _id: id }).lean())?.inbox === undefined);
    expect((await api.post(`/v1/conversations/${id}/claim`)).status).toBe(403); // an API key assigns, it does not claim
  });

  it('an agent of one account sees nothing of another', async () => {
    const a = await account('Iso A');
    const b = await account('Iso B');
    const agentB = await agentOf(b.api, { role: 'admin' });
    const id = await handoff(a.api, a.botId);
    for (const res of [
      await agentB.client.get(`/v1/conversations/${id}`),
      await agentB.client.get(`/v1/conversations/${id}/messages`),
      await agentB.client.post(`/v1/conversations/${id}/claim`),
      await agentB.client.post(`/v1/conversations/${id}/notes`, { note: { type: 'text', text: 'x' } }),
      await agentB.client.post(`/v1/conversations/${id}/agent-messages`, { message: { type: 'text', text: 'x' } }),
    ]) {
      expect(res.status).toBe(404);
    }
    const inbox = await agentB.client.get('/v1/inbox');
    expect([...inbox.body.waiting, ...inbox.body.mine, ...inbox.body.others].map((c: { conversationId: string }) => c.conversationId)).not.toContain(id);
  });
});

describe('durability', () => {
  it('a killed worker and a lost dispatcher neither lose nor double-assign a waiting conversation', async () => {
    const { api, accountId, botId } = await account('Durable Co');
    const ada = await agentOf(api, { capacity: 5 });
    const ids = [await handoff(api, botId), await handoff(api, botId)];
    // The worker dies; the agent comes online meanwhile (the signal waits in Temporal).
    await stack.stopWorker();
    await setAvailability(ada, 'online');
    await stack.startWorker();
    for (const id of ids) await assignedTo(id, ada.id);
    // The dispatcher itself is lost: the next signal starts a new one, which rebuilds from the store.
    await stack.temporal.workflow.getHandle(inboxWorkflowId(accountId)).terminate('test: a lost dispatcher');
    const third = await handoff(api, botId);
    await assignedTo(third, ada.id);
    const state = await stack.temporal.workflow.getHandle(inboxWorkflowId(accountId)).query(inboxStateQuery);
    expect(state.assigned).toEqual(Object.fromEntries([...ids, third].map((id) => [id, ada.id])));
    expect(state.agents.find((a) => a.agentId === ada.id)?.load.sort()).toEqual([...ids, third].sort());
    // Each conversation heard of its assignment once.
    for (const id of ids) {
      const assigned = await stack.deps.Event.countDocuments({ conversationId: id, type: 'conversation.assigned' });
      expect(assigned).toBe(1);
    }
  });

  it('an agent who goes away gives their conversations back to the queue', async () => {
    const { api, botId } = await account('Away Co');
    const ada = await agentOf(api);
    const bob = await agentOf(api);
    await setAvailability(ada, 'online');
    const id = await handoff(api, botId);
    await assignedTo(id, ada.id);
    await setAvailability(bob, 'online');
    await setAvailability(ada, 'away');
    await assignedTo(id, bob.id);
  });

  it('a SIGKILLed worker process and a restarted Temporal server neither lose nor double-assign', async () => {
    const dir = fs.mkdtempSync(path.join(testEnv('PARLEY_TEST_DIR'), 'inbox-restart-'));
    const port = await freePort();
    const dbFile = path.join(dir, 'temporal.db');
    let temporal = await startTemporal({ port, dbFile, logFile: path.join(dir, 'temporal.log') });
    const own = await startStack({ temporalAddress: temporal.address, withoutWorker: true, api: { REPLY_WAIT_MS: '15000' } });
    let worker = await own.spawnWorkerProcess();
    try {
      const { api, accountId } = await signUp(own.baseUrl, 'Restart Co');
      const botId = await publishedFlowBot(api, FLOWS, { name: 'Restart bot' });
      const ada = await agentOf(api, { capacity: 5 }, own);
      await ada.client.patch('/v1/agents/me', { availability: 'online' });
      const start = async () => (await api.post('/v1/conversations', { botId, externalUserId: `v-${randomBytes(4).toString('hex')}`, message: { type: 'text', text: 'human' } })).body.conversation.id as string;
      const first = [await start(), await start()];
      for (const id of first) await assignedTo(id, ada.id, own);

      worker.kill('SIGKILL');
      await temporal.stop();
      temporal = await startTemporal({ port, dbFile, logFile: path.join(dir, 'temporal.log') });
      worker = await own.spawnWorkerProcess();

      // After both: a new agent and a new handoff; the least loaded (the new agent) takes it.
      const bob = await agentOf(api, { capacity: 5 }, own);
      await bob.client.patch('/v1/agents/me', { availability: 'online' });
      const third = await start();
      await assignedTo(third, bob.id, own);
      const state = await own.temporal.workflow.getHandle(inboxWorkflowId(accountId)).query(inboxStateQuery);
      expect(state.assigned).toEqual({ [first[0]!]: ada.id, [first[1]!]: ada.id, [third]: bob.id });
      expect(state.waiting).toEqual([]);
      for (const id of [...first, third]) expect(await own.deps.Event.countDocuments({ conversationId: id, type: 'conversation.assigned' })).toBe(1);
    } finally {
      worker.kill('SIGKILL');
      await own.stop();
      await temporal.stop();
    }
  });
});
