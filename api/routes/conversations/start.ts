import { WithStartWorkflowOperation } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { RequestHandler } from 'express';
import type { ConversationDoc } from '../../../models/conversation.model';
import { StartConversationBody, type ConversationInput, type TurnResult } from '../../../models/conversation.schema';
import { conversationWorkflowId, SA, visitorMessageUpdate } from '../../../workflows/definitions';
import type { conversationWorkflow } from '../../../workflows/conversation';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId, randomClientMessageId, visitorMessageId } from '../../ids';
import { conversationUpdateError, isWaitExpired } from '../../temporal-errors';
import { parse } from '../../validate';
import { conversationView } from './views';

/**
 * `POST /v1/conversations`: pins the bot's latest published version, records the conversation, then
 * starts its workflow and delivers the first turn in one update-with-start call, so the greeting (and the
 * answer to a first message) come back in this response.
 */
export function startConversation(deps: ApiDeps): RequestHandler {
  const { Bot, BotVersion, Conversation, temporal, config, conversationOwners } = deps;
  return async (req, res) => {
    const body = parse(StartConversationBody, req.body);
    const { accountId } = callerOf(res);
    const bot = await Bot.findOne({ _id: body.botId, accountId }, { _id: 1 }).lean();
    if (!bot) throw new AppError(404, 'bot_not_found', 'bot not found', { botId: body.botId });
    const version = await BotVersion.findOne({ botId: bot._id, accountId }).sort({ version: -1 }).lean();
    if (!version) {
      throw new AppError(409, 'bot_not_published', 'the bot has no published version; publish it first', { botId: body.botId });
    }

    const now = new Date();
    const conversationId = newId('conv');
    const workflowId = conversationWorkflowId(conversationId);
    const doc: ConversationDoc = {
      _id: conversationId,
      accountId,
      botId: bot._id,
      botVersion: version.version,
      channel: 'api',
      externalUserId: body.externalUserId,
      contact: body.contact,
      variables: body.variables,
      status: 'active',
      workflowId,
      messageCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    await Conversation.create(doc);
    conversationOwners.set(conversationId, accountId);

    const input: ConversationInput = {
      conversationId,
      accountId,
      channel: 'api',
      externalUserId: body.externalUserId,
      contact: body.contact,
      variables: body.variables,
      bot: version.snapshot,
      continueAsNewAfterEvents: config.CONTINUE_AS_NEW_AFTER_EVENTS,
    };
    const messageId = body.message ? visitorMessageId(conversationId, body.clientMessageId ?? randomClientMessageId()) : `${conversationId}.open`;
    const startOperation = new WithStartWorkflowOperation<typeof conversationWorkflow>('conversationWorkflow', {
      workflowId,
      taskQueue: config.TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: SA.accountId, value: accountId },
        { key: SA.botId, value: bot._id },
        { key: SA.status, value: 'active' },
        { key: SA.channel, value: 'api' },
      ]),
    });

    let turn: TurnResult;
    try {
      turn = await temporal.withDeadline(Date.now() + config.REPLY_WAIT_MS, () =>
        temporal.workflow.executeUpdateWithStart(visitorMessageUpdate, {
          args: [{ messageId, text: body.message?.text }],
          updateId: messageId,
          startWorkflowOperation: startOperation,
        }),
      );
    } catch (error) {
      if (isWaitExpired(error) && (await workflowExists(deps, workflowId))) {
        // Started, but no worker answered in time: the turn completes when one does.
        res.status(202).json({ conversation: conversationView(doc), messageId: body.message ? messageId : null, status: 'pending', replies: [] });
        return;
      }
      // Nothing runs for this conversation: remove its record so no half-made conversation is left.
      await Conversation.deleteOne({ _id: conversationId });
      const mapped = conversationUpdateError(error);
      if (mapped) throw mapped;
      if (isWaitExpired(error)) throw new AppError(503, 'temporal_unavailable', 'the conversation engine did not answer in time; try again');
      throw error;
    }
    res.status(201).json({
      conversation: conversationView({ ...doc, messageCount: turn.replies.length + (body.message ? 1 : 0) }),
      messageId: body.message ? messageId : null,
      replies: turn.replies,
    });
  };
}

async function workflowExists(deps: ApiDeps, workflowId: string): Promise<boolean> {
  try {
    await deps.temporal.workflow.getHandle(workflowId).describe();
    return true;
  } catch {
    return false;
  }
}
