/**
 * A scripted OpenAI-compatible server for tests and the benchmark: a real HTTP server on 127.0.0.1 that
 * answers `POST /v1/chat/completions` with whatever the test queued, in order, and records every request
 * it received. It speaks the real wire format, so the activity under test runs the real `openai` SDK.
 *
 *   const llm = await startScriptedLlm();
 *   llm.script(toolCall('check_availability', { date: '2099-03-01' }), text('Free at 9:00.'));
 *   // ... point a bot at llm.baseUrl, drive a conversation ...
 *   expect(llm.requests[0]!.body.tools[0].function.name).toBe('check_availability');
 *   await llm.close();
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { listenTenant } from './tenant-ports';

/** One request the server received (chat completions, embeddings or anything else). */
export interface LlmRequest {
  method: string;
  /** The path without the query, e.g. `/v1/chat/completions`. */
  path: string;
  /** The query parameters (Azure's `api-version`). */
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when empty or not JSON): loosely typed so tests can dig in. */
  body: any;
}

/** Usage as the provider reports it (OpenAI's snake_case). */
export interface LlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One scripted tool call: arguments as an object (sent as its JSON) or raw text (possibly malformed). */
export interface ScriptedToolCall {
  name: string;
  args: object | string;
  /** Left out: `call_<n>` with a counter. `null`: sent without an id (some local servers do that). */
  id?: string | null;
}

/** What the server does with one chat completions request. Build them with the helpers below. */
export type LlmStep =
  | { kind: 'message'; content: string | null; toolCalls: ScriptedToolCall[]; usage?: LlmUsage | null; finishReason?: string }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number; step: LlmStep }
  | { kind: 'fn'; fn: (request: LlmRequest) => LlmStep | Promise<LlmStep> };

/** A plain text answer (finish_reason `stop`). `usage: null` leaves usage out of the response. */
export const text = (content: string, usage?: LlmUsage | null): LlmStep => ({ kind: 'message', content, toolCalls: [], usage });

/** A JSON-mode answer: the object as the message's text. */
export const json = (value: unknown, usage?: LlmUsage | null): LlmStep => text(JSON.stringify(value), usage);

/** One tool call (finish_reason `tool_calls`, content null). */
export const toolCall = (name: string, args: object | string, id?: string | null): LlmStep => toolCalls([{ name, args, ...(id !== undefined ? { id } : {}) }]);

/** Several tool calls in one assistant message, optionally with text beside them. */
export const toolCalls = (calls: ScriptedToolCall[], options: { content?: string | null; usage?: LlmUsage | null } = {}): LlmStep => ({
  kind: 'message',
  content: options.content ?? null,
  toolCalls: calls,
  usage: options.usage,
});

/** An HTTP error (or any status): the body defaults to OpenAI's `{error: {message, type, code}}`. */
export const status = (code: number, body?: unknown, headers?: Record<string, string>): LlmStep => ({ kind: 'status', status: code, body, headers });

/** Answers with `step` after `ms` milliseconds (a slow model, for timeouts); dropped if the client leaves. */
export const delay = (ms: number, step: LlmStep): LlmStep => ({ kind: 'delay', ms, step });

/** Decides per request: e.g. a model that always calls a tool, or answers from the latest tool message. */
export const fn = (decide: (request: LlmRequest) => LlmStep | Promise<LlmStep>): LlmStep => ({ kind: 'fn', fn: decide });

export interface ScriptedLlm {
  /** `http://127.0.0.1:<port>/v1`: what a bot's `baseUrl` is set to. */
  baseUrl: string;
  /** Every request received, oldest first (cleared by reset()). */
  requests: LlmRequest[];
  /** Queues steps, consumed one per chat completions request, in order. */
  script(...steps: LlmStep[]): void;
  /** What answers when the queue is empty (initially `text('OK')`). */
  setDefault(step: LlmStep): void;
  /** Steps still queued. */
  pending(): number;
  /** Clears the queue and the recorded requests, and restores the default answer. */
  reset(): void;
  close(): Promise<void>;
}

/** Dimensions of the deterministic embedding vectors (or the request's `dimensions`). */
export const EMBEDDING_DIMENSIONS = 8;

