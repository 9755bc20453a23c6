/**
 * Human agents through the real API: invites, sign-in, refresh-token rotation, logout, deactivation, and
 * what an agent's token may reach (its scope, its account only). Runs without a worker: nothing here needs
 * one, and the inbox dispatcher the API signals on changes is then left waiting, which shows it was told.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { jwtKey } from '../../api/tokens';
import { purgeAgentSessions } from '../../models/agent.model';
import { inboxAgentChangedSignal, inboxWorkflowId } from '../../workflows/definitions';
import { http, signUp, startStack, type Http, type HttpResult, type Stack } from '../harness';

let stack: Stack;
const PASSWORD = 'correct horse battery staple';
const uniqueEmail = (tag: string) => `${tag}+${randomBytes(5).toString('hex')}@example.com`;

function expectProblem(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(Object.keys(res.body).sort()).toEqual(['code', 'details', 'message']);
}

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true, api: { PUBLIC_URL: 'https://parley.example.com/' } });
});
afterAll(() => stack?.stop());

const anon = () => http(stack.baseUrl);

/** Invites an agent with `api` and accepts the invite: the agent's session answer. */
async function agentOf(api: Http, fields: Record<string, unknown> = {}, password = PASSWORD) {
  const invited = await api.post('/v1/agents', { name: 'Ada Agent', email: uniqueEmail('ada'), ...fields });
  expect(invited.status).toBe(201);
  const accepted = await anon().post('/v1/agent-auth/accept', { token: invited.body.invite.token, password });
  expect(accepted.status).toBe(200);
  return { invited: invited.body, session: accepted.body, client: http(stack.baseUrl, accepted.body.accessToken) };
}

