/**
 * Pattern answers, on re2js (a pure-JS port of RE2): matching is linear in the input, so a pattern a
 * tenant wrote cannot stall the workflow with catastrophic backtracking. The price is RE2's syntax: no
 * lookarounds, no backreferences.
 */
import { RE2JS } from 're2js';
import { accept, reject, type AnswerResult } from './result';

// Compiled patterns, keyed by flags and pattern. Deterministic (a pure function of its key), so safe
// as module state in workflow code; bounded so a long-lived worker does not grow without limit.
const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 200;

function compile(pattern: string, flags = ''): RE2JS {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    if (!/^i?$/.test(flags)) throw new Error(`unsupported flags "${flags}" (only "i")`);
    re = RE2JS.compile(pattern, flags === 'i' ? RE2JS.CASE_INSENSITIVE : 0);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/**
 * Whether a pattern compiles on the linear-time engine; for rejecting a flow at save time.
 * `reason` names what is wrong, e.g. lookarounds ("(?=") and backreferences ("\1") are not supported.
 */
export function compileSafePattern(pattern: string, flags?: string): { ok: true } | { ok: false; reason: string } {
  try {
    compile(pattern, flags);
    return { ok: true };
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return { ok: false, reason: `Pattern not supported by the safe (RE2) regex engine: ${detail}. Lookarounds and backreferences are not available.` };
  }
}

/** The whole trimmed answer must match (anchored at both ends). value and display are the trimmed answer. */
export function parseRegex(spec: { pattern: string; flags?: string }, text: string): AnswerResult {
  const value = text.trim();
  let re: RE2JS;
  try {
    re = compile(spec.pattern, spec.flags);
  } catch {
    // Flow validation rejects such patterns at save time (compileSafePattern); this is the backstop.
    return reject("Sorry, I can't check this answer right now.");
  }
  return re.testExact(value) ? accept(value, value) : reject("That doesn't look right. Please check the format and try again.");
}
