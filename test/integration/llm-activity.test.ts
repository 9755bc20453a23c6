/**
 * The `completeChat` activity called as a plain function (and once inside a fake activity context)
 * against a real MongoDB-compatible server and the scripted OpenAI-compatible provider on 127.0.0.1:
 * the wire format both ways, the key as a bearer token and never in an error, each failure class and
 * its retry behaviour, the SSRF refusals, account scoping and cancellation.
 */
import { asyncLocalStorage, ApplicationFailure, CancelledFailure, type Context } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import type { Connection as MongoConnection } from 'mongoose';
import { createLlmActivities } from '../../activities/llm/complete-chat';
import { maskSecret } from '../../activities/llm/errors';
import type { CompleteChatInput } from '../../models/ai.schema';
import { aiKeyOwner, botModels } from '../../models/bot.model';
import { connectDatabase } from '../../models/db';
import { SecretBox } from '../../models/secret-box';
import { testEnv } from '../harness';
import { delay, fn, json, startScriptedLlm, status, text, toolCall, toolCalls, type ScriptedLlm } from '../llm-server';
import { createOutboundNetwork } from '../../activities/http/network';
import { tenantNetworkPolicy } from '../tenant-ports';

const KEY = `sk-test-${randomBytes(12).toString('hex')}`;
const box = new SecretBox(SecretBox.generateKey('k1'));
const accountId = `acc_${randomBytes(4).toString('hex')}`;
let db: MongoConnection;
let llm: ScriptedLlm;
let activities: ReturnType<typeof createLlmActivities>;

