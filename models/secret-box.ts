/**
 * Credentials at rest: AES-256-GCM with a key from the environment. Each sealed value records the id of
 * the key that sealed it, so keys can rotate: add the new key, make it current, and old values still
 * open with theirs.
 *
 * PARLEY_SECRET_KEYS = "k2:<base64 32 bytes>,k1:<base64 32 bytes>"  (the first is current)
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SealedSecret {
  keyId: string;
  iv: string;
  tag: string;
  data: string;
}

/**
 * Parses a key set: `"<id>:<base64 of 32 bytes>"`, comma-separated, the first current. Shared by the
 * credentials box and the Temporal payload codec; `variable` names the setting in error messages.
 */
export function parseKeySpec(spec: string, variable: string): { keys: Map<string, Buffer>; currentId: string } {
  const entries = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const separator = part.indexOf(':');
      const id = separator > 0 ? part.slice(0, separator) : '';
      const key = Buffer.from(part.slice(separator + 1), 'base64');
      if (!id || key.length !== 32) throw new Error(`${variable} entries are "<id>:<base64 of 32 random bytes>"`);
      return [id, key] as const;
    });
  if (entries.length === 0) throw new Error(`${variable} holds no key`);
  return { keys: new Map(entries), currentId: entries[0]![0] };
}

/**
 * A 32-byte key for one purpose, derived with HKDF-SHA256 from the current key of a key set (login
 * tokens, widget visitor and preview tokens): knowing a derived key tells nothing of the sealing key.
 */
export function deriveKey(spec: string, variable: string, salt: string, info: string): Buffer {
  const { keys, currentId } = parseKeySpec(spec, variable);
  return Buffer.from(hkdfSync('sha256', keys.get(currentId)!, salt, info, 32));
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether an `Authorization` header is `Bearer <token>`, compared in constant time (operator tokens). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/.exec(authorization ?? '')?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: string;

  constructor(spec: string) {
    const { keys, currentId } = parseKeySpec(spec, 'PARLEY_SECRET_KEYS');
    this.keys = keys;
    this.currentId = currentId;
  }

  /** The id of the key `seal` uses (the first of PARLEY_SECRET_KEYS); a sealed value names its own in `keyId`. */
  get currentKeyId(): string {
    return this.currentId;
  }

  /** Seals a JSON value with the current key; the associated data binds it to its owner (account/resource). */
  seal(value: unknown, owner: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(owner));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return { keyId: this.currentId, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  open<T>(sealed: SealedSecret, owner: string): T {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`no key "${sealed.keyId}" in PARLEY_SECRET_KEYS to open this secret`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(owner));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
  }

  /** A new key spec entry, for set-up scripts and tests. */
  static generateKey(id = `k${Date.now().toString(36)}`): string {
    return `${id}:${randomBytes(32).toString('base64')}`;
  }
}
