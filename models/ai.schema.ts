/**
 * Smart AI: a bot's LLM settings, the tools it may call, and the shapes that cross the workflow/activity
 * boundary for an LLM call. The provider API key is write-only: the API seals it on the bot document
 * (never in a published snapshot, a workflow payload or a response); the `completeChat` activity opens
 * it by bot id.
 */
import { z } from 'zod';
import { AI_WAIT_LIMITS } from './limits';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 letters, digits, _ or -');

/** One of the bot's actions offered to the LLM as a tool. */
export const AiTool = z.strictObject({
  actionId: Id,
  /** Plain English: when the model should use it ("when the visitor asks about free slots"). */
  whenToUse: z.string().trim().min(1).max(1000),
});
export type AiTool = z.infer<typeof AiTool>;

/**
 * How a bot's provider wants the request, beyond the portable default every common server takes
 * (docs/model-servers.md, sections 7 and 8). Each field may be left out for its default.
 */
export const PROVIDER_DEFAULTS = { auth: 'bearer', maxTokensParam: 'max_tokens', seedParam: 'seed', strictSchemas: false } as const;

export const ProviderProfile = z
  .strictObject({
    /**
     * `bearer`: `Authorization: Bearer <key>` (OpenAI and every compatible server, Azure's v1 API included).
     * `azure`: Azure OpenAI's classic API: the key in an `api-key` header, `api-version` in the query, and
     * the request sent to `<baseUrl>/deployments/<model>/chat/completions` (baseUrl
     * `https://<resource>.openai.azure.com/openai`, model = the deployment's name).
     */
    auth: z.enum(['bearer', 'azure']).default(PROVIDER_DEFAULTS.auth),
    /** Azure's `api-version` (e.g. `2024-10-21`); required with `auth: "azure"`, refused otherwise. */
    apiVersion: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, 'an api-version is 1-40 letters, digits, ".", "_" or "-"')
      .optional(),
    /** `max_completion_tokens` for OpenAI's and Azure's reasoning models (o-series, gpt-5), which refuse `max_tokens`. */
    maxTokensParam: z.enum(['max_tokens', 'max_completion_tokens']).default(PROVIDER_DEFAULTS.maxTokensParam),
    /** `random_seed` for Mistral's API, which refuses `seed` (only sent when the bot sets a seed). */
    seedParam: z.enum(['seed', 'random_seed']).default(PROVIDER_DEFAULTS.seedParam),
    /**
     * OpenAI's structured outputs for tools: `strict: true` on each function, every property required (an
     * optional one as `["<type>","null"]`, a null argument being read as absent), `additionalProperties:
     * false` on every object, and `parallel_tool_calls: false`.
     */
    strictSchemas: z.boolean().default(PROVIDER_DEFAULTS.strictSchemas),
  })
  .superRefine((profile, ctx) => {
    if (profile.auth === 'azure' && profile.apiVersion === undefined) ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: 'auth "azure" needs the apiVersion of the Azure OpenAI API (e.g. "2024-10-21")' });
    if (profile.auth !== 'azure' && profile.apiVersion !== undefined) ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: 'apiVersion is only sent with auth "azure"' });
  });
export type ProviderProfile = z.infer<typeof ProviderProfile>;

const aiFields = {
  enabled: z.boolean(),
  /** Any OpenAI-compatible server: https://api.openai.com/v1, http://127.0.0.1:11434/v1 (Ollama), ... */
  baseUrl: z.url({ protocol: /^https?$/ }).max(500),
  model: z.string().trim().min(1).max(200),
  /** Write-only. Omit on update to keep the stored key; `null` removes it (a local Ollama needs none). */
  apiKey: z.string().min(1).max(4096).nullable(),
  /** Allow a provider on a private or loopback address (and plain http), e.g. a local Ollama. */
  allowPrivateNetwork: z.boolean(),
  /** The bot's own instructions, added to Parley's safety rules. */
  systemPrompt: z.string().max(8000),
  temperature: z.number().min(0).max(2),
  /** Tool calls the model may make while answering one visitor message. */
  maxToolCallsPerTurn: z.number().int().min(1).max(20),
  /** Tool calls over the whole conversation; past it the model must answer without tools. */
  maxToolCallsPerConversation: z.number().int().min(1).max(1000),
  /** Provider tokens (prompt + completion) one conversation may spend; past it Smart AI stops answering. */
  tokenBudget: z.number().int().min(1000).max(10_000_000),
  /** Longest completion per LLM call, in tokens. */
  maxOutputTokens: z.number().int().min(16).max(32_000),
  /** One LLM request's timeout; timed-out requests are retried with backoff. */
  timeoutMs: z.number().int().min(1000).max(120_000),
  /**
   * The longest a visitor's message waits on the model for one answer, all attempts and their backoff
   * together; then the visitor gets the "can't answer right now" message. At least `timeoutMs`. Left out:
   * 60000, or `timeoutMs` when that is longer.
   */
  maxWaitMs: z.number().int().min(AI_WAIT_LIMITS.min).max(AI_WAIT_LIMITS.max),
  /** Said (and written to the transcript) before a tool call runs. */
  interimMessage: z.string().trim().min(1).max(500),
  tools: z.array(AiTool).max(50),
  /** The knowledge base as a built-in `search_knowledge` tool; either field may be left out for its default. */
  knowledge: z.strictObject({ enabled: z.boolean().default(true), maxResults: z.number().int().min(1).max(10).default(5) }),
  /** Sampling seed for providers that take one (llama.cpp, vLLM, Ollama, OpenAI); null sends none. */
  seed: z.number().int().min(0).max(2_147_483_647).nullable(),
  /**
   * What the model is asked on the first model call of each visitor message: `auto` (it decides),
   * `required` (it must call some tool), or a tool's name (that tool: an action id, `search_knowledge`
   * or `start_flow`). Later calls in the same turn are always `auto`, so the model can answer.
   */
  toolChoice: z.union([z.enum(['auto', 'required']), Id]),
  /** The bot's guided flows as a built-in `start_flow` tool. */
  flowsAsTools: z.boolean(),
  /** How the provider wants the request (see ProviderProfile); left out, the portable default. */
  provider: ProviderProfile,
};

