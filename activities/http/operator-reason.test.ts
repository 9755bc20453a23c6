import { createMasker } from '../../core/http/mask';
import { answered, notReached, redact, retryWords, statusText, tenantMessage, type Redaction } from './operator-reason';

const call = { service: 'Booking API', method: 'POST', path: '/bookings' };
const redaction = (values: Redaction['values'] = {}, contact?: Redaction['contact']): Redaction => ({ mask: createMasker(['sk_live_123']), values, ...(contact ? { contact } : {}) });

describe('statusText', () => {
  it('names known statuses', () => expect(statusText(409)).toBe('409 Conflict'));
  it('falls back to the number', () => expect(statusText(599)).toBe('HTTP 599'));
});

describe('tenantMessage', () => {
  it('reads message, error.message, detail and errors[0]', () => {
    expect(tenantMessage('{"message":"the slot is taken"}', redaction())).toBe('the slot is taken');
    expect(tenantMessage('{"error":{"code":"x","message":"slot gone"}}', redaction())).toBe('slot gone');
    expect(tenantMessage('{"title":"Conflict","detail":"slot gone"}', redaction())).toBe('slot gone');
    expect(tenantMessage('{"errors":[{"message":"bad date"}]}', redaction())).toBe('bad date');
  });
  it('quotes a short plain-text body, never markup or data', () => {
    expect(tenantMessage('slot taken', redaction())).toBe('slot taken');
    expect(tenantMessage('<html><body>Error</body></html>', redaction())).toBeUndefined();
    expect(tenantMessage('{"id":1,"items":[2]}', redaction())).toBeUndefined();
    expect(tenantMessage('', redaction())).toBeUndefined();
  });
  it('clips long messages', () => expect(tenantMessage(JSON.stringify({ message: 'x '.repeat(200) }), redaction())!.length).toBeLessThanOrEqual(160));
});

describe('redact', () => {
  it('masks secrets', () => expect(redact('key sk_live_123 refused', redaction())).toBe('key ••• refused'));
  it('takes out the values the call was given and the contact, in any case', () => {
    expect(redact('slot held by JANE DOE for 10:30', redaction({ name: 'Jane Doe', time: '10:30', n: 1 }, { phone: '+44 20 7946 0000' }))).toBe('slot held by [redacted] for [redacted]');
  });
  it('takes out anything shaped like an email address or a phone or card number', () => {
    expect(redact('owner bob@example.org, call +1 (555) 010-9999, card 4111 1111 1111 1111, room 12', redaction())).toBe('owner [redacted], call [redacted], card [redacted], room 12');
  });
});

describe('plain words', () => {
  it('says who answered what on which call', () => {
    expect(answered(call, 409, '{"message":"taken by ann@example.com"}', redaction())).toBe('Booking API answered 409 Conflict on POST /bookings: taken by [redacted]');
    expect(answered(call, 500, '', redaction())).toBe('Booking API answered 500 Internal Server Error on POST /bookings');
  });
  it('says why a call was not answered', () => {
    expect(notReached(call, 'timeout', 3000)).toBe('Booking API did not answer within 3000 ms on POST /bookings');
    expect(notReached(call, 'refused', 3000)).toBe('Booking API could not be reached on POST /bookings: it refused the connection');
    expect(notReached(call, 'blocked_address', 3000)).toMatch(/^Booking API was not called on POST \/bookings: its address is refused by the network policy/);
  });
  it('says whether Temporal tries again', () => {
    expect(retryWords({ attempt: 1, maximumAttempts: 3 })).toBe('Will be retried (attempt 1 of 3).');
    expect(retryWords({ attempt: 3, maximumAttempts: 3 })).toBe('No attempts left (attempt 3 of 3).');
    expect(retryWords({ attempt: 2, maximumAttempts: 0 })).toBe('Will be retried (attempt 2, no attempt limit).');
  });
});
