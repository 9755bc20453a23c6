/**
 * Login tokens: short-lived (15 min) HS256 JWTs signed with `jose`, accepted wherever a pk_ key is.
 * The key is PARLEY_JWT_SECRET, or, when that is unset, derived with HKDF-SHA256 from the current
 * PARLEY_SECRET_KEYS key (a separate, independent 256-bit key: knowing tokens tells nothing about the
 * sealing key). Rotating the current secret key then also ends every open session, at most 15 min early.
 */
import { SignJWT, jwtVerify } from 'jose';
import { deriveKey } from '../models/secret-box';
import type { ApiConfig } from './config';

export const TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = 'parley';
const AUDIENCE = 'parley-api';

export interface TokenService {
  issue(accountId: string, now?: Date): Promise<{ token: string; expiresAt: Date }>;
  /** Signs arbitrary claims (tests make expired tokens with it). */
  sign(claims: { sub: string; iat: number; exp: number }): Promise<string>;
  /** The account id of a valid token, or undefined (bad signature, expired, wrong issuer or audience). */
  verify(token: string): Promise<string | undefined>;
}

export function jwtKey(config: Pick<ApiConfig, 'PARLEY_JWT_SECRET' | 'PARLEY_SECRET_KEYS'>): Uint8Array {
  if (config.PARLEY_JWT_SECRET) return new TextEncoder().encode(config.PARLEY_JWT_SECRET);
  return new Uint8Array(deriveKey(config.PARLEY_SECRET_KEYS, 'PARLEY_SECRET_KEYS', 'parley-login-tokens', 'parley/jwt/hs256/v1'));
}

export function createTokenService(config: Pick<ApiConfig, 'PARLEY_JWT_SECRET' | 'PARLEY_SECRET_KEYS'>): TokenService {
  const key = jwtKey(config);
  const sign = (claims: { sub: string; iat: number; exp: number }): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(key);
  return {
    sign,
    async issue(accountId, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + TOKEN_TTL_SECONDS;
      return { token: await sign({ sub: accountId, iat, exp }), expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub'] });
        return typeof payload.sub === 'string' && /^acct_[a-z0-9]+$/.test(payload.sub) ? payload.sub : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
