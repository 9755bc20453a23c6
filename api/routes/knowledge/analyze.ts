import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { knowledgeAnalysisWorkflow } from '../../../workflows/knowledge-analysis';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { isWaitExpired } from '../../temporal-errors';
import { parse } from '../../validate';
import { knowledgeDraftView } from './views';

export const AnalyzeBody = z.strictObject({ conversationId: z.string().regex(/^conv_[a-z0-9]{1,40}$/, 'must be a conversation id') });

/**
 * `POST /v1/knowledge/analyze {conversationId}`: Q&A drafts from a conversation, by the conversation's
 * bot's LLM. Runs `knowledgeAnalysisWorkflow` (the API never calls an LLM) and waits for it: 201
 * `{analysisId, drafts}`; 202 `{analysisId, status: 'running'}` when it takes longer (the drafts then
 * appear in `GET /v1/knowledge/drafts?conversationId=`); 409 when the bot has no Smart AI settings.
 */
export function analyzeConversation(deps: ApiDeps): RequestHandler {
  const { Conversation, Bot, KnowledgeDraft, temporal, config } = deps;
  return async (req, res) => {
    const { conversationId } = parse(AnalyzeBody, req.body);
    const { accountId } = callerOf(res);
    const conversation = await Conversation.findOne({ _id: conversationId, accountId }, { botId: 1 }).lean();
    if (!conversation) throw AppError.notFound('conversation');
    const bot = await Bot.findOne({ _id: conversation.botId, accountId }, { ai: 1 }).lean();
    if (!bot?.ai) throw new AppError(409, 'ai_not_configured', "the conversation's bot has no Smart AI settings (PUT /v1/bots/:id/ai) to analyze it with");
    const analysisId = newId('ka');
    const handle = await temporal.workflow.start<typeof knowledgeAnalysisWorkflow>('knowledgeAnalysisWorkflow', {
      workflowId: `knowledge-analysis-${analysisId}`,
      taskQueue: config.TASK_QUEUE,
      args: [
        {
          analysisId,
          accountId,
          botId: bot._id,
          conversationId,
          provider: { baseUrl: bot.ai.baseUrl, model: bot.ai.model, allowPrivateNetwork: bot.ai.allowPrivateNetwork, timeoutMs: bot.ai.timeoutMs, ...(bot.ai.provider ? { profile: bot.ai.provider } : {}) },
          model: { temperature: 0, maxOutputTokens: bot.ai.maxOutputTokens },
        },
      ],
    });
    let result;
    try {
      result = await temporal.withDeadline(Date.now() + Math.max(config.REPLY_WAIT_MS, 30_000), () => handle.result());
    } catch (error) {
      if (isWaitExpired(error)) {
        res.status(202).json({ analysisId, status: 'running' });
        return;
      }
      throw error;
    }
    if (!result.ok) throw new AppError(502, 'llm_unavailable', result.error);
    const drafts = await KnowledgeDraft.find({ accountId, analysisId }).sort({ index: 1 }).lean();
    res.status(201).json({ analysisId, drafts: drafts.map(knowledgeDraftView) });
  };
}
