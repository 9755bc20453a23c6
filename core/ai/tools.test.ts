import type { EndpointParameter } from '../../models/connection.schema';
import { actionToolShape, checkToolArguments, toolJsonSchema, type ToolEndpoint } from './tools';

const param = (name: string, extra: Partial<EndpointParameter> = {}): EndpointParameter => ({ name, type: 'string', required: true, in: 'query', description: `the ${name}`, source: 'llm', ...extra });

const endpoints = new Map<string, ToolEndpoint>([
  ['ep_avail', { sideEffects: false, parameters: [param('date', { type: 'date' }), param('party', { type: 'integer', required: false })] }],
  ['ep_book', { sideEffects: true, parameters: [param('date', { type: 'date' }), param('email', { source: 'contact', contactField: 'email' }), param('api_version', { source: 'constant', constant: '2' })] }],
  ['ep_order', { sideEffects: false, parameters: [param('order_id', { source: 'visitor' })] }],
  ['ep_token', { sideEffects: false, parameters: [param('session', { source: 'step' })] }],
]);

describe('actionToolShape', () => {
  it('offers only llm-sourced parameters, never contact or constant ones', () => {
    const shape = actionToolShape({ steps: [{ id: 'b', endpointId: 'ep_book', inputs: {} }] }, endpoints);
    expect(shape.parameters.map((p) => p.name)).toEqual(['date']);
    expect(shape.sideEffects).toBe(true);
    expect(shape.unfillable).toEqual([]);
  });

  it('merges the same input used by two steps and keeps optional ones optional', () => {
    const shape = actionToolShape({ steps: [{ id: 'a', endpointId: 'ep_avail', inputs: {} }, { id: 'b', endpointId: 'ep_book', inputs: {} }] }, endpoints);
    expect(shape.parameters).toEqual([
      { name: 'date', type: 'date', required: true, description: 'the date' },
      { name: 'party', type: 'integer', required: false, description: 'the party' },
    ]);
  });

  it('renames inputs mapped from the action input and skips ones mapped from a step or constant', () => {
    const shape = actionToolShape(
      { steps: [{ id: 'a', endpointId: 'ep_avail', inputs: { date: { from: 'input', name: 'day' }, party: { from: 'constant', value: 2 } } }, { id: 't', endpointId: 'ep_token', inputs: { session: { from: 'step', step: 'a', field: 'x' } } }] },
      endpoints,
    );
    expect(shape.parameters.map((p) => p.name)).toEqual(['day']);
  });

  it('reports required inputs the model may not fill', () => {
    expect(actionToolShape({ steps: [{ id: 'o', endpointId: 'ep_order', inputs: {} }] }, endpoints).unfillable).toEqual(['order_id']);
  });
});

describe('toolJsonSchema', () => {
  it('describes each type with the keywords every server takes, and forbids other properties', () => {
    const schema = toolJsonSchema([
      { name: 'd', type: 'date', required: true, description: 'day' },
      { name: 'e', type: 'email', required: false, description: '' },
      { name: 'k', type: 'enum', enum: ['a', 'b'], required: true, description: 'kind' },
      { name: 'n', type: 'integer', required: false, description: 'count' },
    ]);
    expect(schema).toEqual({
      type: 'object',
      properties: {
        d: { type: 'string', description: 'day (a date, YYYY-MM-DD)' },
        e: { type: 'string', description: 'e (an email address)' },
        k: { type: 'string', enum: ['a', 'b'], description: 'kind' },
        n: { type: 'integer', description: 'count' },
      },
      required: ['d', 'k'],
      additionalProperties: false,
    });
    // No `pattern` (it killed llama.cpp's server) and no `format` anywhere.
    expect(JSON.stringify(schema)).not.toMatch(/"pattern"|"format"/);
  });
});

describe('checkToolArguments', () => {
  const params = [
    { name: 'date', type: 'date' as const, required: true, description: '' },
    { name: 'party', type: 'integer' as const, required: false, description: '' },
    { name: 'email', type: 'email' as const, required: false, description: '' },
    { name: 'kind', type: 'enum' as const, enum: ['table', 'bar'], required: false, description: '' },
    { name: 'vip', type: 'boolean' as const, required: false, description: '' },
    { name: 'ref', type: 'string' as const, required: false, description: '' },
  ];
  it('accepts well-typed arguments', () => {
    expect(checkToolArguments(params, '{"date":"2026-12-24","party":"4","email":"a@b.co","kind":"bar","vip":true,"ref":1001}')).toEqual({
      ok: true,
      values: { date: '2026-12-24', party: 4, email: 'a@b.co', kind: 'bar', vip: true, ref: '1001' },
    });
  });
  it.each([
    ['{"date":"2026-12-2', /not valid JSON/],
    ['[1]', /JSON object/],
    ['null', /JSON object/],
    ['{}', /A value for "date" is required/],
    ['{"date":"2026-02-30"}', /"date" must be a date/],
    ['{"date":"2026-12-24","party":2.5}', /whole number/],
    ['{"date":"2026-12-24","email":"nope"}', /email address/],
    ['{"date":"2026-12-24","email":"\u212Aate@example.com"}', /email address/],
    ['{"date":"2026-12-24","kind":"roof"}', /one of: table, bar/],
    ['{"date":"2026-12-24","vip":"maybe"}', /true or false/],
    ['{"date":"2026-12-24","ref":{"$gt":""}}', /not a list or object/],
    ['{"date":"2026-12-24","ref":["a"]}', /not a list or object/],
    ['{"date":"2026-12-24","admin":true}', /unknown argument\(s\): admin/],
  ])('refuses %s', (raw, error) => {
    const result = checkToolArguments(params, raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(error);
  });
  it('reads a null argument as absent (strict schemas send every optional one as null)', () => {
    expect(checkToolArguments(params, '{"date":"2026-12-24","party":null,"email":null,"kind":null,"vip":null,"ref":null}')).toEqual({ ok: true, values: { date: '2026-12-24' } });
    const missing = checkToolArguments(params, '{"date":null}');
    expect(!missing.ok && missing.error).toMatch(/A value for "date" is required/);
  });
  it('treats empty text as no arguments', () => {
    expect(checkToolArguments([], '')).toEqual({ ok: true, values: {} });
  });
});