async function bot(options: { key?: string | null; account?: string; sealFor?: string } = {}): Promise<string> {
  const id = `bot_${randomBytes(6).toString('hex')}`;
  const now = new Date();
  const key = options.key === undefined ? KEY : options.key;
  await botModels(db).Bot.create({
    _id: id,
    accountId: options.account ?? accountId,
    name: 'Bot',
    greeting: 'Hello!',
    fallbackMessage: 'Sorry?',
    inactivityTimeoutSeconds: 600,
    timezone: 'UTC',
    aiKeySealed: key === null ? null : box.seal(key, aiKeyOwner(options.sealFor ?? id)),
    publishedVersion: 0,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

let defaultBot: string;
const input = (overrides: Partial<CompleteChatInput> = {}, provider: Partial<CompleteChatInput['provider']> = {}): CompleteChatInput => ({
  accountId,
  botId: defaultBot,
  provider: { baseUrl: llm.baseUrl, model: 'scripted-model', allowPrivateNetwork: true, timeoutMs: 5000, ...provider },
  messages: [
    { role: 'system', content: 'You are a helpful bot.' },
    { role: 'user', content: 'Hi' },
  ],
  tools: [],
  temperature: 0.2,
  maxOutputTokens: 300,
  ...overrides,
});

/** The ApplicationFailure a call throws (fails the test if it resolves or throws something else). */
async function failure(call: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

beforeAll(async () => {
  db = await connectDatabase(`${testEnv('PARLEY_TEST_MONGODB_URI')}/parley_llm_${randomBytes(4).toString('hex')}`);
  llm = await startScriptedLlm();
  activities = createLlmActivities({ db, secrets: box, http: { network: createOutboundNetwork(tenantNetworkPolicy()) } });
  defaultBot = await bot();
});
beforeEach(() => llm.reset());
afterAll(async () => {
  await llm?.close();
  await db?.dropDatabase().catch(() => undefined);
  await db?.close();
});

describe('completeChat: answers', () => {
  it('returns a text reply with usage, sending the key as a bearer token and nothing else of the worker', async () => {
    llm.script(text('Hello there', { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 }));
    const result = await activities.completeChat(input());
    expect(result).toEqual({ content: 'Hello there', toolCalls: [], finishReason: 'stop', usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 } });
    const [request] = llm.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(Object.keys(request!.headers).filter((h) => h.startsWith('x-stainless') || h.startsWith('openai-'))).toEqual([]);
    expect(request!.body).toMatchObject({ model: 'scripted-model', temperature: 0.2, max_tokens: 300, messages: [{ role: 'system' }, { role: 'user', content: 'Hi' }] });
    // No tools: neither tools nor tool_choice is sent (several servers reject an empty list).
    expect(request!.body).not.toHaveProperty('tools');
    expect(request!.body).not.toHaveProperty('tool_choice');
    expect(request!.body).not.toHaveProperty('response_format');
  });

  it('reports zero usage when the provider gives none', async () => {
    llm.script(text('no usage', null));
    expect((await activities.completeChat(input())).usage).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
  });

  it('parses a tool call with its raw (even malformed) arguments, and several in one message', async () => {
    llm.script(toolCall('check_availability', '{"date": "2099-01-0', 'call_abc'));
    expect(await activities.completeChat(input())).toMatchObject({ content: null, finishReason: 'tool_calls', toolCalls: [{ id: 'call_abc', name: 'check_availability', arguments: '{"date": "2099-01-0' }] });

    llm.script(toolCalls([{ name: 'a', args: { x: 1 }, id: null }, { name: 'b', args: {}, id: null }, { name: 'c', args: {}, id: 'srv_given-1' }], { content: 'Checking both' }));
    const several = await activities.completeChat(input());
    expect(several.content).toBe('Checking both');
    // Ids the provider left out are made up: 9 letters and digits (Mistral's rule); the server's are kept.
    expect(several.toolCalls).toEqual([
      { id: expect.stringMatching(/^[a-zA-Z0-9]{9}$/), name: 'a', arguments: '{"x":1}' },
      { id: expect.stringMatching(/^[a-zA-Z0-9]{9}$/), name: 'b', arguments: '{}' },
      { id: 'srv_given-1', name: 'c', arguments: '{}' },
    ]);
    expect(several.toolCalls[0]!.id).not.toBe(several.toolCalls[1]!.id);
  });

  it('makes the same ids for the same request (a retry), and new ones for the next request of the conversation', async () => {
    const noIds = toolCalls([{ name: 'a', args: {}, id: null }]);
    llm.script(noIds, noIds);
    const first = await activities.completeChat(input({ conversationId: 'conv_1' }));
    const retried = await activities.completeChat(input({ conversationId: 'conv_1' }));
    expect(retried.toolCalls[0]!.id).toBe(first.toolCalls[0]!.id);
    const id = first.toolCalls[0]!.id;
    llm.script(noIds);
    const messages: CompleteChatInput['messages'] = [
      { role: 'system', content: 'You are a helpful bot.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '', toolCalls: [{ id, name: 'a', arguments: '{}' }] },
      { role: 'tool', toolCallId: id, content: '{"ok":true}' },
    ];
    const next = await activities.completeChat(input({ conversationId: 'conv_1', messages }));
    expect(next.toolCalls[0]!.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(next.toolCalls[0]!.id).not.toBe(id);
  });

  it('sends "{}" back for arguments that were not a JSON object, and forbids tools by leaving them out', async () => {
    const parameters = { type: 'object', properties: {}, additionalProperties: false };
    const bad = ['', '{"date": "2099-01-0', '[1]', 'null', '"x"'];
    await activities.completeChat(
      input({
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: null, toolCalls: bad.map((args, i) => ({ id: `c${i}`, name: 'check_availability', arguments: args })) },
          ...bad.map((_, i) => ({ role: 'tool' as const, toolCallId: `c${i}`, content: '{"ok":false,"error":"the arguments are not valid JSON; send a JSON object"}' })),
        ],
        tools: [{ name: 'check_availability', description: 'd', parameters }],
        toolChoice: 'none',
      }),
    );
    const body = llm.requests[0]!.body;
    expect(body.messages[1].tool_calls.map((c: any) => c.function.arguments)).toEqual(bad.map(() => '{}'));
    // Ollama ignores tool_choice "none": the tools are not offered at all.
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
  });

  it('sends messages and tools in the OpenAI format', async () => {
    const parameters = { type: 'object', properties: { date: { type: 'string', description: 'Day' } }, required: ['date'], additionalProperties: false };
    await activities.completeChat(
      input({
        messages: [
          { role: 'system', content: 'rules' },
          { role: 'user', content: 'Free on Monday?' },
          { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'check_availability', arguments: '{"date":"2099-01-01"}' }] },
          { role: 'tool', toolCallId: 'call_1', content: '{"first_slot":"09:00"}' },
          { role: 'assistant', content: 'Let me look again.', toolCalls: [{ id: 'call_2', name: 'check_availability', arguments: '{"date":"2099-01-02"}' }] },
          { role: 'tool', toolCallId: 'call_2', content: '{"first_slot":"10:00"}' },
          { role: 'assistant', content: 'Yes, 9:00.' },
        ],
        tools: [{ name: 'check_availability', description: 'Free slots on a day.', parameters }],
        toolChoice: 'auto',
      }),
    );
    const body = llm.requests[0]!.body;
    expect(body.messages.slice(2)).toEqual([
      // content "" beside tool calls: llama.cpp's server refuses null and a missing content.
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'check_availability', arguments: '{"date":"2099-01-01"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"first_slot":"09:00"}' },
      // No text beside tool calls either: Mistral refuses content and tool_calls together.
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'check_availability', arguments: '{"date":"2099-01-02"}' } }] },
      { role: 'tool', tool_call_id: 'call_2', content: '{"first_slot":"10:00"}' },
      { role: 'assistant', content: 'Yes, 9:00.' },
    ]);
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'check_availability', description: 'Free slots on a day.', parameters } }]);
    expect(body.tool_choice).toBe('auto');
    expect(body).not.toHaveProperty('seed');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  it('names a forced tool as a function, and sends a seed when the bot sets one', async () => {
    const parameters = { type: 'object', properties: {}, additionalProperties: false };
    await activities.completeChat(input({ tools: [{ name: 'check_availability', description: 'd', parameters }], toolChoice: { name: 'check_availability' }, seed: 7 }));
    const body = llm.requests[0]!.body;
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'check_availability' } });
    expect(body.seed).toBe(7);
  });

  it('asks for a JSON object in jsonMode', async () => {
    llm.script(json({ answer: 42 }));
    const result = await activities.completeChat(input({ jsonMode: true }));
    expect(JSON.parse(result.content!)).toEqual({ answer: 42 });
    expect(llm.requests[0]!.body.response_format).toEqual({ type: 'json_object' });
  });

  it('sends no real key when none is stored', async () => {
    const keyless = await bot({ key: null });
    await activities.completeChat(input({ botId: keyless }));
    expect(llm.requests[0]!.headers.authorization).toBe('Bearer not-needed');
  });
});

