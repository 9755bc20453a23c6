import type { z } from 'zod';
import { validationError } from './errors';

/** Parses `value` with `schema` or throws a 400 naming the offending fields. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}
