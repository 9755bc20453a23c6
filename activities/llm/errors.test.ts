/**
 * Which provider errors completeChat retries (errors.ts): built the way the `openai` SDK builds them
 * (APIError.generate with the parsed body, the whole body kept as the client in complete-chat.ts keeps
 * it), for the answers docs/model-servers.md records of each server.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { APIError } from 'openai';
import { keepErrorBody, requestCaused, toLlmFailure } from './errors';

const KEY = 'sk-unit-0123456789abcdef';

/** An SDK error for a JSON (object) or text body, as the client raises it. */
function apiError(status: number, body: unknown, headers: Record<string, string> = {}): APIError {
  const json = typeof body === 'string' ? undefined : body;
  const message = typeof body === 'string' ? body : undefined;
  return keepErrorBody(APIError.generate(status, json as object, message, new Headers(headers)), json);
}

function fail(status: number, body: unknown, attempt = 1): ApplicationFailure {
  const failure = toLlmFailure(apiError(status, body), { key: KEY, cancelled: false, attempt });
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

const verdict = (failure: ApplicationFailure) => ({ type: failure.type, retried: !failure.nonRetryable });

describe('request-caused provider errors are not retried', () => {
  it.each([
    [400, { error: { message: "Invalid 'messages[1].content'", type: 'invalid_request_error' } }],
    [401, { error: { message: 'Incorrect API key provided' } }],
    [404, { error: { message: 'model "llama9" not found', type: 'not_found_error' } }],
    [413, { error: { message: 'Request too large' } }],
    [422, { object: 'error', message: { detail: [{ loc: ['body', 'seed'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }] }, type: 'invalid_request_error' }],
  ])('HTTP %i', (status, body) => {
    expect(verdict(fail(status, body))).toEqual({ type: 'LlmRejected', retried: false });
  });

  it.each([
    ['llama-cpp-python, content null', { error: { message: "1 validation error for ChatCompletionRequestAssistantMessage content Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]", type: 'internal_server_error' } }],
    ['llama-server, messages', { error: { code: 500, message: 'Failed to parse messages: Missing content part type: foo', type: 'server_error' } }],
    ['llama-server, no --jinja', { error: { code: 500, message: 'tools param requires --jinja flag', type: 'server_error' } }],
    ['a chat template', { error: { message: "jinja2.exceptions.UndefinedError: 'dict object' has no attribute 'content'" } }],
    ['a grammar', { error: { message: 'Failed to initialize samplers: failed to parse grammar' } }],
    ['the context length', { error: { message: 'Requested tokens (5000) exceed context window of 2048' } }],
    ['an invalid_request_error type', { error: { message: 'Bad field', type: 'invalid_request_error' } }],
    ['a FastAPI detail', { detail: [{ loc: ['body', 'messages', 2, 'content'], msg: 'Field required', input: 'the visitor said this' }] }],
  ])('a 5xx blaming the request (%s), on the first attempt', (_name, body) => {
    const failure = fail(500, body);
    expect(verdict(failure)).toEqual({ type: 'LlmRejected', retried: false });
    expect(failure.message).toMatch(/HTTP 500.*request is the cause/);
  });

  it("retries a plain 500 once: the second (a server like llama-cpp-python repeats its 500 word for word) is not", () => {
    const body = { error: { message: "'NoneType' object is not subscriptable", type: 'internal_server_error' } };
    expect(verdict(fail(500, body, 1))).toEqual({ type: 'LlmUnavailable', retried: true });
    const second = fail(500, body, 2);
    expect(verdict(second)).toEqual({ type: 'LlmRejected', retried: false });
    expect(second.message).toContain("'NoneType' object is not subscriptable");
    expect(verdict(fail(500, 'upstream crashed', 3))).toEqual({ type: 'LlmRejected', retried: false });
  });

  it('stops at quota exhaustion, and after a second tool_use_failed', () => {
    const quota = fail(429, { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } });
    expect(verdict(quota)).toEqual({ type: 'LlmRejected', retried: false });
    const toolUse = { error: { message: 'Failed to call a function. Please adjust your prompt.', type: 'invalid_request_error', code: 'tool_use_failed', failed_generation: '<function=x>' } };
    expect(verdict(fail(400, toolUse, 1))).toEqual({ type: 'LlmInvalidResponse', retried: true });
    expect(verdict(fail(400, toolUse, 2))).toEqual({ type: 'LlmRejected', retried: false });
  });
});

describe('transient provider errors are retried', () => {
  it.each([
    [500, undefined],
    [500, { error: { message: 'The server had an error processing your request. Sorry about that! You can retry your request.', type: 'server_error' } }],
    [500, { error: { message: 'Model is loading' } }],
    [502, 'Bad gateway'],
    [503, { error: { message: 'server busy, please try again. maximum pending requests exceeded', type: 'api_error' } }],
    [504, { message: 'upstream timed out' }],
    [408, { error: { message: 'Request timeout' } }],
    [409, { error: { message: 'Conflict' } }],
    [498, { error: { message: 'Flex tier capacity exceeded' } }],
  ])('HTTP %i %j, even on a later attempt', (status, body) => {
    expect(fail(status, body, 3).nonRetryable).toBe(false);
  });

  it('retries a 429 after its Retry-After, and says what the provider said', () => {
    const failure = toLlmFailure(apiError(429, { error: { message: 'Rate limit reached for requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '3' }), { cancelled: false }) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'LlmRateLimited', nonRetryable: false, nextRetryDelay: 3000 });
    expect(failure.message).toBe('The LLM provider is rate limiting requests (HTTP 429): Rate limit reached for requests');
  });
});

describe("the provider's error text in the failure", () => {
  it("reads Mistral's top-level message, which the SDK shows as '(no body)'", () => {
    const error = apiError(422, { object: 'error', message: 'Assistant message must have either content or tool_calls, but not both.', type: 'invalid_request_error', param: null, code: null });
    expect(error.message).toBe('422 status code (no body)');
    expect(fail(422, { object: 'error', message: 'Assistant message must have either content or tool_calls, but not both.' }).message).toBe(
      'The LLM provider rejected the request (HTTP 422): Assistant message must have either content or tool_calls, but not both.',
    );
  });

  it("reads FastAPI's detail (a string, or items without their input), LM Studio's string error and a text body", () => {
    expect(fail(400, { detail: 'Model not loaded' }).message).toMatch(/\(HTTP 400\): Model not loaded$/);
    const items = fail(422, { detail: [{ loc: ['body', 'messages', 0, 'content'], msg: 'Input should be a valid string', input: 'my card is 4111 1111' }] }).message;
    expect(items).toMatch(/body\.messages\.0\.content: Input should be a valid string$/);
    expect(items).not.toContain('4111');
    expect(fail(400, { error: "'response_format.type' must be 'json_schema' or 'text'" }).message).toMatch(/must be 'json_schema' or 'text'$/);
    expect(fail(502, 'upstream down').message).toBe('The LLM provider had a problem answering (HTTP 502): upstream down');
  });

  it("drops pydantic's echo of the offending value and masks the key, and cuts long texts", () => {
    const echoed = fail(500, { error: { message: `1 validation error for Request messages.1.content Input should be a valid string [type=string_type, input_value={'secret': 'the visitor, said, this'}, input_type=dict] key ${KEY}` } }).message;
    expect(echoed).toContain('input_value=…, input_type=dict');
    expect(echoed).not.toContain('the visitor');
    expect(echoed).not.toContain(KEY.slice(8));
    expect(fail(400, { error: { message: 'x'.repeat(1000) } }).message.length).toBeLessThan(400);
  });

  it('says only the status when the provider gives no text', () => {
    expect(fail(503, {}).message).toBe('The LLM provider had a problem answering (HTTP 503).');
    expect(fail(500, undefined, 2).nonRetryable).toBe(false);
  });
});

describe('requestCaused', () => {
  it('does not blame the request for a server fault', () => {
    for (const text of ['CUDA out of memory', 'Scripted HTTP 500', 'upstream connect error', "'NoneType' object is not subscriptable"]) expect(requestCaused(text)).toBe(false);
    expect(requestCaused('x', 'invalid_request_error')).toBe(true);
  });
});
