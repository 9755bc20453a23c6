/**
 * The parameters a draft declares: names the endpoint schema accepts, a type guessed from the command's
 * example value, and the example itself in the description (the schema has no default value).
 */
import type { EndpointParameter } from '../../models/connection.schema';

/** A parameter name the endpoint schema accepts (letters, digits, _ and -). */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Field names whose example value is not copied into a description. */
const SECRET_FIELD = /pass(word)?|secret|token|api_?key|card|cvc|cvv|ssn/i;

/** The parameters declared so far. */
export interface Params {
  /** Declares a parameter; false when its name is taken or the endpoint is full. */
  add(p: EndpointParameter): boolean;
  has(name: string): boolean;
  full(): boolean;
}

/** The type an example value suggests: integer, number, boolean, or string (a leading zero keeps "01234" a string). */
export function guessType(value: string): { type: 'integer' | 'number' | 'boolean' | 'string' } {
  if (/^-?(?:0|[1-9][0-9]{0,14})$/.test(value)) return { type: 'integer' };
  if (/^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/.test(value)) return { type: 'number' };
  if (value === 'true' || value === 'false') return { type: 'boolean' };
  return { type: 'string' };
}

/** A parameter whose example value (from the command) goes into its description: the schema has no default. */
export function parameter(name: string, example: string, where: 'query' | 'body', type = guessType(example).type): EndpointParameter {
  const shown = SECRET_FIELD.test(name) ? '' : ` Example: ${JSON.stringify(example).slice(0, 200)}.`;
  return { name, type, in: where, required: true, description: `From the cURL command.${shown}`, source: 'visitor' };
}
