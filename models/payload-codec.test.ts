import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, payloadCodecsFrom, temporalDataConverter } from './payload-codec';

const plain = (text: string): Payload => ({ metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) }, data: new Uint8Array(Buffer.from(JSON.stringify(text))) });
const str = (u: Uint8Array | null | undefined): string => Buffer.from(u ?? new Uint8Array()).toString('utf8');

describe('AesGcmPayloadCodec', () => {
  const k1 = AesGcmPayloadCodec.generateKey('k1');
  const k2 = AesGcmPayloadCodec.generateKey('k2');

  it('encrypts with the first key, names it in the metadata, and decrypts back', async () => {
    const codec = new AesGcmPayloadCodec(`${k2},${k1}`);
    const [encoded] = await codec.encode([plain('Ada Lovelace')]);
    expect(str(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(str(encoded!.metadata!['encryption-key-id'])).toBe('k2');
    expect(str(encoded!.data)).not.toContain('Ada');
    expect(await codec.decode([encoded!])).toEqual([plain('Ada Lovelace')]);
  });

  it('decrypts payloads of an older key after rotation, and passes plain payloads through', async () => {
    const [old] = await new AesGcmPayloadCodec(k1).encode([plain('old')]);
    const rotated = new AesGcmPayloadCodec(`${k2},${k1}`);
    expect(await rotated.decode([old!, plain('never encrypted')])).toEqual([plain('old'), plain('never encrypted')]);
    await expect(new AesGcmPayloadCodec(k2).decode([old!])).rejects.toThrow(/no key "k1"/);
  });

  it('refuses tampered ciphertext and malformed key specs', async () => {
    const codec = new AesGcmPayloadCodec(k1);
    const [encoded] = await codec.encode([plain('x')]);
    const data = Buffer.from(encoded!.data!);
    data[14] = data[14]! ^ 1;
    await expect(codec.decode([{ ...encoded!, data: new Uint8Array(data) }])).rejects.toThrow();
    expect(() => new AesGcmPayloadCodec('k1:short')).toThrow(/PARLEY_PAYLOAD_KEYS/);
    expect(() => new AesGcmPayloadCodec(' , ')).toThrow(/no key/);
  });

  it('is off when PARLEY_PAYLOAD_KEYS is unset', () => {
    expect(payloadCodecsFrom(undefined)).toEqual([]);
    expect(payloadCodecsFrom('')).toEqual([]);
    expect(temporalDataConverter(undefined)).toBeUndefined();
    expect(temporalDataConverter(k1)?.payloadCodecs).toHaveLength(1);
  });
});
