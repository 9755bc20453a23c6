/**
 * `{{variable}}` templates for bot texts, set_variable values and API-call inputs. Pure string work: no
 * expression language and no code execution, so a flow author (or a visitor whose answer ends up in a
 * variable) can never make the bot run anything. Safe inside Temporal workflow code (no I/O, no clock).
 */

/** Values a template may read: a conversation's variables plus the built-ins (`contact.email`, `bot.name`). */
export type TemplateVariables = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** A variable name as in models/flow.schema.ts `VariableName`, optionally dotted for built-ins (`contact.email`). */
const NAME = '[A-Za-z_][A-Za-z0-9_]{0,63}(?:\\.[A-Za-z_][A-Za-z0-9_]{0,63})*';
const PLACEHOLDER = new RegExp(`\\{\\{\\s*(${NAME})\\s*\\}\\}`, 'g');
const VALID_NAME = new RegExp(`^${NAME}$`);
/** Anything that looks like a placeholder, valid or not. */
const ANY_PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/**
 * Fills `{{ name }}` placeholders in one pass. A missing or null variable renders as `[name]`, so a gap is
 * visible to the visitor and the author instead of reading "undefined". Booleans read as "yes"/"no".
 * Values are inserted verbatim and never expanded again: a visitor who answers "{{secret}}" gets
 * "{{secret}}" back, not the secret.
 */
export function renderTemplate(template: string, variables: TemplateVariables): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => formatValue(lookup(variables, name), name));
}

/** The distinct placeholder names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return unique(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1]!));
}

/**
 * Placeholders that will not be filled because their name is not a variable name (`{{ first name }}`,
 * `{{}}`, `{{a+b}}`): they would reach the visitor verbatim. Returned as written, for validation messages.
 */
export function malformedPlaceholders(template: string): string[] {
  const malformed = [...template.matchAll(ANY_PLACEHOLDER)].filter((m) => !VALID_NAME.test(m[1]!.trim()));
  return unique(malformed.map((m) => m[0]));
}

/** Own properties only: `{{constructor}}` must not reach Object.prototype. */
function lookup(variables: TemplateVariables, name: string): unknown {
  return Object.hasOwn(variables, name) ? variables[name] : undefined;
}

function formatValue(value: unknown, name: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return `[${name}]`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
