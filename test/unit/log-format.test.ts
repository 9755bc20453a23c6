/**
 * LOG_FORMAT: the pretty lines a developer reads in `npm run dev` and the JSON lines of compose and
 * production redact exactly the same secrets, because both are written from the record pino serialized
 * after models/logger.ts redacted it.
 */
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { createLogger, REDACTED, type LogFormat } from '../../models/logger';

const SECRETS = ['Bearer sk-live-authorization-111', 'pk_api-key-222', 'cookie-session-333', 'child-token-444', 'nested-password-555'];

/** Logs one request with secrets in the given format and returns what was written. */
async function logged(format: LogFormat): Promise<string> {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ name: 'api', level: 'info', format, destination });
  logger.child({ token: SECRETS[3] }).info(
    {
      route: '/v1/conversations',
      status: 201,
      headers: { Authorization: SECRETS[0], cookie: SECRETS[2], 'content-type': 'application/json' },
      apiKey: SECRETS[1],
      connection: { auth: { password: SECRETS[4] } },
    },
    'POST /v1/conversations 201',
  );
  // pino-pretty passes the line through a stream pipeline: let it reach the destination.
  await tick();
  return chunks.join('');
}

describe('log formats', () => {
  it.each<LogFormat>(['json', 'pretty'])('%s: no secret is written, each is marked redacted, the other fields stay', async (format) => {
    const text = await logged(format);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // Authorization, cookie, apiKey, the child's token and the nested password.
    expect(text.split(REDACTED)).toHaveLength(SECRETS.length + 1);
    expect(text).toContain('POST /v1/conversations 201');
    expect(text).toContain('/v1/conversations');
    expect(text).toContain('application/json');
  });

  it('writes JSON as one parseable object per line and pretty as one line that is not JSON', async () => {
    const json = (await logged('json')).trim().split('\n');
    expect(json).toHaveLength(1);
    expect(JSON.parse(json[0] ?? '')).toMatchObject({ level: 'info', name: 'api', msg: 'POST /v1/conversations 201', apiKey: REDACTED, token: REDACTED });

    const pretty = (await logged('pretty')).trim().split('\n');
    expect(pretty).toHaveLength(1);
    expect(() => JSON.parse(pretty[0] ?? '')).toThrow();
    expect(pretty[0]).toMatch(/INFO.*\(api\).*POST \/v1\/conversations 201/);
  });

  it('redacts the same fields in both formats', async () => {
    // The pretty line ends with the record's own fields as JSON: the same object the JSON line holds.
    const json = JSON.parse(await logged('json')) as Record<string, unknown>;
    const pretty = stripVTControlCharacters(await logged('pretty'));
    const prettyFields = JSON.parse(pretty.slice(pretty.indexOf('{'))) as Record<string, unknown>;
    const { level: _level, time: _time, pid: _pid, hostname: _hostname, name: _name, msg: _msg, ...fields } = json;
    expect(prettyFields).toEqual(fields);
  });
});
