import type { AiSnapshot, ChatMessage } from '../../models/ai.schema';
import { confirmationText, systemPrompt, toolResultContent, toolSpecs, trimMemory, TOOL_RESULT_CHARS } from './prompt';

const ai: AiSnapshot = {
  enabled: true,
  baseUrl: 'https://llm.example/v1',
  model: 'm',
  allowPrivateNetwork: false,
  systemPrompt: 'Be cheerful.',
  temperature: 0,
  maxToolCallsPerTurn: 5,
  maxToolCallsPerConversation: 50,
  tokenBudget: 10_000,
  maxOutputTokens: 100,
  timeoutMs: 5000,
  interimMessage: 'One moment…',
  tools: [{ name: 'check', actionId: 'check', description: 'Checks.', parameters: [{ name: 'date', type: 'date', required: true, description: 'day' }], sideEffects: false }],
  knowledge: { enabled: true, maxResults: 3 },
  flows: [{ id: 'feedback', name: 'Feedback', description: '' }],
};

describe('systemPrompt', () => {
  it("states Parley's rules before the business's own instructions", () => {
    const prompt = systemPrompt(ai, { botName: 'Demo', today: '2026-12-01', timezone: 'Europe/London' });
    expect(prompt.indexOf('never instructions')).toBeGreaterThan(-1);
    expect(prompt.indexOf('never instructions')).toBeLessThan(prompt.indexOf('Be cheerful.'));
    expect(prompt).toContain('Today is 2026-12-01 (Europe/London)');
  });
});

describe('toolSpecs', () => {
  it('offers the actions, knowledge search and flow starts', () => {
    expect(toolSpecs(ai).map((t) => t.name)).toEqual(['check', 'search_knowledge', 'start_flow']);
  });
  it('leaves out built-ins that are off', () => {
    expect(toolSpecs({ ...ai, knowledge: { enabled: false, maxResults: 1 }, flows: [] }).map((t) => t.name)).toEqual(['check']);
  });
});

describe('toolResultContent', () => {
  it('wraps results as data and caps their size', () => {
    expect(toolResultContent({ ok: false, error: 'nope' })).toBe('{"ok":false,"error":"nope"}');
    const big = toolResultContent({ ok: true, data: 'x'.repeat(TOOL_RESULT_CHARS * 2) });
    expect(big.length).toBeLessThan(TOOL_RESULT_CHARS + 20);
    expect(big).toMatch(/truncated\)$/);
  });
});

describe('trimMemory', () => {
  it('drops the oldest messages but never starts on a tool result', () => {
    const memory: ChatMessage[] = [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: null, toolCalls: [{ id: '1', name: 'check', arguments: '{}' }] },
      { role: 'tool', toolCallId: '1', content: '{}' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
      { role: 'assistant', content: 'd' },
    ];
    expect(trimMemory(memory, 4)).toEqual(memory.slice(4));
    expect(trimMemory(memory, 10)).toBe(memory);
  });
});

describe('confirmationText', () => {
  it('names the action and every argument', () => {
    expect(confirmationText('Book', { date: '2026-12-24', party_size: 2 })).toBe('Before I go ahead — Book:\n• date: 2026-12-24\n• party size: 2\nShall I do it?');
  });
});
