/** Lower-case, accents removed, punctuation folded to single spaces: "Réserver, SVP!" -> "reserver svp". */
export function normalizeText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** True when `phrase` occurs in `text` as whole words ("book" matches "I'd like to book", not "booking"). */
export function matchesPhrase(text: string, phrase: string): boolean {
  const needle = normalizeText(phrase);
  if (!needle) return false;
  return ` ${normalizeText(text)} `.includes(` ${needle} `);
}
