import type { z } from 'zod';
import { AskBlock, BotFlows, Flow, MessageBlock, type Block } from '../../models/flow.schema';
import { flowGraphEdges, validateBotFlows, type FlowIssue } from './validate';

type FlowInput = z.input<typeof Flow>;
type BlockInput = z.input<typeof Block>;

// ---- fixture builders: each yields a valid piece that a test then breaks one way ----

const message = (id: string, text: string, next?: string): z.input<typeof MessageBlock> => ({ id, type: 'message', text, ...(next && { next }) });
const askText = (id: string, variable: string, next?: string): z.input<typeof AskBlock> => ({ id, type: 'ask', question: `Your ${variable}?`, variable, answer: { type: 'text' }, ...(next && { next }) });
const end = (id: string, text?: string): BlockInput => ({ id, type: 'end', ...(text && { text }) });

/** A valid flow: hello → ask_name → bye. Overrides replace whole fields. */
function flow(overrides: Partial<FlowInput> = {}): FlowInput {
  return {
    id: 'main',
    name: 'Main',
    startBlockId: 'hello',
    blocks: [message('hello', 'Hi!', 'ask_name'), askText('ask_name', 'name', 'bye'), end('bye', 'Bye {{name}}')],
    ...overrides,
  };
}

/** A flow whose start is its first block. */
const flowOf = (blocks: BlockInput[], overrides: Partial<FlowInput> = {}): FlowInput => flow({ startBlockId: blocks[0]!.id, blocks, ...overrides });

/** Parsed through the schema as the API does, so defaults (maxAttempts, trigger, settings) are applied. */
const validate = (flows: FlowInput[], knownVariables?: string[]): FlowIssue[] => validateBotFlows(BotFlows.parse({ flows }), { knownVariables });

/** The block, plus the end block "x" that a condition fixture's branches lead to. */
const withTarget = (block: BlockInput): BlockInput[] => (block.type === 'condition' ? [block, end('x')] : [block]);