describe('invite, accept, log in, refresh, log out', () => {
  it('invites with a one-time link, records agent.invited, and stores only the hash', async () => {
    const { api, accountId } = await signUp(stack.baseUrl, 'Invite Co');
    const bot = await api.post('/v1/bots', { name: 'Booking bot', greeting: 'Hi', fallbackMessage: 'Sorry' });
    expect(bot.status).toBe(201);
    const email = uniqueEmail('Grace');
    const res = await api.post('/v1/agents', { name: '  Grace  ', email, teams: ['billing', 'billing', 'vip'], capacity: 3 });
    expect(res.status).toBe(201);
    const { agent, invite } = res.body;
    expect(agent).toEqual({
      id: expect.stringMatching(/^agt_[a-f0-9]{24}$/),
      kind: 'human',
      name: 'Grace',
      email: email.toLowerCase(),
      role: 'agent',
      teams: ['billing', 'vip'],
      capacity: 3,
      availability: 'offline',
      status: 'invited',
      invite: { expiresAt: invite.expiresAt },
      lastSeenAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(invite.token).toMatch(new RegExp(`^inv_${agent.id}\\.[A-Za-z0-9_-]{43}$`));
    expect(invite.url).toBe(`https://parley.example.com/inbox#invite=${invite.token}`);
    const days = (Date.parse(invite.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    const stored = await stack.deps.Agent.findById(agent.id).lean();
    expect(stored?.invite?.hash).toMatch(/^[a-f0-9]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(invite.token.split('.')[1]);
    const event = await stack.deps.Event.findOne({ accountId, type: 'agent.invited' }).lean();
    expect(event?.data).toEqual({ agent: { id: agent.id, name: 'Grace', email: email.toLowerCase(), role: 'agent' }, invite: { url: invite.url, expiresAt: invite.expiresAt } });

    // Listed with the account's bots as AI agents; one email is one agent per account.
    const list = await api.get('/v1/agents');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [agent], hasMore: false, nextAfter: null, aiAgents: [{ id: bot.body.bot.id, kind: 'ai', name: 'Booking bot', publishedVersion: null, createdAt: bot.body.bot.createdAt }] });
    expectProblem(await api.post('/v1/agents', { name: 'Again', email: email.toUpperCase() }), 409, 'agent_email_taken');
    // An invited agent has no password yet.
    expectProblem(await anon().post('/v1/agent-auth/login', { email, password: PASSWORD }), 401, 'invalid_credentials');
  });

  it('signs in with the invite once, then by email; rotates refresh tokens, and a reused one ends the session', async () => {
    const { api } = await signUp(stack.baseUrl, 'Session Co');
    const email = uniqueEmail('linus');
    const invited = (await api.post('/v1/agents', { name: 'Linus', email })).body;
    expectProblem(await anon().post('/v1/agent-auth/accept', { token: invited.invite.token, password: 'short' }), 400, 'validation_failed');
    const token: string = invited.invite.token;
    const altered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expectProblem(await anon().post('/v1/agent-auth/accept', { token: altered, password: PASSWORD }), 401, 'invalid_invite');

    const accepted = await anon().post('/v1/agent-auth/accept', { token: invited.invite.token, password: PASSWORD });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresAt: expect.any(String),
      refreshToken: expect.stringMatching(/^rt_ses_[a-f0-9]{24}\.[A-Za-z0-9_-]{43}$/),
      refreshExpiresAt: expect.any(String),
      agent: expect.objectContaining({ id: invited.agent.id, status: 'active', invite: null }),
    });
    expect(Date.parse(accepted.body.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expectProblem(await anon().post('/v1/agent-auth/accept', { token: invited.invite.token, password: PASSWORD }), 401, 'invalid_invite');

    const me = await http(stack.baseUrl, accepted.body.accessToken).get('/v1/agents/me');
    expect(me.status).toBe(200);
    expect(me.body.agent).toMatchObject({ id: invited.agent.id, email, status: 'active' });

    expectProblem(await anon().post('/v1/agent-auth/login', { email, password: 'wrong password 123' }), 401, 'invalid_credentials');
    expectProblem(await anon().post('/v1/agent-auth/login', { email: uniqueEmail('nobody'), password: PASSWORD }), 401, 'invalid_credentials');
    const login = await anon().post('/v1/agent-auth/login', { email: email.toUpperCase(), password: PASSWORD });
    expect(login.status).toBe(200);
    const agent = http(stack.baseUrl, login.body.accessToken);
    expect((await agent.get('/v1/agents/me')).status).toBe(200);

    // Refresh: a new pair; the old refresh token is spent.
    const first = login.body.refreshToken as string;
    const refreshed = await anon().post('/v1/agent-auth/refresh', { refreshToken: first });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(first);
    expect(refreshed.body.refreshToken.split('.')[0]).toBe(first.split('.')[0]);
    const renewed = http(stack.baseUrl, refreshed.body.accessToken);
    expect((await renewed.get('/v1/agents/me')).status).toBe(200);
    const second = await anon().post('/v1/agent-auth/refresh', { refreshToken: refreshed.body.refreshToken });
    expect(second.status).toBe(200);

    // The first token used again: someone else has it. The session ends, for every token of it.
    expectProblem(await anon().post('/v1/agent-auth/refresh', { refreshToken: first }), 401, 'refresh_token_reused');
    expectProblem(await anon().post('/v1/agent-auth/refresh', { refreshToken: second.body.refreshToken }), 401, 'invalid_refresh_token');
    expectProblem(await http(stack.baseUrl, second.body.accessToken).get('/v1/agents/me'), 401, 'unauthorized');
    expectProblem(await agent.get('/v1/agents/me'), 401, 'unauthorized');
    // The other session (the invite's) is untouched.
    expect((await http(stack.baseUrl, accepted.body.accessToken).get('/v1/agents/me')).status).toBe(200);
  });

  it('logs out one session; the last one out goes offline', async () => {
    const { api } = await signUp(stack.baseUrl, 'Logout Co');
    const { invited, session, client } = await agentOf(api);
    const other = await anon().post('/v1/agent-auth/login', { email: invited.agent.email, password: PASSWORD });
    expect(other.status).toBe(200);
    const online = await client.patch('/v1/agents/me', { availability: 'online' });
    expect(online.body.agent).toMatchObject({ availability: 'online', lastSeenAt: expect.any(String) });

    expect((await client.post('/v1/agent-auth/logout')).status).toBe(204);
    expectProblem(await client.get('/v1/agents/me'), 401, 'unauthorized');
    expectProblem(await anon().post('/v1/agent-auth/refresh', { refreshToken: session.refreshToken }), 401, 'invalid_refresh_token');
    const second = http(stack.baseUrl, other.body.accessToken);
    expect((await second.get('/v1/agents/me')).body.agent.availability).toBe('online');
    expect((await second.post('/v1/agent-auth/logout')).status).toBe(204);
    expect((await api.get(`/v1/agents/${invited.agent.id}`)).body.agent.availability).toBe('offline');
  });

  it('re-issues an invite (the old one dies); accepting it sets a new password and ends the old sessions', async () => {
    const { api } = await signUp(stack.baseUrl, 'Reset Co');
    const { invited, client } = await agentOf(api);
    const again = await api.post(`/v1/agents/${invited.agent.id}/invite`);
    expect(again.status).toBe(200);
    expect(again.body.invite.token).not.toBe(invited.invite.token);
    expectProblem(await anon().post('/v1/agent-auth/accept', { token: invited.invite.token, password: 'a new password 456' }), 401, 'invalid_invite');
    expect((await client.get('/v1/agents/me')).status).toBe(200);
    expect((await anon().post('/v1/agent-auth/accept', { token: again.body.invite.token, password: 'a new password 456' })).status).toBe(200);
    expectProblem(await client.get('/v1/agents/me'), 401, 'unauthorized');
    expectProblem(await anon().post('/v1/agent-auth/login', { email: invited.agent.email, password: PASSWORD }), 401, 'invalid_credentials');
    expect((await anon().post('/v1/agent-auth/login', { email: invited.agent.email, password: 'a new password 456' })).status).toBe(200);
  });

  it('asks which account when one email and password open agents of several', async () => {
    const a = await signUp(stack.baseUrl, 'Alpha Co');
    const b = await signUp(stack.baseUrl, 'Beta Co');
    const c = await signUp(stack.baseUrl, 'Gamma Co');
    const email = uniqueEmail('multi');
    await agentOf(a.api, { email });
    await agentOf(b.api, { email });
    await agentOf(c.api, { email }, 'another password 789');
    const ask = await anon().post('/v1/agent-auth/login', { email, password: PASSWORD });
    expectProblem(ask, 409, 'account_required');
    expect(ask.body.details.accounts.sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id))).toEqual(
      [{ id: a.accountId, name: 'Alpha Co' }, { id: b.accountId, name: 'Beta Co' }].sort((x, y) => x.id.localeCompare(y.id)),
    );
    const chosen = await anon().post('/v1/agent-auth/login', { email, password: PASSWORD, accountId: b.accountId });
    expect(chosen.status).toBe(200);
    expect((await http(stack.baseUrl, chosen.body.accessToken).get('/v1/agents/me')).body.agent.id).toBe(chosen.body.agent.id);
    expect((await b.api.get(`/v1/agents/${chosen.body.agent.id}`)).status).toBe(200);
    // The third account's password opens only its own agent; a wrong accountId opens nothing.
    const gamma = await anon().post('/v1/agent-auth/login', { email, password: 'another password 789' });
    expect(gamma.status).toBe(200);
    expect((await c.api.get(`/v1/agents/${gamma.body.agent.id}`)).status).toBe(200);
    expectProblem(await anon().post('/v1/agent-auth/login', { email, password: PASSWORD, accountId: c.accountId }), 401, 'invalid_credentials');
  });
});

describe('deactivation', () => {
  it('ends every session at once, refuses sign-in, and tells the inbox dispatcher', async () => {
    const { api, accountId } = await signUp(stack.baseUrl, 'Deactivate Co');
    const { invited, session, client } = await agentOf(api);
    const other = await anon().post('/v1/agent-auth/login', { email: invited.agent.email, password: PASSWORD });
    const second = http(stack.baseUrl, other.body.accessToken);
    expect((await client.get('/v1/agents/me')).status).toBe(200);

    // Concurrent deactivations: all answer alike (the seat is freed once: test/integration/plans.test.ts).
    const [res, ...others] = await Promise.all([1, 2, 3].map(() => api.post(`/v1/agents/${invited.agent.id}/deactivate`)));
    expect([res!.status, ...others.map((o) => o.status)]).toEqual([200, 200, 200]);
    for (const other of others) expect(other.body.agent).toEqual({ ...res!.body.agent, updatedAt: other.body.agent.updatedAt });
    expect(res!.body.agent).toMatchObject({ status: 'deactivated', availability: 'offline', invite: null });
    expectProblem(await client.get('/v1/agents/me'), 401, 'unauthorized');
    expectProblem(await second.get('/v1/agents/me'), 401, 'unauthorized');
    expectProblem(await anon().post('/v1/agent-auth/refresh', { refreshToken: session.refreshToken }), 401, 'invalid_refresh_token');
    expectProblem(await anon().post('/v1/agent-auth/login', { email: invited.agent.email, password: PASSWORD }), 401, 'invalid_credentials');
    expectProblem(await api.post(`/v1/agents/${invited.agent.id}/invite`), 409, 'agent_deactivated');
    expectProblem(await api.patch(`/v1/agents/${invited.agent.id}`, { capacity: 2 }), 409, 'agent_deactivated');
    expect(await stack.deps.AgentSession.countDocuments({ agentId: invited.agent.id, revokedAt: null })).toBe(0);
    // Ended sessions stay until they would have expired; the clean-up then deletes them (and only them).
    const sessions = await stack.deps.AgentSession.countDocuments({ agentId: invited.agent.id });
    expect(sessions).toBe(2);
    const later = new Date(Date.now() + 31 * 86_400_000);
    const before = await stack.deps.AgentSession.countDocuments({ expiresAt: { $gte: later } });
    expect(await purgeAgentSessions(stack.deps.AgentSession, later)).toBeGreaterThanOrEqual(sessions);
    expect(await stack.deps.AgentSession.countDocuments({ agentId: invited.agent.id })).toBe(0);
    expect(await stack.deps.AgentSession.countDocuments({ expiresAt: { $gte: later } })).toBe(before);

    // The dispatcher was signalled (with-start: without a worker it waits, holding the signal).
    const handle = stack.temporal.workflow.getHandle(inboxWorkflowId(accountId));
    const { events } = await handle.fetchHistory();
    const signalled = (events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes?.signalName === inboxAgentChangedSignal.name ? [e.workflowExecutionSignaledEventAttributes.input?.payloads?.[0]?.data] : []));
    // Accepting the invite (the agent became active), then the deactivation (the store decides whether one or
    // more of the concurrent ones saw the agent still active: FerretDB's findAndModify is not atomic).
    const told = signalled.map((data) => JSON.parse(Buffer.from(data!).toString()) as { agentId: string });
    expect(told.length).toBeGreaterThanOrEqual(2);
    expect(new Set(told.map((t) => t.agentId))).toEqual(new Set([invited.agent.id]));
    await handle.terminate('test over').catch(() => undefined);
  });
});

