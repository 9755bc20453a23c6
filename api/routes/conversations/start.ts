import { WithStartWorkflowOperation } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Request, RequestHandler } from 'express';
import type { ConversationDoc } from '../../../models/conversation.model';
import { ClientMessageId, StartConversationBody, type Channel, type ConversationInput, type TurnResult } from '../../../models/conversation.schema';
import { conversationWorkflowId, SA, visitorMessageUpdate } from '../../../workflows/definitions';
import type { conversationWorkflow } from '../../../workflows/conversation';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId, randomClientMessageId, visitorMessageId } from '../../ids';
import { timeTurn } from '../../metrics';
import { conversationUpdateError, isWaitExpired } from '../../temporal-errors';
import { parse } from '../../validate';
import { chargeConversationStart } from '../../plans';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from './idempotency';
import { conversationView } from './views';

export interface StartAnswer {
  status: 201 | 202;
  body: Record<string, unknown>;
}

/** Where a conversation comes from: the API channel, or a widget on a bound website (or the preview page). */
export interface ConversationOrigin {
  channel: Channel;
  websiteId?: string;
}

const API_CHANNEL: ConversationOrigin = { channel: 'api' };

/**
 * `POST /v1/conversations`: pins the bot's latest published version, records the conversation, then
 * starts its workflow and delivers the first turn in one update-with-start call, so the greeting (and the
 * answer to a first message) come back in this response.
 *
 * Idempotent with a key (the body's `clientMessageId` or an `Idempotency-Key` header; both must agree):
 * a retry with the same key and body gets the first answer again (same conversation, same replies, with
 * `Idempotent-Replayed: true`) and runs nothing twice; a different body is 422 `idempotency_key_reused`; a
 * key whose first request is still running is 409 `idempotency_key_in_flight` (see ./idempotency.ts).
 */
export function startConversation(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const body = parse(StartConversationBody, req.body);
    const { accountId } = callerOf(res);
    const key = idempotencyKeyOf(req, body.clientMessageId);
    if (!key) {
      const answer = await timeTurn(deps.metrics, 'start', () => begin(deps, accountId, body, newId('conv'), undefined, API_CHANNEL));
      res.status(answer.status).json(answer.body);
      return;
    }

    const claim = await claimIdempotencyKey(deps, accountId, key, body);
    if (claim.kind === 'replay') {
      res.status(claim.response.status).set('Idempotent-Replayed', 'true').json(claim.response.body);
      return;
    }
    let answer: StartAnswer;
    if (claim.kind === 'resume' && (await workflowExists(deps, conversationWorkflowId(claim.conversationId)))) {
      // The workflow runs: the key stays bound to it whatever this answer is.
      answer = await timeTurn(deps.metrics, 'start', () => answerAgain(deps, accountId, body, claim.conversationId, key));
    } else {
      try {
        answer = await timeTurn(deps.metrics, 'start', () => begin(deps, accountId, body, claim.conversationId, key, API_CHANNEL));
      } catch (error) {
        // Nothing runs for this key: forget it, so that a retry starts afresh.
        await releaseIdempotencyKey(deps, claim.recordId);
        throw error;
      }
    }
    await completeIdempotencyKey(deps, claim.recordId, answer);
    if (claim.kind === 'resume') res.set('Idempotent-Replayed', 'true');
    res.status(answer.status).json(answer.body);
  };
}

/** The request's idempotency key: `clientMessageId` and/or the `Idempotency-Key` header, which must agree. */
function idempotencyKeyOf(req: Request, clientMessageId: string | undefined): string | undefined {
  const header = req.get('idempotency-key');
  if (header === undefined) return clientMessageId;
  const parsed = ClientMessageId.safeParse(header);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'invalid';
    throw new AppError(400, 'validation_failed', `header.idempotency-key: ${message}`, [{ path: 'header.idempotency-key', message, code: parsed.error.issues[0]?.code }]);
  }
  if (clientMessageId !== undefined && clientMessageId !== parsed.data) {
    throw new AppError(400, 'idempotency_key_mismatch', 'the Idempotency-Key header and clientMessageId differ; send one, or the same value in both', {
      header: parsed.data,
      clientMessageId,
    });
  }
  return parsed.data;
}

function turnMessageId(conversationId: string, body: StartConversationBody, key: string | undefined): string {
  return body.message ? visitorMessageId(conversationId, body.clientMessageId ?? key ?? randomClientMessageId()) : `${conversationId}.open`;
}

async function pinnedVersion(deps: ApiDeps, accountId: string, botId: string) {
  const bot = await deps.Bot.findOne({ _id: botId, accountId }, { _id: 1 }).lean();
  if (!bot) throw new AppError(404, 'bot_not_found', 'bot not found', { botId });
  const version = await deps.BotVersion.findOne({ botId: bot._id, accountId }).sort({ version: -1 }).lean();
  if (!version) throw new AppError(409, 'bot_not_published', 'the bot has no published version; publish it first', { botId });
  return version;
}

