import { BotFlows, type Block, type FlowState } from '../../models/flow.schema';
import { initialFlowState, interpret, type FlowContext, type FlowInput, type FlowStep } from './interpreter';

// 2026-11-21 (a Saturday) 10:00 UTC.
const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);

function context(blocks: unknown[], extra: { trigger?: unknown; settings?: unknown; flows?: unknown[] } = {}): FlowContext {
  const flows = BotFlows.parse({
    flows: [{ id: 'f', name: 'Test flow', trigger: extra.trigger ?? { keywords: ['go'] }, startBlockId: (blocks[0] as Block).id, blocks }, ...(extra.flows ?? [])],
    ...(extra.settings ? { settings: extra.settings } : {}),
  });
  return { flows, botName: 'Bot', fallbackMessage: 'FALLBACK', nowMs: NOW, timezone: 'UTC' };
}

/** Feeds inputs in order, threading the state; returns every step. */
function talk(ctx: FlowContext, inputs: (string | FlowInput)[], state: FlowState = initialFlowState()): FlowStep[] {
  const steps: FlowStep[] = [];
  for (const input of inputs) {
    const step = interpret(ctx, state, typeof input === 'string' ? { type: 'message', text: input } : input);
    steps.push(step);
    state = step.state;
  }
  return steps;
}

const texts = (step: FlowStep | undefined): string[] => (step ? step.replies.map((r) => r.text) : []);

