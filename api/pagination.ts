import { z } from 'zod';
import { LIMITS } from '../models/limits';

/** `?limit=&after=` on list routes. Ids are time-ordered, so the last id of a page is the cursor. */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(50),
  after: z.string().regex(/^[a-z]+_[a-z0-9]+$/, 'must be an id from a previous page').optional(),
};

export function page<T extends { id: string }>(items: T[], limit: number): { data: T[]; hasMore: boolean; nextAfter: string | null } {
  const hasMore = items.length > limit;
  const data = hasMore ? items.slice(0, limit) : items;
  return { data, hasMore, nextAfter: hasMore ? (data[data.length - 1]?.id ?? null) : null };
}