/** The one issue expected, with its location. */
function only(issues: FlowIssue[]): FlowIssue {
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

/** name → date → time → email → summary → confirm → book → done, with change/cancel and failure branches. */
const booking: FlowInput = {
  id: 'booking',
  name: 'Book a table',
  trigger: { onStart: true, keywords: ['book', 'reservation'] },
  startBlockId: 'ask_name',
  blocks: [
    { id: 'ask_name', type: 'ask', question: 'Hi! What name should the booking be under?', variable: 'name', answer: { type: 'text', minLength: 2 }, next: 'ask_date' },
    { id: 'ask_date', type: 'ask', question: 'Which day, {{name}}?', variable: 'date', answer: { type: 'date', allowPast: false }, skipIfKnown: false, retryMessage: 'Please give a future date, e.g. "next Friday".', next: 'ask_time' },
    { id: 'ask_time', type: 'ask', question: 'What time?', variable: 'time', answer: { type: 'time' }, next: 'ask_email' },
    { id: 'ask_email', type: 'ask', question: 'Which email should get the confirmation?', variable: 'email', answer: { type: 'email' }, next: 'summary' },
    { id: 'summary', type: 'message', text: 'A table for {{name}} on {{date}} at {{time}}; confirmation to {{email}}.', next: 'confirm' },
    {
      id: 'confirm',
      type: 'choice',
      text: 'Shall I book it?',
      variable: 'confirmed',
      options: [
        { label: 'Yes, book it', value: 'yes', synonyms: ['ok', 'sure'], next: 'book' },
        { label: 'Change the date', value: 'change', next: 'ask_date' },
        { label: 'No, cancel', value: 'no', next: 'cancelled' },
      ],
      onFail: 'cancelled',
    },
    {
      id: 'book',
      type: 'api_call',
      action: 'create_booking',
      inputs: { name: '{{name}}', date: '{{date}}', time: '{{time}}', email: '{{email}}', source: 'chat' },
      outputs: { booking_ref: 'reference' },
      next: 'done',
      onFailure: 'failed',
    },
    { id: 'done', type: 'end', text: 'Booked! Your reference is {{booking_ref}}.' },
    { id: 'failed', type: 'handoff', text: 'Sorry, that did not work ({{last_error}}). A colleague will help you.', reason: 'booking failed' },
    { id: 'cancelled', type: 'end', text: 'No problem, nothing was booked.' },
  ],
};

describe('validateBotFlows: valid flows', () => {
  it('accepts the minimal fixture', () => {
    expect(validate([flow()])).toEqual([]);
  });

  it('accepts a realistic booking flow with no issues', () => {
    expect(validate([booking])).toEqual([]);
  });

  it('accepts no flows at all', () => {
    expect(validate([])).toEqual([]);
  });

  it('accepts an api_call with neither next nor onFailure (the flow ends)', () => {
    expect(validate([flowOf([{ id: 'call', type: 'api_call', action: 'ping' }])])).toEqual([]);
  });
});

describe('validateBotFlows: ids and start block', () => {
  it('reports a duplicate flow id on the later flow', () => {
    const found = only(validate([flow(), flow({ name: 'Other' })]));
    expect(found).toMatchObject({ flowId: 'main', field: 'id' });
    expect(found.message).toBe('Flow "main" (id): flows[1] reuses the id of flows[0]; flow ids must be unique.');
  });

  it('reports a duplicate block id within a flow', () => {
    const found = only(validate([flowOf([message('a', 'one', 'b'), message('b', 'two'), message('a', 'three')])]));
    expect(found).toMatchObject({ flowId: 'main', blockId: 'a', field: 'blocks[2].id' });
    expect(found.message).toContain('block id "a" is already used by blocks[0]');
  });

  it('allows the same block id in two different flows', () => {
    expect(validate([flow(), flow({ id: 'other' })])).toEqual([]);
  });

  it('reports a startBlockId that is not a block, with a suggestion', () => {
    const found = only(validate([flow({ startBlockId: 'helo' })]));
    expect(found).toMatchObject({ flowId: 'main', field: 'startBlockId' });
    expect(found.blockId).toBeUndefined();
    expect(found.message).toBe('Flow "main" (startBlockId): start block "helo" is not a block of this flow. Did you mean "hello"?');
  });
});

describe('validateBotFlows: unknown next block', () => {
  const cases: Array<[string, BlockInput, string]> = [
    ['next', message('m', 'Hi', 'nowhere'), 'blocks[0].next'],
    ['ask onFail', { ...askText('m', 'name'), onFail: 'nowhere' }, 'blocks[0].onFail'],
    ['choice onFail', { id: 'm', type: 'choice', text: 'Pick', options: [{ label: 'A', value: 'a' }], onFail: 'nowhere' }, 'blocks[0].onFail'],
    ['choice option next', { id: 'm', type: 'choice', text: 'Pick', options: [{ label: 'A', value: 'a', next: 'nowhere' }] }, 'blocks[0].options[0].next'],
    ['api_call onFailure', { id: 'm', type: 'api_call', action: 'ping', onFailure: 'nowhere' }, 'blocks[0].onFailure'],
    ['condition branch next', { id: 'm', type: 'condition', branches: [{ when: { variable: 'last_error', op: 'exists' }, next: 'nowhere' }], else: 'x' }, 'blocks[0].branches[0].next'],
    ['condition else', { id: 'm', type: 'condition', branches: [{ when: { variable: 'last_error', op: 'exists' }, next: 'x' }], else: 'nowhere' }, 'blocks[0].else'],
  ];
  it.each(cases)('reports an unknown %s', (_name, block, field) => {
    const found = only(validate([flowOf(withTarget(block))]));
    expect(found).toMatchObject({ flowId: 'main', blockId: 'm', field });
    expect(found.message).toBe(`Flow "main", block "m" (${field}): points to block "nowhere", which does not exist in this flow.`);
  });

  it('suggests the closest block id', () => {
    const found = only(validate([flowOf([{ ...askText('m', 'v', 'ask_time'), onFail: 'ask_tme' }, end('ask_time')])]));
    expect(found).toMatchObject({ field: 'blocks[0].onFail' });
    expect(found.message).toContain('points to block "ask_tme", which does not exist in this flow. Did you mean "ask_time"?');
  });

  it('does not accept a block id from another flow', () => {
    const other = flow({ id: 'other' });
    const found = only(validate([flowOf([message('m', 'Hi', 'hello')], { id: 'first' }), other]));
    expect(found).toMatchObject({ flowId: 'first', field: 'blocks[0].next' });
  });
});

describe('validateBotFlows: unreachable blocks', () => {
  it('reports a block nothing leads to', () => {
    const found = only(validate([flowOf([message('a', 'one'), message('orphan', 'two')])]));
    expect(found).toMatchObject({ flowId: 'main', blockId: 'orphan', field: 'blocks[1]' });
    expect(found.message).toBe('Flow "main", block "orphan" (blocks[1]): block "orphan" can never be reached from the start block "a".');
  });

  it('counts blocks reached only through onFail, onFailure, else and options as reachable', () => {
    const blocks: BlockInput[] = [
      { ...askText('a', 'v', 'c'), onFail: 'b' },
      end('b'),
      { id: 'c', type: 'api_call', action: 'x', onFailure: 'd' },
      { id: 'd', type: 'condition', branches: [{ when: { variable: 'v', op: 'exists' }, next: 'b' }], else: 'e' },
      { id: 'e', type: 'choice', text: 'Pick', options: [{ label: 'F', value: 'f', next: 'f' }] },
      end('f'),
    ];
    expect(validate([flowOf(blocks)])).toEqual([]);
  });

  it('does not report every block as unreachable when the start block is missing', () => {
    expect(validate([flow({ startBlockId: 'missing' })]).map((i) => i.field)).toEqual(['startBlockId']);
  });
});

describe('validateBotFlows: loops with no ask', () => {
  it('reports a cycle of blocks that never wait for the visitor, naming its blocks', () => {
    const blocks = [message('a', 'start', 'b'), message('b', 'again', 'c'), { id: 'c', type: 'set_variable', variable: 'n', value: 'x', next: 'b' } as BlockInput];
    const found = only(validate([flowOf(blocks)]));
    expect(found).toMatchObject({ flowId: 'main', blockId: 'b', field: 'blocks[1]' });
    expect(found.message).toBe('Flow "main", block "b" (blocks[1]): blocks "b" → "c" → "b" form a loop with no ask or choice block, so the flow would run forever without waiting for the visitor.');
  });

  it('reports a block that leads to itself', () => {
    const found = only(validate([flowOf([{ id: 'c', type: 'condition', branches: [{ when: { variable: 'last_error', op: 'exists' }, next: 'x' }], else: 'c' }, end('x')])]));
    expect(found).toMatchObject({ blockId: 'c', field: 'blocks[0]' });
    expect(found.message).toContain('blocks "c" → "c" form a loop');
  });

  it('reports each separate loop once', () => {
    const blocks: BlockInput[] = [
      { id: 'start', type: 'condition', branches: [{ when: { variable: 'last_error', op: 'exists' }, next: 'a' }], else: 'c' },
      message('a', 'a', 'b'),
      message('b', 'b', 'a'),
      message('c', 'c', 'd'),
      message('d', 'd', 'c'),
    ];
    expect(validate([flowOf(blocks)]).map((i) => i.blockId)).toEqual(['a', 'c']);
  });

  it('accepts a loop that passes through an ask', () => {
    expect(validate([flowOf([message('a', 'Try again', 'b'), askText('b', 'v', 'a')])])).toEqual([]);
  });

  it('accepts a loop that passes through a choice', () => {
    const choice: BlockInput = { id: 'b', type: 'choice', text: 'More?', options: [{ label: 'Yes', value: 'yes', next: 'a' }, { label: 'No', value: 'no', next: 'x' }] };
    expect(validate([flowOf([message('a', 'Here you go', 'b'), choice, end('x')])])).toEqual([]);
  });
});

describe('validateBotFlows: unknown variables', () => {
  const reads: Array<[string, BlockInput, string]> = [
    ['message text', message('m', 'Hi {{nickname}}'), 'blocks[0].text'],
    ['ask question', { ...askText('m', 'v'), question: 'Hi {{nickname}}?' }, 'blocks[0].question'],
    ['ask retryMessage', { ...askText('m', 'v'), retryMessage: 'Sorry {{nickname}}' }, 'blocks[0].retryMessage'],
    ['choice text', { id: 'm', type: 'choice', text: 'Pick, {{nickname}}', options: [{ label: 'A', value: 'a' }] }, 'blocks[0].text'],
    ['choice retryMessage', { id: 'm', type: 'choice', text: 'Pick', retryMessage: '{{nickname}}?', options: [{ label: 'A', value: 'a' }] }, 'blocks[0].retryMessage'],
    ['set_variable value', { id: 'm', type: 'set_variable', variable: 'greeting', value: 'Hi {{nickname}}' }, 'blocks[0].value'],
    ['api_call input', { id: 'm', type: 'api_call', action: 'x', inputs: { who: '{{nickname}}' } }, 'blocks[0].inputs.who'],
    ['api_call input with an unusual name', { id: 'm', type: 'api_call', action: 'x', inputs: { 'who-is': '{{nickname}}' } }, 'blocks[0].inputs["who-is"]'],
    ['handoff text', { id: 'm', type: 'handoff', text: 'Bye {{nickname}}' }, 'blocks[0].text'],
    ['end text', end('m', 'Bye {{nickname}}'), 'blocks[0].text'],
    ['condition variable', { id: 'm', type: 'condition', branches: [{ when: { variable: 'nickname', op: 'exists' }, next: 'x' }] }, 'blocks[0].branches[0].when.variable'],
    [
      'nested condition variable',
      { id: 'm', type: 'condition', branches: [{ when: { all: [{ variable: 'last_error', op: 'exists' }, { any: [{ variable: 'nickname', op: 'exists' }] }] }, next: 'x' }] },
      'blocks[0].branches[0].when.all[1].any[0].variable',
    ],
  ];
  it.each(reads)('reports an unknown variable in a %s', (_name, block, field) => {
    const found = only(validate([flowOf(withTarget(block))]));
    expect(found).toMatchObject({ flowId: 'main', blockId: 'm', field });
    expect(found.message).toBe(
      `Flow "main", block "m" (${field}): variable "nickname" is not set by any flow and is not a built-in or start variable. Set it with an ask, choice, set_variable or api_call output first.`,
    );
  });

  it('reports an unknown variable once, where it is first used', () => {
    const issues = validate([flowOf([message('a', '{{nickname}}', 'b'), message('b', '{{nickname}} again')]), flowOf([message('c', '{{nickname}}')], { id: 'other' })]);
    expect(only(issues)).toMatchObject({ flowId: 'main', blockId: 'a', field: 'blocks[0].text' });
  });

  it('suggests a close known variable', () => {
    const found = only(validate([flowOf([askText('a', 'email', 'b'), message('b', 'Sent to {{emial}}')])]));
    expect(found.message).toContain('variable "emial" is not set by any flow and is not a built-in or start variable. Did you mean "email"?');
  });

  it('suggests a short variable with two letters swapped', () => {
    expect(only(validate([flowOf([askText('a', 'name', 'b'), message('b', 'Hi {{nmae}}')])])).message).toContain('Did you mean "name"?');
  });

  it('suggests nothing when no known variable is close', () => {
    const found = only(validate([flowOf([askText('a', 'email', 'b'), message('b', 'Sent to {{zzz}}')])]));
    expect(found.message).not.toContain('Did you mean');
  });

  it('accepts variables set by ask, choice, set_variable and api_call outputs', () => {
    const blocks: BlockInput[] = [
      askText('a', 'asked', 'b'),
      { id: 'b', type: 'choice', text: 'Pick', variable: 'picked', options: [{ label: 'A', value: 'a' }], next: 'c' },
      { id: 'c', type: 'set_variable', variable: 'assigned', value: 'x', next: 'd' },
      { id: 'd', type: 'api_call', action: 'x', outputs: { fetched: 'field' }, next: 'e' },
      message('e', '{{asked}} {{picked}} {{assigned}} {{fetched}}'),
    ];
    expect(validate([flowOf(blocks)])).toEqual([]);
  });

  it('accepts a variable set in another flow of the bot', () => {
    expect(validate([flowOf([message('a', 'Hi {{name}}')], { id: 'other' }), flow()])).toEqual([]);
  });

  it('accepts the built-ins', () => {
    const text = '{{contact.name}} {{contact.email}} {{contact.phone}} {{last_error}} {{bot.name}}';
    expect(validate([flowOf([message('a', text)])])).toEqual([]);
  });

  it('reports an unknown dotted name', () => {
    expect(only(validate([flowOf([message('a', '{{contact.address}}')])])).message).toContain('variable "contact.address"');
  });

  it('accepts start variables passed as knownVariables', () => {
    const f = flowOf([message('a', 'Order {{order_id}}')]);
    expect(validate([f])).toHaveLength(1);
    expect(validate([f], ['order_id'])).toEqual([]);
  });

  it("accepts an ask's formatted answer, variable_display", () => {
    expect(validate([flowOf([askText('a', 'date', 'b'), message('b', 'On {{date_display}}')])])).toEqual([]);
  });

  it('reports a malformed placeholder that would reach the visitor verbatim', () => {
    const found = only(validate([flowOf([message('a', 'Hi {{ first name }}')])]));
    expect(found).toMatchObject({ blockId: 'a', field: 'blocks[0].text' });
    expect(found.message).toContain('{{ first name }} is not a valid placeholder');
  });
});

describe('validateBotFlows: regex answers', () => {
  const regexAsk = (pattern: string, flags?: string): FlowInput =>
    flowOf([{ id: 'code', type: 'ask', question: 'Your code?', variable: 'code', answer: { type: 'regex', pattern, ...(flags && { flags }) } }]);

  it('accepts a linear-time-safe pattern', () => {
    expect(validate([regexAsk('[A-Z]{2}[0-9]{4}', 'i')])).toEqual([]);
  });

  it('reports an invalid pattern on answer.pattern', () => {
    const found = only(validate([regexAsk('([A-Z]')]));
    expect(found).toMatchObject({ flowId: 'main', blockId: 'code', field: 'blocks[0].answer.pattern' });
    expect(found.message).toMatch(/^Flow "main", block "code" \(blocks\[0\]\.answer\.pattern\): pattern "\(\[A-Z\]" cannot be used\. .+/);
  });

  it('reports a backreference, which has no linear-time engine', () => {
    expect(only(validate([regexAsk('(a)\\1')])).field).toBe('blocks[0].answer.pattern');
  });

  it('reports a lookahead, which has no linear-time engine', () => {
    expect(only(validate([regexAsk('(?=a)a')])).field).toBe('blocks[0].answer.pattern');
  });
});

describe('validateBotFlows: triggers', () => {
  it('reports a second onStart flow', () => {
    const found = only(validate([flow({ trigger: { onStart: true } }), flow({ id: 'second', trigger: { onStart: true } })]));
    expect(found).toMatchObject({ flowId: 'second', field: 'trigger.onStart' });
    expect(found.message).toBe('Flow "second" (trigger.onStart): only one flow may start with the conversation, and flow "main" (flows[0]) already does.');
  });

  it('reports a keyword used by two flows, case-insensitively', () => {
    const found = only(validate([flow({ trigger: { keywords: ['menu', 'Book'] } }), flow({ id: 'second', trigger: { keywords: ['hours', 'BOOK'] } })]));
    expect(found).toMatchObject({ flowId: 'second', field: 'trigger.keywords[1]' });
    expect(found.message).toBe('Flow "second" (trigger.keywords[1]): keyword "BOOK" is also a keyword of flow "main" (flows[0].trigger.keywords[1]); a message could not choose between them.');
  });

  it('matches keywords accent-insensitively, as the interpreter does', () => {
    expect(only(validate([flow({ trigger: { keywords: ['réserver'] } }), flow({ id: 'second', trigger: { keywords: ['Reserver'] } })])).field).toBe('trigger.keywords[0]');
  });

  it('accepts distinct keywords and a repeat within one flow', () => {
    expect(validate([flow({ trigger: { keywords: ['book', 'Book'] } }), flow({ id: 'second', trigger: { keywords: ['hours'] } })])).toEqual([]);
  });
});

describe('validateBotFlows: choice options', () => {
  const choice = (options: Array<{ label: string; value: string }>): FlowInput => flowOf([{ id: 'pick', type: 'choice', text: 'Pick one', options }]);
  const askChoice = (options: Array<{ label: string; value: string }>): FlowInput =>
    flowOf([{ id: 'pick', type: 'ask', question: 'Pick one', variable: 'picked', answer: { type: 'choice', options } }]);

  it('reports a duplicate value, case-insensitively', () => {
    const found = only(validate([choice([{ label: 'Small', value: 'S' }, { label: 'Little', value: 's' }])]));
    expect(found).toMatchObject({ blockId: 'pick', field: 'blocks[0].options[1].value' });
    expect(found.message).toBe('Flow "main", block "pick" (blocks[0].options[1].value): option value "s" repeats options[0].value; each option needs its own value.');
  });

  it('reports a duplicate label, case-insensitively', () => {
    const found = only(validate([choice([{ label: 'Small', value: 's' }, { label: 'SMALL', value: 'm' }])]));
    expect(found).toMatchObject({ field: 'blocks[0].options[1].label' });
  });

  it('reports duplicates in an ask of type choice', () => {
    const found = only(validate([askChoice([{ label: 'Small', value: 's' }, { label: 'Large', value: 'S' }])]));
    expect(found).toMatchObject({ field: 'blocks[0].answer.options[1].value' });
  });

  it('accepts distinct options', () => {
    expect(validate([choice([{ label: 'Small', value: 's' }, { label: 'Large', value: 'l' }])])).toEqual([]);
  });
});

describe('flowGraphEdges', () => {
  it('lists every reference with its field path', () => {
    expect(flowGraphEdges(Flow.parse(booking)).filter((e) => e.from === 'confirm' || e.from === 'book')).toEqual([
      { from: 'confirm', to: 'book', field: 'blocks[5].options[0].next' },
      { from: 'confirm', to: 'ask_date', field: 'blocks[5].options[1].next' },
      { from: 'confirm', to: 'cancelled', field: 'blocks[5].options[2].next' },
      { from: 'confirm', to: 'cancelled', field: 'blocks[5].onFail' },
      { from: 'book', to: 'done', field: 'blocks[6].next' },
      { from: 'book', to: 'failed', field: 'blocks[6].onFailure' },
    ]);
  });

  it('includes condition branches and else, and references to missing blocks', () => {
    const f = Flow.parse(flowOf([{ id: 'c', type: 'condition', branches: [{ when: { variable: 'v', op: 'exists' }, next: 'x' }], else: 'missing' }]));
    expect(flowGraphEdges(f)).toEqual([
      { from: 'c', to: 'x', field: 'blocks[0].branches[0].next' },
      { from: 'c', to: 'missing', field: 'blocks[0].else' },
    ]);
  });
});
