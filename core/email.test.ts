/**
 * The verification gate's email rules, by collision class: each spoof must be refused (or compare
 * different), and what a person sees as the same address must still match.
 */
import { checkEmail, equalsIgnoreCase, foldForComparison, sameEmail } from './email';

const OWNER = 'kate.kirk@example.com';

/** Addresses that look like (or fold to) the owner's but are not it, by collision class. */
const SPOOFS: [string, string][] = [
  // Compatibility characters: NFKC or lower-casing maps them to ASCII.
  ['Kelvin sign in the local part', '\u212Aate.kirk@example.com'],
  ['Kelvin sign in the domain', 'kate.kirk@\u212Airk.example.com'],
  ['ligature fi', 'kate.kirk@exam\uFB01le.com'],
  ['Roman numeral one', 'kate.k\u2160rk@example.com'],
  ['mathematical bold a', 'k\u{1D41A}te.kirk@example.com'],
  // Dotless i and dotted capital I (Turkish case mapping).
  ['dotless i', 'kate.k\u0131rk@example.com'],
  ['capital I with dot', 'kate.k\u0130rk@example.com'],
  // Sharp s.
  ['sharp s in the local part', 'kate.kirk\u00DF@example.com'],
  ['capital sharp s in the domain', 'kate.kirk@stra\u1E9Ee.de'],
  // Fullwidth letters and signs.
  ['fullwidth local part', '\uFF4B\uFF41\uFF54\uFF45.kirk@example.com'],
  ['fullwidth domain', 'kate.kirk@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com'],
  ['fullwidth at sign', 'kate.kirk\uFF20example.com'],
  ['fullwidth full stop in the domain', 'kate.kirk@example\uFF0Ecom'],
  // Zero-width and other invisible characters.
  ['zero-width space in the local part', 'kate.\u200Bkirk@example.com'],
  ['zero-width joiner in the domain', 'kate.kirk@exa\u200Dmple.com'],
  ['zero-width non-joiner in the domain', 'kate.kirk@exam\u200Cple.com'],
  ['word joiner', 'kate.kirk\u2060@example.com'],
  ['byte order mark inside', 'kate.ki\uFEFFrk@example.com'],
  ['soft hyphen in the domain', 'kate.kirk@exam\u00ADple.com'],
  // Homoglyphs from other scripts.
  ['Cyrillic a in the local part', 'k\u0430te.kirk@example.com'],
  ['Cyrillic a in the domain', 'kate.kirk@ex\u0430mple.com'],
  ['Greek omicron in the domain', 'kate.kirk@example.c\u03BFm'],
  ['combining dot above', 'kate.kirk@exa\u0307mple.com'],
  ['decomposed e acute vs ASCII', 'kate.kirk@exampl\u0065\u0301.com'],
];

describe('checkEmail', () => {
  it.each(SPOOFS)('refuses it, and it never equals the owner: %s', (_what, spoof) => {
    expect(checkEmail(spoof).ok).toBe(false);
    expect(sameEmail(spoof, OWNER)).toBe(false);
    expect(equalsIgnoreCase(spoof, OWNER)).toBe(false);
    expect(equalsIgnoreCase(OWNER.toUpperCase(), spoof)).toBe(false);
  });

  it('matches what a person sees as the same address', () => {
    expect(sameEmail(' Kate.Kirk@Example.COM ', OWNER)).toBe(true);
    expect(sameEmail('mailto:<kate.kirk@example.com>', OWNER)).toBe(true);
    expect(equalsIgnoreCase('KATE.KIRK@EXAMPLE.COM', OWNER)).toBe(true);
  });

  it('accepts a valid internationalised domain in canonical form, in either spelling', () => {
    const checked = checkEmail('ada@bücher.de');
    expect(checked).toEqual({ ok: true, address: 'ada@xn--bcher-kva.de', folded: 'ada@xn--bcher-kva.de', display: 'ada@bücher.de' });
    expect(sameEmail('ada@bücher.de', 'ADA@XN--BCHER-KVA.DE')).toBe(true);
    expect(checkEmail('ivan@пример.рф').ok).toBe(true); // one script: a real name, not a look-alike
    expect(checkEmail('hanako@例え.テスト').ok).toBe(true); // Han with Katakana is a usual mix
    expect(sameEmail('kate.kirk@straße.de', 'kate.kirk@strasse.de')).toBe(false);
    // An A-label is taken as written: it reads differently from the name it imitates, and never equals it.
    expect(checkEmail('kate.kirk@xn--exmple-4nf.com').ok).toBe(true);
    expect(sameEmail('kate.kirk@xn--exmple-4nf.com', OWNER)).toBe(false);
  });

  it('refuses an IDN that is not canonical (upper case, not NFC)', () => {
    expect(checkEmail('ada@BÜCHER.de').ok).toBe(false);
    expect(checkEmail('ada@bu\u0308cher.de').ok).toBe(false);
  });

  it('keeps the local part as written in `address` and folds it in `folded`', () => {
    expect(checkEmail('Kate.Kirk@Example.COM')).toMatchObject({ ok: true, address: 'Kate.Kirk@example.com', folded: 'kate.kirk@example.com' });
  });

  it('refuses malformed addresses', () => {
    for (const bad of ['', 'kate', '@example.com', 'kate@', 'kate@localhost', 'ka te@example.com', 'kate..kirk@example.com', 'kate@-example.com', `${'k'.repeat(65)}@example.com`]) {
      expect(checkEmail(bad).ok).toBe(false);
    }
  });
});

describe('foldForComparison', () => {
  it('folds case but never turns a non-ASCII character into an ASCII one', () => {
    expect(foldForComparison('ÉCOLE')).toBe('école');
    expect(foldForComparison('\u1E9E')).toBe('\u00DF');
    // The Kelvin sign's normal form is an ASCII K, and the dotted capital I lower-cases to an ASCII i.
    expect(foldForComparison('\u212A')).not.toBe(foldForComparison('k'));
    expect(foldForComparison('\u212A')).not.toBe(foldForComparison('K'));
    expect(foldForComparison('\u0130')).not.toBe(foldForComparison('i'));
    expect(equalsIgnoreCase('ORDER-\u212A7', 'order-k7')).toBe(false);
  });
  it('treats canonically equivalent text as equal, compatibility look-alikes as different', () => {
    expect(equalsIgnoreCase('Cafe\u0301', 'CAFÉ')).toBe(true);
    expect(equalsIgnoreCase('ORDER-\uFF11\uFF10', 'order-10')).toBe(false);
    expect(equalsIgnoreCase('pa\u200Bid', 'PAID')).toBe(false);
    expect(equalsIgnoreCase('@Ada', '@ada')).toBe(true);
  });
});