describe('completeChat: provider profiles', () => {
  const parameters = {
    type: 'object',
    properties: { date: { type: 'string', description: 'Day (a date, YYYY-MM-DD)' }, party: { type: 'integer', description: 'People' }, kind: { type: 'string', enum: ['table', 'bar'], description: 'Where' } },
    required: ['date'],
    additionalProperties: false,
  };
  const withTool = (profile: NonNullable<CompleteChatInput['provider']['profile']>, overrides: Partial<CompleteChatInput> = {}) =>
    input({ tools: [{ name: 'check_availability', description: 'Free slots on a day.', parameters }], toolChoice: 'auto', seed: 7, ...overrides }, { profile });
  const DEFAULTS = { auth: 'bearer', maxTokensParam: 'max_tokens', seedParam: 'seed', strictSchemas: false } as const;

  it('sends the portable default with the default profile, exactly as with none', async () => {
    await activities.completeChat(withTool(DEFAULTS));
    const { seed: _seed, ...noProfile } = withTool(DEFAULTS);
    await activities.completeChat({ ...noProfile, seed: 7, provider: { ...noProfile.provider, profile: undefined } });
    const [profiled, plain] = llm.requests;
    expect(profiled!.body).toEqual(plain!.body);
    expect(profiled!.body).toEqual({
      model: 'scripted-model',
      messages: [
        { role: 'system', content: 'You are a helpful bot.' },
        { role: 'user', content: 'Hi' },
      ],
      tools: [{ type: 'function', function: { name: 'check_availability', description: 'Free slots on a day.', parameters } }],
      tool_choice: 'auto',
      seed: 7,
      temperature: 0.2,
      max_tokens: 300,
    });
    expect(profiled).toMatchObject({ path: '/v1/chat/completions', query: {} });
    expect(profiled!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(profiled!.headers).not.toHaveProperty('api-key');
  });

  it('azure: the key as api-key (no bearer), api-version in the query, the model as the deployment', async () => {
    await activities.completeChat(withTool({ ...DEFAULTS, auth: 'azure', apiVersion: '2024-10-21' }));
    const [request] = llm.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/deployments/scripted-model/chat/completions', query: { 'api-version': '2024-10-21' } });
    expect(request!.headers['api-key']).toBe(KEY);
    expect(request!.headers).not.toHaveProperty('authorization');
    expect(request!.body).toMatchObject({ model: 'scripted-model', max_tokens: 300, seed: 7, tool_choice: 'auto' });
    // The same bot with another api-version gets another client.
    await activities.completeChat(withTool({ ...DEFAULTS, auth: 'azure', apiVersion: '2025-04-01-preview' }));
    expect(llm.requests[1]!.query).toEqual({ 'api-version': '2025-04-01-preview' });
    // And back on bearer: the plain client again.
    await activities.completeChat(withTool(DEFAULTS));
    expect(llm.requests[2]).toMatchObject({ path: '/v1/chat/completions', query: {} });
    expect(llm.requests[2]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('azure: a provider error still gives its text, never the key', async () => {
    llm.script(status(400, { error: { message: `Unrecognized request argument supplied: parallel_tool_calls (${KEY})`, type: 'invalid_request_error' } }));
    const refused = await failure(activities.completeChat(withTool({ ...DEFAULTS, auth: 'azure', apiVersion: '2024-10-21' })));
    expect(refused).toMatchObject({ type: 'LlmRejected', nonRetryable: true });
    expect(refused.message).toMatch(/HTTP 400.*Unrecognized request argument/);
    expect(refused.message).not.toContain(KEY.slice(8, 20));
  });

  it('max_completion_tokens instead of max_tokens (never both), random_seed instead of seed', async () => {
    await activities.completeChat(withTool({ ...DEFAULTS, maxTokensParam: 'max_completion_tokens', seedParam: 'random_seed' }));
    const body = llm.requests[0]!.body;
    expect(body).toMatchObject({ max_completion_tokens: 300, random_seed: 7 });
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('seed');
    // No seed set: neither is sent.
    await activities.completeChat(withTool({ ...DEFAULTS, seedParam: 'random_seed' }, { seed: undefined }));
    expect(llm.requests[1]!.body).not.toHaveProperty('random_seed');
    expect(llm.requests[1]!.body).not.toHaveProperty('seed');
  });

  it('strictSchemas: strict functions, every property required (optional ones nullable), closed objects, no parallel calls', async () => {
    await activities.completeChat(withTool({ ...DEFAULTS, strictSchemas: true }));
    const body = llm.requests[0]!.body;
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'check_availability',
          description: 'Free slots on a day.',
          strict: true,
          parameters: {
            type: 'object',
            properties: {
              date: { type: 'string', description: 'Day (a date, YYYY-MM-DD)' },
              party: { type: ['integer', 'null'], description: 'People' },
              kind: { type: ['string', 'null'], enum: ['table', 'bar', null], description: 'Where' },
            },
            required: ['date', 'party', 'kind'],
            additionalProperties: false,
          },
        },
      },
    ]);
    expect(body.parallel_tool_calls).toBe(false);
    expect(body.tool_choice).toBe('auto');
    // Without tools (JSON mode, or tools forbidden) there is nothing to be strict about: no parallel_tool_calls.
    await activities.completeChat(withTool({ ...DEFAULTS, strictSchemas: true }, { tools: [], jsonMode: true }));
    expect(llm.requests[1]!.body).not.toHaveProperty('parallel_tool_calls');
    expect(llm.requests[1]!.body.response_format).toEqual({ type: 'json_object' });
  });
});