describe('interpret', () => {
  it('answers with the fallback when no flow is triggered', () => {
    const [step] = talk(context([{ id: 'm', type: 'message', text: 'hi' }]), ['hello']);
    expect(texts(step)).toEqual(['FALLBACK']);
    expect(step!.effects).toEqual([]);
  });

  it('leaves an unmatched message to Smart AI, saying nothing, when delegateUnmatched is set', () => {
    const ctx = { ...context([{ id: 'm', type: 'message', text: 'hi' }]), delegateUnmatched: true };
    const [step] = talk(ctx, ['hello']);
    expect(texts(step)).toEqual([]);
    expect(step!.effects).toEqual([{ type: 'unmatched' }]);
    // A trigger still wins over Smart AI.
    expect(texts(talk(ctx, ['go'])[0])).toEqual(['hi']);
  });

  it('answers an active ask itself even when Smart AI is on', () => {
    const ctx = { ...context([{ id: 'a', type: 'ask', question: 'Age?', variable: 'age', answer: { type: 'integer' }, next: 'e' }, { id: 'e', type: 'end', text: 'Age {{age}}' }]), delegateUnmatched: true };
    const steps = talk(ctx, ['go', 'what is this?', '42']);
    expect(steps.map(texts)).toEqual([['Age?'], ['Please enter a whole number, e.g. 42.', 'Age?'], ['Age 42']]);
    expect(steps.flatMap((s) => s.effects).some((e) => e.type === 'unmatched')).toBe(false);
  });

  it('starts a flow Smart AI chose, but not over a flow waiting for an answer or unknown ids', () => {
    const ctx = context([{ id: 'a', type: 'ask', question: 'Age?', variable: 'age', answer: { type: 'integer' } }]);
    const [started] = talk(ctx, [{ type: 'start_flow', flowId: 'f' }]);
    expect(texts(started)).toEqual(['Age?']);
    expect(texts(talk(ctx, [{ type: 'start_flow', flowId: 'f' }], started!.state)[0])).toEqual([]);
    expect(texts(talk(ctx, [{ type: 'start_flow', flowId: 'nope' }])[0])).toEqual([]);
  });

  it('starts a flow on a keyword, renders message templates and ends it', () => {
    const ctx = context([
      { id: 'set', type: 'set_variable', variable: 'who', value: 'friend', next: 'm' },
      { id: 'm', type: 'message', text: 'Hello {{who}}, I am {{bot.name}}; {{missing}}', next: 'e' },
      { id: 'e', type: 'end', text: 'Bye' },
    ]);
    const [step] = talk(ctx, ["let's GO!"]);
    expect(texts(step)).toEqual(['Hello friend, I am Bot; [missing]', 'Bye']);
    expect(step!.effects).toEqual([{ type: 'flow_started', flowId: 'f' }, { type: 'flow_ended', flowId: 'f', outcome: 'completed' }]);
    expect(step!.state.active).toBeNull();
  });

  it('starts the on-start flow when the conversation opens', () => {
    const ctx = context([{ id: 'm', type: 'message', text: 'Welcome' }], { trigger: { onStart: true } });
    expect(texts(talk(ctx, [{ type: 'start' }])[0])).toEqual(['Welcome']);
  });

  it('does not start anything on open without an on-start flow', () => {
    expect(texts(talk(context([{ id: 'm', type: 'message', text: 'Welcome' }]), [{ type: 'start' }])[0])).toEqual([]);
  });

  it('lets an opening message start the on-start flow, but not a later one', () => {
    const ctx = context([{ id: 'm', type: 'message', text: 'Welcome' }], { trigger: { onStart: true } });
    expect(texts(talk(ctx, [{ type: 'message', text: 'hi', opening: true }])[0])).toEqual(['Welcome']);
    expect(texts(talk(ctx, ['hi'])[0])).toEqual(['FALLBACK']);
  });

  it('starts a flow named explicitly', () => {
    const ctx = context([{ id: 'm', type: 'message', text: 'In' }], { trigger: { keywords: [] } });
    expect(texts(talk(ctx, ['please run the test flow'])[0])).toEqual(['In']);
  });

  describe('ask', () => {
    const ask = (extra: Record<string, unknown> = {}) =>
      context([
        { id: 'a', type: 'ask', question: 'Age?', variable: 'age', answer: { type: 'integer', min: 1, max: 120 }, next: 'm', ...extra },
        { id: 'm', type: 'message', text: 'You are {{age}}' },
        { id: 'fail', type: 'message', text: 'Giving up' },
      ]);

    it('stores a valid answer and moves on', () => {
      const steps = talk(ask(), ['go', '42']);
      expect(texts(steps[0])).toEqual(['Age?']);
      expect(texts(steps[1])).toEqual(['You are 42']);
      expect(steps[1]!.state.variables.age).toBe(42);
    });

    it('re-prompts with the reason, then with the retry message when set', () => {
      expect(texts(talk(ask(), ['go', 'old'])[1])).toEqual([expect.any(String), 'Age?']);
      expect(texts(talk(ask({ retryMessage: 'A number please' }), ['go', 'old'])[1])).toEqual(['A number please', 'Age?']);
    });

    it('goes to onFail after maxAttempts invalid answers', () => {
      const steps = talk(ask({ maxAttempts: 2, onFail: 'fail' }), ['go', 'x', 'y']);
      expect(texts(steps[1])).toHaveLength(2);
      expect(texts(steps[2])).toEqual(['Giving up']);
      expect(steps[2]!.state.active).toBeNull();
    });

    it('ends the flow with the fallback after maxAttempts when there is no onFail', () => {
      const steps = talk(ask({ maxAttempts: 1 }), ['go', 'x']);
      expect(texts(steps[1])).toEqual(['FALLBACK']);
      expect(steps[1]!.effects).toContainEqual({ type: 'flow_ended', flowId: 'f', outcome: 'failed' });
    });

    it('asks anyway when the known answer does not pass the check, and normalizes one that does', () => {
      expect(texts(talk(ask(), ['go'], initialFlowState({ age: 'very old' }))[0])).toEqual(['Age?']);
      const [step] = talk(ask(), ['go'], initialFlowState({ age: '42' }));
      expect(step!.state.variables).toMatchObject({ age: 42, age_display: expect.any(String) });
    });

    it('skips a question whose answer is already known', () => {
      expect(texts(talk(ask(), ['go'], initialFlowState({ age: 30 }))[0])).toEqual(['You are 30']);
      expect(texts(talk(ask({ skipIfKnown: false }), ['go'], initialFlowState({ age: 30 }))[0])).toEqual(['Age?']);
    });

    it('cancels and starts over with the configured phrases', () => {
      const cancel = talk(ask(), ['go', 'Cancel']);
      expect(texts(cancel[1])).toEqual(['OK, I have cancelled that. Anything else I can help with?']);
      expect(cancel[1]!.state.active).toBeNull();
      expect(texts(talk(ask(), ['go', 'start over'])[1])).toEqual(['Age?']);
      const custom = context([{ id: 'a', type: 'ask', question: 'Age?', variable: 'age', answer: { type: 'integer' } }], {
        settings: { cancelPhrases: ['abort'], restartPhrases: ['again'], cancelMessage: 'Aborted.' },
      });
      expect(texts(talk(custom, ['go', 'abort'])[1])).toEqual(['Aborted.']);
    });

    it('offers yes/no and choice answers as buttons', () => {
      const ctx = context([{ id: 'a', type: 'ask', question: 'Sure?', variable: 'ok', answer: { type: 'yes_no' } }]);
      const [step] = talk(ctx, ['go']);
      expect(step!.replies).toEqual([{ text: 'Sure?', choices: [{ label: 'Yes', value: 'yes' }, { label: 'No', value: 'no' }] }]);
    });

    it('keeps a readable display form of dates', () => {
      const ctx = context([
        { id: 'a', type: 'ask', question: 'When?', variable: 'day', answer: { type: 'date' }, next: 'm' },
        { id: 'm', type: 'message', text: '{{day}} / {{day_display}}' },
      ]);
      const [, step] = talk(ctx, ['go', 'tomorrow']);
      expect(step!.state.variables.day).toBe('2026-11-22');
      expect(texts(step)[0]).toMatch(/^2026-11-22 \/ .*22/);
    });
  });

  describe('choice', () => {
    const ctx = context([
      { id: 'c', type: 'choice', text: 'Pick', variable: 'pick', options: [{ label: 'Red', value: 'r', next: 'red' }, { label: 'Blue', value: 'b' }], next: 'other' },
      { id: 'red', type: 'message', text: 'Red it is' },
      { id: 'other', type: 'message', text: 'Picked {{pick}}' },
    ]);

    it('lists the options in the text and as buttons', () => {
      expect(talk(ctx, ['go'])[0]!.replies).toEqual([{ text: 'Pick\n1. Red\n2. Blue', choices: [{ label: 'Red', value: 'r' }, { label: 'Blue', value: 'b' }] }]);
    });

    it("follows the option's branch, else the block's next", () => {
      expect(texts(talk(ctx, ['go', 'red'])[1])).toEqual(['Red it is']);
      expect(texts(talk(ctx, ['go', '2'])[1])).toEqual(['Picked b']);
    });

    it('re-asks on an unknown option', () => {
      expect(texts(talk(ctx, ['go', 'green'])[1])).toEqual(['Please pick one of: Red, Blue.', 'Pick\n1. Red\n2. Blue']);
    });
  });

  it('branches on conditions, with an else', () => {
    const ctx = context([
      { id: 'a', type: 'ask', question: 'N?', variable: 'n', answer: { type: 'number' }, next: 'c' },
      { id: 'c', type: 'condition', branches: [{ when: { all: [{ variable: 'n', op: 'gt', value: 10 }, { variable: 'n', op: 'lt', value: 100 }] }, next: 'big' }], else: 'small' },
      { id: 'big', type: 'message', text: 'big' },
      { id: 'small', type: 'message', text: 'small' },
    ]);
    expect(texts(talk(ctx, ['go', '50'])[1])).toEqual(['big']);
    expect(texts(talk(ctx, ['go', '5'])[1])).toEqual(['small']);
  });

  describe('api_call', () => {
    const ctx = context([
      { id: 'a', type: 'ask', question: 'Order?', variable: 'order', answer: { type: 'text' }, next: 'call' },
      { id: 'call', type: 'api_call', action: 'lookup', inputs: { id: '{{order}}', note: 'order {{order}}', n: 3 }, outputs: { state: 'status' }, next: 'ok', onFailure: 'ko' },
      { id: 'ok', type: 'message', text: 'Status: {{state}}' },
      { id: 'ko', type: 'message', text: 'Failed: {{last_error}}' },
    ]);

    it('emits a call effect with typed inputs and waits for the result', () => {
      const [, step] = talk(ctx, ['go', 'A-1']);
      expect(step!.effects).toContainEqual({ type: 'call_action', flowId: 'f', blockId: 'call', action: 'lookup', inputs: { id: 'A-1', note: 'order A-1', n: 3 } });
      expect(step!.state.active).toEqual({ flowId: 'f', blockId: 'call', attempts: 0, waitingFor: 'action' });
      // Messages while the call is in flight do not move the flow.
      expect(texts(talk(ctx, ['hello'], step!.state)[0])).toEqual([]);
    });

    it('maps kept outputs into variables on success', () => {
      const steps = talk(ctx, ['go', 'A-1', { type: 'action_result', ok: true, outputs: { status: 'shipped' } }]);
      expect(texts(steps[2])).toEqual(['Status: shipped']);
    });

    it('takes the failure branch with the visitor-safe reason', () => {
      const steps = talk(ctx, ['go', 'A-1', { type: 'action_result', ok: false, error: 'Order not found.' }]);
      expect(texts(steps[2])).toEqual(['Failed: Order not found.']);
    });
  });

  it('hands off, then stays silent', () => {
    const ctx = context([{ id: 'h', type: 'handoff', reason: 'asked' }]);
    const steps = talk(ctx, ['go', 'anyone?']);
    expect(texts(steps[0])).toHaveLength(1);
    expect(steps[0]!.effects).toContainEqual({ type: 'handoff', reason: 'asked' });
    expect(steps[0]!.state.handoff).toBe(true);
    expect(texts(steps[1])).toEqual([]);
  });

  it('never mutates the state it is given', () => {
    const state = initialFlowState({ x: 1 });
    const frozen = JSON.stringify(state);
    talk(context([{ id: 'a', type: 'ask', question: 'Q', variable: 'y', answer: { type: 'text' } }]), ['go'], state);
    expect(JSON.stringify(state)).toBe(frozen);
  });
});
