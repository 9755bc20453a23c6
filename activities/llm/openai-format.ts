/**
 * Parley's provider-neutral chat shapes (models/ai.schema.ts) to and from the OpenAI chat completions
 * format, which every OpenAI-compatible server (OpenAI, Ollama, vLLM, LM Studio, ...) speaks.
 */
import { createHash } from 'node:crypto';
import type OpenAI from 'openai';
import { PROVIDER_DEFAULTS, type ChatMessage, type ChatToolCall, type ChatToolSpec, type CompleteChatInput, type CompleteChatResult, type ProviderProfile } from '../../models/ai.schema';

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type MessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ToolParam = OpenAI.Chat.Completions.ChatCompletionFunctionTool;

/** One ChatMessage as the provider expects it. */
export function toOpenAiMessage(message: ChatMessage): MessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        // An empty string, not null, beside tool calls: llama.cpp's server (llama-cpp-python) answers 500
        // to `content: null` and to no content at all, and every other server takes "". Nor any text the
        // model wrote beside its calls: Mistral refuses content and tool_calls together (docs/model-servers.md).
        content: message.toolCalls?.length ? '' : (message.content ?? ''),
        // Some servers reject an empty tool_calls array, so it is left out rather than sent empty.
        ...(message.toolCalls?.length
          ? { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: echoedArguments(call.arguments) } })) }
          : {}),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/**
 * The arguments as sent back in the assistant's tool-call message: the model's text when it holds a JSON
 * object, else "{}". Ollama (400) and vLLM (`json.loads`) refuse the next request over empty or invalid
 * arguments, every time; the tool result beside it already tells the model its arguments were invalid.
 */
export function echoedArguments(raw: string): string {
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? raw : '{}';
  } catch {
    return '{}';
  }
}

/**
 * A tool as a function definition; the parameters schema is passed as given (additionalProperties included),
 * or, with `strict`, made into what OpenAI's structured outputs take (strictSchema).
 */
export function toOpenAiTool(tool: ChatToolSpec, strict = false): ToolParam {
  if (!strict) return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: strictSchema(tool.parameters) as Record<string, unknown>, strict: true } };
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * A JSON Schema as OpenAI's `strict: true` wants it: every object closed (`additionalProperties: false`) with
 * all its properties required, an optional property becoming nullable (`["string","null"]`, null added to an
 * enum). checkToolArguments reads a null argument as absent, so the meaning is unchanged.
 */
export function strictSchema(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = { ...schema };
  if (out.type === 'object' || isRecord(out.properties)) {
    const required = new Set(Array.isArray(out.required) ? out.required : []);
    const properties: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(isRecord(out.properties) ? out.properties : {})) {
      const strict = strictSchema(property);
      properties[name] = required.has(name) ? strict : nullable(strict);
    }
    out.properties = properties;
    out.required = Object.keys(properties);
    out.additionalProperties = false;
  }
  if (out.items !== undefined) out.items = strictSchema(out.items);
  return out;
}

function nullable(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  const types = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : undefined;
  if (!types) return { anyOf: [schema, { type: 'null' }] };
  if (types.includes('null')) return schema;
  return { ...schema, type: [...types, 'null'], ...(Array.isArray(schema.enum) ? { enum: [...schema.enum, null] } : {}) };
}

/** The bot's profile with every field filled (a bot or version from before profiles: the defaults). */
export const profileOf = (provider: CompleteChatInput['provider']): ProviderProfile => ({ ...PROVIDER_DEFAULTS, ...provider.profile });

