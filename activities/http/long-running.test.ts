import { createMasker } from '../../core/http/mask';
import { verifyCallbackToken } from '../../models/callback-token';
import { LongRunning } from '../../models/connection.schema';
import { SecretBox } from '../../models/secret-box';
import { callbackUrl, pollJobOf, RUN_TEST_CALLBACK_URL } from './long-running';
import type { PollSettings } from '../../core/http/long-running';

const keys = SecretBox.generateKey('k1');
const callbacks = { publicUrl: 'https://parley.example.com', keySpec: keys };
const binding = { runId: 'action-run-1', expiresAt: '2030-01-01T00:00:00Z' };

describe('callbackUrl', () => {
  it('mints a URL on PUBLIC_URL whose token binds the account, run, endpoint and deadline, and masks both', () => {
    const made = callbackUrl({ callbacks }, { kind: 'conversation', accountId: 'acct_1', callback: binding }, 'ep_1');
    if (!('url' in made)) throw new Error(made.reason);
    const token = made.url.replace('https://parley.example.com/v1/callbacks/', '');
    expect(verifyCallbackToken(keys, token)).toMatchObject({ a: 'acct_1', r: 'action-run-1', e: 'ep_1', x: Date.parse(binding.expiresAt) / 1000 });
    expect(made.secrets).toEqual([made.url, token]);
  });
  it('gives Run Test a URL that cannot call back', () => {
    expect(callbackUrl({}, { kind: 'endpoint_test', accountId: 'acct_1' }, 'ep_1')).toEqual({ url: RUN_TEST_CALLBACK_URL, secrets: [] });
  });
  it('says why without PUBLIC_URL or a run to call back', () => {
    expect(callbackUrl({}, { kind: 'conversation', accountId: 'acct_1', callback: binding }, 'ep_1')).toMatchObject({ reason: expect.stringMatching(/PUBLIC_URL/) });
    expect(callbackUrl({ callbacks }, { kind: 'conversation', accountId: 'acct_1' }, 'ep_1')).toMatchObject({ reason: expect.stringMatching(/outside a long-running step/) });
  });
});

describe('pollJobOf', () => {
  const settings = (over: Record<string, unknown> = {}) =>
    LongRunning.parse({ mode: 'poll', job: { from: 'body', path: 'id' }, statusPath: '/jobs/{job}', completeWhen: { path: 'done', op: 'equals', value: true }, ...over }) as PollSettings;
  const answer = (body: string, headers: Record<string, string> = {}) => ({ kind: 'response' as const, status: 202, headers, body, durationMs: 1 });
  const mask = createMasker(['sekret']);
  it('takes the job from the body', () => expect(pollJobOf(settings(), 'https://api.example.com', answer('{"id":"j1"}'), mask)).toEqual({ job: 'j1' }));
  it('takes the job from the Location header, on the connection', () => {
    const location = settings({ job: { from: 'location' }, statusPath: undefined });
    expect(pollJobOf(location, 'https://api.example.com', answer('', { location: '/jobs/1' }), mask)).toEqual({ job: '/jobs/1' });
    expect(pollJobOf(location, 'https://api.example.com', answer('', { location: 'https://elsewhere.example.com/jobs/1' }), mask)).toMatchObject({ reason: expect.stringMatching(/another origin/) });
  });
  it('refuses a body without a job, a job that is no path segment, or one holding a credential', () => {
    expect(pollJobOf(settings(), 'https://api.example.com', answer('not json'), mask)).toHaveProperty('reason');
    expect(pollJobOf(settings(), 'https://api.example.com', answer('{"id":".."}'), mask)).toMatchObject({ reason: expect.stringMatching(/URL path/) });
    expect(pollJobOf(settings(), 'https://api.example.com', answer('{"id":"sekret"}'), mask)).toMatchObject({ reason: expect.stringMatching(/credentials/) });
  });
});
