/**
 * curl's command-line options, read from the words of one command: what the request would be (method,
 * URL, headers, data) without sending it. Only the options that shape an HTTP request, plus the common
 * harmless ones copied along with them (`-s`, `-L`, `--compressed`...), are known; any other is refused
 * by name, because silently dropping one could change what the request means.
 */
import { CurlImportError } from './errors';

/** One `-d`-family argument, as curl would send it. */
export interface DataPiece {
  text: string;
  /** `--json` pieces are appended as they are; other pieces are joined with `&`. */
  json: boolean;
}

/** What the command asks curl to send. Header values and data may hold credentials. */
export interface CurlRequest {
  method?: string;
  url: string;
  headers: { name: string; value: string }[];
  data: DataPiece[];
  /** `-u user:password` */
  user?: string;
  /** `-G`: the data goes into the query string. */
  get: boolean;
  /** `-g`: curl's URL globbing (`{a,b}`, `[1-3]`) is off. */
  globOff: boolean;
  warnings: string[];
}

type Handler = (request: Partial<CurlRequest> & { urls: string[]; warnings: string[]; headers: CurlRequest['headers']; data: DataPiece[] }, value: string, option: string) => void;

const noFiles = (value: string, option: string): string => {
  if (value.startsWith('@')) throw new CurlImportError(`${option} reads a file ("@..."); paste the content itself (with --data-raw)`);
  return value;
};

const header = (name: string) => (r: Parameters<Handler>[0], value: string) => {
  r.headers.push({ name, value });
};

/** Options that take a value. */
const WITH_VALUE: Record<string, Handler> = {
  '--request': (r, v) => {
    r.method = v;
  },
  '--url': (r, v) => {
    r.urls.push(v);
  },
  '--header': (r, v, o) => {
    if (v.startsWith('@')) throw new CurlImportError(`${o} reads headers from a file ("@..."); paste them as -H options`);
    const colon = v.indexOf(':');
    // curl's "Name;" sends an empty header and "Name:" removes one: neither carries anything to import.
    const value = colon > 0 ? v.slice(colon + 1).trim() : '';
    if (value === '') return void r.warnings.push('a header without a value (-H "Name;" or "Name:") was ignored');
    r.headers.push({ name: v.slice(0, colon).trim(), value });
  },
  '--data': (r, v, o) => void r.data.push({ text: noFiles(v, o), json: false }),
  '--data-ascii': (r, v, o) => void r.data.push({ text: noFiles(v, o), json: false }),
  '--data-binary': (r, v, o) => void r.data.push({ text: noFiles(v, o), json: false }),
  '--data-raw': (r, v) => void r.data.push({ text: v, json: false }),
  '--data-urlencode': (r, v, o) => void r.data.push({ text: urlencoded(v, o), json: false }),
  '--json': (r, v, o) => {
    r.data.push({ text: noFiles(v, o), json: true });
    r.headers.push({ name: 'Content-Type', value: 'application/json' }, { name: 'Accept', value: 'application/json' });
  },
  '--user': (r, v) => {
    r.user = v;
  },
  '--user-agent': header('User-Agent'),
  '--referer': header('Referer'),
  '--cookie': (r, v, o) => {
    if (!v.includes('=')) throw new CurlImportError(`${o} without "=" reads cookies from a file; paste them as "name=value"`);
    r.headers.push({ name: 'Cookie', value: v });
  },
};

const ignore: Handler = () => undefined;
/** Options without a value. */
const FLAGS: Record<string, Handler> = {
  '--get': (r) => {
    r.get = true;
  },
  '--globoff': (r) => {
    r.globOff = true;
  },
  '--compressed': ignore,
  '--silent': ignore,
  '--show-error': ignore,
  '--location': ignore,
  '--include': ignore,
  '--verbose': ignore,
  '--fail': ignore,
  '--insecure': (r) => void r.warnings.push('-k (--insecure) was ignored: Parley always checks the server\'s TLS certificate'),
};

const SHORT: Record<string, string> = {
  X: '--request',
  H: '--header',
  d: '--data',
  u: '--user',
  A: '--user-agent',
  e: '--referer',
  b: '--cookie',
  G: '--get',
  g: '--globoff',
  s: '--silent',
  S: '--show-error',
  L: '--location',
  k: '--insecure',
  i: '--include',
  v: '--verbose',
  f: '--fail',
};

/** `--data-urlencode` forms: `content`, `=content`, `name=content` (content encoded), `@file`, `name@file`. */
function urlencoded(value: string, option: string): string {
  const eq = value.indexOf('=');
  const at = value.indexOf('@');
  if (at >= 0 && (eq < 0 || at < eq)) throw new CurlImportError(`${option} reads a file ("@..."); paste the content itself`);
  if (eq < 0) return encodeURIComponent(value);
  const name = value.slice(0, eq);
  const content = encodeURIComponent(value.slice(eq + 1));
  return name === '' ? content : `${name}=${content}`;
}

/** Reads curl's options from the words after `curl`. Throws CurlImportError for an unknown or incomplete one. */
export function readOptions(words: string[]): CurlRequest {
  const r: Parameters<Handler>[0] = { urls: [], warnings: [], headers: [], data: [], get: false, globOff: false };
  const unknown: string[] = [];
  let endOfOptions = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const takeValue = (option: string): string => {
      if (i + 1 >= words.length) throw new CurlImportError(`${option} needs a value`);
      return words[++i]!;
    };
    if (endOfOptions || !word.startsWith('-') || word === '-') {
      r.urls.push(word);
    } else if (word === '--') {
      endOfOptions = true;
    } else if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq > 0 ? word.slice(0, eq) : word;
      if (WITH_VALUE[name]) WITH_VALUE[name](r, eq > 0 ? word.slice(eq + 1) : takeValue(name), name);
      else if (FLAGS[name] && eq < 0) FLAGS[name](r, '', name);
      else unknown.push(name.slice(0, 40));
    } else {
      // `-sSL`, `-XPOST`, `-H 'A: b'`: flags may be grouped; a value-taking letter takes the rest or the next word.
      for (let j = 1; j < word.length; j++) {
        const long = SHORT[word[j]!];
        if (!long) {
          unknown.push(`-${word[j]}`);
          continue;
        }
        if (WITH_VALUE[long]) {
          const rest = word.slice(j + 1);
          WITH_VALUE[long](r, rest !== '' ? rest : takeValue(`-${word[j]}`), `-${word[j]}`);
          break;
        }
        FLAGS[long]!(r, '', `-${word[j]}`);
      }
    }
  }
  if (unknown.length > 0) {
    const names = [...new Set(unknown)];
    const form = names.some((n) => n === '-F' || n === '--form') ? ' (multipart forms are not supported: Parley endpoints send JSON bodies)' : '';
    throw new CurlImportError(`unsupported curl option${names.length > 1 ? 's' : ''} ${names.join(', ')}${form}`);
  }
  if (r.urls.length === 0) throw new CurlImportError('the command has no URL');
  if (r.urls.length > 1) throw new CurlImportError(`the command has ${r.urls.length} URLs; import one request at a time`);
  const { urls, ...rest } = r;
  return { ...rest, url: urls[0]!, get: r.get ?? false, globOff: r.globOff ?? false };
}
