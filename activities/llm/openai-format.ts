/**
 * Parley's provider-neutral chat shapes (models/ai.schema.ts) to and from the OpenAI chat completions
 * format, which every OpenAI-compatible server (OpenAI, Ollama, vLLM, LM Studio, ...) speaks.
 */
import { createHash } from 'node:crypto';
import type OpenAI from 'openai';
import type { ChatMessage, ChatToolCall, ChatToolSpec, CompleteChatInput, CompleteChatResult } from '../../models/ai.schema';

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
        // to `content: null` and to no content at all, and every other server takes "" (docs/model-servers.md).
        content: message.content ?? '',
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

/** A tool as a function definition; the parameters schema is passed as given (additionalProperties included). */
export function toOpenAiTool(tool: ChatToolSpec): ToolParam {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

function toToolChoice(choice: NonNullable<CompleteChatInput['toolChoice']>): OpenAI.Chat.Completions.ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** The request body for one completeChat call (non-streaming). */
export function toCompletionParams(input: CompleteChatInput): Params {
  return {
    model: input.provider.model,
    messages: input.messages.map(toOpenAiMessage),
    // `tools: []` is an error on several servers, and tool_choice without tools is one everywhere. Tools are
    // forbidden by leaving them out: Ollama ignores `tool_choice: "none"` (docs/model-servers.md).
    ...(input.tools.length > 0 && input.toolChoice !== 'none' ? { tools: input.tools.map(toOpenAiTool), ...(input.toolChoice ? { tool_choice: toToolChoice(input.toolChoice) } : {}) } : {}),
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    temperature: input.temperature,
    // max_tokens rather than max_completion_tokens: the one every OpenAI-compatible server understands.
    max_tokens: input.maxOutputTokens,
    ...(input.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
  };
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
