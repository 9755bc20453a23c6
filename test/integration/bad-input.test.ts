/**
 * Every bad input gets a 4xx (never a 500) whose body is exactly `{ message, code, details }`, and a
 * rejected request leaves nothing half written.
 */
import { eventually, http, publishedBot, signUp, startStack, type Http, type HttpResult, type Stack } from '../harness';

let stack: Stack;
let api: Http;
let accountId: string;
let key: string;
let botId: string;
let draftBotId: string;
let convId: string;
let otherConvId: string;
let otherConvMessageId: string;

/** Asserts the one error shape the API speaks, with this status (and code, when given). */
function expectProblem(res: HttpResult, status: number, code?: string): void {
  // The status and body are compared together so a failure shows what the API actually answered.
  const body = typeof res.body === 'object' && res.body !== null ? res.body : {};
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { message: expect.any(String), code: code ?? expect.any(String), details: body.details },
  });
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message']);
  expect(res.body.message.length).toBeGreaterThan(0);
}

/** A 400 validation failure whose details name a field at or under `path`. */
function expectInvalid(res: HttpResult, path: string): void {
  expectProblem(res, 400, 'validation_failed');
  expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}`)) })]));
}

const text = (t: unknown) => ({ message: { type: 'text', text: t } });

beforeAll(async () => {
  stack = await startStack();
  ({ api, accountId, key } = await signUp(stack.baseUrl));
  botId = await publishedBot(api);
  const draft = await api.post('/v1/bots', { name: 'Draft bot' });
  draftBotId = draft.body.bot.id;
  const a = await api.post('/v1/conversations', { botId, externalUserId: 'bad-input-a' });
  const b = await api.post('/v1/conversations', { botId, externalUserId: 'bad-input-b' });
  if (a.status !== 201 || b.status !== 201) throw new Error(`conversation start failed: ${JSON.stringify([a.body, b.body])}`);
  convId = a.body.conversation.id;
  otherConvId = b.body.conversation.id;
  otherConvMessageId = b.body.replies[0].id;
});
afterAll(() => stack?.stop());

describe('unknown and unusable resources', () => {
  it('answers 404 bot_not_found for a bot that does not exist', async () => {
    const res = await api.post('/v1/conversations', { botId: 'bot_000000000doesnotexist', externalUserId: 'v' });
    expectProblem(res, 404, 'bot_not_found');
    expect(res.body.details).toEqual({ botId: 'bot_000000000doesnotexist' });
    expectProblem(await api.get('/v1/bots/bot_000000000doesnotexist'), 404, 'bot_not_found');
    expectProblem(await api.patch('/v1/bots/bot_000000000doesnotexist', { name: 'x' }), 404, 'bot_not_found');
    expectProblem(await api.delete('/v1/bots/bot_000000000doesnotexist'), 404, 'bot_not_found');
    expectProblem(await api.post('/v1/bots/bot_000000000doesnotexist/publish'), 404, 'bot_not_found');
    expectProblem(await api.get('/v1/bots/bot_000000000doesnotexist/versions'), 404, 'bot_not_found');
    // An encoded operator as an id is just an id that matches nothing.
    expectProblem(await api.get('/v1/bots/%24ne'), 404, 'bot_not_found');
    expectProblem(await api.post('/v1/conversations', { botId: '$ne', externalUserId: 'v' }), 404, 'bot_not_found');
  });

  it('answers 409 bot_not_published for a bot that was never published', async () => {
    const res = await api.post('/v1/conversations', { botId: draftBotId, externalUserId: 'v' });
    expectProblem(res, 409, 'bot_not_published');
    expect(res.body.details).toEqual({ botId: draftBotId });
  });

  it('treats a deleted bot as unknown everywhere', async () => {
    const doomed = await publishedBot(api, { name: 'Doomed' });
    expect((await api.delete(`/v1/bots/${doomed}`)).status).toBe(204);
    expectProblem(await api.post('/v1/conversations', { botId: doomed, externalUserId: 'v' }), 404, 'bot_not_found');
    expectProblem(await api.get(`/v1/bots/${doomed}`), 404, 'bot_not_found');
    expectProblem(await api.patch(`/v1/bots/${doomed}`, { name: 'back' }), 404, 'bot_not_found');
    expectProblem(await api.post(`/v1/bots/${doomed}/publish`), 404, 'bot_not_found');
    expectProblem(await api.get(`/v1/bots/${doomed}/versions`), 404, 'bot_not_found');
    expectProblem(await api.delete(`/v1/bots/${doomed}`), 404, 'bot_not_found');
    // Its versions went with it.
    expect(await stack.deps.BotVersion.countDocuments({ botId: doomed })).toBe(0);
  });

  it('answers 404 conversation_not_found for a well-formed id that does not exist', async () => {
    const id = 'conv_000000000ffffffffffffffff';
    expectProblem(await api.get(`/v1/conversations/${id}`), 404, 'conversation_not_found');
    expectProblem(await api.get(`/v1/conversations/${id}/messages`), 404, 'conversation_not_found');
    expectProblem(await api.post(`/v1/conversations/${id}/messages`, text('hello')), 404, 'conversation_not_found');
    expectProblem(await api.post(`/v1/conversations/${id}/close`), 404, 'conversation_not_found');
  });

  it.each([
    ['not an id', 'not-a-conversation'],
    ['another resource prefix', 'bot_000000000abc'],
    ['upper case', 'conv_ABCDEF'],
    ['too long', `conv_${'a'.repeat(41)}`],
    ['an encoded operator', '%24gt'],
  ])('answers 404 for a malformed conversation id (%s), as for an unknown one', async (_what, id) => {
    expectProblem(await api.get(`/v1/conversations/${id}`), 404, 'conversation_not_found');
    expectProblem(await api.get(`/v1/conversations/${id}/messages`), 404, 'conversation_not_found');
    expectProblem(await api.post(`/v1/conversations/${id}/messages`, text('hello')), 404, 'conversation_not_found');
    expectProblem(await api.post(`/v1/conversations/${id}/close`), 404, 'conversation_not_found');
  });

  it.each([
    ['GET', '/v1/bots/not-a-bot', 'bot_not_found'],
    ['GET', '/v1/bots/bot_UPPER/ai', 'bot_not_found'],
    ['GET', `/v1/connections/conn_${'a'.repeat(41)}`, 'connection_not_found'],
    ['GET', '/v1/connections/conn_1/endpoints/nope', 'endpoint_not_found'],
    ['GET', '/v1/actions/not%20a%20slug', 'action_not_found'],
    ['GET', '/v1/knowledge/kd_000000000abc', 'knowledge_item_not_found'],
    ['POST', '/v1/knowledge/drafts/kb_000000000abc/discard', 'knowledge_draft_not_found'],
    ['GET', '/v1/websites/0', 'website_not_found'],
    ['POST', '/v1/websites/site-1/rotate-token', 'website_not_found'],
    ['DELETE', '/v1/api-keys/pk_1', 'api_key_not_found'],
    ['GET', '/v1/conversations/%24gt/events', 'conversation_not_found'],
  ])('answers 404 for a malformed id in the path: %s %s', async (method, path, code) => {
    const res = method === 'GET' ? await api.get(path) : method === 'POST' ? await api.post(path) : await api.delete(path);
    expectProblem(res, 404, code);
  });

  it('answers 400 (not 500) for an id with broken percent-encoding', async () => {
    expectProblem(await api.get('/v1/conversations/conv_%E0%A4%A'), 400, 'invalid_path');
    expectProblem(await api.post('/v1/conversations/%ZZ/messages', text('hello')), 400, 'invalid_path');
    expectProblem(await api.get('/v1/bots/%E0%A4%A'), 400, 'invalid_path');
    expectProblem(await api.delete('/v1/api-keys/%'), 400, 'invalid_path');
  });

  it('answers 404 for a bot id over 64 characters in the path, and 400 in a body', async () => {
    expectProblem(await api.get(`/v1/bots/bot_${'a'.repeat(61)}`), 404, 'bot_not_found');
    expectInvalid(await api.post('/v1/conversations', { botId: `bot_${'a'.repeat(61)}`, externalUserId: 'v' }), 'body.botId');
  });

  it('refuses messages to, and a second close of, a closed conversation with 409 conversation_closed', async () => {
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'to-close' });
    const id = start.body.conversation.id;
    expect((await api.post(`/v1/conversations/${id}/close`)).status).toBe(202);
    await eventually(async () => (await api.get(`/v1/conversations/${id}`)).body.conversation.status === 'closed', 20_000, 'closed');
    const before = (await api.get(`/v1/conversations/${id}`)).body.conversation.messageCount;
    expectProblem(await api.post(`/v1/conversations/${id}/messages`, text('anyone there?')), 409, 'conversation_closed');
    expectProblem(await api.post(`/v1/conversations/${id}/messages`, { ...text('retry'), clientMessageId: 'never-sent' }), 409, 'conversation_closed');
    expectProblem(await api.post(`/v1/conversations/${id}/close`), 409, 'conversation_closed');
    expect((await api.get(`/v1/conversations/${id}`)).body.conversation.messageCount).toBe(before);
  });
});

describe('message bodies', () => {
  const badMessages: Array<[string, unknown, string]> = [
    ['empty text', text(''), 'body.message.text'],
    ['whitespace-only text', text(' \n\t '), 'body.message.text'],
    ['text over 4000 characters', text('x'.repeat(4001)), 'body.message.text'],
    ['a number for text', text(42), 'body.message.text'],
    ['null text', text(null), 'body.message.text'],
    ['missing text', { message: { type: 'text' } }, 'body.message.text'],
    ['missing message', {}, 'body.message'],
    ['null message', { message: null }, 'body.message'],
    ['a string for message', { message: 'hello' }, 'body.message'],
    ['an array for message', { message: [{ type: 'text', text: 'hi' }] }, 'body.message'],
    ['message.type image', { message: { type: 'image', text: 'hi' } }, 'body.message.type'],
    ['missing message.type', { message: { text: 'hi' } }, 'body.message.type'],
    ['an unknown nested field', { message: { type: 'text', text: 'hi', extra: 1 } }, 'body.message'],
    ['an unknown top-level field', { ...text('hi'), priority: 'high' }, 'body'],
    ['a bad clientMessageId', { ...text('hi'), clientMessageId: 'has spaces' }, 'body.clientMessageId'],
    ['a clientMessageId object', { ...text('hi'), clientMessageId: { $gt: '' } }, 'body.clientMessageId'],
    ['an operator for text', text({ $ne: null }), 'body.message.text'],
  ];

  it.each(badMessages)('POST /messages rejects %s with 400 and writes nothing', async (_what, body, path) => {
    const before = await stack.deps.Message.countDocuments({ conversationId: convId });
    expectInvalid(await api.post(`/v1/conversations/${convId}/messages`, body), path);
    expect(await stack.deps.Message.countDocuments({ conversationId: convId })).toBe(before);
  });

  it.each(badMessages.filter(([what]) => what !== 'missing message' && what !== 'an unknown top-level field'))(
    'POST /conversations rejects a first message with %s',
    async (_what, body, path) => {
      expectInvalid(await api.post('/v1/conversations', { botId, externalUserId: 'v', ...(body as object) }), path);
    },
  );

  it('accepts text of exactly 4000 characters (the limit is not off by one)', async () => {
    const res = await api.post(`/v1/conversations/${convId}/messages`, text('y'.repeat(4000)));
    expect(res.status).toBe(200);
    expect(res.body.replies).toHaveLength(1);
  });

  it('still answers on the conversation after all the rejected messages', async () => {
    const res = await api.post(`/v1/conversations/${convId}/messages`, text('a real question'));
    expect(res.status).toBe(200);
    const transcript = await api.get(`/v1/conversations/${convId}/messages?limit=200`);
    const visitorTexts = transcript.body.data.filter((m: { role: string }) => m.role === 'visitor').map((m: { text: string }) => m.text);
    expect(visitorTexts).toEqual(['y'.repeat(4000), 'a real question']);
  });
});

describe('unreadable bodies', () => {
  it.each([
    ['truncated JSON', '{"botId": "x", "externalUserId":'],
    ['single quotes', "{'botId': 'x'}"],
    ['a trailing comma', '{"botId": "x",}'],
    ['a bare string (strict JSON)', '"hello"'],
    ['a bare number (strict JSON)', '42'],
    ['not JSON at all', 'botId=x&externalUserId=y'],
  ])('answers 400 invalid_json for %s', async (_what, raw) => {
    const res = await api.raw('POST', '/v1/conversations', raw);
    expectProblem(res, 400, 'invalid_json');
    expect(res.body.details).toBeNull();
  });

  it('answers 400 invalid_json on every route that reads a body', async () => {
    expectProblem(await api.raw('POST', '/v1/bots', '{'), 400, 'invalid_json');
    expectProblem(await api.raw('PATCH', `/v1/bots/${botId}`, '{'), 400, 'invalid_json');
    expectProblem(await api.raw('POST', `/v1/conversations/${convId}/messages`, '{"message": {'), 400, 'invalid_json');
    expectProblem(await api.raw('POST', '/v1/api-keys', '{'), 400, 'invalid_json');
    expectProblem(await http(stack.baseUrl).raw('POST', '/v1/accounts', '{"email":'), 400, 'invalid_json');
  });

  it('answers 400 for a JSON array or an empty object where an object with fields is expected', async () => {
    expectInvalid(await api.raw('POST', '/v1/conversations', '[]'), 'body');
    expectInvalid(await api.raw('POST', '/v1/conversations', '{}'), 'body.botId');
    expectInvalid(await api.raw('POST', '/v1/bots', '[{"name":"x"}]'), 'body');
    expectInvalid(await api.raw('POST', '/v1/bots', ''), 'body.name');
  });

  it('answers 400 for a deeply nested body', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const res = await api.raw('POST', '/v1/conversations', `{"botId":"${botId}","externalUserId":"v","variables":{"a":${deep}}}`);
    expectInvalid(res, 'body.variables.a');
    expectInvalid(await api.raw('POST', '/v1/bots', `{"name":${deep}}`), 'body.name');
  });

  it('answers 413 payload_too_large for a body over 64 KB', async () => {
    const big = JSON.stringify({ botId, externalUserId: 'big', variables: { blob: 'z'.repeat(70 * 1024) } });
    const res = await api.raw('POST', '/v1/conversations', big);
    expectProblem(res, 413, 'payload_too_large');
    expectProblem(await api.raw('POST', `/v1/conversations/${convId}/messages`, JSON.stringify(text('w'.repeat(66 * 1024)))), 413, 'payload_too_large');
  });

  it('answers 415 (not 400, never ignored) for a body sent without a JSON content type', async () => {
    const res = await fetch(`${stack.baseUrl}/v1/bots`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'Plain' }),
    });
    expectProblem({ status: res.status, body: await res.json(), headers: res.headers }, 415, 'unsupported_media_type');
  });

  it('answers 415 (not 500) for an unsupported charset or content encoding', async () => {
    const variants: Array<Record<string, string>> = [
      { 'content-type': 'application/json; charset=ebcdic' },
      { 'content-type': 'application/json', 'content-encoding': 'br-nope' },
    ];
    for (const headers of variants) {
      const res = await fetch(`${stack.baseUrl}/v1/bots`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, ...headers },
        body: JSON.stringify({ name: 'Odd' }),
      });
      expectProblem({ status: res.status, body: await res.json(), headers: res.headers }, 415);
    }
  });
});

describe('field validation', () => {
  it.each([
    ['a string for inactivityTimeoutSeconds', { name: 'x', inactivityTimeoutSeconds: '60' }, 'body.inactivityTimeoutSeconds'],
    ['a fraction for inactivityTimeoutSeconds', { name: 'x', inactivityTimeoutSeconds: 1.5 }, 'body.inactivityTimeoutSeconds'],
    ['zero inactivityTimeoutSeconds', { name: 'x', inactivityTimeoutSeconds: 0 }, 'body.inactivityTimeoutSeconds'],
    ['over a week of inactivityTimeoutSeconds', { name: 'x', inactivityTimeoutSeconds: 7 * 24 * 3600 + 1 }, 'body.inactivityTimeoutSeconds'],
    ['a number for name', { name: 123 }, 'body.name'],
    ['a blank name', { name: '   ' }, 'body.name'],
    ['a missing name', { greeting: 'hi' }, 'body.name'],
    ['an unknown time zone', { name: 'x', timezone: 'Mars/Olympus_Mons' }, 'body.timezone'],
    ['an empty time zone', { name: 'x', timezone: '' }, 'body.timezone'],
    ['a number for time zone', { name: 'x', timezone: 2 }, 'body.timezone'],
    ['an unknown field', { name: 'x', color: 'blue' }, 'body'],
    ['a client-chosen accountId', { name: 'x', accountId: 'acct_someone_else' }, 'body'],
    ['a client-chosen _id', { name: 'x', _id: 'bot_mine' }, 'body'],
    ['a client-chosen publishedVersion', { name: 'x', publishedVersion: 7 }, 'body'],
    ['an operator for name', { name: { $gt: '' } }, 'body.name'],
  ])('POST /v1/bots rejects %s', async (_what, body, path) => {
    expectInvalid(await api.post('/v1/bots', body), path);
  });

  it.each([
    ['an empty body', {}, 'body'],
    ['a string for inactivityTimeoutSeconds', { inactivityTimeoutSeconds: '60' }, 'body.inactivityTimeoutSeconds'],
    ['an unknown time zone', { timezone: 'Not/AZone' }, 'body.timezone'],
    ['an unknown field', { name: 'y', extra: true }, 'body'],
    ['accountId', { accountId: 'acct_other' }, 'body'],
    ['publishedVersion', { publishedVersion: 99 }, 'body'],
    ['an update operator', { $set: { accountId: 'acct_other' } }, 'body'],
    ['an operator for name', { name: { $set: 'x' } }, 'body.name'],
  ])('PATCH /v1/bots/:id rejects %s and changes nothing', async (_what, body, path) => {
    const before = (await api.get(`/v1/bots/${botId}`)).body.bot;
    expectInvalid(await api.patch(`/v1/bots/${botId}`, body), path);
    expect((await api.get(`/v1/bots/${botId}`)).body.bot).toEqual(before);
  });

  it.each([
    ['a number for externalUserId', { externalUserId: 7 }, 'body.externalUserId'],
    ['a blank externalUserId', { externalUserId: '  ' }, 'body.externalUserId'],
    ['a missing externalUserId', {}, 'body.externalUserId'],
    ['an unknown top-level field', { externalUserId: 'v', botVersion: 1 }, 'body'],
    ['an unknown contact field', { externalUserId: 'v', contact: { name: 'Ada', role: 'admin' } }, 'body.contact'],
    ['a bad contact email', { externalUserId: 'v', contact: { email: 'not-an-email' } }, 'body.contact.email'],
    ['a bad contact phone', { externalUserId: 'v', contact: { phone: 'call me' } }, 'body.contact.phone'],
    ['an operator as a variable name', { externalUserId: 'v', variables: { $where: 'sleep(1000)' } }, 'body.variables'],
    ['an object as a variable value', { externalUserId: 'v', variables: { plan: { $gt: '' } } }, 'body.variables.plan'],
    ['a string for variables', { externalUserId: 'v', variables: 'a=1' }, 'body.variables'],
    ['too many variables', { externalUserId: 'v', variables: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`v${i}`, i])) }, 'body.variables'],
  ])('POST /v1/conversations rejects %s', async (_what, body, path) => {
    expectInvalid(await api.post('/v1/conversations', { botId, ...body }), path);
  });

  it('rejects a Mongo operator in place of botId instead of matching any bot', async () => {
    for (const op of [{ $gt: '' }, { $ne: null }, { $regex: '.*' }, ['bot_a', 'bot_b']]) {
      expectInvalid(await api.post('/v1/conversations', { botId: op, externalUserId: 'v' }), 'body.botId');
    }
    expectInvalid(await api.raw('POST', '/v1/conversations', '{"botId": {"$gt": ""}, "externalUserId": "v"}'), 'body.botId');
  });

  it('rejects operators in sign-up and API key bodies', async () => {
    const anon = http(stack.baseUrl);
    expectInvalid(await anon.post('/v1/accounts', { name: 'x', email: { $ne: null }, password: 'long enough password' }), 'body.email');
    expectInvalid(await anon.post('/v1/accounts', { name: 'x', email: 'ok@example.com', password: 'long enough password', accountId: 'acct_x' }), 'body');
    expectInvalid(await api.post('/v1/api-keys', { name: { $gt: '' } }), 'body.name');
    expectInvalid(await api.post('/v1/api-keys', { name: 'k', accountId: 'acct_other' }), 'body');
  });
});

describe('query strings', () => {
  it.each([
    ['status[$ne]=closed'],
    ['botId[$gt]='],
    ['after[$gt]='],
    ['limit[$gt]=1'],
    ['status[]=active'],
    ['__proto__[admin]=1'],
    ['constructor=x'],
    ['accountId=acct_other'],
    ['status=bogus'],
    ['status=active&status=closed'],
    ['botId=a&botId=b'],
    ['after=not-a-cursor'],
  ])('GET /v1/conversations?%s is a 400', async (query) => {
    expectProblem(await api.get(`/v1/conversations?${query}`), 400, 'validation_failed');
  });

  it.each([['after[$gt]='], ['limit[$lt]=5'], ['accountId=acct_other'], ['sort=-_id']])('GET /v1/bots?%s is a 400', async (query) => {
    expectProblem(await api.get(`/v1/bots?${query}`), 400, 'validation_failed');
  });

  it.each([['after[$gt]='], ['after=msg_xyz'], ['seq[$gt]=0']])('GET /v1/conversations/:id/messages?%s is a 400', async (query) => {
    expectProblem(await api.get(`/v1/conversations/${convId}/messages?${query}`), 400, 'validation_failed');
  });

  it.each([['limit=0'], ['limit=1000'], ['limit=201'], ['limit=abc'], ['limit=-1'], ['limit=1.5'], ['limit=1e9'], ['limit=1&limit=2']])(
    '%s is a 400 on every list route',
    async (query) => {
      expectInvalid(await api.get(`/v1/conversations?${query}`), 'query.limit');
      expectInvalid(await api.get(`/v1/bots?${query}`), 'query.limit');
      expectInvalid(await api.get(`/v1/conversations/${convId}/messages?${query}`), 'query.limit');
    },
  );

  it('accepts the largest page size', async () => {
    expect((await api.get('/v1/conversations?limit=200')).status).toBe(200);
    expect((await api.get('/v1/bots?limit=200')).status).toBe(200);
  });

  it('answers 400 invalid_cursor for a message id of another conversation, or of none', async () => {
    const res = await api.get(`/v1/conversations/${convId}/messages?after=${otherConvMessageId}`);
    expectProblem(res, 400, 'invalid_cursor');
    expect(res.body.details).toEqual({ after: otherConvMessageId });
    // The cursor is valid where it belongs.
    expect((await api.get(`/v1/conversations/${otherConvId}/messages?after=${otherConvMessageId}`)).status).toBe(200);
    expectProblem(await api.get(`/v1/conversations/${convId}/messages?after=msg_${'0'.repeat(32)}`), 400, 'invalid_cursor');
  });
});

describe('routes and authentication', () => {
  it('answers 404 route_not_found for an unknown route', async () => {
    const unknown = await api.get('/v1/nothing-here');
    expectProblem(unknown, 404, 'route_not_found');
    expect(unknown.body.details).toBeNull();
    expectProblem(await http(stack.baseUrl).get('/not-an-api'), 404, 'route_not_found');
    expectProblem(await api.get('/v2/bots'), 404, 'route_not_found');
  });

  it('answers 405 method_not_allowed with Allow for a method a route lacks, before asking for a key', async () => {
    const put = await api.raw('PUT', `/v1/bots/${botId}`, '{"name":"x"}');
    expectProblem(put, 405, 'method_not_allowed');
    expect(put.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
    expect(put.body.details).toEqual({ allow: ['GET', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'] });
    const del = await http(stack.baseUrl).delete(`/v1/conversations/${convId}`);
    expectProblem(del, 405, 'method_not_allowed');
    expect(del.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('asks for a key (401) before revealing whether a /v1 route exists', async () => {
    const anon = http(stack.baseUrl);
    expectProblem(await anon.get('/v1/nothing-here'), 401, 'unauthorized');
    expectProblem(await anon.get(`/v1/bots/${botId}`), 401, 'unauthorized');
  });

  it('the account used here is unaffected by everything above', async () => {
    const account = await api.get('/v1/account');
    expect(account.status).toBe(200);
    expect(account.body.account.id).toBe(accountId);
  });
});

describe('nothing half written', () => {
  it('a rejected conversation start leaves no conversation behind', async () => {
    const listed = async () => (await api.get('/v1/conversations?limit=200')).body.data.map((c: { id: string }) => c.id);
    const before = await listed();
    const stored = await stack.deps.Conversation.countDocuments({});
    const doomed = await publishedBot(api, { name: 'Deleted before start' });
    await api.delete(`/v1/bots/${doomed}`);

    expectProblem(await api.post('/v1/conversations', { botId: draftBotId, externalUserId: 'hw-1' }), 409, 'bot_not_published');
    expectProblem(await api.post('/v1/conversations', { botId: draftBotId, externalUserId: 'hw-1', message: { type: 'text', text: 'hi' } }), 409, 'bot_not_published');
    expectProblem(await api.post('/v1/conversations', { botId: 'bot_000000000nope', externalUserId: 'hw-2' }), 404, 'bot_not_found');
    expectProblem(await api.post('/v1/conversations', { botId: doomed, externalUserId: 'hw-3' }), 404, 'bot_not_found');
    expectProblem(await api.post('/v1/conversations', { botId, externalUserId: 'hw-4', message: { type: 'text', text: '' } }), 400);
    expectProblem(await api.raw('POST', '/v1/conversations', `{"botId":"${botId}","externalUserId":"hw-5"`), 400, 'invalid_json');

    expect(await listed()).toEqual(before);
    expect(await stack.deps.Conversation.countDocuments({})).toBe(stored);
    expect(await stack.deps.Conversation.countDocuments({ externalUserId: /^hw-/ })).toBe(0);
  });

  it('a rejected bot create or publish creates nothing', async () => {
    const listed = async () => (await api.get('/v1/bots?limit=200')).body.data.map((b: { id: string }) => b.id);
    const before = await listed();
    const stored = await stack.deps.Bot.countDocuments({});
    const versions = await stack.deps.BotVersion.countDocuments({});

    expectProblem(await api.post('/v1/bots', { name: 'Half', timezone: 'Nowhere/Land' }), 400);
    expectProblem(await api.post('/v1/bots', { name: 'Half', inactivityTimeoutSeconds: '60' }), 400);
    expectProblem(await api.post('/v1/bots', { name: 'Half', accountId: 'acct_other' }), 400);
    expectProblem(await api.raw('POST', '/v1/bots', '{"name": "Half"'), 400);
    expectProblem(await api.post('/v1/bots/bot_000000000nope/publish'), 404, 'bot_not_found');

    expect(await listed()).toEqual(before);
    expect(await stack.deps.Bot.countDocuments({})).toBe(stored);
    expect(await stack.deps.Bot.countDocuments({ name: 'Half' })).toBe(0);
    expect(await stack.deps.BotVersion.countDocuments({})).toBe(versions);
  });

  it('a rejected sign-up creates no account and no orphan API key', async () => {
    const accounts = await stack.deps.Account.countDocuments({});
    const keys = await stack.deps.ApiKey.countDocuments({});
    const anon = http(stack.baseUrl);
    expectInvalid(await anon.post('/v1/accounts', { name: 'x', email: 'short@example.com', password: 'short' }), 'body.password');
    expectInvalid(await anon.post('/v1/accounts', { name: 'x', email: 'not-an-email', password: 'long enough password' }), 'body.email');
    expectInvalid(await anon.post('/v1/accounts', { email: 'noname@example.com', password: 'long enough password' }), 'body.name');
    expect(await stack.deps.Account.countDocuments({})).toBe(accounts);
    expect(await stack.deps.ApiKey.countDocuments({})).toBe(keys);
  });
});