export const AI_DEFAULTS = {
  apiKey: null,
  allowPrivateNetwork: false,
  systemPrompt: '',
  temperature: 0.2,
  maxToolCallsPerTurn: 5,
  maxToolCallsPerConversation: 50,
  tokenBudget: 200_000,
  maxOutputTokens: 800,
  timeoutMs: 30_000,
  /** When `timeoutMs` is longer, `timeoutMs` (see maxWaitMsOf in limits.ts). */
  maxWaitMs: AI_WAIT_LIMITS.default,
  interimMessage: 'Let me check that for you…',
  tools: [],
  knowledge: { enabled: true, maxResults: 5 },
  flowsAsTools: true,
  seed: null,
  toolChoice: 'auto',
  provider: PROVIDER_DEFAULTS,
} as const;

function httpsUnlessPrivate(body: { baseUrl?: string; allowPrivateNetwork?: boolean }, ctx: z.RefinementCtx): void {
  if (body.baseUrl?.startsWith('http:') && !body.allowPrivateNetwork) {
    ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'must use https (plain http only with allowPrivateNetwork)' });
  }
}

function waitsForOneRequest(body: { timeoutMs?: number; maxWaitMs?: number }, ctx: z.RefinementCtx): void {
  if (body.maxWaitMs !== undefined && body.timeoutMs !== undefined && body.maxWaitMs < body.timeoutMs) {
    ctx.addIssue({ code: 'custom', path: ['maxWaitMs'], message: `must be at least timeoutMs (${body.timeoutMs}): a turn waits for one whole request at least` });
  }
}

