/**
 * Masking of secrets in what is stored about a call (call logs) and in what a call hands back: a tenant
 * API may echo a credential in its response, and nothing that leaves the activity may carry one.
 */

export const MASK = '•••';

/** Replaces every occurrence of any secret, in the spellings it can take on the wire, with `•••`. */
export type Masker = (text: string) => string;

export function createMasker(secrets: readonly string[]): Masker {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    variants.add(secret);
    variants.add(JSON.stringify(secret).slice(1, -1)); // inside a JSON string
    variants.add(new URLSearchParams({ s: secret }).toString().slice(2)); // in a query string
    try {
      variants.add(encodeURIComponent(secret)); // in a path
    } catch {
      // a lone surrogate has no percent-encoding; the raw spelling is covered
    }
  }
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...variants].filter(Boolean).sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, variant) => (out.includes(variant) ? out.split(variant).join(MASK) : out), text);
}

/** A JSON value with every string (and key) masked. */
export function maskDeep(value: unknown, mask: Masker): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, mask));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [mask(key), maskDeep(item, mask)]));
  }
  return value;
}
