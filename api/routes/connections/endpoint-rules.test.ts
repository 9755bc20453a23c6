import { endpointIssues, type EndpointShape } from './endpoint-rules';

const endpoint = (bodyTemplate: unknown): EndpointShape => ({ path: '/orders', parameters: [], bodyTemplate, responseFields: [], validations: [] });

describe('endpointIssues: body template', () => {
  it('refuses a list directly inside a list (the embedded store cannot hold one)', () => {
    expect(endpointIssues(endpoint([[], 'a', []]))).toEqual([{ field: 'bodyTemplate', message: 'a list may not hold lists directly (wrap each inner list in an object)' }]);
    expect(endpointIssues(endpoint({ lines: [{ tags: [['x']] }] }))).toEqual([{ field: 'bodyTemplate.lines[0].tags', message: 'a list may not hold lists directly (wrap each inner list in an object)' }]);
  });

  it('accepts lists of values and of objects holding lists', () => {
    expect(endpointIssues(endpoint({ tags: ['a', 'b'], lines: [{ tags: ['x'] }] }))).toEqual([]);
  });
});
