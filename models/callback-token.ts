/**
 * One-time callback URLs of long-running calls (issue 21): `${PUBLIC_URL}/v1/callbacks/<token>`. The
 * token is the only credential the callback route asks for, so it is signed, not stored: the worker
 * mints it (activities/http/call-endpoint.ts) and the API verifies it, both from PARLEY_SECRET_KEYS.
 *
 * `<base64url(JSON payload)>.<base64url(HMAC-SHA256(payload part))>`. The payload binds the token to
 * the account, the run (its workflow id), the endpoint and an expiry, and names the key that signed it:
 * the HMAC key is derived with HKDF per key id, so a token minted before a key rotation still verifies
 * for as long as its key stays in the set, and knowing a derived key tells nothing of the sealing key.
 * Nothing in the payload is secret (ids and a time); what makes the URL unguessable is the signature.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { parseKeySpec } from './secret-box';

/** What a callback token binds. */
export interface CallbackTokenClaims {
  accountId: string;
  /** The action run's workflow id: the callback is an update on it. */
  runId: string;
  endpointId: string;
  /** ISO time (or epoch milliseconds) after which the callback is refused. */
  expiresAt: string;
}

/** A verified token's payload. */
export interface CallbackTokenPayload {
  /** Format version. */
  v: 1;
  /** Id of the PARLEY_SECRET_KEYS key whose derived key signed it. */
  k: string;
  a: string;
  r: string;
  e: string;
  /** Expiry, epoch seconds. */
  x: number;
}

const SALT = 'parley-callbacks';
const INFO = 'parley/callback/v1';
const VARIABLE = 'PARLEY_SECRET_KEYS';
/** Ids are short; a longer token is not one of ours, and is refused before any parsing. */
export const MAX_TOKEN_CHARS = 1024;
const MAX_ID_CHARS = 200;
const MAC_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]+$/;

// HKDF per (key set, key id), once: verifying runs on every callback request.
const derived = new Map<string, Buffer>();
function callbackKey(spec: string, keyId: string): Buffer | undefined {
  const memo = `${keyId}\u0000${spec}`;
  const known = derived.get(memo);
  if (known) return known;
  const key = parseKeySpec(spec, VARIABLE).keys.get(keyId);
  if (!key) return undefined;
  const out = Buffer.from(hkdfSync('sha256', key, SALT, INFO, 32));
  if (derived.size > 64) derived.clear();
  derived.set(memo, out);
  return out;
}

const sign = (key: Buffer, payloadPart: string): Buffer => createHmac('sha256', key).update(payloadPart).digest();

/** A token for `claims`, signed with the current key of `keySpec` (PARLEY_SECRET_KEYS). */
export function mintCallbackToken(keySpec: string, claims: CallbackTokenClaims): string {
  const { currentId } = parseKeySpec(keySpec, VARIABLE);
  const expiresMs = typeof claims.expiresAt === 'string' ? Date.parse(claims.expiresAt) : Number(claims.expiresAt);
  if (!Number.isFinite(expiresMs)) throw new TypeError('expiresAt is not a time');
  for (const [name, value] of [['accountId', claims.accountId], ['runId', claims.runId], ['endpointId', claims.endpointId]] as const) {
    if (typeof value !== 'string' || value === '' || value.length > MAX_ID_CHARS) throw new TypeError(`${name} must be 1-${MAX_ID_CHARS} characters`);
  }
  const payload: CallbackTokenPayload = { v: 1, k: currentId, a: claims.accountId, r: claims.runId, e: claims.endpointId, x: Math.ceil(expiresMs / 1000) };
  const payloadPart = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${payloadPart}.${sign(callbackKey(keySpec, currentId)!, payloadPart).toString('base64url')}`;
}

/**
 * The payload of a token this key set signed, or null for anything else (malformed, too long, an
 * unknown key id, a wrong signature). Expiry is not judged here: the caller answers an expired token
 * differently from a forged one (`expired(payload)`).
 */
export function verifyCallbackToken(keySpec: string, token: string): CallbackTokenPayload | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return null;
  const parts = token.split('.');
  if (parts.length !== 2) return null;
  const [payloadPart, macPart] = parts as [string, string];
  if (!B64URL.test(payloadPart) || !B64URL.test(macPart)) return null;
  const mac = Buffer.from(macPart, 'base64url');
  // Canonical base64url only: one token, one spelling (a second spelling would be a second update id).
  if (mac.length !== MAC_BYTES || mac.toString('base64url') !== macPart) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url') !== payloadPart) return null;
  if (!isPayload(payload)) return null;
  let key: Buffer | undefined;
  try {
    key = callbackKey(keySpec, payload.k);
  } catch {
    return null;
  }
  if (!key) return null;
  return timingSafeEqual(sign(key, payloadPart), mac) ? payload : null;
}

/** Whether a verified token's time is up. */
export function callbackExpired(payload: CallbackTokenPayload, now = Date.now()): boolean {
  return now >= payload.x * 1000;
}

const id = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_CHARS;

function isPayload(value: unknown): value is CallbackTokenPayload {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort().join(',');
  if (keys !== 'a,e,k,r,v,x') return false;
  return record.v === 1 && id(record.k) && id(record.a) && id(record.r) && id(record.e) && typeof record.x === 'number' && Number.isSafeInteger(record.x) && record.x > 0;
}
