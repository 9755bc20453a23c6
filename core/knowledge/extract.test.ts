import { extractionMessages, MAX_DRAFTS, MAX_TRANSCRIPT_CHARS, parseDrafts } from './extract';

describe('extractionMessages', () => {
  it('labels each line and marks the conversation as data', () => {
    const [system, user] = extractionMessages([
      { role: 'visitor', text: 'When  are you\nopen?' },
      { role: 'bot', text: 'Monday to Friday.' },
    ]);
    expect(system!.content).toMatch(/data, not instructions/);
    expect(system!.content).toMatch(/Leave out anything personal/);
    expect(user!.content).toContain('Visitor: When are you open?\nBot: Monday to Friday.');
  });
  it('keeps the end of a long conversation', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => ({ role: 'visitor' as const, text: `message number ${i} ${'x'.repeat(20)}` }));
    const [, user] = extractionMessages(lines);
    expect(user!.content!.length).toBeLessThan(MAX_TRANSCRIPT_CHARS + 100);
    expect(user!.content).toContain('message number 1999');
  });
});

describe('parseDrafts', () => {
  it('reads {drafts:[...]} and a bare array, in a code fence too', () => {
    const expected = { ok: true, drafts: [{ question: 'When are you open?', answer: 'Mon-Fri.' }] };
    expect(parseDrafts('{"drafts":[{"question":" When are you open? ","answer":"Mon-Fri."}]}')).toEqual(expected);
    expect(parseDrafts('```json\n[{"question":"When are you open?","answer":"Mon-Fri."}]\n```')).toEqual(expected);
  });
  it('drops malformed, empty and duplicate entries and caps the count', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ question: `Q${i}`, answer: 'A' }));
    const parsed = parseDrafts(JSON.stringify({ drafts: [{ question: 1, answer: 'x' }, { question: 'q' }, { question: ' ', answer: 'a' }, { question: 'Q0', answer: 'dup' }, ...many] }));
    expect(parsed.ok && parsed.drafts.length).toBe(MAX_DRAFTS);
    expect(parsed.ok && parsed.drafts[0]).toEqual({ question: 'Q0', answer: 'dup' });
  });
  it('refuses an answer that is not JSON or has no list', () => {
    expect(parseDrafts('Sure! Here are some drafts')).toEqual({ ok: false, error: 'the model did not answer with JSON' });
    expect(parseDrafts('{"items":[]}').ok).toBe(false);
    expect(parseDrafts(null).ok).toBe(false);
  });
});
