/**
 * The demo `npm run dev` seeds, with and without Smart AI: seeded through the real API against the demo
 * booking API on 127.0.0.1 and the scripted LLM standing in for PARLEY_LLM_BASE_URL. With a provider the
 * demo bot answers free-form questions through its actions and knowledge base while its flows keep
 * working; without one Smart AI is off. A second seed with nothing changed publishes nothing. The demo's
 * long-running calls (issue 21) run on real timers: a group booking approved through the demo API's staff
 * route (which calls Parley back), and a quote job polled at its Location until it is done, fails, or is
 * cancelled by the visitor (its compensation DELETEs the job).
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDemoApi, type DemoApiState } from '../../scripts/demo-api/app';
import { demoAiFromEnv, isLocalProvider } from '../../scripts/lib/demo-ai';
import { seedDemo } from '../../scripts/lib/seed';
import { eventually, http, startStack, type Stack } from '../harness';
import { fn, startScriptedLlm, text, toolCall, type ScriptedLlm } from '../llm-server';
import { createServer } from 'node:http';
import { listenTenantUrl } from '../tenant-ports';
import { SA } from '../../workflows/definitions';

let stack: Stack;
let llm: ScriptedLlm;
let demoServer: Server;
let demo: DemoApiState;
let demoBase: string;
const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-seed-')), 'demo.json');

beforeAll(async () => {
  llm = await startScriptedLlm();
  const demoApi = createDemoApi({ token: 'seed-token', callbackRetryMs: 100 });
  demo = demoApi.state;
  demoServer = createServer(demoApi.app);
  demoBase = await listenTenantUrl(demoServer);
  stack = await startStack({ api: { REPLY_WAIT_MS: '30000' } });
});

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
  await new Promise((r) => demoServer?.close(r));
});

const seed = (ai?: { baseUrl: string; apiKey?: string; model: string }) =>
  seedDemo({ baseUrl: stack.baseUrl, stateFile, demoApi: { baseUrl: demoBase, token: 'seed-token', secretKeys: stack.secretKeys }, log: () => undefined, ai });

describe('the demo seed', () => {
  it('reads the provider from the environment', () => {
    expect(demoAiFromEnv({})).toBeUndefined();
    expect(demoAiFromEnv({ PARLEY_LLM_BASE_URL: 'http://localhost:11434/v1', PARLEY_LLM_MODEL: 'llama3.1' })).toEqual({ baseUrl: 'http://localhost:11434/v1', model: 'llama3.1' });
    expect(demoAiFromEnv({ PARLEY_LLM_BASE_URL: 'https://api.openai.com/v1', PARLEY_LLM_API_KEY: 'sk-x' })).toEqual({ baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-x', model: 'gpt-4o-mini' });
    expect(isLocalProvider('http://localhost:11434/v1')).toBe(true);
    expect(isLocalProvider('https://api.openai.com/v1')).toBe(false);
  });

  it('turns Smart AI on with a provider: free-form questions use the actions and knowledge, flows still work', async () => {
    const result = await seed({ baseUrl: llm.baseUrl, apiKey: 'sk-demo-key', model: 'scripted' });
    const api = http(stack.baseUrl, result.apiKey);
    const ai = (await api.get(`/v1/bots/${result.botId}/ai`)).body.ai;
    expect(ai).toMatchObject({ enabled: true, model: 'scripted', apiKey: '••••', allowPrivateNetwork: true });
    expect(ai.tools.map((t: any) => t.actionId)).toEqual(['check_availability', 'create_booking', 'order_status', 'group_quote']);
    expect((await api.get('/v1/knowledge/search?q=parking')).body.items[0].title).toBe('Parking');

    llm.script(toolCall('check_availability', { date: '2099-12-05' }), fn((req) => text(`Free at ${JSON.parse(req.body.messages.at(-1).content).data.first_slot}.`)));
    const start = await api.post('/v1/conversations', { botId: result.botId, externalUserId: 'v', message: { type: 'text', text: 'Anything free on 5 December 2099?' } });
    expect(start.status).toBe(201);
    expect(start.body.replies.map((r: any) => r.text).slice(1)).toEqual(['Let me check that for you…', 'Free at 09:00.']);
    expect(demo.requests.some((r) => r.path === '/availability')).toBe(true);
    const id = start.body.conversation.id;
    const flow = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text: 'I want to book' } });
    expect(flow.body.replies[0].text).toMatch(/What's your name\?/);

    // Nothing changed: nothing is published again.
    const again = await seed({ baseUrl: llm.baseUrl, apiKey: 'sk-demo-key', model: 'scripted' });
    expect(again.actions.join('; ')).toMatch(/already published/);
  });

  it('turns Smart AI off without a provider', async () => {
    const result = await seed();
    const api = http(stack.baseUrl, result.apiKey);
    expect((await api.get(`/v1/bots/${result.botId}/ai`)).body.ai).toBeNull();
    expect(result.actions.join('; ')).toMatch(/Smart AI turned off.*published bot/);
    const requests = llm.requests.length;
    const start = await api.post('/v1/conversations', { botId: result.botId, externalUserId: 'w', message: { type: 'text', text: 'What is the meaning of life?' } });
    expect(start.body.replies.at(-1).text).toMatch(/Sorry, I can only book/);
    expect(llm.requests.length).toBe(requests);
  });

  it('seeds the long-running demo: a group booking approved later through its callback, and a quote polled until it is done', async () => {
    const result = await seed();
    const api = http(stack.baseUrl, result.apiKey);
    // The endpoints with their long-running settings, the actions (the quote undone by its DELETE), and the flows.
    const endpoints = (await api.get(`/v1/connections/${result.connectionId}/endpoints?limit=100`)).body.data as any[];
    const byName = (name: string) => endpoints.find((e) => e.name === name);
    expect(byName('Group booking request').longRunning).toMatchObject({ mode: 'callback', completeWhen: { path: '$.status', op: 'equals', value: 'approved' }, resultFields: [{ name: 'booking_ref', path: '$.booking_ref' }] });
    expect(byName('Group booking request').parameters.find((p: any) => p.name === 'callback_url')).toMatchObject({ source: 'callback', in: 'body' });
    expect(byName('Start group quote').longRunning).toMatchObject({ mode: 'poll', job: { from: 'location' }, schedule: { initialSeconds: 3, factor: 2, maxSeconds: 10 } });
    const quoteAction = (await api.get('/v1/actions/group_quote')).body.action;
    expect(quoteAction.steps[0].compensation).toMatchObject({ endpointId: byName('Cancel group quote').id, inputs: { job_id: { from: 'step', step: 'start', field: 'job_id' } } });
    expect((await api.get('/v1/actions/group_booking')).status).toBe(200);
    const flows = (await api.get(`/v1/bots/${result.botId}/flows`)).body.flows.map((f: any) => f.id);
    expect(flows).toEqual(expect.arrayContaining(['group-quote', 'group-booking']));

    const say = async (id: string, text: string): Promise<string[]> => {
      const res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text } });
      expect(res.status).toBe(200);
      return res.body.replies.map((r: any) => r.text);
    };
    const botSaid = async (id: string, pattern: RegExp): Promise<string | undefined> => {
      const transcript = (await api.get(`/v1/conversations/${id}/messages?limit=100`)).body.data as { role: string; text: string }[];
      return transcript.find((m) => m.role === 'bot' && pattern.test(m.text))?.text;
    };

    // The group booking: the questions, then the request goes to the team and the visitor is told at once.
    const start = await api.post('/v1/conversations', { botId: result.botId, externalUserId: 'group-visitor', message: { type: 'text', text: "I'd like a group booking" } });
    expect(start.status).toBe(201);
    const id = start.body.conversation.id as string;
    expect(start.body.replies.at(-1).text).toMatch(/What name should the booking be under\?/);
    expect(await say(id, 'Ada Lovelace')).toEqual(['How many people, Ada Lovelace?']);
    expect(await say(id, '12')).toEqual(['Which day?']);
    expect((await say(id, '2099-12-05'))[0]).toMatch(/what time would you arrive/);
    expect((await say(id, '19:00'))[0]).toMatch(/email address/);
    expect((await say(id, 'ada@example.com'))[0]).toMatch(/Group: 12 people[\s\S]*at 19:00[\s\S]*Shall I send it/);
    expect(await say(id, 'yes')).toEqual([expect.stringMatching(/^Thanks! Group bookings need our team's approval/)]);
    const request = demo.groupBookings.at(-1)!;
    expect(request).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', date: '2099-12-05', time: '19:00', party_size: 12, status: 'pending_approval' });

    // The call is its own run, searchable by action and status.
    const waiting = await eventually(
      async () => {
        for await (const run of stack.temporal.workflow.list({ query: `ParleyAction="group_booking" AND ParleyStatus="waiting" AND ParleyAccountId="${result.accountId}"` })) return run;
        return undefined;
      },
      20_000,
      'the waiting run in the visibility store',
    );
    expect(waiting.workflowId.startsWith(`conversation-${id}-action-`)).toBe(true);
    expect((await say(id, "what's the status?"))[0]).toMatch(/"Group booking" \(started .*\): waiting for confirmation\./);

    const pending = (await (await fetch(`${demoBase}/group-bookings?status=pending_approval`, { headers: { authorization: 'Bearer seed-token' } })).json()) as { data: { request_id: string }[] };
    expect(pending.data.map((g) => g.request_id)).toEqual([request.request_id]);

    // Staff approve it on the demo API, which POSTs the answer to Parley's callback URL; the flow goes on.
    const approved = await fetch(`${demoBase}/group-bookings/${request.request_id}/approve`, { method: 'POST', headers: { authorization: 'Bearer seed-token' } });
    expect(approved.status).toBe(200);
    const decision = (await approved.json()) as { status: string; booking_ref: string; callback: { status: number } };
    expect(decision).toMatchObject({ status: 'approved', callback: { status: 202 } });
    expect(demo.callbacks.at(-1)!.url.startsWith(`${stack.baseUrl}/v1/callbacks/`)).toBe(true);
    const confirmed = await eventually(() => botSaid(id, /Your group booking is confirmed/), 30_000, 'the confirmation in the transcript');
    expect(confirmed).toMatch(new RegExp(`^✓ Your group booking is confirmed: ${decision.booking_ref}\\. 12 people on .*2099 at 19:00; see you then!$`));
    expect((await stack.temporal.workflow.getHandle(waiting.workflowId).describe()).typedSearchAttributes.get(SA.status)).toBe('succeeded');
    // The one-time URL is used up.
    const again = await fetch(demo.callbacks.at(-1)!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'approved', booking_ref: 'again' }) });
    expect([409, 410]).toContain(again.status);

    // The quote: started, polled at its Location (with the connection's token) until it is done.
    expect(await say(id, 'group quote')).toEqual(['Happy to price that. How many people are in your group?']);
    expect(await say(id, '12')).toEqual(['Which day is it for?']);
    expect(await say(id, '2099-12-05')).toEqual([expect.stringMatching(/^I've asked our pricing system for a quote/)]);
    const job = demo.quotes.at(-1)!;
    const quoted = await eventually(() => botSaid(id, /^Your quote Q-/), 40_000, 'the quote in the transcript');
    expect(quoted).toMatch(new RegExp(`^Your quote ${job.quote_id}: 420 EUR for 12 people on `));
    expect(job).toMatchObject({ status: 'done', price: 420 });
    expect(job.polls).toBeGreaterThanOrEqual(2);
    expect(demo.requests.filter((r) => r.path === `/quotes/jobs/${job.job_id}`).every((r) => r.method === 'GET' && r.authorization === 'Bearer seed-token')).toBe(true);

    // A party over 50 fails its job: the flow takes its failure branch.
    await say(id, 'group quote');
    await say(id, '60');
    await say(id, '2099-12-05');
    const failed = await eventually(() => botSaid(id, /^No quote this time:/), 40_000, 'the failed quote');
    expect(failed).toBe('No quote this time: Sorry, that request could not be completed. Groups over 50 are priced by phone; say "human" to reach a person.');

    // Cancelled by the visitor while it runs: the compensation DELETEs the job.
    await say(id, 'group quote');
    await say(id, '8');
    await say(id, '2099-12-06');
    const cancelled = demo.quotes.at(-1)!;
    expect(await say(id, 'cancel')).toEqual(['OK, I\'m cancelling "Group quote". I\'ll confirm here once it\'s done.']);
    await eventually(async () => cancelled.status === 'cancelled', 20_000, 'the job to be cancelled');
    await eventually(() => botSaid(id, /^"Group quote" was cancelled\.$/), 20_000, 'the cancellation in the transcript');
    expect(demo.requests.some((r) => r.method === 'DELETE' && r.path === `/quotes/jobs/${cancelled.job_id}`)).toBe(true);
  });

  it('binds the demo web site to the widget once, and makes a preview link', async () => {
    const site = 'http://localhost:4010';
    const first = await seedDemo({ baseUrl: stack.baseUrl, stateFile, demoApi: { baseUrl: demoBase, token: 'seed-token', secretKeys: stack.secretKeys }, log: () => undefined, siteOrigins: [site] });
    expect(first.widget?.snippet).toMatch(/^<script src="http:\/\/127\.0\.0\.1:\d+\/widget\.js" data-parley-website="wt_[a-f0-9]{40}" async><\/script>$/);
    const again = await seedDemo({ baseUrl: stack.baseUrl, stateFile, demoApi: { baseUrl: demoBase, token: 'seed-token', secretKeys: stack.secretKeys }, log: () => undefined, siteOrigins: [site, 'http://127.0.0.1:4010'] });
    expect(again.widget?.websiteId).toBe(first.widget?.websiteId);
    const api = http(stack.baseUrl, again.apiKey);
    expect((await api.get('/v1/websites')).body.data.map((w: any) => w.origins)).toEqual([[site, 'http://127.0.0.1:4010']]);
    const config = await fetch(`${stack.baseUrl}/widget/v1/${/wt_[a-f0-9]+/.exec(again.widget!.snippet)![0]}/config`, { headers: { origin: site } });
    expect(config.status).toBe(200);
    expect((await fetch(again.previewUrl)).status).toBe(200);

    // The demo web site pastes the snippet it is given.
    const { app } = createDemoApi({ token: 'seed-token', widgetSnippet: () => again.widget?.snippet });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const page = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(await page.text()).toContain(again.widget!.snippet);
    await new Promise((r) => server.close(r));
  });

  it('signs up a demo admin agent for the inbox page once, and keeps its password', async () => {
    const seed = () => seedDemo({ baseUrl: stack.baseUrl, stateFile, demoApi: { baseUrl: demoBase, token: 'seed-token', secretKeys: stack.secretKeys }, log: () => undefined });
    const first = await seed();
    expect(first.agent.email).toBe('agent@parley.dev');
    const login = await http(stack.baseUrl).post('/v1/agent-auth/login', first.agent);
    expect(login.status).toBe(200);
    expect(login.body.agent).toMatchObject({ role: 'admin', status: 'active' });
    const again = await seed();
    expect(again.agent).toEqual(first.agent);
    const agents = await http(stack.baseUrl, again.apiKey).get('/v1/agents');
    expect(agents.body.data.filter((a: { email: string }) => a.email === 'agent@parley.dev')).toHaveLength(1);
  });
});
