import { createMasker, MASK, maskDeep } from './mask';

describe('createMasker', () => {
  const mask = createMasker(['s3cr3t key/+&=', 'tok"en\\', '']);
  it('masks the raw secret', () => expect(mask('key: s3cr3t key/+&= end')).toBe(`key: ${MASK} end`));
  it('masks the secret as it appears in a query string', () => expect(mask('https://x/?k=s3cr3t+key%2F%2B%26%3D')).toBe(`https://x/?k=${MASK}`));
  it('masks the secret percent-encoded', () => expect(mask('/p/s3cr3t%20key%2F%2B%26%3D')).toBe(`/p/${MASK}`));
  it('masks the secret inside a JSON string', () => expect(mask(JSON.stringify({ t: 'tok"en\\' }))).toBe(`{"t":"${MASK}"}`));
  it('masks every occurrence', () => expect(mask('tok"en\\ and tok"en\\')).toBe(`${MASK} and ${MASK}`));
  it('ignores empty secrets', () => expect(mask('nothing here')).toBe('nothing here'));
  it('masks a longer secret whole when it contains a shorter one', () => {
    expect(createMasker(['abc', 'xxabcxx'])('[xxabcxx]')).toBe(`[${MASK}]`);
  });
});

describe('maskDeep', () => {
  it('masks strings and keys at any depth, leaving other values', () => {
    const mask = createMasker(['hunter2']);
    expect(maskDeep({ a: ['hunter2', 1, true, null], hunter2: { b: 'pw=hunter2' } }, mask)).toEqual({ a: [MASK, 1, true, null], [MASK]: { b: `pw=${MASK}` } });
  });
});
