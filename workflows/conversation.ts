/**
 * One workflow per conversation. It owns the transcript's order: every visitor message is a Temporal
 * Update, turns run one at a time, and each turn's messages are written to MongoDB by a local activity
 * before the Update returns, so what the HTTP caller gets back is already durable.
 *
 * Determinism: no I/O here. Time comes from the workflow clock (`Date.now()` is Temporal's, fixed per
 * activation), ids from `uuid4()` (seeded by Temporal), and activities are imported as types only.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
// Types only: the activity implementations (mongoose and friends) never enter the workflow bundle.
import type { ConversationActivities } from '../activities';
import { LIMITS } from '../models/limits';
import type {
  CarriedState,
  ConversationInput,
  Reply,
  TurnResult,
  VisitorMessageArgs,
} from '../models/conversation.schema';
import type { SavedMessage } from '../activities/transcript';
import { closeSignal, getStateQuery, SA, visitorMessageUpdate } from './definitions';

// Local activities: a transcript write is a few milliseconds, so it runs inside the same workflow task
// instead of a round trip through the server's activity queue. At-least-once: the writes are idempotent.
const { saveTurn } = proxyLocalActivities<ConversationActivities>({
  startToCloseTimeout: '10s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/** How many answered turns a run remembers (and carries over) to answer a retried message from memory. */
const RECENT_TURNS = 200;

export interface ConversationOutcome {
  status: 'closed';
  reason: string;
  messageCount: number;
}