describe("an agent's token", () => {
  it('reaches the inbox routes and its profile, never configuration (403)', async () => {
    const { api } = await signUp(stack.baseUrl, 'Scope Co');
    const boss = await agentOf(api, { role: 'admin', name: 'Boss' });
    const { invited, client } = await agentOf(api, { teams: ['billing'] });
    const botId = (await api.post('/v1/bots', { name: 'Bot', greeting: 'Hi', fallbackMessage: '?' })).body.bot.id;

    for (const [method, path] of [
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys'],
      ['GET', '/v1/account'],
      ['GET', '/v1/bots'],
      ['GET', `/v1/bots/${botId}`],
      ['POST', '/v1/bots'],
      ['GET', '/v1/connections'],
      ['POST', '/v1/connections'],
      ['GET', '/v1/webhooks'],
      ['GET', '/v1/knowledge'],
      ['GET', '/v1/conversations'],
      ['POST', '/v1/conversations'],
      ['POST', '/v1/agents'],
      ['GET', `/v1/agents/${boss.invited.agent.id}`],
      ['POST', `/v1/agents/${boss.invited.agent.id}/deactivate`],
    ] as const) {
      const res = method === 'GET' ? await client.get(path) : await client.post(path, {});
      expect({ method, path, status: res.status, code: res.body?.code }).toEqual({ method, path, status: 403, code: 'forbidden' });
    }
    // An admin agent manages agents, and still reaches no configuration.
    for (const path of ['/v1/api-keys', '/v1/bots', '/v1/connections']) expectProblem(await boss.client.get(path), 403, 'forbidden');
    expect((await boss.client.get(`/v1/agents/${invited.agent.id}`)).status).toBe(200);
    const patched = await boss.client.patch(`/v1/agents/${invited.agent.id}`, { teams: ['billing', 'vip'], capacity: 8 });
    expect(patched.status).toBe(200);
    expect(patched.body.agent).toMatchObject({ teams: ['billing', 'vip'], capacity: 8 });
    expect((await boss.client.post('/v1/agents', { name: 'New', email: uniqueEmail('new') })).status).toBe(201);

    // What every agent may do: its profile, its availability, the heartbeat, the team list (summaries only).
    const me = await client.patch('/v1/agents/me', { availability: 'away', name: 'Ada L.' });
    expect(me.body.agent).toMatchObject({ availability: 'away', name: 'Ada L.' });
    expectProblem(await client.patch('/v1/agents/me', { role: 'admin' }), 400, 'validation_failed');
    const beat = await client.post('/v1/agents/me/heartbeat');
    expect(beat.status).toBe(200);
    expect(beat.body.agent).toMatchObject({ availability: 'away', lastSeenAt: expect.any(String) });
    const team = await client.get('/v1/agents');
    expect(team.status).toBe(200);
    expect(team.body.data).toContainEqual({ id: boss.invited.agent.id, kind: 'human', name: 'Boss', role: 'admin', availability: 'offline', status: 'active' });
    expect(JSON.stringify(team.body.data)).not.toContain('@example.com');
    expect(team.body.aiAgents).toEqual([expect.objectContaining({ id: botId, kind: 'ai' })]);
    expect((await boss.client.get('/v1/agents')).body.data[0]).toHaveProperty('email');
  });

  it("sees nothing of another account (404)", async () => {
    const a = await signUp(stack.baseUrl, 'Tenant A');
    const b = await signUp(stack.baseUrl, 'Tenant B');
    const adminA = await agentOf(a.api, { role: 'admin' });
    const agentB = await agentOf(b.api);
    const conversationId = `conv_${randomBytes(8).toString('hex')}`;
    const now = new Date();
    await stack.deps.Conversation.create({ _id: conversationId, accountId: b.accountId, botId: 'bot_x', botVersion: 1, channel: 'api', externalUserId: 'u', status: 'handoff', workflowId: `conversation-${conversationId}`, messageCount: 0, createdAt: now, updatedAt: now });

    const id = agentB.invited.agent.id;
    expectProblem(await adminA.client.get(`/v1/agents/${id}`), 404, 'agent_not_found');
    expectProblem(await adminA.client.patch(`/v1/agents/${id}`, { capacity: 1 }), 404, 'agent_not_found');
    expectProblem(await adminA.client.post(`/v1/agents/${id}/invite`), 404, 'agent_not_found');
    expectProblem(await adminA.client.post(`/v1/agents/${id}/deactivate`), 404, 'agent_not_found');
    expectProblem(await a.api.get(`/v1/agents/${id}`), 404, 'agent_not_found');
    expectProblem(await adminA.client.get(`/v1/conversations/${conversationId}`), 404, 'conversation_not_found');
    expect((await adminA.client.get('/v1/agents')).body.data.map((x: { id: string }) => x.id)).not.toContain(id);
    expect((await agentB.client.get('/v1/agents/me')).body.agent.status).toBe('active');
  });

  it('is never an account credential, and an account credential is never an agent token', async () => {
    const { api, key, accountId } = await signUp(stack.baseUrl, 'Kinds Co');
    const { invited, session, client } = await agentOf(api);
    // An API key and an account login token have no agent profile and cannot log an agent out.
    expectProblem(await api.get('/v1/agents/me'), 403, 'forbidden');
    expectProblem(await api.post('/v1/agent-auth/logout'), 403, 'forbidden');
    expectProblem(await api.post('/v1/agents/me/heartbeat'), 403, 'forbidden');
    const owner = await stack.deps.Account.findById(accountId).lean();
    expect(owner).toBeTruthy();
    // An account's login token (audience parley-api) made for the agent's ids is refused.
    const key2 = jwtKey(stack.deps.config);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ acct: accountId, sid: session.refreshToken.slice(3, 31) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(invited.agent.id)
      .setIssuer('parley')
      .setAudience('parley-api')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key2);
    expectProblem(await http(stack.baseUrl, forged).get('/v1/agents/me'), 401, 'unauthorized');
    // The agent's token used as an account's: no account routes.
    expectProblem(await client.get('/v1/account'), 403, 'forbidden');
    // A key or an access token is no refresh token or invite.
    expectProblem(await anon().post('/v1/agent-auth/refresh', { refreshToken: key }), 401, 'invalid_refresh_token');
    expectProblem(await anon().post('/v1/agent-auth/refresh', { refreshToken: session.accessToken.slice(0, 200) }), 401, 'invalid_refresh_token');
    expectProblem(await anon().post('/v1/agent-auth/accept', { token: session.refreshToken, password: PASSWORD }), 401, 'invalid_invite');
    // A refresh token is no bearer credential.
    expectProblem(await http(stack.baseUrl, session.refreshToken).get('/v1/agents/me'), 401, 'unauthorized');
  });
});

