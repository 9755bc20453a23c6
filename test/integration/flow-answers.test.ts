/**
 * Guided-flow answer types through the HTTP API on the real stack, one ask per flow: for each type not
 * walked by flows.test.ts (phone, number with min/max, datetime in the bot's timezone, yes_no, regex with
 * the i flag, an ask answered by choice, text maxLength), an invalid answer gets the reason and the
 * question again, and a valid one reaches a templated reply showing the normalized value. Also: a
 * template variable with no value renders as "[name]", and start variables fill an ask.
 */
import { signUp, startStack, type Http, type Stack, publishedFlowBot } from '../harness';

let stack: Stack;
let api: Http;

beforeAll(async () => {
  stack = await startStack();
  ({ api } = await signUp(stack.baseUrl));
});
afterAll(() => stack?.stop());

const TIMEZONE = 'America/New_York';

/** A flow started by `keyword`: one ask, then an end block whose text shows what was stored. */
function askFlow(id: string, keyword: string, question: string, variable: string, answer: Record<string, unknown>, endText: string, ask: Record<string, unknown> = {}) {
  return {
    id,
    name: `Answer check ${id}`,
    trigger: { keywords: [keyword] },
    startBlockId: 'ask',
    blocks: [
      { id: 'ask', type: 'ask', question, variable, answer, next: 'done', ...ask },
      { id: 'done', type: 'end', text: endText },
    ],
  };
}

const DRINKS = [
  { label: 'Red wine', value: 'red' },
  { label: 'White wine', value: 'white' },
  { label: 'Sparkling water', value: 'water', synonyms: ['fizzy'] },
];
const DRINK_PROMPT = 'What would you like to drink?\n1. Red wine\n2. White wine\n3. Sparkling water';

const FLOWS = [
  askFlow('phone', 'phonecheck', 'Your phone number?', 'phone', { type: 'phone' }, 'Got {{phone}}'),
  askFlow('amount', 'numbercheck', 'How much?', 'amount', { type: 'number', min: 1, max: 5000 }, 'Got {{amount}} ({{amount_display}})'),
  askFlow('when', 'whencheck', 'When shall we call?', 'when', { type: 'datetime', allowPast: false }, 'Got {{when}} | {{when_display}}'),
  {
    id: 'remind',
    name: 'Answer check remind',
    trigger: { keywords: ['yesnocheck'] },
    startBlockId: 'ask',
    blocks: [
      { id: 'ask', type: 'ask', question: 'Shall I send a reminder?', variable: 'remind', answer: { type: 'yes_no' }, next: 'branch' },
      { id: 'branch', type: 'condition', branches: [{ when: { variable: 'remind', op: 'equals', value: true }, next: 'on' }], else: 'off' },
      { id: 'on', type: 'end', text: 'Reminder on ({{remind}}, {{remind_display}})' },
      { id: 'off', type: 'end', text: 'No reminder ({{remind}}, {{remind_display}})' },
    ],
  },
  askFlow('order', 'regexcheck', 'Order number?', 'order', { type: 'regex', pattern: '[A-Z]{2}-[0-9]{4}', flags: 'i' }, 'Order {{order}}'),
  askFlow('strict_order', 'strictcheck', 'Exact order number?', 'strict_order', { type: 'regex', pattern: '[A-Z]{2}-[0-9]{4}' }, 'Strict {{strict_order}}'),
  askFlow('drink', 'choicecheck', 'What would you like to drink?', 'drink', { type: 'choice', options: DRINKS }, 'Drink {{drink}} ({{drink_display}})'),
  askFlow('nick', 'nickcheck', 'A nickname?', 'nick', { type: 'text', maxLength: 10 }, 'Hi {{nick}}'),
  askFlow('coupon', 'couponcheck', 'Your coupon code?', 'coupon', { type: 'text' }, 'Coupon {{coupon}}'),
  {
    id: 'contact',
    name: 'Answer check contact',
    trigger: { keywords: ['contactcheck'] },
    startBlockId: 'show',
    blocks: [{ id: 'show', type: 'message', text: 'Phone: {{contact.phone}}; name: {{contact.name}}; bot: {{bot.name}}' }],
  },
];

let botId: string;
beforeAll(async () => {
  botId = await publishedFlowBot(api, { flows: FLOWS }, { timezone: TIMEZONE });
});

/** A new conversation with the bot; `say` returns the reply texts, `sayRaw` the whole response. */
async function converse(start: Record<string, unknown> = {}) {
  const res = await api.post('/v1/conversations', { botId, externalUserId: `v-${Math.random()}`, ...start });
  expect(res.status).toBe(201);
  const id = res.body.conversation.id as string;
  const sayRaw = (text: string) => api.post(`/v1/conversations/${id}/messages`, { message: { type: 'text', text } });
  const say = async (text: string): Promise<string[]> => {
    const reply = await sayRaw(text);
    expect(reply.status).toBe(200);
    return reply.body.replies.map((r: { text: string }) => r.text);
  };
  return { id, say, sayRaw };
}