/** Starts a scripted provider on 127.0.0.1 with a free port. */
export async function startScriptedLlm(): Promise<ScriptedLlm> {
  const queue: LlmStep[] = [];
  const requests: LlmRequest[] = [];
  let fallback: LlmStep = text('OK');
  let counter = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://llm');
      const request: LlmRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: parse(raw) };
      requests.push(request);
      route(request, res).catch((error: unknown) => send(res, 500, { error: { message: `scripted server error: ${String(error)}`, type: 'server_error', code: null } }));
    });
  });

  async function route(request: LlmRequest, res: http.ServerResponse): Promise<void> {
    const path = request.path.replace(/\/+$/, '');
    // Azure's classic API posts to /v1/deployments/<deployment>/chat/completions.
    if (request.method === 'POST' && (path === '/v1/chat/completions' || /^\/v1\/deployments\/[^/]+\/chat\/completions$/.test(path))) return play(queue.shift() ?? fallback, request, res);
    if (request.method === 'POST' && path === '/v1/embeddings') return send(res, 200, embeddings(request.body));
    if (request.method === 'GET' && path === '/v1/models') return send(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'parley-tests' }] });
    send(res, 404, { error: { message: `Unknown route ${request.method} ${request.path}`, type: 'invalid_request_error', code: 'unknown_url' } });
  }

  async function play(step: LlmStep, request: LlmRequest, res: http.ServerResponse): Promise<void> {
    switch (step.kind) {
      case 'fn':
        return play(await step.fn(request), request, res);
      case 'delay':
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, step.ms);
          // A client that gave up (timeout, cancellation) gets nothing; the timer must not hold the test open.
          res.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (res.writableEnded || res.destroyed) return;
        return play(step.step, request, res);
      case 'status': {
        const body = step.body !== undefined ? step.body : { error: { message: `Scripted HTTP ${step.status}`, type: 'scripted_error', code: null } };
        return send(res, step.status, body, step.headers);
      }
      case 'message':
        return send(res, 200, completion(step, request.body, ++counter));
    }
  }

  const port = await listenTenant(server);

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...steps) => void queue.push(...steps),
    setDefault: (step) => void (fallback = step),
    pending: () => queue.length,
    reset() {
      queue.length = 0;
      requests.length = 0;
      fallback = text('OK');
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parse(raw: string): any {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function send(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(payload);
}

/** A valid OpenAI chat.completion for a message step. */
function completion(step: Extract<LlmStep, { kind: 'message' }>, body: any, n: number): unknown {
  const toolCalls = step.toolCalls.map((call, i) => ({
    ...(call.id === null ? {} : { id: call.id ?? `call_${n}_${i}` }),
    type: 'function',
    function: { name: call.name, arguments: typeof call.args === 'string' ? call.args : JSON.stringify(call.args) },
  }));
  const usage = step.usage === null ? undefined : (step.usage ?? estimateUsage(body, step));
  return {
    id: `chatcmpl-scripted-${n}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof body?.model === 'string' ? body.model : 'scripted',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: step.content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}), refusal: null },
        finish_reason: step.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop'),
        logprobs: null,
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/** Roughly four characters a token, so budgets move in tests without scripting usage every time. */
function estimateUsage(body: any, step: Extract<LlmStep, { kind: 'message' }>): LlmUsage {
  const prompt = Math.max(1, Math.ceil(JSON.stringify(body?.messages ?? []).length / 4));
  const completion = Math.max(1, Math.ceil(((step.content ?? '').length + JSON.stringify(step.toolCalls).length * (step.toolCalls.length ? 1 : 0)) / 4));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Deterministic unit vectors from a hash of each input text: equal texts embed equally. */
function embeddings(body: any): unknown {
  const inputs: string[] = Array.isArray(body?.input) ? body.input.map(String) : [String(body?.input ?? '')];
  const dimensions = Number.isInteger(body?.dimensions) && body.dimensions > 0 && body.dimensions <= 4096 ? (body.dimensions as number) : EMBEDDING_DIMENSIONS;
  const data = inputs.map((input, index) => ({ object: 'embedding', index, embedding: vector(input, dimensions) }));
  const tokens = inputs.reduce((sum, input) => sum + Math.max(1, Math.ceil(input.length / 4)), 0);
  return { object: 'list', data, model: typeof body?.model === 'string' ? body.model : 'scripted-embedding', usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function vector(input: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${input}`).digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) values.push(digest.readUInt16BE(i) / 32767.5 - 1);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => Number((v / norm).toFixed(6)));
}
