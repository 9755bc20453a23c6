/**
 * Guided flows through the HTTP API on the real stack: every block type, validation failures and
 * re-prompts, cancel / start over, fallback after too many attempts, handoff and release, triggers,
 * validation on save, and versions pinned to a conversation while the bot is edited and republished.
 */
import { publishedBot, signUp, startStack, type Http, type Stack, publishedFlowBot } from '../harness';

let stack: Stack;
let api: Http;

beforeAll(async () => {
  stack = await startStack();
  ({ api } = await signUp(stack.baseUrl));
});
afterAll(() => stack?.stop());

const GREETING = 'Hello! I am the test bot.';
const FALLBACK = 'Sorry, I cannot help with that yet.';

/** A booking flow that exercises ask (several types), choice, condition, set_variable, message and end. */
const bookingFlow = {
  id: 'booking',
  name: 'Book an appointment',
  trigger: { keywords: ['book', 'appointment'] },
  startBlockId: 'ask_name',
  blocks: [
    { id: 'ask_name', type: 'ask', question: 'What is your name?', variable: 'name', answer: { type: 'text', minLength: 2 }, next: 'ask_date' },
    { id: 'ask_date', type: 'ask', question: 'Which day, {{name}}?', variable: 'date', answer: { type: 'date', allowPast: false }, retryMessage: 'Please give a day from today on, like "tomorrow".', maxAttempts: 2, onFail: 'too_many', next: 'ask_time' },
    { id: 'ask_time', type: 'ask', question: 'What time?', variable: 'time', answer: { type: 'time' }, next: 'ask_people' },
    { id: 'ask_people', type: 'ask', question: 'For how many people?', variable: 'people', answer: { type: 'integer', min: 1, max: 8 }, next: 'ask_email' },
    { id: 'ask_email', type: 'ask', question: 'Your email?', variable: 'email', answer: { type: 'email' }, next: 'size' },
    { id: 'size', type: 'condition', branches: [{ when: { variable: 'people', op: 'gte', value: 6 }, next: 'big_group' }], else: 'tag_small' },
    { id: 'big_group', type: 'set_variable', variable: 'note', value: 'a large table for {{people}}', next: 'confirm' },
    { id: 'tag_small', type: 'set_variable', variable: 'note', value: 'a table for {{people}}', next: 'confirm' },
    {
      id: 'confirm',
      type: 'choice',
      text: 'Book {{note}} on {{date}} at {{time}} for {{name}} ({{email}})?',
      variable: 'confirmed',
      options: [
        { label: 'Yes, book it', value: 'yes', synonyms: ['yes', 'confirm'], next: 'done' },
        { label: 'No', value: 'no', synonyms: ['no'], next: 'not_booked' },
      ],
    },
    { id: 'done', type: 'end', text: 'Booked for {{date}} at {{time}}. See you, {{name}}!' },
    { id: 'not_booked', type: 'end', text: 'No problem, nothing was booked.' },
    { id: 'too_many', type: 'message', text: 'Let us try that another time.' },
  ],
};

const supportFlow = {
  id: 'human',
  name: 'Talk to a person',
  trigger: { keywords: ['human', 'agent'] },
  startBlockId: 'handoff',
  blocks: [{ id: 'handoff', type: 'handoff', text: 'Connecting you to a colleague.', reason: 'visitor asked' }],
};

const refundFlow = {
  id: 'refund',
  name: 'Refund',
  trigger: { keywords: ['refund'] },
  startBlockId: 'ask_order',
  blocks: [
    { id: 'ask_order', type: 'ask', question: 'Order number?', variable: 'order_id', answer: { type: 'regex', pattern: '[A-Z]{2}-[0-9]{4}' }, next: 'call' },
    { id: 'call', type: 'api_call', action: 'refund_order', inputs: { order: '{{order_id}}' }, outputs: { refund_status: 'status' }, next: 'ok', onFailure: 'failed' },
    { id: 'ok', type: 'end', text: 'Refund {{refund_status}}.' },
    { id: 'failed', type: 'end', text: 'I could not do that: {{last_error}}' },
  ],
};

