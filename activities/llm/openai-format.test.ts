import { echoedArguments, fromCompletion, madeToolCallId, toCompletionParams } from './openai-format';
import type { CompleteChatInput } from '../../models/ai.schema';

const noIds = (n: number) => ({ choices: [{ message: { content: null, tool_calls: Array.from({ length: n }, () => ({ type: 'function', function: { name: 't', arguments: '{}' } })) } }] });

describe('tool-call ids the server left out', () => {
  it('are 9 letters and digits, distinct, and the same for the same request', () => {
    const input = { conversationId: 'conv_a', messages: [{ role: 'user' as const, content: 'Hi' }] };
    const ids = fromCompletion(noIds(5), input)!.toolCalls.map((c) => c.id);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(new Set(ids).size).toBe(5);
    expect(fromCompletion(noIds(5), input)!.toolCalls.map((c) => c.id)).toEqual(ids);
    expect(fromCompletion(noIds(5), { ...input, conversationId: 'conv_b' })!.toolCalls.map((c) => c.id)).not.toEqual(ids);
  });

  it('never repeat an id already in the conversation', () => {
    const first = madeToolCallId('seed', new Set());
    const second = madeToolCallId('seed', new Set([first]));
    expect(second).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(second).not.toBe(first);
  });
});

describe('echoedArguments', () => {
  it.each([
    ['{"a":1}', '{"a":1}'],
    [' {} ', ' {} '],
    ['', '{}'],
    ['{"a":', '{}'],
    ['[1]', '{}'],
    ['null', '{}'],
    ['42', '{}'],
  ])('%j is sent back as %j', (raw, sent) => expect(echoedArguments(raw)).toBe(sent));
});

describe('toCompletionParams', () => {
  const base: CompleteChatInput = {
    accountId: 'a',
    botId: 'b',
    provider: { baseUrl: 'http://x/v1', model: 'm', allowPrivateNetwork: true, timeoutMs: 1000 },
    messages: [{ role: 'user', content: 'Hi' }],
    tools: [{ name: 't', description: 'd', parameters: { type: 'object', properties: {} } }],
    temperature: 0,
    maxOutputTokens: 100,
  };
  it('leaves tools out to forbid them, and sends tool_choice only beside tools', () => {
    expect(toCompletionParams({ ...base, toolChoice: 'none' })).not.toHaveProperty('tools');
    expect(toCompletionParams({ ...base, toolChoice: 'none' })).not.toHaveProperty('tool_choice');
    expect(toCompletionParams({ ...base, toolChoice: 'auto' })).toMatchObject({ tool_choice: 'auto', tools: [{ type: 'function' }] });
    expect(toCompletionParams({ ...base, tools: [], toolChoice: 'auto' })).not.toHaveProperty('tool_choice');
  });
});
