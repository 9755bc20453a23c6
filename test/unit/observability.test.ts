/**
 * Logs and metrics without servers: secrets never reach a log line (pino's redaction, written to a
 * stream we read back), errors are logged by name and message only, and a request's metric label is its
 * route pattern, never the raw path with ids.
 */
import { Writable } from 'node:stream';
import { routePattern } from '../../api/openapi/route-pattern';
import { createLogger, logFunction, REDACTED } from '../../models/logger';

/** A logger writing into an array of parsed JSON lines. */
function capture(): { lines: Record<string, unknown>[]; text: () => string; logger: ReturnType<typeof createLogger> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ name: 'test', level: 'info', destination });
  return {
    get lines() {
      return chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => chunks.join(''),
    logger,
  };
}

describe('structured logs', () => {
  it('writes one JSON line with level label, ISO time, name and message', () => {
    const out = capture();
    out.logger.info({ route: '/v1/bots/:id', status: 200 }, 'GET /v1/bots/:id 200');
    expect(out.lines).toEqual([expect.objectContaining({ level: 'info', name: 'test', msg: 'GET /v1/bots/:id 200', route: '/v1/bots/:id', status: 200, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
  });

  it('redacts credential headers and secret fields at every depth it covers', () => {
    const out = capture();
    const secrets = ['Bearer pk_live_abc123', 'session=s3cr3t', 'key-xyz-789', 'pk_parley_456', 'hunter2', 'sk-llm-000', 'tok-111', 'whsec-222', 'cred-333', 'ident-444'];
    out.logger.info(
      {
        password: secrets[4],
        req: { headers: { authorization: secrets[0], cookie: secrets[1], 'x-api-key': secrets[2], 'x-parley-key': secrets[3], accept: 'application/json' } },
        connection: { auth: { type: 'bearer', token: secrets[6], credentials: { password: secrets[4] } } },
        bot: { ai: { apiKey: secrets[5] } },
        webhook: { secret: secrets[7] },
        contact: { identitySecret: secrets[9] },
        list: [{ credentials: secrets[8] }],
      },
      'a record full of secrets',
    );
    const text = out.text();
    for (const secret of secrets) expect(text).not.toContain(secret);
    const [line] = out.lines as any[];
    expect(line.req.headers).toEqual({ authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, 'x-parley-key': REDACTED, accept: 'application/json' });
    expect(line.connection.auth).toEqual({ type: 'bearer', token: REDACTED, credentials: REDACTED });
    expect(line.bot.ai.apiKey).toBe(REDACTED);
    expect(line.password).toBe(REDACTED);
  });

  it('redacts at any depth and in any letter case, in child bindings too, without touching the caller\'s objects', () => {
    const out = capture();
    const record = {
      a: { b: { c: { d: { e: { Password: 'deep-777', keep: 'visible' } } } } },
      headers: { AUTHORIZATION: 'Bearer upper-888' },
      nested: { failure: Object.assign(new Error('boom'), { config: { headers: { authorization: 'Bearer in-error-999' } } }) },
      when: new Date('2026-12-01T00:00:00Z'),
    };
    class Credentials {
      constructor(readonly user: string, readonly password: string) {}
    }
    Object.assign(record, { creds: new Credentials('ada', 'class-field-666'), selfish: { toJSON() { return this; }, secret: 'self-json-444' } });
    const before = JSON.stringify(record);
    out.logger.child({ token: 'child-binding-555' }).info(record, 'deep');
    const text = out.text();
    for (const secret of ['deep-777', 'upper-888', 'in-error-999', 'child-binding-555', 'class-field-666', 'self-json-444']) expect(text).not.toContain(secret);
    const [line] = out.lines as any[];
    expect(line.a.b.c.d.e).toEqual({ Password: REDACTED, keep: 'visible' });
    expect(line.nested.failure).toEqual({ name: 'Error', message: 'boom' });
    expect(line.when).toBe('2026-12-01T00:00:00.000Z');
    expect(line.token).toBe(REDACTED);
    expect(line.creds).toEqual({ user: 'ada', password: REDACTED });
    expect(JSON.stringify(record)).toBe(before);
  });

  it('logs an error by name, message and code only, never what it carries', () => {
    const out = capture();
    const error = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
      config: { headers: { 'X-Custom': 'tenant-secret-999' }, data: '{"card":"4111"}' },
    });
    out.logger.error({ err: error }, 'call failed');
    out.logger.error({ error: 'plain string' }, 'string thrown');
    const [first, second] = out.lines as any[];
    expect(first.err).toEqual({ name: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' });
    expect(second.error).toEqual({ name: 'string', message: 'plain string' });
    expect(out.text()).not.toContain('tenant-secret-999');
    expect(out.text()).not.toContain('4111');
  });

  it('keeps the `(message, error?)` callback of older code: warn without an error, error with one', () => {
    const out = capture();
    const log = logFunction(out.logger);
    log('rate limiter store unreachable');
    log('unhandled error', new TypeError('x is not a function'));
    expect(out.lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'rate limiter store unreachable' }),
      expect.objectContaining({ level: 'error', msg: 'unhandled error', err: { name: 'TypeError', message: 'x is not a function' } }),
    ]);
  });

  it('drops records under the level', () => {
    const out = capture();
    out.logger.level = 'warn';
    out.logger.info('not written');
    out.logger.warn('written');
    expect(out.lines.map((l) => l.msg)).toEqual(['written']);
  });
});

describe('route pattern labels', () => {
  it.each([
    ['POST', '/v1/conversations/conv_abc123/messages', '/v1/conversations/:id/messages'],
    ['GET', '/v1/conversations/conv_abc123', '/v1/conversations/:id'],
    ['POST', '/v1/conversations', '/v1/conversations'],
    ['GET', '/v1/knowledge/search', '/v1/knowledge/search'],
    ['GET', '/v1/knowledge/kn_1', '/v1/knowledge/:id'],
    ['GET', '/v1/bots/', '/v1/bots'],
    ['HEAD', '/healthz', '/healthz'],
    ['GET', '/metrics', '/metrics'],
    ['PUT', '/v1/bots', 'unmatched'],
    ['GET', '/wp-admin/setup.php', 'unmatched'],
    ['GET', '/v1/bots/a/b/c', 'unmatched'],
  ])('%s %s → %s', (method, path, route) => {
    expect(routePattern(method, path)).toBe(route);
  });
});
