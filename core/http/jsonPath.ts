/**
 * A small, safe subset of JSONPath for reading a tenant API's response: `$.a.b`, `a.b`, `items[0].sku`,
 * `$['weird key']`. No wildcards, filters or scripts, and no eval: the path is parsed into segments and
 * walked over own properties only, so `__proto__`, `constructor` and `prototype` can never be reached.
 */

type Segment = string | number;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const NAME = /^[^.[\]'"\s]+/;
const INDEX = /^\[(\d{1,9})\]/;

/**
 * The value at `path` in `value`, or undefined when any step is missing, the path is malformed, or a
 * step names a forbidden segment. `$` (or an empty path) is the whole value.
 */
export function readPath(value: unknown, path: string): unknown {
  const segments = parsePath(path);
  if (!segments) return undefined;
  let current: unknown = value;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return undefined;
      current = current[segment];
    } else {
      if (FORBIDDEN.has(segment)) return undefined;
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

/** Path segments, or undefined when the path is not in the supported subset. */
export function parsePath(path: string): Segment[] | undefined {
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (rest !== '' && !rest.startsWith('[')) rest = `.${rest}`; // `a.b` reads as `$.a.b`
  const segments: Segment[] = [];
  while (rest !== '') {
    if (rest.startsWith('.')) {
      const name = NAME.exec(rest.slice(1));
      if (!name) return undefined;
      segments.push(name[0]);
      rest = rest.slice(1 + name[0].length);
      continue;
    }
    const index = INDEX.exec(rest);
    if (index) {
      segments.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      continue;
    }
    const quoted = readQuoted(rest);
    if (!quoted) return undefined;
    segments.push(quoted.key);
    rest = rest.slice(quoted.length);
  }
  return segments;
}

/** `['key']` or `["key"]` at the start of `text`, with `\\` escapes; undefined if not well formed. */
function readQuoted(text: string): { key: string; length: number } | undefined {
  const quote = text[1];
  if (text[0] !== '[' || (quote !== "'" && quote !== '"')) return undefined;
  let key = '';
  for (let i = 2; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\') {
      const next = text[i + 1];
      if (next === undefined) return undefined;
      key += next;
      i++;
    } else if (char === quote) {
      return text[i + 1] === ']' ? { key, length: i + 2 } : undefined;
    } else {
      key += char;
    }
  }
  return undefined;
}
