import { createMasker, MASK } from '../../core/http/mask';
import { buildCallLog, LOG_BODY_BYTES, newCallLogId, trimBytes } from './call-log';

describe('newCallLogId', () => {
  it('sorts by time', () => {
    const ids = [Date.UTC(2020, 0, 1), Date.UTC(2025, 5, 1), Date.UTC(2080, 0, 1)].map((t) => newCallLogId(t));
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^log_[0-9a-z]{9}[0-9a-f]{12}$/);
  });
  it('is unique within a millisecond', () => expect(newCallLogId(1)).not.toBe(newCallLogId(1)));
});

describe('trimBytes', () => {
  it('keeps short text', () => expect(trimBytes('héllo', 10)).toEqual({ text: 'héllo', truncated: false }));
  it('cuts on a character boundary', () => expect(trimBytes('aé☃', 4)).toEqual({ text: 'aé', truncated: true }));
});

describe('buildCallLog', () => {
  const secret = 'sk_live_123';
  const doc = buildCallLog({
    accountId: 'acc',
    connectionId: 'con',
    endpointId: 'ep',
    kind: 'conversation',
    request: { method: 'POST', url: `https://api.example.com/x?api_key=${secret}&q=1`, headers: { 'x-api-key': secret, 'x-trace': 'abc', accept: 'application/json' }, body: `{"echo":"${secret}"}` },
    secretHeaders: ['x-api-key'],
    mask: createMasker([secret]),
    result: { kind: 'response', status: 200, headers: { 'set-cookie': 'sid=1', 'x-echo': secret }, body: `${'y'.repeat(LOG_BODY_BYTES)}${secret}`, durationMs: 12 },
    success: true,
    conversationId: 'conv',
  });
  it('masks secrets everywhere', () => {
    expect(JSON.stringify(doc)).not.toContain(secret);
    expect(doc.request.url).toBe(`https://api.example.com/x?api_key=${MASK}&q=1`);
    expect(doc.request.headers).toEqual({ 'x-api-key': MASK, 'x-trace': 'abc', accept: 'application/json' });
    expect(doc.response?.headers).toEqual({ 'set-cookie': MASK, 'x-echo': MASK });
  });
  it('trims the response body to 4 KB after masking', () => {
    expect(doc.response?.truncated).toBe(true);
    expect(Buffer.byteLength(doc.response?.body ?? '')).toBeLessThanOrEqual(LOG_BODY_BYTES);
  });
  it('records the attempt outside an activity as 1', () => expect(doc).toMatchObject({ attempt: 1, status: 200, success: true, durationMs: 12, conversationId: 'conv' }));
});
