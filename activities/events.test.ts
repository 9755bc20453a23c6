import { turnEvents } from './events';
import type { SaveTurnInput } from '../models/transcript.schema';

const conversation = { id: 'conv_1', accountId: 'acct_1', botId: 'bot_1', botVersion: 1, channel: 'api' as const, externalUserId: 'u1', workflowId: 'conversation-conv_1' };
const at = '2026-12-01T00:00:00.000Z';
const message = (id: string, seq: number, role: 'visitor' | 'bot' | 'agent' = 'bot') => ({ id, seq, role, text: id, createdAt: at });

describe('turnEvents', () => {
  it('orders a turn: started, actions, messages, then a status change', () => {
    const input: SaveTurnInput = {
      conversation,
      messages: [message('msg_a', 0, 'visitor'), message('msg_b', 1), message('msg_c', 2)],
      messageCount: 3,
      status: 'handoff',
      at,
      actions: [{ key: 'action-0-call-0', actionId: 'book', ok: true, outputs: { id: 'BK-1' } }],
      handoffStarts: true,
    };
    const events = turnEvents(input);
    expect(events.map((e) => [e.type, e.position])).toEqual([
      ['conversation.started', 0],
      ['action.completed', 10],
      ['message.created', 100],
      ['message.created', 200],
      ['message.created', 300],
      ['conversation.handoff', 301],
    ]);
    // Deterministic: a retried write is the same events.
    expect(turnEvents(input).map((e) => e._id)).toEqual(events.map((e) => e._id));
    expect(new Set(events.map((e) => e._id)).size).toBe(events.length);
  });

  it('places later writes after earlier ones: actions before their replies, release and close after the last message', () => {
    const turn2 = turnEvents({ conversation, messages: [message('msg_d', 3, 'visitor'), message('msg_e', 4)], messageCount: 5, status: 'active', at, actions: [{ key: 'k', actionId: 'x', ok: false, error: 'no' }] });
    expect(turn2.map((e) => [e.type, e.position])).toEqual([
      ['action.failed', 310],
      ['message.created', 400],
      ['message.created', 500],
    ]);
    expect(turnEvents({ conversation, messages: [], messageCount: 5, status: 'active', at }).map((e) => [e.type, e.position])).toEqual([['conversation.released', 502]]);
    expect(turnEvents({ conversation, messages: [], messageCount: 5, status: 'closed', closeReason: 'inactivity', at }).map((e) => [e.type, e.position, e.data.reason])).toEqual([['conversation.closed', 503, 'inactivity']]);
  });
});
