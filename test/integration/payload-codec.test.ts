/**
 * Personal data in Temporal histories: with PARLEY_PAYLOAD_KEYS set, the API's client and the worker
 * encrypt every workflow payload (AES-256-GCM, key id in the metadata), so a visitor's text is absent from
 * the raw history while the conversation works end to end; the codec endpoint for the Web UI decodes
 * those payloads for the CODEC_AUTH_TOKEN and refuses anyone else; an older key still decodes; payloads
 * that were never encrypted pass through.
 */
import type { Payload } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import fs from 'node:fs';
import path from 'node:path';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../models/payload-codec';
import { signUp, startStack, testEnv, workflowHistoryText, type Http, type Stack, publishedFlowBot } from '../harness';

const OLD_KEY = AesGcmPayloadCodec.generateKey('p1');
const NEW_KEY = AesGcmPayloadCodec.generateKey('p2');
const CODEC_TOKEN = 'codec-token-for-operators-0123456789';
const UI_ORIGIN = 'http://localhost:8233';
const SECRET_TEXT = 'My name is Zebulon Quartzfield';

let stack: Stack;
let api: Http;
let apiKey: string;

beforeAll(async () => {
  stack = await startStack({ payloadKeys: `${NEW_KEY},${OLD_KEY}`, api: { CODEC_AUTH_TOKEN: CODEC_TOKEN, CODEC_CORS_ORIGINS: UI_ORIGIN } });
  ({ api, key: apiKey } = await signUp(stack.baseUrl));
});
afterAll(async () => {
  await stack?.stop();
});

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const text = (p: { data: string }) => Buffer.from(p.data, 'base64').toString('utf8');
const meta = (p: { metadata: Record<string, string> }, k: string) => Buffer.from(p.metadata[k] ?? '', 'base64').toString('utf8');

