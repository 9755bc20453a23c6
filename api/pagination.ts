import { z } from 'zod';
import { LIMITS } from '../models/limits';

/**
 * A whole number in a query string, written in plain decimal digits only: `1e2`, `0x10`, ` 5`, `+5`,
 * `5.0` and `-1` are refused (z.coerce.number would read all of them as numbers). Chain `.default(n)`.
 */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** `?limit=&after=` on list routes. Ids are time-ordered, so the last id of a page is the cursor. */
export const PageQuery = {
  limit: queryInt(1, LIMITS.pageSizeMax).default(50),
  after: z.string().regex(/^[a-z]+_[a-z0-9]+$/, 'must be an id from a previous page').optional(),
};

export function page<T extends { id: string }>(items: T[], limit: number): { data: T[]; hasMore: boolean; nextAfter: string | null } {
  const hasMore = items.length > limit;
  const data = hasMore ? items.slice(0, limit) : items;
  return { data, hasMore, nextAfter: hasMore ? (data[data.length - 1]?.id ?? null) : null };
}
