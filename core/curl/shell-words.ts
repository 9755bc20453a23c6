/**
 * A pasted cURL command split into its words the way bash would, or refused. The quoting itself (single
 * and double quotes, backslash escapes, `$'...'` ANSI-C strings) is shell-quote's; what it does not know
 * about is checked here first, on the raw text: line continuations (`\` + newline, as browser devtools
 * and vendor docs print them) are removed, and backticks, unquoted newlines and brace expansion are
 * refused. Nothing is ever expanded or run: a variable, a substitution or a second command is an error
 * that says what to paste instead. Messages name the construct, never a word of the command (it may hold
 * a credential).
 */
import { parse, type ParseEntry } from 'shell-quote';
import { CurlImportError } from './errors';

/**
 * Longer than the commands people paste (a browser's "Copy as cURL" with its cookies is a few kB), and
 * short enough that even a string one character longer, every character JSON-escaped (`\u00cb`, 6 bytes),
 * fits the API's 64 kB body limit: too long is a 400 naming the field, never a 413.
 */
export const MAX_COMMAND_LENGTH = 10_000;

const OPERATORS: Record<string, string> = {
  '|': 'a pipe (|)',
  '|&': 'a pipe (|&)',
  '||': '"||"',
  '&&': '"&&"',
  ';': 'a ";"',
  ';;': 'a ";;"',
  '&': 'an unquoted "&" (put the URL in quotes)',
  '(': 'a subshell "(...)"',
  ')': 'a subshell "(...)"',
  '<': 'a redirection (<)',
  '>': 'a redirection (>)',
  '>>': 'a redirection (>>)',
  '>&': 'a redirection (>&)',
  '<(': 'a process substitution "<(...)"',
};

/** The command's words, `curl` first. Throws CurlImportError (`invalid_curl`) for anything else. */
export function shellWords(command: string): string[] {
  if (command.length > MAX_COMMAND_LENGTH) throw new CurlImportError(`the command is longer than ${MAX_COMMAND_LENGTH} characters`);
  const text = joinLines(command.replace(/\r\n?/g, '\n')).trim();
  if (text === '') throw new CurlImportError('the command is empty');
  const variables: string[] = [];
  let entries: ParseEntry[];
  try {
    entries = parse(text, (name) => {
      variables.push(name);
      return '';
    });
  } catch {
    throw new CurlImportError('the command cannot be read as a shell command (check its quotes)');
  }
  const named = variables.find((v) => v !== '');
  if (named !== undefined) {
    throw new CurlImportError(`the command uses the shell variable $${named.slice(0, 40)}; paste its value instead (Parley does not run a shell)`);
  }
  const words: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      words.push(entry);
      continue;
    }
    if ('comment' in entry) continue;
    if (entry.op === 'glob') throw new CurlImportError('the command has unquoted glob characters (*, ? or [...]); put the URL in quotes');
    if (entry.op === '(' && variables.includes('')) throw new CurlImportError('the command uses a command substitution "$(...)"; paste its output instead');
    throw new CurlImportError(`the command has ${OPERATORS[entry.op] ?? `the operator "${entry.op}"`}; give a single curl command`);
  }
  // `$` before nothing a variable name can start with ("$", "$ ", "${}") still asks for a shell.
  if (variables.length > 0) throw new CurlImportError('the command has a "$" outside single quotes; paste the value it stands for');
  if (words.length === 0) throw new CurlImportError('the command is empty');
  const program = words[0]!;
  if (!/^(?:.*\/)?curl(?:\.exe)?$/.test(program)) throw new CurlImportError(`the command runs "${program.slice(0, 40)}", not curl`);
  return words;
}

/**
 * The text with bash's line continuations removed (`\` + newline, outside single quotes), after checking
 * the parts shell-quote reads differently from bash: a backtick (command substitution) outside single
 * quotes, an unquoted newline (a second command), and unquoted brace expansion (`{a,b}`: several words).
 */
function joinLines(text: string): string {
  let out = '';
  let state: 'plain' | 'single' | 'double' | 'ansi' = 'plain';
  // Where the current unquoted word opened a brace (-1: none open), for brace expansion.
  let braceAt = -1;
  let word = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (state === 'single') {
      if (c === "'") state = 'plain';
      out += c;
      continue;
    }
    if (c === '\\' && next === '\n' && state !== 'ansi') {
      i++;
      continue;
    }
    if (c === '`' && state !== 'ansi') throw new CurlImportError('the command uses a command substitution (backticks); paste its output instead');
    if (state === 'ansi' || state === 'double') {
      if (c === '\\' && next !== undefined) {
        out += c + next;
        i++;
        continue;
      }
      if ((state === 'ansi' && c === "'") || (state === 'double' && c === '"')) state = 'plain';
      out += c;
      continue;
    }
    // plain
    if (c === '\\' && next !== undefined) {
      out += c + next;
      i++;
      word += 'x';
      continue;
    }
    if (c === "'") state = out.endsWith('$') && !out.endsWith('\\$') ? 'ansi' : 'single';
    else if (c === '"') state = 'double';
    else if (c === '\n' && text.slice(i).trim() !== '') {
      throw new CurlImportError('the command spans several lines without a "\\" at the end of each; give a single curl command');
    }
    if (/\s/.test(c)) {
      word = '';
      braceAt = -1;
    } else word += c;
    if (c === '{') braceAt = word.length;
    if (c === '}' && braceAt >= 0) {
      if (/,|\.\./.test(word.slice(braceAt))) throw new CurlImportError('the command has an unquoted brace expansion ({a,b}); put the argument in quotes');
      braceAt = -1;
    }
    out += c;
  }
  if (state !== 'plain') throw new CurlImportError(`the command has an unterminated ${state === 'double' ? 'double' : 'single'} quote`);
  return out;
}