const botWithFlows = (flows: unknown[], settings: Record<string, unknown> = {}): Promise<string> => publishedFlowBot(api, { flows }, settings);

/** A conversation helper: say something, get the reply texts. */
async function converse(botId: string, contact?: Record<string, string>) {
  const start = await api.post('/v1/conversations', { botId, externalUserId: `v-${Math.random()}`, ...(contact ? { contact } : {}) });
  expect(start.status).toBe(201);
  const id = start.body.conversation.id as string;
  const say = async (text: string): Promise<string[]> => {
    const res = await api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text } });
    expect(res.status).toBe(200);
    return res.body.replies.map((r: { text: string }) => r.text);
  };
  const sayRaw = (text: string) => api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text } });
  return { id, start, say, sayRaw };
}

describe('a guided booking flow', () => {
  let botId: string;
  beforeAll(async () => {
    botId = await botWithFlows([bookingFlow, supportFlow, refundFlow], { timezone: 'Europe/Paris' });
  });

  it('walks every step, validating and re-prompting, to a confirmed booking', async () => {
    const c = await converse(botId);
    expect(c.start.body.replies.map((r: { text: string }) => r.text)).toEqual([GREETING]);
    expect(await c.say('Hi, I would like to book a table')).toEqual(['What is your name?']);
    expect(await c.say('A')).toEqual([expect.stringMatching(/at least 2|too short/i), 'What is your name?']);
    expect(await c.say('Ada')).toEqual(['Which day, Ada?']);
    expect(await c.say('yesterday')).toEqual(['Please give a day from today on, like "tomorrow".', 'Which day, Ada?']);
    const [whatTime] = await c.say('2099-03-14');
    expect(whatTime).toBe('What time?');
    expect(await c.say('half a bagel')).toEqual([expect.any(String), 'What time?']);
    expect(await c.say('7pm')).toEqual(['For how many people?']);
    expect(await c.say('twelve hundred')).toHaveLength(2);
    expect(await c.say('9')).toEqual([expect.any(String), 'For how many people?']);
    expect(await c.say('6')).toEqual(['Your email?']);
    expect(await c.say('not-an-email')).toEqual([expect.stringMatching(/email/i), 'Your email?']);
    const confirm = await c.sayRaw('ada@example.com');
    expect(confirm.body.replies).toHaveLength(1);
    const question = confirm.body.replies[0];
    expect(question.text).toBe('Book a large table for 6 on 2099-03-14 at 19:00 for Ada (ada@example.com)?\n1. Yes, book it\n2. No');
    expect(question.choices).toEqual([
      { label: 'Yes, book it', value: 'yes' },
      { label: 'No', value: 'no' },
    ]);
    expect(await c.say('maybe')).toEqual([expect.stringContaining('Yes, book it'), question.text]);
    expect(await c.say('yes')).toEqual(['Booked for 2099-03-14 at 19:00. See you, Ada!']);
    // The flow is over: the next message gets the fallback.
    expect(await c.say('thanks')).toEqual([FALLBACK]);

    // Structured content is kept in the transcript.
    const transcript = await api.get(`/v1/conversations/${c.id}/messages?limit=200`);
    expect(transcript.body.data.find((m: { text: string }) => m.text === question.text).choices).toEqual(question.choices);
  });

  it('picks a choice by its number and takes the branch', async () => {
    const c = await converse(botId, { email: 'known@example.com' });
    await c.say('appointment please');
    await c.say('Grace');
    await c.say('2099-01-02');
    await c.say('09:30');
    // The contact's email was given at start, so that question is skipped.
    const [confirm] = await c.say('2');
    expect(confirm).toMatch(/^Book a table for 2 on 2099-01-02 at 09:30 for Grace \(known@example.com\)\?/);
    expect(await c.say('2')).toEqual(['No problem, nothing was booked.']);
  });

  it('goes to the fallback branch after too many invalid answers', async () => {
    const c = await converse(botId);
    await c.say('book');
    await c.say('Alan');
    expect(await c.say('last year')).toHaveLength(2);
    expect(await c.say('the day before yesterday')).toEqual(['Let us try that another time.']);
    expect(await c.say('hello')).toEqual([FALLBACK]);
  });

  it('cancels at any ask, and starts over on request', async () => {
    const c = await converse(botId);
    await c.say('book');
    await c.say('Edsger');
    expect(await c.say('start over')).toEqual(['What is your name?']);
    expect(await c.say('Barbara')).toEqual(['Which day, Barbara?']);
    expect(await c.say('cancel')).toEqual(['OK, I have cancelled that. Anything else I can help with?']);
    expect(await c.say('2099-01-01')).toEqual([FALLBACK]);
  });

  it('hands off to a human, stays silent, and answers again once released', async () => {
    const c = await converse(botId);
    expect(await c.say('I want a human')).toEqual(['Connecting you to a colleague.']);
    expect((await api.get(`/v1/conversations/${c.id}`)).body.conversation.status).toBe('handoff');
    expect(await c.say('hello?')).toEqual([]);
    // A person answers through the API; the message joins the transcript in order.
    const agent = await api.post(`/v1/conversations/${c.id}/agent-messages`, { message: { type: 'text', text: 'Hi, Sam here. How can I help?' } });
    expect(agent.status).toBe(201);
    expect(agent.body.message).toMatchObject({ id: expect.stringMatching(/^msg_/), role: 'agent', text: 'Hi, Sam here. How can I help?' });
    const during = (await api.get(`/v1/conversations/${c.id}/messages`)).body.data.map((m: { role: string; text: string }) => [m.role, m.text]);
    expect(during.slice(-2)).toEqual([
      ['visitor', 'hello?'],
      ['agent', 'Hi, Sam here. How can I help?'],
    ]);
    const released = await api.post(`/v1/conversations/${c.id}/release`);
    expect(released.status).toBe(200);
    expect(released.body.conversation.status).toBe('active');
    expect((await api.get(`/v1/conversations/${c.id}`)).body.conversation.status).toBe('active');
    expect(await c.say('hello again')).toEqual([FALLBACK]);
    // Once released, only the bot answers.
    const refused = await api.post(`/v1/conversations/${c.id}/agent-messages`, { message: { type: 'text', text: 'still me' } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('not_in_handoff');
    // The silent turn's message is in the transcript, unanswered.
    const texts = (await api.get(`/v1/conversations/${c.id}/messages`)).body.data.map((m: { text: string }) => m.text);
    expect(texts).toContain('hello?');
  });

  it('takes the failure branch of an API call with a visitor-safe reason', async () => {
    const c = await converse(botId);
    expect(await c.say('I need a refund')).toEqual(['Order number?']);
    expect(await c.say('12345')).toHaveLength(2);
    expect(await c.say('AB-1234')).toEqual(['I could not do that: Sorry, "refund_order" is not available right now.']);
  });
});

describe('triggers', () => {
  it('starts a flow at conversation start, also when it opens with a message', async () => {
    const onStart = { ...bookingFlow, id: 'welcome', name: 'Welcome', trigger: { onStart: true, keywords: [] } };
    const botId = await botWithFlows([onStart]);
    const plain = await api.post('/v1/conversations', { botId, externalUserId: 'a' });
    expect(plain.body.replies.map((r: { text: string }) => r.text)).toEqual([GREETING, 'What is your name?']);
    const withMessage = await api.post('/v1/conversations', { botId, externalUserId: 'b', message: { type: 'text', text: 'hi there' } });
    expect(withMessage.body.replies.map((r: { text: string }) => r.text)).toEqual([GREETING, 'What is your name?']);
  });

  it('starts a flow named explicitly in a message', async () => {
    const botId = await botWithFlows([{ ...bookingFlow, trigger: { keywords: [] } }]);
    const c = await converse(botId);
    expect(await c.say('I want to reserve')).toEqual([FALLBACK]);
    expect(await c.say('I want to book an appointment')).toEqual(['What is your name?']);
  });
});

describe('validation on save', () => {
  let botId: string;
  beforeAll(async () => {
    botId = await publishedBot(api);
  });

  const broken: [string, (flow: any) => void, RegExp][] = [
    ['an unknown next block', (f) => (f.blocks[0].next = 'nowhere'), /nowhere/],
    ['an unreachable block', (f) => f.blocks.push({ id: 'orphan', type: 'message', text: 'never said' }), /never be reached/i],
    ['a loop with no ask', (f) => f.blocks.push({ id: 'l1', type: 'message', text: 'a', next: 'l2' }, { id: 'l2', type: 'message', text: 'b', next: 'l1' }) && (f.blocks[11].next = 'l1'), /loop|cycle/i],
    ['an unknown variable', (f) => (f.blocks[2].question = 'What time, {{nickname}}?'), /nickname/],
    ['an invalid regex', (f) => (f.blocks[2].answer = { type: 'regex', pattern: '([a-z' }), /pattern|regex/i],
    ['a pattern prone to catastrophic backtracking', (f) => (f.blocks[2].answer = { type: 'regex', pattern: '(a+)+(?=b)' }), /pattern|regex|lookahead|support/i],
  ];

  it.each(broken)('rejects %s with the flow, block and field named, and keeps the saved flows', async (_name, breakIt, message) => {
    const flow = structuredClone(bookingFlow);
    breakIt(flow);
    const res = await api.put(`/v1/bots/${botId}/flows`, { flows: [flow] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_flows');
    expect(res.body.message).toMatch(message);
    expect(res.body.details[0]).toEqual(expect.objectContaining({ flowId: 'booking', field: expect.any(String), message: expect.any(String) }));
    expect((await api.get(`/v1/bots/${botId}/flows`)).body.flows).toEqual([]);
  });

  it('rejects a malformed block with the field path', async () => {
    const res = await api.put(`/v1/bots/${botId}/flows`, { flows: [{ ...bookingFlow, blocks: [{ id: 'x', type: 'ask', question: 'q?' }] }] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain('body.flows.0.blocks.0.variable');
  });
});

describe('versions', () => {
  it('keeps a running conversation on the version it started with when the bot is edited and republished', async () => {
    const botId = await botWithFlows([bookingFlow]);
    const before = await converse(botId);
    await before.say('book');
    expect(await before.say('Ada')).toEqual(['Which day, Ada?']);

    const edited = structuredClone(bookingFlow);
    edited.blocks[1]!.question = 'NEW: which date, {{name}}?';
    edited.blocks[2]!.question = 'NEW: what time?';
    expect((await api.put(`/v1/bots/${botId}/flows`, { flows: [edited] })).status).toBe(200);
    expect((await api.patch(`/v1/bots/${botId}`, { fallbackMessage: 'NEW fallback' })).status).toBe(200);
    expect((await api.post(`/v1/bots/${botId}/publish`)).body.version.version).toBe(3);

    // The running conversation finishes on its own version...
    expect(await before.say('2099-05-05')).toEqual(['What time?']);
    // ...while a new one runs the new version.
    const after = await converse(botId);
    await after.say('book');
    expect(await after.say('Ada')).toEqual(['NEW: which date, Ada?']);
    expect((await api.get(`/v1/conversations/${after.id}`)).body.conversation.botVersion).toBe(3);
    expect((await api.get(`/v1/conversations/${before.id}`)).body.conversation.botVersion).toBe(2);
  });
});