export async function conversationWorkflow(input: ConversationInput): Promise<ConversationOutcome> {
  const { bot } = input;
  const state: CarriedState = input.carried ?? {
    status: 'active',
    messageCount: 0,
    greeted: false,
    recentTurns: [],
    lastActivityAt: new Date().toISOString(),
  };
  const recent = new Map(state.recentTurns.map((turn) => [turn.messageId, turn]));
  let closeReason: string | undefined;
  let turnsInFlight = 0;
  let lastActivityMs = Date.now();
  // Turns run strictly one after another, in the order their Updates were accepted. `running` is the
  // tail of that queue. (Every promise in workflow code costs a stack capture in the SDK's sandbox, so
  // the hot path creates as few as it can.)
  let running: Promise<TurnResult> | undefined;

  const remember = (turn: TurnResult): void => {
    recent.set(turn.messageId, turn);
    if (recent.size > RECENT_TURNS) recent.delete(recent.keys().next().value as string);
  };

  const reply = (text: string, createdAt: string): Reply => ({
    id: `msg_${uuid4().replace(/-/g, '')}`,
    role: 'bot',
    type: 'text',
    text,
    createdAt,
  });

  /** Answers one message (or opens the conversation when `text` is absent) and persists the turn. */
  const takeTurn = async (args: VisitorMessageArgs): Promise<TurnResult> => {
    const at = new Date().toISOString();
    const replies: Reply[] = [];
    if (!state.greeted) replies.push(reply(bot.greeting, at));
    if (args.text !== undefined) replies.push(reply(bot.fallbackMessage, at));

    const messages: SavedMessage[] = [];
    let seq = state.messageCount;
    if (args.text !== undefined) {
      messages.push({ id: args.messageId, seq: seq++, role: 'visitor', text: args.text, createdAt: at });
    }
    const inReplyTo = args.text !== undefined ? args.messageId : null;
    for (const r of replies) messages.push({ id: r.id, seq: seq++, role: 'bot', text: r.text, inReplyTo, createdAt: at });

    await saveTurn({
      conversation: {
        id: input.conversationId,
        accountId: input.accountId,
        botId: bot.botId,
        botVersion: bot.version,
        channel: input.channel,
        externalUserId: input.externalUserId,
        workflowId: workflowInfo().workflowId,
      },
      messages,
      messageCount: seq,
      status: 'active',
      at,
    });
    // State moves only once the turn is durable, so a failed write never leaves a gap in `seq`.
    state.messageCount = seq;
    state.greeted = true;
    state.lastActivityAt = at;
    lastActivityMs = Date.now();
    const result: TurnResult = { messageId: args.messageId, replies };
    remember(result);
    return result;
  };

  setHandler(
    visitorMessageUpdate,
    async (args) => {
      // Temporal deduplicates Update ids within a run; this answers retries that reach a later run.
      const known = recent.get(args.messageId);
      if (known) return known;
      turnsInFlight++;
      const previous = running;
      const turn = previous ? previous.then(() => takeTurn(args), () => takeTurn(args)) : takeTurn(args);
      running = turn;
      try {
        return await turn;
      } finally {
        turnsInFlight--;
        if (running === turn) running = undefined;
      }
    },
    {
      // Runs before the Update is accepted: rejected input never enters history.
      validator: (args) => {
        if (state.status !== 'active' || closeReason !== undefined) {
          throw ApplicationFailure.nonRetryable('the conversation is closed', 'ConversationClosed');
        }
        if (typeof args?.messageId !== 'string' || args.messageId.length === 0 || args.messageId.length > 200) {
          throw ApplicationFailure.nonRetryable('messageId is required', 'InvalidMessage');
        }
        if (args.text !== undefined) {
          if (typeof args.text !== 'string' || args.text.trim().length === 0) {
            throw ApplicationFailure.nonRetryable('text must not be empty', 'InvalidMessage');
          }
          if (args.text.length > LIMITS.messageText) {
            throw ApplicationFailure.nonRetryable(`text is longer than ${LIMITS.messageText} characters`, 'InvalidMessage');
          }
        }
      },
    },
  );

  setHandler(closeSignal, ({ reason }) => {
    closeReason ??= reason || 'closed';
  });

  setHandler(getStateQuery, () => ({
    conversationId: input.conversationId,
    status: closeReason !== undefined ? 'closed' : state.status,
    botVersion: bot.version,
    messageCount: state.messageCount,
    lastActivityAt: state.lastActivityAt,
  }));

  const shouldContinueAsNew = (): boolean => {
    const info = workflowInfo();
    const limit = input.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  };

  // The idle timer is not restarted on every turn (that would add timer events to history per message):
  // it fires at the earliest possible closing time and, if a turn happened since, sleeps the remainder.
  const idleMs = bot.inactivityTimeoutSeconds * 1000;
  for (;;) {
    const remaining = lastActivityMs + idleMs - Date.now();
    if (remaining <= 0) {
      if (turnsInFlight === 0) {
        closeReason ??= 'inactivity';
        break;
      }
      // A turn is still running (say, a slow write): idle time starts again when it ends.
      await condition(() => turnsInFlight === 0 || closeReason !== undefined);
      continue;
    }
    await condition(() => closeReason !== undefined || (turnsInFlight === 0 && shouldContinueAsNew()), remaining);
    if (closeReason !== undefined) break;
    if (turnsInFlight === 0 && shouldContinueAsNew()) {
      // Accepted Updates finish on this run; their results travel in `recentTurns` so a retry on the
      // next run is answered from memory rather than twice.
      await condition(allHandlersFinished);
      return continueAsNew<typeof conversationWorkflow>({
        ...input,
        carried: { ...state, recentTurns: [...recent.values()] },
      });
    }
  }

  // Closing: no new Update passes the validator any more; let accepted ones finish, then record it.
  await condition(allHandlersFinished);
  state.status = 'closed';
  const at = new Date().toISOString();
  await saveTurn({
    conversation: {
      id: input.conversationId,
      accountId: input.accountId,
      botId: bot.botId,
      botVersion: bot.version,
      channel: input.channel,
      externalUserId: input.externalUserId,
      workflowId: workflowInfo().workflowId,
    },
    messages: [],
    messageCount: state.messageCount,
    status: 'closed',
    closeReason,
    at,
  });
  upsertSearchAttributes([{ key: SA.status, value: 'closed' }]);
  return { status: 'closed', reason: closeReason, messageCount: state.messageCount };
}
