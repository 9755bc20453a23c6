/**
 * The credentials of the public widget:
 *
 * - **Visitor tokens** (`vt_...`) give one browser its own conversation: an HMAC-SHA256 over the website
 *   (or preview bot) and the conversation id, with a key derived from PARLEY_SECRET_KEYS. A website token
 *   is public, so without a visitor token anyone could read any widget conversation by its id.
 * - **Preview tokens**: short-lived HS256 JWTs naming an account and a bot, made by `POST /v1/bots/:id/preview`
 *   for the preview page.
 * - **Identity tokens**: HS256 JWTs the tenant's server signs with the website's identity secret, naming the
 *   visitor (`sub`, optional `email` and `name`). Only these set a widget conversation's user and contact.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { deriveKey } from '../../models/secret-box';
import { IdentityClaims } from '../../models/website.schema';
import type { ApiConfig } from '../config';

export const PREVIEW_TTL_SECONDS = 60 * 60;
const ISSUER = 'parley';
const PREVIEW_AUDIENCE = 'parley-preview';

/** Who a visitor token is bound to: a website, or the preview page of a bot. */
export type WidgetScope = { kind: 'website'; websiteId: string } | { kind: 'preview'; botId: string };

const scopeKey = (scope: WidgetScope): string => (scope.kind === 'website' ? `site:${scope.websiteId}` : `preview:${scope.botId}`);

export interface WidgetTokens {
  visitorToken(scope: WidgetScope, conversationId: string): string;
  visitorTokenValid(token: string, scope: WidgetScope, conversationId: string): boolean;
  issuePreview(accountId: string, botId: string, now?: Date): Promise<{ token: string; expiresAt: Date }>;
  /** The account and bot of a valid preview token, or undefined. */
  verifyPreview(token: string): Promise<{ accountId: string; botId: string } | undefined>;
}

const derive = (config: Pick<ApiConfig, 'PARLEY_SECRET_KEYS'>, info: string): Buffer => deriveKey(config.PARLEY_SECRET_KEYS, 'PARLEY_SECRET_KEYS', 'parley-widget', info);

export function createWidgetTokens(config: Pick<ApiConfig, 'PARLEY_SECRET_KEYS'>): WidgetTokens {
  const visitorKey = derive(config, 'parley/widget/visitor/v1');
  const previewKey = new Uint8Array(derive(config, 'parley/widget/preview/v1'));
  const mac = (scope: WidgetScope, conversationId: string): Buffer => createHmac('sha256', visitorKey).update(`${scopeKey(scope)}\u0000${conversationId}`).digest();
  return {
    visitorToken: (scope, conversationId) => `vt_${mac(scope, conversationId).toString('base64url')}`,
    visitorTokenValid(token, scope, conversationId) {
      if (!token.startsWith('vt_')) return false;
      const given = Buffer.from(token.slice(3), 'base64url');
      const expected = mac(scope, conversationId);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    async issuePreview(accountId, botId, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + PREVIEW_TTL_SECONDS;
      const token = await new SignJWT({ acct: accountId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(botId)
        .setIssuer(ISSUER)
        .setAudience(PREVIEW_AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(previewKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verifyPreview(token) {
      try {
        const { payload } = await jwtVerify(token, previewKey, { algorithms: ['HS256'], issuer: ISSUER, audience: PREVIEW_AUDIENCE, requiredClaims: ['exp', 'sub'] });
        const accountId = payload.acct;
        if (typeof accountId !== 'string' || typeof payload.sub !== 'string') return undefined;
        return { accountId, botId: payload.sub };
      } catch {
        return undefined;
      }
    },
  };
}

/** A new identity secret: `wis_` and 32 random bytes. The HMAC key is the whole string, as UTF-8. */
export const newIdentitySecret = (): string => `wis_${randomBytes(32).toString('base64url')}`;

/** A new public website token. */
export const newWebsiteToken = (): string => `wt_${randomBytes(20).toString('hex')}`;

export type IdentityCheck = { ok: true; claims: IdentityClaims } | { ok: false; reason: string };

/** Checks a visitor identity token against the website's identity secret (HS256 only; `exp` required). */
export async function verifyIdentityToken(token: string, secret: string): Promise<IdentityCheck> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'], clockTolerance: 30 }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { ok: false, reason: code === 'ERR_JWT_EXPIRED' ? 'the identity token has expired' : 'the identity token is not valid (signature, algorithm or claims)' };
  }
  const claims = IdentityClaims.safeParse(payload);
  if (!claims.success) return { ok: false, reason: `the identity token's claims are not valid: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}` };
  return { ok: true, claims: claims.data };
}
