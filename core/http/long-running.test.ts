import { LongRunning } from '../../models/connection.schema';
import { jobReference, judgeBody, judgeCallback, locationUrl, MAX_JOB_CHARS, statusUrl, type CallbackSettings, type PollSettings } from './long-running';
import { createMasker } from './mask';

const poll = (over: Record<string, unknown> = {}): PollSettings =>
  LongRunning.parse({ mode: 'poll', job: { from: 'body', path: '$.jobId' }, statusPath: '/jobs/{job}', completeWhen: { path: 'status', op: 'equals', value: 'done' }, resultFields: [{ name: 'ref', path: 'result.ref' }], ...over }) as PollSettings;
const callback = (over: Record<string, unknown> = {}): CallbackSettings => LongRunning.parse({ mode: 'callback', resultFields: [{ name: 'ref', path: 'ref' }], ...over }) as CallbackSettings;

describe('judgeCallback', () => {
  const failWhen = { path: 'status', op: 'equals', value: 'rejected' };
  it('completes on any callback that is not a failure when there is no completion rule', () => {
    expect(judgeCallback(callback({ failWhen }), { status: 'approved', ref: 'B-1' })).toEqual({ outcome: 'completed', fields: { ref: 'B-1' } });
  });
  it('fails when the failure rule holds, checked first', () => {
    const settings = callback({ failWhen, completeWhen: { path: 'status', op: 'exists' } });
    expect(judgeCallback(settings, { status: 'rejected', ref: 'B-2' })).toEqual({ outcome: 'failed', fields: { ref: 'B-2' } });
  });
  it('completes when the completion rule holds', () => {
    expect(judgeCallback(callback({ failWhen, completeWhen: { path: 'status', op: 'equals', value: 'approved' } }), { status: 'approved' })).toEqual({ outcome: 'completed', fields: { ref: null } });
  });
  it('is unrecognised when neither rule holds', () => {
    expect(judgeCallback(callback({ failWhen, completeWhen: { path: 'status', op: 'equals', value: 'approved' } }), { status: 'pending' })).toEqual({ outcome: 'unrecognised' });
    expect(judgeCallback(callback({ completeWhen: { path: 'status', op: 'exists' } }), 'not an object')).toEqual({ outcome: 'unrecognised' });
  });
});

describe('judgeBody (a status poll)', () => {
  const settings = poll({ failWhen: { path: 'status', op: 'equals', value: 'error' } });
  it('is pending until the completion rule holds', () => expect(judgeBody(settings, { status: 'running' })).toEqual({ outcome: 'pending' }));
  it('completes with the result fields, masked', () => {
    expect(judgeBody(settings, { status: 'done', result: { ref: 'R-1 sekret' } }, createMasker(['sekret']))).toEqual({ outcome: 'completed', fields: { ref: 'R-1 •••' } });
  });
  it('fails first when both rules hold', () => {
    const both = poll({ failWhen: { path: 'error', op: 'exists' } });
    expect(judgeBody(both, { status: 'done', error: 'boom' }).outcome).toBe('failed');
  });
});

describe('jobReference', () => {
  const response = (body: unknown, headers: Record<string, string> = {}) => ({ body, headers });
  it('reads a string or number from the body', () => {
    expect(jobReference(poll(), response({ jobId: 'j-1' }))).toEqual({ ok: true, job: 'j-1' });
    expect(jobReference(poll(), response({ jobId: 42 }))).toEqual({ ok: true, job: '42' });
  });
  it('reads the Location header', () => {
    expect(jobReference(poll({ job: { from: 'location' }, statusPath: undefined }), response(undefined, { location: '/jobs/7' }))).toEqual({ ok: true, job: '/jobs/7' });
  });
  it.each([
    ['missing', {}],
    ['an object', { jobId: { id: 1 } }],
    ['blank', { jobId: '  ' }],
    ['too long', { jobId: 'x'.repeat(MAX_JOB_CHARS + 1) }],
    ['with spaces', { jobId: 'a b' }],
    ['not JSON at all', undefined],
  ])('refuses a job reference that is %s', (_name, body) => {
    const found = jobReference(poll(), response(body));
    expect(found.ok).toBe(false);
    expect(!found.ok && found.reason).toMatch(/job|\$\.jobId/);
  });
  it('refuses a missing Location header', () => {
    expect(jobReference(poll({ job: { from: 'location' }, statusPath: undefined }), response({ jobId: 'x' }))).toMatchObject({ ok: false, reason: expect.stringMatching(/Location/) });
  });
});

describe('statusUrl', () => {
  it('puts the job in the status path as one encoded segment under the base path', () => {
    expect(statusUrl('https://api.example.com/v2', poll(), 'a b?c')).toEqual({ ok: true, url: 'https://api.example.com/v2/jobs/a%20b%3Fc' });
  });
  it.each(['..', '.', '%2e%2E', 'a/b', 'a\\b', '%2F'])('refuses the job %p in a path', (job) => {
    expect(statusUrl('https://api.example.com/v2', poll(), job)).toMatchObject({ ok: false, reason: expect.stringMatching(/URL path/) });
  });
  it('keeps the base URL\'s query, as an endpoint call does', () => {
    expect(statusUrl('https://api.example.com/v2?tenant=7', poll(), 'j1')).toEqual({ ok: true, url: 'https://api.example.com/v2/jobs/j1?tenant=7' });
  });
  it('uses the Location for a Location job', () => {
    expect(statusUrl('https://api.example.com/v2', poll({ job: { from: 'location' }, statusPath: undefined }), '/v2/jobs/9')).toEqual({ ok: true, url: 'https://api.example.com/v2/jobs/9' });
  });
});

describe('locationUrl', () => {
  const base = 'https://api.example.com/v2';
  it.each([
    ['/v2/jobs/1', 'https://api.example.com/v2/jobs/1'],
    ['jobs/1', 'https://api.example.com/v2/jobs/1'],
    ['https://api.example.com/v2/jobs/1?x=1#frag', 'https://api.example.com/v2/jobs/1?x=1'],
    ['/v2', 'https://api.example.com/v2'],
  ])('resolves %p on the base URL', (location, url) => expect(locationUrl(base, location)).toEqual({ ok: true, url }));

  it.each([
    ['another host', 'https://evil.example.net/v2/jobs/1', /another origin/],
    ['another scheme', 'http://api.example.com/v2/jobs/1', /another origin/],
    ['another port', 'https://api.example.com:8443/v2/jobs/1', /another origin/],
    ['protocol-relative', '//evil.example.net/v2/jobs/1', /another origin/],
    ['a look-alike host', 'https://api.example.com.evil.net/v2/jobs/1', /another origin/],
    ['userinfo', 'https://user:pw@api.example.com/v2/jobs/1', /user name or password/],
    ['outside the base path', '/admin/jobs/1', /outside the connection's base path/],
    ['a sibling of the base path', '/v2x/jobs/1', /outside/],
    ['a dot-dot escape', '/v2/../admin', /outside/],
    ['an encoded dot-dot escape', '/v2/%2e%2e/admin', /outside/],
    ['a backslash escape', '\\\\evil.example.net/v2', /another origin/],
  ])('refuses %s', (_name, location, reason) => {
    expect(locationUrl(base, location)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('allows any path on a base URL without one', () => {
    expect(locationUrl('https://api.example.com', '/anything/1')).toEqual({ ok: true, url: 'https://api.example.com/anything/1' });
    expect(locationUrl('https://api.example.com', 'https://other.example.com/anything/1').ok).toBe(false);
  });
});