describe('completeChat: failures', () => {
  it('retries a 429 after its Retry-After (seconds or retry-after-ms)', async () => {
    llm.script(status(429, { error: { message: 'slow down' } }, { 'retry-after': '2' }), status(429, undefined, { 'retry-after-ms': '1500' }), status(429));
    const seconds = await failure(activities.completeChat(input()));
    expect(seconds).toMatchObject({ type: 'LlmRateLimited', nonRetryable: false, nextRetryDelay: 2000 });
    expect((await failure(activities.completeChat(input()))).nextRetryDelay).toBe(1500);
    const plain = await failure(activities.completeChat(input()));
    expect(plain).toMatchObject({ type: 'LlmRateLimited', nonRetryable: false });
    expect(plain.nextRetryDelay ?? undefined).toBeUndefined();
  });

  it('retries a 5xx and an answer without choices', async () => {
    llm.script(status(500), status(503, 'upstream down'), status(200, { id: 'x', object: 'chat.completion', choices: [] }));
    for (let i = 0; i < 3; i++) expect(await failure(activities.completeChat(input()))).toMatchObject({ type: 'LlmUnavailable', nonRetryable: false });
  });

  it("does not retry a 5xx the provider blames on the request, nor a plain 500 on a later attempt", async () => {
    // llama-cpp-python answers 500 to a request it refuses (issue 19: an assistant message with content null).
    llm.script(status(500, { error: { message: '1 validation error for ChatCompletionRequestAssistantMessage content Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]', type: 'internal_server_error', param: null, code: null } }));
    const refused = await failure(activities.completeChat(input()));
    expect(refused).toMatchObject({ type: 'LlmRejected', nonRetryable: true });
    expect(refused.message).toMatch(/HTTP 500.*validation error/);
    const plain = status(500, { error: { message: 'Internal failure 0x2a', type: 'internal_server_error' } });
    llm.script(plain, plain);
    expect(await failure(activities.completeChat(input()))).toMatchObject({ type: 'LlmUnavailable', nonRetryable: false });
    const second = { info: { attempt: 2 }, cancellationSignal: new AbortController().signal, heartbeat: jest.fn() } as unknown as Context;
    const again = await failure(asyncLocalStorage.run(second, () => activities.completeChat(input())));
    expect(again).toMatchObject({ type: 'LlmRejected', nonRetryable: true });
    expect(again.message).toMatch(/HTTP 500 again \(attempt 2\).*Internal failure 0x2a/);
  });

  it("gives the provider's text from a top-level message (Mistral) or detail (FastAPI), which the SDK drops, never the key", async () => {
    llm.script(
      status(422, { object: 'error', message: `Assistant message must have either content or tool_calls, but not both. (key ${KEY})`, type: 'invalid_request_error', param: null, code: null }),
      status(500, { detail: [{ loc: ['body', 'messages', 1, 'content'], msg: 'Field required', input: { role: 'user', note: 'visitor words' } }] }),
    );
    const mistral = await failure(activities.completeChat(input()));
    expect(mistral.message).toMatch(/^The LLM provider rejected the request \(HTTP 422\): Assistant message must have either content or tool_calls, but not both\./);
    expect(mistral.message).not.toContain(KEY.slice(8, 20));
    const fastapi = await failure(activities.completeChat(input()));
    expect(fastapi).toMatchObject({ type: 'LlmRejected', nonRetryable: true });
    expect(fastapi.message).toMatch(/body\.messages\.1\.content: Field required$/);
    expect(fastapi.message).not.toContain('visitor words');
  });

  it('does not retry a 401, and masks the key when the provider echoes it', async () => {
    llm.script(status(401, { error: { message: `Incorrect API key provided: ${KEY}. Also ${KEY.slice(0, 14)}***${KEY.slice(-4)}`, type: 'invalid_request_error' } }));
    const rejected = await failure(activities.completeChat(input()));
    expect(rejected).toMatchObject({ type: 'LlmRejected', nonRetryable: true });
    expect(rejected.message).toMatch(/HTTP 401.*Incorrect API key provided/);
    expect(JSON.stringify({ message: rejected.message, stack: rejected.stack, details: rejected.details, cause: String(rejected.cause) })).not.toContain(KEY.slice(8, 20));
    expect(maskSecret(`x ${KEY} y`, KEY)).toBe('x [redacted] y');
  });

  it('does not retry other 4xx or a redirect, and cuts long provider text', async () => {
    llm.script(status(400, { error: { message: 'x'.repeat(1000) } }), status(302, '', { location: 'http://169.254.169.254/latest' }));
    const bad = await failure(activities.completeChat(input()));
    expect(bad).toMatchObject({ type: 'LlmRejected', nonRetryable: true });
    expect(bad.message.length).toBeLessThan(400);
    expect(await failure(activities.completeChat(input()))).toMatchObject({ type: 'LlmRejected', nonRetryable: true });
    expect(llm.requests).toHaveLength(2); // the redirect was not followed
  });

  it('times out a slow provider in about timeoutMs, as a retryable failure', async () => {
    llm.script(delay(4000, text('too late')));
    const started = Date.now();
    expect(await failure(activities.completeChat(input({}, { timeoutMs: 1000 })))).toMatchObject({ type: 'LlmUnavailable', nonRetryable: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('refuses loopback providers unless the bot allows private networks', async () => {
    const port = new URL(llm.baseUrl).port;
    for (const baseUrl of [llm.baseUrl, `https://127.0.0.1:${port}/v1`, `https://localhost:${port}/v1`, 'https://[::ffff:127.0.0.1]/v1']) {
      const refused = await failure(activities.completeChat(input({}, { baseUrl, allowPrivateNetwork: false })));
      expect(refused).toMatchObject({ type: 'LlmBlockedAddress', nonRetryable: true });
    }
    expect(llm.requests).toHaveLength(0);
  });

  it("refuses them for every bot when the operator's allowlist does not cover them, and metadata addresses always", async () => {
    const locked = createLlmActivities({ db, secrets: box });
    expect(await failure(locked.completeChat(input()))).toMatchObject({ type: 'LlmBlockedAddress', nonRetryable: true });
    expect(await failure(activities.completeChat(input({}, { baseUrl: 'http://169.254.169.254/v1' })))).toMatchObject({ type: 'LlmBlockedAddress' });
    expect(llm.requests).toHaveLength(0);
  });

  it("treats another account's bot as missing, and an unopenable key as unavailable", async () => {
    const theirs = await bot({ account: 'acc_other' });
    expect(await failure(activities.completeChat(input({ botId: theirs })))).toMatchObject({ type: 'LlmUnavailable', nonRetryable: true });
    const copied = await bot({ sealFor: 'bot_somewhere_else' });
    const unopenable = await failure(activities.completeChat(input({ botId: copied })));
    expect(unopenable).toMatchObject({ type: 'LlmKeyUnavailable', nonRetryable: true });
    expect(unopenable.message).not.toContain(KEY);
    expect(llm.requests).toHaveLength(0);
  });

  it('heartbeats while in flight and stops when the activity is cancelled', async () => {
    llm.setDefault(delay(10_000, text('never')));
    const controller = new AbortController();
    const context = { info: { attempt: 1 }, cancellationSignal: controller.signal, heartbeat: jest.fn() } as unknown as Context;
    const started = Date.now();
    setTimeout(() => controller.abort(), 1500);
    const error = await asyncLocalStorage.run(context, () => activities.completeChat(input())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((context.heartbeat as jest.Mock).mock.calls.length).toBeGreaterThanOrEqual(2);
  });
});

describe('scripted provider', () => {
  it('answers dynamically, embeds deterministically and 404s unknown routes', async () => {
    llm.setDefault(fn((request) => text(`you said ${request.body.messages.at(-1).content}`)));
    expect((await activities.completeChat(input())).content).toBe('you said Hi');
    const embed = async (input: unknown): Promise<any> => (await fetch(`${llm.baseUrl}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'e', input }) })).json();
    const [one, two] = await Promise.all([embed('opening hours'), embed(['opening hours', 'prices'])]);
    expect(one.data[0].embedding).toHaveLength(8);
    expect(two.data[0].embedding).toEqual(one.data[0].embedding);
    expect(two.data[1].embedding).not.toEqual(one.data[0].embedding);
    const missing = await fetch(`${llm.baseUrl}/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { message: expect.any(String) } });
  });
});