describe('bad input', () => {
  it('answers 400 with the fields, 404 for ids that name nothing', async () => {
    const { api } = await signUp(stack.baseUrl, 'Input Co');
    const { invited } = await agentOf(api);
    for (const body of [
      {},
      { name: 'X' },
      { name: 'X', email: 'not-an-email' },
      { name: '   ', email: uniqueEmail('x') },
      { name: 'X', email: uniqueEmail('x'), role: 'owner' },
      { name: 'X', email: uniqueEmail('x'), capacity: 0 },
      { name: 'X', email: uniqueEmail('x'), capacity: 101 },
      { name: 'X', email: uniqueEmail('x'), capacity: 2.5 },
      { name: 'X', email: uniqueEmail('x'), teams: ['no/slash'] },
      { name: 'X', email: uniqueEmail('x'), teams: Array.from({ length: 21 }, (_, i) => `t${i}`) },
      { name: 'X', email: uniqueEmail('x'), status: 'active' },
    ]) {
      expectProblem(await api.post('/v1/agents', body), 400, 'validation_failed');
    }
    expectProblem(await api.patch(`/v1/agents/${invited.agent.id}`, {}), 400, 'validation_failed');
    expectProblem(await api.patch(`/v1/agents/${invited.agent.id}`, { availability: 'busy' }), 400, 'validation_failed');
    expectProblem(await api.patch(`/v1/agents/${invited.agent.id}`, { email: uniqueEmail('y') }), 400, 'validation_failed');
    expectProblem(await api.raw('POST', '/v1/agents', '{"name":'), 400, 'invalid_json');
    expectProblem(await api.get('/v1/agents?limit=0'), 400, 'validation_failed');
    expectProblem(await api.get('/v1/agents?after=$bad'), 400, 'validation_failed');
    for (const id of ['nope', 'agt_123', `agt_${'g'.repeat(24)}`, `agt_${'0'.repeat(24)}`]) {
      expectProblem(await api.get(`/v1/agents/${id}`), 404, 'agent_not_found');
      expectProblem(await api.post(`/v1/agents/${id}/deactivate`), 404, 'agent_not_found');
    }
    expectProblem(await anon().post('/v1/agent-auth/login', {}), 400, 'validation_failed');
    expectProblem(await anon().post('/v1/agent-auth/login', { email: 'x@example.com', password: 'p', accountId: 'nope' }), 400, 'validation_failed');
    expectProblem(await anon().post('/v1/agent-auth/refresh', {}), 400, 'validation_failed');
    expectProblem(await anon().post('/v1/agent-auth/refresh', { refreshToken: 'rt_nope' }), 401, 'invalid_refresh_token');
    expectProblem(await anon().post('/v1/agent-auth/accept', { token: 'inv_nope', password: PASSWORD }), 401, 'invalid_invite');
    expectProblem(await anon().post('/v1/agent-auth/logout'), 401, 'unauthorized');
    expectProblem(await anon().get('/v1/agents'), 401, 'unauthorized');
  });

  it('pages the list of agents by id', async () => {
    const { api } = await signUp(stack.baseUrl, 'Paging Co');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.post('/v1/agents', { name: `A${i}`, email: uniqueEmail(`p${i}`) })).body.agent.id);
    const first = await api.get('/v1/agents?limit=2');
    expect(first.body).toMatchObject({ hasMore: true, nextAfter: ids[1] });
    expect(first.body.data.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2));
    const rest = await api.get(`/v1/agents?limit=2&after=${first.body.nextAfter}`);
    expect(rest.body).toMatchObject({ hasMore: false, nextAfter: null });
    expect(rest.body.data.map((a: { id: string }) => a.id)).toEqual([ids[2]]);
  });
});

describe('sign-in limits', () => {
  it('limits agent logins per email like account logins, whether or not the email exists', async () => {
    const limited = await startStack({ withoutWorker: true, api: { LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL: '3' } });
    try {
      const client = http(limited.baseUrl);
      const { api } = await signUp(limited.baseUrl, 'Limited Co');
      const invited = await api.post('/v1/agents', { name: 'Known', email: uniqueEmail('known') });
      expect((await client.post('/v1/agent-auth/accept', { token: invited.body.invite.token, password: PASSWORD })).status).toBe(200);
      for (const email of [invited.body.agent.email as string, uniqueEmail('unknown')]) {
        for (let i = 0; i < 3; i++) expectProblem(await client.post('/v1/agent-auth/login', { email, password: 'wrong password 1' }), 401, 'invalid_credentials');
        const refused = await client.post('/v1/agent-auth/login', { email, password: 'wrong password 1' });
        expectProblem(refused, 429, 'rate_limited');
        expect(refused.headers.get('retry-after')).toMatch(/^[0-9]+$/);
      }
    } finally {
      await limited.stop();
    }
  });
});
