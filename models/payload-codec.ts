/**
 * Visitor data in Temporal histories, encrypted: a payload codec (AES-256-GCM) that the API's Temporal
 * client and the worker both apply to every workflow payload (inputs, results, Update arguments and
 * answers, activity inputs and results). Temporal's server, its database and anyone reading a history
 * without the key see only ciphertext. Keys rotate like PARLEY_SECRET_KEYS: each encrypted payload names
 * its key id in its metadata; the first key encrypts, all of them decrypt.
 *
 * PARLEY_PAYLOAD_KEYS = "p2:<base64 32 bytes>,p1:<base64 32 bytes>"  (unset: no codec, plain payloads)
 *
 * Decoding passes through payloads that are not encrypted (histories recorded before the codec was
 * turned on still replay). Codecs run outside the workflow sandbox, so workflow code never imports this.
 */
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseKeySpec } from './secret-box';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const AAD = Buffer.from('parley/temporal-payload/v1');

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const b64 = (u: Uint8Array | null | undefined): string => Buffer.from(u ?? new Uint8Array()).toString('base64');

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: string;

  constructor(spec: string) {
    const { keys, currentId } = parseKeySpec(spec, 'PARLEY_PAYLOAD_KEYS');
    this.keys = keys;
    this.currentId = currentId;
  }


  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
      cipher.setAAD(AAD);
      const sealed = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.currentId) },
        data: new Uint8Array(Buffer.concat([iv, sealed, cipher.getAuthTag()])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || Buffer.from(encoding).toString('utf8') !== ENCRYPTED_ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? new Uint8Array()).toString('utf8');
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`no key "${keyId}" in PARLEY_PAYLOAD_KEYS to decrypt this payload`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < 28) throw new Error('encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAAD(AAD);
      decipher.setAuthTag(data.subarray(data.length - 16));
      return deserialize(Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]));
    });
  }

  /** A new PARLEY_PAYLOAD_KEYS entry, for set-up scripts and tests. */
  static generateKey(id = `p${Date.now().toString(36)}`): string {
    return `${id}:${randomBytes(32).toString('base64')}`;
  }
}

/** The plaintext: the whole payload (metadata and data) as JSON with base64 values. */
function serialize(payload: Payload): Buffer {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, b64(v)]));
  return Buffer.from(JSON.stringify({ m: metadata, d: b64(payload.data) }), 'utf8');
}

function deserialize(plain: Buffer): Payload {
  const parsed = JSON.parse(plain.toString('utf8')) as { m: Record<string, string>; d: string };
  return {
    metadata: Object.fromEntries(Object.entries(parsed.m).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(parsed.d, 'base64')),
  };
}

/** The payload codecs for PARLEY_PAYLOAD_KEYS: none when unset. */
export function payloadCodecsFrom(spec: string | undefined): PayloadCodec[] {
  return spec && spec.trim() ? [new AesGcmPayloadCodec(spec)] : [];
}

/** A Temporal `dataConverter` with the payload codec when PARLEY_PAYLOAD_KEYS is set (for Client and Worker). */
export function temporalDataConverter(spec: string | undefined): DataConverter | undefined {
  const payloadCodecs = payloadCodecsFrom(spec);
  return payloadCodecs.length ? { payloadCodecs } : undefined;
}