function uniqueTools(body: { tools?: AiTool[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  body.tools?.forEach((tool, i) => {
    if (seen.has(tool.actionId)) ctx.addIssue({ code: 'custom', path: ['tools', i, 'actionId'], message: `action "${tool.actionId}" is listed twice` });
    seen.add(tool.actionId);
  });
}

/** `PUT /v1/bots/:id/ai` body: the bot's Smart AI settings, saved whole (apiKey omitted = keep the stored one). */
export const AiSettingsBody = z
  .strictObject({
    enabled: aiFields.enabled,
    baseUrl: aiFields.baseUrl,
    model: aiFields.model,
    apiKey: aiFields.apiKey.optional(),
    allowPrivateNetwork: aiFields.allowPrivateNetwork.default(AI_DEFAULTS.allowPrivateNetwork),
    systemPrompt: aiFields.systemPrompt.default(AI_DEFAULTS.systemPrompt),
    temperature: aiFields.temperature.default(AI_DEFAULTS.temperature),
    maxToolCallsPerTurn: aiFields.maxToolCallsPerTurn.default(AI_DEFAULTS.maxToolCallsPerTurn),
    maxToolCallsPerConversation: aiFields.maxToolCallsPerConversation.default(AI_DEFAULTS.maxToolCallsPerConversation),
    tokenBudget: aiFields.tokenBudget.default(AI_DEFAULTS.tokenBudget),
    maxOutputTokens: aiFields.maxOutputTokens.default(AI_DEFAULTS.maxOutputTokens),
    timeoutMs: aiFields.timeoutMs.default(AI_DEFAULTS.timeoutMs),
    /** Filled by the API when left out: maxWaitMsOf (the default, or timeoutMs when longer). */
    maxWaitMs: aiFields.maxWaitMs.optional(),
    interimMessage: aiFields.interimMessage.default(AI_DEFAULTS.interimMessage),
    tools: aiFields.tools.default([]),
    knowledge: aiFields.knowledge.default({ ...AI_DEFAULTS.knowledge }),
    flowsAsTools: aiFields.flowsAsTools.default(AI_DEFAULTS.flowsAsTools),
    seed: aiFields.seed.default(AI_DEFAULTS.seed),
    toolChoice: aiFields.toolChoice.default(AI_DEFAULTS.toolChoice),
    provider: aiFields.provider.default({ ...AI_DEFAULTS.provider }),
  })
  .superRefine(httpsUnlessPrivate)
  .superRefine(waitsForOneRequest)
  .superRefine(uniqueTools);
export type AiSettingsBody = z.infer<typeof AiSettingsBody>;

/** The settings as stored on the bot (the key lives sealed beside them, never here). */
export type AiSettings = Omit<AiSettingsBody, 'apiKey'>;

/** A typed parameter the model fills, as the workflow checks the model's arguments against it. */
export const ToolParameter = z.object({
  name: z.string(),
  type: z.enum(['string', 'number', 'integer', 'boolean', 'email', 'date', 'enum']),
  enum: z.array(z.string()).optional(),
  required: z.boolean(),
  description: z.string(),
});
export type ToolParameter = z.infer<typeof ToolParameter>;

/** One action tool as frozen into a published version. */
export const AiToolSnapshot = z.object({
  /** The function name the model sees (the action id). */
  name: z.string(),
  actionId: z.string(),
  description: z.string(),
  /** Only the action's `llm`-sourced parameters: everything else is filled by Parley, never the model. */
  parameters: z.array(ToolParameter),
  /** Any step changes something in the business system: the visitor confirms the exact arguments first. */
  sideEffects: z.boolean(),
});
export type AiToolSnapshot = z.infer<typeof AiToolSnapshot>;

/** Smart AI as a published version carries it (no key). */
export const AiSnapshot = z.object({
  enabled: z.boolean(),
  baseUrl: z.string(),
  model: z.string(),
  allowPrivateNetwork: z.boolean(),
  systemPrompt: z.string(),
  temperature: z.number(),
  maxToolCallsPerTurn: z.number().int(),
  maxToolCallsPerConversation: z.number().int(),
  tokenBudget: z.number().int(),
  maxOutputTokens: z.number().int(),
  timeoutMs: z.number().int(),
  /** Absent in versions published before it existed: maxWaitMsOf in limits.ts gives their wait. */
  maxWaitMs: z.number().int().optional(),
  interimMessage: z.string(),
  tools: z.array(AiToolSnapshot),
  knowledge: z.object({ enabled: z.boolean(), maxResults: z.number().int() }),
  /** Flows the model may start (`start_flow`), empty when flowsAsTools is off. */
  flows: z.array(z.object({ id: z.string(), name: z.string(), description: z.string() })),
  /** Absent in versions published before these settings existed: no seed, `auto`. */
  seed: z.number().int().nullable().optional(),
  toolChoice: z.string().optional(),
  /** Absent in versions published before provider profiles existed: PROVIDER_DEFAULTS. */
  provider: z
    .object({
      auth: z.enum(['bearer', 'azure']),
      apiVersion: z.string().optional(),
      maxTokensParam: z.enum(['max_tokens', 'max_completion_tokens']),
      seedParam: z.enum(['seed', 'random_seed']),
      strictSchemas: z.boolean(),
    })
    .optional(),
});
export type AiSnapshot = z.infer<typeof AiSnapshot>;

// ---------------------------------------------------------------------------------------------------
// The `completeChat` activity's input and output: plain JSON, provider-neutral (OpenAI chat format).

export interface ChatToolCall {
  id: string;
  name: string;
  /** The raw JSON text the model produced; the workflow parses and checks it. */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ChatToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

/** A function the model may call (JSON Schema parameters, `additionalProperties: false`). */
export interface ChatToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface CompleteChatInput {
  accountId: string;
  /** Whose sealed provider key to use. */
  botId: string;
  provider: {
    baseUrl: string;
    model: string;
    allowPrivateNetwork: boolean;
    timeoutMs: number;
    /** Left out (bots and versions from before profiles, knowledge analysis of those): PROVIDER_DEFAULTS. */
    profile?: ProviderProfile;
  };
  messages: ChatMessage[];
  tools: ChatToolSpec[];
  /**
   * A name forces that tool. `none` forbids tool calls by leaving `tools` out of the request (Ollama ignores
   * `tool_choice: "none"`); Smart AI itself sends no tools when its limits are reached.
   */
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  seed?: number;
  temperature: number;
  maxOutputTokens: number;
  /** Ask for a JSON object answer (used by knowledge extraction). */
  jsonMode?: boolean;
  conversationId?: string;
}

export interface CompleteChatResult {
  content: string | null;
  toolCalls: ChatToolCall[];
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
}
