import { parsePath, readPath } from './jsonPath';

const body = {
  id: 7,
  billing: { email: 'ann@example.com', zip: null },
  items: [{ sku: 'A-1' }, { sku: 'B-2' }],
  'weird key': { 'a.b': 1, "it's": 2 },
  flag: false,
};

describe('readPath', () => {
  it('reads $.a.b', () => expect(readPath(body, '$.billing.email')).toBe('ann@example.com'));
  it('reads a.b without $', () => expect(readPath(body, 'billing.email')).toBe('ann@example.com'));
  it('reads array indexes', () => expect(readPath(body, 'items[1].sku')).toBe('B-2'));
  it('reads an index at the root', () => expect(readPath([{ x: 1 }], '[0].x')).toBe(1));
  it('reads bracketed keys with dots and spaces', () => {
    expect(readPath(body, "$['weird key']['a.b']")).toBe(1);
    expect(readPath(body, '$["weird key"]["it\'s"]')).toBe(2);
    expect(readPath(body, "$['weird key']['it\\'s']")).toBe(2);
  });
  it('returns the whole value for $', () => expect(readPath(body, '$')).toBe(body));
  it('keeps falsy values', () => {
    expect(readPath(body, '$.flag')).toBe(false);
    expect(readPath(body, '$.billing.zip')).toBeNull();
  });
  it('is undefined for a missing key', () => expect(readPath(body, '$.billing.phone')).toBeUndefined());
  it('is undefined past the end of an array', () => expect(readPath(body, 'items[2].sku')).toBeUndefined());
  it('is undefined indexing an object or naming into an array', () => {
    expect(readPath(body, 'billing[0]')).toBeUndefined();
    expect(readPath(body, 'items.length')).toBeUndefined();
  });
  it('is undefined through a primitive', () => expect(readPath(body, '$.id.toString')).toBeUndefined());
  it('never reaches prototypes', () => {
    expect(readPath(body, '$.__proto__')).toBeUndefined();
    expect(readPath(body, '$.constructor')).toBeUndefined();
    expect(readPath(body, "$['constructor']['prototype']")).toBeUndefined();
    expect(readPath(body, 'billing.hasOwnProperty')).toBeUndefined();
    expect(readPath('text', '$.length')).toBeUndefined();
  });
  it('reads an own "__proto__" key of parsed JSON as undefined too', () => {
    expect(readPath(JSON.parse('{"__proto__": {"x": 1}}'), '$.__proto__.x')).toBeUndefined();
  });
  it('is undefined for unsupported or malformed paths', () => {
    for (const path of ['$..email', '$.items[*].sku', 'items[-1]', "$['open", '$.', 'a..b', '$[?(@.x)]', 'items[0', 'a b']) {
      expect(readPath(body, path)).toBeUndefined();
    }
  });
});

describe('parsePath', () => {
  it('splits into names and indexes', () => expect(parsePath("$.a[0]['b c'].d")).toEqual(['a', 0, 'b c', 'd']));
  it('rejects garbage', () => expect(parsePath('$.a]')).toBeUndefined());
});