async function codec(direction: 'encode' | 'decode', payloads: unknown[], authorization?: string, origin?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-namespace': 'default' };
  if (authorization) headers.authorization = authorization;
  if (origin) headers.origin = origin;
  const res = await fetch(`${stack.baseUrl}/codec/${direction}`, { method: 'POST', headers, body: JSON.stringify({ payloads }) });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

/**
 * Every payload in a workflow's raw history (as stored by Temporal, not decoded), but search attributes
 * (never encoded; never PII) and local-activity markers' bookkeeping (`details.data`: seq, activity type,
 * times, written by the SDK core; the local activity's result is `details.result`, encrypted).
 */
async function rawPayloads(workflowId: string): Promise<Payload[]> {
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  const found: Payload[] = [];
  const walk = (value: unknown, parent: string): void => {
    if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
    const v = value as Record<string, unknown>;
    if (v.data instanceof Uint8Array && v.metadata && typeof v.metadata === 'object') {
      found.push(v as Payload);
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      if (key === 'searchAttributes' || (parent === 'details' && key === 'data')) continue;
      walk(child, key);
    }
  };
  walk(history, '');
  return found;
}

let conversationId: string;

describe('encrypted workflow payloads', () => {

  it('keeps visitor text out of the raw history while the conversation works end to end', async () => {
    const botId = await publishedFlowBot(api, {
      flows: [
        {
          id: 'hello',
          name: 'Hello',
          trigger: { keywords: ['hello'] },
          startBlockId: 'name',
          blocks: [
            { id: 'name', type: 'ask', question: 'Your name?', variable: 'name', answer: { type: 'text' }, next: 'done' },
            { id: 'done', type: 'end', text: 'Nice to meet you, {{name}}.' },
          ],
        },
      ],
    });
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'v1', message: { type: 'text', text: 'hello' } });
    expect(start.status).toBe(201);
    expect(start.body.replies.map((r: { text: string }) => r.text)).toContain('Your name?');
    conversationId = start.body.conversation.id;
    const turn = await api.post(`/v1/conversations/${conversationId}/messages`, { message: { type: 'text', text: SECRET_TEXT } });
    expect(turn.status).toBe(200);
    expect(turn.body.replies[0].text).toBe(`Nice to meet you, ${SECRET_TEXT}.`);
    // The transcript in MongoDB is readable as usual.
    expect(JSON.stringify((await api.get(`/v1/conversations/${conversationId}/messages`)).body)).toContain(SECRET_TEXT);

    const workflowId = `conversation-${conversationId}`;
    const history = await workflowHistoryText(stack.temporal, workflowId);
    expect(history).not.toContain('Zebulon');
    expect(history).not.toContain('Your name?');
    const payloads = await rawPayloads(workflowId);
    expect(payloads.length).toBeGreaterThan(2);
    for (const p of payloads) expect(Buffer.from(p.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(new Set(payloads.map((p) => Buffer.from(p.metadata!['encryption-key-id']!).toString()))).toEqual(new Set(['p2']));
  });

  it('decodes history payloads at /codec/decode for the codec token, and refuses anyone else (401)', async () => {
    const payloads = (await rawPayloads(`conversation-${conversationId}`)).map(toJson);
    const decoded = await codec('decode', payloads, `Bearer ${CODEC_TOKEN}`);
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toHaveLength(payloads.length);
    const all = decoded.body.payloads.map(text).join('\n');
    expect(all).toContain(SECRET_TEXT);
    expect(meta(decoded.body.payloads[0], 'encoding')).toMatch(/^json\//);

    expect((await codec('decode', payloads)).status).toBe(401);
    expect((await codec('decode', payloads, 'Bearer wrong-token-wrong-token')).status).toBe(401);
    const tenant = await codec('decode', payloads, `Bearer ${apiKey}`);
    expect(tenant.status).toBe(401);
    expect(tenant.body.code).toBe('unauthorized');
  });

  it('decodes payloads sealed with an older key (rotation), passes plain payloads through, and encodes', async () => {
    const plain: Payload = { metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) }, data: new Uint8Array(Buffer.from('"plain value"')) };
    const [old] = await new AesGcmPayloadCodec(OLD_KEY).encode([plain]);
    expect(Buffer.from(old!.metadata!['encryption-key-id']!).toString()).toBe('p1');
    const decoded = await codec('decode', [toJson(old!), toJson(plain)], `Bearer ${CODEC_TOKEN}`);
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toEqual([toJson(plain), toJson(plain)]);

    const encoded = await codec('encode', [toJson(plain)], `Bearer ${CODEC_TOKEN}`);
    expect(encoded.status).toBe(200);
    expect(meta(encoded.body.payloads[0], 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(meta(encoded.body.payloads[0], 'encryption-key-id')).toBe('p2');
    expect(text(encoded.body.payloads[0])).not.toContain('plain value');
    expect((await codec('decode', encoded.body.payloads, `Bearer ${CODEC_TOKEN}`)).body.payloads).toEqual([toJson(plain)]);

    // No payloads at all, as the CLI sends them for a query without arguments (proto JSON leaves out the empty list).
    const none = await fetch(`${stack.baseUrl}/codec/encode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${CODEC_TOKEN}` }, body: '{}' });
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ payloads: [] });

    // A key that is not configured any more: a clear 400, not a crash.
    const [unknown] = await new AesGcmPayloadCodec(AesGcmPayloadCodec.generateKey('p0')).encode([plain]);
    const refused = await codec('decode', [toJson(unknown!)], `Bearer ${CODEC_TOKEN}`);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('codec_failed');
  });

  it('answers CORS preflights for the configured Web UI origin only', async () => {
    const preflight = async (origin: string) =>
      fetch(`${stack.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' } });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/x-namespace/i);
    const other = await preflight('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const post = await codec('decode', [], `Bearer ${CODEC_TOKEN}`, UI_ORIGIN);
    expect(post.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });
});

describe('replay with the codec', () => {
  it('replays the committed (unencrypted) histories and an encrypted one on a worker with the codec', async () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'histories');
    const histories: { workflowId: string; history: any }[] = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const history = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
        return { workflowId: history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? f, history };
      });
    expect(histories.length).toBeGreaterThan(0);
    // The encrypted conversation of the first test.
    histories.push({ workflowId: `conversation-${conversationId}`, history: await stack.temporal.workflow.getHandle(`conversation-${conversationId}`).fetchHistory() });
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE') }, replayName: 'codec-replay', dataConverter: { payloadCodecs: [new AesGcmPayloadCodec(`${NEW_KEY},${OLD_KEY}`)] } },
      histories,
    );
    for await (const result of results) if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    expect(failures).toEqual([]);
  });
});

describe('without PARLEY_PAYLOAD_KEYS', () => {
  it('leaves payloads plain and keeps the codec endpoint off', async () => {
    const plainStack = await startStack({ api: { CODEC_AUTH_TOKEN: CODEC_TOKEN } });
    try {
      const { api: plainApi } = await signUp(plainStack.baseUrl);
      const botId = await publishedFlowBot(plainApi, { flows: [] });
      const start = await plainApi.post('/v1/conversations', { botId, externalUserId: 'v', message: { type: 'text', text: 'plain visitor words' } });
      expect(start.status).toBe(201);
      expect(await workflowHistoryText(plainStack.temporal, `conversation-${start.body.conversation.id}`)).toContain('plain visitor words');
      const res = await fetch(`${plainStack.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${CODEC_TOKEN}` }, body: '{"payloads":[]}' });
      expect(res.status).toBe(404);
    } finally {
      await plainStack.stop();
    }
  });
});