describe('phone answers', () => {
  it('re-prompts for something that is not a phone number, then stores digits with the leading +', async () => {
    const c = await converse();
    expect(await c.say('phonecheck')).toEqual(['Your phone number?']);
    expect(await c.say('12345')).toEqual(["That doesn't look like a phone number.", 'Your phone number?']);
    expect(await c.say('call me on 555')).toEqual(["That doesn't look like a phone number.", 'Your phone number?']);
    expect(await c.say('+44 20 7946 0958')).toEqual(['Got +442079460958']);
  });

  it('strips brackets, dashes and spaces from a national number', async () => {
    const c = await converse();
    await c.say('phonecheck');
    expect(await c.say('(020) 7946-0958')).toEqual(['Got 02079460958']);
  });
});

describe('number answers with min and max', () => {
  it('re-prompts for words and for a number out of range, then stores the number read with thousands separators', async () => {
    const c = await converse();
    expect(await c.say('numbercheck')).toEqual(['How much?']);
    expect(await c.say('lots')).toEqual(['Please enter a number, e.g. 12.5.', 'How much?']);
    expect(await c.say('9,999')).toEqual(['Please enter a number between 1 and 5000.', 'How much?']);
    expect(await c.say('1,234.5')).toEqual(['Got 1234.5 (1,234.5)']);
  });

  it('rejects below the minimum and accepts the maximum itself and a decimal comma', async () => {
    const low = await converse();
    await low.say('numbercheck');
    expect(await low.say('0.5')).toEqual(['Please enter a number between 1 and 5000.', 'How much?']);
    expect(await low.say('5000')).toEqual(['Got 5000 (5,000)']);
    const comma = await converse();
    await comma.say('numbercheck');
    expect(await comma.say('1.234,5')).toEqual(['Got 1234.5 (1,234.5)']);
  });
});

