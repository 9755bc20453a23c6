import { KNOWLEDGE_LIMITS } from '../../../models/limits';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';

/**
 * Refuses a change that would take the account past its item limit (409 `knowledge_limit_reached`).
 * Checked before writing; two concurrent writes may pass it together, which costs a few items, not safety.
 */
export async function ensureRoom(deps: ApiDeps, accountId: string, adding: number): Promise<void> {
  const count = await deps.KnowledgeItem.countDocuments({ accountId });
  if (count + adding > KNOWLEDGE_LIMITS.itemsPerAccount) {
    throw new AppError(409, 'knowledge_limit_reached', `an account keeps at most ${KNOWLEDGE_LIMITS.itemsPerAccount} knowledge items (it has ${count}); delete some first`, {
      limit: KNOWLEDGE_LIMITS.itemsPerAccount,
      count,
      adding,
    });
  }
}