function toToolChoice(choice: NonNullable<CompleteChatInput['toolChoice']>): OpenAI.Chat.Completions.ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** The request body for one completeChat call (non-streaming), as the bot's provider profile wants it. */
export function toCompletionParams(input: CompleteChatInput): Params {
  const profile = profileOf(input.provider);
  // `tools: []` is an error on several servers, and tool_choice without tools is one everywhere. Tools are
  // forbidden by leaving them out: Ollama ignores `tool_choice: "none"` (docs/model-servers.md).
  const withTools = input.tools.length > 0 && input.toolChoice !== 'none';
  const params: Record<string, unknown> = {
    model: input.provider.model,
    messages: input.messages.map(toOpenAiMessage),
    ...(withTools
      ? {
          tools: input.tools.map((tool) => toOpenAiTool(tool, profile.strictSchemas)),
          ...(input.toolChoice ? { tool_choice: toToolChoice(input.toolChoice) } : {}),
          // Strict schemas cannot go with parallel calls (OpenAI); never sent otherwise (old Azure deployments refuse it).
          ...(profile.strictSchemas ? { parallel_tool_calls: false } : {}),
        }
      : {}),
    // Mistral's API takes `random_seed` and refuses `seed`.
    ...(input.seed !== undefined ? { [profile.seedParam]: input.seed } : {}),
    temperature: input.temperature,
    // max_tokens by default: the one every OpenAI-compatible server understands; never both.
    [profile.maxTokensParam]: input.maxOutputTokens,
    ...(input.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
  };
  return params as unknown as Params;
}

/** What the provider's first choice says, as plain JSON; undefined when the answer holds no choice. */
export function fromCompletion(completion: unknown, input?: Pick<CompleteChatInput, 'conversationId' | 'messages'>): CompleteChatResult | undefined {
  const body = (completion ?? {}) as { choices?: unknown; usage?: unknown };
  const choice = Array.isArray(body.choices) ? (body.choices[0] as { message?: unknown; finish_reason?: unknown } | undefined) : undefined;
  if (!choice || typeof choice !== 'object') return undefined;
  const message = (choice.message ?? {}) as { content?: unknown; tool_calls?: unknown };
  const toolCalls = readToolCalls(message.tool_calls, input);
  return {
    content: typeof message.content === 'string' ? message.content : null,
    toolCalls,
    finishReason: typeof choice.finish_reason === 'string' && choice.finish_reason ? choice.finish_reason : toolCalls.length > 0 ? 'tool_calls' : 'stop',
    usage: readUsage(body.usage),
  };
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A tool-call id for a call the server gave none: 9 letters and digits (the only ids Mistral's API and
 * Mistral-family templates take back), derived from the conversation, the request's messages and the
 * call's place, so a retried request gets the same ids, and never one already in the conversation.
 */
export function madeToolCallId(seed: string, taken: ReadonlySet<string>): string {
  for (let n = 0; ; n++) {
    const digest = createHash('sha256').update(`${seed}#${n}`).digest();
    let id = '';
    for (let i = 0; i < 9; i++) id += ID_ALPHABET[digest[i]! % ID_ALPHABET.length];
    if (!taken.has(id)) return id;
  }
}

function readToolCalls(raw: unknown, input?: Pick<CompleteChatInput, 'conversationId' | 'messages'>): ChatToolCall[] {
  if (!Array.isArray(raw)) return [];
  const calls: Array<Omit<ChatToolCall, 'id'> & { id: string | undefined }> = [];
  raw.forEach((entry: unknown) => {
    const call = (entry ?? {}) as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
    // Custom (free-text) tools are never offered, so only function calls are read.
    if (!call.function || typeof call.function.name !== 'string') return;
    const args = call.function.arguments;
    calls.push({
      // The server's id is echoed as it was; a missing one is made below.
      id: typeof call.id === 'string' && call.id ? call.id : undefined,
      name: call.function.name,
      // The raw text is kept (the workflow parses and checks it); a server sending an object gets it as JSON.
      arguments: typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args),
    });
  });
  if (calls.every((call) => call.id !== undefined)) return calls as ChatToolCall[];
  // Some local servers leave ids out; the workflow pairs tool results by id, so they must be unique.
  const messages = input?.messages ?? [];
  const taken = new Set<string>(calls.flatMap((call) => (call.id ? [call.id] : [])));
  for (const message of messages) {
    if (message.role === 'assistant') message.toolCalls?.forEach((call) => taken.add(call.id));
    if (message.role === 'tool') taken.add(message.toolCallId);
  }
  const context = createHash('sha256').update(JSON.stringify([input?.conversationId ?? '', messages])).digest('base64url');
  return calls.map((call, index) => {
    if (call.id !== undefined) return call as ChatToolCall;
    const id = madeToolCallId(`${context}:${index}`, taken);
    taken.add(id);
    return { ...call, id };
  });
}

function readUsage(raw: unknown): CompleteChatResult['usage'] {
  const usage = (raw ?? {}) as { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown };
  const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0);
  const promptTokens = count(usage.prompt_tokens);
  const completionTokens = count(usage.completion_tokens);
  const total = count(usage.total_tokens);
  return { promptTokens, completionTokens, totalTokens: total || promptTokens + completionTokens };
}
