/**
 * The demo `npm run dev` seeds, with and without Smart AI: seeded through the real API against the demo
 * booking API on 127.0.0.1 and the scripted LLM standing in for PARLEY_LLM_BASE_URL. With a provider the
 * demo bot answers free-form questions through its actions and knowledge base while its flows keep
 * working; without one Smart AI is off. A second seed with nothing changed publishes nothing.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDemoApi, type DemoApiState } from '../../scripts/demo-api/app';
import { demoAiFromEnv, isLocalProvider } from '../../scripts/lib/demo-ai';
import { seedDemo } from '../../scripts/lib/seed';
import { http, startStack, type Stack } from '../harness';
import { fn, startScriptedLlm, text, toolCall, type ScriptedLlm } from '../llm-server';
import { createServer } from 'node:http';
import { listenTenantUrl } from '../tenant-ports';

let stack: Stack;
let llm: ScriptedLlm;
let demoServer: Server;
let demo: DemoApiState;
let demoBase: string;
const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-seed-')), 'demo.json');

beforeAll(async () => {
  llm = await startScriptedLlm();
  const demoApi = createDemoApi({ token: 'seed-token' });
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
    expect(ai.tools.map((t: any) => t.actionId)).toEqual(['check_availability', 'create_booking', 'order_status']);
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
