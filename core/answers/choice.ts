/** Picking one of a list of options from free text. */
import type { ChoiceOption } from '../../models/flow.schema';
import { accept, fold, reject, words, type AnswerResult } from './result';

/** A choice option as matchChoice needs it (ChoiceBlock options carry more fields; they fit). */
export type MatchableOption = Pick<ChoiceOption, 'label' | 'value' | 'synonyms'>;

type Match = { kind: 'match'; index: number } | { kind: 'none' } | { kind: 'ambiguous' };

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

const terms = (o: MatchableOption) => [o.label, o.value, ...(o.synonyms ?? [])];

/** Folded, without surrounding quotes, brackets or punctuation. */
const bare = (text: string) => fold(text).replace(/^[\s"'“”‘’.,!?()[\]]+|[\s"'“”‘’.,!?()[\]]+$/gu, '');

function settle(indices: Set<number>): Match | null {
  if (indices.size === 1) return { kind: 'match', index: [...indices][0] ?? -1 };
  return indices.size > 1 ? { kind: 'ambiguous' } : null;
}

/** "2", "#2", "option 2", "number 2", "2nd", "the second one" → 1-based position; null otherwise. */
function position(w: string): number | null {
  const m = /^(?:the )?(?:(?:option|choice|number|no|num) )?(\d{1,2})(?:st|nd|rd|th)?(?: one| option)?$/.exec(w);
  if (m) return Number(m[1]);
  const o = /^(?:the )?(\w+)(?: one| option)?$/.exec(w);
  const i = o ? ORDINALS.indexOf(o[1] ?? '') : -1;
  return i < 0 ? null : i + 1;
}

/**
 * Where free text lands among options. Stages, first decisive one wins:
 * 1. exact label/value/synonym (case- and accent-insensitive, trimmed, surrounding punctuation ignored);
 * 2. a 1-based position ("2", "option 2", "second");
 * 3. an option's term appearing as whole words in the text ("the large one please"); when several
 *    options match, one whose matched term lies inside another option's longer matched term drops out
 *    ("pro plus" picks "Pro Plus" over "Pro");
 * 4. the text as a substring of a term ("choc" → "Chocolate").
 * Several options at stage 1, 3 or 4 make the answer ambiguous.
 */
export function findChoice(options: MatchableOption[], text: string): Match {
  const exact = bare(text);
  const w = words(text);
  if (!exact) return { kind: 'none' };

  const exactHits = new Set(options.flatMap((o, i) => (terms(o).some((t) => bare(t) === exact) ? [i] : [])));
  const byExact = settle(exactHits);
  if (byExact) return byExact;

  const pos = position(w);
  if (pos !== null && pos >= 1 && pos <= options.length) return { kind: 'match', index: pos - 1 };

  if (w) {
    const padded = ` ${w} `;
    const hits = options.flatMap((o, index) => {
      const found = terms(o).map(words).filter((t) => t && padded.includes(` ${t} `));
      return found.length ? [{ index, found }] : [];
    });
    const covered = (t: string, other: string) => other.length > t.length && ` ${other} `.includes(` ${t} `);
    const kept = hits.filter((h) => !h.found.every((t) => hits.some((o) => o !== h && o.found.some((ot) => covered(t, ot)))));
    const byWords = settle(new Set(kept.map((h) => h.index)));
    if (byWords) return byWords;

    if (w.length >= 2) {
      const bySubstring = settle(new Set(options.flatMap((o, i) => (terms(o).some((t) => words(t).includes(w)) ? [i] : []))));
      if (bySubstring) return bySubstring;
    }
  }
  return { kind: 'none' };
}

/**
 * Matches free text against options (label, value, synonyms): exact (case/accent-insensitive, trimmed),
 * then "2"/"option 2" by 1-based position, then unique substring/word match. Returns the option index
 * or -1 (also -1 when ambiguous). See findChoice for the stages.
 */
export function matchChoice(options: MatchableOption[], text: string): number {
  const m = findChoice(options, text);
  return m.kind === 'match' ? m.index : -1;
}

function listLabels(options: MatchableOption[]): string {
  const labels = options.map((o) => o.label);
  return labels.length > 1 ? `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}` : (labels[0] ?? '');
}

/** value = the option's value, display = its label. */
export function parseChoice(options: MatchableOption[], text: string): AnswerResult {
  const m = findChoice(options, text);
  if (m.kind === 'match') {
    const option = options[m.index];
    if (option) return accept(option.value, option.label);
  }
  const prefix = m.kind === 'ambiguous' ? 'That matches more than one option. ' : '';
  return reject(`${prefix}Please choose one of: ${listLabels(options)}.`);
}