/** Records the conversation `conversationId` and starts its workflow with the first turn. */
export async function begin(
  deps: ApiDeps,
  accountId: string,
  body: StartConversationBody,
  conversationId: string,
  key: string | undefined,
  from: ConversationOrigin,
): Promise<StartAnswer> {
  const { Conversation, temporal, config, conversationOwners } = deps;
  const version = await pinnedVersion(deps, accountId, body.botId);
  // The plan's monthly conversations (and the first message): 403 plan_limit_reached past them.
  const usage = await chargeConversationStart(deps, accountId, Boolean(body.message));
  const now = new Date();
  const workflowId = conversationWorkflowId(conversationId);
  let doc: ConversationDoc = {
    _id: conversationId,
    accountId,
    botId: version.botId,
    botVersion: version.version,
    channel: from.channel,
    ...(from.websiteId ? { websiteId: from.websiteId } : {}),
    externalUserId: body.externalUserId,
    contact: body.contact,
    variables: body.variables,
    status: 'active',
    workflowId,
    messageCount: 0,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await Conversation.create(doc);
  } catch (error) {
    // A resumed start whose first attempt had recorded the conversation already: keep that record.
    if ((error as { code?: number }).code !== 11000 || !key) throw error;
    const existing = await Conversation.findOne({ _id: conversationId, accountId }).lean();
    if (!existing) throw error;
    doc = existing;
    await usage.release(); // counted by the first attempt
  }
  conversationOwners.set(conversationId, accountId);

  const input: ConversationInput = {
    conversationId,
    accountId,
    channel: from.channel,
    externalUserId: body.externalUserId,
    contact: body.contact,
    variables: body.variables,
    bot: version.snapshot,
    continueAsNewAfterEvents: config.CONTINUE_AS_NEW_AFTER_EVENTS,
  };
  const messageId = turnMessageId(conversationId, body, key);
  const startOperation = new WithStartWorkflowOperation<typeof conversationWorkflow>('conversationWorkflow', {
    workflowId,
    taskQueue: config.TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
    typedSearchAttributes: new TypedSearchAttributes([
      { key: SA.accountId, value: accountId },
      { key: SA.botId, value: version.botId },
      { key: SA.status, value: 'active' },
      { key: SA.channel, value: from.channel },
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
      return { status: 202, body: { conversation: conversationView(doc), messageId: body.message ? messageId : null, status: 'pending', replies: [] } };
    }
    // Nothing runs for this conversation: remove its record so no half-made conversation is left.
    await Conversation.deleteOne({ _id: conversationId, accountId });
    await usage.release();
    const mapped = conversationUpdateError(error);
    if (mapped) throw mapped;
    if (isWaitExpired(error)) throw new AppError(503, 'temporal_unavailable', 'the conversation engine did not answer in time; try again');
    throw error;
  }
  return { status: 201, body: startedBody(doc, body, messageId, turn) };
}

function startedBody(doc: ConversationDoc, body: StartConversationBody, messageId: string, turn: TurnResult): Record<string, unknown> {
  return {
    conversation: conversationView({ ...doc, messageCount: turn.replies.length + (body.message ? 1 : 0) }),
    messageId: body.message ? messageId : null,
    replies: turn.replies,
  };
}

/**
 * A key whose first request started the workflow but got no answer in time (202), or crashed after the
 * start: its first turn is asked again by its Update id, which Temporal answers with the recorded result
 * (nothing runs twice). A key whose workflow was never started is started again by `begin`, with the
 * same conversation id.
 */
async function answerAgain(deps: ApiDeps, accountId: string, body: StartConversationBody, conversationId: string, key: string): Promise<StartAnswer> {
  const { temporal, config } = deps;
  const workflowId = conversationWorkflowId(conversationId);
  const doc = await deps.Conversation.findOne({ _id: conversationId, accountId }).lean();
  if (!doc) throw AppError.notFound('conversation');
  deps.conversationOwners.set(conversationId, accountId);
  const messageId = turnMessageId(conversationId, body, key);
  try {
    const turn = await temporal.withDeadline(Date.now() + config.REPLY_WAIT_MS, () =>
      temporal.workflow.getHandle(workflowId).executeUpdate(visitorMessageUpdate, { args: [{ messageId, text: body.message?.text }], updateId: messageId }),
    );
    return { status: 201, body: startedBody(doc, body, messageId, turn) };
  } catch (error) {
    if (isWaitExpired(error)) {
      return { status: 202, body: { conversation: conversationView(doc), messageId: body.message ? messageId : null, status: 'pending', replies: [] } };
    }
    throw conversationUpdateError(error) ?? error;
  }
}

async function workflowExists(deps: ApiDeps, workflowId: string): Promise<boolean> {
  try {
    await deps.temporal.workflow.getHandle(workflowId).describe();
    return true;
  } catch {
    return false;
  }
}
