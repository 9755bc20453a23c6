/**
 * Guided flows: a bot's structured conversations, as a graph of blocks. This is the shape of the bot's
 * draft (`PUT /v1/bots/:id/flows`), of a published version's snapshot, and of what the pure interpreter
 * in core/flows walks. Structural rules that need the whole graph (unknown next block, unreachable
 * blocks, loops without an ask, unknown variables, unsafe patterns) live in core/flows/validate.ts.
 */
import { z } from 'zod';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 letters, digits, _ or -');
export const VariableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'variable names are letters, digits and _, not starting with a digit');
/** Text shown to the visitor; `{{variable}}` placeholders are filled in when it is sent. */
const Text = z.string().trim().min(1).max(2000);

export const ChoiceOption = z.strictObject({
  label: z.string().trim().min(1).max(100),
  value: z.string().trim().min(1).max(100),
  /** Other words a visitor may type to pick this option. */
  synonyms: z.array(z.string().trim().min(1).max(100)).max(20).optional(),
});
export type ChoiceOption = z.infer<typeof ChoiceOption>;

/** How an ask block checks and normalizes the visitor's answer. */
export const AnswerSpec = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), minLength: z.number().int().min(0).max(2000).optional(), maxLength: z.number().int().min(1).max(2000).optional() }),
  z.strictObject({ type: z.literal('email') }),
  z.strictObject({ type: z.literal('phone') }),
  z.strictObject({ type: z.literal('number'), min: z.number().optional(), max: z.number().optional() }),
  z.strictObject({ type: z.literal('integer'), min: z.number().int().optional(), max: z.number().int().optional() }),
  /** A calendar date (YYYY-MM-DD) in the bot's timezone; "tomorrow", "next Thursday" are understood. */
  z.strictObject({ type: z.literal('date'), allowPast: z.boolean().default(true), allowFuture: z.boolean().default(true) }),
  /** A time of day (HH:MM, 24h); "2pm", "14:30", "noon" are understood. */
  z.strictObject({ type: z.literal('time') }),
  /** A moment (ISO 8601 with the bot timezone's offset); "tomorrow at 2pm" is understood. */
  z.strictObject({ type: z.literal('datetime'), allowPast: z.boolean().default(true), allowFuture: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('yes_no') }),
  z.strictObject({ type: z.literal('choice'), options: z.array(ChoiceOption).min(1).max(20) }),
  /** A pattern the whole answer must match, run on a linear-time (RE2) engine. */
  z.strictObject({ type: z.literal('regex'), pattern: z.string().min(1).max(500), flags: z.string().regex(/^[i]*$/, 'only the i flag').optional() }),
]);
export type AnswerSpec = z.infer<typeof AnswerSpec>;
export type AnswerType = AnswerSpec['type'];

export const ComparisonOp = z.enum(['equals', 'not_equals', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists']);
export type ComparisonOp = z.infer<typeof ComparisonOp>;

export type Condition =
  | { variable: string; op: ComparisonOp; value?: string | number | boolean }
  | { all: Condition[] }
  | { any: Condition[] };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ variable: VariableName, op: ComparisonOp, value: z.union([z.string().max(500), z.number(), z.boolean()]).optional() }),
    z.strictObject({ all: z.array(Condition).min(1).max(20) }),
    z.strictObject({ any: z.array(Condition).min(1).max(20) }),
  ]),
);

const base = { id: Id };

export const MessageBlock = z.strictObject({ ...base, type: z.literal('message'), text: Text, next: Id.optional() });

export const AskBlock = z.strictObject({
  ...base,
  type: z.literal('ask'),
  question: Text,
  variable: VariableName,
  answer: AnswerSpec,
  /** Sent when an answer does not validate; the question is asked again. */
  retryMessage: Text.optional(),
  maxAttempts: z.number().int().min(1).max(10).default(3),
  next: Id.optional(),
  /** Where to go after `maxAttempts` invalid answers (default: end the flow with the bot's fallback). */
  onFail: Id.optional(),
  /** Skip the question when the variable already has a value (e.g. the contact's email given at start). */
  skipIfKnown: z.boolean().default(true),
});

export const ChoiceBlock = z.strictObject({
  ...base,
  type: z.literal('choice'),
  text: Text,
  /** Also stores the chosen value here, when set. */
  variable: VariableName.optional(),
  options: z.array(ChoiceOption.extend({ next: Id.optional() })).min(1).max(20),
  retryMessage: Text.optional(),
  maxAttempts: z.number().int().min(1).max(10).default(3),
  next: Id.optional(),
  onFail: Id.optional(),
});

