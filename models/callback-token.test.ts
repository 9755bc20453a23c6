import { createHmac, hkdfSync } from 'node:crypto';
import { callbackExpired, mintCallbackToken, verifyCallbackToken, type CallbackTokenClaims } from './callback-token';
import { SecretBox } from './secret-box';

const k1 = SecretBox.generateKey('k1');
const k2 = SecretBox.generateKey('k2');
const claims: CallbackTokenClaims = { accountId: 'acct_1', runId: 'action-run-abc', endpointId: 'ep_1', expiresAt: '2030-01-01T00:00:00.000Z' };

const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const repack = (payload: Record<string, unknown>, mac: string): string => `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;

describe('callback tokens', () => {
  it('verifies a token it minted, with the claims bound in', () => {
    const token = mintCallbackToken(k1, claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyCallbackToken(k1, token)).toEqual({ v: 1, k: 'k1', a: 'acct_1', r: 'action-run-abc', e: 'ep_1', x: Date.parse(claims.expiresAt) / 1000 });
  });

  it('still verifies a token minted before a rotation while its key is in the set', () => {
    const token = mintCallbackToken(k1, claims);
    expect(verifyCallbackToken(`${k2},${k1}`, token)?.k).toBe('k1');
    expect(payloadOf(mintCallbackToken(`${k2},${k1}`, claims)).k).toBe('k2');
  });

  it('refuses a token once its key is gone from the set', () => {
    expect(verifyCallbackToken(k2, mintCallbackToken(k1, claims))).toBeNull();
  });

  it('refuses a token signed by another deployment with the same key id', () => {
    expect(verifyCallbackToken(SecretBox.generateKey('k1'), mintCallbackToken(k1, claims))).toBeNull();
  });

  it('refuses a changed payload (another account, run, endpoint or expiry) under the original signature', () => {
    const token = mintCallbackToken(k1, claims);
    const mac = token.split('.')[1]!;
    for (const change of [{ a: 'acct_2' }, { r: 'action-run-other' }, { e: 'ep_2' }, { x: 4102444800 + 3600 }]) {
      expect(verifyCallbackToken(k1, repack({ ...payloadOf(token), ...change }, mac))).toBeNull();
    }
  });

  it('refuses a MAC made with the raw key instead of the derived one', () => {
    const raw = Buffer.from(k1.split(':')[1]!, 'base64');
    const payloadPart = mintCallbackToken(k1, claims).split('.')[0]!;
    expect(verifyCallbackToken(k1, `${payloadPart}.${createHmac('sha256', raw).update(payloadPart).digest('base64url')}`)).toBeNull();
    const derived = Buffer.from(hkdfSync('sha256', raw, 'parley-callbacks', 'parley/callback/v1', 32));
    expect(verifyCallbackToken(k1, `${payloadPart}.${createHmac('sha256', derived).update(payloadPart).digest('base64url')}`)).not.toBeNull();
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'a+b.c/d'],
    ['too long', `${'a'.repeat(2000)}.b`],
    ['short MAC', `${Buffer.from('{}').toString('base64url')}.AAAA`],
  ])('refuses a malformed token (%s)', (_name, token) => {
    expect(verifyCallbackToken(k1, token)).toBeNull();
  });

  it('refuses a correctly signed payload of the wrong shape', () => {
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(k1.split(':')[1]!, 'base64'), 'parley-callbacks', 'parley/callback/v1', 32));
    const signed = (payload: unknown): string => {
      const part = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${part}.${createHmac('sha256', key).update(part).digest('base64url')}`;
    };
    const good = { v: 1, k: 'k1', a: 'acct_1', r: 'run', e: 'ep', x: 1_900_000_000 };
    expect(verifyCallbackToken(k1, signed(good))).toEqual(good);
    for (const bad of [{ ...good, v: 2 }, { ...good, x: '1900000000' }, { ...good, a: '' }, { ...good, extra: 1 }, { ...good, r: 'r'.repeat(201) }, [good], 'text']) {
      expect(verifyCallbackToken(k1, signed(bad))).toBeNull();
    }
  });

  it('refuses a second spelling of the same MAC', () => {
    const token = mintCallbackToken(k1, claims);
    const [payloadPart, mac] = token.split('.') as [string, string];
    // base64url of 32 bytes ends in a character whose low two bits are padding: flipping them decodes the same.
    const last = mac.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(verifyCallbackToken(k1, `${payloadPart}.${mac.slice(0, -1)}${sibling}`)).toBeNull();
  });

  it('tells an expired token from a live one', () => {
    const payload = verifyCallbackToken(k1, mintCallbackToken(k1, { ...claims, expiresAt: '2026-01-01T00:00:00Z' }))!;
    expect(callbackExpired(payload, Date.parse('2025-12-31T23:59:59Z'))).toBe(false);
    expect(callbackExpired(payload, Date.parse('2026-01-01T00:00:00Z'))).toBe(true);
  });

  it('will not mint for missing claims or an unreadable expiry', () => {
    expect(() => mintCallbackToken(k1, { ...claims, runId: '' })).toThrow(/runId/);
    expect(() => mintCallbackToken(k1, { ...claims, expiresAt: 'soon' })).toThrow(/expiresAt/);
  });
});
