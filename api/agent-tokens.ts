/**
 * Human agents' credentials: 15-minute access tokens (HS256 JWTs, audience `parley-agent`, signed with the
 * login tokens' key: api/tokens.ts), and the opaque one-time secrets of invites and refresh tokens.
 *
 * An access token names its session (`sid`); the authenticator reads the session and the agent on every
 * request, so ending a session or deactivating an agent ends its access at once, not 15 minutes later.
 * The audiences keep the two kinds apart: an account's login token (`parley-api`) is never an agent's
 * token, and an agent's is never an account's (api/tokens.ts checks its own audience).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { ApiConfig } from './config';
import { hashApiKey } from './passwords';
import { jwtKey } from './tokens';

export const AGENT_TOKEN_TTL_SECONDS = 15 * 60;
/** A session lives this long after its last refresh (an inbox left open refreshes every few minutes). */
export const AGENT_SESSION_TTL_SECONDS = 30 * 24 * 3600;
export const INVITE_TTL_SECONDS = 7 * 24 * 3600;
const ISSUER = 'parley';
const AUDIENCE = 'parley-agent';

/** What an agent's access token says. */
export interface AgentClaims {
  agentId: string;
  accountId: string;
  sessionId: string;
}

export interface AgentTokenService {
  issue(claims: AgentClaims, now?: Date): Promise<{ token: string; expiresAt: Date }>;
  /** The claims of a valid token, or undefined (bad signature, expired, another audience, malformed claims). */
  verify(token: string): Promise<AgentClaims | undefined>;
}

export function createAgentTokenService(config: Pick<ApiConfig, 'PARLEY_JWT_SECRET' | 'PARLEY_SECRET_KEYS'>): AgentTokenService {
  const key = jwtKey(config);
  return {
    async issue(claims, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + AGENT_TOKEN_TTL_SECONDS;
      const token = await new SignJWT({ acct: claims.accountId, sid: claims.sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.agentId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub', 'acct', 'sid'] });
        const { sub, acct, sid } = payload as { sub?: unknown; acct?: unknown; sid?: unknown };
        if (typeof sub !== 'string' || !AGENT_ID_SHAPE.test(sub)) return undefined;
        if (typeof acct !== 'string' || !/^acct_[a-z0-9]+$/.test(acct)) return undefined;
        if (typeof sid !== 'string' || !SESSION_ID_SHAPE.test(sid)) return undefined;
        return { agentId: sub, accountId: acct, sessionId: sid };
      } catch {
        return undefined;
      }
    },
  };
}

const AGENT_ID_SHAPE = /^agt_[a-f0-9]{24}$/;
const SESSION_ID_SHAPE = /^ses_[a-f0-9]{24}$/;

/** An invite token `inv_<agentId>.<secret>` and the hash stored of it. */
export function newInvite(agentId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `inv_${agentId}.${secret}`, hash: hashApiKey(secret) };
}

/** A refresh token `rt_<sessionId>.<secret>` and the hash stored of it. */
export function newRefreshToken(sessionId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `rt_${sessionId}.${secret}`, hash: hashApiKey(secret) };
}

/** The record id and the hash of the secret in an invite or refresh token, or undefined when it is not one. */
export function parseSecretToken(kind: 'inv' | 'rt', token: string): { id: string; hash: string } | undefined {
  const shape = kind === 'inv' ? /^inv_(agt_[a-f0-9]{24})\.([A-Za-z0-9_-]{43})$/ : /^rt_(ses_[a-f0-9]{24})\.([A-Za-z0-9_-]{43})$/;
  const match = shape.exec(token);
  return match ? { id: match[1]!, hash: hashApiKey(match[2]!) } : undefined;
}

/** Compares two hex SHA-256 hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