export const ConditionBlock = z.strictObject({
  ...base,
  type: z.literal('condition'),
  branches: z.array(z.strictObject({ when: Condition, next: Id })).min(1).max(20),
  else: Id.optional(),
});

export const SetVariableBlock = z.strictObject({
  ...base,
  type: z.literal('set_variable'),
  variable: VariableName,
  /** A literal, or a string template with `{{variable}}` placeholders. */
  value: z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
  next: Id.optional(),
});

/**
 * Calls one of the bot's API actions (delivered by the connectors work): parameters from variables,
 * kept response fields into variables, then the success or failure branch.
 */
export const ApiCallBlock = z.strictObject({
  ...base,
  type: z.literal('api_call'),
  action: Id,
  /** Action parameter -> template (`{{variable}}`) or literal. */
  inputs: z.record(z.string().min(1).max(64), z.union([z.string().max(2000), z.number(), z.boolean()])).default({}),
  /** Variable -> kept response field of the action. */
  outputs: z.record(VariableName, z.string().min(1).max(64)).default({}),
  next: Id.optional(),
  /** Where to go when the call fails; the visitor-safe reason is in `{{last_error}}`. */
  onFailure: Id.optional(),
});

export const HandoffBlock = z.strictObject({ ...base, type: z.literal('handoff'), text: Text.optional(), reason: z.string().max(200).optional() });

export const EndBlock = z.strictObject({ ...base, type: z.literal('end'), text: Text.optional() });

export const Block = z.discriminatedUnion('type', [MessageBlock, AskBlock, ChoiceBlock, ConditionBlock, SetVariableBlock, ApiCallBlock, HandoffBlock, EndBlock]);
export type Block = z.infer<typeof Block>;
export type BlockType = Block['type'];
export type AskBlock = z.infer<typeof AskBlock>;
export type ChoiceBlock = z.infer<typeof ChoiceBlock>;
export type ApiCallBlock = z.infer<typeof ApiCallBlock>;

export const FlowTrigger = z.strictObject({
  /** Start this flow when a conversation starts (at most one flow per bot). */
  onStart: z.boolean().default(false),
  /** Start when a visitor message contains one of these words or phrases (case- and accent-insensitive). */
  keywords: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
});

export const Flow = z.strictObject({
  id: Id,
  name: z.string().trim().min(1).max(100),
  description: z.string().max(500).optional(),
  trigger: FlowTrigger.default({ onStart: false, keywords: [] }),
  startBlockId: Id,
  blocks: z.array(Block).min(1).max(200),
});
export type Flow = z.infer<typeof Flow>;

export const FlowSettings = z.strictObject({
  /** Said at any ask: leave the flow. */
  cancelPhrases: z.array(z.string().trim().min(1).max(50)).max(20).default(['cancel', 'stop']),
  /** Said at any ask: start the current flow again from its first block. */
  restartPhrases: z.array(z.string().trim().min(1).max(50)).max(20).default(['start over', 'restart']),
  cancelMessage: Text.default('OK, I have cancelled that. Anything else I can help with?'),
});
export type FlowSettings = z.infer<typeof FlowSettings>;

/** `PUT /v1/bots/:id/flows` body: the bot's whole flow set, validated as a unit. */
export const BotFlows = z.strictObject({
  flows: z.array(Flow).max(50),
  settings: FlowSettings.default({
    cancelPhrases: ['cancel', 'stop'],
    restartPhrases: ['start over', 'restart'],
    cancelMessage: 'OK, I have cancelled that. Anything else I can help with?',
  }),
});
export type BotFlows = z.infer<typeof BotFlows>;

/** Variable values a conversation holds. */
export type VariableValue = string | number | boolean | null;

/** What a conversation remembers of its flows between turns (carried across continue-as-new). */
export interface FlowState {
  /** The flow in progress and the block it waits at (an ask or choice awaiting an answer, or an api_call awaiting its result). */
  active: { flowId: string; blockId: string; attempts: number; waitingFor: 'answer' | 'action' } | null;
  variables: Record<string, VariableValue>;
  /** A human has the conversation: the bot stays silent until released. */
  handoff: boolean;
}
