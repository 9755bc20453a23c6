/**
 * Q&A drafts from a conversation: read its transcript, ask the bot's LLM for reusable question/answer
 * pairs, store them as drafts for a person to approve. One run per analysis (`knowledge-analysis-<id>`),
 * so the operator sees the LLM call and its retries in the Web UI; the drafts' ids derive from the
 * analysis id, so a retried save writes each draft once.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
// Types only: activity implementations never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import type { CompleteChatInput } from '../models/ai.schema';
import { extractionMessages, parseDrafts } from '../core/knowledge/extract';
import { activityOptions, localActivityOptions } from './activity-policies';

const { loadTranscript } = proxyLocalActivities<ConversationActivities>(localActivityOptions('loadTranscript'));
const { saveKnowledgeDrafts } = proxyLocalActivities<ConversationActivities>(localActivityOptions('saveKnowledgeDrafts'));

export interface KnowledgeAnalysisInput {
  analysisId: string;
  accountId: string;
  botId: string;
  conversationId: string;
  /** The bot's provider settings at the time of the request (never the key). */
  provider: CompleteChatInput['provider'];
  model?: { temperature: number; maxOutputTokens: number };
}

export type KnowledgeAnalysisResult = { ok: true; draftIds: string[] } | { ok: false; error: string };

/**
 * The extraction's output budget: twice the bot's reply budget, between 400 and 2,000 tokens. A capable
 * model stops when its JSON ends; a small local one (the demo's 135M model) writes until the budget is
 * spent, and 2,000 tokens took it over two minutes on a busy 2-core machine, past its request timeout.
 */
export function extractionTokens(replyTokens: number | undefined): number {
  return Math.min(2_000, Math.max(400, 2 * (replyTokens ?? 1_000)));
}

export async function knowledgeAnalysisWorkflow(input: KnowledgeAnalysisInput): Promise<KnowledgeAnalysisResult> {
  const { lines } = await loadTranscript({ accountId: input.accountId, conversationId: input.conversationId, limit: 200 });
  if (lines.length === 0) return { ok: true, draftIds: [] };
  const { completeChat } = proxyActivities<ConversationActivities>(activityOptions('completeChat', { startToCloseTimeout: input.provider.timeoutMs + 5_000 }));
  let content: string | null;
  try {
    const result = await completeChat({
      accountId: input.accountId,
      botId: input.botId,
      provider: input.provider,
      messages: extractionMessages(lines),
      tools: [],
      temperature: input.model?.temperature ?? 0,
      maxOutputTokens: extractionTokens(input.model?.maxOutputTokens),
      jsonMode: true,
      conversationId: input.conversationId,
    });
    content = result.content;
  } catch (error) {
    if (error instanceof ActivityFailure || error instanceof ApplicationFailure) return { ok: false, error: 'The LLM provider did not answer; try again later.' };
    throw error;
  }
  const parsed = parseDrafts(content);
  if (!parsed.ok) return { ok: false, error: `The LLM answer could not be read: ${parsed.error}.` };
  const { draftIds } = await saveKnowledgeDrafts({ accountId: input.accountId, botId: input.botId, conversationId: input.conversationId, analysisId: input.analysisId, drafts: parsed.drafts });
  return { ok: true, draftIds };
}