/** Tomorrow at 14:00 on the wall clock of TIMEZONE, as the interpreter should store and show it, computed with Intl alone. */
function tomorrowAt2pm(nowMs: number): { iso: string; display: string } {
  const parts = (ms: number, options: Intl.DateTimeFormatOptions) =>
    Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: TIMEZONE, ...options }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const today = parts(nowMs, { year: 'numeric', month: 'numeric', day: 'numeric' });
  // Noon UTC of tomorrow's calendar date, then 18:00 UTC of it: 13:00 or 14:00 in New York, the same
  // day and well past the 02:00 DST switch, so its offset is the offset at 14:00 local.
  const tomorrow = new Date(Date.UTC(Number(today.year), Number(today.month) - 1, Number(today.day) + 1, 18));
  const date = tomorrow.toISOString().slice(0, 10);
  const offset = parts(tomorrow.getTime(), { timeZoneName: 'longOffset' }).timeZoneName!.replace(/^GMT/, '');
  const named = parts(tomorrow.getTime(), { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
  return { iso: `${date}T14:00:00${offset}`, display: `${named.weekday} ${named.day} ${named.month} ${named.year} at 2:00 pm` };
}

describe('datetime answers in the bot timezone', () => {
  it('re-prompts for a past moment and for a day without a time, then stores "tomorrow at 2pm" as ISO with the New York offset', async () => {
    const c = await converse();
    expect(await c.say('whencheck')).toEqual(['When shall we call?']);
    expect(await c.say('yesterday at 9am')).toEqual(['Please choose a time that is not in the past.', 'When shall we call?']);
    expect(await c.say('tomorrow')).toEqual(['Please include a time as well, like "tomorrow at 2pm".', 'When shall we call?']);
    const before = tomorrowAt2pm(Date.now());
    const [reply] = await c.say('tomorrow at 2pm');
    const after = tomorrowAt2pm(Date.now());
    expect(before.iso).toMatch(/^\d{4}-\d{2}-\d{2}T14:00:00-0[45]:00$/);
    // Midnight in New York may fall between the two readings of the clock.
    expect([`Got ${before.iso} | ${before.display}`, `Got ${after.iso} | ${after.display}`]).toContain(reply);
  });
});

describe('yes/no answers', () => {
  it('offers Yes/No buttons, re-prompts for anything else, and stores true for "yes please"', async () => {
    const c = await converse();
    const prompt = await c.sayRaw('yesnocheck');
    expect(prompt.status).toBe(200);
    expect(prompt.body.replies).toEqual([
      expect.objectContaining({
        text: 'Shall I send a reminder?',
        choices: [
          { label: 'Yes', value: 'yes' },
          { label: 'No', value: 'no' },
        ],
      }),
    ]);
    expect(await c.say('perhaps')).toEqual(['Please answer yes or no.', 'Shall I send a reminder?']);
    // The condition compares the stored boolean; a boolean renders as yes/no.
    expect(await c.say('Yes please!')).toEqual(['Reminder on (yes, Yes)']);
  });

  it('stores false for "nope" and takes the other branch', async () => {
    const c = await converse();
    await c.say('yesnocheck');
    expect(await c.say('nope')).toEqual(['No reminder (no, No)']);
  });
});

describe('regex answers', () => {
  const REASON = "That doesn't look right. Please check the format and try again.";

  it('with the i flag matches case-insensitively, and only the whole answer', async () => {
    const c = await converse();
    expect(await c.say('regexcheck')).toEqual(['Order number?']);
    expect(await c.say('ab-12')).toEqual([REASON, 'Order number?']);
    expect(await c.say('order ab-1234')).toEqual([REASON, 'Order number?']);
    expect(await c.say('  ab-1234 ')).toEqual(['Order ab-1234']);
  });

  it('without the i flag is case-sensitive', async () => {
    const c = await converse();
    expect(await c.say('strictcheck')).toEqual(['Exact order number?']);
    expect(await c.say('ab-1234')).toEqual([REASON, 'Exact order number?']);
    expect(await c.say('AB-1234')).toEqual(['Strict AB-1234']);
  });
});

describe('an ask answered by choice', () => {
  it('lists the options, re-prompts for an ambiguous answer, and picks by label', async () => {
    const c = await converse();
    const prompt = await c.sayRaw('choicecheck');
    expect(prompt.body.replies).toEqual([expect.objectContaining({ text: DRINK_PROMPT, choices: DRINKS.map(({ label, value }) => ({ label, value })) })]);
    expect(await c.say('wine')).toEqual(['That matches more than one option. Please choose one of: Red wine, White wine or Sparkling water.', DRINK_PROMPT]);
    expect(await c.say('white WINE')).toEqual(['Drink white (White wine)']);
  });

  it('re-prompts for an unknown answer, then picks by value', async () => {
    const c = await converse();
    await c.say('choicecheck');
    expect(await c.say('coffee')).toEqual(['Please choose one of: Red wine, White wine or Sparkling water.', DRINK_PROMPT]);
    expect(await c.say('red')).toEqual(['Drink red (Red wine)']);
  });

  it('re-prompts for a number past the list, then picks by number', async () => {
    const c = await converse();
    await c.say('choicecheck');
    expect(await c.say('4')).toEqual(['Please choose one of: Red wine, White wine or Sparkling water.', DRINK_PROMPT]);
    expect(await c.say('3')).toEqual(['Drink water (Sparkling water)']);
  });

  it('picks by synonym', async () => {
    const c = await converse();
    await c.say('choicecheck');
    expect(await c.say('Fizzy')).toEqual(['Drink water (Sparkling water)']);
  });
});

describe('text answers with maxLength', () => {
  it('re-prompts for an answer one character too long, then stores a trimmed one', async () => {
    const c = await converse();
    expect(await c.say('nickcheck')).toEqual(['A nickname?']);
    expect(await c.say('Ada Lovelac')).toEqual(['Please keep it to 10 characters or fewer.', 'A nickname?']);
    expect(await c.say('  Ada Byron  ')).toEqual(['Hi Ada Byron']);
  });

  it('counts characters, not UTF-16 units: ten emoji fit in ten', async () => {
    const c = await converse();
    await c.say('nickcheck');
    expect(await c.say('👍'.repeat(11))).toEqual(['Please keep it to 10 characters or fewer.', 'A nickname?']);
    expect(await c.say('👍'.repeat(10))).toEqual([`Hi ${'👍'.repeat(10)}`]);
  });
});

describe('variables in templates', () => {
  it('renders a built-in with no value as [name]', async () => {
    const c = await converse();
    expect(await c.say('contactcheck')).toEqual(['Phone: [contact.phone]; name: [contact.name]; bot: Support bot']);
  });

  it('renders the contact given at the start', async () => {
    const c = await converse({ contact: { name: 'Ada', phone: '+1 212 555 0100' } });
    expect(await c.say('contactcheck')).toEqual(['Phone: +1 212 555 0100; name: Ada; bot: Support bot']);
  });

  it('skips an ask whose variable was passed at the start, and asks it otherwise', async () => {
    const given = await converse({ variables: { coupon: 'SAVE10' } });
    expect(await given.say('couponcheck')).toEqual(['Coupon SAVE10']);
    const fresh = await converse();
    expect(await fresh.say('couponcheck')).toEqual(['Your coupon code?']);
    expect(await fresh.say('WELCOME')).toEqual(['Coupon WELCOME']);
  });
});
